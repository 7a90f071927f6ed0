#!/usr/bin/env python3
"""Render a doc file (man page .gz or Python HTML) to plain text, as specified in the brief.

man pages: MANWIDTH=250 LANG=C man --nh --nj -E ascii -l FILE
HTML: strip tags with html.parser, unescape entities, collapse whitespace.
"""
import html
import os
import re
import subprocess
import sys
from html.parser import HTMLParser


class _Text(HTMLParser):
    def __init__(self, sep=" "):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self._skip = 0
        self.sep = sep

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        self.parts.append(self.sep)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        self.parts.append(self.sep)

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def render_html(path, sep=" "):
    """sep=" ": every tag becomes a space; sep="": tags are removed outright."""
    with open(path, encoding="utf-8") as fh:
        raw = fh.read()
    p = _Text(sep)
    p.feed(raw)
    p.close()
    text = html.unescape("".join(p.parts))
    return re.sub(r"\s+", " ", text).strip()


def render_man(path):
    env = dict(os.environ, MANWIDTH="250", LANG="C", LC_ALL="C", MAN_KEEP_FORMATTING="")
    out = subprocess.run(["man", "--nh", "--nj", "-E", "ascii", "-l", path],
                         env=env, capture_output=True, text=True, check=True).stdout
    # strip any residual overstrike sequences
    out = re.sub(r".\x08", "", out)
    return out


def render(path, sep=" "):
    if path.endswith(".html"):
        return render_html(path, sep)
    return render_man(path)


def renderings(path):
    """All renderings a key is checked against (name -> text).

    HTML: tags->space and tags->nothing (both whitespace-collapsed).
    man:  the raw ascii rendering.
    """
    if path.endswith(".html"):
        return {"html_tags_as_space": render_html(path, " "),
                "html_tags_removed": render_html(path, "")}
    return {"man_ascii": render_man(path)}


def collapse(text):
    return re.sub(r"\s+", " ", text)


if __name__ == "__main__":
    sys.stdout.write(render(sys.argv[1]))
