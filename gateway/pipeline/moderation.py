"""The gateway's side of moderation: Abi's routing decision and output check, and what
happens without Abi (a local, conservative policy check and the default persona).

Abi calls go through one breaker, so an Abi outage costs each request nothing once it
has opened; every answer given without Abi is marked degraded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import grpc

from gateway import telemetry
from gateway.pipeline import local_policy
from gateway.pipeline.stats import DEGRADED, breaker_changed
from gateway.upstream.channels import CALLER_CODES, call_options
from personamesh.v1 import abi_service_pb2, abi_service_pb2_grpc, persona_pb2
from services.common.breaker import AsyncCircuitBreaker, BreakerOpenError
from services.common.errors import ServiceError, error_reason
from services.common.registry import persona_registry
from services.common.registry.wire import alternatives_of, persona_of, set_alternatives, set_persona
from services.common.safety.resources import Resources

log = logging.getLogger(__name__)

# REDIRECT_TO_SUPPORT is deliberately absent: a self-harm disclosure is never blocked,
# it goes to the support persona, which answers with care and crisis resources.
BLOCKING_ACTIONS = frozenset(
    {
        persona_pb2.POLICY_ACTION_BLOCK,
        persona_pb2.POLICY_ACTION_REQUIRE_HUMAN_REVIEW,
    }
)
ABI_ANSWERS = {
    persona_pb2.POLICY_ACTION_REDIRECT_TO_SUPPORT: (
        "It sounds like you are going through something really hard, and you don't have to face it alone. "
        "Please reach out to someone you trust or to a crisis line now (in the US, call or text 988; "
        "elsewhere, your local emergency number)."
    ),
    persona_pb2.POLICY_ACTION_REQUIRE_HUMAN_REVIEW: (
        "This request needs a person to review it before it can be answered."
    ),
}
DEFAULT_ABI_ANSWER = "I can't help with that request."
# Harm that someone in danger may be telling of (a threat against them, violence in front of them): a refusal or
# a hold of it still says where help is. Emergencies put in few or unusual words are sometimes held or blocked as
# these (a fire, a car crash outside, someone at the door, in another language); a benign how-to held as weapons
# or CBRN ("convert 350 Fahrenheit to Celsius") gets no such line.
DANGER_CATEGORIES = frozenset({"violence", "violent_threat"})
WITHHELD_ANSWER = "The answer was withheld because it did not pass the output policy check."


def relay_error(error: grpc.RpcError) -> ServiceError:
    """Relay a persona's or Abi's refusal of the request itself."""
    return ServiceError(error.code(), error_reason(error) or "REJECTED_BY_SERVICE", error.details() or "rejected")


def is_blocked(decision: persona_pb2.RoutingDecision) -> bool:
    """Moderation stopped the message: the moderator itself "answers", or the action blocks."""
    return persona_of(decision) == persona_registry().moderator or decision.moderation.action in BLOCKING_ACTIONS


def abi_answer(
    request_id: str, decision: persona_pb2.RoutingDecision, resources: Resources | None = None
) -> persona_pb2.PersonaResponse:
    """What Abi says when moderation stops a message; stopping harm that someone in danger may be telling of ends
    with the region's emergency number (`resources`)."""
    text = ABI_ANSWERS.get(decision.moderation.action, DEFAULT_ABI_ANSWER)
    if resources is not None and DANGER_CATEGORIES & set(decision.moderation.categories):
        text += f" If you or someone else is in danger right now, call {resources.emergency} now."
    response = persona_pb2.PersonaResponse(
        request_id=request_id, content=text, confidence=1.0, degraded=decision.degraded, backend="policy"
    )
    set_persona(response, persona_registry().moderator)
    return response


class Moderation:
    """Routing decisions and output checks from Abi, with a safe local fallback."""

    def __init__(
        self,
        abi: abi_service_pb2_grpc.AbiServiceAsyncStub,
        *,
        timeout: float,
        default_persona: str,
        support_persona: str,
        personas: Callable[[], list[str]],
        flags: dict[str, bool],
    ) -> None:
        self.abi = abi
        self.timeout = timeout
        self.default_persona = default_persona
        self.support_persona = support_persona
        self.personas = personas
        self.flags = flags
        # A short reset: while Abi is down each probe fails fast, and once it is back routing recovers in seconds.
        self.breaker = AsyncCircuitBreaker(
            "abi", fail_max=3, reset_timeout=2.0, success_threshold=1, on_state_change=breaker_changed
        )

    async def route(self, request: persona_pb2.PersonaRequest, role: str) -> persona_pb2.RoutingDecision:
        """Abi's decision; with Abi unreachable, the local policy check and the default persona."""
        started = time.perf_counter()
        decision: persona_pb2.RoutingDecision | None = None
        try:
            async with self.breaker.guard():
                reply = await self.abi.Route(
                    abi_service_pb2.RouteRequest(request=request, user_role=role), **call_options(self.timeout)
                )
            decision = reply.decision
        except grpc.RpcError as error:
            if error.code() in CALLER_CODES:
                raise relay_error(error) from error
            log.warning("abi unreachable; routing locally", extra={"code": error.code().name})
        except BreakerOpenError:
            pass
        if decision is None:
            decision = self._local_decision(request)
            decision.latency_ms = (time.perf_counter() - started) * 1000.0
        forced = persona_of(request, "forced_persona")
        redirected = decision.crisis or decision.moderation.action == persona_pb2.POLICY_ACTION_REDIRECT_TO_SUPPORT
        chosen = persona_of(decision)
        if forced and not is_blocked(decision) and not redirected and chosen != forced:
            decision.reasons.append(f"persona forced by the caller: {forced}")
            moderator = persona_registry().moderator
            alternatives = [p for p in [chosen, *alternatives_of(decision)] if p not in (forced, moderator, "")]
            set_persona(decision, forced)
            set_alternatives(decision, alternatives)
        telemetry.routed(request, decision)
        return decision

    def _local_decision(self, request: persona_pb2.PersonaRequest) -> persona_pb2.RoutingDecision:
        DEGRADED.labels("abi").inc()
        verdict = local_policy.check(request.content)
        chosen = persona_of(request, "forced_persona") or self.default_persona
        crisis = verdict.moderation.action == persona_pb2.POLICY_ACTION_REDIRECT_TO_SUPPORT
        if crisis:
            chosen = self.support_persona
        decision = persona_pb2.RoutingDecision(
            confidence=0.5,
            moderation=verdict.moderation,
            tone=persona_pb2.TONE_NEUTRAL,
            reasons=["abi unreachable: local policy check and the default persona"],
            degraded=True,
            query_type="general",
            crisis=crisis,
        )
        set_persona(decision, chosen)
        set_alternatives(decision, [p for p in self.personas() if p != chosen])
        if verdict.blocked:
            set_persona(decision, persona_registry().moderator)
            set_alternatives(decision, [])
            decision.confidence = 1.0
        return decision

    async def check_output(self, response: persona_pb2.PersonaResponse) -> None:
        """Apply the output policy to an answer in place (redact or withhold); degrade if Abi is down."""
        if not self.flags.get("output_check", True) or persona_of(response) == persona_registry().moderator:
            return
        moderation: persona_pb2.ModerationResult | None = None
        try:
            async with self.breaker.guard():
                reply = await self.abi.CheckPolicy(
                    abi_service_pb2.CheckPolicyRequest(
                        text=response.content, direction=abi_service_pb2.DIRECTION_OUTPUT
                    ),
                    **call_options(self.timeout),
                )
            moderation = reply.moderation
        except grpc.RpcError as error:
            log.warning("output check failed; redacting locally", extra={"code": error.code().name})
        except BreakerOpenError:
            pass
        if moderation is None:
            DEGRADED.labels("abi").inc()
            response.content, _ = local_policy.redact(response.content)
            response.degraded = True
            return
        telemetry.output_checked(moderation)
        if moderation.action == persona_pb2.POLICY_ACTION_BLOCK:
            response.content = WITHHELD_ANSWER
            del response.code_blocks[:]
        elif moderation.redacted_text and moderation.redacted_text != response.content:
            response.content = moderation.redacted_text
