"""Embedding index benchmarks: Embed latency with and without micro-batching against the raw
onnxruntime ceiling, FindBestPersona, SearchConversations at 10k and 100k stored vectors, peak RSS.

Conversation rows for the search figures are written straight into the data dir in big batches
(vectors: real embeddings of chat messages plus small noise, so they cluster like real memories),
then the service is started on it; the searches go through gRPC like Abbey's.
Set PM_BENCH_MEMORY_ROWS (default "10000,100000") to change the sizes.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from personamesh.v1 import embedding_index_service_pb2 as pb
from personamesh.v1 import persona_pb2
from services.abi.training.fixtures import SHARED
from services.common.clients import EmbeddingIndexClient
from services.common.encoder import SentenceEncoder
from services.devmesh.processes import ServiceProcess, free_port
from services.embeddings import reembed
from services.embeddings.collections import CONVERSATIONS
from services.embeddings.store import VectorStore
from tests.bench.stats import peak_rss_mib, print_table, run_concurrent
from tests.signing import SignedIndexClient

TEXTS_FILE = SHARED / "train" / "goemotions_train.jsonl"
USERS_PER_10K = 100  # ~100 memories per ordinary user
HEAVY_USER_SHARE = 0.05


def chat_texts(limit: int) -> list[str]:
    """Short real chat messages (GoEmotions Reddit comments) when available, else synthetic ones."""
    texts: list[str] = []
    if TEXTS_FILE.is_file():
        with TEXTS_FILE.open(encoding="utf-8") as lines:
            for line in lines:
                text = json.loads(line)["text"].strip()
                if len(text) > 20:
                    texts.append(text)
                if len(texts) >= limit:
                    break
    while len(texts) < limit:
        i = len(texts)
        texts.append(f"message {i}: I keep thinking about topic {i % 97} and what to do about it next week")
    return texts


def start_service(data_dir: Path, **env: str) -> ServiceProcess:
    process = ServiceProcess(
        "embeddings",
        "services.embeddings",
        free_port(),
        {"PM_DATA_DIR": str(data_dir), "PM_METRICS_PORT": "-1", "PM_KNOWLEDGE_SEED": "off", **env},
        data_dir.parent / "logs",
    )
    process.start()
    process.wait_serving(600)
    return process


async def embed_figures(target: str, texts: list[str], label: str) -> dict[str, dict[str, float]]:
    client = EmbeddingIndexClient(target, timeout=60.0)
    offset = iter(range(10**9))

    async def embed(_: int) -> None:
        await client.stub.Embed(pb.EmbedRequest(texts=[texts[next(offset) % len(texts)]]))

    rows = {
        f"Embed 1 caller ({label})": await run_concurrent(embed, total=300, concurrency=1),
        f"Embed 32 callers ({label})": await run_concurrent(embed, total=1500, concurrency=32),
    }
    await client.close()
    return rows


def raw_onnx(texts: list[str], batch: int, seconds: float = 6.0) -> dict[str, float]:
    """Texts per second of the bare encoder on batches of `batch`, in this process (no gRPC, no server)."""
    encoder = SentenceEncoder()
    encoder.encode(texts[:batch])
    done, start, i = 0, time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        chunk = texts[i : i + batch] if i + batch <= len(texts) else texts[:batch]
        encoder.encode(chunk)
        done += len(chunk)
        i = (i + batch) % len(texts)
    elapsed = time.perf_counter() - start
    return {"texts": float(done), "throughput_per_s": round(done / elapsed, 1), "batch": float(batch)}


async def fill_conversations(data_dir: Path, start: int, stop: int, base: np.ndarray, texts: list[str]) -> float:
    """Write rows [start, stop) straight into the store in big batches; returns seconds taken."""
    store = VectorStore(lite_dir=data_dir / "embeddings")
    await store.open()
    # A new store records the encoder, as the service and the corpus tool do: the rows are its vectors
    # (plus noise), and the service must not start re-embedding them in the middle of the measurements.
    await reembed.record_if_new(store, store.lite_dir)
    rng = np.random.default_rng(start)
    began = time.perf_counter()
    users = max(1, (stop // 10_000) * USERS_PER_10K)
    for first in range(start, stop, 5000):
        ids = np.arange(first, min(first + 5000, stop))
        picks = rng.integers(0, len(base), size=len(ids))
        vectors = base[picks] + rng.normal(0, 0.02, size=(len(ids), base.shape[1])).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        rows = [
            {
                "id": f"bench-{i}",
                "user_id": "heavy" if i % int(1 / HEAVY_USER_SHARE) == 0 else f"user-{i % users}",
                "session_id": f"s-{i % 7}",
                "persona": int(persona_pb2.PERSONA_ABBEY if i % 3 else persona_pb2.PERSONA_AVIVA),
                "created_ms": 1_700_000_000_000 + int(i) * 1000,
                "emotion": "neutral",
                "sentiment": 0.0,
                "request_id": "",
                "user_message": texts[picks[k]],
                "response": "",
                "vector": vectors[k].tolist(),
            }
            for k, i in enumerate(ids)
        ]
        await store.upsert(CONVERSATIONS, rows)
    await store.close()
    return time.perf_counter() - began


async def search_figures(target: str, rows: int, queries: list[str]) -> dict[str, dict[str, float]]:
    client = SignedIndexClient(target, timeout=60.0)  # signed per call for the user searched, as by the gateway
    users = (rows // 10_000) * USERS_PER_10K

    async def ordinary(i: int) -> None:
        request = pb.SearchConversationsRequest(user_id=f"user-{i % users}", query=queries[i % len(queries)], k=5)
        await client.stub.SearchConversations(request)

    async def heavy(i: int) -> None:
        request = pb.SearchConversationsRequest(user_id="heavy", query=queries[i % len(queries)], k=5)
        await client.stub.SearchConversations(request)

    figures = {
        f"SearchConversations {rows // 1000}k rows, user with ~100": await run_concurrent(
            ordinary, total=300, concurrency=1
        ),
        f"SearchConversations {rows // 1000}k rows, user with 5%": await run_concurrent(
            heavy, total=200, concurrency=1
        ),
        f"SearchConversations {rows // 1000}k rows, 8 callers": await run_concurrent(
            ordinary, total=400, concurrency=8
        ),
    }
    await client.close()
    return figures


async def persona_figures(target: str, queries: list[str]) -> dict[str, dict[str, float]]:
    client = EmbeddingIndexClient(target, timeout=60.0)

    async def fresh(i: int) -> None:
        await client.stub.FindBestPersona(pb.FindBestPersonaRequest(query=f"{queries[i % len(queries)]} #{i}", top_k=3))

    async def repeated(i: int) -> None:
        await client.stub.FindBestPersona(pb.FindBestPersonaRequest(query=queries[i % 20], top_k=3))

    figures = {
        "FindBestPersona 1 caller (new text)": await run_concurrent(fresh, total=300, concurrency=1),
        "FindBestPersona 1 caller (cached text)": await run_concurrent(repeated, total=300, concurrency=1),
        "FindBestPersona 16 callers (new text)": await run_concurrent(fresh, total=800, concurrency=16),
    }
    await client.close()
    return figures


async def main() -> dict:
    sizes = [int(s) for s in os.environ.get("PM_BENCH_MEMORY_ROWS", "10000,100000").split(",") if s]
    texts = chat_texts(6000)
    results: dict[str, object] = {"load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory(prefix="bench-embeddings-") as tmp:
        # 1. Embed without batching (separate process), then the raw ceiling, each alone on the machine.
        plain = start_service(Path(tmp) / "plain" / "data", PM_EMBED_BATCHING="false")
        embed_rows = await embed_figures(plain.target, texts[:3000], "no batching")
        plain_rss = peak_rss_mib(plain.process.pid)  # type: ignore[union-attr]
        plain.stop()
        raw = {size: raw_onnx(texts, size) for size in (1, 8, 32)}
        ceiling = max(raw.values(), key=lambda figures: figures["throughput_per_s"])

        # 2. Base vectors for synthetic memories: real embeddings of chat messages.
        base_texts = texts[3000:5000]
        encoder = SentenceEncoder()
        base = np.concatenate([encoder.encode(base_texts[i : i + 64]).vectors for i in range(0, len(base_texts), 64)])
        del encoder

        data_dir = Path(tmp) / "main" / "data"
        filled, fill_seconds = 0, {}
        search_rows: dict[str, dict[str, float]] = {}
        persona_rows: dict[str, dict[str, float]] = {}
        peak = 0.0
        for index, size in enumerate(sizes):
            fill_seconds[size] = round(await fill_conversations(data_dir, filled, size, base, base_texts), 1)
            filled = size
            started = time.perf_counter()
            service = start_service(data_dir)
            startup = round(time.perf_counter() - started, 1)
            if index == 0:
                embed_rows.update(await embed_figures(service.target, texts[:3000], "batching"))
                persona_rows = await persona_figures(service.target, texts[5000:6000])
            search_rows.update(await search_figures(service.target, size, texts[5000:6000]))
            search_rows[f"start-up on {size // 1000}k rows"] = {"seconds": startup, "fill_seconds": fill_seconds[size]}
            peak = max(peak, peak_rss_mib(service.process.pid))  # type: ignore[union-attr]
            service.stop()

    batched = embed_rows["Embed 32 callers (batching)"]["throughput_per_s"]
    unbatched = embed_rows["Embed 32 callers (no batching)"]["throughput_per_s"]
    throughput: dict[str, dict[str, float]] = {
        f"raw onnxruntime, batches of {size}": figures for size, figures in raw.items()
    }
    for label, value in (("batching", batched), ("no batching", unbatched)):
        throughput[f"service, 32 callers, {label}"] = {
            "throughput_per_s": value,
            "share_of_ceiling": round(value / ceiling["throughput_per_s"], 2),
        }
    print_table("Embed latency (one short text per call)", embed_rows)
    print_table("Embeddings per second", throughput)
    print_table("FindBestPersona", persona_rows)
    print_table("SearchConversations (k=5, query embedded per call)", search_rows)
    memory = {"embeddings service": {"peak_rss_mib": peak, "no-batching service peak_rss_mib": plain_rss}}
    print_table("Peak RSS", memory)
    results.update(
        embed=embed_rows, throughput=throughput, find_best_persona=persona_rows, search=search_rows, memory=memory
    )
    return results
