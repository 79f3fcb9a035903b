"""The reader network: all-MiniLM-L6-v2 reading a question together with one sentence.

Input, as word pieces of the base model's tokenizer:
    [CLS] question [SEP] sentence [SEP] the sentence before it (context) [SEP]
Two heads on the last hidden states:
- the *answer head* on [CLS]: one logit, sigmoid = probability that the sentence answers;
- the *span head* on every token: start and end logits, read only inside the sentence.
The lower layers and the word embeddings stay as packaged (frozen); only the upper layers
and the heads are trained, so the shipped weights are those layers alone, in float16.

This module holds what training and inference share (the network, the encoding, span
decoding). Torch and transformers are imported here, so only code that reads imports it.
Left out: batching policy and thresholds (the reader), data and optimisation (training/).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import torch
from torch import nn

from .reader import MAX_CONTEXT_TOKENS, MAX_QUESTION_TOKENS, MAX_SENTENCE_TOKENS, MAX_SPAN_TOKENS  # noqa: F401
from .reader import best_span as reader_best_span, layout
FROZEN_LAYERS = 2  # embeddings and layers 0-1 stay as packaged


class ReaderNet(nn.Module):
    """MiniLM encoder with an answer head (on [CLS]) and a span head (on every token)."""

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.answer_head = nn.Linear(hidden, 1)
        self.span_head = nn.Linear(hidden, 2)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(answer logit per row, start logits, end logits), each row a (question, sentence) pair."""
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state
        answer = self.answer_head(states[:, 0]).squeeze(-1)
        start, end = self.span_head(states).unbind(-1)
        return answer, start, end


def load_base(model_dir: str | Path) -> tuple[ReaderNet, Any]:
    """The untrained network and tokenizer over the packaged base model."""
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # its load report (the unused pooler) and bars are not for users
    hf_logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    encoder = AutoModel.from_pretrained(str(model_dir), add_pooling_layer=False)
    return ReaderNet(encoder), tokenizer


def trainable_names(net: ReaderNet) -> list[str]:
    """Names of the parameters that training changes (and the shipped weights hold)."""
    names = []
    for name, _ in net.named_parameters():
        if name.startswith(("answer_head.", "span_head.")):
            names.append(name)
        elif name.startswith("encoder.encoder.layer."):
            layer = int(name.split(".")[3])
            if layer >= FROZEN_LAYERS:
                names.append(name)
    return names


def freeze_lower(net: ReaderNet) -> None:
    """Freeze every parameter but the upper layers and the heads."""
    keep = set(trainable_names(net))
    for name, param in net.named_parameters():
        param.requires_grad_(name in keep)


@dataclass(frozen=True)
class Encoded:
    """A padded batch of pairs, and where each sentence's word pieces lie."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    token_type_ids: torch.Tensor
    sentence_mask: torch.Tensor  # True on the sentence's own word pieces
    offsets: list[list[tuple[int, int]]]  # per row: character span in the sentence of each piece
    first: list[int]  # per row: position of the sentence's first piece


def encode(tokenizer: Any, rows: Sequence[tuple[str, str, str]]) -> Encoded:
    """Encode (question, sentence, context) rows as one padded batch."""
    questions = tokenizer([r[0] for r in rows], add_special_tokens=False)["input_ids"]
    sentences = tokenizer([r[1] for r in rows], add_special_tokens=False, return_offsets_mapping=True)
    contexts = tokenizer([r[2] for r in rows], add_special_tokens=False)["input_ids"]
    offsets = [[tuple(o) for o in off[:MAX_SENTENCE_TOKENS]] for off in sentences["offset_mapping"]]
    ids, mask, types, firsts = layout(list(zip(questions, sentences["input_ids"], contexts)),
                                      tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id)
    input_ids, attention_mask, token_type_ids = (torch.from_numpy(a) for a in (ids, mask, types))
    sentence_mask = torch.zeros(input_ids.shape, dtype=torch.bool)
    for i, first in enumerate(firsts):
        sentence_mask[i, first: first + len(offsets[i])] = True
    return Encoded(input_ids, attention_mask, token_type_ids, sentence_mask, offsets, firsts)


def span_tokens(offsets: Sequence[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    """The first and last word piece covering characters [start, end) of the sentence."""
    inside = [i for i, (a, b) in enumerate(offsets) if b > start and a < end]
    return (inside[0], inside[-1]) if inside else None


def best_span(start_logits: torch.Tensor, end_logits: torch.Tensor,
              n_pieces: int) -> tuple[int, int, float]:
    """(first piece, last piece, score) of the best span of at most MAX_SPAN_TOKENS pieces
    (`reader.best_span` over the first `n_pieces` logits)."""
    return reader_best_span(start_logits[:n_pieces].detach().float().cpu().numpy(),
                            end_logits[:n_pieces].detach().float().cpu().numpy())
