#!/usr/bin/env python3
"""Print, for each item (or the ids given), the first place each key occurs in the
rendered source with some context, so a human can check that the key sits in the
cited section and not somewhere unrelated.  Prefers an occurrence on a line that
also contains the section label when there is one.

Usage: key_context.py [ID ...]   (ids like 105 or docs-blind-v1-105)
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from render import renderings  # noqa: E402


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(os.path.dirname(here), "docs_qa_blind_v1.jsonl")
    want = {a if a.startswith("docs-") else "docs-blind-v1-%03d" % int(a) for a in sys.argv[1:]}
    cache = {}
    for line in open(path, encoding="utf-8"):
        it = json.loads(line)
        if want and it["id"] not in want:
            continue
        src = it["source"]
        if src not in cache:
            cache[src] = list(renderings(src).values())[-1]
        text = cache[src]
        print("== %s [%s] %s :: %s" % (it["id"], it["topic"], os.path.basename(src), it["section"]))
        for k in it["keys"]:
            idx = -1
            label = it["section"].split(" / ")[0]
            j = text.find(label)
            if j >= 0:
                idx = text.find(k, j)
            if idx < 0:
                idx = text.find(k)
            ctx = re.sub(r"\s+", " ", text[max(0, idx - 90): idx + 110]) if idx >= 0 else "<MISSING>"
            print("   %-22r %s" % (k, ctx))


if __name__ == "__main__":
    main()
