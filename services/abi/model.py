"""Abi's classifier: a fine-tuned MiniLM with six heads, run in process with onnxruntime.

`python -m services.abi.training.finetune` (`make train`) writes the int8 ONNX file, its tokenizer
and the model card `abi_model.json` (labels, thresholds tuned on data that was not fitted, the
training log). Serving needs onnxruntime, tokenizers and numpy only; one short message costs a few
milliseconds on one CPU thread, so Route no longer waits on the embedding index to decide.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from services.common.emotions import EKMAN
from services.common.encoder import cpu_session, run_alone

MODELS_DIR = Path(__file__).parent / "models"
MODEL_FILE = "abi_model.int8.onnx"
TOKENIZER_FILE = "abi_tokenizer.json"
CARD_FILE = "abi_model.json"
# Output names of the ONNX graph, in order.
HEADS: tuple[str, ...] = ("harm", "crisis", "persona", "emotion", "ekman", "query_type")
# A long message is read in overlapping windows, so an instruction hidden at the end of a pasted
# document is seen too; harm and crisis take the strongest window, the rest come from the first.
WINDOW_OVERLAP = 32
MAX_WINDOWS = 24


@dataclass(frozen=True)
class Scores:
    """Probabilities of every head for one text."""

    harm: dict[str, float]  # "none" + harm categories, sums to 1
    crisis: float
    persona: dict[str, float]  # answering personas, sums to 1
    emotion: dict[str, float]  # GoEmotions label -> probability
    ekman: dict[str, float]  # Ekman group -> probability
    query_type: dict[str, float]
    # Characters [start, end) of the window that gave the harm score (the whole text when it fits one).
    harm_span: tuple[int, int] = (0, 0)

    @property
    def harm_probability(self) -> float:
        """P(the message asks for something harmful) = 1 - P(none)."""
        return 1.0 - self.harm["none"]

    @property
    def harm_category(self) -> str:
        """The most likely harm category (never "none")."""
        return max((c for c in self.harm if c != "none"), key=lambda c: self.harm[c])


class AbiModel:
    """Tokenizer + ONNX session + the card's labels and thresholds."""

    def __init__(
        self,
        directory: Path = MODELS_DIR,
        *,
        threads: int = 1,
        max_tokens: int | None = None,
        tokenizer: Path | None = None,
    ) -> None:
        """`tokenizer`: the tokenizer file when it is not in `directory` (every fine-tune shares MiniLM's)."""
        card_path = directory / CARD_FILE
        if not card_path.exists():
            raise FileNotFoundError(f"{card_path} missing; run `make train`")
        self.card: dict[str, Any] = json.loads(card_path.read_text(encoding="utf-8"))
        self.labels = {name: tuple(spec["labels"]) for name, spec in self.card["heads"].items()}
        self.thresholds = {
            name: np.asarray(spec["thresholds"], dtype=np.float32)
            for name, spec in self.card["heads"].items()
            if "thresholds" in spec
        }
        self.decision: dict[str, float] = {k: float(v) for k, v in self.card["decision"].items()}
        # P(Ekman group) = blend x the Ekman head + (1 - blend) x its likeliest member among the 28 labels:
        # the two heads err differently, and the mix (its weight picked on GoEmotions dev) beats either.
        self.ekman_blend = float(self.card["heads"]["ekman"].get("blend", 1.0))
        emotion_index = {label: i for i, label in enumerate(self.labels["emotion"])}
        self._ekman_members = [[emotion_index[m] for m in EKMAN[group]] for group in self.labels["ekman"]]
        self.tokenizer = Tokenizer.from_file(str(tokenizer or directory / TOKENIZER_FILE))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.window = max_tokens or int(self.card["max_tokens"])
        # Idle threads must not busy-wait between requests: the service has other work on its event loop.
        self.session = cpu_session(directory / MODEL_FILE, threads=threads, allow_spinning=False)

    def ekman_members(self, emotion: np.ndarray) -> np.ndarray:
        """Per row of 28-label probabilities (the card's label order), each Ekman group's likeliest member."""
        return np.stack([emotion[:, members].max(axis=1) for members in self._ekman_members], axis=1)

    def windows(self, text: str) -> list[tuple[list[int], tuple[int, int]]]:
        """Token ids of `text` in windows of at most `self.window` tokens, each with [CLS] ... [SEP], and the
        characters each window covers."""
        encoding = self.tokenizer.encode(text)
        ids, offsets = encoding.ids, encoding.offsets
        if len(ids) <= self.window:
            return [(ids, (0, len(text)))]
        cls, body, sep = ids[:1], ids[1:-1], ids[-1:]
        size = self.window - 2
        step = size - WINDOW_OVERLAP
        starts = list(range(0, len(body) - WINDOW_OVERLAP, step))
        if len(starts) > MAX_WINDOWS:
            # Keep the beginning and the end, where instructions usually sit, and an even sample between.
            picks = np.linspace(0, len(starts) - 1, MAX_WINDOWS).round().astype(int)
            starts = [starts[i] for i in sorted(set(picks.tolist()))]
        out = []
        for start in starts:
            chunk = body[start : start + size]
            span = (offsets[1 + start][0], offsets[start + len(chunk)][1])
            out.append((cls + chunk + sep, span))
        return out

    def logits(self, window: list[int]) -> dict[str, np.ndarray]:
        """Raw head outputs (one row) for one window of token ids."""
        return dict(zip(HEADS, run_alone(self.session, list(HEADS), window), strict=True))

    def score(self, texts: list[str]) -> list[Scores]:
        """Scores of each text, each scored alone (each of its windows alone too), exactly as Route scores it.

        Texts are never batched together: the int8 model quantises activations dynamically, with one scale
        per tensor, so a text run beside others (and their padding) scores differently than alone. Measured
        on the selection set with the v9 model: harm probability up to 0.35 apart, crisis up to 0.44, and 4
        of 515 block decisions flipped between batches of 32 and one text per run. A long text's windows run
        one by one for the same reason and because it is cheaper (on 400 multi-window training rows: harm up
        to 0.035 apart, no decision flipped; 126 against 138 ms of CPU per text without the padded batch).
        """
        return [self._score_one(text) for text in texts]

    def _score_one(self, text: str) -> Scores:
        windows = self.windows(text)
        runs = [self.logits(ids) for ids, _ in windows]
        raw = {head: np.concatenate([run[head] for run in runs]) for head in HEADS}
        harm, persona, query = (_softmax(raw[n]) for n in ("harm", "persona", "query_type"))
        crisis, emotion, ekman = (_sigmoid(raw[n]) for n in ("crisis", "emotion", "ekman"))
        if self.ekman_blend < 1.0:
            ekman = blend_ekman(ekman, self.ekman_members(emotion), self.ekman_blend)
        strongest = int(harm[:, 0].argmin())  # the window least likely to be harmless
        return Scores(
            harm=_named(self.labels["harm"], harm[strongest]),
            crisis=float(crisis[:, 0].max()),
            persona=_named(self.labels["persona"], persona[0]),
            emotion=_named(self.labels["emotion"], emotion[0]),
            ekman=_named(self.labels["ekman"], ekman[0]),
            query_type=_named(self.labels["query_type"], query[0]),
            harm_span=windows[strongest][1],
        )


def blend_ekman(head: np.ndarray, members: np.ndarray, blend: float) -> np.ndarray:
    """P(Ekman group): `blend` x the Ekman head + the rest x the group's likeliest 28-label member."""
    return blend * head + (1.0 - blend) * members


def _named(labels: tuple[str, ...], values: np.ndarray) -> dict[str, float]:
    return {label: float(v) for label, v in zip(labels, values, strict=True)}


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))
