"""Gateway metrics: Prometheus series for scraping, and per-persona figures for the metrics API.

Latency percentiles for the API come from a bounded window of recent requests
per persona (fixed memory however long the gateway runs).
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass, field

from prometheus_client import Counter, Gauge, Histogram

from services.common.metrics import LATENCY_BUCKETS

REQUESTS = Counter(
    "pm_gateway_requests_total", "Chat requests answered, by persona and outcome.", ["persona", "outcome"]
)
LATENCY = Histogram(
    "pm_gateway_request_seconds", "Chat latency through the gateway, by persona.", ["persona"], buckets=LATENCY_BUCKETS
)
FALLBACKS = Counter("pm_gateway_fallbacks_total", "Answers given by another replica or persona.", ["persona"])
DEGRADED = Counter("pm_gateway_degraded_total", "Answers given while a dependency was down.", ["dependency"])
BREAKER_STATE = Gauge("pm_gateway_breaker_state", "Replica breaker state: 0 closed, 1 half-open, 2 open.", ["breaker"])
BREAKER_TRANSITIONS = Counter("pm_gateway_breaker_transitions_total", "Breaker state changes.", ["breaker", "state"])
REPLICA_HEALTHY = Gauge(
    "pm_gateway_replica_healthy", "1 when a replica reports SERVING and is not ejected.", ["persona", "replica"]
)
RATE_LIMITED = Counter("pm_gateway_rate_limited_total", "Requests refused by a limit.", ["reason"])

_STATE_VALUE = {"closed": 0, "half-open": 1, "open": 2}


def breaker_changed(name: str, _old: str, new: str) -> None:
    BREAKER_STATE.labels(name).set(_STATE_VALUE.get(new, 0))
    BREAKER_TRANSITIONS.labels(name, new).inc()


def percentile(values: deque[float], percent: int) -> float | None:
    """The percentile with linear interpolation (numpy's default), rounded to microseconds; None when empty.

    The standard library's, so the gateway does not load numpy (15 MiB of each gateway process) for two
    figures of the metrics API.
    """
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 3)
    return round(statistics.quantiles(values, n=100, method="inclusive")[percent - 1], 3)


@dataclass
class PersonaFigures:
    requests: int = 0
    errors: int = 0
    fallbacks: int = 0
    latencies_ms: deque[float] = field(default_factory=lambda: deque(maxlen=2048))
    ratings: deque[float] = field(default_factory=lambda: deque(maxlen=2048))

    def as_json(self) -> dict[str, float | int | None]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "success_rate": round((self.requests - self.errors) / self.requests, 4) if self.requests else 1.0,
            "p50_ms": percentile(self.latencies_ms, 50),
            "p99_ms": percentile(self.latencies_ms, 99),
            "satisfaction": round(statistics.fmean(self.ratings), 4) if self.ratings else None,
            "ratings": len(self.ratings),
            "fallbacks": self.fallbacks,
        }


class PersonaStats:
    """Per-persona request, error, latency and satisfaction figures."""

    def __init__(self) -> None:
        self.personas: dict[str, PersonaFigures] = {}

    def figures(self, persona: str) -> PersonaFigures:
        return self.personas.setdefault(persona, PersonaFigures())

    def answered(self, persona: str, latency_s: float, *, fallback: bool, degraded: bool) -> None:
        fig = self.figures(persona)
        fig.requests += 1
        fig.latencies_ms.append(latency_s * 1000.0)
        REQUESTS.labels(persona, "ok").inc()
        LATENCY.labels(persona).observe(latency_s)
        if fallback:
            fig.fallbacks += 1
            FALLBACKS.labels(persona).inc()

    def failed(self, persona: str, code: str) -> None:
        fig = self.figures(persona)
        fig.requests += 1
        fig.errors += 1
        REQUESTS.labels(persona, code.lower()).inc()

    def rated(self, persona: str, rating: float) -> None:
        self.figures(persona).ratings.append(rating)
