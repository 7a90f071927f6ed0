"""The embedder in front of the real int8 encoder: a text asked for twice at once is encoded once."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest

from services.common.encoder import Embeddings, SentenceEncoder
from services.embeddings.embedder import Embedder


class CountingEncoder(SentenceEncoder):
    """The real encoder, recording every text it runs the model on; it can be made slow or to fail once."""

    def __init__(self, *, delay: float = 0.0, fail_first: bool = False) -> None:
        super().__init__(threads=1)
        self.texts: list[str] = []
        self.delay = delay
        self.fail_first = fail_first
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> Embeddings:
        time.sleep(self.delay)
        with self._lock:
            self.texts.extend(texts)
            if self.fail_first:
                self.fail_first = False
                raise RuntimeError("model run failed")
        return super().encode(texts)


async def test_a_text_asked_for_twice_at_once_is_encoded_once() -> None:
    """What a persona does per message: memory and knowledge searched with the same text at the same time."""
    encoder = CountingEncoder(delay=0.05)
    embedder = Embedder(encoder)
    try:
        message = "my dog Biscuit died last week and the house feels empty"
        first, second, other = await asyncio.gather(
            embedder.encode_one(message), embedder.encode_one(message), embedder.encode_one("how do I undo a commit")
        )
        assert encoder.texts.count(message) == 1
        assert np.array_equal(first.vector, second.vector)
        assert not np.array_equal(first.vector, other.vector)
    finally:
        await embedder.close()


async def test_a_call_waiting_for_a_failed_encoding_encodes_the_text_itself() -> None:
    encoder = CountingEncoder(delay=0.05, fail_first=True)
    embedder = Embedder(encoder)
    try:
        message = "the deploy broke prod, how do I roll back"
        failed, waited = await asyncio.gather(
            embedder.encode_one(message), embedder.encode_one(message), return_exceptions=True
        )
        assert isinstance(failed, RuntimeError)
        assert not isinstance(waited, BaseException) and waited.vector.shape == (384,)
        assert encoder.texts.count(message) == 2  # the failed run, then the waiter's own
    finally:
        await embedder.close()


async def test_cancelling_a_waiting_call_leaves_the_encoding_to_its_owner() -> None:
    encoder = CountingEncoder(delay=0.2)
    embedder = Embedder(encoder)
    try:
        message = "I got the job!"
        owner = asyncio.ensure_future(embedder.encode_one(message))
        await asyncio.sleep(0)
        waiter = asyncio.ensure_future(embedder.encode_one(message))
        await asyncio.sleep(0.05)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert (await owner).vector.shape == (384,)
        assert encoder.texts.count(message) == 1
    finally:
        await embedder.close()


async def test_a_text_gets_the_same_vector_alone_and_among_concurrent_callers() -> None:
    """The int8 encoder quantises activations per run: batched with other texts (and their padding), a text got
    another vector than alone (cosine down to 0.95). Routing evidence, memory recall and knowledge search must
    not hang on what else the index was encoding at the time."""
    message = "my landlord keeps the deposit, what can I do"
    others = [
        "ok",
        "how do I kill a zombie process in linux",
        "A long pasted paragraph about tenancy law, deposits, inventories and the dispute process. " * 5,
    ]
    alone = SentenceEncoder(threads=1).encode([message]).vectors[0]
    embedder = Embedder(SentenceEncoder(threads=1), cache_size=0, max_wait_s=0.05)
    try:
        together = await asyncio.gather(*(embedder.encode([text]) for text in [*others, message]))
    finally:
        await embedder.close()
    assert embedder._batcher.batches < 4  # the callers did share a job
    np.testing.assert_allclose(together[-1][0].vector, alone, atol=1e-6)


_ARENA_AFTER_A_LONG_TEXT = """
import ctypes, ctypes.util, json
import numpy as np
from services.common.encoder import SentenceEncoder

def rss_mib():
    ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)  # freed blocks back, as the services' trim thread does
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024

encoder = SentenceEncoder(threads=1)
short = encoder.encode(["how do I undo my last commit"]).vectors[0]
encoder.encode([" ".join(["documentation"] * 400)])  # a chunk cut at 256 tokens, as a bulk load runs
grown = rss_mib()
encoder.release_arena()
released = rss_mib()
again = encoder.encode(["how do I undo my last commit"]).vectors[0]
print(json.dumps({"freed_mib": grown - released, "same_vector": bool(np.array_equal(short, again))}))
"""


def test_the_arena_a_long_text_grew_is_handed_back_and_vectors_stay_the_same() -> None:
    """What a bulk load leaves in onnxruntime's arena (embedder.matrix_uncached ends with release_arena)."""
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _ARENA_AFTER_A_LONG_TEXT], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["freed_mib"] > 10 and result["same_vector"]
