"""Fitting Aviva's reranker (`make fit-rerank`): questions with known answers, candidates from the real index."""
