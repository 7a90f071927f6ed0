"""Learning without forgetting (Li & Hoiem 2016) for a model continued from an exported one (`finetune --init`).

A frozen copy of the starting model runs on every batch; the student pays for drifting from it where it was not
asked to change: its crisis probability on every row (the crisis signal is recall-first, and a continued run that
fits new harm wordings was measured to lose method questions asked in distress), and its harm distribution on rows
that carry no harm label (ordinary chatter such as GoEmotions, where a new block would be a false one); with
`persona`, also its persona distribution on rows without a persona label (chatter and harmful rows), since a run
about harm was measured to move the routing between the personas too. Labelled losses are unchanged, so where a
row's label says otherwise the label still pulls.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from services.abi.model import HEADS


class Anchor:
    """The starting model, frozen, and the distillation term toward its outputs."""

    def __init__(self, model: nn.Module, weight: float, persona: bool = False) -> None:
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.weight = weight
        self.softmax_heads = ("harm", "persona") if persona else ("harm",)

    def loss(
        self, ids: torch.Tensor, mask: torch.Tensor, outputs: tuple[torch.Tensor, ...], labels: dict[str, torch.Tensor]
    ) -> torch.Tensor:
        """`weight` x (crisis BCE toward the anchor's probability on every row + for each softmax head kept, the
        cross-entropy toward the anchor's distribution on rows whose label for that head is unknown, i.e. -1)."""
        with torch.no_grad():
            anchor = dict(zip(HEADS, self.model(ids, mask), strict=True))
        student = dict(zip(HEADS, outputs, strict=True))
        total = nn.functional.binary_cross_entropy_with_logits(student["crisis"], torch.sigmoid(anchor["crisis"]))
        for head in self.softmax_heads:
            unlabelled = labels[head] < 0
            if unlabelled.any():
                target = torch.softmax(anchor[head][unlabelled], dim=-1)
                log_p = torch.log_softmax(student[head][unlabelled], dim=-1)
                total = total + -(target * log_p).sum(-1).mean()
        return self.weight * total
