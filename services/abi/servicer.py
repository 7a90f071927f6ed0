"""The AbiService gRPC handlers: validate, gather evidence, decide, convert."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import numpy as np
from google.protobuf.message import DecodeError, Message

from personamesh.v1 import abi_service_pb2, abi_service_pb2_grpc, persona_pb2
from services.abi import convert, validation
from services.abi.features import lexical_features, vader_scores
from services.abi.heads import MODELS_DIR, load_heads
from services.abi.index import IndexEvidenceSource
from services.abi.router import Evidence, PersonaRouter, RouteInput
from services.abi.rules.store import DEFAULT_RULES_PATH, RulesInvalidError, RuleStore, VersionConflictError
from services.abi.sessions import SessionMemory
from services.abi.settings import AbiSettings
from services.common import context as ctx
from services.common.errors import ServiceError, invalid_argument, permission_denied

log = logging.getLogger(__name__)

SERVICE_NAME = "personamesh.v1.AbiService"
RULE_ADMIN_ROLES = ("operator", "admin")


class UndecodableRequest:
    """Stands in for a request whose bytes did not parse (for example invalid UTF-8 in a string)."""

    def __init__(self, error: str) -> None:
        self.error = error


def _tolerant(message_type: type[Message]) -> Callable[[bytes], Any]:
    def deserialize(data: bytes) -> Any:
        try:
            return message_type.FromString(data)
        except (DecodeError, ValueError, UnicodeDecodeError) as error:
            return UndecodableRequest(str(error))

    return deserialize


def _require_decoded(request: Any) -> None:
    if isinstance(request, UndecodableRequest):
        raise invalid_argument(
            "MALFORMED_REQUEST",
            f"the request is not a valid message (invalid UTF-8 in a string field?): {request.error}",
        )


def _require_rule_admin() -> None:
    role = ctx.role_var.get()
    if role not in RULE_ADMIN_ROLES:
        raise permission_denied(
            "ROLE_REQUIRED", f"rule management needs role operator or admin, not {role or 'none'!r}"
        )


def _turn_persona(request: persona_pb2.PersonaRequest) -> str:
    for turn in reversed(request.recent_turns):
        if turn.role == persona_pb2.ROLE_ASSISTANT and turn.persona in convert.PERSONA_NAME:
            return convert.PERSONA_NAME[turn.persona]
    return ""


class AbiServicer(abi_service_pb2_grpc.AbiServiceServicer):
    def __init__(self, settings: AbiSettings) -> None:
        self.settings = settings
        heads = load_heads(Path(settings.abi_models_dir) if settings.abi_models_dir else MODELS_DIR)
        self.router = PersonaRouter(
            heads, SessionMemory(settings.abi_session_capacity, settings.abi_session_ttl_seconds)
        )
        rules_path = Path(settings.abi_rules_path) if settings.abi_rules_path else DEFAULT_RULES_PATH
        self.persist_rules = rules_path.resolve() != DEFAULT_RULES_PATH.resolve()
        self.rules = RuleStore(rules_path, self.router.base_policy, persist=self.persist_rules)
        self.index = IndexEvidenceSource(
            settings.embeddings_addr,
            timeout=settings.abi_index_timeout_seconds,
            breaker_failures=settings.abi_index_breaker_failures,
            breaker_reset=settings.abi_index_breaker_reset_seconds,
        )
        self._watcher: asyncio.Task[None] | None = None

    def register(self, server: grpc.aio.Server) -> None:
        """Like the generated add_AbiServiceServicer_to_server, but undecodable bytes become INVALID_ARGUMENT."""
        methods: dict[str, tuple[Callable[..., Any], type[Message], type[Message]]] = {
            "Route": (self.Route, abi_service_pb2.RouteRequest, abi_service_pb2.RouteResponse),
            "AnalyzeSentiment": (
                self.AnalyzeSentiment,
                abi_service_pb2.AnalyzeSentimentRequest,
                abi_service_pb2.AnalyzeSentimentResponse,
            ),
            "CheckPolicy": (self.CheckPolicy, abi_service_pb2.CheckPolicyRequest, abi_service_pb2.CheckPolicyResponse),
            "GetRules": (self.GetRules, abi_service_pb2.GetRulesRequest, abi_service_pb2.GetRulesResponse),
            "ValidateRules": (
                self.ValidateRules,
                abi_service_pb2.ValidateRulesRequest,
                abi_service_pb2.ValidateRulesResponse,
            ),
            "ReplaceRules": (
                self.ReplaceRules,
                abi_service_pb2.ReplaceRulesRequest,
                abi_service_pb2.ReplaceRulesResponse,
            ),
        }
        handlers = {
            name: grpc.unary_unary_rpc_method_handler(
                behaviour,
                request_deserializer=_tolerant(request_type),
                response_serializer=response_type.SerializeToString,
            )
            for name, (behaviour, request_type, response_type) in methods.items()
        }
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE_NAME, handlers),))

    async def warmup(self) -> None:
        """Run every code path once (numpy, regexes, VADER lexicon) so the first request is not slow."""
        vector = np.full(384, 1 / np.sqrt(384), dtype=np.float32)
        for text in ("warm-up: how do I sort a list?", "warm-up: I feel a bit sad today"):
            self.router.decide(RouteInput(text), Evidence(vector), self.rules.active)
            self.router.decide(RouteInput(text), Evidence(problem="warm-up"), self.rules.active)
        self._watcher = asyncio.create_task(self.rules.watch(self.settings.abi_rules_reload_seconds))

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        await self.index.close()

    async def Route(self, request: Any, context: grpc.aio.ServicerContext) -> abi_service_pb2.RouteResponse:
        _require_decoded(request)
        s = self.settings
        validation.check_route_request(
            request, max_chars=s.max_content_chars, max_turns=s.abi_max_turns, max_metadata=s.abi_max_metadata_entries
        )
        inner = request.request
        metadata = dict(inner.metadata)
        evidence = await self.index.for_route(inner.content, inner.user_id, metadata.get("domain", ""))
        route_input = RouteInput(
            content=inner.content,
            user_id=inner.user_id,
            session_id=inner.session_id,
            forced_persona=convert.PERSONA_NAME.get(inner.forced_persona, ""),
            user_role=request.user_role,
            metadata=metadata,
            last_persona=_turn_persona(inner),
        )
        decision = self.router.decide(route_input, evidence, self.rules.active)
        return abi_service_pb2.RouteResponse(decision=convert.decision_proto(decision))

    async def AnalyzeSentiment(
        self, request: Any, context: grpc.aio.ServicerContext
    ) -> abi_service_pb2.AnalyzeSentimentResponse:
        _require_decoded(request)
        validation.check_text(request.text, "text", self.settings.max_content_chars)
        evidence = await self.index.vector(request.text)
        result = self.router.sentiment.analyze(request.text, evidence.vector)
        return abi_service_pb2.AnalyzeSentimentResponse(
            sentiment=convert.sentiment_proto(result),
            emotions=convert.all_emotions(result),
            derived_emotions=convert.derived_emotions(result),
        )

    async def CheckPolicy(self, request: Any, context: grpc.aio.ServicerContext) -> abi_service_pb2.CheckPolicyResponse:
        _require_decoded(request)
        validation.check_text(request.text, "text", self.settings.max_content_chars)
        if request.direction not in abi_service_pb2.Direction.values():
            raise invalid_argument("UNKNOWN_DIRECTION", f"direction {request.direction} is unknown", "direction")
        output = request.direction == abi_service_pb2.DIRECTION_OUTPUT
        # The heads learned from user messages; persona output is checked by the lexical cues and PII
        # detectors alone, which keeps every answer's output check free of an index call.
        evidence = Evidence(problem="not used for output") if output else await self.index.vector(request.text)
        probs = None
        if evidence.vector is not None:
            probs = self.router.route_probabilities(
                evidence.vector, lexical_features(request.text, vader_scores(request.text))
            )
        verdict = self.router.policy.check(request.text, probs, output=output, config=self.rules.active.policy)
        if evidence.degraded and not output:
            verdict.reasons.append("embedding index unavailable: lexical checks only")
        return abi_service_pb2.CheckPolicyResponse(moderation=convert.moderation_proto(verdict))

    async def GetRules(self, request: Any, context: grpc.aio.ServicerContext) -> abi_service_pb2.GetRulesResponse:
        _require_decoded(request)
        _require_rule_admin()
        active = self.rules.active
        return abi_service_pb2.GetRulesResponse(yaml=active.text, version=active.version, rule_count=active.rule_count)

    def _check_rules_size(self, text: str) -> None:
        if len(text.encode("utf-8")) > self.settings.abi_max_rules_bytes:
            raise invalid_argument(
                "RULES_TOO_LARGE", f"rules document exceeds {self.settings.abi_max_rules_bytes} bytes", "yaml"
            )

    async def ValidateRules(
        self, request: Any, context: grpc.aio.ServicerContext
    ) -> abi_service_pb2.ValidateRulesResponse:
        _require_decoded(request)
        _require_rule_admin()
        self._check_rules_size(request.yaml)
        rule_set, problems = await asyncio.to_thread(self.rules.validate, request.yaml)
        return abi_service_pb2.ValidateRulesResponse(
            valid=rule_set is not None,
            errors=[
                abi_service_pb2.RuleError(path=p.path, rule_name=p.rule_name, message=p.message, line=p.line)
                for p in problems
            ],
            rule_count=rule_set.rule_count if rule_set else 0,
        )

    async def ReplaceRules(
        self, request: Any, context: grpc.aio.ServicerContext
    ) -> abi_service_pb2.ReplaceRulesResponse:
        _require_decoded(request)
        _require_rule_admin()
        self._check_rules_size(request.yaml)
        try:
            rule_set = await self.rules.replace(request.yaml, request.expected_version)
        except VersionConflictError as error:
            raise ServiceError(grpc.StatusCode.ABORTED, "RULES_VERSION_CONFLICT", str(error)) from error
        except RulesInvalidError as error:
            first = error.problems[0]
            raise ServiceError(
                grpc.StatusCode.INVALID_ARGUMENT,
                "RULES_INVALID",
                "the rules are invalid; the active rules are unchanged: "
                + "; ".join(f"{p.path} (line {p.line}): {p.message}" for p in error.problems[:5]),
                {"path": first.path, "rule_name": first.rule_name, "line": str(first.line)},
            ) from error
        return abi_service_pb2.ReplaceRulesResponse(version=rule_set.version, rule_count=rule_set.rule_count)
