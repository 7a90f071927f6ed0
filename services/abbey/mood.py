"""The emotional state of a session: each turn's reading folded into a decaying state with a trend.

State lives in the replica's memory, keyed by (user, session), bounded (LRU). A session whose turns land on
another replica starts there from nothing: each message is then read alone, with what the request's turns say
(the sentences already said, the last user turn a follow-up refers to). Folding the earlier turns into a new
state was measured and not kept (services/abbey/README.md, "A session's mood rebuilt on another replica"). The
state also remembers which sentences Abbey already said in the session, so wording does not repeat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cachetools import LRUCache

from services.abbey.emotion import NEGATIVE, EmotionReading


@dataclass
class SessionState:
    scores: dict[str, float] = field(default_factory=dict)
    distress: float = 0.0  # decayed intensity of negative feeling
    turns: int = 0
    said: set[str] = field(default_factory=set)
    crisis_kind: str = ""  # the last crisis answered in this session (services/common/safety/crisis.py)
    crisis_turn: int = 0  # the turn it was answered at


@dataclass(frozen=True)
class Mood:
    """This turn's emotion, intensity and the session's trend."""

    primary: str
    intensity: float
    trend: str  # "rising", "easing", "steady" (negative feeling over the session)
    distress: float
    turns: int
    carried: bool  # the feeling came from earlier turns, not this message


class SessionMoods:
    def __init__(self, decay: float = 0.6, capacity: int = 10_000) -> None:
        self.decay = decay
        self.capacity = capacity
        self._states: LRUCache[tuple[str, str], SessionState] = LRUCache(maxsize=max(capacity, 1))

    def state(self, user_id: str, session_id: str) -> SessionState:
        key = (user_id, session_id or user_id)
        if not key[1]:
            return SessionState()  # anonymous and sessionless: nothing to carry
        state = self._states.get(key)
        if state is None:
            state = self._states[key] = SessionState()
        return state

    def carried_pain(self, state: SessionState) -> tuple[str, float] | None:
        """The painful feeling earlier turns would carry into a neutral message (after one more decay), if any."""
        if not state.scores:
            return None
        label, score = max(state.scores.items(), key=lambda item: item[1])
        return (label, score * self.decay) if label in NEGATIVE and score * self.decay >= 0.3 else None

    def update(self, state: SessionState, reading: EmotionReading, new_subject: bool = False) -> Mood:
        """Fold this turn's reading into the state; a neutral turn keeps some of a heavy earlier feeling, unless it
        tells of something else (`tells_new_subject`)."""
        carried = None if new_subject else self.carried_pain(state)
        decayed = {label: score * self.decay for label, score in state.scores.items()}
        for label, score in reading.scores.items():
            if label != "neutral":
                decayed[label] = min(1.0, max(decayed.get(label, 0.0), score))
        state.scores = {label: score for label, score in decayed.items() if score >= 0.05}
        negative_now = reading.intensity if reading.primary in NEGATIVE else 0.0
        previous = state.distress
        state.distress = max(negative_now, previous * self.decay)
        state.turns += 1
        if state.turns == 1:
            trend = "steady"
        elif negative_now > previous + 0.15:
            trend = "rising"
        elif negative_now < previous - 0.15:
            trend = "easing"
        else:
            trend = "steady"
        if reading.primary == "neutral" and carried is not None:
            # Only earlier turns carry over: what this neutral message itself scored was judged not felt.
            label, score = carried
            return Mood(label, round(score * self.decay, 3), trend, state.distress, state.turns, True)
        return Mood(reading.primary, reading.intensity, trend, state.distress, state.turns, False)
