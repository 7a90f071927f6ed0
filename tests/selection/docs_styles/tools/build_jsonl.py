#!/usr/bin/env python3
"""Build ../docs_qa_styles_v1.jsonl from items.py (ids assigned in file order)."""
import json
import os
from items import ITEMS, PY, MAN1

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "docs_qa_styles_v1.jsonl")


def abs_source(src):
    if src.startswith("/"):
        return src
    return (PY if src.endswith(".html") else MAN1) + src


def main():
    with open(OUT, "w", encoding="utf-8") as f:
        for n, (topic, kind, style, src, section, keys, q) in enumerate(ITEMS, 1):
            obj = {
                "id": f"docs-styles-v1-{n:03d}",
                "question": q,
                "keys": keys,
                "source": abs_source(src),
                "section": section,
                "kind": kind,
                "topic": topic,
                "style": style,
                "split": "styles_dev",
            }
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")
    print("wrote", len(ITEMS), "items to", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
