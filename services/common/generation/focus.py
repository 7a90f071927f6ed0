"""The ask of a long message: what to search the documentation with when a question comes with its story.

People write "We have a cron job on the build box that fills the disk... which command tells me what is
eating the space?": retrieval and reranking over the whole message match the story's words (cron, build,
box) as much as the ask's. This keeps the sentences that ask (a question mark, a question word or an
instruction), the sentence just before the first of them (it usually says what "that" is), and from the
rest only what looks like code: dotted names, calls, options, error names, backticked or quoted commands,
file patterns. Short messages are already the ask and are returned as they are.

Written here because no library does it: the sentence splitter is the mesh's own (`services.common.text`,
sentencex); the rest is a handful of patterns.
"""

from __future__ import annotations

import re

from services.common.text import split_sentences

# A message this short (in words) is searched whole.
MAX_PLAIN_WORDS = 25

_FENCE = re.compile(r"```.*?```", re.DOTALL)
_ASK = re.compile(
    r"\?\s*$|^(?:so\s+|and\s+|but\s+|now\s+|anyway\s+|basically\s+)?(?:"
    r"how|what|which|why|where|when|who|whats|what's|is there|are there|can|could|would|should|do|does|did|"
    r"is|are|give|show|tell|write|explain|list|print|find|make|help|let me|i want|i need|i'd like|i would like|"
    r"i'm looking for|im looking for|i am looking for|i wonder|looking for|please|pls|kindly|need|want"
    r")\b",
    re.IGNORECASE,
)
# What looks like code in prose: a call or dotted name, an option, an error name, a glob, a backticked span.
_CODE_TOKEN = re.compile(
    r"`[^`\n]+`"  # `git stash pop`
    # 'build/' "--force": quotes that open after a space and close before one (not the apostrophes of "it's")
    r"|(?<![\w'])'[^'\s][^'\n]*[./\-_()][^'\n]*'(?![\w'])|(?<![\w\"])\"[^\"\n]*[./\-_()][^\"\n]*\"(?![\w\"])"
    r"|\b[a-z][\w.-]*(?:\s+[a-z][\w-]*)?\s+--?[A-Za-z][\w-]*(?:=\S+)?"  # git commit -m, tar --list
    r"|(?<![\w-])--?[A-Za-z][\w-]*(?:=\S+)?"  # -r, --follow, --format=zip
    r"|\b[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+(?:\(\))?"  # os.path.join, shutil.copytree()
    r"|\b[A-Za-z_]\w*\(\)"  # rglob()
    r"|\b[A-Z][a-z]+(?:[A-Z][a-z]+)*(?:Error|Exception|Warning)\b"  # FileExistsError
    r"|\*\.[\w]+"  # *.py
)


def word_count(text: str) -> int:
    return len(text.split())


def focus_query(text: str) -> str:
    """The ask of `text` with the code it mentions (see the module docstring); `text` itself when short."""
    if word_count(text) <= MAX_PLAIN_WORDS:
        return text
    sentences = split_sentences(" ".join(_FENCE.sub(" ", text).split()))
    asks = [i for i, sentence in enumerate(sentences) if _ASK.search(sentence)]
    if not asks:
        asks = [len(sentences) - 1]
    keep = sorted(set(asks) | {max(0, asks[0] - 1)})
    kept = [sentences[i] for i in keep]
    kept_text = " ".join(kept)
    # Code is found in the message as written: the splitter may cut "self.__balance" after "self.".
    code = [token for token in dict.fromkeys(_CODE_TOKEN.findall(text)) if token not in kept_text]
    focused = " ".join([*kept, *code]).strip()
    return focused or text
