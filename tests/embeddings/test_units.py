"""Pure parts without processes: chunking, the learning rule, filter quoting, the micro-batcher."""

from __future__ import annotations

import asyncio
import threading

from services.embeddings.batching import MicroBatcher
from services.embeddings.chunking import chunk_text, guess_format, html_to_markdown
from services.embeddings.filters import quote
from services.embeddings.learning import AdaptiveWeights


def test_markdown_sections_become_titled_chunks_within_the_size_limit() -> None:
    paragraph = "This sentence is about chunking documents. " * 20
    text = (
        f"# Guide\n\nIntro.\n\n## Part one\n\n{paragraph}\n\n{paragraph}\n\n"
        "### Deeper\n\nDeep text.\n\n## Part two\n\nEnd."
    )
    chunks = chunk_text(text, "markdown", max_chars=500, overlap=50)
    assert all(len(c.text) <= 500 for c in chunks)
    assert chunks[0].section == "Guide" and chunks[0].text == "Intro."
    assert {c.section for c in chunks} == {"Guide", "Guide > Part one", "Guide > Part one > Deeper", "Guide > Part two"}
    part_one = [c.text for c in chunks if c.section == "Guide > Part one"]
    assert len(part_one) >= 2 and "".join(part_one).count("chunking documents") >= 40


def test_code_fences_are_not_headings() -> None:
    chunks = chunk_text("# Title\n\n```\n# not a heading\nx = 1\n```\n", "markdown")
    assert [c.section for c in chunks] == ["Title"] and "# not a heading" in chunks[0].text


def test_underlined_headings_of_plain_text() -> None:
    chunks = chunk_text('The "if" statement\n******************\n\nBody text.\n\nDetails\n=======\n\nMore.', "text")
    assert [(c.section, c.text) for c in chunks] == [
        ('The "if" statement', "Body text."),
        ('The "if" statement > Details', "More."),
    ]


def test_html_keeps_structure_and_drops_scripts() -> None:
    text, title = html_to_markdown("<title>T</title><script>bad()</script><h2>Head</h2><p>One &amp; two</p>")
    assert title == "T" and "bad()" not in text and "## Head" in text and "One & two" in text


def test_format_is_guessed_from_the_source_or_the_text() -> None:
    assert guess_format("a/b.md", "") == "markdown"
    assert guess_format("page.HTML", "") == "html"
    assert guess_format("notes", "<!DOCTYPE html><html>") == "html"
    assert guess_format("notes", "plain words") == "text"


def test_quote_escapes_everything_the_filter_grammar_treats_specially() -> None:
    assert quote('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'


def _weights(**overrides: float) -> AdaptiveWeights:
    settings = {"half_life_days": 14.0, "prior_strength": 10.0, "global_prior_strength": 20.0, "max_evidence": 500.0}
    settings.update(overrides)
    return AdaptiveWeights([1, 2, 3], **settings)


def test_one_outcome_moves_a_weight_a_little_and_many_move_it_a_lot() -> None:
    learner = _weights()
    learner.record(3, 1.0, "u", "code", now_ms=0)
    one = {w.persona: w for w in learner.weights("u", "code", 0)}[3].weight
    for _ in range(200):
        learner.record(3, 1.0, "u", "code", now_ms=0)
    many = {w.persona: w for w in learner.weights("u", "code", 0)}[3].weight
    assert 1.0 < one < 1.15 and 1.4 < many <= 1.5


def test_evidence_decays_with_the_half_life() -> None:
    learner = _weights(half_life_days=1.0)
    for _ in range(10):
        learner.record(2, 0.0, "u", "", now_ms=0)
    day_ms = 86_400_000
    assert abs({w.persona: w for w in learner.weights("u", "", day_ms)}[2].evidence - 5.0) < 1e-6
    late = {w.persona: w for w in learner.weights("u", "", 60 * day_ms)}[2]
    assert late.evidence < 1e-6 and abs(late.weight - 1.0) < 1e-3


def test_evidence_is_capped_so_weights_stay_adaptive() -> None:
    learner = _weights(max_evidence=20.0)
    for _ in range(100):
        learner.record(1, 1.0, "", "", now_ms=0)
    for _ in range(20):
        learner.record(1, 0.0, "", "", now_ms=0)
    assert {w.persona: w for w in learner.weights("", "", 0)}[1].weight < 1.0


def test_rows_round_trip_and_forgetting_a_user_keeps_the_other_levels() -> None:
    learner = _weights()
    keys = learner.record(1, 1.0, "u", "d", now_ms=5)
    restored = _weights()
    restored.load_rows([learner.to_row(key) for key in keys])
    assert restored.weights("u", "d", 5) == learner.weights("u", "d", 5)
    assert restored.forget_user("u") == 1
    after = {w.persona: w for w in restored.weights("u", "d", 5)}[1]
    assert after.user_weight == after.domain_weight > 1.0


async def test_micro_batcher_groups_concurrent_callers_and_keeps_order() -> None:
    calls: list[int] = []

    def double(items: list[int]) -> list[int]:
        calls.append(len(items))
        threading.Event().wait(0.01)
        return [item * 2 for item in items]

    batcher: MicroBatcher[int, int] = MicroBatcher(double, None, max_items=64, max_wait_s=0.005)
    results = await asyncio.gather(*(batcher.submit([i, i + 1000]) for i in range(30)))
    await batcher.close()
    assert results == [[2 * i, 2 * (i + 1000)] for i in range(30)]
    assert sum(calls) == 60 and len(calls) < 10


async def test_micro_batcher_reports_failures_to_every_caller_of_the_batch() -> None:
    def fail(items: list[int]) -> list[int]:
        raise ValueError("boom")

    batcher: MicroBatcher[int, int] = MicroBatcher(fail, None, max_items=8, max_wait_s=0.005)
    results = await asyncio.gather(*(batcher.submit([i]) for i in range(3)), return_exceptions=True)
    await batcher.close()
    assert all(isinstance(r, ValueError) for r in results)
