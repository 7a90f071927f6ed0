"""A second reading of a message the model stops as a threat, by a fine-tune that learnt plans apart from threats.

The shipped soup reads "I'll pick up Tom from school at 3" as a violent threat (P 0.998): a person, a place and a
time are what its threats share with everyday plans. Contrasts of both in the same words (training data v23) teach
the difference, but averaged into the soup their fine-tune brought its weaker crisis head along
(services/abi/training/RULES_2026-12-06.md, candidates V, W and X). So that fine-tune reads only the messages the
soup would stop as a threat, harassment or exposure of someone (policy.may_stop_as_threat), and decides nothing
else: when it finds no harm (under the veto line in its card, picked on the validation rows by
training/threat_verifier.py) the stop becomes a warning (answered and flagged). Crisis, routing, emotions and every
other category stay the soup's. It is loaded with the first message it must read: most traffic never needs it, and
it costs ~35 MiB (Abi's peak 159 -> 192 MiB in `python -m tests.bench abi`).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from services.abi.model import CARD_FILE, MODEL_FILE, MODELS_DIR, TOKENIZER_FILE, AbiModel
from services.abi.policy import SecondReading

log = logging.getLogger(__name__)

VERIFIER_DIR = MODELS_DIR / "threat_verifier"


class ThreatVerifier:
    """The v23 fine-tune, loaded on first use from `directory` (its int8 model and card; the soup's tokenizer)."""

    def __init__(self, directory: Path = VERIFIER_DIR, *, threads: int = 1, veto: float | None = None) -> None:
        """`veto`: the line under which a reading clears a stop (None: the card's `decision.veto`)."""
        self.directory = directory
        self.threads = threads
        self.veto = veto
        self._model: AbiModel | None = None
        self._lock = threading.Lock()

    @staticmethod
    def shipped(directory: Path = VERIFIER_DIR) -> bool:
        """Whether `directory` holds a verifier (a checkout without it routes with the soup alone)."""
        return (directory / MODEL_FILE).exists() and (directory / CARD_FILE).exists()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def read(self, text: str) -> SecondReading:
        """The verifier's reading of `text` alone (a few milliseconds of CPU; releases the GIL), with the veto line
        its card gives (`decision.veto`, picked on the validation rows; else its review threshold)."""
        model = self._loaded()
        veto = self.veto if self.veto is not None else model.decision.get("veto", model.decision["review"])
        return SecondReading(model.score([text])[0].harm_probability, veto)

    def _loaded(self) -> AbiModel:
        with self._lock:
            if self._model is None:
                self._model = AbiModel(self.directory, threads=self.threads, tokenizer=MODELS_DIR / TOKENIZER_FILE)
                log.info("threat verifier loaded", extra={"directory": str(self.directory)})
            return self._model
