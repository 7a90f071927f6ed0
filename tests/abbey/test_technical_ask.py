"""When Abbey treats a message as a technical ask (the steps from the documentation, after a line of care)."""

from __future__ import annotations

import pytest

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from personamesh.v1 import persona_pb2
from services.abbey.emotion import EmotionReading
from services.abbey.language import asks_for_something
from services.abbey.logic import AbbeyLogic
from services.common.generation.grounding import Retrieved

# A weak passage was retrieved (under the strong-knowledge score): the message's own words decide.
WEAK = Retrieved([index_pb2.KnowledgeHit(title="man git-restore(1)", text="restore", score=0.3)], True)
PANIC = EmotionReading("anxious", 0.8, {"anxious": 0.8}, -0.6, "routing")


@pytest.mark.parametrize(
    ("text", "technical"),
    [
        # The software named before the ask: had got care alone, no steps.
        ("I'm panicking, I accidentally deleted a branch in git with all my work, how do I get it back?", True),
        ("my deploy broke prod and my manager is furious, how do I roll back a kubernetes deployment", True),
        # A life, not software.
        ("I'm panicking, my sister won't talk to me, how do I fix things with her?", False),
        ("I'm so stressed about my exam tomorrow", False),
    ],
)
def test_an_ask_naming_software_is_technical_whatever_abis_query_type(text: str, technical: bool) -> None:
    request = persona_pb2.PersonaRequest(content=text, routing=persona_pb2.RoutingDecision(query_type="general"))
    assert AbbeyLogic._technical(request, PANIC, WEAK, asks_for_something(text)) is technical
