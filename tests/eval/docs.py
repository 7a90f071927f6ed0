"""The documentation QA task of `make eval`: Aviva answers questions written from the corpus (tests/docs_qa).

An answer is correct when it contains one of the question's keys and cites (by URL, in the answer) a passage
that contains that key. Short option keys (`-v`) count as whole tokens. The cited passage is the corpus chunk
with that URL, its heading included, rebuilt here from the installed page by the same parsers (deterministic),
so grading needs no access to the store.

The embedding index, Abi and one Aviva replica run as real processes on a data dir holding the corpus (`make run`'s
by default; the corpus is ingested there first, incrementally). Each question is routed by Abi first, with Aviva
asked for, as `POST /api/v1/chat/aviva` sends it: Abi's query type picks how Aviva composes (before 2026-12-05 the
questions went to Aviva unrouted, as "general" questions, a path no user takes). Only `dev` rows may be looked at
one by one; for `test` only the totals are printed. The `blind` split is a separate frozen set in other styles than the
first (tests/blind_docs: situational, goal-only, broken attempts, non-native, imperative), written by a helper
that never saw Aviva or the first set: reported like `test`, with its figures by style as well. `styles_dev`
(tests/selection/docs_styles) is a second helper's questions in those styles, for tuning: listed like `dev`;
`everyday_dev` (tests/selection/docs_everyday) is a fifth of the everyday training questions, never fitted, also
for tuning; `contrasts_dev` (tests/selection/docs_contrasts) a fifth of the near-alternative training questions.
`domain` is the frozen blind set of questions outside and inside the domain (tests/blind_domain; tests/eval/domain).
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from personamesh.v1 import abi_service_pb2, persona_pb2
from services.aviva.compose import SEE_ALSO
from services.aviva.training import fit
from services.aviva.training.selection import contains_key as contains
from services.common.clients import AbiClient
from services.common.generation.grounding import content_words
from services.devmesh.processes import ServiceProcess, free_port
from services.embeddings.chunking import chunk_text
from services.embeddings.corpus import manpages, pydocs
from services.embeddings.knowledge import titled_chunks
from tests.eval.domain import BLIND_DOMAIN, domain_report, domain_rows
from tests.personas.support import chat

QA = Path(__file__).resolve().parents[1] / "docs_qa" / "docs_qa_v1.jsonl"
BLIND_QA = Path(__file__).resolve().parents[1] / "blind_docs" / "docs_qa_blind_v1.jsonl"
# Questions in the blind set's styles, written by another helper for tuning: their mistakes may be read.
STYLES_QA = Path(__file__).resolve().parents[1] / "selection" / "docs_styles" / "docs_qa_styles_v1.jsonl"
# Everyday questions as people type them ("how to copy a file in python"), written blind on 2026-12-05 before the
# rerankers fitted on labels v2 were scored (tests/blind_docs/README_everyday.md): for reporting only.
EVERYDAY_QA = Path(__file__).resolve().parents[1] / "blind_docs" / "everyday_v1.jsonl"
# Everyday questions for tuning: a fifth of what the helpers who wrote the everyday training questions wrote, never
# fitted (services/aviva/training/data/README.md): their mistakes may be read.
EVERYDAY_DEV_QA = Path(__file__).resolve().parents[1] / "selection" / "docs_everyday" / "docs_qa_everyday_dev_v1.jsonl"
# Everyday tasks with a close wrong answer in the same documentation, for tuning: a fifth of what the helpers who
# wrote data/docs_qa_train_contrasts.jsonl wrote, never fitted (services/aviva/training/data/README.md).
CONTRASTS_DEV_QA = Path(__file__).resolve().parents[1] / "selection" / "docs_contrasts" / "docs_qa_contrasts_dev.jsonl"
FILES = {
    "dev": QA,
    "test": QA,
    "blind": BLIND_QA,
    "everyday": EVERYDAY_QA,
    "styles_dev": STYLES_QA,
    "everyday_dev": EVERYDAY_DEV_QA,
    "contrasts_dev": CONTRASTS_DEV_QA,
    "domain": BLIND_DOMAIN,
}
HELD_OUT = ("blind", "everyday")  # written after the rerankers' questions: tasks they share are reported apart
SPLITS = tuple(FILES)
LOOKED_AT = ("dev", "styles_dev", "everyday_dev", "contrasts_dev")  # splits whose mistakes are listed
_URL = re.compile(r"<((?:https://docs\.python\.org/3\.11/|man:)[^>\s]+)>")


def rows(split: str) -> list[dict[str, Any]]:
    """The questions of one split: `dev` and `test` of docs_qa_v1, the whole blind set or the styles set."""
    if split not in FILES:
        raise ValueError(f"unknown docs QA split {split!r}; one of {', '.join(SPLITS)}")
    if split == "domain":
        return domain_rows()
    loaded = [json.loads(line) for line in FILES[split].read_text(encoding="utf-8").splitlines() if line.strip()]
    return [{**row, "split": split} for row in loaded if row.get("split", split) == split]


@cache
def _page_passages(page: str) -> dict[str, str]:
    """url -> heading path and text of every chunk of one corpus page (`library/re.html` or `man:tar(1)`)."""
    if page.startswith("man:"):
        match = re.match(r"man:([\w.+-]+)\((\d)\)", page)
        document = manpages.document(match.group(1), match.group(2)) if match else None
    else:
        document = pydocs.document(pydocs.PYTHON_DOCS / page)
    if document is None:
        return {}
    passages: dict[str, str] = {}
    for title, text, url in titled_chunks(document.title, document.url, chunk_text(document.text, "markdown")):
        passages[url] = passages.get(url, "") + "\n" + title + "\n" + text
    return passages


def paraphrases(a: str, b: str) -> bool:
    """The same question, or half or more of the content words shared: the rule that kept the training
    questions away from the test split (tests/personas/test_rerank_training.py)."""
    if " ".join(a.lower().split()) == " ".join(b.lower().split()):
        return True
    words, others = content_words(a), content_words(b)
    return len(words & others) / max(1, len(words | others)) >= 0.5


def seen_tasks(split_rows: list[dict[str, Any]]) -> set[str]:
    """Ids of the rows that paraphrase a question the rerankers were fitted or selected on (training, dev,
    off-corpus): the blind set's writer could not see those, so a few everyday tasks coincide."""
    fitted = [question.text for question in fit.questions()]
    return {row["id"] for row in split_rows if any(paraphrases(row["question"], text) for text in fitted)}


def passage_text(url: str) -> str:
    """The cited passage's heading path and text; "" for a URL outside the corpus."""
    if not url.startswith(("https://docs.python.org/3.11/", "man:")):
        return ""
    page = url.split("#")[0]
    page = page.removeprefix("https://docs.python.org/3.11/")
    return _page_passages(page).get(url, "")


def page_of(source: str) -> str:
    """The corpus URL of the page a question was written from: its `source` is the installed file
    (`/usr/share/doc/python3.11-doc/html/library/re.html`, or `library/re.html` under that root;
    `/usr/share/man/man1/tar.1.gz`), the URL the corpus gives that page (`pydocs.document`, `manpages.document`)."""
    path = Path(source)
    if path.suffix == ".html":
        relative = path.relative_to(pydocs.PYTHON_DOCS) if path.is_absolute() else path
        return f"{pydocs.BASE_URL}{relative.as_posix()}"
    name, _, section = path.name.removesuffix(".gz").rpartition(".")
    return f"man:{name}({section})" if path.is_absolute() and name else ""


def grade(row: dict[str, Any], answer: str) -> dict[str, bool]:
    """`correct`: a key is in the answer and in a passage it cites (the "See also" list counts). `lead`: a key is in
    the answer before its "See also" list and in the passage it answers from (its first citation). `about`: lead,
    and that passage is about the key, not a page that merely uses it: the key is in its heading, or the passage
    is on the page the question was written from."""
    cited = _URL.findall(answer)
    in_answer = [key for key in row["keys"] if contains(answer, key)]
    supported = any(contains(passage_text(url), key) for url in cited for key in in_answer)
    lead_text = answer.split(f"\n{SEE_ALSO}", 1)[0]
    lead = bool(cited) and any(
        contains(lead_text, key) and contains(passage_text(cited[0]), key) for key in row["keys"]
    )
    about = False
    if lead:
        heading = passage_text(cited[0]).lstrip("\n").split("\n", 1)[0]
        same_page = bool(row.get("source")) and cited[0].split("#")[0] == page_of(row["source"])
        about = same_page or any(contains(heading, key) for key in row["keys"])
    return {"key_in_answer": bool(in_answer), "cited": bool(cited), "correct": supported, "lead": lead, "about": about}


async def _ask(target: str, abi: AbiClient, rows_: list[dict[str, Any]], concurrency: int = 3) -> list[str]:
    """Each question as `POST /api/v1/chat/aviva` sends it: routed by Abi with Aviva asked for (its decision carries
    the query type, which picks Aviva's composition: a code request may be answered with code), then to Aviva."""
    gate = asyncio.Semaphore(concurrency)

    async def one(row: dict[str, Any]) -> str:
        async with gate:
            request = persona_pb2.PersonaRequest(content=row["question"], forced_persona_name="aviva")
            routed = await abi.stub.Route(abi_service_pb2.RouteRequest(request=request), timeout=30)
            request.routing.CopyFrom(routed.decision)
            response = await chat(target, request, deadline=60)
            return response.content

    return list(await asyncio.gather(*(one(row) for row in rows_)))


def report(split_rows: list[dict[str, Any]], answers: list[str], show_mistakes: bool) -> dict[str, Any]:
    grades = [grade(row, answer) for row, answer in zip(split_rows, answers, strict=True)]
    n = len(grades)
    fields = ("topic", "kind", "style") if all("style" in row for row in split_rows) else ("topic", "kind")
    by: dict[str, Counter[str]] = {field: Counter() for field in fields}
    totals: dict[str, Counter[str]] = {field: Counter() for field in fields}
    for row, g in zip(split_rows, grades, strict=True):
        for field in by:
            totals[field][row[field]] += 1
            by[field][row[field]] += g["correct"]
    result: dict[str, Any] = {
        "n": n,
        "accuracy": round(sum(g["correct"] for g in grades) / max(1, n), 4),
        "lead": round(sum(g["lead"] for g in grades) / max(1, n), 4),
        "about": round(sum(g["about"] for g in grades) / max(1, n), 4),
        "key_in_answer": round(sum(g["key_in_answer"] for g in grades) / max(1, n), 4),
        "cited": round(sum(g["cited"] for g in grades) / max(1, n), 4),
        **{f"by_{f}": {k: round(by[f][k] / totals[f][k], 3) for k in sorted(totals[f])} for f in by},
    }
    if split_rows and split_rows[0]["split"] in HELD_OUT:
        seen = seen_tasks(split_rows)
        unseen = [g["correct"] for row, g in zip(split_rows, grades, strict=True) if row["id"] not in seen]
        result["unseen_tasks"] = {"n": len(unseen), "accuracy": round(sum(unseen) / max(1, len(unseen)), 4)}
    if show_mistakes:
        result["mistakes"] = [
            {"id": row["id"], "question": row["question"], "keys": row["keys"], "answer": answer}
            for row, answer, g in zip(split_rows, answers, grades, strict=True)
            if not g["correct"]
        ]
    return result


async def eval_docs(data_dir: Path, splits: list[str], ingest: bool = True) -> dict[str, Any]:
    """Ingest (incrementally), start the index and Aviva on `data_dir`, ask every question of `splits`."""
    started = time.perf_counter()
    if ingest:
        command = [sys.executable, "-m", "services.embeddings.corpus", "--data-dir", str(data_dir)]
        await asyncio.to_thread(subprocess.run, command, check=True)
    logs = data_dir / "logs" / "eval-docs"
    index = ServiceProcess(
        "embeddings", "services.embeddings", free_port(), {"PM_DATA_DIR": str(data_dir), "PM_METRICS_PORT": "-1"}, logs
    )
    aviva = ServiceProcess(
        "aviva", "services.aviva", free_port(), {"PM_EMBEDDINGS_ADDR": index.target, "PM_METRICS_PORT": "-1"}, logs
    )
    abi = ServiceProcess(
        "abi", "services.abi", free_port(), {"PM_EMBEDDINGS_ADDR": index.target, "PM_METRICS_PORT": "-1"}, logs
    )
    results: dict[str, Any] = {"data_dir": str(data_dir)}
    router = AbiClient(abi.target)
    try:
        for process in (index, aviva, abi):
            process.start()
            if not await asyncio.to_thread(process.wait_serving, 600):
                raise RuntimeError(f"{process.name} did not start; see {logs}")
        for split in splits:
            split_rows = rows(split)
            answers = await _ask(aviva.target, router, split_rows)
            results[split] = (
                domain_report(split_rows, answers)
                if split == "domain"
                else report(split_rows, answers, show_mistakes=split in LOOKED_AT)
            )
    finally:
        await router.close()
        for process in (abi, aviva, index):
            process.stop()
    results["seconds"] = round(time.perf_counter() - started, 1)
    return results


def print_docs(results: dict[str, Any]) -> None:
    for split in SPLITS:
        if split not in results:
            continue
        r = results[split]
        if split == "domain":
            for domain, label in (("off", "off-domain (declined)"), ("in", "in-domain (not gated)")):
                d = r[domain]
                print(f"domain blind set, {label}: gated {d['gated']:.3f}, declined {d['declined']:.3f} n={d['n']}")
                print(f"  handled by style: {d['handled_by_style']}")
            continue
        print(
            f"docs QA {split}: accuracy {r['accuracy']:.3f} (key in answer {r['key_in_answer']:.3f}, "
            f"cited {r['cited']:.3f}; from the passage it leads with {r['lead']:.3f}, one about the key "
            f"{r['about']:.3f}) n={r['n']}"
        )
        print(f"  by topic: {r['by_topic']}")
        print(f"  by kind:  {r['by_kind']}")
        if "unseen_tasks" in r:
            u = r["unseen_tasks"]
            print(f"  without tasks the rerankers were fitted or selected on: accuracy {u['accuracy']:.3f} n={u['n']}")
        if "by_style" in r:
            print(f"  by style: {r['by_style']}")
