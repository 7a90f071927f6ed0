"""Processes shared by the persona tests: the embedding index with test knowledge, persona replicas, the upstream."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import grpc
import pytest

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from personamesh.v1 import embedding_index_service_pb2_grpc as index_grpc
from services.devmesh.processes import ServiceProcess, free_port
from tests.personas.support import DEAD_INDEX, KNOWLEDGE, Upstream, persona_process, running, upstream_process


@dataclass
class Personas:
    """Replicas under test: with the index up, and with it down."""

    abbey: ServiceProcess
    aviva: ServiceProcess
    abbey_no_index: ServiceProcess
    aviva_no_index: ServiceProcess


@pytest.fixture(scope="session")
def index_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """A real embedding index (ONNX model, milvus-lite in a tmp dir) holding the test knowledge."""
    tmp = tmp_path_factory.mktemp("personas-index")
    process = ServiceProcess(
        "embeddings",
        "services.embeddings",
        free_port(),
        {"PM_DATA_DIR": str(tmp / "data"), "PM_METRICS_PORT": "-1", "PM_KNOWLEDGE_SEED": "off"},
        tmp / "logs",
    )
    with running(process, timeout=180):
        channel = grpc.insecure_channel(process.target)
        try:
            index_grpc.EmbeddingIndexServiceStub(channel).UpsertKnowledge(
                index_pb2.UpsertKnowledgeRequest(documents=KNOWLEDGE), timeout=60
            )
        finally:
            channel.close()
        yield process


@pytest.fixture(scope="session")
def personas(index_process: ServiceProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Personas]:
    logs = tmp_path_factory.mktemp("personas-logs")
    group = Personas(
        abbey=persona_process("abbey", "services.abbey", logs, index_process.target),
        aviva=persona_process("aviva", "services.aviva", logs, index_process.target),
        abbey_no_index=persona_process("abbey-no-index", "services.abbey", logs, DEAD_INDEX),
        aviva_no_index=persona_process("aviva-no-index", "services.aviva", logs, DEAD_INDEX),
    )
    with running(group.abbey, group.aviva, group.abbey_no_index, group.aviva_no_index):
        yield group


@pytest.fixture(scope="session")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Upstream]:
    with upstream_process(tmp_path_factory.mktemp("upstream")) as server:
        yield server
