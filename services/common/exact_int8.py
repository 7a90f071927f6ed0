"""Int8 models that compute the same on every x86 CPU: matrix weights as uint8 with zero point 128 where needed.

onnxruntime's dynamic quantisation writes each MatMul's weights as int8 (symmetric, zero point 0) and
quantises the activations to uint8 at run time. On CPUs with VNNI (AVX512-VNNI, AVX-VNNI) or AMX the
u8 x s8 products are summed exactly in 32 bits; on x86 CPUs without them, onnxruntime's MLAS adds pairs of
them in 16 bits first (`vpmaddubsw`), which saturates (onnxruntime's quantisation guide: "U8S8 ... may have
saturation issues" on such machines). Measured on an AMD EPYC with AVX2 only: the index's sentence vectors
at a cosine of ~0.99 to the exact ones, Abbey's situation head read "we had to put our cat down this
morning" below its threshold, and Abi's figures moved on every blind set; every figure of the mesh had been
measured on machines that sum exactly. The same integers stored as uint8 with zero point 128 (w + 128) take
the u8 x u8 kernels, which widen to 16 bits before multiplying: the exact result, with no weight changed and
no new rounding, for ~15% more CPU per run on AVX2 (and slower than VNNI's u8 x s8 where VNNI exists).

So the shipped files keep onnxruntime's int8 weights, and `exact_model_path` hands a session the file to run
on this CPU: the shipped one where its sums are exact, else a uint8 copy, written once per machine into a
private directory of the temp dir by a subprocess (`python -m services.common.exact_int8 --out COPY MODEL`),
so that `onnx` (10 MiB) is never imported by a service.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import stat
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import onnx

# CPU features with which onnxruntime sums u8 x s8 products exactly (cpuinfo flag names).
_EXACT_FEATURES = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})
CACHE_DIR = "persona-mesh-models"

# Ops whose second input is a quantised weight and fourth its zero point (ai.onnx and com.microsoft).
_WEIGHTED = {"MatMulInteger": (1, 3), "DynamicQuantizeMatMul": (1, 3)}
ZERO_POINT = 128


def exact_weights(model: onnx.ModelProto) -> int:
    """Rewrite every int8 matrix weight of `model` in place as uint8 with zero point 128; returns how many.

    Only symmetric weights (zero point 0, as onnxruntime writes them) are rewritten; a weight two ops share is
    rewritten once.
    """
    import numpy as np
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


def rewrite_file(path: Path, out: Path | None = None) -> int:
    """`exact_weights` on the model file at `path`, saved to `out` (atomically) or in place; returns how many
    weights changed."""
    import onnx

    model = onnx.load(str(path))
    count = exact_weights(model)
    target = out or path
    if count or target != path:
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        onnx.save(model, str(partial))
        os.replace(partial, target)  # two replicas writing the same copy never read half of one
    return count


@cache
def sums_int8_exactly(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether onnxruntime sums u8 x s8 products exactly here: not an x86 CPU, or one with VNNI or AMX."""
    if platform.machine().lower() not in ("x86_64", "amd64", "i386", "i686"):
        return True
    try:
        lines = cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return False  # unknown: the uint8 copy is exact everywhere
    flags = next((line.partition(":")[2].split() for line in lines if line.startswith("flags")), [])
    return bool(_EXACT_FEATURES.intersection(flags))


def exact_model_path(path: Path) -> Path:
    """The file a session should load for `path` on this CPU (see the module docstring)."""
    if sums_int8_exactly():
        return path
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    copy = _private_dir() / f"{path.stem}.{digest}.u8.onnx"
    if not copy.is_file():
        subprocess.run(
            [sys.executable, "-m", "services.common.exact_int8", "--out", str(copy), str(path)],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return copy


def _private_dir() -> Path:
    """This user's directory for the copies in the temp dir, readable and writable by no one else: a model file is
    code the service runs, so a copy someone else could have put there is never loaded (a fresh private dir then)."""
    base = Path(tempfile.gettempdir()) / f"{CACHE_DIR}-{os.getuid()}"
    try:
        base.mkdir(mode=0o700, exist_ok=True)
        info = base.lstat()
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077:
            return base
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix=f"{CACHE_DIR}-"))


def int8_weights(model: onnx.ModelProto) -> list[str]:
    """Names of the matrix weights still stored as int8 (what `exact_weights` would rewrite)."""
    import numpy as np
    from onnx import numpy_helper

    tensors = {tensor.name: tensor for tensor in model.graph.initializer}
    weights = {node.input[_WEIGHTED[node.op_type][0]] for node in model.graph.node if node.op_type in _WEIGHTED}
    return sorted(name for name in weights if name in tensors and numpy_helper.to_array(tensors[name]).dtype == np.int8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", type=Path, help="ONNX files to rewrite (in place unless --out)")
    parser.add_argument("--out", type=Path, help="write the rewritten copy of the one model given here")
    args = parser.parse_args()
    if args.out is not None and len(args.models) != 1:
        parser.error("--out takes one model")
    for path in args.models:
        print(f"{path}: {rewrite_file(path, args.out)} weights as uint8 with zero point {ZERO_POINT}")


if __name__ == "__main__":
    main()
