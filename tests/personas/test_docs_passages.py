"""How Aviva reads documentation passages and orders them (pure functions, no processes)."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

import pytest

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from services.aviva.settings import AvivaSettings
from services.common.knowledge.cross_encoder import CrossEncoder
from services.common.knowledge.passage import cut_example, read
from services.common.knowledge.rerank import FEATURES, MODEL_FILE, Reranker, RerankModel, intent_of, rerank


def _hit(source: str, title: str, url: str, text: str, score: float = 0.5, lexical: float = 5.0):
    return index_pb2.KnowledgeHit(source=source, title=title, url=url, text=text, score=score, lexical_score=lexical)


TAR_C = _hit(
    "man/tar.1",
    "man tar(1): tar - an archiving utility > OPTIONS > Local file selection: `-C, --directory=DIR`",
    "man:tar(1)#-C",
    "Change to DIR before performing any operations.",
)
RESET = _hit(
    "man/git-reset.1",
    "man git-reset(1): git-reset - Reset current HEAD > EXAMPLES: Undo a commit and redo",
    "man:git-reset(1)#examples-undo-a-commit-and-redo",
    "```bash\ngit commit ...\ngit reset --soft HEAD^\nedit\n```\n\nThis is most often done when you remembered...",
)
REMOTE_ADD = _hit(
    "man/git-remote.1",
    "man git-remote(1): git-remote > COMMANDS: add",
    "man:git-remote(1)#commands-add",
    "Add a remote.",
)
ISO = _hit(
    "python-3.11/library/datetime.html",
    "Python 3.11 docs: datetime > `classmethod datetime.date.fromisoformat(date_string)`",
    "https://docs.python.org/3.11/library/datetime.html#datetime.date.fromisoformat",
    "Return a date corresponding to a date_string.\n\n```python\nfrom datetime import date\n"
    "date.fromisoformat('2019-12-04')\n```",
)


def test_leads_name_the_option_command_or_call_as_typed() -> None:
    assert read(TAR_C).lead_line == "`tar -C` (`-C, --directory=DIR`)"
    assert read(RESET).lead_line == "`git reset --soft HEAD^`"  # the example line running the page's command
    assert read(REMOTE_ADD).lead_line == "`git remote add`"
    iso = read(ISO)
    assert iso.lead_line == "`classmethod datetime.date.fromisoformat(date_string)`" and iso.python
    assert cut_example(*iso.examples[0]) == ("python", "from datetime import date\ndate.fromisoformat('2019-12-04')")
    assert read(TAR_C).citation.endswith("<man:tar(1)#-C>")


def test_intent_of_the_question() -> None:
    assert intent_of("what does A...B mean in git log", {"git"}) == "concept"
    assert intent_of("curl follow redirects", {"curl"}) == "flag"
    assert intent_of("parse an ISO date string", set()) == "call"


async def test_both_stages_put_the_answering_passage_first() -> None:
    reranker = Reranker()  # the shipped linear model, then the shipped cross-encoder
    cases = [
        ("extract a tar archive into another directory", [ISO, RESET, TAR_C], "man:tar(1)#-C"),
        ("parse an ISO date string in python", [TAR_C, ISO], ISO.url),
        ("undo my last commit but keep the changes", [TAR_C, ISO, RESET, REMOTE_ADD], RESET.url),
        ("add a second remote to my repo", [RESET, REMOTE_ADD, TAR_C], REMOTE_ADD.url),
    ]
    for question, hits, answer in cases:
        _, ranked = await reranker.rank(question, [read(hit) for hit in hits])
        assert ranked[0].passage.hit.url == answer, (question, [r.passage.hit.url for r in ranked])
        assert all(0.0 <= r.score <= 1.0 for r in ranked)
        # Ordered by the confidence that decides whether to answer: both stages' probabilities combined.
        _, linear = rerank(question, [read(hit) for hit in hits], reranker.linear)
        linear_of = {r.passage.hit.url: r.confidence for r in linear}
        for r in ranked:
            assert r.confidence == pytest.approx(math.sqrt(r.score * linear_of[r.passage.hit.url]))
        assert [r.confidence for r in ranked] == sorted((r.confidence for r in ranked), reverse=True)


def test_the_linear_stage_alone_ranks_by_its_probability() -> None:
    reranker = Reranker(cross_encoder=False)
    assert reranker.answer_threshold == RerankModel.load().answer_threshold
    _, ranked = asyncio.run(reranker.rank("list the contents of a tar archive", [read(ISO), read(TAR_C)]))
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)


def test_the_cross_encoder_serves_the_composer_and_is_off_for_an_llm_unless_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With an LLM backend the model reads the passages itself; the cross-encoder's CPU buys the composer's decision."""
    for name in ("PM_LLM_BASE_URL", "PM_LLM_MODEL", "PM_CROSS_ENCODER"):
        monkeypatch.delenv(name, raising=False)
    assert AvivaSettings().uses_cross_encoder
    monkeypatch.setenv("PM_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("PM_LLM_MODEL", "some-model")
    assert not AvivaSettings().uses_cross_encoder
    monkeypatch.setenv("PM_CROSS_ENCODER", "true")
    assert AvivaSettings().uses_cross_encoder
    monkeypatch.delenv("PM_LLM_BASE_URL")
    monkeypatch.setenv("PM_CROSS_ENCODER", "false")
    assert not AvivaSettings().uses_cross_encoder


def test_a_passage_gets_the_same_probability_alone_and_among_others() -> None:
    """The int8 cross-encoder quantises activations per run: batched with other passages (and their padding)
    a pair was scored differently, and the best passage changed with its batch-mates."""
    model = CrossEncoder()
    question = "how do I extract a tar archive into another directory"
    passages = [
        "-C, --directory=DIR\nChange to DIR before performing any operations.",
        "tar -xf archive.tar -C /srv/target extracts the archive into /srv/target. " * 6,
        "grep searches for PATTERNS in each FILE.",
        "find . -mtime -1 lists the files changed in the last day, with their paths relative to the start point.",
    ]
    together = model.probabilities(question, passages)
    alone = [model.probabilities(question, [passage])[0] for passage in passages]
    assert together == alone
    assert model.probabilities(question, passages[::-1]) == together[::-1]
    assert max(range(len(passages)), key=together.__getitem__) in (0, 1)


def test_the_linear_model_file_has_a_weight_for_every_feature_and_no_other(tmp_path: Path) -> None:
    document = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert set(document["weights"]) == set(FEATURES)
    document["weights"]["a_feature_nobody_computes"] = 1.0
    (tmp_path / "rerank.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ValueError, match="a_feature_nobody_computes"):
        RerankModel.load(tmp_path / "rerank.json")


def test_a_prompt_written_before_an_example_command_is_not_part_of_the_lead() -> None:
    """ssh-copy-id(1)'s examples write `user@newclient$ ` before each command: its answer had led with the first line,
    `user@newclient$ ssh-add`, not with the page's own command (training/RULES.md)."""
    example = read(
        _hit(
            "man/ssh-copy-id.1",
            "man ssh-copy-id(1): ssh-copy-id - use locally available keys to authorise logins > EXAMPLES",
            "man:ssh-copy-id(1)#examples",
            "One way of dealing with this is to load both keys into your agent:\n\n```bash\nuser@newclient$ ssh-add\n"
            "user@newclient$ ssh -A old.client\n```\n\nthen log back out and run\n\n"
            "```bash\nuser@newclient$ ssh-copy-id -i someserver\n```",
        )
    )
    assert example.lead_line == "`ssh-copy-id -i someserver`"
    config = read(
        _hit(
            "man/git-config.1",
            "man git-config(1): git-config - Get and set options > EXAMPLES",
            "man:git-config(1)#examples",
            "```bash\n% git config --get-urlmatch http https://weak.example.com\n```",
        )
    )
    assert config.lead_line == "`git config --get-urlmatch http https://weak.example.com`"


def test_of_several_command_lines_the_lead_is_the_one_the_question_asks_for() -> None:
    synopsis = read(
        _hit(
            "man/git-remote.1",
            "man git-remote(1): git-remote - Manage set of tracked repositories > SYNOPSIS",
            "man:git-remote(1)#synopsis",
            "```bash\ngit remote [-v | --verbose]\ngit remote add [-t <branch>] [-m <master>] <name> <URL>\n"
            "git remote rename [--[no-]progress] <old> <new>\n```",
        )
    )
    assert synopsis.lead_line == "`git remote [-v | --verbose]`"  # without a question: the first
    assert synopsis.lead_for("add a second remote to my repo").startswith("`git remote add ")
    assert synopsis.lead_for("rename a remote").startswith("`git remote rename ")
    assert read(TAR_C).lead_for("extract into another directory") == read(TAR_C).lead_line
