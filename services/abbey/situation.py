"""What a situation usually makes a person feel, read from the message's sentence vector by a learned head.

Abi's emotion heads find a feeling where it is named; "we had to put our cat down this morning" names none. The
head (`make train-situations`, services/abbey/training/situations.py) was fitted on messages written blind from
the Ekman groups' definitions, on the embedding index's vector that Abbey's knowledge search returns anyway, so
reading it costs no model run. `emotion.from_situation` decides when its reading is taken.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Final, NamedTuple

from services.common.safety.head import SoftmaxHead

HEAD_PATH: Final = Path(__file__).parent / "models" / "situation_feelings.json"
NEUTRAL: Final = "neutral"
PAINFUL: Final = frozenset({"anger", "sadness", "fear", "disgust"})


class Pain(NamedTuple):
    """The situation head's strongest painful Ekman group, its probability, and the probability of joy."""

    group: str
    probability: float
    joy: float


class SituationHead:
    """The shipped head and its threshold: the Ekman group of the strongest feeling, when it reaches it."""

    def __init__(self, head: SoftmaxHead) -> None:
        self.head = head

    @classmethod
    def load(cls, path: Path = HEAD_PATH) -> SituationHead:
        return cls(SoftmaxHead.read(path))

    def feeling(self, vector: Sequence[float] | None) -> tuple[str, float] | None:
        """(Ekman group, probability) of the most likely feeling, or None below the threshold or with no vector."""
        if not vector:
            return None
        group, probability = self.head.likeliest(vector, NEUTRAL)
        return (group, probability) if probability >= self.head.threshold else None

    def strongest_pain(self, vector: Sequence[float] | None) -> Pain | None:
        """The most likely painful feeling whatever the threshold, with the probability of joy beside it, or None with
        no vector: what a situation told under words of praise makes a person feel (`emotion.read_sarcasm`)."""
        if not vector:
            return None
        probabilities = self.head.probabilities(vector)
        group = max((label for label in probabilities if label in PAINFUL), key=lambda label: probabilities[label])
        return Pain(group, probabilities[group], probabilities.get("joy", 0.0))
