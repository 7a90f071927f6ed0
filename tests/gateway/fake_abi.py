"""A stand-in Abi with fixed decisions, for gateway tests that must not depend on Abi's model.

Route blocks (persona abi, action block, category prompt_injection) any message containing
"ignore all previous instructions", holds "hold this for review" for a person to review (uncertain
violence) and sends everything else to the forced persona or abbey;
the output check allows everything. Run as `python -m tests.gateway.fake_abi` with PM_PORT.
"""

from __future__ import annotations

import grpc

from personamesh.v1 import abi_service_pb2, abi_service_pb2_grpc, persona_pb2
from services.common.server import ServiceSpec, run_service
from services.common.settings import CommonSettings

BLOCKED_PHRASE = "ignore all previous instructions"
HELD_PHRASE = "hold this for review"  # held for a person to review, as uncertain violence


def _stopped(
    persona: persona_pb2.Persona.ValueType, action: persona_pb2.PolicyAction.ValueType, category: str
) -> persona_pb2.RoutingDecision:
    """A decision that moderation stops: blocked (the moderator answers) or held for a person to review."""
    return persona_pb2.RoutingDecision(
        persona=persona,
        confidence=1.0,
        moderation=persona_pb2.ModerationResult(
            action=action, severity=persona_pb2.SEVERITY_HIGH, categories=[category]
        ),
        reasons=[f"fake abi: {category}"],
    )


class FakeAbi(abi_service_pb2_grpc.AbiServiceServicer):
    async def Route(
        self, request: abi_service_pb2.RouteRequest, context: grpc.aio.ServicerContext
    ) -> abi_service_pb2.RouteResponse:
        inner = request.request
        if BLOCKED_PHRASE in inner.content.lower():
            decision = _stopped(persona_pb2.PERSONA_ABI, persona_pb2.POLICY_ACTION_BLOCK, "prompt_injection")
        elif HELD_PHRASE in inner.content.lower():
            decision = _stopped(persona_pb2.PERSONA_ABBEY, persona_pb2.POLICY_ACTION_REQUIRE_HUMAN_REVIEW, "violence")
        else:
            chosen = inner.forced_persona or persona_pb2.PERSONA_ABBEY
            others = [p for p in (persona_pb2.PERSONA_ABBEY, persona_pb2.PERSONA_AVIVA) if p != chosen]
            decision = persona_pb2.RoutingDecision(
                persona=chosen,
                confidence=0.9,
                alternatives=others,
                moderation=persona_pb2.ModerationResult(action=persona_pb2.POLICY_ACTION_ALLOW),
                reasons=["fake abi: allowed"],
                query_type="general",
            )
        return abi_service_pb2.RouteResponse(decision=decision)

    async def CheckPolicy(
        self, request: abi_service_pb2.CheckPolicyRequest, context: grpc.aio.ServicerContext
    ) -> abi_service_pb2.CheckPolicyResponse:
        allowed = persona_pb2.ModerationResult(action=persona_pb2.POLICY_ACTION_ALLOW, redacted_text=request.text)
        return abi_service_pb2.CheckPolicyResponse(moderation=allowed)


def build() -> ServiceSpec:
    return ServiceSpec(
        name="fake-abi",
        service_names=[abi_service_pb2.DESCRIPTOR.services_by_name["AbiService"].full_name],
        register=lambda server: abi_service_pb2_grpc.add_AbiServiceServicer_to_server(
            FakeAbi(),  # type: ignore[abstract]  # only what the gateway calls; the rest answer UNIMPLEMENTED
            server,
        ),
    )


if __name__ == "__main__":
    run_service("fake-abi", build, CommonSettings())
