"""Every shipped int8 model computes the same on every CPU (services/common/exact_int8.py).

On a CPU with AVX2 and no VNNI, onnxruntime sums int8 weights times uint8 activations in pairs of 16 bits and
saturates; the shipped models had their blind figures measured where the sums are exact. Found on such a
machine: Abbey's situation head missed "we had to put our cat down this morning" (tests/abbey/test_situation.py)
and Abi's figures moved on every blind set.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from services.common.exact_int8 import ZERO_POINT, exact_weights, int8_weights

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(ROOT.glob("services/*/models/*.onnx"))


def test_every_shipped_model_keeps_its_matrix_weights_as_uint8_with_zero_point_128() -> None:
    assert len(SHIPPED) == 3  # Abi's classifier, the index's encoder, Aviva's cross-encoder
    for path in SHIPPED:
        model = onnx.load(str(path))
        matmuls = [node for node in model.graph.node if node.op_type == "MatMulInteger"]
        assert matmuls, path
        assert int8_weights(model) == [], f"{path.name}: int8 weights; run python -m services.common.exact_int8"


def _matmul_model(weights: np.ndarray) -> onnx.ModelProto:
    """uint8 activations x int8 weights -> int32, as a dynamically quantised MatMul runs it."""
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


def test_the_rewrite_gives_the_exact_integer_product_where_pairs_would_saturate_16_bits() -> None:
    rng = np.random.default_rng(7)
    weights = rng.integers(-127, 128, size=(64, 16), dtype=np.int8)
    weights[:, 0] = 127  # 255 x 127 twice is 64,770: past what a 16-bit pair sum holds
    activations = rng.integers(0, 256, size=(4, 64), dtype=np.uint8)
    activations[0] = 255
    exact = activations.astype(np.int64) @ weights.astype(np.int64)
    model = _matmul_model(weights)
    assert exact_weights(model) == 1
    stored = {tensor.name: numpy_helper.to_array(tensor) for tensor in model.graph.initializer}
    assert stored["w"].dtype == np.uint8 and np.all(stored["w_zero"] == ZERO_POINT)
    assert np.array_equal(stored["w"].astype(np.int64) - ZERO_POINT, weights)  # the same integers
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (product,) = session.run(None, {"a": activations})
    assert np.array_equal(product, exact)
    assert exact_weights(model) == 0  # once only
