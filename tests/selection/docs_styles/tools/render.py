#!/usr/bin/env python3
"""Render a documentation source file to plain text.

man pages (*.gz under /usr/share/man):
    MANWIDTH=250 LANG=C man --nh --nj -E ascii -l FILE
HTML (Python docs): two renderings are produced
    'spaced'  - tags replaced by a single space, entities unescaped, whitespace collapsed
    'removed' - tags removed (empty string), entities unescaped, whitespace collapsed
"""
import html
import os
import re
import subprocess
import sys
from functools import lru_cache

_TAG = re.compile(r"<[^>]*>", re.S)
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.S | re.I)
_WS = re.compile(r"\s+")


def _collapse(s):
    return _WS.sub(" ", s).strip()


@lru_cache(maxsize=None)
def render_man(path):
    env = dict(os.environ, MANWIDTH="250", LANG="C", LC_ALL="C")
    out = subprocess.run(["man", "--nh", "--nj", "-E", "ascii", "-l", path],
                         env=env, capture_output=True, check=True).stdout
    return out.decode("utf-8", "replace")


@lru_cache(maxsize=None)
def render_html(path, mode):
    raw = open(path, encoding="utf-8").read()
    raw = _SCRIPT.sub(" ", raw)
    repl = " " if mode == "spaced" else ""
    return _collapse(html.unescape(_TAG.sub(repl, raw)))


def renderings(path):
    """Return a list of (name, text) renderings a key must be found in (all of them)."""
    if path.endswith(".html"):
        return [("html-tags-as-space", render_html(path, "spaced")),
                ("html-tags-removed", render_html(path, "removed"))]
    return [("man", render_man(path))]


if __name__ == "__main__":
    p = sys.argv[1]
    for name, t in renderings(p):
        if len(sys.argv) > 2 and sys.argv[2] != name:
            continue
        print(f"===== {name} =====")
        print(t)
