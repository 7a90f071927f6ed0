"""SentimentAnalyzer: polarity (VADER), intensity, urgency and GoEmotions emotions with scores.

Emotions come from the trained emotion head on the message's MiniLM vector; a
label is "present" when its probability reaches the threshold tuned on
GoEmotions dev. The original ten emotions (happy, sad, frustrated, ...) are
derived from the GoEmotions scores. Without a vector (embedding index down),
only VADER and the lexical urgency cues are available.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from services.abi.features import lexical_features, vader_scores
from services.abi.heads import LinearHead
from services.abi.taxonomy import DERIVED, EMOTIONS

URGENT_CUES = re.compile(
    r"\b(urgent(ly)?|asap|emergency|immediately|right now|help me|please help|help!|can'?t breathe|"
    r"panic(king)?|deadline|tonight|today|hurry|desperate(ly)?|critical|production is down|outage|"
    r"can'?t (cope|go on|take it)|freaking out|falling apart|scared|terrified)\b",
    re.IGNORECASE,
)
NEGATIVE_EMOTIONS = ("fear", "nervousness", "sadness", "grief", "anger", "annoyance", "disappointment", "remorse")


@dataclass(frozen=True)
class SentimentResult:
    polarity: float
    intensity: float
    urgency: float
    label: str
    # GoEmotions label -> probability (all 28 when a vector was available, else empty).
    emotion_scores: dict[str, float] = field(default_factory=dict)
    # Labels judged present (probability >= tuned threshold), strongest first.
    present: tuple[str, ...] = ()
    vader: dict[str, float] = field(default_factory=dict)

    def derived(self) -> dict[str, float]:
        """The original ten emotions, each the strongest of its GoEmotions members."""
        if not self.emotion_scores:
            return {"neutral": 1.0 - self.intensity}
        return {name: max(self.emotion_scores[m] for m in members) for name, members in DERIVED.items()}

    def emotion(self, name: str) -> float:
        """Score of a GoEmotions or derived emotion (0 when unknown or unavailable)."""
        if name in self.emotion_scores:
            return self.emotion_scores[name]
        return self.derived().get(name, 0.0)


class SentimentAnalyzer:
    """Reads polarity, intensity, urgency and emotions from a message and (optionally) its vector."""

    def __init__(self, emotion_head: LinearHead) -> None:
        if emotion_head.labels != EMOTIONS:
            raise ValueError("emotion head labels do not match the GoEmotions taxonomy")
        # Shift each label's logit by its tuned threshold, so a score of 0.5 means "just present" for
        # every label and rule thresholds read the same across emotions.
        t = np.clip(emotion_head.thresholds.astype(np.float64), 1e-4, 1 - 1e-4)
        shift = np.log(t / (1 - t)).astype(np.float32)
        self.head = LinearHead(
            emotion_head.labels,
            emotion_head.weights,
            emotion_head.bias - shift,
            True,
            np.full(len(EMOTIONS), 0.5, dtype=np.float32),
        )

    def emotion_probabilities(self, features: np.ndarray) -> np.ndarray:
        """Calibrated scores from [vector, lexical features]: >= 0.5 means the label is judged present
        (threshold tuned on GoEmotions dev)."""
        return self.head.scores(features)

    def analyze(
        self,
        text: str,
        vector: np.ndarray | None,
        vader: dict[str, float] | None = None,
        lexical: np.ndarray | None = None,
    ) -> SentimentResult:
        """`lexical` is features.lexical_features(text, vader), computed here when not given."""
        vader = vader if vader is not None else vader_scores(text)
        polarity = float(vader.get("compound", 0.0))
        scores: dict[str, float] = {}
        present: tuple[str, ...] = ()
        negative_emotion = 0.0
        emotional = abs(polarity)
        if vector is not None:
            features = lexical if lexical is not None else lexical_features(text, vader)
            probs = self.emotion_probabilities(np.concatenate([vector, features]))
            scores = {label: round(float(p), 4) for label, p in zip(EMOTIONS, probs, strict=True)}
            hits = [i for i, p in enumerate(probs) if p >= self.head.thresholds[i]]
            present = tuple(EMOTIONS[i] for i in sorted(hits, key=lambda i: -probs[i]))
            negative_emotion = max(scores[name] for name in NEGATIVE_EMOTIONS)
            emotional = max(emotional, 1.0 - scores["neutral"])
        intensity = min(1.0, 0.6 * abs(polarity) + 0.4 * emotional)
        cues = len(URGENT_CUES.findall(text[:4000]))
        exclaim = min(3, text.count("!")) / 3.0
        urgency = min(
            1.0,
            0.35 * min(1.0, cues / 2.0) + 0.25 * max(0.0, -polarity) + 0.25 * negative_emotion + 0.15 * exclaim,
        )
        if polarity >= 0.05:
            label = "positive"
        elif polarity <= -0.05:
            label = "negative"
        else:
            label = "neutral"
        return SentimentResult(
            round(polarity, 4), round(intensity, 4), round(urgency, 4), label, scores, present, vader
        )
