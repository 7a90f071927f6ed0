"""Man pages of everyday tools -> one Markdown document per page, one section per passage.

Pages are rendered by man-db (`man --nh --nj`, very wide so every paragraph is one line), then cut into
passages: each option or test entry (`-C, --directory=DIR`, also `-v      Verbose mode.` on one line) with
its description, each example of EXAMPLES (its title, its commands fenced as ```bash, its explanation) and
each prose section. Sources cite `man:tar(1)#<passage>` (`#-C` for an option,
`#examples-undo-a-commit-and-redo` for a section): man pages have no anchors of their own, so these are
ours, stable as long as the page's headings are.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from personamesh.v1 import embedding_index_service_pb2 as pb
from services.common.doc_sources import MAN_PAGES

MAN_ROOT = Path("/usr/share/man")
SOURCE_PREFIX = MAN_PAGES
# Everyday tools: tar, find (findutils), grep, sed, awk, ssh, curl and coreutils; every git page of git-man too.
TOOLS = (
    "tar", "find", "xargs", "grep", "sed", "awk", "mawk", "ssh", "scp", "ssh-keygen", "ssh-copy-id", "curl",
    "ls", "cp", "mv", "rm", "mkdir", "rmdir", "ln", "chmod", "chown", "chgrp", "cat", "head", "tail", "sort", "uniq",
    "wc", "cut", "tr", "du", "df", "touch", "date", "env", "tee", "stat", "split", "seq", "sleep", "basename",
    "dirname", "readlink", "realpath", "nohup", "timeout", "comm", "join", "paste", "nl", "shuf", "base64",
    "sha256sum", "md5sum", "mktemp",
)  # fmt: skip
GIT_SECTION_PAGES = (
    ("gitignore", "5"),
    ("githooks", "5"),
    ("gitrevisions", "7"),
    ("gitattributes", "5"),
    ("gitglossary", "7"),
    ("gitcli", "7"),
    ("gitworkflows", "7"),
)
# Bump when this parser makes something else of the same page: those pages are ingested again.
VERSION = "4"
_SECTION = re.compile(r"^[A-Z][A-Z0-9 ,/&()'-]*$")
# An option whose description starts on its own line, after two or more spaces: mdoc pages (ssh, scp,
# ssh-keygen) render every short entry so, and man's .TP does when the tag fits its indent (`find -P`,
# `ls -c`, `awk -F value`). Without this they were read as the previous entry's text.
# (A description starts with a word: find's HISTORY table, "-delete      4.2.3", is not a list of entries.)
_INLINE_OPTION = re.compile(r"^(-{1,2}[A-Za-z0-9?#@][\w-]*(?:[ =][^\s.,;:]+)?) {2,}([^\d\s].*)$")
# A tag exactly as wide as the indent leaves one space (`find -empty File is empty...`, `tar --zstd Filter
# the archive...`): an option then a capitalised sentence, when the line is not the head of a deeper entry.
_TIGHT_OPTION = re.compile(r"^(-{1,2}[A-Za-z0-9?#@][\w-]*) ([A-Z][a-z]+[ ;,.].*)$")
_CALLOUT = re.compile(r"\s+\(\d+\)\s*$")
# A sentence's end: a word, a number or a closing parenthesis, then a full stop (a command may end in a "." path).
_SENTENCE_END = re.compile(r"[A-Za-z0-9)]\.$")
# Words English sentences are made of and commands seldom hold: two of them make a line prose.
_FUNCTION_WORDS = frozenset(
    {"a", "an", "and", "are", "as", "be", "by", "can", "for", "from", "if", "in", "is", "it", "its", "may", "not",
     "of", "on", "or", "that", "the", "this", "to", "which", "will", "with"}
)  # fmt: skip


def available_pages() -> list[tuple[str, str]]:
    """(name, section) of the pages to ingest that are installed here."""
    found: list[tuple[str, str]] = []
    for name in TOOLS:
        if (MAN_ROOT / "man1" / f"{name}.1.gz").exists():
            found.append((name, "1"))
    git = sorted(p.name.removesuffix(".1.gz") for p in (MAN_ROOT / "man1").glob("git*.1.gz"))
    found.extend((name, "1") for name in git)
    found.extend(
        (name, section)
        for name, section in GIT_SECTION_PAGES
        if (MAN_ROOT / f"man{section}" / f"{name}.{section}.gz").exists()
    )
    return found


def render(name: str, section: str) -> str:
    """The page as plain text (no hyphenation, no justification, one line per paragraph); "" if man fails."""
    man = shutil.which("man")
    if man is None:
        return ""
    env = {**os.environ, "MANWIDTH": "1000", "MAN_KEEP_FORMATTING": "0", "LC_ALL": "C.UTF-8", "MANPAGER": "cat"}
    try:
        result = subprocess.run(
            [man, "--nh", "--nj", "-E", "UTF-8", section, name], capture_output=True, env=env, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    text = result.stdout.decode("utf-8", errors="replace")
    return re.sub(r".\x08", "", text)  # overstrike bold/underline, in case a pager kept it


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_command(line: str, tool: str) -> bool:
    stripped = line.strip()
    first = stripped.split(" ", 1)[0]
    return stripped.startswith("$ ") or (first in (tool, tool.split("-")[0]) and len(stripped) < 160)


def _is_prose(line: str, *, in_examples: bool = False) -> bool:
    """A sentence, not a command: capitalised and ended ("Extract the archive."), or, outside EXAMPLES (whose
    blocks hold comments and a command's output) and whatever its first letter, ended and made of English
    ("ssh-keygen generates, manages and converts authentication keys for ssh(1)." opens an mdoc page's
    DESCRIPTION with the command's name)."""
    words = line.split()
    if not line.endswith(".") or len(words) < 4:
        return False
    if line[:1].isupper():
        return True
    if in_examples or not line[:1].isalpha():
        return False
    english = sum(word.lower().strip(",;:") in _FUNCTION_WORDS for word in words)
    return bool(_SENTENCE_END.search(line)) and len(words) >= 5 and english >= 2


def page_markdown(name: str, text: str) -> tuple[str, str]:
    """(one-line summary from NAME, Markdown with a section per passage)."""
    lines = [line.rstrip() for line in text.splitlines()]
    sections: list[tuple[str, list[str]]] = []
    for line in lines[1:]:
        if line and _SECTION.match(line) and _indent(line) == 0:
            sections.append((line.strip(), []))
        elif sections:
            sections[-1][1].append(line)
    summary = ""
    out: list[str] = []
    anchors: set[str] = set()
    for title, body in sections:
        if title == "NAME":
            summary = " ".join(" ".join(body).split())
            continue
        if title in ("AUTHOR", "AUTHORS", "COPYRIGHT", "REPORTING BUGS", "BUG REPORTS", "GIT", "COLOPHON"):
            continue
        out.extend(_passages(name, title, body, anchors))
    return summary, "\n\n".join(out)


def _anchor(heading: str, used: set[str]) -> str:
    """`-C` for an option entry, else a slug of the heading; unique within the page."""
    label = heading.split(": ", 1)[1].strip("`") if ": " in heading else ""
    option = re.match(r"-{1,2}[A-Za-z0-9?#@][\w-]*", label)
    slug = option.group(0) if option else re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")
    anchor, n = slug or "section", 1
    while anchor in used:
        n += 1
        anchor = f"{slug}-{n}"
    used.add(anchor)
    return anchor


def _one_line_entry(line: str, is_head: bool) -> re.Match[str] | None:
    """An option and its description on one line (groups: the option, the description), else None. With one
    space between them only when the rest is a sentence, not the name of an argument that heads a deeper entry."""
    match = _INLINE_OPTION.match(line)
    if match:
        return match
    tight = _TIGHT_OPTION.match(line)
    return tight if tight and (not is_head or len(tight.group(2).split()) >= 6) else None


def _passages(tool: str, section: str, body: list[str], used_anchors: set[str]) -> list[str]:
    """Markdown sections of one man section: entries (a short head line with a deeper body) become their own."""
    passages: list[str] = []
    heading = section
    section_path = section
    current: list[str] = []
    code: list[str] = []
    base = min((_indent(line) for line in body if line.strip() and _indent(line) >= 5), default=7)
    examples = section.startswith("EXAMPLE")
    anchors = used_anchors

    def flush_code() -> None:
        if code:
            current.append("```bash\n" + "\n".join(code) + "\n```")
            code.clear()

    def close() -> None:
        flush_code()
        text = "\n\n".join(part for part in current if part.strip())
        if text.strip():
            passages.append(f"## {heading} {{#{_anchor(heading, anchors)}}}\n\n{text}")
        current.clear()

    for index, line in enumerate(body):
        if not line.strip():
            continue
        indent = _indent(line)
        stripped = line.strip()
        if indent < base and len(stripped) < 80:  # a subsection ("   Operation modifiers")
            close()
            section_path = f"{section} > {stripped}"
            heading = section_path
            continue
        following = next((b for b in body[index + 1 :] if b.strip()), "")
        is_head = (
            indent <= base + 3
            and _indent(following) > indent
            and (stripped.startswith("-") or len(stripped) < 80)
            and not stripped.endswith(".")
            and not _is_command(stripped, tool)
        )
        entry = _one_line_entry(stripped, is_head) if indent <= base + 3 and not examples else None
        if entry:
            close()
            heading = f"{section_path}: `{entry.group(1)}`"
            current.append(entry.group(2))
            continue
        if is_head:
            close()
            label = f"`{stripped}`" if stripped.startswith("-") else stripped
            heading = f"{section_path}: {label}"
            continue
        prose = _is_prose(stripped, in_examples=examples)
        command = stripped.startswith("$ ") or (examples and indent > base + 3) or _is_command(stripped, tool)
        if command and not prose and not re.match(r"^\d+\.\s", stripped):
            code.append(_CALLOUT.sub("", stripped.removeprefix("$ ")))
            continue
        flush_code()
        current.append(stripped)
    close()
    return passages


def document(name: str, section: str) -> pb.KnowledgeDocument | None:
    """One page as a knowledge document (source man/tar.1, URL man:tar(1))."""
    text = render(name, section)
    if not text.strip():
        return None
    summary, markdown = page_markdown(name, text)
    if not markdown.strip():
        return None
    return pb.KnowledgeDocument(
        source=f"{SOURCE_PREFIX}{name}.{section}",
        title=f"man {name}({section}): {summary}" if summary else f"man {name}({section})",
        url=f"man:{name}({section})",
        text=markdown,
        format="markdown",
    )
