"""The gateway's observability: the metrics the alert rules and the dashboard read, routing anomaly
detection, and the audit log (docs/observability.md).

The chat pipeline and the front ends call a few functions here (`routed`, `output_checked`,
`attempt`, `rejected`, `rated`); `install` wires the rest once the gateway exists. Every label set
is bounded: personas and replicas come from the registry, reasons from services/common/reasons.py,
moderation categories from Abi's taxonomy; never a user id or text.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import grpc
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.pipeline.stats import BREAKER_STATE
from personamesh.v1 import persona_pb2
from services.abi.taxonomy import HARM_CATEGORIES
from services.common import context as ctx
from services.common import pii
from services.common.anomaly import BLOCKED, ShareShiftDetector, WindowResult
from services.common.audit import AuditLog, ObservabilitySettings
from services.common.breaker import BreakerOpenError
from services.common.metrics import LATENCY_BUCKETS
from services.common.registry import persona_registry
from services.common.registry.wire import alternatives_of, persona_of
from services.common.tracing import tracing_enabled

if TYPE_CHECKING:
    from gateway.state import Gateway

log = logging.getLogger(__name__)

T = TypeVar("T")
_TRACER = trace.get_tracer("persona_mesh.gateway")

# -- metrics --------------------------------------------------------------------------------------

REPLICA_ATTEMPTS = Counter(
    "pm_gateway_replica_attempts_total",
    "Calls to persona replicas, by replica and outcome (ok, or why the attempt failed).",
    ["persona", "replica", "outcome"],
)
REPLICA_ATTEMPT_SECONDS = Histogram(
    "pm_gateway_replica_attempt_seconds",
    "Time of one call to a persona replica (stream start to final event or failure).",
    ["persona", "replica"],
    buckets=LATENCY_BUCKETS,
)
REPLICA_CONSECUTIVE_FAILURES = Gauge(
    "pm_gateway_replica_consecutive_failures",
    "Failed calls to a replica in a row (0 after a success).",
    ["persona", "replica"],
)
REJECTED = Counter(
    "pm_gateway_rejected_total",
    "Requests the gateway refused before or instead of answering, by HTTP status and reason.",
    ["status", "reason"],
)
ROUTING_DECISIONS = Counter(
    "pm_gateway_routing_decisions_total",
    "Routing decisions by chosen persona and kind (routed, forced, crisis, blocked, degraded).",
    ["persona", "route"],
)
MODERATION_ACTIONS = Counter(
    "pm_gateway_moderation_actions_total",
    "Moderation findings by direction (input, output), action and category.",
    ["direction", "action", "category"],
)
FEEDBACK_RATING = Histogram(
    "pm_gateway_feedback_rating",
    "User ratings of answers (0 = bad, 1 = good) by the persona that answered; mean = satisfaction.",
    ["persona"],
    buckets=(0.0, 0.25, 0.5, 0.75, 1.0),
)
ANOMALY_SCORE = Gauge(
    "pm_gateway_routing_anomaly_score",
    "Largest shift of a persona's share (or the block rate) in the last window against its EWMA baseline (0..1).",
)
ROUTING_SHARE = Gauge(
    "pm_gateway_routing_share", "Share of routing decisions in the last closed window, by category.", ["category"]
)
ROUTING_BASELINE = Gauge(
    "pm_gateway_routing_baseline_share", "EWMA baseline share of routing decisions, by category.", ["category"]
)

_BLOCKING = (persona_pb2.POLICY_ACTION_BLOCK, persona_pb2.POLICY_ACTION_REQUIRE_HUMAN_REVIEW)
_BREAKER_LEVELS = {"closed": 0, "half-open": 1, "open": 2}
_SHORT_STATUS = {400, 401, 403, 404, 405, 409, 413, 415, 429}
_REASON_SHAPE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
_PII_KINDS = tuple(pii.PLACEHOLDERS)
KNOWN_CATEGORIES = frozenset({*HARM_CATEGORIES, "crisis", "pii", *(f"pii.{kind}" for kind in _PII_KINDS)})


_ACTIONS = {value: name.removeprefix("POLICY_ACTION_").lower() for name, value in persona_pb2.PolicyAction.items()}
_SEVERITIES = {value: name.removeprefix("SEVERITY_").lower() for name, value in persona_pb2.Severity.items()}


def _action_name(action: int) -> str:
    return _ACTIONS.get(action, "unspecified")  # type: ignore[call-overload]


def _severity_name(severity: int) -> str:
    return _SEVERITIES.get(severity, "unspecified")  # type: ignore[call-overload]


def category_label(category: str) -> str:
    """A moderation category as a bounded label: Abi's taxonomy, or `other`."""
    return category if category in KNOWN_CATEGORIES else "other"


def reason_label(reason: str) -> str:
    return reason if _REASON_SHAPE.match(reason or "") else "OTHER"


# -- the gateway's observability state --------------------------------------------------------------


class Telemetry:
    """Anomaly detector and audit log of one gateway process."""

    def __init__(self, settings: ObservabilitySettings | None = None) -> None:
        settings = settings or ObservabilitySettings()
        self.settings = settings
        self.audit = AuditLog(
            settings.audit_log,
            service="gateway",
            max_bytes=settings.audit_max_bytes,
            backups=settings.audit_backups,
        )
        self.detector = ShareShiftDetector(
            window_seconds=settings.anomaly_window_seconds,
            min_count=settings.anomaly_min_decisions,
            alpha=settings.anomaly_alpha,
            on_window=self._window_closed,
        )
        self.failures: dict[tuple[str, str], int] = {}

    def _window_closed(self, result: WindowResult) -> None:
        ANOMALY_SCORE.set(result.score)
        for category, share in result.shares.items():
            ROUTING_SHARE.labels(category).set(share)
        for category, share in result.baseline.items():
            ROUTING_BASELINE.labels(category).set(share)


_telemetry = Telemetry(ObservabilitySettings(audit_log="off"))  # install() replaces it with the configured one


def current() -> Telemetry:
    return _telemetry


def _route_kind(request: persona_pb2.PersonaRequest, decision: persona_pb2.RoutingDecision, blocked: bool) -> str:
    if blocked:
        return "blocked"
    if decision.crisis or decision.moderation.action == persona_pb2.POLICY_ACTION_REDIRECT_TO_SUPPORT:
        return "crisis"
    if persona_of(request, "forced_persona"):
        return "forced"
    if decision.degraded:
        return "degraded"
    return "routed"


def _moderation_fields(moderation: persona_pb2.ModerationResult) -> dict[str, Any]:
    return {
        "action": _action_name(moderation.action),
        "severity": _severity_name(moderation.severity),
        "categories": sorted({category_label(c) for c in moderation.categories}),
    }


def _moderated(direction: str, moderation: persona_pb2.ModerationResult, blocked: bool) -> None:
    """Count and audit one moderation result with findings (an allow without categories is no event)."""
    action = _action_name(moderation.action)
    categories = sorted({category_label(c) for c in moderation.categories})
    if not categories and action in ("allow", "unspecified"):
        return
    for category in categories or ["none"]:
        MODERATION_ACTIONS.labels(direction, action, category).inc()
    fields = {"direction": direction, **_moderation_fields(moderation), "reasons": list(moderation.reasons)[:16]}
    _telemetry.audit.record("moderation", **fields)
    if blocked or moderation.action in _BLOCKING:
        _telemetry.audit.record("policy_violation", **fields)


def routed(request: persona_pb2.PersonaRequest, decision: persona_pb2.RoutingDecision) -> None:
    """One routing decision: counted, fed to the anomaly detector, moderation counted, audited."""
    try:
        moderator = persona_registry().moderator
        chosen = persona_of(decision)
        blocked = chosen == moderator or decision.moderation.action in _BLOCKING
        kind = _route_kind(request, decision, blocked)
        persona = chosen or "none"
        ROUTING_DECISIONS.labels(persona, kind).inc()
        _telemetry.detector.observe(BLOCKED if blocked else persona)
        _moderated("input", decision.moderation, blocked)
        if not _telemetry.audit.enabled:
            return  # the record's fields (a redaction among them) cost CPU on every request
        _telemetry.audit.record(
            "routing_decision",
            user=pii.redact_text(request.user_id),
            persona=persona,
            route=kind,
            alternatives=alternatives_of(decision),
            confidence=round(float(decision.confidence), 4),
            query_type=decision.query_type,
            matched_rules=list(decision.matched_rules)[:32],
            reasons=list(decision.reasons)[:16],
            moderation=_moderation_fields(decision.moderation),
            crisis=bool(decision.crisis),
            degraded=bool(decision.degraded),
            latency_ms=round(float(decision.latency_ms), 3),
            content_chars=len(request.content),
        )
    except Exception:  # observability never fails a request
        log.exception("routing telemetry failed")


def output_checked(moderation: persona_pb2.ModerationResult) -> None:
    """Abi's verdict on an answer (withheld when it blocks)."""
    try:
        _moderated("output", moderation, moderation.action == persona_pb2.POLICY_ACTION_BLOCK)
    except Exception:
        log.exception("output telemetry failed")


def rejected(status: int, reason: str) -> None:
    """A refused request (400/401/403/404/413/429...): counted by status and reason."""
    if status in _SHORT_STATUS:
        REJECTED.labels(str(status), reason_label(str(reason))).inc()


def rated(persona: str, rating: float) -> None:
    """A user's rating of an answer, by the persona that gave it (personas the gateway serves only)."""
    served = _collector.gateway.registry.personas if _collector.gateway is not None else persona_registry().entries
    if persona in served:
        FEEDBACK_RATING.labels(persona).observe(rating)


def _failure_outcome(error: BaseException) -> str:
    if isinstance(error, grpc.RpcError):
        return str(error.code().name).lower()
    if isinstance(error, BreakerOpenError):
        return "breaker_open"
    if isinstance(error, GeneratorExit):
        return "cancelled"  # the caller stopped reading (a client went away)
    name = type(error).__name__
    return {"_StreamTruncated": "truncated", "RateLimited": "capacity", "CancelledError": "cancelled"}.get(
        name, "error"
    )


async def attempt(persona: str, replica: str, events: AsyncIterator[T]) -> AsyncIterator[T]:
    """One call to a replica, passed through: its time, outcome and the replica's failures in a row."""
    started = time.perf_counter()
    outcome = "ok"
    try:
        async for event in events:
            yield event
    except BaseException as error:
        outcome = _failure_outcome(error)
        raise
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()  # the call's own cleanup (cancel, breaker, capacity) runs now, not at garbage collection
        REPLICA_ATTEMPTS.labels(persona, replica, outcome).inc()
        REPLICA_ATTEMPT_SECONDS.labels(persona, replica).observe(time.perf_counter() - started)
        key = (persona, replica)
        failed = outcome not in ("ok", "cancelled")
        _telemetry.failures[key] = _telemetry.failures.get(key, 0) + 1 if failed else 0
        REPLICA_CONSECUTIVE_FAILURES.labels(persona, replica).set(_telemetry.failures[key])


# -- state read at scrape time -------------------------------------------------------------------


class _RegistryCollector(Collector):
    """Healthy replicas per persona, read from the gateway's registry at each scrape."""

    def __init__(self) -> None:
        self.gateway: Gateway | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        healthy = GaugeMetricFamily(
            "pm_gateway_persona_healthy_replicas",
            "Replicas of a persona in rotation (SERVING); 0 means the persona cannot answer.",
            labels=["persona"],
        )
        total = GaugeMetricFamily(
            "pm_gateway_persona_replicas", "Replicas the gateway knows of a persona.", labels=["persona"]
        )
        if self.gateway is not None:
            for name, group in sorted(self.gateway.registry.personas.items()):
                if not group.config.enabled:
                    continue
                healthy.add_metric([name], len(group.healthy()))
                total.add_metric([name], len(group.replicas))
        yield healthy
        yield total

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())


_collector = _RegistryCollector()
REGISTRY.register(_collector)


# -- config changes -------------------------------------------------------------------------------


class ObservabilityMiddleware:
    """Each HTTP request: the root span of its trace (when tracing is on), and an audit record for every
    change through the admin config API (/api/v1/config, any method but GET)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        method = str(scope.get("method", "GET"))
        config_change = path.startswith("/api/v1/config") and method not in ("GET", "HEAD", "OPTIONS")
        if not config_change and not tracing_enabled():
            await self.app(scope, receive, send)  # nothing to record: no span, no wrapped send (the common case)
            return
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        route = path if path.startswith(("/api/v1/chat", "/api/v1/route", "/v1/")) else "other"
        with _TRACER.start_as_current_span(f"HTTP {method} {route}", kind=SpanKind.SERVER) as span:
            span.set_attribute("http.request.method", method)
            span.set_attribute("url.path", path)
            try:
                await self.app(scope, receive, watch)
            finally:
                span.set_attribute("http.response.status_code", status)
                if config_change:
                    _telemetry.audit.record(
                        "config_change",
                        method=method,
                        path=path,
                        target=path.removeprefix("/api/v1/config").strip("/").split("/")[0] or "config",
                        status=status,
                        applied=200 <= status < 300,
                        actor=ctx.user_var.get(),
                        role=ctx.role_var.get(),
                    )


def install(gateway: Gateway, settings: ObservabilitySettings | None = None) -> Telemetry:
    """Start the audit log and anomaly detector, declare what the registry knows; once per gateway."""
    global _telemetry
    _telemetry.audit.close()
    _telemetry = Telemetry(settings)
    _telemetry.detector.known([*gateway.registry.personas, BLOCKED])
    _collector.gateway = gateway
    for replica in gateway.registry.all_replicas():
        # Breakers report transitions; a breaker that never changed is closed (0) from the start.
        BREAKER_STATE.labels(replica.breaker.name).set(_BREAKER_LEVELS.get(replica.breaker.state, 0))
        REPLICA_CONSECUTIVE_FAILURES.labels(replica.persona, replica.address).set(0)
    ANOMALY_SCORE.set(0)
    return _telemetry
