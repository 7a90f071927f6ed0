"""Routing anomaly detection: a synthetic shift of persona shares or of the block rate fires, a stable mix does not."""

from __future__ import annotations

import random

import pytest

from services.common.anomaly import BLOCKED, ShareShiftDetector, WindowResult

THRESHOLD = 0.25  # the PersonaMeshRoutingAnomaly alert's (helm/persona-mesh/files/monitoring/alerts.yaml)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _run(
    detector: ShareShiftDetector, clock: FakeClock, mix: dict[str, float], windows: int, rng: random.Random
) -> list[float]:
    """`windows` windows of 60 decisions each (one per second), drawn from `mix`; the score after each."""
    names, weights = list(mix), list(mix.values())
    scores = []
    for _ in range(windows):
        for _ in range(60):
            clock.now += 1.0
            result = detector.observe(rng.choices(names, weights)[0])
            if result is not None:
                scores.append(result.score)
    return scores


def _detector(clock: FakeClock) -> ShareShiftDetector:
    detector = ShareShiftDetector(window_seconds=60, min_count=50, alpha=0.1, warmup_windows=3, clock=clock)
    detector.known(["abbey", "aviva", BLOCKED])
    return detector


STABLE = {"abbey": 0.55, "aviva": 0.40, BLOCKED: 0.05}


@pytest.mark.parametrize("seed", range(5))
def test_a_stable_mix_never_fires(seed: int) -> None:
    clock, rng = FakeClock(), random.Random(seed)
    detector = _detector(clock)
    scores = _run(detector, clock, STABLE, 120, rng)
    assert len(scores) >= 100
    assert max(scores) < THRESHOLD, max(scores)


@pytest.mark.parametrize(
    "shifted",
    [
        {"abbey": 0.15, "aviva": 0.80, BLOCKED: 0.05},  # a routing model or rule sends everything to aviva
        {"abbey": 0.30, "aviva": 0.25, BLOCKED: 0.45},  # the block rate jumps (an attack, or a broken policy)
    ],
    ids=["persona-shift", "block-rate-jump"],
)
def test_a_sudden_shift_fires_then_the_baseline_adapts(shifted: dict[str, float]) -> None:
    clock, rng = FakeClock(), random.Random(7)
    detector = _detector(clock)
    before = _run(detector, clock, STABLE, 30, rng)
    assert max(before) < THRESHOLD
    after = _run(detector, clock, shifted, 60, rng)
    # Windows are not aligned with the shift: the first one after it may still be mostly the old mix.
    assert max(after[:2]) > THRESHOLD, after[:3]
    assert sum(score > THRESHOLD for score in after[:5]) >= 2, after[:5]  # long enough for the alert's `for: 1m`
    # The new mix becomes the baseline: the score falls back under the threshold.
    assert max(after[-20:]) < THRESHOLD


def test_a_window_waits_for_enough_decisions() -> None:
    """At low traffic a few requests are never a window: nothing closes before min_count decisions."""
    clock = FakeClock()
    detector = _detector(clock)
    for _ in range(49):
        clock.now += 10.0
        assert detector.observe("aviva") is None
    clock.now += 10.0
    assert detector.observe("aviva") is not None


def test_warmup_scores_zero_and_shares_add_up() -> None:
    clock, rng = FakeClock(), random.Random(1)
    detector = _detector(clock)
    closed: list[WindowResult] = []
    detector.on_window = closed.append
    _run(detector, clock, {"abbey": 0.1, "aviva": 0.9}, 5, rng)
    assert [window.score for window in closed[:3]] == [0.0, 0.0, 0.0]
    assert sum(closed[-1].shares.values()) == pytest.approx(1.0)
    assert closed[-1].shares[BLOCKED] == 0.0
