"""Documentation that is generated from code must match it."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from services.devmesh import errors_doc
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


def test_error_reference_matches_the_reason_catalogue() -> None:
    page = (ROOT / "docs" / "errors.md").read_text()
    assert page == errors_doc.render(), "docs/errors.md is stale: run `make docs`"
    assert "`INVALID_ARGUMENT` 400" in page and "`MODEL_NOT_FOUND`" in page


_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+\s+(.+?)\s*$", markdown, flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_every_link_between_the_docs_resolves() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    pages += sorted((ROOT / "services").glob("*/README.md"))
    broken = []
    for page in pages:
        for target in _LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target) or target == "#":
                continue  # external (http:, mailto:) links are not checked offline
            path, _, anchor = unquote(target).partition("#")
            resolved = (page.parent / path).resolve() if path else page
            if not resolved.exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
            elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved.read_text(encoding="utf-8")):
                broken.append(f"{page.relative_to(ROOT)} -> {target} (no such heading)")
    assert not broken, "broken links:\n" + "\n".join(broken)
