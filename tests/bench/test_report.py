"""docs/performance.md: `make bench` rewrites it, `make bench-peers` owns a block of it; neither loses the other."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench import report
from tests.bench.peers import page_block, question


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


def test_the_peers_block_shows_rss_and_pss_per_cell_and_per_mesh_process() -> None:
    cell = {"req_per_s": 10.0, "p50_ms": 5.0, "p99_ms": 9.0, "errors": 0.0, "cores_used": 1.0}
    cell |= {"req_per_s_per_core": 10.0, "cpu_ms_per_req": 100.0, "rss_mib": 300.0, "pss_mib": 200.5}
    report = {"started": "now", "machine": "2 CPUs", "litellm": "1", "seconds": 15, "warmup": 5}
    report |= {"cells": {"mesh, plain, 1 clients": cell}, "split_clients": 16}
    report["mesh_cpu_ms_per_routed_request"] = {"abi": 7.5, "gateway": 3.25}
    report["mesh_memory_mib"] = {"abi": {"rss": 150.0, "pss": 100.0}, "gateway": {"rss": 90.0, "pss": 60.5}}
    block = page_block(report)
    assert "| mesh, plain, 1 clients | 10 | 5 | 9 | 0 | 1 | 10 | 100 | 300 | 200.5 |" in block
    assert "(plain, 16 clients): abi 7.5, gateway 3.25; sum 10.75." in block
    assert "RSS / PSS MiB: abi 150 / 100, gateway 90 / 60.5; sum 240 / 160." in block
