"""The emergency head's fit (`python -m services.common.safety.training`, `make train-emergency`)."""
