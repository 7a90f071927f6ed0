"""Offline training of Abi's classifier (`make train`): MiniLM fine-tuned with six heads, exported to int8 ONNX.

Runs in its own virtualenv with PyTorch (`.venv-train`, requirements-train.lock); the service needs
only onnxruntime. `data.py` assembles the rows, `finetune.py` trains, tunes thresholds and exports.
"""
