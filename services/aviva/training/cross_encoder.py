"""Fine-tune a cross-encoder that reads the question and a passage together (`make fit-rerank`; needs PyTorch).

    .venv-train/bin/python -m services.aviva.training.cross_encoder --candidates build/rerank/candidates.jsonl

A bi-encoder embeds the question and the passage apart, so "ssh to a server on a non-standard port" is about
as close to `-W host:port` as to `-p port`; reading both at once lets the model match the question's goal with
the option's description. Base: all-MiniLM-L6-v2 (the same weights as Abi's, `services.abi.training.finetune.
load_base`), mean-pooled, one linear output: the logit that the passage answers the question.

Data: the labelled candidates `python -m services.aviva.training --dump` wrote (each question's hybrid-search
hits from the real index; a hit answers when it contains one of the question's keys). Fitted: the helper-written
training questions and the odd-numbered off-corpus ones (all candidates negative). Not fitted: the docs QA dev
split (picks the epoch) and the even-numbered off-corpus questions (with dev, pick the answer threshold).
Loss: listwise (the answering passages against the question's other sampled candidates) plus a pointwise
logistic term, so the score also says whether any passage answers. Exported to int8 ONNX beside its card
(services/common/knowledge/models/rerank_cross.json); `python -m services.aviva.training.calibrate` (the service
environment: it runs the replica's two stages) then sets the depth and answer threshold with the int8
model. Seeded; ~32 minutes on 2 quiet CPU cores for the shipped model (2 epochs over 1,263 questions; ~50 with
the 379 chat-style ones).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tokenizers import Tokenizer
from torch import nn
from transformers import BertModel

from services.aviva.training.selection import fitted, held, pick_threshold, read_candidates
from services.aviva.training.styles import styled
from services.common.knowledge.cross_encoder import CARD_FILE, MODEL_FILE, MODELS_DIR, reading
from services.common.minilm import BASE, SOURCE, load_base

SEED = 20261201
MAX_TOKENS = 160


class CrossEncoder(nn.Module):
    def __init__(self, encoder: BertModel) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(0.1)
        self.out = nn.Linear(384, 1)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        hidden = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.out(self.dropout(pooled)).squeeze(-1)


def passage_text(passage: dict[str, Any]) -> str:
    return reading(passage["title"], passage["text"])


def pair_tokenizer(tokenizer: Tokenizer) -> Tokenizer:
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=MAX_TOKENS, strategy="longest_first")
    return tokenizer


def encode(tokenizer: Tokenizer, question: str, texts: list[str]) -> tuple[torch.Tensor, ...]:
    encodings = tokenizer.encode_batch([(question, text) for text in texts])
    width = max(len(e.ids) for e in encodings)
    ids = torch.zeros((len(texts), width), dtype=torch.long)
    mask = torch.zeros_like(ids)
    types = torch.zeros_like(ids)
    for i, e in enumerate(encodings):
        n = len(e.ids)
        ids[i, :n], mask[i, :n], types[i, :n] = torch.tensor(e.ids), 1, torch.tensor(e.type_ids)
    return ids, mask, types


def sample(q: dict[str, Any], rng: random.Random, per_question: int) -> tuple[list[str], list[float]]:
    """All answering candidates (at most half the slots) and random others, shuffled."""
    positives = [p for p in q["passages"] if p["answers"]]
    negatives = [p for p in q["passages"] if not p["answers"]]
    rng.shuffle(positives)
    rng.shuffle(negatives)
    chosen = positives[: per_question // 2]
    chosen += negatives[: per_question - len(chosen)]
    rng.shuffle(chosen)
    return [passage_text(p) for p in chosen], [float(p["answers"]) for p in chosen]


def score(model: CrossEncoder, tokenizer: Tokenizer, qs: list[dict[str, Any]], depth: int) -> list[np.ndarray]:
    model.eval()
    out = []
    with torch.no_grad():
        for q in qs:
            texts = [passage_text(p) for p in q["passages"][:depth]]
            out.append(model(*encode(tokenizer, q["question"], texts)).numpy())
    return out


def held_figures(qs: list[dict[str, Any]], logits: list[np.ndarray], depth: int) -> dict[str, Any]:
    """Top-1 on dev and the answer threshold (selection.pick_threshold) on the held-out questions."""
    best_p, best_ok = [], []
    for q, z in zip(qs, logits, strict=True):
        i = int(np.argmax(z))
        best_p.append(1.0 / (1.0 + np.exp(-z[i])))
        best_ok.append(bool(q["passages"][:depth][i]["answers"]))
    p, ok, off = np.asarray(best_p), np.asarray(best_ok), np.asarray([q["split"] == "off" for q in qs])
    threshold, figures = pick_threshold(p, ok, off)
    return {"dev_top1": round(float(ok[~off].mean()), 4), "answer_threshold": threshold, **figures}


def export(model: CrossEncoder, out_dir: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model.eval()
    float_path = BASE / "rerank_float.onnx"
    ids = torch.ones((2, 16), dtype=torch.long)
    torch.onnx.export(
        model,
        (ids, torch.ones_like(ids), torch.zeros_like(ids)),
        str(float_path),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["logit"],
        dynamic_axes={name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "token_type_ids")}
        | {"logit": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(str(float_path), str(out_dir / MODEL_FILE), weight_type=QuantType.QInt8, per_channel=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=Path, default=Path("build/rerank/candidates.jsonl"))
    parser.add_argument("--out", type=Path, default=MODELS_DIR)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--questions-per-step", type=int, default=4)
    parser.add_argument("--per-question", type=int, default=8)
    parser.add_argument("--depth", type=int, default=10, help="candidates the replica reranks (PM_KNOWLEDGE_K)")
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=SEED, help="another seed trains another member of an ensemble")
    parser.add_argument(
        "--styled", type=float, default=0.0, help="share of training questions re-worded per epoch (styles.py)"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    torch.set_num_threads(args.threads)
    questions = read_candidates(args.candidates)
    train = [q for q in questions if fitted(q)]
    evaluation = [q for q in questions if held(q)]
    encoder, tokenizer = load_base(MAX_TOKENS)
    tokenizer = pair_tokenizer(tokenizer)
    model = CrossEncoder(encoder)
    optimizer = torch.optim.AdamW(
        [{"params": model.encoder.parameters(), "lr": args.lr}, {"params": model.out.parameters(), "lr": 1e-3}]
    )
    steps_per_epoch = (len(train) + args.questions_per_step - 1) // args.questions_per_step
    total = steps_per_epoch * args.epochs
    warmup = max(1, total // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    log: list[str] = [f"fitted {len(train)} questions, held out {len(evaluation)}"]
    best: tuple[float, dict[str, Any], dict[str, torch.Tensor]] | None = None
    for epoch in range(args.epochs):
        model.train()
        order = train[:]
        rng.shuffle(order)
        running = 0.0
        for step in range(steps_per_epoch):
            loss = torch.zeros(())
            for q in order[step * args.questions_per_step : (step + 1) * args.questions_per_step]:
                texts, labels = sample(q, rng, args.per_question)
                asked = styled(q["question"], rng) if rng.random() < args.styled else q["question"]
                logits = model(*encode(tokenizer, asked, texts))
                target = torch.tensor(labels)
                loss = loss + nn.functional.binary_cross_entropy_with_logits(logits, target)
                if target.sum() > 0:
                    loss = loss + torch.logsumexp(logits, 0) - torch.logsumexp(logits[target > 0], 0)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            running += float(loss.detach())
            if (step + 1) % 50 == 0:
                print(f"epoch {epoch + 1} step {step + 1}/{steps_per_epoch} loss {running / 50:.3f} "
                      f"{time.perf_counter() - started:.0f}s", flush=True)  # fmt: skip
                running = 0.0
        figures = held_figures(evaluation, score(model, tokenizer, evaluation, args.depth), args.depth)
        log.append(f"epoch {epoch + 1}: held out {figures}")
        print(log[-1], flush=True)
        if best is None or figures["answered_correctly"] > best[0]:
            state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            best = (figures["answered_correctly"], figures, state)
    assert best is not None
    model.load_state_dict(best[2])
    args.out.mkdir(parents=True, exist_ok=True)
    export(model, args.out)
    card = {
        "name": "aviva-rerank-minilm-cross-int8",
        "base": SOURCE,
        "max_tokens": MAX_TOKENS,
        "depth": args.depth,
        "answer_threshold": best[1]["answer_threshold"],  # replaced by calibrate() with the int8 model's
        "held_out": best[1],
        "training": {"seed": args.seed, "epochs": args.epochs, "lr": args.lr, "styled": args.styled,
                     "torch": torch.__version__, "seconds": round(time.perf_counter() - started), "log": log},
    }  # fmt: skip
    (args.out / CARD_FILE).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print("\n".join(log))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
