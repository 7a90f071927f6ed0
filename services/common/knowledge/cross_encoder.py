"""The cross-encoder at run time: the question and each retrieved passage read together by a fine-tuned MiniLM.

A bi-encoder embeds question and passage apart, so "ssh to a server on a non-standard port" sits about as close
to `-W host:port` as to `-p port`; read together, the question's goal meets the option's description. The model
(int8 ONNX, `services/aviva/training/cross_encoder.py`, `make fit-rerank`) gives each passage the logit that it
answers; its card holds the depth it was calibrated at and the confidence the best passage needs before
a persona answers from it (services/aviva/training/calibrate.py).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from services.common.encoder import cpu_session, load_tokenizer, run_alone

MODELS_DIR = Path(__file__).parent / "models"
MODEL_FILE = "rerank_cross.int8.onnx"
CARD_FILE = "rerank_cross.json"


def reading(title: str, text: str) -> str:
    """What the model reads of a passage: its heading path, then its text (training reads the same)."""
    return title + "\n" + text


class CrossEncoder:
    """Scores (question, passage) pairs, one pair per run, off the event loop (the caller's worker thread).

    One pair per run (`run_alone`), not one batch per question: batched, the best passage of 4 of 20
    questions changed with its batch-mates; alone it is also cheaper (on the 146 docs QA dev questions at depth
    5, 107 against 137 ms of CPU per question).
    """

    def __init__(self, directory: Path = MODELS_DIR, *, threads: int = 1) -> None:
        self.card = json.loads((directory / CARD_FILE).read_text(encoding="utf-8"))
        self.answer_threshold = float(self.card["answer_threshold"])
        # MiniLM's own WordPiece tokenizer (the installed package's), which the model was fine-tuned with.
        self.tokenizer = load_tokenizer()
        self.tokenizer.enable_truncation(max_length=int(self.card["max_tokens"]), strategy="longest_first")
        self.session = cpu_session(directory / MODEL_FILE, threads=threads, allow_spinning=False)

    def probabilities(self, question: str, passages: list[str]) -> list[float]:
        """P(passage answers the question) for each passage, in order."""
        probabilities = []
        for passage in passages:
            encoding = self.tokenizer.encode(question, passage)
            (logit,) = run_alone(self.session, ["logit"], encoding.ids, encoding.type_ids)
            probabilities.append(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, float(logit.reshape(-1)[0]))))))
        return probabilities
