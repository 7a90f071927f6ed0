"""Python's Sphinx HTML (Debian's python3.11-doc) -> one Markdown document per page, one section per passage.

A passage is a documented object (`<dt id="concurrent.futures.ThreadPoolExecutor">`: its signature, description
and examples) or the prose of one page section. Each passage heading carries its anchor (`{#anchor}`), so every
chunk cites https://docs.python.org/3.11/<page>#<anchor>. Code samples stay fenced (```python).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from personamesh.v1 import embedding_index_service_pb2 as pb
from services.common.doc_sources import PYTHON_PAGES

PYTHON_DOCS = Path("/usr/share/doc/python3.11-doc/html")
BASE_URL = "https://docs.python.org/3.11/"
PARTS = ("library", "tutorial", "howto")
SOURCE_PREFIX = PYTHON_PAGES
# Bump when this parser makes something else of the same page: those pages are ingested again.
VERSION = "2"
# Elements without an end tag: never pushed on the open-tag stack, so their (XHTML-style) end pops nothing.
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})
_SKIP_CLASSES = ("sphinxsidebar", "related", "footer", "headerlink", "versionmodified-deprecated")


@dataclass
class _Passage:
    anchor: str
    heading: str
    parts: list[str] = field(default_factory=list)


class _SphinxPage(HTMLParser):
    """Collects passages from the page's main body."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.passages: list[_Passage] = []
        self._stack: list[_Passage] = []  # open definitions; the section passage sits below them
        self._section: _Passage | None = None
        self._tags: list[tuple[str, bool]] = []  # (tag, skipping)
        self._in_body = False
        self._body_depth = 0
        self._text: list[str] = []
        self._mode = ""  # "", "heading", "dt", "pre"
        self._heading_anchor = ""
        self._in_title = False

    # -- helpers -----------------------------------------------------------------------------------------------

    @property
    def _skipping(self) -> bool:
        return any(skip for _, skip in self._tags)

    def _current(self) -> _Passage | None:
        return self._stack[-1] if self._stack else self._section

    def _flush_text(self) -> None:
        text = " ".join("".join(self._text).split())
        self._text = []
        passage = self._current()
        if text and passage is not None:
            passage.parts.append(text)

    def _open(self, anchor: str, heading: str) -> _Passage:
        passage = _Passage(anchor, heading)
        self.passages.append(passage)
        return passage

    # -- parser events -----------------------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        classes = attributes.get("class", "")
        if tag == "title":
            self._in_title = True
        if tag == "div" and attributes.get("role") == "main":
            self._in_body = True
        if not self._in_body:
            return
        skip = any(name in classes.split() for name in _SKIP_CLASSES) or tag in ("script", "style")
        if tag not in _VOID:
            self._tags.append((tag, skip))
        if self._skipping:
            return
        if tag == "section" and attributes.get("id"):
            self._flush_text()
            self._heading_anchor = attributes["id"]
        elif re.fullmatch(r"h[1-6]", tag):
            self._flush_text()
            self._mode = "heading"
        elif tag == "dt" and attributes.get("id") and "sig" in classes:
            self._flush_text()
            self._mode = "dt"
            self._heading_anchor = attributes["id"]
        elif tag == "pre":
            self._flush_text()
            self._mode = "pre"
        elif tag in ("p", "li", "dd", "div", "table", "tr"):
            self._flush_text()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        # A void element's end (`<img ... />`) and an end tag nothing opened close nothing: popping to them emptied
        # the stack, so the bottom navigation bar (`related`) stopped being skipped and joined the last passage.
        if not self._in_body or tag in _VOID or all(open_tag != tag for open_tag, _ in self._tags):
            return
        while self._tags:
            open_tag, skip = self._tags.pop()
            if open_tag == tag:
                break
        if skip:
            return
        if re.fullmatch(r"h[1-6]", tag) and self._mode == "heading":
            heading = " ".join("".join(self._text).split())
            self._text = []
            self._mode = ""
            self._stack = []
            self._section = self._open(self._heading_anchor, heading)
        elif tag == "dt" and self._mode == "dt":
            signature = " ".join("".join(self._text).split())
            self._text = []
            self._mode = ""
            self._stack.append(self._open(self._heading_anchor, f"`{_qualified(signature, self._heading_anchor)}`"))
        elif tag == "dl" and self._stack and self._dl_closes_definition():
            self._flush_text()
            self._stack.pop()
        elif tag == "pre" and self._mode == "pre":
            code = "".join(self._text).strip("\n")
            self._text = []
            self._mode = ""
            passage = self._current()
            if code.strip() and passage is not None:
                passage.parts.append(f"```python\n{_undoctest(code)}\n```")
        elif tag in ("p", "li", "dd", "div", "table", "tr"):
            self._flush_text()
        if tag == "div" and self._in_body and not any(t == "div" for t, _ in self._tags):
            self._flush_text()

    def _dl_closes_definition(self) -> bool:
        # Definitions nest as <dl><dt id=..>..</dt><dd>..</dd></dl>: a closing </dl> ends the innermost one.
        return True

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if not self._in_body or self._skipping:
            return
        if data == "¶":
            return
        self._text.append(data)


def _qualified(signature: str, anchor: str) -> str:
    """`submit(fn, /, *args)` under anchor concurrent.futures.Executor.submit -> the dotted name in front."""
    match = re.match(r"^((?:[a-z]+ )*)([\w.]+)(.*)$", signature)
    if match is None or "." not in anchor:
        return signature
    keywords, name, rest = match.groups()
    if anchor.endswith(name) and len(anchor) > len(name):
        name = anchor
    return f"{keywords}{name}{rest}"


def _undoctest(code: str) -> str:
    """A doctest session keeps only its input lines (what a reader would type), else the code as is."""
    lines = code.splitlines()
    if not any(line.startswith(">>> ") for line in lines):
        return code
    return "\n".join(line[4:] for line in lines if line.startswith((">>> ", "... ")))


def page_markdown(html: str) -> tuple[str, str]:
    """(title, Markdown) of one Sphinx page: a `## heading {#anchor}` section per passage."""
    parser = _SphinxPage()
    parser.feed(html)
    parser.close()
    title = parser.title.split("—")[0].strip() if "—" in parser.title else parser.title.strip()
    title = re.sub(r"\s*[-—]\s*Python 3\.11.*$", "", parser.title).strip() or title
    sections: list[str] = []
    for passage in parser.passages:
        body = "\n\n".join(part for part in passage.parts if part.strip())
        if not body.strip():
            continue
        heading = passage.heading.replace("#", "")
        anchor = f" {{#{passage.anchor}}}" if passage.anchor else ""
        sections.append(f"## {heading}{anchor}\n\n{body}")
    return title, "\n\n".join(sections)


def pages(root: Path = PYTHON_DOCS, parts: tuple[str, ...] = PARTS) -> list[Path]:
    """The HTML pages of the library reference, tutorial and HOWTOs that are on this machine."""
    found: list[Path] = []
    for part in parts:
        folder = root / part
        if folder.is_dir():
            found.extend(sorted(p for p in folder.glob("*.html") if p.name != "index.html"))
    return found


def document(path: Path, root: Path = PYTHON_DOCS) -> pb.KnowledgeDocument | None:
    """One page as a knowledge document (source python-3.11/library/x.html, URL on docs.python.org)."""
    relative = path.relative_to(root).as_posix()
    title, text = page_markdown(path.read_text(encoding="utf-8", errors="replace"))
    if not text.strip():
        return None
    return pb.KnowledgeDocument(
        source=f"{SOURCE_PREFIX}{relative}",
        title=f"Python 3.11 docs: {title}",
        url=f"{BASE_URL}{relative}",
        text=text,
        format="markdown",
    )
