"""Fixtures: a real embeddings process (real ONNX model, real milvus-lite data dir) on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from personamesh.v1 import embedding_index_service_pb2_grpc
from services.common.errors import error_reason
from services.devmesh.processes import ServiceProcess, free_port
from tests.signing import SignedIndexClient


@dataclass
class EmbeddingsProcess:
    """One embeddings service process and its data dir; restartable on the same dir and port."""

    data_dir: Path
    log_dir: Path
    env: dict[str, str]
    port: int = 0
    process: ServiceProcess | None = None

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> ServiceProcess:
        if not self.port:
            self.port = free_port()
        env = {"PM_DATA_DIR": str(self.data_dir), "PM_METRICS_PORT": "-1", "PM_KNOWLEDGE_SEED": "off", **self.env}
        self.process = ServiceProcess("embeddings", "services.embeddings", self.port, env, self.log_dir)
        self.process.start()
        self.process.wait_serving(timeout)
        return self.process

    def stop(self) -> int | None:
        return self.process.stop() if self.process else None

    def kill(self) -> None:
        if self.process:
            self.process.kill()


def launch(tmp: Path, **env: str) -> EmbeddingsProcess:
    service = EmbeddingsProcess(tmp / "data", tmp / "logs", env)
    service.start()
    return service


@pytest.fixture(scope="package")
def embeddings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddingsProcess]:
    """An embeddings service shared by the package's tests (each uses its own users and sources)."""
    service = launch(tmp_path_factory.mktemp("embeddings"))
    yield service
    service.stop()


@pytest.fixture(scope="package")
async def stub(
    embeddings: EmbeddingsProcess,
) -> AsyncIterator[embedding_index_service_pb2_grpc.EmbeddingIndexServiceStub]:
    # Signed for the user each request names, as the gateway signs its calls.
    client = SignedIndexClient(embeddings.target, timeout=30.0)
    yield client.stub
    await client.close()


async def expect_invalid(call: object, reason: str) -> grpc.aio.AioRpcError:
    """Await a call that must fail with INVALID_ARGUMENT and the given reason."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    error = caught.value
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    assert error_reason(error) == reason, (error_reason(error), error.details())
    return error
