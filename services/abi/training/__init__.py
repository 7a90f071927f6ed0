"""Offline training of Abi's classifier heads (`python -m services.abi.training`).

Heads are logistic regressions on the MiniLM sentence embeddings; the service
loads the resulting numpy weights only (no scikit-learn at run time).
"""
