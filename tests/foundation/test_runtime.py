"""The shared service runtime: health, reflection, errors, request ids, metrics and graceful drain."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from personamesh.v1 import persona_pb2
from services.common.clients import PersonaClient
from services.common.errors import error_reason
from services.devmesh.processes import ServiceProcess, free_port, health_status

SERVICE = "personamesh.v1.PersonaService"


def _fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as reply:
        return str(reply.read().decode())


def _process(tmp_path: Path, **env: str) -> ServiceProcess:
    port = free_port()
    base = {"PM_METRICS_PORT": str(free_port()), "PM_GRACE_SECONDS": "5", "PM_DRAIN_DELAY_SECONDS": "0.5"}
    return ServiceProcess("slow", "tests.foundation.slow_persona", port, {**base, **env}, tmp_path)


@pytest.fixture(scope="module")
def slow_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    proc = _process(tmp_path_factory.mktemp("slow"))
    proc.start()
    proc.wait_serving(30)
    yield proc
    proc.stop()


def test_not_serving_until_warm(tmp_path: Path) -> None:
    proc = _process(tmp_path, PM_TEST_WARMUP_SECONDS="2")
    proc.start()
    try:
        seen: set[str] = set()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            status = health_status(proc.target, SERVICE)
            seen.add(status)
            if status == "SERVING":
                break
            time.sleep(0.05)
        assert "NOT_SERVING" in seen, f"never reported NOT_SERVING while warming up: {seen}"
        assert status == "SERVING"
    finally:
        assert proc.stop() == 0


async def test_errors_carry_a_reason(slow_service: ServiceProcess) -> None:
    client = PersonaClient(slow_service.target)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await client.stub.Chat(persona_pb2.PersonaRequest(content=""), timeout=5)
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_reason(bad.value) == "EMPTY_CONTENT"
        with pytest.raises(grpc.aio.AioRpcError) as crash:
            await client.stub.Chat(persona_pb2.PersonaRequest(content="explode"), timeout=5)
        assert crash.value.code() == grpc.StatusCode.INTERNAL
        assert "unexpected failure" not in (crash.value.details() or "")  # internals stay in the log
        reply = await client.stub.Chat(persona_pb2.PersonaRequest(content="still alive"), timeout=5)
        assert reply.content == "echo: still alive"
    finally:
        await client.close()


async def test_request_id_is_logged(slow_service: ServiceProcess) -> None:
    client = PersonaClient(slow_service.target)
    try:
        await client.stub.Chat(
            persona_pb2.PersonaRequest(content="explode"), metadata=(("x-request-id", "rid-logged-123"),), timeout=5
        )
    except grpc.aio.AioRpcError:
        pass
    finally:
        await client.close()
    assert slow_service.log_dir is not None
    log = (slow_service.log_dir / "slow.log").read_text()
    assert '"request_id": "rid-logged-123"' in log


async def test_metrics_count_calls_by_code(slow_service: ServiceProcess) -> None:
    client = PersonaClient(slow_service.target)
    try:
        await client.stub.Chat(persona_pb2.PersonaRequest(content="count me"), timeout=5)
        with pytest.raises(grpc.aio.AioRpcError):
            await client.stub.Chat(persona_pb2.PersonaRequest(content=""), timeout=5)
    finally:
        await client.close()
    port = slow_service.env["PM_METRICS_PORT"]
    body = await asyncio.to_thread(_fetch, f"http://127.0.0.1:{port}/metrics")
    labels = 'grpc_method="Chat",grpc_service="personamesh.v1.PersonaService"'
    assert f'grpc_server_handled_total{{grpc_code="OK",{labels}}}' in body
    assert f'grpc_server_handled_total{{grpc_code="INVALID_ARGUMENT",{labels}}}' in body
    assert "grpc_server_handling_seconds_bucket" in body


async def test_sigterm_drains_in_flight_calls_then_exits_zero(tmp_path: Path) -> None:
    proc = _process(tmp_path)
    proc.start()
    proc.wait_serving(30)
    client = PersonaClient(proc.target)
    health = health_pb2_grpc.HealthStub(client.channel)
    try:
        watch = health.Watch(health_pb2.HealthCheckRequest(service=SERVICE), timeout=20)
        first = await watch.read()
        assert first.status == health_pb2.HealthCheckResponse.SERVING
        in_flight = [
            asyncio.ensure_future(
                client.stub.Chat(persona_pb2.PersonaRequest(content=f"call {i}", metadata={"sleep": "2"}), timeout=15)
            )
            for i in range(5)
        ]
        stream = client.stub.ChatStream(
            persona_pb2.PersonaRequest(content="one two three four", metadata={"sleep": "0.4"}), timeout=15
        )
        await asyncio.sleep(0.3)  # the calls are now being handled
        started = time.monotonic()
        proc.signal(signal.SIGTERM)
        flipped = await watch.read()
        assert flipped.status == health_pb2.HealthCheckResponse.NOT_SERVING
        assert health_status(proc.target, SERVICE) == "NOT_SERVING"  # during the drain delay
        replies = await asyncio.gather(*in_flight)
        assert [r.content for r in replies] == [f"echo: call {i}" for i in range(5)]
        events = [event async for event in stream]
        assert [e.delta for e in events[:-1]] == ["one", "two", "three", "four"]
        assert events[-1].final.content == "one two three four"
        assert proc.process is not None
        code = await asyncio.to_thread(proc.process.wait, 10)
        assert code == 0
        assert time.monotonic() - started < 5 + 1  # grace period plus a little
    finally:
        await client.close()
        proc.stop()


async def test_new_calls_are_refused_after_drain_starts(tmp_path: Path) -> None:
    proc = _process(tmp_path, PM_DRAIN_DELAY_SECONDS="0")
    proc.start()
    proc.wait_serving(30)
    client = PersonaClient(proc.target)
    try:
        slow = asyncio.ensure_future(
            client.stub.Chat(persona_pb2.PersonaRequest(content="slow", metadata={"sleep": "1.5"}), timeout=10)
        )
        await asyncio.sleep(0.3)
        proc.signal(signal.SIGTERM)
        await asyncio.sleep(0.3)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await client.stub.Chat(persona_pb2.PersonaRequest(content="late"), timeout=3)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        assert (await slow).content == "echo: slow"
    finally:
        await client.close()
        assert proc.stop() == 0


async def test_repeated_stop_signals_do_not_kill_a_clean_drain(tmp_path: Path) -> None:
    """A supervisor or an impatient user may signal again; every repeat until exit is ignored, not fatal."""
    proc = _process(tmp_path, PM_DRAIN_DELAY_SECONDS="0")
    proc.start()
    proc.wait_serving(30)
    assert proc.process is not None
    proc.signal(signal.SIGTERM)
    # Keep signalling through the drain and the interpreter's teardown, alternating SIGTERM and SIGINT.
    await asyncio.to_thread(_signal_until_exit, proc.process.pid, proc.process.poll)
    assert proc.stop() == 0


def _signal_until_exit(pid: int, poll: Callable[[], int | None]) -> None:
    sent = 0
    while poll() is None and sent < 200_000:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT if sent % 2 else signal.SIGTERM)
        sent += 1


def test_each_process_caps_native_math_threads() -> None:
    """PM_NATIVE_THREADS: numpy's OpenBLAS (already loaded) and later OpenMP runtimes get one thread each."""
    script = (
        "import json, os, numpy, threadpoolctl\n"
        "from services.common.process_limits import limit_native_threads\n"
        "before = max(p['num_threads'] for p in threadpoolctl.threadpool_info() if p['user_api'] == 'blas')\n"
        "limit_native_threads(1)\n"
        "after = [p['num_threads'] for p in threadpoolctl.threadpool_info() if p['user_api'] == 'blas']\n"
        "print(json.dumps([before, after, os.environ['OMP_NUM_THREADS']]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    before, after, omp = json.loads(out.stdout)
    assert before == os.cpu_count() and after == [1] and omp == "1"


_FREED_BLOCKS = """
import sys, threading, time, numpy, psutil
from services.common.process_limits import return_freed_memory
if sys.argv[1] == "tuned":
    assert return_freed_memory(0.1)
process = psutil.Process()
def work():
    numpy.ones(2**19)  # one 4 MiB block freed: glibc raises its mmap threshold past the blocks below
    blocks, small = [], []
    for _ in range(400):
        blocks.append(numpy.ones(2**15))  # 256 KiB each, 100 MiB in all, as a batch's tensors
        small.append(bytearray(64))  # what stays allocated between them
    del blocks
    return small
before = process.memory_info().rss
thread = threading.Thread(target=lambda: globals().__setitem__("kept", work()))
thread.start()
thread.join()
time.sleep(0.5)
print((process.memory_info().rss - before) / 2**20)
"""


def test_freed_large_blocks_go_back_to_the_system() -> None:
    """return_freed_memory: 100 MiB of freed tensors stay resident without it, not with it."""

    def grown(mode: str) -> float:
        out = subprocess.run([sys.executable, "-c", _FREED_BLOCKS, mode], capture_output=True, text=True, check=True)
        return float(out.stdout)

    assert grown("plain") > 50 and grown("tuned") < 10


_FREED_ARROW_BUFFERS = """
import sys, time, numpy, psutil
if sys.argv[1] == "tuned":
    import services.embeddings  # chooses arrow's allocator before pyarrow loads
import pyarrow as pa, pyarrow.compute as pc
from services.common.process_limits import return_freed_memory
if sys.argv[1] == "tuned":
    assert return_freed_memory(0.1)
process = psutil.Process()
base = pa.array(numpy.arange(2**15))
before = process.memory_info().rss
blocks, small = [], []
for _ in range(400):
    blocks.append(pc.add(base, 1))  # 256 KiB each from arrow's pool, 100 MiB in all, as a scan's columns
    small.append(pc.add(base[:8], 1))  # what stays allocated between them
del blocks
time.sleep(0.5)
print(pa.default_memory_pool().backend_name, (process.memory_info().rss - before) / 2**20)
"""


def _without_arrow_pool_choice() -> dict[str, str]:
    """This environment without ARROW_DEFAULT_MEMORY_POOL (set here once a test imported services.embeddings)."""
    return {name: value for name, value in os.environ.items() if name != "ARROW_DEFAULT_MEMORY_POOL"}


def test_freed_arrow_buffers_go_back_to_the_system() -> None:
    """pyarrow's own pool (mimalloc) keeps freed buffers (milvus-lite writes and reads segments through it):
    in the index process they are the system allocator's, and trimmed."""

    def grown(mode: str) -> tuple[str, float]:
        command = [sys.executable, "-c", _FREED_ARROW_BUFFERS, mode]
        out = subprocess.run(command, capture_output=True, text=True, check=True, env=_without_arrow_pool_choice())
        pool, mib = out.stdout.split()
        return pool, float(mib)

    plain, tuned = grown("plain"), grown("tuned")
    assert plain[0] != "system" and plain[1] > 50
    assert tuned[0] == "system" and tuned[1] < 10


def test_an_operators_arrow_pool_choice_is_kept() -> None:
    probe = "import services.embeddings, pyarrow; print(pyarrow.default_memory_pool().backend_name)"
    env = {**_without_arrow_pool_choice(), "ARROW_DEFAULT_MEMORY_POOL": "mimalloc"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "mimalloc"


_ARENAS_AFTER_EIGHT_THREADS = """
import ctypes, ctypes.util, sys, tempfile, threading
from services.common.process_limits import limit_malloc_arenas
if sys.argv[1] == "capped":
    assert limit_malloc_arenas(2)
barrier = threading.Barrier(8)
def work():
    barrier.wait()  # every thread alive at once, so none takes over another's arena
    blocks = [bytearray(50_000) for _ in range(50)]  # from malloc (over pymalloc's limit, under mmap's)
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.fopen.restype = ctypes.c_void_p
with tempfile.NamedTemporaryFile(suffix=".xml") as report:
    stream = ctypes.c_void_p(libc.fopen(report.name.encode(), b"w"))
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    print(open(report.name).read().count("<heap nr="))
"""


def test_malloc_arenas_are_capped() -> None:
    """PM_MALLOC_ARENAS: eight threads allocating at once get at most two glibc arenas, not one each."""

    def arenas(mode: str) -> int:
        out = subprocess.run(
            [sys.executable, "-c", _ARENAS_AFTER_EIGHT_THREADS, mode], capture_output=True, text=True, check=True
        )
        return int(out.stdout)

    assert arenas("plain") > 4 and arenas("capped") <= 2


def test_the_circuit_breaker_leaves_redis_unloaded_and_importable() -> None:
    """pybreaker imports redis (and OpenTelemetry's SDK through it) when installed; every service imports the
    breaker, none uses its redis storage. The gateway may still import redis afterwards for shared limits."""
    script = (
        "import sys, json\n"
        "import services.common.breaker as breaker\n"
        "loaded = 'redis' in sys.modules\n"
        "import redis\n"
        "print(json.dumps([loaded, breaker.pybreaker.HAS_REDIS_SUPPORT, bool(redis.Redis)]))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [False, False, True]
