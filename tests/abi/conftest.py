"""Real Abi processes for the tests: one with a live embedding index, one whose index is unreachable."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from personamesh.v1 import abi_service_pb2_grpc
from services.abi.rules.store import DEFAULT_RULES_PATH
from services.devmesh.processes import ServiceProcess, free_port


@dataclass
class AbiUnderTest:
    process: ServiceProcess
    rules_path: Path
    channel: grpc.Channel

    @property
    def stub(self) -> abi_service_pb2_grpc.AbiServiceStub:
        return abi_service_pb2_grpc.AbiServiceStub(self.channel)


def _start_abi(tmp: Path, name: str, embeddings_addr: str) -> AbiUnderTest:
    rules_path = tmp / f"{name}-rules.yaml"
    shutil.copy(DEFAULT_RULES_PATH, rules_path)
    env = {
        "PM_EMBEDDINGS_ADDR": embeddings_addr,
        "PM_ABI_RULES_PATH": str(rules_path),
        "PM_ABI_RULES_RELOAD_SECONDS": "0.2",
        "PM_METRICS_PORT": "-1",
        # Generous: the index shares two cores with the other tests.
        "PM_ABI_INDEX_TIMEOUT_SECONDS": "2.0",
    }
    proc = ServiceProcess(name, "services.abi", free_port(), env, tmp / "logs")
    proc.start()
    proc.wait_serving(timeout=120)
    return AbiUnderTest(proc, rules_path, grpc.insecure_channel(proc.target))


@pytest.fixture(scope="session")
def index_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    tmp = tmp_path_factory.mktemp("abi-index")
    env = {"PM_DATA_DIR": str(tmp / "data"), "PM_METRICS_PORT": "-1"}
    proc = ServiceProcess("embeddings", "services.embeddings", free_port(), env, tmp / "logs")
    proc.start()
    try:
        proc.wait_serving(timeout=180)
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def abi(tmp_path_factory: pytest.TempPathFactory, index_process: ServiceProcess) -> Iterator[AbiUnderTest]:
    running = _start_abi(tmp_path_factory.mktemp("abi"), "abi", index_process.target)
    yield running
    running.channel.close()
    running.process.stop()


@pytest.fixture(scope="session")
def abi_without_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AbiUnderTest]:
    """Abi pointed at a port nothing listens on: it must route degraded, never skip policy."""
    running = _start_abi(tmp_path_factory.mktemp("abi-degraded"), "abi-degraded", f"127.0.0.1:{free_port()}")
    yield running
    running.channel.close()
    running.process.stop()
