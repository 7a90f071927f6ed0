"""One chat request, end to end: limit, route, pick a replica, fall back, check the output.

Both the unary and the streamed path live here so that every front end gets
the same behaviour. Fallback: the next replica of the chosen persona, then the
personas in the decision's alternatives, at most `max_attempts` calls within
the request's deadline. A stream whose replica dies continues on another
replica (seamlessly when the new text repeats what was sent, otherwise after
an explicit restart event) or ends with an explicit error event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import TypeVar

import grpc

from gateway import telemetry
from gateway.auth import Principal
from gateway.pipeline.chat_input import ChatInput
from gateway.pipeline.memory import AnsweredRequest, AnsweredRequests, SessionTurns
from gateway.pipeline.moderation import Moderation, abi_answer, is_blocked, relay_error
from gateway.pipeline.ratelimits import PersonaCapacity, RateLimited, UserRateLimiter
from gateway.pipeline.stats import RATE_LIMITED, PersonaStats
from gateway.upstream.balancer import Balancer
from gateway.upstream.channels import CALLER_CODES, call_options
from gateway.upstream.registry import Registry
from gateway.upstream.replica import Replica
from personamesh.v1 import abi_service_pb2_grpc, persona_pb2
from services.common import context as ctx
from services.common import pii
from services.common.breaker import BreakerOpenError
from services.common.errors import ServiceError, unavailable
from services.common.reasons import Reason
from services.common.registry.wire import alternatives_of, persona_of, set_persona
from services.common.safety.resources import ResourceTable

log = logging.getLogger(__name__)


@dataclass
class ChatResult:
    request_id: str
    response: persona_pb2.PersonaResponse
    decision: persona_pb2.RoutingDecision


# Stream events, in order: Routing, then Delta/Restart..., then Final or Error.
@dataclass
class RoutingEvent:
    decision: persona_pb2.RoutingDecision


@dataclass
class DeltaEvent:
    text: str


@dataclass
class RestartEvent:
    """Discard the text streamed so far: a different answer follows."""

    reason: str


@dataclass
class FinalEvent:
    result: ChatResult


@dataclass
class ErrorEvent:
    code: str
    reason: str
    message: str
    # The error itself when there is one (a relayed refusal, a rate limit with its retry-after).
    error: ServiceError | None = None

    def as_error(self) -> ServiceError:
        """What a unary caller gets instead of this event."""
        return self.error or ServiceError(grpc.StatusCode[self.code], self.reason, self.message)


StreamEvent = RoutingEvent | DeltaEvent | RestartEvent | FinalEvent | ErrorEvent
_Event = TypeVar("_Event")


class _StreamTruncated(Exception):
    """A persona stream ended without its final event."""


def _no_trace_of_input_pii(response: persona_pb2.PersonaResponse, raw_input: str) -> None:
    """After the output check: no PII, and no trace of the input's PII (`jane_doe` from jane.doe@example.com),
    in the answer or its code blocks. Only the gateway still holds the raw input to compare with. The input's
    PII is found once, not once per piece of the answer."""
    known = pii.signatures([raw_input])
    response.content = pii.scrub(response.content, known=known)
    for block in response.code_blocks:
        block.code = pii.scrub(block.code, known=known)
    for reasoning in response.reasoning_steps:
        reasoning.description = pii.scrub(reasoning.description, known=known)


def _is_replica_fault(error: grpc.RpcError) -> bool:
    """Errors that say a replica is unwell (try another); anything else is the caller's problem."""
    return error.code() not in CALLER_CODES


class ChatPipeline:
    """Everything a chat request passes through between a front end and a persona."""

    def __init__(
        self,
        *,
        registry: Registry,
        balancer: Balancer,
        abi: abi_service_pb2_grpc.AbiServiceAsyncStub,
        abi_timeout: float,
        limiter: UserRateLimiter,
        stats: PersonaStats,
        sessions: SessionTurns,
        answered: AnsweredRequests,
        flags: dict[str, bool],
        default_persona: str,
        support_persona: str,
        max_attempts: int,
        request_timeout: float,
        attempt_timeout: float,
        first_token_timeout: float,
        chunk_timeout: float,
        capacity: int,
        queue: int,
        queue_timeout: float,
        limit_anonymous: bool,
        resources: ResourceTable | None = None,
    ) -> None:
        self.registry = registry
        self.resources = resources or ResourceTable()
        self.balancer = balancer
        self.moderation = Moderation(
            abi,
            timeout=abi_timeout,
            default_persona=default_persona,
            support_persona=support_persona,
            personas=lambda: sorted(registry.personas),
            flags=flags,
        )
        self.limiter = limiter
        self.stats = stats
        self.sessions = sessions
        self.answered = answered
        self.flags = flags
        self.default_persona = default_persona
        self.max_attempts = max_attempts
        self.request_timeout = request_timeout
        self.attempt_timeout = attempt_timeout
        self.first_token_timeout = first_token_timeout
        self.chunk_timeout = chunk_timeout
        self._capacity_args = (capacity, queue, queue_timeout)
        self._capacities: dict[str, PersonaCapacity] = {}
        self.limit_anonymous = limit_anonymous

    # -- shared steps -----------------------------------------------------------------

    def capacity(self, persona: str) -> PersonaCapacity:
        found = self._capacities.get(persona)
        if found is None:
            found = self._capacities[persona] = PersonaCapacity(persona, *self._capacity_args)
        return found

    def known_personas(self) -> set[str]:
        """Personas a caller may ask for: every answering persona the gateway knows (registry and run time)."""
        return set(self.registry.personas)

    async def admit(self, principal: Principal) -> None:
        """Bind the caller to the context and count the request against its limit."""
        ctx.role_var.set(principal.role)
        ctx.user_var.set(principal.user_id)
        if not ctx.request_id_var.get():
            ctx.request_id_var.set(ctx.new_request_id())
        if principal.authenticated or self.limit_anonymous:
            try:
                await self.limiter.check(principal.user_id)
            except ServiceError as error:
                RATE_LIMITED.labels(error.reason).inc()
                raise

    def persona_request(self, chat: ChatInput, principal: Principal) -> persona_pb2.PersonaRequest:
        user_id = principal.acting_for(chat.user_id)
        # The internal calls of this request are signed for the user they act for (the services check it).
        ctx.user_var.set(user_id)
        turns = chat.recent_turns
        if turns is None and self.flags.get("session_history", True):
            # History belongs to (user, session): another caller naming this session id gets none of it.
            turns = self.sessions.recent(user_id, chat.session_id) if chat.session_id else []
        request = persona_pb2.PersonaRequest(
            request_id=ctx.request_id_var.get(),
            user_id=user_id,
            session_id=chat.session_id,
            content=chat.content,
            recent_turns=turns or [],
            max_tokens=chat.max_tokens,
            temperature=chat.temperature,
            metadata=chat.context,
        )
        set_persona(request, chat.persona, "forced_persona")
        return request

    def _fallback_order(self, first: str, alternatives: list[str]) -> list[str]:
        """first, the personas the registry says stand in for it, Abi's alternatives, then every other one."""
        group = self.registry.group(first)
        order = [first, *(group.fallback if group else ()), *alternatives]
        order += sorted(set(self.registry.personas) - set(order))
        seen: list[str] = []
        for name in order:
            group = self.registry.group(name)
            if name and name not in seen and group is not None and group.config.enabled:
                seen.append(name)
        return seen

    def _remember(self, chat: ChatInput, request: persona_pb2.PersonaRequest, result: ChatResult) -> None:
        self.answered.add(
            result.request_id,
            AnsweredRequest(persona_of(result.response), request.user_id, result.decision.query_type),
        )
        # A blocked message never enters the history: neither it nor Abi's refusal may reach a persona later.
        if chat.session_id and self.flags.get("session_history", True) and not is_blocked(result.decision):
            user_text = pii.redact_text(result.decision.moderation.redacted_text or chat.content)
            self.sessions.add(
                request.user_id, chat.session_id, user_text, result.response.content, persona_of(result.response)
            )

    def _deadline(self) -> float:
        remaining = ctx.time_remaining()
        budget = self.request_timeout if remaining is None else min(remaining, self.request_timeout)
        return time.monotonic() + budget

    def _attempts(
        self, decision: persona_pb2.RoutingDecision, deadline: float, session: str = ""
    ) -> AsyncIterator[Replica]:
        """Replicas to try, in fallback order, at most max_attempts, while time remains; a session's turns are kept on
        one replica of a persona while it can take them (`Balancer.pick`)."""
        first = persona_of(decision) or self.default_persona
        order = self._fallback_order(first, alternatives_of(decision))

        async def generate() -> AsyncIterator[Replica]:
            attempts = 0
            for persona in order:
                group = self.registry.group(persona)
                tried: set[str] = set()
                while group is not None and attempts < self.max_attempts and time.monotonic() < deadline:
                    replica = self.balancer.pick(group, tried, session)
                    if replica is None:
                        break
                    tried.add(replica.address)
                    attempts += 1
                    yield replica

        return generate()

    def _request_for(
        self, base: persona_pb2.PersonaRequest, decision: persona_pb2.RoutingDecision, replica: Replica
    ) -> persona_pb2.PersonaRequest:
        request = persona_pb2.PersonaRequest()
        request.CopyFrom(base)
        request.routing.CopyFrom(decision)
        # Personas get the redacted text (Abi's, and the shared patterns again in case Abi was told not to
        # redact): what reaches a model, a memory store or a log never carries the user's PII.
        request.content = pii.redact_text(decision.moderation.redacted_text or base.content)
        for turn in request.recent_turns:
            turn.content = pii.redact_text(turn.content)
        group = self.registry.group(replica.persona)
        if group is not None and group.config.temperature is not None:
            request.temperature = group.config.temperature
        return request

    def _finish(
        self,
        chat: ChatInput,
        request: persona_pb2.PersonaRequest,
        decision: persona_pb2.RoutingDecision,
        response: persona_pb2.PersonaResponse,
        started: float,
    ) -> ChatResult:
        response.request_id = request.request_id
        response.degraded = response.degraded or decision.degraded
        response.latency_ms = (time.perf_counter() - started) * 1000.0
        result = ChatResult(request.request_id, response, decision)
        self._remember(chat, request, result)
        self.stats.answered(
            persona_of(response),
            time.perf_counter() - started,
            fallback=response.fallback,
            degraded=response.degraded,
        )
        log.info(
            "answered",
            extra={
                "audit": True,
                "user": request.user_id,
                "persona": persona_of(response),
                "replica": response.replica,
                "fallback": response.fallback,
                "degraded": response.degraded,
                "moderation": int(decision.moderation.action),
                "latency_ms": round(response.latency_ms, 3),
            },
        )
        return result

    # -- unary: the pipeline's events, collected ----------------------------------------------

    async def chat(self, chat: ChatInput, principal: Principal) -> ChatResult:
        """The answer whole: the same path as `chat_stream`, collected (one fallback and output-check logic).

        The persona is asked with its unary `Chat`, so the answer crosses the mesh as one message rather than
        dozens of deltas (that per-chunk work cost the gateway ~1 ms of CPU per request).
        """
        events = self.chat_stream(chat, principal, streamed=False)
        try:
            async for event in events:
                if isinstance(event, FinalEvent):
                    return event.result
                if isinstance(event, ErrorEvent):
                    raise event.as_error()
        finally:
            await events.aclose()  # type: ignore[attr-defined]
        raise unavailable(Reason.NO_PERSONA_AVAILABLE, "the answer ended without a result")

    # -- streamed ---------------------------------------------------------------------

    async def chat_stream(
        self, chat: ChatInput, principal: Principal, *, streamed: bool = True
    ) -> AsyncIterator[StreamEvent]:
        """Routing first, then text deltas, then exactly one Final or Error event (`streamed=False`: the persona
        answers in one message, given as one delta)."""
        started = time.perf_counter()
        await self.admit(principal)
        request = self.persona_request(chat, principal)
        decision = await self.moderation.route(request, principal.role)
        yield RoutingEvent(decision)
        if is_blocked(decision):
            answer = abi_answer(request.request_id, decision, self.resources.for_request(request))
            yield DeltaEvent(answer.content)
            yield FinalEvent(self._finish(chat, request, decision, answer, started))
            return
        chosen = persona_of(decision)
        deadline = self._deadline()
        sent = ""  # raw text the client has been sent so far
        failures = 0
        limited: RateLimited | None = None
        last_error = "no replica of any persona is available"
        session = f"{request.user_id}\x1f{request.session_id}" if request.session_id else ""
        async for replica in self._attempts(decision, deadline, session):
            if sent and not self.flags.get("stream_fallback", True):
                break  # continuing mid-answer is switched off: end with an explicit error
            final: persona_pb2.PersonaResponse | None = None
            candidate = ""
            aligned = not sent
            try:
                persona_request = self._request_for(request, decision, replica)
                call = (
                    self._stream_call(replica, persona_request, deadline)
                    if streamed
                    else self._unary_call(replica, persona_request, deadline)
                )
                async for event in telemetry.attempt(replica.persona, replica.address, call):
                    if isinstance(event, persona_pb2.PersonaResponse):
                        final = event  # the last event: the generator ends by itself
                        continue
                    candidate += event
                    if aligned:
                        sent += event
                        yield DeltaEvent(event)
                    elif candidate.startswith(sent):
                        aligned = True
                        if len(candidate) > len(sent):
                            yield DeltaEvent(candidate[len(sent) :])
                        sent = candidate
                    elif not sent.startswith(candidate):
                        aligned = True
                        yield RestartEvent(Reason.FALLBACK_ANSWER)
                        sent = candidate
                        yield DeltaEvent(candidate)
            except grpc.RpcError as error:
                if not _is_replica_fault(error):
                    self.stats.failed(replica.persona, error.code().name)
                    refused = relay_error(error)
                    yield ErrorEvent(error.code().name, refused.reason, refused.message, refused)
                    return
                failures += 1
                last_error = f"{replica.address}: {error.code().name}"
                continue
            except RateLimited as error:
                limited = error
                failures += 1
                continue
            except (BreakerOpenError, _StreamTruncated) as error:
                failures += 1
                last_error = f"{replica.address}: {error}"
                continue
            assert final is not None
            set_persona(final, replica.persona)
            final.fallback = final.fallback or failures > 0 or replica.persona != chosen
            final.replica = final.replica or replica.address
            if not final.content:
                final.content = candidate
            await self.moderation.check_output(final)
            if self.flags.get("output_check", True):
                _no_trace_of_input_pii(final, request.content)
            if final.content != sent:
                if final.content.startswith(sent):
                    yield DeltaEvent(final.content[len(sent) :])
                else:
                    yield RestartEvent(Reason.OUTPUT_CHECKED if failures == 0 else Reason.FALLBACK_ANSWER)
                    yield DeltaEvent(final.content)
            yield FinalEvent(self._finish(chat, request, decision, final, started))
            return
        self.stats.failed(chosen or self.default_persona, "UNAVAILABLE")
        if limited is not None and not sent:
            RATE_LIMITED.labels(limited.reason).inc()
            yield ErrorEvent("RESOURCE_EXHAUSTED", limited.reason, limited.message, limited)
            return
        reason = Reason.STREAM_INTERRUPTED if sent else Reason.NO_PERSONA_AVAILABLE
        yield ErrorEvent("UNAVAILABLE", reason, f"no persona could finish the answer: {last_error}")

    async def _stream_call(
        self, replica: Replica, request: persona_pb2.PersonaRequest, deadline: float
    ) -> AsyncIterator[str | persona_pb2.PersonaResponse]:
        """A persona stream as text deltas then its final response; raises if it ends early or stalls.

        A replica that hangs (SIGSTOP, a wedged process) costs at most the first-token or chunk timeout
        and the answer moves to another replica; one that still answers its health probes is only slow
        (a model thinking) and may take up to the attempt timeout for each event.
        """
        async with self._on_replica(replica):
            call = replica.stub.ChatStream(request, **call_options(max(0.001, deadline - time.monotonic())))
            events = aiter(call)
            short = self.first_token_timeout
            try:
                while (event := await self._await_event(replica, anext(events, None), short, deadline)) is not None:
                    replica.heard()
                    short = self.chunk_timeout
                    if event.HasField("final"):
                        yield event.final
                        return
                    yield event.delta
                raise _StreamTruncated(f"{replica.address} ended its stream without a final answer")
            finally:
                call.cancel()

    async def _unary_call(
        self, replica: Replica, request: persona_pb2.PersonaRequest, deadline: float
    ) -> AsyncIterator[str | persona_pb2.PersonaResponse]:
        """A persona's whole answer as one final response, with a stream's first-event timeouts."""
        async with self._on_replica(replica):
            call = replica.stub.Chat(request, **call_options(max(0.001, deadline - time.monotonic())))
            try:
                yield await self._await_event(replica, call, self.first_token_timeout, deadline)
            finally:
                call.cancel()

    @contextlib.asynccontextmanager
    async def _on_replica(self, replica: Replica) -> AsyncIterator[None]:
        """One attempt's bookkeeping: a capacity slot, the breaker, the replica's calls in flight and outcome."""
        async with self.capacity(replica.persona).slot(), replica.breaker.guard():
            attempt = replica.started()
            error: BaseException | None = None
            try:
                yield
            except BaseException as failure:
                error = failure
                raise
            finally:
                replica.finished(attempt, error)

    async def _await_event(
        self, replica: Replica, awaitable: Awaitable[_Event], short: float, deadline: float
    ) -> _Event:
        """What `awaitable` gives; after `short` seconds it is given up unless the replica is responsive."""
        since = time.monotonic()
        pending: asyncio.Future[_Event] = asyncio.ensure_future(awaitable)
        wait = short
        try:
            while True:
                done, _ = await asyncio.wait((pending,), timeout=max(0.001, min(wait, deadline - time.monotonic())))
                if done:
                    return pending.result()
                now = time.monotonic()
                waited = now - since
                if now >= deadline or waited >= self.attempt_timeout or not replica.responsive():
                    raise _StreamTruncated(f"{replica.address} sent nothing for {waited:.1f} s")
                # Alive but slow: look again once its next probe has had time to answer.
                wait = min(replica.probe.interval_seconds, self.attempt_timeout - waited)
        finally:
            if not pending.done():
                pending.cancel()
