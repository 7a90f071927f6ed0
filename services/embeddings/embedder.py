"""The serving side of the encoder: LRU cache by text, then micro-batched jobs in a thread.

Concurrent callers' texts are handed to the encoder thread as one job (fewer thread hand-offs); the
encoder still runs each text alone, so a vector never depends on the other texts of its job.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from cachetools import LRUCache

from services.common.encoder import DIMENSION, MODEL_NAME, SentenceEncoder
from services.embeddings.batching import MicroBatcher
from services.embeddings.metrics import EMBED_BATCH_TEXTS, EMBED_CACHE, EMBED_TRUNCATED
from services.embeddings.settings import DEFAULT_EMBED_CACHE_TEXTS


@dataclass(frozen=True)
class EncodedText:
    """One text's unit vector, whether it was cut to the model's limit, and its token count."""

    vector: np.ndarray
    truncated: bool
    token_count: int


class LruCache:
    """A bounded mapping from text to its encoding that counts hits and misses (cachetools' LRU underneath)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: LRUCache[str, EncodedText] = LRUCache(maxsize=max(capacity, 1))
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> EncodedText | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
        else:
            self.hits += 1
        return entry

    def put(self, key: str, value: EncodedText) -> None:
        if self.capacity > 0:
            self._entries[key] = value

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class Embedder:
    """Async text -> vector with a cache and dynamic micro-batching."""

    model_name = MODEL_NAME
    dimension = DIMENSION

    def __init__(
        self,
        encoder: SentenceEncoder,
        *,
        batching: bool = True,
        max_batch: int = 8,
        max_wait_s: float = 0.0,
        cache_size: int = DEFAULT_EMBED_CACHE_TEXTS,
        workers: int = 2,
    ) -> None:
        self.encoder = encoder
        self.cache = LruCache(cache_size)
        # Texts being encoded now, for calls that ask for them meanwhile.
        self._in_flight: dict[str, asyncio.Future[EncodedText]] = {}
        self._batching = batching
        self._batcher_max = max(1, max_batch)
        # `workers` model runs at a time when batching (batches share the cores); a few threads otherwise.
        self._executor = ThreadPoolExecutor(
            max_workers=max(1, workers) if batching else 4, thread_name_prefix="encoder"
        )
        self._batcher: MicroBatcher[str, EncodedText] = MicroBatcher(
            self._encode_blocking, self._executor, max_items=max_batch, max_wait_s=max_wait_s, workers=workers
        )

    def _encode_blocking(self, texts: list[str]) -> list[EncodedText]:
        """One executor job for the texts of every call batched together; the encoder runs each text alone, so a
        text's vector does not depend on what else was waiting (services/common/encoder.py)."""
        EMBED_BATCH_TEXTS.observe(len(texts))
        result = self.encoder.encode(texts)
        # A copy: a cached vector must not keep its whole batch's matrix alive.
        encoded = [
            EncodedText(result.vectors[row].copy(), result.truncated[row], result.token_counts[row])
            for row in range(len(texts))
        ]
        EMBED_TRUNCATED.inc(sum(e.truncated for e in encoded))
        return encoded

    async def encode(self, texts: list[str], *, cache: bool = True) -> list[EncodedText]:
        """Encodings of `texts`, in order; repeated, cached and in-flight texts are not encoded again.

        A text another call is encoding right now is waited for, not encoded twice: a persona searches
        its memory and the knowledge base with the same message at the same time, and both calls used to
        miss the cache together (one embedding per request). `cache=False` (bulk document loads) neither
        reads nor fills the cache, so it keeps the hot queries.
        """
        found: dict[str, EncodedText] = {}
        shared: dict[str, asyncio.Future[EncodedText]] = {}
        missing: dict[str, None] = {}  # ordered, without repeats
        for text in texts:
            if text in found or text in shared or text in missing:
                continue
            cached = self.cache.get(text) if cache else None
            if cached is not None:
                found[text] = cached
            elif cache and text in self._in_flight:
                shared[text] = self._in_flight[text]
            else:
                missing[text] = None
        if cache:
            EMBED_CACHE.labels("hit").inc(len(found))
            EMBED_CACHE.labels("shared").inc(len(shared))
            EMBED_CACHE.labels("miss").inc(len(missing))
        if missing:
            found.update(await self._encode_missing(list(missing), cache))
        for text, pending in shared.items():
            try:
                found[text] = await asyncio.shield(pending)
            except asyncio.CancelledError:
                if not pending.cancelled():
                    raise  # this call was cancelled, not the one it waited for
                found[text] = (await self.encode([text], cache=cache))[0]
        return [found[text] for text in texts]

    async def _encode_missing(self, missing: list[str], cache: bool) -> dict[str, EncodedText]:
        """Encode `missing`, letting calls that arrive meanwhile wait for these texts (when caching)."""
        loop = asyncio.get_running_loop()
        futures = {text: loop.create_future() for text in missing} if cache else {}
        self._in_flight.update(futures)
        try:
            if self._batching:
                encoded = await self._batcher.submit(missing)
            else:
                encoded = await loop.run_in_executor(self._executor, self._encode_blocking, missing)
        except BaseException:
            for future in futures.values():
                future.cancel()  # whoever waited encodes the text itself
            raise
        finally:
            for text in futures:
                self._in_flight.pop(text, None)
        out = dict(zip(missing, encoded, strict=True))
        for text, value in out.items():
            if cache:
                self.cache.put(text, value)
                futures[text].set_result(value)
        return out

    async def encode_one(self, text: str) -> EncodedText:
        return (await self.encode([text]))[0]

    async def matrix(self, texts: list[str]) -> np.ndarray:
        """Vectors of `texts` stacked into an n x 384 float32 matrix."""
        encoded = await self.encode(texts)
        if not encoded:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([e.vector for e in encoded]).astype(np.float32)

    async def matrix_uncached(self, texts: list[str]) -> np.ndarray:
        """Like `matrix` for bulk loads: in model-sized batches, without touching the cache; at the end the
        encoder's memory arena goes back to what a short query needs (documents are long, queries short)."""
        parts = []
        step = min(16, self._batcher_max)  # small runs let live Embed calls interleave
        for start in range(0, len(texts), step):
            encoded = await self.encode(texts[start : start + step], cache=False)
            parts.append(np.stack([e.vector for e in encoded]))
        if not parts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        await asyncio.get_running_loop().run_in_executor(self._executor, self.encoder.release_arena)
        return np.concatenate(parts).astype(np.float32)

    async def close(self) -> None:
        await self._batcher.close()
        self._executor.shutdown(wait=False, cancel_futures=True)
