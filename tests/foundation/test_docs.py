"""Documentation that is generated from code must match it."""

from __future__ import annotations

from pathlib import Path

from services.devmesh.settings_doc import render

ROOT = Path(__file__).resolve().parents[2]


def test_configuration_page_matches_the_settings_classes() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text()
    assert page == render(), "docs/configuration.md is stale: run `make docs`"


def test_readme_shows_the_two_commands_and_links_resolve() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    for target in ("docs/architecture.md", "docs/configuration.md"):
        assert f"({target})" in readme and (ROOT / target).is_file()


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()
