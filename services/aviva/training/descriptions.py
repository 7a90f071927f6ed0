"""Questions made from the documentation's own entries, for the cross-encoder (the inverse cloze task).

    python -m services.aviva.training.descriptions   # writes data/docs_qa_train_descriptions.jsonl

The helper-written questions name a few hundred entries as answers, so most of the corpus was never the answer to
anything the cross-encoder read, and it scored an entry whose description states the asked goal below a page that
merely shares its words (time.time() for "the current unix timestamp in seconds as a float": 0.10). Retrieval
pre-training's inverse cloze task (Lee et al. 2019) turns a passage's own sentence into its query; here the first
sentence of an entry's description, with the entry's name and options taken out, becomes a question whose answer
is that entry: "Return the time in seconds since the epoch as a floating point number." -> "get the time in
seconds since the epoch as a floating point number". A man page option's question names its tool. Deterministic
(the installed pages, a fixed seed); rows that paraphrase a question of any evaluation split are dropped, as for
every training file (tests/personas/test_rerank_training.py). Written here because no library turns reference
entries into questions offline.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from services.common.knowledge.passage import Passage, read
from services.embeddings.corpus import manpages, pydocs
from services.embeddings.knowledge import titled_chunks

OUT = Path(__file__).parent / "data" / "docs_qa_train_descriptions.jsonl"
SEED = 20261207
PYTHON_ROWS = 400
MAN_ROWS = 200
# git's pages hold most of the corpus' long options; the other tools' share of the man rows is kept at least this.
MAX_SHARE_PER_TOOL = 0.4
MIN_WORDS, MAX_WORDS = 5, 22
# Descriptions that point elsewhere instead of saying what the entry does.
_POINTERS = re.compile(
    r"^(similar to|same as|alias|an alias|synonym|deprecated|see |shortcut|equivalent to|this is|this option|"
    r"like |as |if |when |for |with |the default|by default|note|changed in|new in|overrides?|obsolete|ignored)",
    re.IGNORECASE,
)
_PREFIXES = re.compile(r"^(class|classmethod|staticmethod|abstractmethod|async|coroutine|awaitable|method)\s+")
_SENTENCE_END = re.compile(r"(?<=[a-z0-9)\]'\"])[.;:](\s|$)")
_VERB_START = re.compile(r"^[A-Z][a-z]+s?\b")
# First words of descriptions that name what an entry is (a class, an exception, a constant), not what it does.
_NOUN_STARTS = frozenset(
    {"class", "exception", "function", "method", "constant", "subclass", "base", "abstract", "alternate", "instances",
     "object", "dictionary", "list", "string", "integer", "boolean", "number", "flag", "attribute", "type", "value",
     "mapping", "optional", "read-only", "enumeration", "enum", "raised", "data", "mixin", "wrapper", "protocol",
     "decorator", "concrete", "factory", "interface", "module", "name", "tuple", "sequence", "callable", "handler",
     "container", "abstraction", "version", "specifies", "specify", "deprecated", "simple", "generic", "special",
     "the", "this", "these", "a", "an", "called", "true", "false", "do", "don\u2019t", "does", "it", "its", "when"}
)  # fmt: skip


@dataclass(frozen=True)
class Entry:
    passage: Passage
    source: str  # the installed file, as the other training files name it
    description: str  # the first sentence of the entry's own text


def _hits(document: index_pb2.KnowledgeDocument) -> Iterator[index_pb2.KnowledgeHit]:
    for title, text, url in titled_chunks(document.title, document.url, document.text, "markdown"):
        yield index_pb2.KnowledgeHit(source=document.source, title=title, url=url, text=text)


def first_sentence(text: str) -> str:
    """The text's first sentence, on one line, without a trailing full stop; "" when it is code or a list."""
    head = " ".join(text.strip().split("\n\n", 1)[0].split())
    if not head or head.startswith(("```", "-", "*", "|", ">")):
        return ""
    match = _SENTENCE_END.search(head)
    return (head[: match.start() + 1] if match else head).rstrip(".;: ")


def entries() -> Iterator[Entry]:
    """Python library definitions and man page options with a long form, each with its description."""
    for path in pydocs.pages():
        if "/library/" not in path.as_posix():
            continue
        document = pydocs.document(path)
        if document is None:
            continue
        for hit in _hits(document):
            passage = read(hit)
            if passage.python and passage.lead and (sentence := first_sentence(hit.text)):
                yield Entry(passage, path.as_posix(), sentence)
    for name, section in manpages.available_pages():
        if section not in ("1", "8"):
            continue
        document = manpages.document(name, section)
        if document is None:
            continue
        for hit in _hits(document):
            passage = read(hit)
            long_form = passage.man and passage.lead.startswith("-") and "--" in passage.lead
            if long_form and (sentence := first_sentence(hit.text)):
                file = manpages.MAN_ROOT / f"man{section}" / f"{name}.{section}.gz"
                yield Entry(passage, file.as_posix(), sentence)


def python_key(lead: str) -> str:
    """The entry's name as the training files write keys: `time.time(` for a call, `csv.DictReader` for a class,
    `re.MULTILINE` for an attribute."""
    is_class = lead.startswith("class ")
    name = _PREFIXES.sub("", lead).strip()
    match = re.match(r"[\w.]+", name)
    if not match:
        return ""
    called = name[match.end() :].startswith("(")
    return match.group(0) + ("(" if called and not is_class else "")


def long_option(lead: str) -> str:
    match = re.search(r"--[\w][\w-]*", lead)
    return match.group(0) if match else ""


def _names(sentence: str, names: list[str]) -> bool:
    """Whether the sentence says one of the entry's names (then it leans on the name the question must not give).
    A plain word ("time" of time.time, "copy") counts only called, `time()`: as a word it is the description's."""
    for name in filter(None, names):
        plain = re.fullmatch(r"[a-z]+", name) is not None
        pattern = rf"(?<![\w.-]){re.escape(name)}" + (r"\(" if plain else r"(?![\w-])")
        if re.search(pattern, sentence):
            return True
    return False


def question_for(entry: Entry, rng: random.Random) -> tuple[str, str, str] | None:
    """(question, key, kind) for an entry, or None when its description does not state what it does."""
    sentence = entry.description
    words = sentence.split()
    if not MIN_WORDS <= len(words) <= MAX_WORDS or _POINTERS.match(sentence) or not _VERB_START.match(sentence):
        return None
    if words[0].lower() in _NOUN_STARTS:
        return None
    passage = entry.passage
    if passage.python:
        key = python_key(passage.lead)
        if not key:
            return None
        names = [key.rstrip("("), key.rstrip("(").rsplit(".", 1)[-1]]
        kind = "call"
    else:
        key = long_option(passage.lead)
        names = re.findall(r"--?[\w][\w-]*", passage.lead)
        kind = "flag"
    if _names(sentence, names) or "--" in sentence:
        return None
    verb, _, rest = sentence.partition(" ")
    verb = verb.lower()
    if verb in ("return", "returns"):
        if rest.lower().startswith(("true if", "true when", "true iff")):
            goal = "check whether " + rest.split(" ", 2)[2]
        else:
            goal = "get " + rest
    else:
        goal = verb.removesuffix("es") if verb.endswith(("shes", "ches", "sses", "xes")) else verb.removesuffix("s")
        goal = f"{goal} {rest}".strip()
    if passage.python:
        forms = ["how do I {g} in python", "{g}", "python: {g}", "I need to {g}"]
    else:
        command = passage.command or passage.tool
        forms = [f"how do I {{g}} with {command}", f"{command}: {{g}}", f"{command} {{g}}"]
    return rng.choice(forms).format(g=goal), key, kind


def build(excluded: list[str], seed: int = SEED) -> list[dict[str, object]]:
    """The sampled rows, none paraphrasing a question of `excluded`."""
    from tests.eval.docs import paraphrases  # the evaluation's own rule (tests are importable in this repo)

    rng = random.Random(seed)
    by_kind: dict[bool, list[Entry]] = {True: [], False: []}
    seen_keys: set[tuple[str, str]] = set()
    for entry in entries():
        name = (entry.passage.page, entry.passage.lead)
        if name not in seen_keys:
            seen_keys.add(name)
            by_kind[entry.passage.python].append(entry)
    rows: list[dict[str, object]] = []
    for python, wanted in ((True, PYTHON_ROWS), (False, MAN_ROWS)):
        pool = by_kind[python]
        rng.shuffle(pool)
        taken = 0
        per_tool: dict[str, int] = {}
        for entry in pool:
            if taken == wanted:
                break
            tool = entry.passage.tool
            if not python and per_tool.get(tool, 0) >= MAX_SHARE_PER_TOOL * wanted:
                continue
            made = question_for(entry, rng)
            if made is None or any(paraphrases(made[0], other) for other in excluded):
                continue
            question, key, kind = made
            taken += 1
            per_tool[tool] = per_tool.get(tool, 0) + 1
            rows.append(
                {
                    "id": f"de-{len(rows) + 1:04d}",
                    "question": question,
                    "keys": [key],
                    "source": entry.source,
                    "section": entry.passage.lead,
                    "kind": kind,
                    "topic": "python" if python else entry.passage.tool,
                    "style": "description",
                    "split": "train",
                }
            )
    return rows


def evaluation_questions() -> list[str]:
    """Every question of every docs QA evaluation split (tuning and held out, the domain set too): only their text
    is read, to keep the generated rows away from them."""
    from tests.eval.docs import SPLITS, rows

    return [row["question"] for split in SPLITS for row in rows(split)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    made = build(evaluation_questions())
    args.out.write_text("".join(json.dumps(row) + "\n" for row in made), encoding="utf-8")
    print(f"wrote {len(made)} questions to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
