"""SentimentAnalyzer: polarity (VADER), intensity, urgency and emotions with scores.

Emotions come from the model's GoEmotions and Ekman heads. Scores are calibrated so that 0.5 is the
label's threshold tuned on GoEmotions dev ("present"), which makes rule thresholds read the same for
every emotion. The original ten emotions (happy, sad, frustrated, ...) are derived from the
GoEmotions scores by the mesh's one mapping (services/common/emotions.py), the one Abbey folds by.
A crisis makes a message as urgent as it can be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from services.abi.model import Scores
from services.common.emotions import derive
from services.common.polarity import vader_scores

URGENT_CUES = re.compile(
    r"\b(urgent(ly)?|asap|emergency|immediately|right now|help me|please help|help!|can'?t breathe|"
    r"panic(king)?|deadline|tonight|today|hurry|desperate(ly)?|critical|production is down|outage|"
    r"freaking out|falling apart|scared|terrified)\b",
    re.IGNORECASE,
)
NEGATIVE_EMOTIONS = ("fear", "nervousness", "sadness", "grief", "anger", "annoyance", "disappointment", "remorse")


@dataclass(frozen=True)
class SentimentResult:
    polarity: float
    intensity: float
    urgency: float
    label: str
    # GoEmotions label -> calibrated score (>= 0.5 means present); empty when the model did not run.
    emotion_scores: dict[str, float] = field(default_factory=dict)
    # Labels judged present, strongest first.
    present: tuple[str, ...] = ()
    # Ekman group -> calibrated score, and the groups judged present.
    ekman_scores: dict[str, float] = field(default_factory=dict)
    ekman_present: tuple[str, ...] = ()

    def derived(self) -> dict[str, float]:
        """The original ten emotions, each the strongest of its GoEmotions members ("stressed" has none)."""
        if not self.emotion_scores:
            return {"neutral": 1.0 - self.intensity}
        return derive(self.emotion_scores.items())

    def emotion(self, name: str) -> float:
        """Score of a GoEmotions label, Ekman group or derived emotion (0 when unknown or unavailable)."""
        if name in self.emotion_scores:
            return self.emotion_scores[name]
        if name in self.ekman_scores:
            return self.ekman_scores[name]
        return self.derived().get(name, 0.0)


def threshold_logits(thresholds: np.ndarray) -> np.ndarray:
    """The logit of each tuned threshold: the shift that `calibrate` applies (computed once, at start-up)."""
    t = np.clip(thresholds.astype(np.float64), 1e-4, 1 - 1e-4)
    return np.log(t / (1 - t))


def calibrate(probabilities: dict[str, float], shift: np.ndarray) -> dict[str, float]:
    """Map each probability so its tuned threshold (logit `shift`) lands on 0.5."""
    p = np.clip(np.asarray(list(probabilities.values()), dtype=np.float64), 1e-6, 1 - 1e-6)
    logits = np.log(p / (1 - p)) - shift
    return {label: round(float(v), 4) for label, v in zip(probabilities, 1 / (1 + np.exp(-logits)), strict=True)}


class SentimentAnalyzer:
    """Reads polarity, intensity, urgency and emotions from a message and the model's scores."""

    def __init__(self, emotion_thresholds: np.ndarray, ekman_thresholds: np.ndarray) -> None:
        self.emotion_shift = threshold_logits(emotion_thresholds)
        self.ekman_shift = threshold_logits(ekman_thresholds)

    def analyze(self, text: str, scores: Scores | None, crisis: bool = False) -> SentimentResult:
        vader = vader_scores(text)
        polarity = float(vader.get("compound", 0.0))
        emotions: dict[str, float] = {}
        ekman: dict[str, float] = {}
        negative_emotion = 0.0
        emotional = abs(polarity)
        if scores is not None:
            emotions = calibrate(scores.emotion, self.emotion_shift)
            ekman = calibrate(scores.ekman, self.ekman_shift)
            negative_emotion = max(emotions[name] for name in NEGATIVE_EMOTIONS)
            emotional = max(emotional, 1.0 - emotions["neutral"])
        intensity = min(1.0, 0.6 * abs(polarity) + 0.4 * emotional)
        cues = len(URGENT_CUES.findall(text[:4000]))
        exclaim = min(3, text.count("!")) / 3.0
        urgency = min(
            1.0,
            0.35 * min(1.0, cues / 2.0) + 0.25 * max(0.0, -polarity) + 0.25 * negative_emotion + 0.15 * exclaim,
        )
        if crisis:
            urgency, intensity = 1.0, max(intensity, 0.8)
        if polarity >= 0.05:
            label = "positive"
        elif polarity <= -0.05:
            label = "negative"
        else:
            label = "neutral"
        return SentimentResult(
            round(polarity, 4),
            round(intensity, 4),
            round(urgency, 4),
            label,
            emotions,
            _present(emotions),
            ekman,
            _present(ekman),
        )


def _present(calibrated: dict[str, float]) -> tuple[str, ...]:
    return tuple(sorted((k for k, v in calibrated.items() if v >= 0.5), key=lambda k: -calibrated[k]))
