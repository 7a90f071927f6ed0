"""Abbey's one learned part: the emergency head (`python -m services.abbey.training`, `make train-emergency`)."""
