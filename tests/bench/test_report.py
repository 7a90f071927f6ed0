"""docs/performance.md: `make bench` rewrites it, `make bench-peers` owns a block of it; neither loses the other."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench import report
from tests.bench.peers import question


def test_a_block_is_added_once_then_replaced_in_place() -> None:
    page = "# Performance\n\nfigures\n"
    first = report.replace_block(page, "bench-peers", "table 1\n")
    second = report.replace_block(first + "after\n", "bench-peers", "table 2\n")
    assert report.blocks(second) == {"bench-peers": "table 2\n"}
    assert second.startswith("# Performance\n\nfigures\n") and second.endswith("after\n")
    assert "table 1" not in second


def test_make_bench_keeps_the_peers_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = tmp_path / "performance.md"
    page.write_text(report.replace_block("# old page\n", "bench-peers", "| LiteLLM | 180 |\n"))
    monkeypatch.setattr(report, "PAGE", page)
    report.write({"started": "now", "machine": {"cpus": 2}, "abi": {"route": {"p50_ms": 1.5}}})
    text = page.read_text()
    assert "# old page" not in text and "p50_ms" in text
    assert report.blocks(text) == {"bench-peers": "| LiteLLM | 180 |\n"}


def test_every_benchmark_question_is_new() -> None:
    """No cache on either side can answer a request it has seen: every text differs."""
    texts = [question(i) for i in range(5000)]
    assert len(set(texts)) == len(texts)
