"""Ways to ask Abi for decisions: in process (fast, for development), over gRPC, or through the gateway's HTTP API."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from personamesh.v1 import abi_service_pb2, persona_pb2
from services.abi.model import AbiModel
from services.abi.router import Evidence, PersonaRouter, RouteInput
from services.abi.rules.store import DEFAULT_RULES_PATH, RuleStore
from services.abi.verifier import VERIFIER_DIR, ThreatVerifier
from services.common.clients import AbiClient
from services.devmesh.processes import ServiceProcess, free_port

PERSONA_NAMES = {persona_pb2.PERSONA_ABI: "abi", persona_pb2.PERSONA_ABBEY: "abbey", persona_pb2.PERSONA_AVIVA: "aviva"}
ACTION_NAMES = {value: name.removeprefix("POLICY_ACTION_").lower() for name, value in persona_pb2.PolicyAction.items()}


@dataclass(frozen=True)
class Prediction:
    persona: str
    action: str
    categories: tuple[str, ...]
    query_type: str
    emotions: frozenset[str] = field(default_factory=frozenset)
    degraded: bool = False
    crisis: bool = False
    ekman: frozenset[str] = field(default_factory=frozenset)

    @property
    def blocked(self) -> bool:
        """Moderation stopped the message: the moderator answered it."""
        return self.persona == "abi"

    @property
    def stopped(self) -> bool:
        """No persona answers: blocked, or held for a person to review (the gateway answers that it must be
        reviewed first: gateway/pipeline/moderation.py's BLOCKING_ACTIONS)."""
        return self.blocked or self.action == "require_human_review"

    @property
    def crisis_handled(self) -> bool:
        """A crisis counts as handled only when it reaches abbey with `redirect_to_support` (a refusal is not care)."""
        return self.persona == "abbey" and self.action == "redirect_to_support"


class InProcessBackend:
    """The router with the shipped model, its threat verifier and default rules, in this process (no index, no
    transport). `verifier_dir`: another threat verifier; `threat_verifier=False` routes with the model alone."""

    name = "inprocess"

    def __init__(
        self, models_dir: Path | None = None, *, threat_verifier: bool = True, verifier_dir: Path = VERIFIER_DIR
    ) -> None:
        model = AbiModel(models_dir) if models_dir else AbiModel(threads=2)
        verifier = (
            ThreatVerifier(verifier_dir, threads=2)
            if threat_verifier and ThreatVerifier.shipped(verifier_dir)
            else None
        )
        self.router = PersonaRouter(model, verifier=verifier)
        self.rules = RuleStore(DEFAULT_RULES_PATH, self.router.base_policy, persist=False).active

    async def predict(self, texts: list[str], earlier: list[tuple[str, ...]] | None = None) -> list[Prediction]:
        before = earlier or [()] * len(texts)
        return [self.predict_one(RouteInput(text, earlier=e)) for text, e in zip(texts, before, strict=True)]

    def predict_one(self, request: RouteInput) -> Prediction:
        """One Route decision as the service makes it (each text alone; the conversation when `earlier` is set)."""
        d = self.router.decide(request, self.router.read(request, self.rules.policy), Evidence(), self.rules)
        return Prediction(
            d.persona,
            d.moderation.action,
            tuple(d.moderation.categories),
            d.query_type,
            frozenset(d.sentiment.present),
            d.degraded,
            d.crisis,
            frozenset(d.sentiment.ekman_present),
        )

    async def close(self) -> None:
        return None


class GrpcBackend:
    """Route over gRPC; with no target, starts an embedding index and Abi on free ports for the run."""

    name = "grpc"

    def __init__(self, target: str | None, concurrency: int = 8) -> None:
        self.processes: list[ServiceProcess] = []
        if target is None:
            target = self._start_services()
        self.client = AbiClient(target, timeout=10.0)
        self.concurrency = concurrency

    def _start_services(self) -> str:
        self._tmp = tempfile.TemporaryDirectory(prefix="abi-eval-")
        tmp = Path(self._tmp.name)
        ports = {"embeddings": free_port(), "abi": free_port()}
        env = {
            "PM_EMBEDDINGS_ADDR": f"127.0.0.1:{ports['embeddings']}",
            "PM_DATA_DIR": str(tmp / "data"),
            "PM_METRICS_PORT": "-1",
        }
        for name in ("embeddings", "abi"):
            proc = ServiceProcess(name, f"services.{name}", ports[name], env, tmp / "logs")
            proc.start()
            self.processes.append(proc)
            proc.wait_serving(timeout=180)
        return f"127.0.0.1:{ports['abi']}"

    async def predict(self, texts: list[str], earlier: list[tuple[str, ...]] | None = None) -> list[Prediction]:
        gate = asyncio.Semaphore(self.concurrency)

        async def one(text: str, before: tuple[str, ...]) -> Prediction:
            turns = [persona_pb2.Turn(role=persona_pb2.ROLE_USER, content=e) for e in before]
            async with gate:
                reply = await self.client.stub.Route(
                    abi_service_pb2.RouteRequest(request=persona_pb2.PersonaRequest(content=text, recent_turns=turns)),
                    timeout=10.0,
                )
            d = reply.decision
            return Prediction(
                PERSONA_NAMES.get(d.persona, "?"),
                ACTION_NAMES.get(d.moderation.action, "?"),
                tuple(d.moderation.categories),
                d.query_type,
                frozenset(e.label for e in d.emotions),
                d.degraded,
                d.crisis,
                frozenset(e.label for e in d.ekman_emotions),
            )

        before = earlier or [()] * len(texts)
        return list(await asyncio.gather(*(one(t, e) for t, e in zip(texts, before, strict=True))))

    async def close(self) -> None:
        await self.client.close()
        for proc in reversed(self.processes):
            proc.stop()


class HttpBackend:
    """POST /api/v1/route on a running gateway (the "Must show" path)."""

    name = "http"

    def __init__(self, url: str, api_key: str = "", concurrency: int = 8) -> None:
        headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.AsyncClient(base_url=url.rstrip("/"), headers=headers, timeout=30.0)
        self.concurrency = concurrency

    async def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(20):
            response = await self.client.post("/api/v1/route", json=body)
            if response.status_code == 429:
                await asyncio.sleep(float(response.headers.get("retry-after", "1") or 1) + 0.1 * attempt)
                continue
            response.raise_for_status()
            result: dict[str, Any] = response.json()
            return result
        raise RuntimeError("rate limited 20 times in a row")

    async def predict(self, texts: list[str], earlier: list[tuple[str, ...]] | None = None) -> list[Prediction]:
        gate = asyncio.Semaphore(self.concurrency)
        before = earlier or [()] * len(texts)

        async def one(index: int, text: str) -> Prediction:
            body: dict[str, Any] = {"content": text, "user_id": f"eval-{index}"}
            if before[index]:
                body["recent_turns"] = [{"role": "user", "content": e} for e in before[index]]
            async with gate:
                d = await self._post(body)
            moderation = d.get("moderation", {})
            return Prediction(
                d.get("persona", "?"),
                moderation.get("action", "?"),
                tuple(moderation.get("categories", [])),
                d.get("query_type", ""),
                frozenset(e["label"] for e in d.get("emotions", [])),
                bool(d.get("degraded")),
                bool(d.get("crisis")),
                frozenset(e["label"] for e in d.get("ekman_emotions", [])),
            )

        return list(await asyncio.gather(*(one(i, t) for i, t in enumerate(texts))))

    async def close(self) -> None:
        await self.client.aclose()
