#!/usr/bin/env python3
"""Verify docs_qa_styles_v1.jsonl.

For every item:
  * exact key set / allowed values for kind, topic, style, split; id format; unique ids & questions
  * source file exists
  * EVERY key is a literal substring of EVERY rendering of the source
    (man: `MANWIDTH=250 LANG=C man --nh --nj -E ascii -l FILE`;
     HTML: tags->space AND tags removed, entities unescaped, whitespace collapsed)
  * section string is found in the rendered text (or, for HTML, as an element id) -- reported
Prints counts per style/topic/kind and the sha256 of the file. Exit status 1 on any key failure.
"""
import collections
import hashlib
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from render import renderings  # noqa: E402

FIELDS = ["id", "question", "keys", "source", "section", "kind", "topic", "style", "split"]
KINDS = {"call", "command", "flag", "concept"}
TOPICS = {"python", "git", "tar", "find", "grep", "sed", "awk", "ssh", "curl", "coreutils"}
STYLES = {"situational", "goal_only", "broken_attempt", "non_native", "imperative"}


def main(path):
    raw = open(path, "rb").read()
    lines = raw.decode("utf-8").splitlines()
    errors, warnings = [], []
    ids, questions = set(), set()
    counts = {k: collections.Counter() for k in ("style", "topic", "kind")}
    nkeys = 0
    for ln, line in enumerate(lines, 1):
        o = json.loads(line)
        if list(o.keys()) != FIELDS:
            errors.append(f"line {ln}: fields {list(o.keys())}")
        if not re.fullmatch(r"docs-styles-v1-\d{3}", o["id"]) or o["id"] in ids:
            errors.append(f"line {ln}: bad/duplicate id {o['id']}")
        ids.add(o["id"])
        if o["question"] in questions:
            errors.append(f"{o['id']}: duplicate question")
        questions.add(o["question"])
        if o["kind"] not in KINDS or o["topic"] not in TOPICS or o["style"] not in STYLES \
                or o["split"] != "styles_dev":
            errors.append(f"{o['id']}: bad enum value")
        if not o["keys"] or not all(isinstance(k, str) and k for k in o["keys"]):
            errors.append(f"{o['id']}: empty keys")
        for k in ("style", "topic", "kind"):
            counts[k][o[k]] += 1
        if not os.path.isfile(o["source"]):
            errors.append(f"{o['id']}: missing source {o['source']}")
            continue
        rs = renderings(o["source"])
        for key in o["keys"]:
            nkeys += 1
            missing = [name for name, text in rs if key not in text]
            if missing:
                errors.append(f"{o['id']}: key {key!r} not found in {missing} of {o['source']}")
        sec_ok = any(o["section"] in t for _, t in rs)
        if not sec_ok and o["source"].endswith(".html"):
            sec_ok = f'id="{o["section"]}"' in open(o["source"], encoding="utf-8").read()
        if not sec_ok:
            warnings.append(f"{o['id']}: section {o['section']!r} not found literally")
    print(f"items: {len(lines)}   keys checked: {nkeys}")
    for k, c in counts.items():
        print(f"{k}: " + ", ".join(f"{a}={b}" for a, b in sorted(c.items())))
    for w in warnings:
        print("WARN", w)
    for e in errors:
        print("FAIL", e)
    print("all keys verified" if not errors else f"{len(errors)} errors")
    print("sha256", hashlib.sha256(raw).hexdigest())
    return 1 if errors else 0


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "docs_qa_styles_v1.jsonl")))
