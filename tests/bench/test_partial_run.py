"""`python -m tests.bench NAME` keeps docs/performance.md: the page shows one whole `make bench` run."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import pytest

from tests.bench import __main__ as bench


def test_a_named_run_writes_its_figures_but_not_the_page(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    async def figures() -> dict[str, Any]:
        return {"p50_ms": 1.0}

    pages: list[dict[str, Any]] = []

    def write(report: dict[str, Any]) -> str:
        pages.append(report)
        return "page"

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(bench.importlib, "import_module", lambda name: types.SimpleNamespace(main=figures))
    monkeypatch.setattr(bench.performance_page, "write", write)
    assert bench.main(["personas"]) == 0
    assert pages == [] and (tmp_path / "bench-results" / "latest.json").read_text().count("p50_ms") == 1
    assert bench.main([]) == 0  # every module: the page is written from the run
    assert len(pages) == 1 and "personas" in pages[0]
