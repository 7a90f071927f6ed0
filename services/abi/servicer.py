"""The AbiService gRPC handlers: validate, gather evidence, decide, convert."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc

from personamesh.v1 import abi_service_pb2, abi_service_pb2_grpc
from services.abi import convert, validation
from services.abi.conversation import earlier_user_messages
from services.abi.index import IndexEvidenceSource
from services.abi.model import MODELS_DIR, AbiModel, Scores
from services.abi.policy import PolicyConfig, SecondReading
from services.abi.router import Evidence, PersonaRouter, Reading, RouteInput
from services.abi.rules.store import DEFAULT_RULES_PATH, RulesInvalidError, RuleStore, VersionConflictError
from services.abi.sessions import SessionMemory
from services.abi.settings import AbiSettings
from services.abi.verifier import VERIFIER_DIR, ThreatVerifier
from services.common.errors import ServiceError, invalid_argument
from services.common.internal_auth import require_role
from services.common.reasons import Reason

log = logging.getLogger(__name__)

SERVICE_NAME = "personamesh.v1.AbiService"
RULE_ADMIN_ROLES = ("operator", "admin")


def _require_rule_admin() -> None:
    """A role the gateway signed (x-pm-role metadata alone counts for nothing): UNAUTHENTICATED without a
    valid token, PERMISSION_DENIED (ROLE_REQUIRED) for a signed role that may not manage rules."""
    require_role(RULE_ADMIN_ROLES, "rule management")


class AbiServicer(abi_service_pb2_grpc.AbiServiceServicer):
    def __init__(self, settings: AbiSettings) -> None:
        self.settings = settings
        model = AbiModel(Path(settings.abi_models_dir) if settings.abi_models_dir else MODELS_DIR)
        verifier = ThreatVerifier() if settings.abi_threat_verifier and ThreatVerifier.shipped() else None
        if settings.abi_threat_verifier and verifier is None:
            log.warning("no threat verifier in %s: threats are judged by the model alone", VERIFIER_DIR)
        self.router = PersonaRouter(
            model, SessionMemory(settings.abi_session_capacity, settings.abi_session_ttl_seconds), verifier=verifier
        )
        self._model_pool = ThreadPoolExecutor(max(1, settings.abi_model_workers), thread_name_prefix="abi-model")
        rules_path = Path(settings.abi_rules_path) if settings.abi_rules_path else DEFAULT_RULES_PATH
        self.persist_rules = rules_path.resolve() != DEFAULT_RULES_PATH.resolve()
        self.rules = RuleStore(rules_path, self.router.base_policy, persist=self.persist_rules)
        self.index = IndexEvidenceSource(
            settings.embeddings_addr,
            timeout=settings.abi_index_timeout_seconds,
            breaker_failures=settings.abi_index_breaker_failures,
            breaker_reset=settings.abi_index_breaker_reset_seconds,
            cache_seconds=settings.abi_weights_cache_seconds,
        )
        self._watcher: asyncio.Task[None] | None = None

    def register(self, server: grpc.aio.Server) -> None:
        """The generated registration; undecodable bytes are answered by the server interceptor."""
        abi_service_pb2_grpc.add_AbiServiceServicer_to_server(self, server)

    async def warmup(self) -> None:
        """Run every code path once (the model, regexes, VADER lexicon) so the first request is not slow."""
        for text in ("warm-up: how do I sort a list?", "warm-up: I feel a bit sad today"):
            scores = await self._scores(text)
            self.router.decide(RouteInput(text), Reading(scores), Evidence(problem="warm-up"), self.rules.active)
        self._watcher = asyncio.create_task(self.rules.watch(self.settings.abi_rules_reload_seconds))

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        await self.index.close()
        self._model_pool.shutdown(wait=False, cancel_futures=True)

    async def _scores(self, text: str) -> Scores:
        """The model's scores, computed on a worker thread so the event loop keeps serving."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._model_pool, self.router.scores, text)

    async def _read(self, route_input: RouteInput) -> Reading:
        """The message and, with earlier user messages, the conversation (`PersonaRouter.together`) read at once on
        the worker threads: a single caller waits for about one pass, not two (a conversation's pass is wasted only
        on a message the verdict needs no conversation for)."""
        loop = asyncio.get_running_loop()
        policy = self.rules.active.policy
        message = loop.run_in_executor(self._model_pool, self.router.message_scores, route_input.content, policy)
        if not route_input.earlier:
            scores = await message
            return Reading(scores, second_reading=await self._second_reading(route_input.content, scores, policy))
        if policy.conversation_harm_threshold is None:
            texts = self.router.together(route_input, policy)  # joined strings only: no model pass
        else:  # an earlier message not read in its own turn costs a pass
            texts = await loop.run_in_executor(self._model_pool, self.router.together, route_input, policy)
        distinct = list(dict.fromkeys(text for text in (texts.crisis, texts.harm) if text))
        scores, *reads = await asyncio.gather(message, *(self._scores(text) for text in distinct))
        read = dict(zip(distinct, reads, strict=True))
        second = await self._second_reading(route_input.content, scores, policy)
        return Reading.of(scores, read.get(texts.crisis or ""), read.get(texts.harm or ""), policy, second)

    async def _second_reading(self, text: str, scores: Scores, policy: PolicyConfig) -> SecondReading | None:
        """The threat verifier's reading, on a worker thread, only for a message the model could stop as a threat."""
        if not self.router.needs_second_reading(scores, policy):
            return None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._model_pool, self.router.second_reading, text, scores, policy)

    async def Route(self, request: Any, context: grpc.aio.ServicerContext) -> abi_service_pb2.RouteResponse:
        s = self.settings
        validation.check_route_request(
            request, max_chars=s.max_content_chars, max_turns=s.abi_max_turns, max_metadata=s.abi_max_metadata_entries
        )
        inner = request.request
        metadata = dict(inner.metadata)
        route_input = RouteInput(
            content=inner.content,
            user_id=inner.user_id,
            session_id=inner.session_id,
            forced_persona=validation.forced_persona(inner),
            user_role=request.user_role,
            metadata=metadata,
            last_persona=validation.last_assistant_persona(inner),
            earlier=earlier_user_messages(inner.recent_turns),
        )
        # The learned weights are fetched while the model runs; the decision never waits for the index
        # longer than its short deadline.
        evidence, reading = await asyncio.gather(
            self.index.weights(inner.user_id, metadata.get("domain", "")), self._read(route_input)
        )
        decision = self.router.decide(route_input, reading, evidence, self.rules.active)
        return abi_service_pb2.RouteResponse(decision=convert.decision_proto(decision))

    async def AnalyzeSentiment(
        self, request: Any, context: grpc.aio.ServicerContext
    ) -> abi_service_pb2.AnalyzeSentimentResponse:
        validation.check_text(request.text, "text", self.settings.max_content_chars)
        scores = await self._scores(request.text)
        verdict = self.router.policy.check(request.text, scores, config=self.rules.active.policy)
        result = self.router.sentiment.analyze(request.text, scores, crisis=verdict.crisis)
        return abi_service_pb2.AnalyzeSentimentResponse(
            sentiment=convert.sentiment_proto(result),
            emotions=convert.all_emotions(result),
            derived_emotions=convert.derived_emotions(result),
        )

    async def CheckPolicy(self, request: Any, context: grpc.aio.ServicerContext) -> abi_service_pb2.CheckPolicyResponse:
        validation.check_text(request.text, "text", self.settings.max_content_chars)
        if request.direction not in abi_service_pb2.Direction.values():
            raise invalid_argument(Reason.UNKNOWN_DIRECTION, f"direction {request.direction} is unknown", "direction")
        output = request.direction == abi_service_pb2.DIRECTION_OUTPUT
        scores = await self._scores(request.text)
        policy = self.rules.active.policy
        second = None if output else await self._second_reading(request.text, scores, policy)
        verdict = self.router.policy.check(request.text, scores, output=output, config=policy, second_reading=second)
        return abi_service_pb2.CheckPolicyResponse(moderation=convert.moderation_proto(verdict))

    async def GetRules(self, request: Any, context: grpc.aio.ServicerContext) -> abi_service_pb2.GetRulesResponse:
        _require_rule_admin()
        active = self.rules.active
        return abi_service_pb2.GetRulesResponse(yaml=active.text, version=active.version, rule_count=active.rule_count)

    def _check_rules_size(self, text: str) -> None:
        if len(text.encode("utf-8")) > self.settings.abi_max_rules_bytes:
            raise invalid_argument(
                Reason.RULES_TOO_LARGE, f"rules document exceeds {self.settings.abi_max_rules_bytes} bytes", "yaml"
            )

    async def ValidateRules(
        self, request: Any, context: grpc.aio.ServicerContext
    ) -> abi_service_pb2.ValidateRulesResponse:
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
        _require_rule_admin()
        self._check_rules_size(request.yaml)
        try:
            rule_set = await self.rules.replace(request.yaml, request.expected_version)
        except VersionConflictError as error:
            raise ServiceError(grpc.StatusCode.ABORTED, Reason.RULES_VERSION_CONFLICT, str(error)) from error
        except RulesInvalidError as error:
            first = error.problems[0]
            raise ServiceError(
                grpc.StatusCode.INVALID_ARGUMENT,
                Reason.RULES_INVALID,
                "the rules are invalid; the active rules are unchanged: "
                + "; ".join(f"{p.path} (line {p.line}): {p.message}" for p in error.problems[:5]),
                {"path": first.path, "rule_name": first.rule_name, "line": str(first.line)},
            ) from error
        return abi_service_pb2.ReplaceRulesResponse(version=rule_set.version, rule_count=rule_set.rule_count)
