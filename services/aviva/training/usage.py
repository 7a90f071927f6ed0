"""Build the usage table of the reranker's popularity prior (services/common/knowledge/usage.py says what it is).

    python -m services.aviva.training.usage [--out services/common/knowledge/models/usage.json]

The code read: every `.py` file of the standard library and of this environment's site-packages (the pinned
service environment, `requirements.lock`), test folders left out since tests exercise every corner of an API
equally. One pass of a regular expression over the code counts dotted names (each pair of neighbouring names),
method calls and bare calls; the table keeps the count of each needle a Python definition of the corpus has. No
library counts identifiers across a source tree this way (a parser per file would be 50 times slower for the same
counts), hence this one pass.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sysconfig
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from personamesh.v1 import embedding_index_service_pb2 as pb
from services.common.knowledge.passage import read
from services.common.knowledge.usage import USAGE_FILE, definition_name, needle
from services.embeddings.chunking import chunk_text
from services.embeddings.corpus import pydocs
from services.embeddings.knowledge import titled_chunks

_DOTTED = re.compile(r"(?<![\w.])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(\s*\()?")
_TEST_FOLDERS = frozenset({"test", "tests", "testing", "idle_test"})
# Installed packages under the standard library's folder: read once, from their own root.
_INSTALLED = frozenset({"site-packages", "dist-packages"})


def corpus_needles() -> set[str]:
    """The needle of every Python definition in the documentation corpus."""
    found: set[str] = set()
    for path in pydocs.pages():
        document = pydocs.document(path)
        if document is None:
            continue
        for title, text, url in titled_chunks(document.title, document.url, chunk_text(document.text, "markdown")):
            passage = read(pb.KnowledgeHit(title=title, text=text, url=url))
            name = definition_name(passage.lead) if passage.python and passage.lead else ""
            if name:
                found.add(needle(name))
    return found


def code_files() -> Iterator[Path]:
    """The standard library's and site-packages' Python files outside test folders, in a stable order."""
    roots = sorted({Path(sysconfig.get_paths()[key]) for key in ("stdlib", "purelib", "platlib")})
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            relative = set(path.relative_to(root).parts)
            if _TEST_FOLDERS.isdisjoint(relative) and _INSTALLED.isdisjoint(relative):
                yield path


def count_needles(files: Iterator[Path]) -> tuple[Counter[str], int]:
    """Every needle in the code: "a.b" for each pair of neighbouring names, ".m(" for each method call, "f(" for
    each bare call. Returns the counts and the number of files read."""
    counts: Counter[str] = Counter()
    read_files = 0
    for path in files:
        try:
            code = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        read_files += 1
        for match in _DOTTED.finditer(code):
            names = match.group(0).rstrip("( \t\n").split(".")
            counts.update(f"{a}.{b}" for a, b in itertools.pairwise(names))
            if match.group(1):
                counts[f".{names[-1]}(" if len(names) > 1 else f"{names[0]}("] += 1
    return counts, read_files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=USAGE_FILE)
    args = parser.parse_args()
    started = time.perf_counter()
    wanted = corpus_needles()
    counts, files = count_needles(code_files())
    table = {key: counts[key] for key in sorted(wanted) if counts[key]}
    document = {
        "about": "How often each Python definition of the documentation corpus is named in code (the reranker's "
        "usage prior); built by python -m services.aviva.training.usage.",
        "code": {
            "files": files,
            "roots": "the standard library and the service environment's site-packages, test folders left out",
        },
        "definitions": len(wanted),
        "counts": table,
    }
    args.out.write_text(json.dumps(document, indent=0) + "\n", encoding="utf-8")
    print(f"{len(wanted)} definitions, {len(table)} used in {files} files; wrote {args.out} "
          f"in {time.perf_counter() - started:.0f}s")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
