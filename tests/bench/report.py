"""docs/performance.md from a `make bench` run: every figure it measured, as tables, and the plots it made.

Written by `make bench` after each run (and `python -m tests.bench.report bench-results/latest.json`
rewrites it from a saved run), so the page shows what the code measured, not numbers copied by hand.
Plots: the latency distribution of routed chats at 1 and 16 clients, and throughput and latency
against concurrency (bench_gateway's `curve`), PNG files beside the page.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

DOCS = Path("docs")
PAGE = DOCS / "performance.md"
PLOTS = DOCS / "performance"
SAMPLES_SUFFIX = "_samples_ms"  # raw series for plots, not tables


def _is_figures(value: object) -> bool:
    return isinstance(value, dict) and bool(value) and all(not isinstance(v, dict | list) for v in value.values())


def _table(rows: dict[str, dict[str, Any]]) -> list[str]:
    columns: list[str] = []
    for figures in rows.values():
        columns += [key for key in figures if key not in columns]
    lines = ["| | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for name, figures in rows.items():
        lines.append(f"| {name} | " + " | ".join(_cell(figures.get(key, "")) for key in columns) + " |")
    return lines


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _section(title: str, value: dict[str, Any], level: int) -> list[str]:
    """A dict of rows becomes a table; a dict of dicts of rows, one subsection each; scalars, a list."""
    lines = [f"{'#' * level} {title}", ""]
    rows = {k: v for k, v in value.items() if _is_figures(v)}
    scalars = {k: v for k, v in value.items() if not isinstance(v, dict | list)}
    if scalars:
        lines += [f"- {k}: {_cell(v)}" for k, v in scalars.items()] + [""]
    if rows:
        lines += [*_table(rows), ""]
    for key, sub in value.items():
        if isinstance(sub, dict) and not _is_figures(sub) and not key.endswith(SAMPLES_SUFFIX) and sub:
            lines += _section(key, sub, min(level + 1, 4))
    return lines


def plot_curve(gateway: dict[str, Any], out: Path) -> list[str]:
    """The two plots from bench_gateway's curve; the file names written (none when it did not run)."""
    curve, samples = gateway.get("curve"), gateway.get("curve" + SAMPLES_SUFFIX)
    if not curve:
        return []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    written = []
    clients = [row["clients"] for row in curve.values()]
    figure, left = plt.subplots(figsize=(8, 4.5))
    left.plot(clients, [row["throughput_per_s"] for row in curve.values()], "o-", color="tab:blue")
    left.set_xscale("log", base=2)
    left.set_xlabel("concurrent clients")
    left.set_ylabel("answers per second", color="tab:blue")
    right = left.twinx()
    right.plot(clients, [row["p50_ms"] for row in curve.values()], "s--", color="tab:orange", label="p50")
    right.plot(clients, [row["p99_ms"] for row in curve.values()], "^--", color="tab:red", label="p99")
    right.set_ylabel("latency (ms)")
    right.legend(loc="upper left")
    left.set_title("routed HTTP chat through the gateway: throughput and latency against concurrency")
    left.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(out / "throughput-vs-concurrency.png", dpi=100)
    plt.close(figure)
    written.append("throughput-vs-concurrency.png")
    if samples:
        figure, axis = plt.subplots(figsize=(8, 4.5))
        for name, values in samples.items():
            if name.endswith((" 1 clients", " 16 clients")):
                axis.hist(values, bins=60, alpha=0.55, label=name)
        axis.set_xlabel("latency (ms)")
        axis.set_ylabel("requests")
        axis.set_title("routed HTTP chat: latency distribution")
        axis.legend()
        figure.tight_layout()
        figure.savefig(out / "latency-distribution.png", dpi=100)
        plt.close(figure)
        written.append("latency-distribution.png")
    return written


def render(report: dict[str, Any], plots: list[str]) -> str:
    machine = report.get("machine", {})
    lines = [
        "# Performance",
        "",
        "<!-- Written by `make bench` (tests/bench/report.py) from its own run; do not edit by hand. -->",
        "",
        f"Measured by `make bench` on {report.get('started', '?')}: {machine.get('cpus', '?')} CPUs, "
        f"Python {machine.get('python', '?')}, {machine.get('platform', '?')}. Latencies in milliseconds; "
        "each module starts the processes it measures (see `tests/bench/`). The machine is shared, so "
        "compare runs from the same day rather than single figures.",
        "",
    ]
    if plots:
        lines += ["## Plots", ""] + [f"![{name}](performance/{name})" for name in plots] + [""]
    for module, value in report.items():
        if isinstance(value, dict) and module != "machine":
            lines += _section(module, value, 2)
    return "\n".join(lines).rstrip() + "\n"


def blocks(page: str) -> dict[str, str]:
    """The named blocks other commands own in the page (`<!-- begin NAME -->` ... `<!-- end NAME -->`)."""
    found = re.finditer(r"<!-- begin ([\w-]+) -->\n(.*?)<!-- end \1 -->\n", page, flags=re.DOTALL)
    return {match.group(1): match.group(2) for match in found}


def replace_block(page: str, name: str, body: str) -> str:
    """The page with block `name` holding `body` (appended at the end when the page has none yet)."""
    block = f"<!-- begin {name} -->\n{body}<!-- end {name} -->\n"
    pattern = re.compile(rf"<!-- begin {re.escape(name)} -->\n.*?<!-- end {re.escape(name)} -->\n", re.DOTALL)
    replaced, found = pattern.subn(lambda _: block, page, count=1)
    if found:
        return replaced
    return page.rstrip() + "\n\n" + block if page.strip() else block


def write(report: dict[str, Any]) -> Path:
    """Rewrite the page from a `make bench` report, keeping the blocks other commands wrote (bench-peers)."""
    plots = plot_curve(report.get("gateway") or {}, PLOTS)
    page = render(report, plots)
    kept = blocks(PAGE.read_text(encoding="utf-8")) if PAGE.exists() else {}
    for name, body in kept.items():
        page = replace_block(page, name, body)
    PAGE.write_text(page)
    return PAGE


if __name__ == "__main__":
    print(write(json.loads(Path(sys.argv[1] if len(sys.argv) > 1 else "bench-results/latest.json").read_text())))
