"""The chart's rendered configuration, run for real: it boots a working mesh and drains it in time.

tests/helm/chart_mesh.py starts every component with its rendered pod environment,
mapped onto loopback. If the chart names a setting wrongly, points an address at the
wrong Service, or writes the key table in a format the gateway cannot read, this mesh
does not come up or does not answer.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest

from personamesh.v1 import abi_service_pb2, abi_service_pb2_grpc
from services.common.errors import error_reason
from services.devmesh.processes import free_port
from tests.helm.chart_mesh import API_KEY, BootedMesh, boot_chart_mesh
from tests.helm.manifests import main_container, pod_spec


@pytest.fixture(scope="module")
def booted(tmp_path_factory: pytest.TempPathFactory, helm_path: Path) -> Iterator[BootedMesh]:
    mesh = boot_chart_mesh(tmp_path_factory.mktemp("chart-mesh"), ("embeddings.knowledgeSeed=off",))
    yield mesh
    mesh.kill_all()


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {API_KEY}"}


def test_the_hashed_key_table_admits_its_key_only(booted: BootedMesh) -> None:
    with httpx.Client(base_url=booted.http_url, timeout=10) as http:
        me = http.get("/api/v1/whoami", headers=_auth())
        assert me.status_code == 200, me.text
        assert me.json() == {"user_id": "ops", "role": "admin", "authenticated": True}
        assert http.get("/api/v1/whoami").status_code == 401  # PM_ALLOW_ANONYMOUS=false
        assert http.get("/api/v1/whoami", headers={"Authorization": "Bearer pm_wrong"}).status_code == 401


def test_the_gateway_discovers_each_persona_through_its_dns_setting(booted: BootedMesh) -> None:
    discovered = json.loads(booted.env["gateway"]["PM_PERSONA_DNS"])
    assert set(discovered) == {"abbey", "aviva"}
    deadline = time.monotonic() + 30
    with httpx.Client(base_url=booted.http_url, timeout=10) as http:
        while True:
            listed = {p["name"]: p for p in http.get("/api/v1/personas", headers=_auth()).json()["personas"]}
            healthy = {name: p["replicas_healthy"] for name, p in listed.items()}
            if healthy == {"abbey": 1, "aviva": 1} or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert healthy == {"abbey": 1, "aviva": 1}
    assert {name: p["replicas_total"] for name, p in listed.items()} == {"abbey": 1, "aviva": 1}


def test_a_chat_crosses_the_whole_mesh(booted: BootedMesh) -> None:
    with httpx.Client(base_url=booted.http_url, timeout=30) as http:
        reply = http.post(
            "/api/v1/chat",
            headers=_auth(),
            json={"content": "How do I reverse a list in Python?", "session_id": "chart-boot"},
        )
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["persona"] in {"abbey", "aviva"}
        assert body["content"].strip()


def test_internal_calls_are_signed_with_the_mounted_secret(booted: BootedMesh) -> None:
    """Every component reads the chart's internal secret from its Secret volume: the gateway's signed
    rules call reaches Abi, while a direct call that only claims the admin role is refused."""
    paths = {name: env["PM_INTERNAL_SECRET_FILE"] for name, env in booted.env.items()}
    assert len({Path(path).read_text() for path in paths.values()}) == 1, paths
    with httpx.Client(base_url=booted.http_url, timeout=10) as http:
        rules = http.get("/api/v1/config/rules", headers=_auth())
        assert rules.status_code == 200, rules.text
        assert rules.json()["rule_count"] > 0
    with grpc.insecure_channel(booted.processes["abi"].target) as channel, pytest.raises(grpc.RpcError) as refused:
        abi_service_pb2_grpc.AbiServiceStub(channel).GetRules(
            abi_service_pb2.GetRulesRequest(), metadata=(("x-pm-role", "admin"),), timeout=10
        )
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error_reason(refused.value) == "INTERNAL_TOKEN_MISSING"


def test_metrics_are_where_the_service_monitor_looks(booted: BootedMesh) -> None:
    with httpx.Client(timeout=10) as http:
        gateway = http.get(f"{booted.http_url}/metrics")
        assert gateway.status_code == 200
        for name in ("embeddings", "abi", "abbey", "aviva"):
            port = booted.env[name]["PM_METRICS_PORT"]
            scraped = http.get(f"http://127.0.0.1:{port}/metrics")
            assert scraped.status_code == 200, name
            assert "grpc_server_handled_total" in scraped.text, name


def test_the_helm_test_pod_script_passes_on_a_healthy_mesh(booted: BootedMesh) -> None:
    """The `helm test` pod's own script, with its Service addresses mapped like the pods' env."""
    (pod,) = booted.chart.of_kind("Pod")
    (container,) = pod["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    ports = {name: int(e["PM_PORT"]) for name, e in booted.env.items()}
    targets = ",".join(
        f"{name}=127.0.0.1:{ports[name]}" for name in (i.split("=")[0] for i in env["PM_CHECK_TARGETS"].split(","))
    )
    script = container["command"][2]

    def run(check_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", script], env={**os.environ, **check_env}, capture_output=True, text=True, timeout=60
        )

    deadline = time.monotonic() + 30
    while True:  # /readyz waits for a healthy persona replica
        passed = run({"PM_CHECK_TARGETS": targets, "PM_CHECK_HTTP": f"{booted.http_url}/readyz"})
        if passed.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert passed.stdout.count(": SERVING") == len(ports) + 1
    failed = run({"PM_CHECK_TARGETS": f"{targets},ghost=127.0.0.1:{free_port()}", "PM_CHECK_HTTP": ""})
    assert failed.returncode == 1
    assert "ghost 127.0.0.1" in failed.stdout and "unreachable" in failed.stdout


def test_every_service_drains_within_its_termination_grace(booted: BootedMesh) -> None:
    """SIGTERM as the kubelet sends it: each process exits 0 before SIGKILL would come."""
    started = time.monotonic()
    for process in booted.processes.values():
        process.signal(signal.SIGTERM)
    for name, process in booted.processes.items():
        grace = pod_spec(booted.chart.workload(name))["terminationGracePeriodSeconds"]
        assert process.process is not None
        remaining = max(0.1, grace - (time.monotonic() - started))
        code = process.process.wait(timeout=remaining)
        assert code == 0, f"{name} exited {code}; {process.log_hint()}"
    # Every container got the same grace from the chart, and the drain took at least its delay.
    elapsed = time.monotonic() - started
    assert elapsed >= float(booted.env["abi"]["PM_DRAIN_DELAY_SECONDS"]) - 0.5
    assert all("lifecycle" not in main_container(w) for w in booted.chart.workloads())
