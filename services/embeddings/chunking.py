"""Cut Markdown, plain text and HTML documents into sections and then chunks of bounded size.

Chunks follow the document's own structure: headings start sections, and a
section is packed paragraph by paragraph up to `max_chars`; a paragraph
longer than that is split at sentence ends, and consecutive pieces of one
section share `overlap` characters so no sentence loses its context. Each
chunk keeps its heading path as its title, for attribution and for the
embedding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import PurePosixPath

from services.common.text import split_sentences

FORMATS = ("markdown", "text", "html")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_ANCHOR = re.compile(r"\s*\{#([^{}\s]+)\}\s*$")
_UNDERLINE = re.compile(r"^([=\-*~^\"'`#+])\1{2,}\s*$")


@dataclass(frozen=True)
class Chunk:
    """One piece of a document: its heading path and its text."""

    section: str
    text: str
    anchor: str = ""  # the innermost heading's `{#anchor}`, for a URL that points at this passage


def guess_format(source: str, text: str) -> str:
    """The format named by the source's extension, else sniffed from the text."""
    suffix = PurePosixPath(source.split("?")[0]).suffix.lower()
    if suffix in (".md", ".markdown"):
        return "markdown"
    if suffix in (".html", ".htm"):
        return "html"
    if suffix in (".txt", ".rst", ".text"):
        return "text"
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype html", "<html")) or "<body" in head:
        return "html"
    return "markdown" if re.search(r"^#{1,6}\s", text, re.MULTILINE) else "text"


class _HtmlToMarkdown(HTMLParser):
    """Keeps headings and block structure of HTML, drops scripts, styles and navigation."""

    _SKIP = frozenset({"script", "style", "nav", "header", "footer", "noscript", "svg", "template"})
    _BLOCK = frozenset({"p", "div", "li", "tr", "br", "pre", "section", "article", "blockquote", "table", "ul", "ol"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip_depth += 1
        elif tag == "title":
            self._in_title = True
        elif re.fullmatch(r"h[1-6]", tag):
            self.parts.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag in self._BLOCK:
            self.parts.append("\n\n" if tag != "br" else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag == "title":
            self._in_title = False
        elif re.fullmatch(r"h[1-6]", tag) or tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data.strip()
        elif not self._skip_depth:
            self.parts.append(data)


def html_to_markdown(html: str) -> tuple[str, str]:
    """(markdown-ish text, <title>) of an HTML page."""
    parser = _HtmlToMarkdown()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    text = re.sub(r"[ \t]+", " ", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip(), parser.title


def _sections(text: str, format: str) -> list[tuple[str, str, str]]:
    """(heading path, body, anchor) triples in document order."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    sections: list[tuple[str, str, str]] = []
    path: list[tuple[int, str]] = []
    body: list[str] = []
    in_fence = False
    anchor = ""

    def close() -> None:
        content = "\n".join(body).strip()
        if content:
            sections.append((" > ".join(title for _, title in path), content, anchor))
        body.clear()

    index = 0
    while index < len(lines):
        line = lines[index]
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        heading: tuple[int, str] | None = None
        if not in_fence and format in ("markdown", "html"):
            match = _MD_HEADING.match(line)
            if match:
                heading = (len(match.group(1)), match.group(2).strip())
        if (
            heading is None
            and not in_fence
            and line.strip()
            and index + 1 < len(lines)
            and _UNDERLINE.match(lines[index + 1])
            and len(lines[index + 1].strip()) >= len(line.strip()) * 0.6
        ):
            char = lines[index + 1].strip()[0]
            heading = ({"*": 1, "=": 2, "-": 3}.get(char, 4), line.strip())
            index += 1
        if heading is not None:
            close()
            level, title = heading
            found = _ANCHOR.search(title)
            anchor = found.group(1) if found else ""
            title = _ANCHOR.sub("", title) if found else title
            path = [(lvl, t) for lvl, t in path if lvl < level] + [(level, title)]
        else:
            body.append(line)
        index += 1
    close()
    return sections


def _split_long(paragraph: str, max_chars: int, overlap: int) -> list[str]:
    """A paragraph longer than max_chars, cut at sentence ends (or hard) with overlapping tails."""
    sentences = split_sentences(paragraph)
    pieces: list[str] = []
    current = ""
    for sentence in sentences:
        while len(sentence) > max_chars:
            head, sentence = sentence[:max_chars], sentence[max_chars - overlap :]
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        candidate = f"{current} {sentence}".strip() if current else sentence
        if len(candidate) > max_chars and current:
            pieces.append(current)
            tail = current[-overlap:] if overlap else ""
            candidate = f"{tail} {sentence}".strip() if tail else sentence
        current = candidate
    if current:
        pieces.append(current)
    return pieces


def chunk_text(text: str, format: str, *, max_chars: int = 1200, overlap: int = 150) -> list[Chunk]:
    """Chunks of a document in the given format ("markdown", "text" or "html")."""
    if format == "html":
        text, _ = html_to_markdown(text)
    overlap = max(0, min(overlap, max_chars // 3))
    chunks: list[Chunk] = []
    for section, body, anchor in _sections(text, format):
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
        current = ""
        for paragraph in paragraphs:
            pieces = _split_long(paragraph, max_chars, overlap) if len(paragraph) > max_chars else [paragraph]
            for piece in pieces:
                if current and len(current) + 2 + len(piece) > max_chars:
                    chunks.append(Chunk(section, current, anchor))
                    current = piece
                else:
                    current = f"{current}\n\n{piece}" if current else piece
        if current:
            chunks.append(Chunk(section, current, anchor))
    return chunks
