"""The tool that measures Abbey's rules (tests/eval/abbey_tuning.py) sends only rows that may be read."""

from __future__ import annotations

from tests.eval.abbey_tuning import TUNING_SPLITS, empathy_tuning_rows
from tests.eval.empathy import EMPATHY_BLIND_V2, EMPATHY_SET, read_rows, split_of

# Two helpers wrote the same plain question independently (selection esel-141, blind v1 emp-114, a test row): a
# neutral question, the one text the tuning and held-out sets share.
SHARED_BY_CHANCE = {"What's the difference between baking soda and baking powder?"}


def test_the_tuning_figures_read_no_held_out_empathy_row() -> None:
    rows = empathy_tuning_rows()
    assert {split_of(row) for row in rows} == set(TUNING_SPLITS)
    assert len(rows) == 105 + 280 + 280 + 350  # the dev half and the three selection sets
    held_out = [row for row in read_rows(EMPATHY_SET) if split_of(row) == "test"] + read_rows(EMPATHY_BLIND_V2)
    assert len(held_out) == 105 + 210
    shared = {row["text"] for row in rows} & {row["text"] for row in held_out}
    assert shared <= SHARED_BY_CHANCE
