"""Resident memory and open file descriptors of the mesh's processes, sampled from /proc through psutil."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class Sample:
    """One process tree at one moment: seconds since the soak started, RSS in MiB, open file descriptors."""

    t_s: float
    service: str
    pid: int
    rss_mib: float
    fds: int


class Sampler:
    """Samples named processes, each with its children (a service's own helpers count against it).

    A process that has exited is sampled as nothing (no row): the soak reports that a service died
    instead of charting zeros as "no growth".
    """

    def __init__(self, pids: dict[str, int], started: float | None = None) -> None:
        self.processes = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.started = time.monotonic() if started is None else started
        self.samples: list[Sample] = []
        self.vanished: set[str] = set()

    def sample(self) -> list[Sample]:
        now = round(time.monotonic() - self.started, 2)
        taken = []
        for name, process in self.processes.items():
            try:
                rss, fds = _tree_usage(process)
            except psutil.NoSuchProcess:
                self.vanished.add(name)
                continue
            taken.append(Sample(now, name, process.pid, round(rss / 2**20, 1), fds))
        self.samples.extend(taken)
        return taken


def _tree_usage(process: psutil.Process) -> tuple[int, int]:
    """RSS bytes and open fds of a process and its children; raises NoSuchProcess only if the process itself
    is gone (a child that exits between listing and reading is simply not counted)."""
    rss, fds = process.memory_info().rss, process.num_fds()
    for child in process.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            rss += child.memory_info().rss
            fds += child.num_fds()
    return rss, fds
