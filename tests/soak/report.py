"""What a soak run shows: the sampled series (printed, CSV, PNG) and the growth verdict per service."""

from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass
from pathlib import Path

from tests.soak.sampler import Sample

METRICS = ("rss_mib", "fds")
MAX_GROWTH = 0.10


@dataclass(frozen=True)
class Growth:
    """One service's metric: its median just after warm-up against its median at the end of the run."""

    service: str
    metric: str
    baseline: float
    final: float

    @property
    def ratio(self) -> float:
        return self.final / self.baseline - 1.0 if self.baseline else 0.0

    @property
    def ok(self) -> bool:
        return self.ratio <= MAX_GROWTH

    def line(self) -> str:
        verdict = "ok" if self.ok else f"GROWTH > {MAX_GROWTH:.0%}"
        return (
            f"  {self.service:<12} {self.metric:<8} after warm-up {self.baseline:>9.1f}  at the end "
            f"{self.final:>9.1f}  {self.ratio:+7.1%}  {verdict}"
        )


def growth(samples: list[Sample], warmup_s: float, window_s: float) -> list[Growth]:
    """Medians over the first `window_s` after warm-up and over the last `window_s` of the run.

    Medians, not single samples: a garbage collection or a burst of connections at the wrong moment
    moves one sample, not a median of several.
    """
    end = max(s.t_s for s in samples)
    results = []
    for service in sorted({s.service for s in samples}):
        mine = [s for s in samples if s.service == service]
        first = [s for s in mine if warmup_s <= s.t_s <= warmup_s + window_s]
        last = [s for s in mine if s.t_s >= end - window_s]
        if not first or not last:
            continue
        for metric in METRICS:
            results.append(
                Growth(
                    service,
                    metric,
                    statistics.median(float(getattr(s, metric)) for s in first),
                    statistics.median(float(getattr(s, metric)) for s in last),
                )
            )
    return results


def print_series(samples: list[Sample]) -> None:
    """One table per metric: a row per sampling time, a column per service."""
    services = sorted({s.service for s in samples})
    times = sorted({s.t_s for s in samples})
    by_key = {(s.t_s, s.service): s for s in samples}
    for metric, title in (("rss_mib", "resident memory, MiB"), ("fds", "open file descriptors")):
        print(f"\n== {title}")
        print("  " + f"{'t (s)':>7}" + "".join(f"{name:>12}" for name in services))
        for t in times:
            cells = [by_key.get((t, name)) for name in services]
            values = "".join(f"{getattr(c, metric):>12}" if c else f"{'-':>12}" for c in cells)
            print(f"  {t:>7.1f}{values}")


def write_csv(samples: list[Sample], path: Path) -> None:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["t_s", "service", "pid", "rss_mib", "fds"])
        writer.writerows([s.t_s, s.service, s.pid, s.rss_mib, s.fds] for s in samples)


def plot(samples: list[Sample], warmup_s: float, title: str, path: Path) -> None:
    """RSS and open files of every service over time, the warm-up shaded (Agg: no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, 1, figsize=(11, 8), sharex=True)
    for axis, metric, label in ((axes[0], "rss_mib", "RSS (MiB)"), (axes[1], "fds", "open file descriptors")):
        for service in sorted({s.service for s in samples}):
            mine = [s for s in samples if s.service == service]
            axis.plot([s.t_s for s in mine], [getattr(s, metric) for s in mine], label=service)
        axis.axvspan(0, warmup_s, color="grey", alpha=0.15, label="warm-up")
        axis.set_ylabel(label)
        axis.grid(alpha=0.3)
    axes[0].legend(loc="upper left", fontsize="small", ncol=4)
    axes[0].set_title(title)
    axes[1].set_xlabel("seconds since the load started")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
