"""Int8 models that compute the same on every x86 CPU: matrix weights as uint8 with zero point 128.

onnxruntime's dynamic quantisation writes each MatMul's weights as int8 (symmetric, zero point 0) and
quantises the activations to uint8 at run time. On CPUs with VNNI (AVX512-VNNI, AVX-VNNI) the u8 x s8
products are summed exactly in 32 bits; on CPUs with AVX2 only, onnxruntime's MLAS adds pairs of them in
16 bits first (`vpmaddubsw`), which saturates (onnxruntime's quantisation guide: "U8S8 ... may have
saturation issues" on such machines). Measured on an AMD EPYC with AVX2 only: the index's sentence vectors
at a cosine of ~0.99 to the exact ones, so Abbey's situation head read "we had to put our cat down this
morning" below its threshold, where every figure of the mesh had been measured on machines that sum
exactly. The same integers stored as uint8 with zero point 128 (w + 128) take the u8 x u8 kernels, which
widen to 16 bits before multiplying: the exact result on every CPU, and the same model (no weight changes,
no new rounding). The price on AVX2: ~15% more CPU per encoder run.

Every export that quantises (`finetune`, `soup`, `export_encoder`, the cross-encoder) ends with
`rewrite_file`; `python -m services.common.exact_int8 FILE...` rewrites existing ones. Needs `onnx` (the
training environment and the dev tools), never the services.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import onnx

# Ops whose second input is a quantised weight and fourth its zero point (ai.onnx and com.microsoft).
_WEIGHTED = {"MatMulInteger": (1, 3), "DynamicQuantizeMatMul": (1, 3)}
ZERO_POINT = 128


def exact_weights(model: onnx.ModelProto) -> int:
    """Rewrite every int8 matrix weight of `model` in place as uint8 with zero point 128; returns how many.

    Only symmetric weights (zero point 0, as onnxruntime writes them) are rewritten; a weight two ops share is
    rewritten once.
    """
    from onnx import numpy_helper

    tensors = {tensor.name: tensor for tensor in model.graph.initializer}
    done: set[str] = set()
    for node in model.graph.node:
        if node.op_type not in _WEIGHTED:
            continue
        weight_at, zero_at = _WEIGHTED[node.op_type]
        name = node.input[weight_at]
        if name in done or name not in tensors:
            continue
        weight = numpy_helper.to_array(tensors[name])
        if weight.dtype != np.int8:
            continue
        zero_name = node.input[zero_at] if len(node.input) > zero_at else ""
        zero = numpy_helper.to_array(tensors[zero_name]) if zero_name in tensors else np.zeros((), np.int8)
        if np.any(zero != 0):
            raise ValueError(f"{name}: an int8 weight with a non-zero zero point is not onnxruntime's symmetric form")
        tensors[name].CopyFrom(numpy_helper.from_array((weight.astype(np.int16) + ZERO_POINT).astype(np.uint8), name))
        shifted = np.full(zero.shape, ZERO_POINT, dtype=np.uint8)
        if zero_name in tensors:
            tensors[zero_name].CopyFrom(numpy_helper.from_array(shifted, zero_name))
        else:
            zero_name = f"{name}_zero_point_u8"
            model.graph.initializer.append(numpy_helper.from_array(shifted, zero_name))
            while len(node.input) <= zero_at:
                node.input.append("")
            node.input[zero_at] = zero_name
        done.add(name)
    return len(done)


def rewrite_file(path: Path) -> int:
    """`exact_weights` on the model file at `path`, saved in place; returns how many weights changed."""
    import onnx

    model = onnx.load(str(path))
    count = exact_weights(model)
    if count:
        onnx.save(model, str(path))
    return count


def int8_weights(model: onnx.ModelProto) -> list[str]:
    """Names of the matrix weights still stored as int8 (what `exact_weights` would rewrite)."""
    from onnx import numpy_helper

    tensors = {tensor.name: tensor for tensor in model.graph.initializer}
    return sorted(
        {
            node.input[_WEIGHTED[node.op_type][0]]
            for node in model.graph.node
            if node.op_type in _WEIGHTED
            and node.input[_WEIGHTED[node.op_type][0]] in tensors
            and numpy_helper.to_array(tensors[node.input[_WEIGHTED[node.op_type][0]]]).dtype == np.int8
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", type=Path, help="ONNX files to rewrite in place")
    for path in parser.parse_args().models:
        print(f"{path}: {rewrite_file(path)} weights as uint8 with zero point {ZERO_POINT}")


if __name__ == "__main__":
    main()
