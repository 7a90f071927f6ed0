"""Abbey's settings (`PM_*`); the persona numbers come from the original implementation."""

from __future__ import annotations

from pydantic import Field

from services.common.knowledge.settings import KnowledgeSettings
from services.common.persona import PersonaSettings
from services.common.registry import persona_registry
from services.common.safety.crisis import SURE_SCORE


class AbbeySettings(PersonaSettings, KnowledgeSettings):
    """What an Abbey replica reads at start-up."""

    temperature: float = Field(
        default_factory=lambda: persona_registry().entries["abbey"].generation.temperature,
        description="Sampling temperature sent to a model backend (default: the persona registry's).",
    )
    empathy: float = Field(0.8, description="0..1: how much of the answer goes to acknowledging feelings.")
    technical_depth: float = Field(0.7, description="0..1: how much retrieved knowledge a technical answer uses.")
    max_reasoning_steps: int = Field(5, description="Most steps in the visible reasoning chain.")
    memory_k: int = Field(3, description="Facts about this user recalled per message.")
    memory_min_score: float = Field(
        0.4,
        description="Similarity below which a remembered fact is not recalled (a fact named in the message counts "
        '0.3 more). At 0.35 unrelated facts came back: "I passed my exams" recalled "my grandad passed" (0.39), '
        "a barking dog a row with a manager (0.36); related ones scored 0.41-0.57.",
    )
    remember: bool = Field(True, description="Store facts the user tells about themselves in the embedding index.")
    mood_decay: float = Field(0.6, description="0..1: share of earlier feeling carried to the next turn.")
    situation_head: bool = Field(
        True,
        description='Read what a situation told without naming a feeling usually makes a person feel ("we had to '
        'put our cat down"), with the learned head (services/abbey/models/situation_feelings.json) on its sentence '
        "vector, when Abi and Abbey's own reading found no feeling.",
    )
    technical_head: bool = Field(
        True,
        description='Read whether a message needs technical steps (a technical ask told with feeling: "can I get it '
        'back?", a pasted error and a plea) with the learned head (services/abbey/models/technical_head.json) on its '
        "sentence vector, besides Abi's query type and the ask patterns.",
    )
    attempt_head: bool = Field(
        True,
        description="Read an attempt happening now in a crisis message with the learned head "
        "(services/common/safety/attempt_head.json) on its sentence vector, besides the patterns.",
    )
    crisis_check_below: float = Field(
        SURE_SCORE,
        description="Abi's crisis score under which a flag on a message with no words of risk is answered by "
        "acknowledging what was said and asking gently, with resources (services/common/safety/crisis.py, CHECK); 0 "
        "answers every flag with the crisis question.",
    )
