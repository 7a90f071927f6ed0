#!/usr/bin/env python3
"""Verify docs_qa_blind_v1.jsonl.

Checks, for every item:
  * schema: exactly the required keys, allowed enum values, id format/order, split == "blind";
  * the cited source file exists and is inside the allowed corpus;
  * EVERY key occurs as a literal (case-sensitive) substring of the rendered source text.
    - man pages: `MANWIDTH=250 LANG=C man --nh --nj -E ascii -l FILE`
    - HTML: tags stripped with html.parser, entities unescaped, whitespace collapsed;
      checked twice, once with tags replaced by a space and once with tags removed,
      and a key must be found in BOTH renderings;
  * (informational) whether the section label can be found in the source;
  * no duplicate ids/questions, and counts per style/topic/kind.

Exit status 0 only if every key of every item verified and the schema is clean.
Usage: verify_keys.py [path/to/docs_qa_blind_v1.jsonl]
"""
import collections
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
CORPUS_PREFIXES = (
    "/usr/share/doc/python3.11-doc/html/library/",
    "/usr/share/doc/python3.11-doc/html/howto/",
    "/usr/share/doc/python3.11-doc/html/tutorial/",
    "/usr/share/man/man1/",
    "/usr/share/man/man5/",
    "/usr/share/man/man7/",
)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(here), "docs_qa_blind_v1.jsonl")
    cache = {}
    errors = []
    n_keys = n_keys_ok = 0
    section_miss = []
    counts = {f: collections.Counter() for f in ("style", "topic", "kind")}
    seen_q = {}
    items = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as e:
                errors.append("line %d: bad JSON: %s" % (lineno, e))
    for i, it in enumerate(items, 1):
        iid = it.get("id", "?")
        if list(it.keys()) != FIELDS:
            errors.append("%s: fields %s" % (iid, list(it.keys())))
        if iid != "docs-blind-v1-%03d" % i:
            errors.append("%s: id out of sequence (expected docs-blind-v1-%03d)" % (iid, i))
        if it.get("kind") not in KINDS:
            errors.append("%s: bad kind %r" % (iid, it.get("kind")))
        if it.get("topic") not in TOPICS:
            errors.append("%s: bad topic %r" % (iid, it.get("topic")))
        if it.get("style") not in STYLES:
            errors.append("%s: bad style %r" % (iid, it.get("style")))
        if it.get("split") != "blind":
            errors.append("%s: split must be 'blind'" % iid)
        q = (it.get("question") or "").strip()
        if not q:
            errors.append("%s: empty question" % iid)
        norm = re.sub(r"\W+", " ", q.lower()).strip()
        if norm in seen_q:
            errors.append("%s: duplicate question of %s" % (iid, seen_q[norm]))
        seen_q[norm] = iid
        for f in ("style", "topic", "kind"):
            counts[f][it.get(f)] += 1
        src = it.get("source", "")
        if not src.startswith(CORPUS_PREFIXES) or not os.path.isfile(src):
            errors.append("%s: source not in corpus or missing: %s" % (iid, src))
            continue
        if src not in cache:
            cache[src] = renderings(src)
        rend = cache[src]
        keys = it.get("keys")
        if not isinstance(keys, list) or not keys:
            errors.append("%s: keys must be a non-empty list" % iid)
            continue
        for k in keys:
            n_keys += 1
            missing = [name for name, text in rend.items() if k not in text]
            if missing:
                errors.append("%s: key %r NOT found in %s (%s)" % (iid, k, src, ", ".join(missing)))
            else:
                n_keys_ok += 1
        # informational: can each '/'-separated part of the section label be found?
        flat = re.sub(r"\s+", " ", " ".join(rend.values())).lower()
        for part in [p.strip() for p in it.get("section", "").split(" / ")]:
            probe = part.lower()
            if probe not in flat and probe.rstrip("()") not in flat:
                section_miss.append("%s: section part %r not found verbatim" % (iid, part))

    print("items: %d" % len(items))
    print("keys verified: %d / %d" % (n_keys_ok, n_keys))
    for f in ("style", "topic", "kind"):
        print("%s: %s" % (f, dict(sorted(counts[f].items()))))
    if section_miss:
        print("section labels not found verbatim (informational, %d):" % len(section_miss))
        for s in section_miss:
            print("  " + s)
    if errors:
        print("ERRORS (%d):" % len(errors))
        for e in errors:
            print("  " + e)
        return 1
    print("OK: every key of every item found literally in its cited source")
    return 0


if __name__ == "__main__":
    sys.exit(main())
