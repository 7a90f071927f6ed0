"""The Helm chart: lints, renders, validates against Kubernetes schemas, and has the properties production needs.

No cluster runs here, so the chart is checked the way a cluster's API server and a
reviewer would: `helm lint --strict`, `helm template`, kubernetes-validate (strict, so
unknown fields fail) against the oldest Kubernetes the chart supports and a current one,
then assertions on the rendered objects.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.helm.conftest import NAMESPACE, PRODUCTION_VALUES
from tests.helm.manifests import Rendered, component_of, container_port, main_container, module_of, pod_spec
from tests.helm.tools import CHART, REPO, helm, render

# The chart's kubeVersion floor (native gRPC probes are GA from 1.27) and a current release.
KUBERNETES_VERSIONS = ("1.27.0", "1.35.0")
# Kinds from CRDs that kubernetes-validate has no schema for; checked by hand below.
CRD_KINDS = {"ServiceMonitor"}
COMPONENTS = {"embeddings", "abi", "abbey", "aviva", "gateway"}


# ---- lint and schema ----


@pytest.mark.parametrize("values", [None, PRODUCTION_VALUES], ids=["default", "production"])
def test_helm_lint_strict_passes(helm_path: Path, values: Path | None) -> None:
    args = ["lint", str(CHART), "--strict", "--namespace", NAMESPACE]
    if values is not None:
        args += ["--values", str(values)]
    result = helm(*args, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


def test_every_object_is_valid_kubernetes(chart: Rendered) -> None:
    checked = 0
    for obj in chart.objects:
        if obj["kind"] in CRD_KINDS:
            continue
        for version in KUBERNETES_VERSIONS:
            kubernetes_validate.validate(obj, version, strict=True)
            checked += 1
    assert checked >= 2 * 12


VARIANTS = {
    "metrics-off": ("metrics.enabled=false", "metrics.serviceMonitor.enabled=true"),
    "open-network-policies": ("networkPolicy.enabled=true",),
    "milvus-without-token": ("milvus.uri=http://milvus:19530",),
    "ephemeral-milvus-lite": ("embeddings.persistence.enabled=false",),
    "persona-autoscaling-only": ("personas.abbey.autoscaling.enabled=true",),
    "no-service-account": ("serviceAccount.create=false", "spreadAcrossNodes=false"),
    "redis-url-and-llm": ("redis.url=redis://redis:6379/0", "llm.baseUrl=http://llm:8000/v1", "llm.model=m"),
    "existing-internal-secret": ("internalAuth.existingSecret=mesh-internal", "internalAuth.secretKey=hmac"),
}


@pytest.mark.parametrize("sets", VARIANTS.values(), ids=VARIANTS.keys())
def test_value_variants_render_valid_kubernetes(helm_path: Path, sets: tuple[str, ...]) -> None:
    rendered = Rendered(render(sets=sets))
    for obj in rendered.objects:
        if obj["kind"] not in CRD_KINDS:
            kubernetes_validate.validate(obj, KUBERNETES_VERSIONS[0], strict=True)
    assert {component_of(w) for w in rendered.workloads()} == COMPONENTS
    if "metrics.enabled=false" in sets:
        assert rendered.of_kind("ServiceMonitor") == []
    if "embeddings.persistence.enabled=false" in sets:
        embeddings = rendered.workload("embeddings")
        assert embeddings["kind"] == "StatefulSet" and "volumeClaimTemplates" not in embeddings["spec"]
        assert {"name": "data", "emptyDir": {}} in pod_spec(embeddings)["volumes"]
    if "serviceAccount.create=false" in sets:
        assert rendered.of_kind("ServiceAccount") == []
        assert {pod_spec(w)["serviceAccountName"] for w in rendered.workloads()} == {"default"}
    if "internalAuth.existingSecret=mesh-internal" in sets:
        # Your Secret, not one of the chart's; every pod mounts it.
        assert not [s for s in rendered.of_kind("Secret") if s["metadata"]["name"].endswith("internal-auth")]
        for workload in rendered.workloads():
            assert _internal_secret_of(rendered, workload) == ("mesh-internal", "hmac")
    if "redis.url=redis://redis:6379/0" in sets:
        assert rendered.env("gateway")["PM_RATE_LIMIT_STORAGE"] == "redis://redis:6379/0"
        assert rendered.env("abbey")["PM_LLM_MODEL"] == "m"


def test_the_validator_rejects_an_unknown_field(default_chart: Rendered) -> None:
    """Proves the validation above can fail: strict schemas catch a misspelt field."""
    broken = copy.deepcopy(default_chart.workload("abi"))
    main_container(broken)["readinesProbe"] = {"grpc": {"port": 1}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)


def test_kube_version_below_the_floor_is_refused(helm_path: Path) -> None:
    with pytest.raises(AssertionError, match="kubeVersion"):
        render(kube_version="1.26.0")


def test_values_schema_rejects_wrong_types(helm_path: Path) -> None:
    for bad in ("abi.replicas=lots", "gateway.grpcPort=70000", "milvus.uri=not-a-url", "logLevel=LOUD"):
        with pytest.raises(AssertionError, match="schema"):
            render(sets=(bad,))


def test_plaintext_api_key_is_refused(helm_path: Path, tmp_path: Path) -> None:
    values = tmp_path / "keys.yaml"
    values.write_text(
        yaml.safe_dump({"gateway": {"auth": {"apiKeys": [{"user": "a", "role": "admin", "sha256": "pm_secret"}]}}})
    )
    with pytest.raises(AssertionError, match="sha256"):
        render(values)


def test_termination_grace_must_outlast_the_drain(helm_path: Path) -> None:
    with pytest.raises(AssertionError, match="terminationGracePeriodSeconds"):
        render(sets=("drain.terminationGracePeriodSeconds=20", "drain.graceSeconds=30", "drain.delaySeconds=5"))


def test_install_notes_render_and_warn_when_nobody_can_get_in(helm_path: Path) -> None:
    """NOTES.txt is only rendered by install; a client-side dry run needs no cluster."""
    args = ["install", "pm", str(CHART), "--dry-run=client", "--namespace", NAMESPACE]
    bare = helm(*args).stdout
    assert "port-forward svc/pm-persona-mesh-gateway 8080:80" in bare
    assert "WARNING: no API keys are configured" in bare
    configured = helm(*args, "--values", str(PRODUCTION_VALUES)).stdout
    assert "Milvus at http://milvus.milvus.svc.cluster.local:19530" in configured
    assert "WARNING: no API keys" not in configured


def test_default_persona_must_be_deployed(helm_path: Path) -> None:
    with pytest.raises(AssertionError, match="defaultPersona"):
        render(sets=("personas.abbey.enabled=false",))
    with pytest.raises(AssertionError, match="defaultPersona"):
        render(sets=("gateway.defaultPersona=nobody",))
    render(sets=("personas.abbey.enabled=false", "gateway.defaultPersona=aviva"))


# ---- workloads ----


def test_one_workload_per_component(chart: Rendered) -> None:
    assert {component_of(w) for w in chart.workloads()} == COMPONENTS
    assert {module_of(w) for w in chart.workloads()} == {
        "services.embeddings",
        "services.abi",
        "services.abbey",
        "services.aviva",
        "gateway",
    }


def test_probes_are_native_grpc_on_the_grpc_port(chart: Rendered) -> None:
    for workload in chart.workloads():
        container = main_container(workload)
        grpc_port = container_port(workload, "grpc")
        assert grpc_port is not None
        assert container["env"][0] == {"name": "PM_PORT", "value": str(grpc_port)}
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"] == {"port": grpc_port}, (component_of(workload), probe)
            assert set(container[probe]) & {"httpGet", "exec", "tcpSocket"} == set()
        # Readiness must notice NOT_SERVING (drain) well within the drain delay's reach.
        assert container["readinessProbe"]["periodSeconds"] <= 10


def test_component_probe_overrides_merge_over_the_global_probes(default_chart: Rendered) -> None:
    embeddings = main_container(default_chart.workload("embeddings"))
    abi = main_container(default_chart.workload("abi"))
    # The index may take longer to open its store; everything else about its probes is the global setting.
    assert embeddings["startupProbe"]["failureThreshold"] > abi["startupProbe"]["failureThreshold"]
    assert embeddings["startupProbe"]["periodSeconds"] == abi["startupProbe"]["periodSeconds"]
    assert embeddings["livenessProbe"] == {**abi["livenessProbe"], "grpc": embeddings["livenessProbe"]["grpc"]}


def test_containers_run_locked_down(chart: Rendered) -> None:
    for workload in chart.workloads():
        pod = pod_spec(workload)
        container = main_container(workload)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert pod["automountServiceAccountToken"] is False
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        assert "add" not in security["capabilities"]
        # A read-only root needs a writable /tmp.
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]]


def test_replicas_prefer_different_nodes(chart: Rendered) -> None:
    for workload in chart.workloads():
        constraints = pod_spec(workload)["topologySpreadConstraints"]
        assert constraints, component_of(workload)
        labels = workload["spec"]["template"]["metadata"]["labels"]
        for constraint in constraints:
            assert constraint["whenUnsatisfiable"] == "ScheduleAnyway", "a hard spread could leave pods pending"
            assert constraint["labelSelector"]["matchLabels"].items() <= labels.items()


def test_default_spread_is_over_nodes_and_values_can_replace_it(
    default_chart: Rendered, production_chart: Rendered
) -> None:
    for workload in default_chart.workloads():
        (constraint,) = pod_spec(workload)["topologySpreadConstraints"]
        assert constraint["topologyKey"] == "kubernetes.io/hostname"
    (zonal,) = pod_spec(production_chart.workload("gateway"))["topologySpreadConstraints"]
    assert zonal["topologyKey"] == "topology.kubernetes.io/zone"


def test_helm_test_pod_checks_every_component_locked_down(chart: Rendered) -> None:
    (pod,) = chart.of_kind("Pod")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    spec = pod["spec"]
    assert spec["restartPolicy"] == "Never"
    assert spec["securityContext"]["runAsNonRoot"] is True
    (container,) = spec["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["command"][:2] == ["python", "-c"]
    assert container["command"][2] == (CHART / "files" / "health_check.py").read_text()
    env = {e["name"]: e["value"] for e in container["env"]}
    targets = dict(item.split("=", 1) for item in env["PM_CHECK_TARGETS"].split(","))
    assert set(targets) == COMPONENTS
    for component, address in targets.items():
        service, port = chart.service_for(address, NAMESPACE)
        (service_port,) = [p for p in service["spec"]["ports"] if p["port"] == port]
        assert service_port["targetPort"] == "grpc"
        assert [component_of(w) for w in chart.pods_behind(service)] == [component]


def test_resources_are_requested_and_limited(chart: Rendered) -> None:
    for workload in chart.workloads():
        resources = main_container(workload)["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]), component_of(workload)
        assert "memory" in resources["limits"], component_of(workload)


def test_termination_grace_exceeds_the_services_drain(chart: Rendered) -> None:
    for workload in chart.workloads():
        env = chart.env(component_of(workload))
        drain = float(env["PM_DRAIN_DELAY_SECONDS"]) + float(env["PM_GRACE_SECONDS"])
        assert drain > 0
        assert pod_spec(workload)["terminationGracePeriodSeconds"] > drain
        # The drain is the service's own (NOT_SERVING, then stop): no preStop hook.
        assert "lifecycle" not in main_container(workload)


def test_image_is_shared_and_pinned(chart: Rendered) -> None:
    images = {main_container(w)["image"] for w in chart.workloads()}
    assert len(images) == 1
    (image,) = images
    assert not image.endswith(":latest")
    assert ":" in image.rsplit("/", 1)[-1] or "@sha256:" in image


# ---- the embedding index and its data ----


def test_milvus_lite_means_one_stateful_replica_with_a_volume(default_chart: Rendered) -> None:
    embeddings = default_chart.workload("embeddings")
    assert embeddings["kind"] == "StatefulSet"
    assert embeddings["spec"]["replicas"] == 1
    (claim,) = embeddings["spec"]["volumeClaimTemplates"]
    mount = next(m for m in main_container(embeddings)["volumeMounts"] if m["name"] == claim["metadata"]["name"])
    env = default_chart.env("embeddings")
    assert env["PM_DATA_DIR"] == mount["mountPath"]
    assert "PM_MILVUS_URI" not in env
    # No autoscaler or manual scale path may add a second milvus-lite opener.
    assert not [h for h in default_chart.of_kind("HorizontalPodAutoscaler") if component_of(h) == "embeddings"]
    # The StatefulSet's governing Service exists and is headless.
    governing = default_chart.get("Service", embeddings["spec"]["serviceName"])
    assert governing["spec"]["clusterIP"] == "None"


def test_milvus_lite_stays_single_even_if_more_replicas_are_asked(helm_path: Path) -> None:
    rendered = Rendered(render(sets=("embeddings.replicas=5",), namespace=NAMESPACE))
    assert rendered.workload("embeddings")["spec"]["replicas"] == 1


def test_milvus_uri_means_a_scalable_deployment(production_chart: Rendered) -> None:
    embeddings = production_chart.workload("embeddings")
    assert embeddings["kind"] == "Deployment"
    assert embeddings["spec"]["replicas"] == 3
    assert "volumeClaimTemplates" not in embeddings["spec"]
    env = production_chart.env("embeddings")
    assert env["PM_MILVUS_URI"] == "http://milvus.milvus.svc.cluster.local:19530"
    assert env["PM_MILVUS_DB"] == "persona_mesh"
    assert env["PM_MILVUS_TOKEN"] == {"secretKeyRef": {"name": "persona-mesh-milvus", "key": "token"}}


# ---- addresses and discovery ----


def _assert_reaches(chart: Rendered, address: str, component: str) -> None:
    service, port = chart.service_for(address, NAMESPACE)
    (service_port,) = [p for p in service["spec"]["ports"] if p["port"] == port]
    assert service_port["targetPort"] == "grpc"
    behind = chart.pods_behind(service)
    assert [component_of(w) for w in behind] == [component], address
    assert container_port(behind[0], "grpc") == port


def test_every_service_gets_the_addresses_it_needs(chart: Rendered) -> None:
    for component in COMPONENTS - {"embeddings"}:
        env = chart.env(component)
        _assert_reaches(chart, env["PM_EMBEDDINGS_ADDR"], "embeddings")
        _assert_reaches(chart, env["PM_ABI_ADDR"], "abi")
    gateway = chart.env("gateway")
    assert gateway["PM_HTTP_PORT"] == str(container_port(chart.workload("gateway"), "http"))
    discovered = json.loads(gateway["PM_PERSONA_DNS"])
    assert set(discovered) == {"abbey", "aviva"}
    for persona, address in discovered.items():
        _assert_reaches(chart, address, persona)
        service, _ = chart.service_for(address, NAMESPACE)
        # Headless: DNS answers with every ready pod, so the gateway sees each replica.
        assert service["spec"]["clusterIP"] == "None"
    # The registry's loopback ports are not used in a cluster, so only DNS declares replicas.
    assert gateway["PM_LOCAL_REPLICAS"] == "false"


def test_services_bind_all_interfaces_and_anonymous_access_is_off(chart: Rendered) -> None:
    for component in COMPONENTS:
        assert chart.env(component)["PM_HOST"] == "0.0.0.0"
    assert chart.env("gateway")["PM_ALLOW_ANONYMOUS"] == "false"


def _ada_values(tmp_path: Path, **more: object) -> Path:
    """Values adding a persona "ada" (and dropping aviva): a new persona is only this entry."""
    values = tmp_path / "ada.yaml"
    values.write_text(
        yaml.safe_dump(
            {
                "personas": {
                    "ada": {
                        "enabled": True,
                        "module": "services.abbey",
                        "port": 50081,
                        "replicas": 1,
                        "autoscaling": {
                            "enabled": False,
                            "minReplicas": 1,
                            "maxReplicas": 2,
                            "targetCPUUtilizationPercentage": 70,
                        },
                        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                        "env": {},
                        "podDisruptionBudget": {"enabled": False, "maxUnavailable": 1},
                    },
                    "aviva": {"enabled": False},
                },
                **more,
            }
        )
    )
    return values


def test_a_new_persona_is_only_a_values_entry(helm_path: Path, tmp_path: Path) -> None:
    values = _ada_values(tmp_path)
    rendered = Rendered(render(values, namespace=NAMESPACE))
    assert {component_of(w) for w in rendered.workloads()} == {"embeddings", "abi", "abbey", "ada", "gateway"}
    discovered = json.loads(rendered.env("gateway")["PM_PERSONA_DNS"])
    assert set(discovered) == {"abbey", "ada"}
    _assert_reaches(rendered, discovered["ada"], "ada")


# ---- secrets and settings ----


def test_secrets_come_from_existing_secrets(production_chart: Rendered) -> None:
    personas = [production_chart.env(p) for p in ("abbey", "aviva")]
    for env in personas:
        assert env["PM_LLM_BASE_URL"] == "http://vllm.llm.svc.cluster.local:8000/v1"
        assert env["PM_LLM_API_KEY"] == {"secretKeyRef": {"name": "persona-mesh-llm", "key": "api-key"}}
    gateway = production_chart.env("gateway")
    assert gateway["PM_RATE_LIMIT_STORAGE"] == {"secretKeyRef": {"name": "persona-mesh-redis", "key": "redis-url"}}
    # No secret value is ever written into a ConfigMap.
    for config_map in production_chart.of_kind("ConfigMap"):
        assert not any(key.endswith(("_API_KEY", "_TOKEN", "_API_KEYS")) for key in config_map["data"])


def test_api_keys_are_stored_hashed_and_mounted(production_chart: Rendered) -> None:
    secret = production_chart.get("Secret", "pm-persona-mesh-gateway-auth")
    table = json.loads(secret["stringData"]["api-keys.json"])
    assert table["keys"][0] == "sha256:" + hashlib.sha256(b"test").hexdigest() + ":ops:admin"
    gateway = production_chart.workload("gateway")
    path = production_chart.env("gateway")["PM_API_KEYS_FILE"]
    mount = next(m for m in main_container(gateway)["volumeMounts"] if path.startswith(m["mountPath"] + "/"))
    assert mount["readOnly"] is True
    volume = next(v for v in pod_spec(gateway)["volumes"] if v["name"] == mount["name"])
    assert volume["secret"]["secretName"] == secret["metadata"]["name"]


def test_abi_rules_come_from_a_hot_reloaded_config_map(helm_path: Path) -> None:
    rules_file = REPO / "services" / "abi" / "default_rules.yaml"
    rendered = Rendered(render(set_files=(f"abi.rules={rules_file}",), namespace=NAMESPACE))
    for obj in rendered.objects:
        kubernetes_validate.validate(obj, KUBERNETES_VERSIONS[0], strict=True)
    abi = rendered.workload("abi")
    path = rendered.env("abi")["PM_ABI_RULES_PATH"]
    mount = next(m for m in main_container(abi)["volumeMounts"] if path.startswith(m["mountPath"] + "/"))
    volume = next(v for v in pod_spec(abi)["volumes"] if v["name"] == mount["name"])
    config_map = rendered.get("ConfigMap", volume["configMap"]["name"])
    assert config_map["data"][path.rsplit("/", 1)[1]] == rules_file.read_text()
    # The default render ships no rules ConfigMap and leaves the service's own rules in place.
    assert "PM_ABI_RULES_PATH" not in Rendered(render(namespace=NAMESPACE)).env("abi")


def test_api_keys_from_an_existing_secret(helm_path: Path) -> None:
    rendered = Rendered(render(sets=("gateway.auth.existingSecret=my-keys", "gateway.auth.apiKeysKey=keys.yaml")))
    assert [s["metadata"]["name"] for s in rendered.of_kind("Secret")] == ["pm-persona-mesh-internal-auth"]
    gateway = rendered.workload("gateway")
    assert rendered.env("gateway")["PM_API_KEYS_FILE"] == "/etc/persona-mesh/auth/keys.yaml"
    (volume,) = [v for v in pod_spec(gateway)["volumes"] if v["name"] == "auth"]
    assert volume["secret"]["secretName"] == "my-keys"
    assert volume["secret"]["items"] == [{"key": "keys.yaml", "path": "keys.yaml"}]
    # Without any keys the gateway gets no key file (and NOTES warns that nobody can get in).
    assert "PM_API_KEYS_FILE" not in Rendered(render()).env("gateway")


def _internal_secret_of(chart: Rendered, workload: dict) -> tuple[str, str]:
    """(Secret name, key) of the file PM_INTERNAL_SECRET_FILE names in this workload's pod."""
    path = chart.env(component_of(workload))["PM_INTERNAL_SECRET_FILE"]
    directory, _, file = path.rpartition("/")
    mount = next(m for m in main_container(workload)["volumeMounts"] if m["mountPath"] == directory)
    assert mount["readOnly"] is True
    volume = next(v for v in pod_spec(workload)["volumes"] if v["name"] == mount["name"])
    (item,) = [i for i in volume["secret"]["items"] if i["path"] == file]
    # Readable by the pod's group (fsGroup) only: the services run as a non-root user.
    assert volume["secret"]["defaultMode"] == 0o440
    return volume["secret"]["secretName"], item["key"]


def test_every_pod_mounts_the_one_internal_secret(chart: Rendered) -> None:
    """The gateway signs internal calls and every service verifies them with the same mounted secret."""
    mounted = {component_of(w): _internal_secret_of(chart, w) for w in chart.workloads()}
    assert set(mounted) == COMPONENTS
    ((name, key),) = set(mounted.values())
    secret = chart.get("Secret", name)
    value = base64.b64decode(secret["data"][key])
    assert len(value) >= 32 and value.isalnum()  # random, long enough for InternalAuth
    # Never in a ConfigMap or a plain env value.
    for workload in chart.workloads():
        assert "PM_INTERNAL_SECRET" not in chart.env(component_of(workload))


def test_the_internal_secret_is_random_per_install(helm_path: Path) -> None:
    """Two installs never share a secret (an upgrade keeps its own through `lookup`, which needs a cluster)."""
    first, second = (Rendered(render()).get("Secret", "pm-persona-mesh-internal-auth") for _ in range(2))
    assert first["data"] != second["data"]


def test_config_changes_roll_the_pods(helm_path: Path) -> None:
    before = Rendered(render(namespace=NAMESPACE)).workload("abi")
    after = Rendered(render(sets=("logLevel=DEBUG",), namespace=NAMESPACE)).workload("abi")
    annotation = "checksum/config"
    assert (
        before["spec"]["template"]["metadata"]["annotations"][annotation]
        != (after["spec"]["template"]["metadata"]["annotations"][annotation])
    )


# ---- availability, scaling, monitoring, network ----


def test_disruption_budgets_cover_every_component(chart: Rendered) -> None:
    budgets = chart.of_kind("PodDisruptionBudget")
    covered = set()
    for budget in budgets:
        selector = budget["spec"]["selector"]["matchLabels"]
        matched = [
            w for w in chart.workloads() if selector.items() <= w["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(matched) == 1
        covered.add(component_of(matched[0]))
        assert budget["spec"]["maxUnavailable"] == 1
    assert covered == COMPONENTS


def test_autoscalers_own_replicas_when_enabled(production_chart: Rendered, default_chart: Rendered) -> None:
    assert default_chart.of_kind("HorizontalPodAutoscaler") == []
    scaled = {}
    for hpa in production_chart.of_kind("HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        workload = production_chart.get(target["kind"], target["name"])
        assert "replicas" not in workload["spec"], "a fixed replica count would fight the autoscaler"
        scaled[component_of(workload)] = hpa["spec"]["minReplicas"]
    assert scaled == {"abbey": 3, "aviva": 3, "gateway": 3}


def test_metrics_ports_and_service_monitor(production_chart: Rendered) -> None:
    for workload in production_chart.workloads():
        component = component_of(workload)
        env = production_chart.env(component)
        if component == "gateway":
            # The gateway serves /metrics on its HTTP port.
            assert env["PM_METRICS_PORT"] == "-1"
            assert container_port(workload, "http") is not None
        else:
            grpc_port = container_port(workload, "grpc")
            assert grpc_port is not None
            assert env["PM_METRICS_PORT"] == str(grpc_port + 1000)
            assert container_port(workload, "metrics") == grpc_port + 1000
    (monitor,) = production_chart.of_kind("ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert {(e["port"], e["path"]) for e in monitor["spec"]["endpoints"]} == {
        ("metrics", "/metrics"),
        ("http", "/metrics"),
    }
    selector = monitor["spec"]["selector"]["matchLabels"]
    scraped = [s for s in production_chart.of_kind("Service") if selector.items() <= s["metadata"]["labels"].items()]
    scraped_components = {component_of(s) for s in scraped}
    assert scraped_components == COMPONENTS
    for service in scraped:
        names = {p["name"] for p in service["spec"]["ports"]}
        assert names & {"metrics", "http"}, service["metadata"]["name"]


def test_metrics_can_be_turned_off(helm_path: Path) -> None:
    rendered = Rendered(render(sets=("metrics.enabled=false",), namespace=NAMESPACE))
    assert rendered.env("abi")["PM_METRICS_PORT"] == "-1"
    assert container_port(rendered.workload("abi"), "metrics") is None


# Who may open a connection to each component's gRPC port: one NetworkPolicy rule per edge of the mesh.
EDGES = {
    "gateway": None,  # networkPolicy.gatewayFrom
    "abi": {"gateway"},
    "abbey": {"gateway"},
    "aviva": {"gateway"},
    "embeddings": {"gateway", "abi", "abbey", "aviva"},
}


def _grpc_callers(policy: dict, grpc_port: int) -> set[str]:
    """Components admitted to grpc_port by a podSelector-only rule of this release."""
    rules = [r for r in policy["spec"]["ingress"] if {"port": grpc_port, "protocol": "TCP"} in r["ports"]]
    (rule,) = rules
    (peer,) = rule["from"]
    assert set(peer) == {"podSelector"}, "no namespace-wide or IP peers on an in-mesh port"
    selector = peer["podSelector"]
    assert selector["matchLabels"] == {"app.kubernetes.io/name": "persona-mesh", "app.kubernetes.io/instance": "pm"}
    (expression,) = selector["matchExpressions"]
    assert (expression["key"], expression["operator"]) == ("app.kubernetes.io/component", "In")
    return set(expression["values"])


def test_network_policies_admit_only_the_edges_of_the_mesh(production_chart: Rendered, default_chart: Rendered) -> None:
    assert default_chart.of_kind("NetworkPolicy") == []
    policies = {component_of(p): p for p in production_chart.of_kind("NetworkPolicy")}
    assert set(policies) == COMPONENTS
    for component, policy in policies.items():
        workload = production_chart.workload(component)
        assert policy["spec"]["podSelector"]["matchLabels"].items() <= (
            workload["spec"]["template"]["metadata"]["labels"].items()
        )
        assert policy["spec"]["policyTypes"] == ["Ingress"]
        grpc_port = container_port(workload, "grpc")
        assert grpc_port is not None
        rules = policy["spec"]["ingress"]
        if component == "gateway":
            grpc_rule = next(r for r in rules if {"port": grpc_port, "protocol": "TCP"} in r["ports"])
            assert grpc_rule["from"] == [
                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
            ]
            # Prometheus scrapes the gateway's /metrics on its HTTP port.
            http_port = container_port(workload, "http")
            scrape_rule = next(
                r for r in rules if r["ports"] == [{"port": http_port, "protocol": "TCP"}] and r != grpc_rule
            )
            assert scrape_rule["from"][0]["namespaceSelector"]["matchLabels"] == {
                "kubernetes.io/metadata.name": "monitoring"
            }
            continue
        # The callers of this component, and the `helm test` pod (health checks; it holds no internal secret).
        callers = EDGES[component]
        assert callers is not None, component  # only the gateway's callers are configured, not listed
        assert _grpc_callers(policy, grpc_port) == callers | {"health-check"}, component
        metrics_rule = next(r for r in rules if {"port": grpc_port + 1000, "protocol": "TCP"} in r["ports"])
        assert metrics_rule["from"][0]["namespaceSelector"]["matchLabels"] == {
            "kubernetes.io/metadata.name": "monitoring"
        }
        # Every rule is either the callers' gRPC rule or the scrapers' metrics rule.
        assert len(rules) == 2


def test_network_policy_callers_are_real_pods(production_chart: Rendered) -> None:
    """Each admitted caller label is a component this release deploys (or the helm test pod): a renamed
    component would otherwise silently lose its edge."""
    deployed = {component_of(w) for w in production_chart.workloads()}
    (test_pod,) = production_chart.of_kind("Pod")
    deployed.add(component_of(test_pod))
    for policy in production_chart.of_kind("NetworkPolicy"):
        component = component_of(policy)
        if component != "gateway":
            grpc_port = container_port(production_chart.workload(component), "grpc")
            assert grpc_port is not None
            assert _grpc_callers(policy, grpc_port) <= deployed


def test_a_new_persona_gets_the_persona_edges(helm_path: Path, tmp_path: Path) -> None:
    rendered = Rendered(render(_ada_values(tmp_path, networkPolicy={"enabled": True}), namespace=NAMESPACE))
    policies = {component_of(p): p for p in rendered.of_kind("NetworkPolicy")}
    assert set(policies) == {"embeddings", "abi", "abbey", "ada", "gateway"}
    assert _grpc_callers(policies["ada"], 50081) == {"gateway", "health-check"}
    assert _grpc_callers(policies["embeddings"], 50053) == {"gateway", "abi", "abbey", "ada", "health-check"}
