"""Finding the documentation passage that answers a question, shared by the personas that answer from it.

The embedding index returns candidates (BM25 and vectors fused); here they are read (`passage.py`: its kind, its
call, option or example), reranked in two fitted stages (`rerank.py`: a linear model, then the cross-encoder of
`cross_encoder.py`), and a question that is not about software at all is recognised first (`domain.py`). Aviva
answers from the result, and Abbey takes her technical steps from the same result. The models live in `models/`,
fitted by `make fit-rerank` and `make fit-domain-gate` (services/aviva/training/).
"""
