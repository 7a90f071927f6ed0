"""Abbey's emotional state: Abi's reading when the routing decision carries one, her own otherwise.

Abi sends GoEmotions (or Ekman, or the original ten) labels with scores and a
sentiment. Abbey folds them into the original ten emotions by the mapping Abi's
derived emotions use (services/common/emotions.py). Without a routing
decision she reads the message herself: VADER for polarity and intensity, a
small cue lexicon for which emotion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from personamesh.v1 import persona_pb2
from services.common.emotions import derive

# Cue words for Abbey's own reading, checked as whole words or prefixes.
_CUES: dict[str, tuple[str, ...]] = {
    "sad": ("sad", "lonely", "alone", "depress", "grief", "griev", "cry", "crying", "miss ", "lost my", "heartbroken",
            "hopeless", "empty", "worthless", "died", "passed away", "hurt", "horrible", "broke my heart", "heartbreak",
            "regret", "suffer", "divorce", "abandon", "broke up", "breakup", "cheat", "guilt", "ashamed", "unloved",
            "rejected me", "left me"),
    "frustrated": ("frustrat", "annoy", "angry", "furious", "mad at", "so mad", "get mad", "really mad", "sick of",
                   "fed up", "hate", "stupid", "useless", "doesn't work", "does not work", "keeps failing",
                   "again and again", "irritat", "yelling", "yells", "complain", "micro-manage", "can't stand",
                   "treats me like", "disrespect", "unfair"),
    "confused": ("confus", "don't understand", "do not understand", "makes no sense", "lost", "unclear", "puzzl",
                 "not sure how", "what does", "why does", "torn", "don't know if", "do not know if", "don't know what",
                 "not sure if", "mixed feelings"),
    "excited": ("excit", "can't wait", "cannot wait", "thrilled", "amazing", "awesome", "finally", "just got",
                "just bought", "woohoo", "can't believe", "first time", "vacation", "so much fun", "passport"),
    "anxious": ("anxious", "anxiety", "worr", "scared", "afraid", "nervous", "panic", "fear", "terrified", "dread",
                "crazy", "need help", "help me", "what do i do", "what should i do", "how do i deal", "cope", "coping",
                "insecure", "paranoi", "emergency room"),
    "stressed": ("stress", "overwhelm", "pressure", "deadline", "burn out", "burnout", "exhausted", "too much",
                 "can't cope", "cannot cope", "swamped", "so busy", "no time", "impossible"),
    "curious": ("curious", "wonder", "how does", "how do", "why is", "what is", "explain", "learn", "interested in"),
    "disappointed": ("disappoint", "let down", "letdown", "expected more", "failed", "rejected", "didn't get",
                     "backfire", "ruined", "have to throw"),
    "happy": ("happy", "glad", "grateful", "thank", "love", "great news", "proud", "joy", "wonderful", "relieved",
              "feels good", "scored", "fun", "enjoy", "helped", "so good"),
}  # fmt: skip

_NEGATIVE = {"sad", "frustrated", "anxious", "stressed", "disappointed", "confused"}


@dataclass(frozen=True)
class EmotionReading:
    """Who the user seems to be right now."""

    primary: str
    intensity: float
    scores: dict[str, float]
    polarity: float
    source: str  # "routing", "own" or "conversation" (carried over from an earlier turn)

    @property
    def negative(self) -> bool:
        return self.primary in _NEGATIVE

    def to_proto(self) -> persona_pb2.EmotionalState:
        ranked = sorted(self.scores.items(), key=lambda item: (-item[1], item[0]))
        return persona_pb2.EmotionalState(
            primary=self.primary,
            intensity=round(self.intensity, 3),
            emotions=[persona_pb2.EmotionScore(label=label, score=round(score, 3)) for label, score in ranked[:5]],
        )


class EmotionReader:
    """Turns a request into an EmotionReading."""

    def __init__(self) -> None:
        self._vader = SentimentIntensityAnalyzer()

    def read(self, request: persona_pb2.PersonaRequest) -> EmotionReading:
        routing = request.routing if request.HasField("routing") else None
        if routing is not None and routing.emotions:
            return self._from_routing(routing)
        reading = self.read_text(request.content)
        if reading.primary == "neutral":
            return self._carried_over(request) or reading
        return reading

    def _carried_over(self, request: persona_pb2.PersonaRequest) -> EmotionReading | None:
        """A neutral follow-up in a heavy conversation keeps some of the earlier feeling (at 60 %)."""
        for turn in reversed(request.recent_turns):
            if turn.role == persona_pb2.ROLE_USER and turn.content.strip():
                earlier = self.read_text(turn.content)
                if not earlier.negative:
                    return None
                scores = {earlier.primary: round(earlier.scores[earlier.primary] * 0.6, 3)}
                return EmotionReading(earlier.primary, round(earlier.intensity * 0.6, 3), scores, 0.0, "conversation")
        return None

    def _from_routing(self, routing: persona_pb2.RoutingDecision) -> EmotionReading:
        scores = derive((emotion.label, emotion.score) for emotion in routing.emotions)
        if not scores:
            scores = {"neutral": 1.0}
        primary = _primary(scores)
        sentiment = routing.sentiment
        intensity = max(scores[primary] if primary != "neutral" else 0.0, float(sentiment.intensity))
        return EmotionReading(primary, min(1.0, intensity), scores, float(sentiment.polarity), "routing")

    def read_text(self, text: str) -> EmotionReading:
        lowered = " " + re.sub(r"\s+", " ", text.lower()) + " "
        scores: dict[str, float] = {}
        for emotion, cues in _CUES.items():
            hits = sum(1 for cue in cues if _has_cue(lowered, cue))
            if hits:
                scores[emotion] = min(1.0, 0.45 + 0.2 * hits)
        polarity = float(self._vader.polarity_scores(text)["compound"])
        if polarity <= -0.5 and not any(e in scores for e in _NEGATIVE):
            scores["sad"] = 0.4 + 0.3 * abs(polarity)
        if polarity >= 0.5 and not scores:
            scores["happy"] = 0.4 + 0.3 * polarity
        if not scores:
            scores = {"neutral": 1.0}
        primary = _primary(scores)
        emphasis = min(0.2, 0.05 * text.count("!")) + (0.1 if re.search(r"\b[A-Z]{4,}\b", text) else 0.0)
        base = scores[primary] if primary != "neutral" else 0.0
        intensity = min(1.0, max(base * 0.6 + abs(polarity) * 0.4, abs(polarity)) + emphasis)
        return EmotionReading(primary, round(intensity, 3), scores, polarity, "own")


def _has_cue(lowered: str, cue: str) -> bool:
    if cue.endswith(" ") or " " in cue.strip():
        return cue in lowered
    return re.search(r"\b" + re.escape(cue), lowered) is not None


def _primary(scores: dict[str, float]) -> str:
    """The strongest emotion; a negative one wins a tie or near-tie, because it is the one to answer to."""
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    best, best_score = ranked[0]
    if best in ("neutral", "curious", "happy"):
        for label, score in ranked[1:]:
            if label in _NEGATIVE and score >= best_score - 0.1 and score >= 0.3:
                return label
    if best == "neutral":
        for label, score in ranked[1:]:
            if score >= 0.35:
                return label
    return best
