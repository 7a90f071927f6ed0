"""The in-memory knowledge mirror: a search reads the last built snapshot instead of waiting for a rebuild."""

from __future__ import annotations

import asyncio
import time

import numpy as np

from services.embeddings.passages import Passage, PassageIndex


def passage(source: str, text: str, seed: int) -> Passage:
    vector = np.random.default_rng(seed).standard_normal(8).astype(np.float32)
    unit = vector / np.linalg.norm(vector)
    return Passage(f"{source}#00000", source, source, f"https://example.test/{source}", text, unit)


class SlowRebuilds(PassageIndex):
    """A rebuild that takes as long as the corpus's does (seconds), so a search that waited for it would show."""

    def _build(self) -> None:
        time.sleep(1.0)
        super()._build()


def test_a_search_after_a_write_reads_the_previous_snapshot_while_the_rebuild_runs_behind_it() -> None:
    async def scenario() -> None:
        index = SlowRebuilds()
        index.load([passage("tar", "extract an archive into another directory with tar -C", 1)])
        await index.build()  # start-up: built before SERVING
        index.replace_sources({"git"}, [passage("git", "undo the last commit with git reset --soft HEAD~1", 2)])

        started = time.perf_counter()
        hits = await index.by_words("git reset soft", 5)
        assert time.perf_counter() - started < 0.5, "the search waited for the rebuild"
        assert hits == []  # the snapshot from before the write

        await index.build()  # what UpsertKnowledge awaits before it answers
        assert [hit.source for hit, _ in await index.by_words("git reset soft", 5)] == ["git"]
        assert [hit.source for hit, _ in await index.by_vector(index.snapshot_rows()[1].vector, 1)] == ["git"]

    asyncio.run(scenario())


def test_the_first_write_into_an_empty_index_is_waited_for() -> None:
    async def scenario() -> None:
        index = SlowRebuilds()
        index.replace_sources({"tar"}, [passage("tar", "extract an archive into another directory with tar -C", 1)])
        assert [hit.source for hit, _ in await index.by_words("extract archive", 5)] == ["tar"]

    asyncio.run(scenario())


class TimedRebuilds(PassageIndex):
    """A rebuild of 0.2 s, counted: long enough to see how much of a write stream goes to rebuilding."""

    rebuilds = 0

    def _build(self) -> None:
        time.sleep(0.2)
        super()._build()
        self.rebuilds += 1


def test_a_stream_of_writes_with_searches_between_them_does_not_rebuild_back_to_back() -> None:
    """Re-embedding after an upgrade writes ~95 times while users search: each search used to start a full
    rebuild the moment the last one ended, so the index did nothing else. Rebuilds are spaced out now, and the
    last write still becomes searchable."""

    async def scenario() -> None:
        index = TimedRebuilds()
        index.load([passage("tar", "extract an archive into another directory with tar -C", 0)])
        await index.build()
        before = index.rebuilds
        started = time.monotonic()
        for i in range(1, 21):  # two seconds of writes, a search after each
            index.replace_sources({f"doc{i}"}, [passage(f"doc{i}", f"note number {i} about topic{i}", i)])
            await index.by_words(f"topic{i}", 3)
            await asyncio.sleep(0.1)
        elapsed = time.monotonic() - started
        during = index.rebuilds - before
        # Back to back, ~2.0 s / 0.2 s = 10 rebuilds; spaced at least 1 s apart, at most 3 (one per gap).
        assert during <= 3, f"{during} rebuilds in {elapsed:.1f} s of writes"

        await asyncio.sleep(max(0.0, index.next_rebuild_at() - time.monotonic()) + 0.1)
        await index.by_words("topic20", 3)  # schedules the rebuild that the last write needs, if none ran yet
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            if [hit.source for hit, _ in await index.by_words("topic20", 3)] == ["doc20"]:
                break
            await asyncio.sleep(0.1)
        assert [hit.source for hit, _ in await index.by_words("topic20", 3)] == ["doc20"]

    asyncio.run(scenario())


def test_each_vector_is_kept_once_in_the_snapshot_matrix_and_a_rebuild_lets_the_old_matrix_go() -> None:
    async def scenario() -> None:
        index = PassageIndex()
        index.load([passage(f"doc{i}", f"text number {i}", i) for i in range(4)])
        await index.build()
        first = index._snapshot.matrix
        rows = index.snapshot_rows()
        assert all(np.shares_memory(row.vector, first) for row in rows)
        wanted = passage("doc2", "text number 2", 2).vector
        assert [hit.source for hit, _ in await index.by_vector(wanted, 1)] == ["doc2"]

        index.replace_sources({"doc9"}, [passage("doc9", "a new text", 9)])
        await index.build()
        second = index._snapshot.matrix
        assert second is not first
        assert all(np.shares_memory(row.vector, second) for row in index.snapshot_rows())
        assert not any(np.shares_memory(row.vector, first) for row in index.snapshot_rows())
        assert [hit.source for hit, _ in await index.by_vector(wanted, 1)] == ["doc2"]

    asyncio.run(scenario())
