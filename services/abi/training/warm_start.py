"""Start a fine-tune from an exported Abi model instead of the pretrained encoder (`finetune --init DIR`).

A fine-tune from MiniLM takes 1.5-2 hours on 2 cores and the shipped model is a soup of four of them, so a
change of data or augmentation costs a day before it can be judged. Continuing from the shipped soup for an
epoch at a lower learning rate costs half an hour. Only the int8 export is kept of any model, so its weights
are dequantised (training/soup.py) and put back where the exporter took them from:

- float initialisers (biases, LayerNorm) and the embeddings keep their parameter's name;
- a `Linear` became an int8 `MatMulInteger` on the transposed weight, under a generated name
  (`onnx::MatMul_951`); the node's output names the module (`/encoder/encoder/layer.0/attention/self/query/...`);
- a head's weight is `heads.NAME.weight_Transposed`.

The int8 rounding of the start is kept (a step of at most half a scale per weight); training moves on from it.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch
from torch import nn

from services.abi.model import MODEL_FILE
from services.abi.training.soup import QUANTIZED, SCALE, ZERO_POINT, dequantize, initializers, quantized_names

_MODULE_OF_MATMUL = re.compile(r"^/(.+)/MatMul_output_0")
TRANSPOSED = "_Transposed"


def exported_weights(directory: Path) -> dict[str, np.ndarray]:
    """The float weights of an int8 export, by the PyTorch parameter names they came from."""
    import onnx

    graph = onnx.load(str(directory / MODEL_FILE))
    weights = initializers(graph)
    quantized = set(quantized_names(weights))
    owner = {}
    for node in graph.graph.node:
        if node.op_type == "MatMulInteger" and node.input[1].endswith(QUANTIZED):
            found = _MODULE_OF_MATMUL.match(node.output[0])
            if found:
                owner[node.input[1].removesuffix(QUANTIZED)] = found.group(1).replace("/", ".") + ".weight"
    out: dict[str, np.ndarray] = {}
    for name, value in weights.items():
        if name.endswith((QUANTIZED, SCALE, ZERO_POINT)) or value.dtype != np.float32:
            continue
        out[name] = value
    for base in quantized:
        values = dequantize(weights, base)
        if base.endswith(TRANSPOSED):
            out[base.removesuffix(TRANSPOSED)] = values.T
        elif base in owner:
            out[owner[base]] = values.T  # MatMul(x, W) with W = Linear.weight.T
        else:
            out[base] = values
    return out


def load_into(model: nn.Module, directory: Path) -> list[str]:
    """Copy an export's weights into `model`; returns the parameters it did not hold (none but the unused
    pooler, or the export is of another architecture and this raises)."""
    weights = exported_weights(directory)
    state = model.state_dict()
    unknown = sorted(set(weights) - set(state))
    if unknown:
        raise SystemExit(f"{directory}: weights this model does not have: {unknown[:5]}")
    for name, value in weights.items():
        if tuple(state[name].shape) != value.shape:
            raise SystemExit(f"{directory}: {name} is {value.shape}, the model's is {tuple(state[name].shape)}")
        state[name] = torch.from_numpy(np.array(value, dtype=np.float32))
    model.load_state_dict(state)
    missing = sorted(set(state) - set(weights))
    if any(not name.startswith("encoder.pooler.") for name in missing):
        raise SystemExit(f"{directory}: the export lacks {[n for n in missing if 'pooler' not in n][:5]}")
    return missing
