"""Sentence embeddings with int8 all-MiniLM-L6-v2 on onnxruntime (no PyTorch).

A stateless library: the embedding index service serves it (batching, cache,
store) and offline training scripts use it directly. The model and its
tokenizer are files of the repository (services/embeddings/models, written by
`make export-encoder` from the sentence-transformers weights): nothing is
downloaded or unpacked at run time.

The model has no pooling head: outputs are mean-pooled over the attention
mask and L2-normalised, as sentence-transformers does for this model. The
shipped tokenizer.json pads and truncates to 128 tokens; we truncate at the
model's 256-token training limit; each text runs alone (`encode`), so none is padded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from services.common.exact_int8 import exact_model_path

if TYPE_CHECKING:  # loaded by the functions that use them: a process that runs no model keeps their ~35 MiB
    import numpy as np
    import onnxruntime as ort
    from tokenizers import Tokenizer

# Stored vectors are only comparable with vectors of the same model: the index re-embeds its knowledge
# when this name changes (services/embeddings/reembed.py). "-single": one text per run (SentenceEncoder.encode);
# stores written by the batched encoder before it ("all-MiniLM-L6-v2-qint8", cosine down to 0.948) re-embed.
MODEL_NAME = "all-MiniLM-L6-v2-qint8-single"
DIMENSION = 384
MAX_TOKENS = 256
# The embedding index's model (this module is shared with training scripts, so the files are named here).
MODELS_DIR = Path(__file__).resolve().parents[1] / "embeddings" / "models"
MODEL_FILE = "all-MiniLM-L6-v2.int8.onnx"
TOKENIZER_FILE = "all-MiniLM-L6-v2.tokenizer.json"
CARD_FILE = "all-MiniLM-L6-v2.json"


def default_model_path() -> Path:
    return MODELS_DIR / MODEL_FILE


def cpu_session(path: Path, *, threads: int = 0, allow_spinning: bool = True) -> ort.InferenceSession:
    """One onnxruntime CPU session, as every model of the mesh runs. `threads` 0 uses every core;
    `allow_spinning=False` stops idle threads from busy-waiting between runs: a little slower alone, much kinder
    to a server's other threads.

    The memory arena stays on: it keeps the largest run's buffers, which every model here bounds (one input
    per run, `run_alone`: a text of at most 256 tokens for the encoder, a window for Abi, a pair for the
    cross-encoder). Without it Abi's check of a long answer cost 66 instead of 43 ms of CPU; the encoder, when
    it still ran batches of 32 x 256 tokens, held 965 MiB with it, and one text per run holds 132 MiB (172 MiB
    peak without it).

    onnxruntime (and numpy, in `run_alone`) is imported here, not with the module: an Aviva replica with an
    LLM backend runs no model (her cross-encoder is off there) and so loads neither (35 MiB of its RSS)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    if not allow_spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # The same result on every CPU: int8 sums saturate on x86 without VNNI (services/common/exact_int8.py).
    runnable = exact_model_path(path)
    return ort.InferenceSession(str(runnable), options, providers=["CPUExecutionProvider"])


def run_alone(
    session: ort.InferenceSession,
    outputs: list[str],
    ids: list[int],
    type_ids: list[int] | None = None,
    options: ort.RunOptions | None = None,
) -> list[np.ndarray]:
    """`outputs` of one text (or pair) of token ids, run by itself, as every model of the mesh is run.

    Never a batch: the int8 models quantise activations dynamically, with one scale per run, so an input run
    beside others (and their padding) got another result than alone: Abi's harm probability up to 0.35 apart,
    encoder vectors down to a cosine of 0.948, Aviva's best passage changed (figures at each caller). Without
    padding it is also the cheaper way on these small models.
    """
    import numpy as np

    tensor = np.asarray([ids], dtype=np.int64)
    feeds = {"input_ids": tensor, "attention_mask": np.ones_like(tensor)}
    if type_ids is not None:
        feeds["token_type_ids"] = np.asarray([type_ids], dtype=np.int64)
    return list(session.run(outputs, feeds, options))


def release_arena(session: ort.InferenceSession, ids: list[int], type_ids: list[int] | None = None) -> None:
    """Hand back what the session's memory arena holds beyond one short run: a run of `ids` (a text of a token
    or two) with onnxruntime's arena shrinkage, which frees the arena's unused blocks at its end.

    The arena keeps the buffers of the largest run it served; after a bulk load of 256-token chunks that was
    ~25 MiB that short queries never touch (the embedding index after a fresh store's first start: 307 ->
    282 MiB). A long text later grows it again (the first one after a release cost 56 instead of 46 ms of
    CPU, measured on 256 tokens): the bound stays one longest run.
    """
    import onnxruntime as ort

    options = ort.RunOptions()
    options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    run_alone(session, [session.get_outputs()[0].name], ids, type_ids, options)


def load_tokenizer(path: Path | None = None, max_tokens: int = MAX_TOKENS) -> Tokenizer:
    """The MiniLM WordPiece tokenizer with our truncation limit and no padding (every model here runs one
    text or pair at a time: see SentenceEncoder.encode)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path or MODELS_DIR / TOKENIZER_FILE))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_tokens)
    return tokenizer


@dataclass(frozen=True)
class Embeddings:
    """Unit vectors (n x 384, float32), and for each text whether it was truncated and its token count."""

    vectors: np.ndarray
    truncated: list[bool]
    token_counts: list[int]


class SentenceEncoder:
    """Encodes texts to L2-normalised 384-dimensional vectors."""

    def __init__(
        self,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
        *,
        max_tokens: int = MAX_TOKENS,
        threads: int = 0,
        allow_spinning: bool = True,
    ) -> None:
        """`threads` and `allow_spinning` as in `cpu_session`."""
        self.session = cpu_session(model_path or default_model_path(), threads=threads, allow_spinning=allow_spinning)
        self.tokenizer = load_tokenizer(tokenizer_path, max_tokens)
        self.max_tokens = max_tokens
        self._takes_type_ids = any(i.name == "token_type_ids" for i in self.session.get_inputs())

    def release_arena(self) -> None:
        """After a bulk load: the memory arena back to what one short text needs (`release_arena`)."""
        ids = self.tokenizer.encode("").ids  # [CLS] [SEP]
        release_arena(self.session, ids, [0] * len(ids) if self._takes_type_ids else None)

    def encode(self, texts: list[str]) -> Embeddings:
        """Unit vectors of `texts`, each text run alone.

        Texts are never batched together: the int8 model quantises activations dynamically with one scale per
        tensor, so a text encoded beside others (and their padding) got another vector than alone. Measured on
        256 messages against batches of 32: cosine to the lone vector down to 0.948, and the nearest neighbour
        among the others changed for 50 of them; a text's vector hung on whatever else the index was encoding
        at the time. One run per text also costs less CPU here: 6.5 ms per message alone, 7.1 ms in batches of
        8 and 11 ms in batches of 32 sorted by length (`/tmp` measurement, one thread; padding outweighs what
        batching saves on this small model).
        """
        import numpy as np

        if not texts:
            return Embeddings(np.zeros((0, DIMENSION), dtype=np.float32), [], [])
        vectors, truncated, counts = [], [], []
        for text in texts:
            encoding = self.tokenizer.encode(text)
            type_ids = [0] * len(encoding.ids) if self._takes_type_ids else None
            (hidden,) = run_alone(self.session, ["last_hidden_state"], encoding.ids, type_ids)
            pooled = hidden[0].mean(axis=0)
            vectors.append(pooled / max(float(np.linalg.norm(pooled)), 1e-12))
            truncated.append(bool(encoding.overflowing))
            counts.append(len(encoding.ids))
        return Embeddings(np.vstack(vectors).astype(np.float32), truncated, counts)
