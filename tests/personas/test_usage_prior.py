"""The reranker's usage prior: how often real code uses the call a passage documents (knowledge/usage.py)."""

from __future__ import annotations

from pathlib import Path

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from services.aviva.training.usage import count_needles
from services.common.knowledge.passage import read
from services.common.knowledge.rerank import rerank
from services.common.knowledge.usage import definition_name, needle, shipped_counts, usage


def _definition(signature: str, anchor: str) -> index_pb2.KnowledgeHit:
    return index_pb2.KnowledgeHit(
        source="python-3.11/library/json.html",
        title=f"Python 3.11 docs: json — JSON encoder and decoder > `{signature}`",
        url=f"https://docs.python.org/3.11/library/json.html#{anchor}",
        text="Deserialize a str, bytes or bytearray instance containing a JSON document to a Python object.",
        score=0.5,
        lexical_score=5.0,
    )


LOADS = _definition("json.loads(s, *, cls=None, object_hook=None, parse_float=None)", "json.loads")
DECODER = _definition("class json.JSONDecoder(*, object_hook=None, parse_float=None)", "json.JSONDecoder")
TAR_C = index_pb2.KnowledgeHit(
    source="man/tar.1",
    title="man tar(1): tar - an archiving utility > OPTIONS > Local file selection: `-C, --directory=DIR`",
    url="man:tar(1)#-C",
    text="Change to DIR before performing any operations.",
)


def test_a_definition_is_counted_by_the_name_code_uses_for_it() -> None:
    assert definition_name("class json.JSONDecoder(*, object_hook=None)") == "json.JSONDecoder"
    assert definition_name("classmethod datetime.datetime.now(tz=None)") == "datetime.datetime.now"
    assert needle("datetime.datetime.now") == "datetime.now"
    assert needle("dict.get") == ".get("  # called on a value, never through the type's name
    assert needle("sorted") == "sorted("
    assert definition_name("-C, --directory=DIR") == ""


def test_the_builder_counts_pairs_of_names_method_calls_and_bare_calls(tmp_path: Path) -> None:
    code = tmp_path / "example.py"
    code.write_text(
        "import json, datetime\n"
        "data = json.loads(text)\n"
        "again = json.loads (other)\n"
        "now = datetime.datetime.now()\n"
        "value = config.get('key')\n"
        "total = sorted(items)\n",
        encoding="utf-8",
    )
    counts, files = count_needles(iter([code]))
    assert files == 1
    assert counts["json.loads"] == 2 and counts["datetime.now"] == 1 and counts["datetime.datetime"] == 1
    assert counts[".get("] == 1 and counts["sorted("] == 1 and counts["json.JSONDecoder"] == 0


def test_the_everyday_call_is_used_more_than_its_rarer_neighbour() -> None:
    counts = shipped_counts()
    assert counts["json.loads"] > 10 * counts.get("json.JSONDecoder", 0)
    assert counts["datetime.now"] > 2 * counts.get("loop.call_later", 0)
    assert counts["time.sleep"] > counts["asyncio.sleep"]


def test_only_a_python_definition_has_a_usage() -> None:
    assert usage(read(LOADS)) > usage(read(DECODER)) > 0
    assert usage(read(TAR_C)) == 0.0


def test_of_two_entries_alike_in_every_other_feature_the_linear_stage_prefers_the_one_code_uses() -> None:
    """Asked "how to parse json in python", Aviva led with `json.JSONDecoder` before `json.loads` (training/RULES.md,
    "How much a call is used"). Each is ranked alone, so the place in the search's order is the same."""
    [loads] = rerank("parse json text", [read(LOADS)])[1]
    [decoder] = rerank("parse json text", [read(DECODER)])[1]
    assert loads.score > decoder.score
