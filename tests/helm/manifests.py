"""Small lookups over rendered Kubernetes objects, so the chart tests read like the properties they check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]
WORKLOAD_KINDS = ("Deployment", "StatefulSet")


@dataclass
class Rendered:
    """One `helm template` output."""

    objects: list[Obj]

    def of_kind(self, kind: str) -> list[Obj]:
        return [o for o in self.objects if o["kind"] == kind]

    def get(self, kind: str, name: str) -> Obj:
        found = [o for o in self.of_kind(kind) if o["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
        return found[0]

    def workloads(self) -> list[Obj]:
        return [o for o in self.objects if o["kind"] in WORKLOAD_KINDS]

    def workload(self, component: str) -> Obj:
        found = [w for w in self.workloads() if component_of(w) == component]
        assert len(found) == 1, f"expected one workload for {component}, found {len(found)}"
        return found[0]

    def env(self, component: str) -> dict[str, Any]:
        """The container's effective environment: ConfigMap envFrom first, then env (which wins)."""
        container = main_container(self.workload(component))
        merged: dict[str, Any] = {}
        for source in container.get("envFrom", []):
            config_map = self.get("ConfigMap", source["configMapRef"]["name"])
            merged.update(config_map["data"])
        for var in container.get("env", []):
            merged[var["name"]] = var.get("value", var.get("valueFrom"))
        return merged

    def service_for(self, address: str, namespace: str) -> tuple[Obj, int]:
        """The Service a 'name.namespace.svc.cluster.local:port' address reaches, and the port."""
        host, _, port = address.rpartition(":")
        name, ns, svc, *_ = host.split(".")
        assert (ns, svc) == (namespace, "svc"), f"{address} is not a Service address in {namespace}"
        return self.get("Service", name), int(port)

    def pods_behind(self, service: Obj) -> list[Obj]:
        """Workloads whose pod labels the Service selects."""
        selector = service["spec"]["selector"]
        return [w for w in self.workloads() if selector.items() <= w["spec"]["template"]["metadata"]["labels"].items()]


def component_of(obj: Obj) -> str:
    return str(obj["metadata"]["labels"]["app.kubernetes.io/component"])


def pod_spec(workload: Obj) -> Obj:
    return workload["spec"]["template"]["spec"]


def main_container(workload: Obj) -> Obj:
    containers = pod_spec(workload)["containers"]
    assert len(containers) == 1, "each component runs one container"
    return containers[0]


def container_port(workload: Obj, name: str) -> int | None:
    for port in main_container(workload).get("ports", []):
        if port["name"] == name:
            return int(port["containerPort"])
    return None


def module_of(workload: Obj) -> str:
    """The X of the container's `python -m X`."""
    command = main_container(workload)["command"]
    assert command[:2] == ["python", "-m"], command
    return str(command[2])
