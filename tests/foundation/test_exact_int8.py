"""Every int8 model of the mesh computes the same on every CPU (services/common/exact_int8.py).

On an x86 CPU without VNNI, onnxruntime sums int8 weights times uint8 activations in pairs of 16 bits and
saturates; the shipped models had their figures measured where the sums are exact. Found on such a machine (an
AMD EPYC with AVX2 only): Abbey's situation head missed "we had to put our cat down this morning"
(tests/abbey/test_situation.py) and Abi's figures moved on every blind set.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from services.common import exact_int8
from services.common.encoder import cpu_session
from services.common.exact_int8 import ZERO_POINT, exact_model_path, exact_weights, int8_weights, sums_int8_exactly

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(ROOT.glob("services/**/models/*.onnx"))


def _matmul_model(weights: np.ndarray) -> onnx.ModelProto:
    """uint8 activations x int8 weights -> int32, as a dynamically quantised MatMul runs them."""
    node = helper.make_node("MatMulInteger", ["a", "w", "a_zero", "w_zero"], ["y"])
    graph = helper.make_graph(
        [node],
        "matmul",
        [helper.make_tensor_value_info("a", TensorProto.UINT8, [None, weights.shape[0]])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, [None, weights.shape[1]])],
        [
            numpy_helper.from_array(weights, "w"),
            numpy_helper.from_array(np.zeros((), np.uint8), "a_zero"),
            numpy_helper.from_array(np.zeros(weights.shape[1], np.int8), "w_zero"),
        ],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _saturating_case() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights, activations and their exact product, with pairs past what 16 bits hold (255 x 127 x 2)."""
    rng = np.random.default_rng(7)
    weights = rng.integers(-127, 128, size=(64, 16), dtype=np.int8)
    weights[:, 0] = 127
    activations = rng.integers(0, 256, size=(4, 64), dtype=np.uint8)
    activations[0] = 255
    return weights, activations, activations.astype(np.int64) @ weights.astype(np.int64)


def test_a_session_of_an_int8_model_gives_the_exact_integer_product_on_this_cpu(tmp_path: Path) -> None:
    weights, activations, exact = _saturating_case()
    path = tmp_path / "matmul.onnx"
    onnx.save(_matmul_model(weights), str(path))
    (product,) = cpu_session(path, threads=1).run(None, {"a": activations})
    assert np.array_equal(product, exact)


def test_the_rewrite_keeps_the_same_integers_and_runs_once() -> None:
    weights, _, _ = _saturating_case()
    model = _matmul_model(weights)
    assert exact_weights(model) == 1
    stored = {tensor.name: numpy_helper.to_array(tensor) for tensor in model.graph.initializer}
    assert stored["w"].dtype == np.uint8 and np.all(stored["w_zero"] == ZERO_POINT)
    assert np.array_equal(stored["w"].astype(np.int64) - ZERO_POINT, weights)
    assert int8_weights(model) == [] and exact_weights(model) == 0


def test_every_shipped_model_loads_as_a_file_this_cpu_sums_exactly() -> None:
    assert len(SHIPPED) == 3  # Abi's classifier, the index's encoder, the documentation cross-encoder
    for path in SHIPPED:
        runnable = exact_model_path(path)
        model = onnx.load(str(runnable))
        assert any(node.op_type == "MatMulInteger" for node in model.graph.node), path
        if sums_int8_exactly():
            assert runnable == path
        else:
            assert runnable != path and int8_weights(model) == [], path.name
            assert exact_model_path(path) == runnable  # written once per machine, then reused


@pytest.mark.parametrize(
    ("flags", "exact"),
    [("fpu sse2 avx avx2 fma", False), ("avx2 avx512f avx512_vnni", True), ("avx2 avx_vnni", True), ("", False)],
)
def test_which_cpus_sum_exactly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: str, exact: bool) -> None:
    monkeypatch.setattr(exact_int8.platform, "machine", lambda: "x86_64")
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n", encoding="utf-8")
    assert sums_int8_exactly.__wrapped__(cpuinfo) is exact
    assert sums_int8_exactly.__wrapped__(tmp_path / "missing") is False


def test_a_copy_is_never_read_from_a_directory_someone_else_could_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model file is code the service runs: a shared, writable cache dir would let another local user swap it."""
    monkeypatch.setattr(exact_int8.tempfile, "tempdir", str(tmp_path))
    own = exact_int8._private_dir()
    assert own.parent == tmp_path and (own.stat().st_mode & 0o777) == 0o700
    os.chmod(own, 0o777)  # opened up (or planted) by someone else
    fallback = exact_int8._private_dir()
    assert fallback != own and fallback.parent == tmp_path and (fallback.stat().st_mode & 0o077) == 0
