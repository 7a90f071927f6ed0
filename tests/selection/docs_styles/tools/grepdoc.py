#!/usr/bin/env python3
"""Helper: show context of a literal string in a rendered doc.  grepdoc.py FILE STRING [width]"""
import sys
from render import renderings
p, s = sys.argv[1], sys.argv[2]
w = int(sys.argv[3]) if len(sys.argv) > 3 else 120
name, t = renderings(p)[-1]
i = t.find(s); n = 0
while i >= 0 and n < 5:
    print("...", t[max(0, i-w):i+len(s)+w].replace("\n", " | "), "...\n")
    i = t.find(s, i+1); n += 1
print("count:", t.count(s), "| in all renderings:", all(s in x for _, x in renderings(p)))
