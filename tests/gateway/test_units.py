"""Unit checks of the gateway's pure parts: keys, balancing, local policy, limits, conversions."""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque

import pytest

from gateway.auth import KeyStore, key_entry, parse_entry
from gateway.pipeline import local_policy
from gateway.pipeline.memory import AnsweredRequest, AnsweredRequests, SessionTurns
from gateway.pipeline.moderation import abi_answer
from gateway.pipeline.ratelimits import PersonaCapacity, RateLimited, UserRateLimiter
from gateway.pipeline.stats import percentile
from gateway.upstream.balancer import Balancer, replica_score
from gateway.upstream.outlier import OutlierDetector, OutlierPolicy
from gateway.upstream.registry import BreakerPolicy, Registry
from gateway.upstream.replica import LATENCY_HALF_LIFE_S, ProbePolicy
from personamesh.v1 import persona_pb2
from services.common.errors import ServiceError
from services.common.safety.resources import Resources


def test_keys_are_stored_hashed_and_map_to_user_and_role() -> None:
    entry = key_entry("pm_secret", "alice", "admin")
    assert "pm_secret" not in entry
    store = KeyStore([entry], allow_anonymous=False)
    principal = store.authenticate("pm_secret")
    assert (principal.user_id, principal.role, principal.authenticated) == ("alice", "admin", True)
    with pytest.raises(ServiceError) as wrong:
        store.authenticate("pm_wrong")
    assert wrong.value.reason == "INVALID_API_KEY"
    with pytest.raises(ServiceError):
        store.authenticate(None)  # anonymous not enabled


def test_anonymous_only_when_enabled() -> None:
    store = KeyStore([], allow_anonymous=True)
    principal = store.authenticate(None, "bob")
    assert (principal.user_id, principal.role, principal.authenticated) == ("bob", "user", False)


@pytest.mark.parametrize("entry", ["sha256:abc:alice:admin", "sha256:" + "a" * 64 + ":alice:root", "a" * 64 + ":alice"])
def test_bad_key_entries_are_refused(entry: str) -> None:
    with pytest.raises(ValueError):
        parse_entry(entry)


def test_local_policy_blocks_harm_and_redacts_pii() -> None:
    verdict = local_policy.check("how do I build a bomb at home")
    assert verdict.blocked and verdict.moderation.action == persona_pb2.POLICY_ACTION_BLOCK
    support = local_policy.check("I want to end my life")
    assert not support.blocked and support.moderation.action == persona_pb2.POLICY_ACTION_REDIRECT_TO_SUPPORT
    benign = local_policy.check("how do I kill a Python process?")
    assert not benign.blocked
    text, found = local_policy.redact("mail me at jo@example.com or call 555-123-4567")
    assert "jo@example.com" not in text and "[EMAIL]" in text and "[PHONE]" in text
    assert set(found) == {"pii.email", "pii.phone"}


async def _registry() -> Registry:
    registry = Registry(health_interval=1.0, breaker=BreakerPolicy(2, 30.0, 1))
    for port in (1, 2, 3):
        registry.add("abbey", f"127.0.0.1:{port}")
    return registry


async def test_balancer_prefers_idle_fast_replicas_and_skips_tried_ones() -> None:
    registry = await _registry()
    group = registry.personas["abbey"]
    slow, busy, good = group.replicas.values()
    for replica in group.replicas.values():
        replica.health = "SERVING"
    slow.latency_ema_ms, busy.latency_ema_ms, good.latency_ema_ms = 900.0, 5.0, 5.0
    for replica in (slow, busy, good):
        replica.latency_updated = time.monotonic()
    busy.in_flight = 4
    assert replica_score(good, 1.0, 5.0) > replica_score(slow, 1.0, 5.0)
    assert replica_score(good, 1.0, 5.0) > replica_score(busy, 1.0, 5.0)
    weighted = Balancer("weighted", random.Random(1))
    assert weighted.pick(group) is good
    # 900 ms idle scores below 5 ms with four calls in flight: latency is relative to the fastest.
    assert weighted.pick(group, exclude={good.address}) is busy
    good.health = "NOT_SERVING"
    assert weighted.pick(group) is busy
    assert weighted.pick(group, exclude={busy.address}) is slow
    p2c = Balancer("p2c", random.Random(1))
    assert all(p2c.pick(group) is not good for _ in range(50))
    rr = Balancer("round_robin")
    assert {rr.pick(group).address for _ in range(4)} == {slow.address, busy.address}  # type: ignore[union-attr]
    slow.latency_updated = time.monotonic() - 2 * LATENCY_HALF_LIFE_S  # two half-lives without traffic: it fades
    assert slow.recent_latency_ms() == pytest.approx(225.0, rel=0.05)
    await registry.close()


async def test_a_sessions_turns_stay_on_one_replica_unless_it_is_overloaded_or_gone() -> None:
    """A persona keeps a session's state in its memory (Abbey's mood): spread at random, a conversation's turns met it
    or not by chance (the conversations set measured 44, 49 and 47 of 100 on the same code)."""
    registry = await _registry()
    group = registry.personas["abbey"]
    for replica in group.replicas.values():
        replica.health = "SERVING"
    balancer = Balancer("weighted", random.Random(1))
    kept = balancer.pick(group, session="u\x1fs1")
    assert kept is not None
    assert all(balancer.pick(group, session="u\x1fs1") is kept for _ in range(20))
    assert len({balancer.pick(group, session=f"u\x1fs{n}").address for n in range(30)}) == 3  # type: ignore[union-attr]
    second = balancer.pick(group, exclude={kept.address}, session="u\x1fs1")  # a failed attempt moves on
    assert second is not None and second is not kept
    kept.in_flight = 10  # far over 1.5 x the mean + 1: passed over for the next in the session's order
    assert balancer.pick(group, session="u\x1fs1") is second
    kept.in_flight = 0
    kept.health = "NOT_SERVING"
    assert balancer.pick(group, session="u\x1fs1") is second
    kept.health = "SERVING"
    spread = Balancer("weighted", random.Random(1), session_affinity=False)
    assert len({spread.pick(group, session="u\x1fs1").address for _ in range(30)}) > 1  # type: ignore[union-attr]
    await registry.close()


async def test_open_breaker_takes_a_replica_out_of_rotation() -> None:
    registry = await _registry()
    group = registry.personas["abbey"]
    target = next(iter(group.replicas.values()))
    for replica in group.replicas.values():
        replica.health = "SERVING"
    for _ in range(2):
        with pytest.raises(RuntimeError):
            async with target.breaker.guard():
                raise RuntimeError("down")
    assert target.breaker.state == "open" and not target.available
    picks = {Balancer("p2c").pick(group).address for _ in range(40)}  # type: ignore[union-attr]
    assert target.address not in picks
    await registry.close()


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_outlier_ejection_grows_with_relapses_and_ends_on_a_probe() -> None:
    clock = _Clock()
    outlier = OutlierDetector(OutlierPolicy(3, 2.0, 5.0), clock)
    assert outlier.failure() is None and outlier.failure() is None
    outlier.success(probe=False)  # a success in between: the count starts again
    assert [outlier.failure() for _ in range(3)] == [None, None, 2.0]
    assert outlier.ejected and outlier.failure() is None  # no second ejection while ejected
    clock.now += 1.0
    assert not outlier.success(probe=True)  # ejection time not over
    clock.now += 1.0
    assert not outlier.success(probe=False)  # a late call is no proof: only a probe re-admits
    assert outlier.success(probe=True) and not outlier.ejected
    assert [outlier.failure() for _ in range(3)][-1] == 4.0  # relapsed: twice the base
    clock.now += 4.0
    assert outlier.success(probe=True)
    assert [outlier.failure() for _ in range(3)][-1] == 5.0  # capped at the maximum
    clock.now += 5.0
    assert outlier.success(probe=True)
    clock.now += 5.0
    outlier.success(probe=True)  # one maximum ejection time in rotation: one ejection forgiven
    assert outlier.ejections == 2 and outlier.ejection_seconds() == 5.0


async def test_at_most_half_of_a_personas_replicas_are_ejected() -> None:
    registry = Registry(health_interval=1.0, breaker=BreakerPolicy(2, 30.0, 1), outlier=OutlierPolicy(1, 5.0, 60.0))
    for port in (1, 2, 3, 4, 5):
        registry.add("aviva", f"127.0.0.1:{port}")
    replicas = list(registry.personas["aviva"].replicas.values())
    for replica in replicas:
        replica.failed("timeout")
    assert [r.ejected for r in replicas] == [True, True, False, False, False]  # 50 % of 5, rounded down
    registry.add("abbey", "127.0.0.1:9")
    only = registry.personas["abbey"].replicas["127.0.0.1:9"]
    only.failed("timeout")
    assert only.ejected  # one replica may always be ejected: the fallback persona answers
    await registry.close()


async def test_latency_estimate_forgets_a_slow_spell_within_a_few_good_answers() -> None:
    registry = await _registry()
    replica = next(iter(registry.personas["abbey"].replicas.values()))
    for elapsed_ms in (20.0, 2000.0):
        attempt = replica.started()
        attempt.began -= elapsed_ms / 1000.0
        replica.finished(attempt, None)
    assert replica.recent_latency_ms() > 300.0
    for _ in range(5):
        attempt = replica.started()
        attempt.began -= 0.02
        replica.finished(attempt, None)
    assert replica.recent_latency_ms() < 100.0
    replica.finished(replica.started(), RuntimeError("timed out"))  # failures are no latency samples
    assert replica.recent_latency_ms() < 100.0 and replica.failures == 1
    await registry.close()


async def test_a_replica_silent_while_it_owes_answers_looks_slower_until_it_sends_something() -> None:
    """A hung replica keeps its last good estimate: its silence while calls wait counts first."""
    registry = await _registry()
    hung, busy, spare = registry.personas["abbey"].replicas.values()
    for replica in (hung, busy):
        replica.health = "SERVING"
        replica.latency_ema_ms, replica.latency_updated = 50.0, time.monotonic()
    silent = hung.started()
    silent.began_at -= 0.8  # asked 0.8 s ago, nothing back since
    queued = busy.started()
    queued.began_at -= 0.8  # waiting as long, but the replica keeps answering others and sending deltas
    busy.heard()
    assert hung.stalled_ms() >= 800.0 and busy.stalled_ms() < 100.0
    assert hung.recent_latency_ms() >= 800.0 and busy.recent_latency_ms() == pytest.approx(50.0, rel=0.05)
    assert Balancer("weighted", random.Random(1)).pick(registry.personas["abbey"], exclude={spare.address}) is busy
    hung.finished(silent, RuntimeError("first-token timeout"))  # the hung call gives up: no latency sample
    assert hung.stalled_ms() == 0.0 and hung.recent_latency_ms() == pytest.approx(50.0, rel=0.05)
    busy.finished(queued, None)
    await registry.close()


async def test_user_limit_has_a_burst_and_a_retry_after() -> None:
    limiter = UserRateLimiter(per_minute=60, burst=3)
    for _ in range(3):
        await limiter.check("carol")
    with pytest.raises(RateLimited) as refused:
        await limiter.check("carol")
    assert refused.value.retry_after >= 1
    assert refused.value.metadata["retry_after_seconds"] == str(refused.value.retry_after)
    await limiter.check("dave")  # other users are not affected


async def test_persona_capacity_queues_then_refuses() -> None:
    capacity = PersonaCapacity("abbey", capacity=1, queue=1, timeout=0.2)
    release = asyncio.Event()

    async def hold() -> None:
        async with capacity.slot():
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0.01)
    waiter = asyncio.create_task(hold())
    await asyncio.sleep(0.01)
    assert capacity.waiting == 1
    with pytest.raises(RateLimited) as full:
        async with capacity.slot():
            pass
    assert full.value.reason == "PERSONA_AT_CAPACITY"
    release.set()
    await asyncio.gather(holder, waiter)
    assert capacity.active == 0


async def test_dns_discovery_follows_what_the_name_resolves_to() -> None:
    registry = Registry(health_interval=1.0, breaker=BreakerPolicy(2, 30.0, 1))
    registry.add_dns({"aviva": "localhost:50999"}, refresh_seconds=0.05)
    for _ in range(100):
        if registry.personas["aviva"].replicas:
            break
        await asyncio.sleep(0.01)
    addresses = set(registry.personas["aviva"].replicas)
    assert "127.0.0.1:50999" in addresses
    assert {r.source for r in registry.personas["aviva"].replicas.values()} == {"dns"}
    await registry.close()


def test_session_memory_is_bounded() -> None:
    sessions = SessionTurns(turns=2, sessions=2, turn_chars=5)
    sessions.add("u", "a", "first question", "first answer", "abbey")
    sessions.add("u", "a", "second", "answer two", "aviva")
    assert [t.content for t in sessions.recent("u", "a")] == ["secon", "answe"]
    sessions.add("u", "b", "x", "y", "abbey")
    sessions.add("u", "c", "x", "y", "abbey")
    assert sessions.recent("u", "a") == [] and len(sessions.recent("u", "c")) == 2
    answered = AnsweredRequests(size=2)
    for request_id in ("r1", "r2", "r3"):
        answered.add(request_id, AnsweredRequest("abbey", "u", "general"))
    assert answered.get("r1") is None and answered.get("r3") is not None


def test_session_history_is_keyed_by_user_and_session() -> None:
    sessions = SessionTurns(turns=4, sessions=10)
    sessions.add("alice", "sess-42", "my secret", "noted", "abbey")
    assert [t.content for t in sessions.recent("alice", "sess-42")] == ["my secret", "noted"]
    assert sessions.recent("bob", "sess-42") == []
    sessions.add("bob", "sess-42", "hello", "hi", "abbey")
    assert [t.content for t in sessions.recent("alice", "sess-42")] == ["my secret", "noted"]


async def test_a_replica_answering_calls_is_not_probed_and_a_quiet_one_is() -> None:
    registry = Registry(health_interval=1.0, breaker=BreakerPolicy(2, 30.0, 1), probe=ProbePolicy(0.2, 0.1))
    replica = registry.add("aviva", "127.0.0.1:1")
    probes: list[float] = []

    async def counted_probe() -> None:
        probes.append(time.monotonic())

    replica.probe_once = counted_probe  # type: ignore[method-assign]
    task = asyncio.create_task(replica._probe())
    await asyncio.sleep(0.05)
    assert len(probes) == 1  # nothing answered yet: probed at once
    busy_until = time.monotonic() + 0.8
    while time.monotonic() < busy_until:  # answers every 50 ms: each one is as good as a passing probe
        replica.finished(replica.started(), None)
        await asyncio.sleep(0.05)
    assert len(probes) == 1 and replica.responsive()
    await asyncio.sleep(0.5)  # quiet (a hung replica answers nothing): probed again one interval later
    assert len(probes) >= 2 and probes[1] - busy_until < 0.2 + 0.1
    task.cancel()
    await registry.close()


def test_latency_percentiles_match_numpys_linear_interpolation() -> None:
    import numpy as np

    rng = random.Random(7)
    for size in (1, 2, 3, 10, 2048):
        values = deque(rng.uniform(0.1, 500.0) for _ in range(size))
        for percent in (50, 99):
            assert percentile(values, percent) == pytest.approx(float(np.percentile(list(values), percent)), abs=1e-3)
    assert percentile(deque(), 50) is None


def test_the_gateway_process_loads_no_numpy() -> None:
    """numpy is 15 MiB of a process; the gateway needs none of it (the mesh's memory bar, docs/performance.md)."""
    import subprocess
    import sys

    probe = "import sys, gateway.__main__; print(sorted({'numpy', 'onnxruntime', 'pymilvus'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_refusals_of_harm_someone_in_danger_may_tell_end_with_the_emergency_number() -> None:
    uk = Resources("GB", "999", ("Samaritans: call 116 123",))

    def decision(action: persona_pb2.PolicyAction.ValueType, category: str) -> persona_pb2.RoutingDecision:
        return persona_pb2.RoutingDecision(
            moderation=persona_pb2.ModerationResult(action=action, categories=[category])
        )

    line = "If you or someone else is in danger right now, call 999 now."
    threat = abi_answer("r1", decision(persona_pb2.POLICY_ACTION_BLOCK, "violent_threat"), uk).content
    assert threat == f"I can't help with that request. {line}"
    held = abi_answer("r2", decision(persona_pb2.POLICY_ACTION_REQUIRE_HUMAN_REVIEW, "violence"), uk).content
    assert held.endswith(line)
    how_to = abi_answer("r5", decision(persona_pb2.POLICY_ACTION_REQUIRE_HUMAN_REVIEW, "cbrn"), uk).content
    assert line not in how_to  # "convert 350 Fahrenheit to Celsius", held as CBRN
    assert line not in abi_answer("r3", decision(persona_pb2.POLICY_ACTION_BLOCK, "hate"), uk).content
    assert line not in abi_answer("r4", decision(persona_pb2.POLICY_ACTION_BLOCK, "violence")).content  # no table
