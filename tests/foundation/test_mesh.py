"""The whole mesh as `make run` starts it: every port healthy, reflective, and draining on SIGTERM."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from services.devmesh.processes import health_status
from services.devmesh.topology import MeshLayout, free_ports
from tests.conftest import RunningMesh

EXPECTED_SERVICE = {
    "embeddings": "personamesh.v1.EmbeddingIndexService",
    "abi": "personamesh.v1.AbiService",
    "abbey-1": "personamesh.v1.PersonaService",
    "abbey-2": "personamesh.v1.PersonaService",
    "aviva-1": "personamesh.v1.PersonaService",
    "aviva-2": "personamesh.v1.PersonaService",
    "gateway": "personamesh.v1.GatewayService",
}


@pytest.mark.parametrize("name", sorted(EXPECTED_SERVICE))
def test_every_port_is_serving_and_reflective(mesh: RunningMesh, name: str) -> None:
    target = mesh.addr(name)
    assert health_status(target) == "SERVING"
    assert health_status(target, EXPECTED_SERVICE[name]) == "SERVING"
    with grpc.insecure_channel(target) as channel:
        services = set(ProtoReflectionDescriptorDatabase(channel).get_services())
    assert EXPECTED_SERVICE[name] in services
    assert "grpc.health.v1.Health" in services


def test_unknown_service_name_is_not_found(mesh: RunningMesh) -> None:
    with grpc.insecure_channel(mesh.addr("abi")) as channel, pytest.raises(grpc.RpcError) as missing:
        health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=2)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("name", ["embeddings", "abi", "abbey-1", "aviva-1", "gateway"])
def test_sigterm_flips_health_and_exits_zero(tmp_path: Path, name: str) -> None:
    """Each real service, started alone: SIGTERM -> NOT_SERVING during the drain, then exit 0 within the grace."""
    layout = MeshLayout(data_dir=tmp_path / "data", ports=free_ports(), metrics=False)
    proc = layout.process(name, tmp_path / "logs", {"PM_DRAIN_DELAY_SECONDS": "1", "PM_GRACE_SECONDS": "5"})
    proc.start()
    try:
        proc.wait_serving(120)
        started = time.monotonic()
        proc.signal(signal.SIGTERM)
        time.sleep(0.3)
        assert health_status(proc.target, EXPECTED_SERVICE[name]) == "NOT_SERVING"
        assert proc.process is not None
        assert proc.process.wait(15) == 0
        assert time.monotonic() - started < 1 + 5 + 3
    finally:
        proc.stop()
