"""The weight soup's arithmetic and the recipe's data (services/abi/training/soup.py, recipe.py).

The soup itself needs `onnx` (the training environment); what decides whether it is right is here: weights
are re-quantised with onnxruntime's conventions, a soup of one model gives that model back, and the extra
fixture files of each ingredient are read, weighted and covered by the held-out overlap test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from services.abi.model import MODELS_DIR
from services.abi.training import data
from services.abi.training.fixtures import read_jsonl
from services.abi.training.recipe import CONTINUED, RECIPES, SHIPPED
from services.abi.training.soup import QUANTIZED, SCALE, ZERO_POINT, dequantize, quantize_like


def _matrix(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(64, 32)) * rng.uniform(0.01, 0.5, size=32)).astype(np.float32)


def test_int8_weights_are_symmetric_per_column_like_onnxruntime() -> None:
    weights = _matrix(1)
    q, scale, zero = quantize_like(weights, np.dtype(np.int8), per_column=True)
    assert q.dtype == np.int8 and scale.shape == (32,) and not zero.any()
    assert (np.abs(q).max(axis=0) == 127).all()  # each column's largest weight sets its scale
    restored = dequantize({"w" + QUANTIZED: q, "w" + SCALE: scale, "w" + ZERO_POINT: zero}, "w")
    assert (np.abs(restored - weights) <= scale / 2 + 1e-7).all()


def test_uint8_embeddings_cover_their_range_and_zero() -> None:
    table = np.random.default_rng(2).normal(0.1, 0.3, size=(100, 16)).astype(np.float32)
    q, scale, zero = quantize_like(table, np.dtype(np.uint8), per_column=False)
    assert q.dtype == np.uint8 and q.min() == 0 and q.max() == 255
    restored = dequantize({"e" + QUANTIZED: q, "e" + SCALE: scale, "e" + ZERO_POINT: zero}, "e")
    assert np.abs(restored - table).max() <= float(scale) / 2 + 1e-6
    assert abs(float(zero) * float(scale) + float(table.min())) <= float(scale)  # the zero point stands for 0.0


def test_a_soup_of_one_model_gives_its_quantised_weights_back() -> None:
    for dtype, per_column, weights in (
        (np.int8, True, _matrix(3)),
        (np.uint8, False, np.random.default_rng(4).normal(size=(50, 8)).astype(np.float32)),
    ):
        q, scale, zero = quantize_like(weights, np.dtype(dtype), per_column)
        again = quantize_like(dequantize({"x" + QUANTIZED: q, "x" + SCALE: scale, "x" + ZERO_POINT: zero}, "x"),
                              np.dtype(dtype), per_column)  # fmt: skip
        assert np.array_equal(again[0], q) and np.allclose(again[1], scale) and np.array_equal(again[2], zero)


def test_a_soup_of_two_is_their_average_within_one_quantisation_step() -> None:
    first, second = _matrix(5), _matrix(6)
    parts, scales = [], []
    for weights in (first, second):
        q, scale, zero = quantize_like(weights, np.dtype(np.int8), per_column=True)
        parts.append(dequantize({"w" + QUANTIZED: q, "w" + SCALE: scale, "w" + ZERO_POINT: zero}, "w"))
        scales.append(scale)
    q, scale, zero = quantize_like(np.mean(parts, axis=0), np.dtype(np.int8), per_column=True)
    souped = dequantize({"w" + QUANTIZED: q, "w" + SCALE: scale, "w" + ZERO_POINT: zero}, "w")
    # half a step of each ingredient's rounding, averaged, plus half a step of the soup's own
    assert (np.abs(souped - (first + second) / 2) <= (scales[0] + scales[1]) / 4 + scale / 2 + 1e-7).all()


def test_an_ingredient_reads_its_extra_file_at_the_weight_it_names() -> None:
    extra = SHIPPED["v13"].extras[0]
    texts = {r["text"] for r in read_jsonl(extra.path)}
    shared = data.fixture_rows()
    with_extra = data.fixture_rows([extra])
    assert not any(r.text in texts for r in shared)  # `make train`'s shared files never hold them
    added = [r for r in with_extra if r.text in texts]
    assert len(added) == len(texts) and {r.weight for r in added} == {1.0}
    own_weights = {r.weight for r in data.fixture_rows([data.Extra(extra.path)]) if r.text in texts}
    assert own_weights == {0.5}  # without an override each row keeps the weight it was written with
    # read in name order among the shared files, as when the ingredient was first trained beside them
    first_added = next(i for i, r in enumerate(with_extra) if r.text in texts)
    assert with_extra[:first_added] == shared[:first_added]


def test_every_ingredient_file_is_in_the_held_out_overlap_check() -> None:
    parts = [
        part for r in RECIPES.values() for part in [*r.ingredients.values(), *([r.then.ingredient] if r.then else [])]
    ]
    every_file = {e.path for part in parts for e in part.extras}
    assert every_file == set(data.INGREDIENT_DIR.glob(data.FIXTURE_GLOB))
    checked = {data.normalise(text) for text in data.all_texts()}
    texts = [r["text"] for path in every_file for r in read_jsonl(path)]
    assert all(data.normalise(text) in checked or data.is_held_out(text) for text in texts)
    assert SHIPPED["v14"].args() == [
        "--extra", f"{data.INGREDIENT_DIR}/fixtures_v12_everyday_contrasts.jsonl:1.0",
        "--extra", f"{data.INGREDIENT_DIR}/fixtures_v14_means_contrasts.jsonl:1.0",
    ]  # fmt: skip


def test_the_framed_candidate_is_each_shipped_ingredient_with_framing_and_ships_nowhere_by_default() -> None:
    shipped, framed = RECIPES["shipped"], RECIPES["framed"]
    assert [f"{name}f" for name in shipped.ingredients] == list(framed.ingredients)
    for name, part in shipped.ingredients.items():
        assert framed.ingredients[f"{name}f"].extras == part.extras and part.frame == 0.0
        assert framed.ingredients[f"{name}f"].args()[-2:] == ["--frame", "0.25"]
    assert framed.out != shipped.out and framed.work != shipped.work


def test_the_continued_candidate_rebuilds_the_shipped_soup_and_continues_it_off_the_shipped_path() -> None:
    shipped, continued = RECIPES["shipped"], RECIPES["continued"]
    assert shipped.then is None and continued.then == CONTINUED
    assert continued.ingredients == shipped.ingredients and continued.work == shipped.work  # the same fine-tunes
    assert continued.out != MODELS_DIR
    args = CONTINUED.args(Path("soup"))
    assert args[:6] == ["--init", "soup", "--epochs", "1", "--lr", "2e-05"]
    assert args[6:8] == ["--keep-init", "1.0"] and args[-2:] == ["--frame", "0.25"]
    assert [e.path.name for e in CONTINUED.ingredient.extras] == [
        "fixtures_v12_everyday_contrasts.jsonl",
        "fixtures_v14_means_contrasts.jsonl",
        "fixtures_v18_letters_and_chores.jsonl",
    ]
