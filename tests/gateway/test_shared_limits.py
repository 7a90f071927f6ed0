"""Per-user limits: 429 with Retry-After (and RESOURCE_EXHAUSTED over gRPC), shared by two
gateway processes through a real redis-server."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import grpc
import httpx
import pytest
import redis

from personamesh.v1 import gateway_service_pb2, gateway_service_pb2_grpc
from services.common.errors import error_info
from services.devmesh.processes import free_port
from tests.conftest import RunningMesh
from tests.gateway.support import KEYS, GatewayProcess, auth, start_gateway

BURST = 5


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("redis-server")
    assert binary, "redis-server is required (apt-get install redis-server)"
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}"
    server.terminate()
    server.wait(10)


@pytest.fixture(scope="module")
def gateways(mesh: RunningMesh, redis_url: str) -> Iterator[list[GatewayProcess]]:
    env = {
        "PM_RATE_LIMIT_STORAGE": redis_url,
        "PM_RATE_LIMIT_PER_MINUTE": "6",  # burst window 50 s: slow machines cannot slide past it mid-test
        "PM_RATE_LIMIT_BURST": str(BURST),
    }
    started = [start_gateway(mesh.layout, mesh.log_dir, f"gateway-limits-{i}", env) for i in (1, 2)]
    yield started
    for gw in started:
        gw.process.stop()


def test_limits_hold_across_two_gateways_sharing_redis(gateways: list[GatewayProcess]) -> None:
    first, second = gateways
    statuses = []
    for i in range(BURST):
        url = (first if i % 2 == 0 else second).http_url
        response = httpx.post(url + "/api/v1/route", json={"content": "hello"}, headers=auth("user"), timeout=30)
        statuses.append(response.status_code)
    assert statuses == [200] * BURST
    for gw in (first, second):
        refused = httpx.post(gw.http_url + "/api/v1/chat", json={"content": "hello"}, headers=auth("user"), timeout=30)
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["error"]["reason"] == "USER_RATE_LIMITED"
    other = httpx.post(first.http_url + "/api/v1/route", json={"content": "hello"}, headers=auth("other"), timeout=30)
    assert other.status_code == 200, "one user's limit does not touch another's"


async def test_grpc_over_the_limit_is_resource_exhausted(gateways: list[GatewayProcess]) -> None:
    metadata = (("authorization", f"Bearer {KEYS['operator']}"),)
    async with grpc.aio.insecure_channel(gateways[1].target) as channel:
        stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
        request = gateway_service_pb2.ChatRequest(content="hello there")
        for _ in range(BURST):
            await stub.Chat(request, metadata=metadata, timeout=30)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Chat(request, metadata=metadata, timeout=30)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    info = error_info(caught.value)
    assert info is not None and info.reason == "USER_RATE_LIMITED"
    assert int(info.metadata["retry_after_seconds"]) >= 1
