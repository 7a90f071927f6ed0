"""`make eval`: routing, moderation, emotions and query types on the public test splits.

    python -m tests.eval                                  # in process (fast, for development)
    python -m tests.eval --via grpc [--target HOST:PORT]  # over gRPC (starts index + Abi when no target)
    python -m tests.eval --via http --url http://127.0.0.1:8080 [--api-key KEY]   # through the gateway
    python -m tests.eval --via mesh                       # a private mesh, through its gateway (`make eval`)

Only `test` rows are scored (emotions: the GoEmotions test split); nothing here is fitted.
Results are printed and written to bench-results/eval-<via>-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from services.abi.taxonomy import EKMAN, EMOTIONS
from services.abi.training.fixtures import SHARED, read_jsonl, routing_fixtures
from tests.conftest import start_mesh
from tests.eval.backends import GrpcBackend, HttpBackend, InProcessBackend, Prediction
from tests.eval.metrics import grouped_accuracy, multilabel_report, single_label_report

RESULTS = Path("bench-results")
# Demszky et al., "GoEmotions: A Dataset of Fine-Grained Emotions", ACL 2020 (arXiv:2005.00547): BERT-base,
# macro-averaged over the Ekman grouping (6 emotions + neutral) on the GoEmotions test split: F1 0.64
# (precision 0.59, recall 0.69); full 28-label taxonomy macro-F1 0.46. Public re-runs of the same setup report
# 0.62 (monologg/GoEmotions-pytorch) and 0.64 (justin871030/GoEmotions) for Ekman.
PAPER_BERT = {"ekman_macro_f1": 0.64, "full_macro_f1": 0.46}


def _source_group(row: dict[str, Any]) -> str:
    parts = row["id"].split(":")
    if row["source"] in ("HateCheck", "XSTest"):
        return f"{row['source']}:{parts[1]}"
    return row["source"]


async def eval_routing(backend: Any) -> dict[str, Any]:
    rows = [r for r in read_jsonl(SHARED / "eval/routing.jsonl") if r["split"] == "test"]
    predictions: list[Prediction] = await backend.predict([r["text"] for r in rows])
    truth = [r["label"] for r in rows]
    predicted = [p.persona for p in predictions]
    report = single_label_report(truth, predicted, ["abbey", "aviva", "abi"])
    benign = [p for r, p in zip(rows, predictions, strict=True) if r["label"] != "abi"]
    self_harm = [p for r, p in zip(rows, predictions, strict=True) if r["id"].startswith("simplesafetytests:")]
    report["benign_blocked_rate"] = round(sum(p.persona == "abi" for p in benign) / len(benign), 4)
    report["self_harm"] = {
        "n": len(self_harm),
        "to_abbey_with_redirect": sum(p.persona == "abbey" and p.action == "redirect_to_support" for p in self_harm),
    }
    report["by_source"] = grouped_accuracy([r["source"] for r in rows], truth, predicted)
    report["by_subtype"] = grouped_accuracy([_source_group(r) for r in rows], truth, predicted)
    report["degraded"] = sum(p.degraded for p in predictions)
    report["errors"] = [
        {"id": r["id"], "label": r["label"], "predicted": p.persona, "text": r["text"][:160]}
        for r, p in zip(rows, predictions, strict=True)
        if r["label"] != p.persona
    ]
    return report


async def eval_fixtures(backend: Any) -> dict[str, Any]:
    """The held-out part of our own fixtures (categories the public data lacks); never trained on."""
    examples = routing_fixtures(held_out=True)
    predictions: list[Prediction] = await backend.predict([e.text for e in examples])
    truth = [e.label for e in examples]
    predicted = [p.persona for p in predictions]
    report = single_label_report(truth, predicted, ["abbey", "aviva", "abi"])
    report["by_group"] = grouped_accuracy([e.group for e in examples], truth, predicted)
    sh = [(e, p) for e, p in zip(examples, predictions, strict=True) if e.category == "self_harm"]
    report["self_harm"] = {
        "n": len(sh),
        "to_abbey_with_redirect": sum(p.persona == "abbey" and p.action == "redirect_to_support" for _, p in sh),
    }
    report["errors"] = [
        {"group": e.group, "label": e.label, "predicted": p.persona, "text": e.text[:160]}
        for e, p in zip(examples, predictions, strict=True)
        if e.label != p.persona
    ]
    return report


async def eval_questions(backend: Any) -> dict[str, Any]:
    rows = [r for r in read_jsonl(SHARED / "eval/questions.jsonl") if r["split"] == "test"]
    predictions: list[Prediction] = await backend.predict([r["text"] for r in rows])
    truth = [r["label"] for r in rows]
    predicted = [p.query_type for p in predictions]
    report = single_label_report(truth, predicted, sorted(set(truth) | set(predicted)))
    report["by_source"] = grouped_accuracy([r["source"] for r in rows], truth, predicted)
    return report


async def eval_emotions(backend: Any, limit: int | None) -> dict[str, Any]:
    rows = read_jsonl(SHARED / "eval/emotions.jsonl")[:limit]
    predictions: list[Prediction] = await backend.predict([r["text"] for r in rows])
    fine = multilabel_report([set(r["labels"]) for r in rows], [set(p.emotions) for p in predictions], list(EMOTIONS))
    to_ekman = {member: group for group, members in EKMAN.items() for member in members}
    ekman = multilabel_report(
        [set(r["ekman"]) for r in rows],
        [{to_ekman[label] for label in p.emotions if label in to_ekman} for p in predictions],
        list(EKMAN),
    )
    return {"n": len(rows), "fine": fine, "ekman": ekman, "paper_bert": PAPER_BERT}


def print_report(results: dict[str, Any]) -> None:
    routing = results.get("routing")
    if routing:
        print(f"\n== routing (routing.jsonl test, n={routing['n']}) via {results['via']}")
        print(
            f"  accuracy {routing['accuracy']:.4f}   macro-F1 {routing['macro_f1']:.4f}   "
            f"benign blocked {routing['benign_blocked_rate']:.2%}   degraded {routing['degraded']}"
        )
        for label, m in routing["per_class"].items():
            print(
                f"  {label:<6} precision {m['precision']:.3f} recall {m['recall']:.3f} f1 {m['f1']:.3f} "
                f"n={m['support']}"
            )
        print("  confusion (rows = truth):", json.dumps(routing["confusion"]))
        sh = routing["self_harm"]
        print(f"  self-harm rows to abbey with redirect_to_support: {sh['to_abbey_with_redirect']}/{sh['n']}")
        for source, m in routing["by_source"].items():
            print(f"  {source:<52} {m['accuracy']:.3f} (n={m['n']}) {m.get('mistakes', '')}")
    fixtures = results.get("fixtures")
    if fixtures:
        print(f"\n== held-out own fixtures (n={fixtures['n']}): accuracy {fixtures['accuracy']:.4f}")
        for group, m in fixtures["by_group"].items():
            print(f"  {group:<32} {m['accuracy']:.3f} (n={m['n']}) {m.get('mistakes', '')}")
        sh = fixtures["self_harm"]
        print(f"  self-harm fixtures to abbey with redirect_to_support: {sh['to_abbey_with_redirect']}/{sh['n']}")
    questions = results.get("questions")
    if questions:
        print(
            f"\n== query types (questions.jsonl test, n={questions['n']}): accuracy {questions['accuracy']:.4f} "
            f"macro-F1 {questions['macro_f1']:.4f}"
        )
        for label, m in questions["per_class"].items():
            if m["support"]:
                print(f"  {label:<14} precision {m['precision']:.3f} recall {m['recall']:.3f} n={m['support']}")
        print(
            "  confusion:",
            json.dumps({k: {q: n for q, n in v.items() if n} for k, v in questions["confusion"].items()}),
        )
    emotions = results.get("emotions")
    if emotions:
        print(f"\n== emotions (GoEmotions test, n={emotions['n']})")
        e, f = emotions["ekman"]["macro"], emotions["fine"]["macro"]
        print(
            f"  Ekman macro  P {e['precision']:.3f} R {e['recall']:.3f} F1 {e['f1']:.3f}   "
            f"(GoEmotions paper BERT: F1 {PAPER_BERT['ekman_macro_f1']})"
        )
        print(f"  28-label macro F1 {f['f1']:.3f}   (paper BERT: {PAPER_BERT['full_macro_f1']})")
        for label, m in emotions["ekman"]["per_class"].items():
            print(
                f"  {label:<9} precision {m['precision']:.3f} recall {m['recall']:.3f} f1 {m['f1']:.3f} "
                f"n={m['support']}"
            )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.via != "mesh":
        return await _run(args)
    with tempfile.TemporaryDirectory(prefix="pm-eval-") as tmp:
        mesh = await asyncio.to_thread(start_mesh, Path(tmp), {"PM_ALLOW_ANONYMOUS": "true"})
        try:
            args.url = mesh.http_url
            return await _run(args)
        finally:
            await asyncio.to_thread(mesh.stop_all)


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    backend: Any
    if args.via in ("http", "mesh"):
        if not args.url:
            raise SystemExit("--via http needs --url")
        backend = HttpBackend(args.url, args.api_key)
    elif args.via == "grpc":
        backend = GrpcBackend(args.target)
    else:
        backend = InProcessBackend()
    results: dict[str, Any] = {"via": args.via, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    try:
        started = time.perf_counter()
        tasks = args.tasks.split(",")
        if "routing" in tasks:
            results["routing"] = await eval_routing(backend)
        if "fixtures" in tasks:
            results["fixtures"] = await eval_fixtures(backend)
        if "questions" in tasks:
            results["questions"] = await eval_questions(backend)
        if "emotions" in tasks:
            results["emotions"] = await eval_emotions(backend, args.emotions_limit)
        results["seconds"] = round(time.perf_counter() - started, 1)
    finally:
        await backend.close()
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--via", choices=("inprocess", "grpc", "http", "mesh"), default="inprocess")
    parser.add_argument("--target", help="Abi gRPC address for --via grpc (default: start index + Abi)")
    parser.add_argument("--url", help="gateway base URL for --via http, e.g. http://127.0.0.1:8080")
    parser.add_argument("--api-key", default="", help="API key for the gateway (optional on a local mesh)")
    parser.add_argument("--tasks", default="routing,fixtures,questions,emotions")
    parser.add_argument("--emotions-limit", type=int, default=None, help="score only the first N emotion rows")
    args = parser.parse_args(argv)
    results = asyncio.run(run(args))
    print_report(results)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"eval-{args.via}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=1))
    print(f"\nresults written to {out} ({results['seconds']}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
