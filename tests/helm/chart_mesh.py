"""Boot the mesh from the chart's rendered pod environments, on loopback.

Each component is started as `python -m <the chart's module>` with exactly the
environment its rendered pod would get (ConfigMap + container env + the rendered
Secrets as files: the API key table, the mesh's internal secret), changed only
where a cluster differs from loopback: Service DNS names become 127.0.0.1 and the
free port of the component behind that Service, container ports become free ports,
/data and the Secret mounts become temporary directories. Used by tests/helm and the helm benchmark.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from services.devmesh.processes import ServiceProcess, free_port
from tests.helm.manifests import Rendered, component_of, container_port, main_container, module_of, pod_spec
from tests.helm.tools import NAMESPACE, render

API_KEY = "pm_chart-boot-test-key"
START_ORDER = [["embeddings"], ["abi", "abbey", "aviva"], ["gateway"]]
SERVICE_ADDRESS = re.compile(r"([a-z0-9-]+)\." + NAMESPACE + r"\.svc\.cluster\.local:(\d+)")


@dataclass
class BootedMesh:
    """A running mesh configured by the chart."""

    chart: Rendered
    env: dict[str, dict[str, str]]
    http_url: str
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    # Seconds from process start to SERVING, per component.
    startup_seconds: dict[str, float] = field(default_factory=dict)

    def kill_all(self) -> None:
        for process in self.processes.values():
            if process.alive():
                process.kill()


SECRET_FILES = ("PM_API_KEYS_FILE", "PM_INTERNAL_SECRET_FILE")


def _project_secret_file(chart: Rendered, component: str, mounted: Path, tmp: Path) -> Path:
    """The file a Secret volume puts at `mounted` in the component's pod, written as the kubelet would."""
    workload = chart.workload(component)
    (mount,) = [m for m in main_container(workload)["volumeMounts"] if mounted.parent == Path(m["mountPath"])]
    (volume,) = [v for v in pod_spec(workload)["volumes"] if v["name"] == mount["name"]]
    (item,) = [i for i in volume["secret"]["items"] if i["path"] == mounted.name]
    secret = chart.get("Secret", volume["secret"]["secretName"])
    if item["key"] in secret.get("stringData", {}):
        content = secret["stringData"][item["key"]].encode()
    else:
        content = base64.b64decode(secret["data"][item["key"]])
    local = tmp / "secrets" / mount["name"] / mounted.name
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_bytes(content)
    return local


def _local_env(chart: Rendered, component: str, ports: dict[str, int], tmp: Path) -> dict[str, str]:
    """The pod's environment with cluster addresses and paths mapped onto this machine."""
    env: dict[str, str] = {}
    for name, value in chart.env(component).items():
        assert isinstance(value, str), f"{component}: {name} comes from a Secret this test does not have"
        env[name] = value

    def to_loopback(match: re.Match[str]) -> str:
        service = chart.get("Service", match.group(1))
        (behind,) = chart.pods_behind(service)
        assert container_port(behind, "grpc") == int(match.group(2))
        return f"127.0.0.1:{ports[component_of(behind)]}"

    env = {name: SERVICE_ADDRESS.sub(to_loopback, value) for name, value in env.items()}
    assert env["PM_HOST"] == "0.0.0.0"
    env["PM_HOST"] = "127.0.0.1"  # never listen beyond loopback on a shared machine
    env["PM_PORT"] = str(ports[component])
    if env.get("PM_METRICS_PORT", "-1") != "-1":
        env["PM_METRICS_PORT"] = str(free_port())
    if "PM_HTTP_PORT" in env:
        env["PM_HTTP_PORT"] = str(ports["gateway-http"])
    if "PM_DATA_DIR" in env:
        env["PM_DATA_DIR"] = str(tmp / "data")  # the PersistentVolumeClaim
    for name in SECRET_FILES:
        if name in env:  # a file of a Secret volume, as the kubelet would project it
            env[name] = str(_project_secret_file(chart, component, Path(env[name]), tmp))
    # The image's environment: $HOME on the writable /tmp, no bytecode writes.
    env["HOME"] = str(tmp / "home")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def boot_chart_mesh(tmp: Path, extra_sets: tuple[str, ...] = ()) -> BootedMesh:
    """Render the chart (with one admin key, API_KEY) and start every component; the caller stops them."""
    chart = Rendered(
        render(
            sets=(
                "gateway.auth.apiKeys[0].user=ops",
                "gateway.auth.apiKeys[0].role=admin",
                f"gateway.auth.apiKeys[0].sha256={hashlib.sha256(API_KEY.encode()).hexdigest()}",
                *extra_sets,
            ),
            namespace=NAMESPACE,
        )
    )
    ports = {name: free_port() for group in START_ORDER for name in group} | {"gateway-http": free_port()}
    envs = {name: _local_env(chart, name, ports, tmp) for group in START_ORDER for name in group}
    mesh = BootedMesh(chart, envs, f"http://127.0.0.1:{ports['gateway-http']}")
    try:
        for group in START_ORDER:
            started = time.monotonic()
            for name in group:
                module = module_of(chart.workload(name))
                mesh.processes[name] = ServiceProcess(name, module, ports[name], envs[name], tmp / "logs")
                mesh.processes[name].start()
            for name in group:
                mesh.processes[name].wait_serving(timeout=180)
                mesh.startup_seconds[name] = round(time.monotonic() - started, 2)
    except BaseException:
        mesh.kill_all()
        raise
    return mesh
