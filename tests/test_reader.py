"""The trained reader: encoding, span decoding, the shipped weights, and its composer."""
from __future__ import annotations

import json
import math

import pytest
import torch

from rag import Config
from rag.answer import reader_net as rn
from rag.answer.reader import WEIGHTS_DIR, SentenceReader, shipped_metadata, weights_available
from rag.embedding import resolve_model
from rag.errors import ModelLoadError


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(resolve_model("all-MiniLM-L6-v2"))


@pytest.fixture(scope="module")
def reader() -> SentenceReader:
    reader = SentenceReader()
    reader.warm_up()
    return reader


def test_encode_lays_out_question_sentence_context(tokenizer) -> None:
    enc = rn.encode(tokenizer, [("who won", "Ann won.", "It rained."), ("when", "Today.", "")])
    ids = enc.input_ids[0].tolist()
    pieces = tokenizer.convert_ids_to_tokens(ids)
    assert pieces == ["[CLS]", "who", "won", "[SEP]", "ann", "won", ".", "[SEP]", "it", "rained", ".", "[SEP]"]
    assert enc.token_type_ids[0].tolist() == [0] * 4 + [1] * 8
    assert enc.first == [4, 3]
    assert enc.sentence_mask[0].tolist() == [False] * 4 + [True] * 3 + [False] * 5
    # the second row (no context) is padded and masked after its own [SEP]
    assert enc.attention_mask[1].tolist() == [1] * 6 + [0] * 6
    assert enc.offsets[0] == [(0, 3), (4, 7), (7, 8)]


@pytest.mark.parametrize("start,end,expected", [(0, 3, (0, 0)), (4, 8, (1, 2)), (5, 6, (1, 1)), (20, 22, None)])
def test_span_tokens_cover_the_characters(start: int, end: int, expected) -> None:
    offsets = [(0, 3), (4, 7), (7, 8)]
    assert rn.span_tokens(offsets, start, end) == expected


def test_best_span_takes_the_highest_start_plus_end_with_end_after_start() -> None:
    start = torch.tensor([0.0, 6.0, 1.0, 0.0])
    end = torch.tensor([9.0, 0.0, 4.0, 1.0])  # end 0 is before start 1: not allowed
    assert rn.best_span(start, end, 4)[:2] == (1, 2)


def test_trainable_names_are_the_upper_layers_and_heads() -> None:
    net, _ = rn.load_base(resolve_model("all-MiniLM-L6-v2"))
    names = rn.trainable_names(net)
    assert any(n.startswith("answer_head.") for n in names)
    assert not any(".layer.0." in n or ".layer.1." in n or "embeddings" in n for n in names)
    assert any(".layer.5." in n for n in names)


def test_shipped_weights_are_small_and_documented() -> None:
    assert weights_available()
    size = (WEIGHTS_DIR / "reader.safetensors").stat().st_size
    assert size <= 25 * 1024 * 1024
    card = (WEIGHTS_DIR / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "make train-reader" in card and "seed" in card
    assert shipped_metadata()["history"]


def test_default_threshold_is_the_calibrated_one() -> None:
    calibration = json.loads((WEIGHTS_DIR / "calibration.json").read_text(encoding="utf-8"))
    assert Config().reader_threshold == pytest.approx(calibration["chosen"]["threshold"])


def test_reader_ranks_the_answer_above_a_same_topic_distractor(reader: SentenceReader) -> None:
    question = "In what year did the bridge over the river open?"
    answer = "The bridge over the river opened to traffic in 1932, after six years of work."
    distractor = "The river floods the valley below the bridge almost every spring."
    right, wrong = reader.read(question, [(answer, ""), (distractor, "")])
    assert right.probability > wrong.probability
    assert "1932" in right.answer


def test_reader_span_is_inside_the_sentence(reader: SentenceReader) -> None:
    sentence = "Maria Lopez, the mayor of the town, opened the new library on Friday."
    (reading,) = reader.read("Who opened the new library?", [(sentence, "")])
    assert sentence[reading.start:reading.end] == reading.answer
    assert "Lopez" in reading.answer


def test_onnx_and_torch_readers_agree() -> None:
    pairs = [("Who opened the new library?", "Maria Lopez, the mayor of the town, opened the new library on Friday.",
              "The town had waited ten years."),
             ("How much did the shares lose?", "Shares in the port operator lost 15% in Monday's trading.", ""),
             ("Where was the treaty signed?", "The treaty was signed in Vellmar, a harbour town, in 1921.", "")]
    readings = {}
    for backend in ("onnx", "torch"):
        reader = SentenceReader(backend=backend)
        readings[backend] = [reader.read(q, [(s, c)])[0] for q, s, c in pairs]
    for a, b in zip(readings["onnx"], readings["torch"]):
        assert abs(a.probability - b.probability) < 1e-4
        assert (a.start, a.end, a.answer) == (b.start, b.end, b.answer)


def test_an_unknown_reader_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="reader backend must be one of auto, onnx, torch"):
        SentenceReader(backend="tpu")


def test_reader_reads_nothing_for_no_sentences(reader: SentenceReader) -> None:
    assert reader.read("Anything?", []) == []


def test_missing_weights_give_a_clear_error(tmp_path) -> None:
    with pytest.raises(ModelLoadError, match="make train-reader"):
        SentenceReader(weights_dir=tmp_path).warm_up()


def test_config_rejects_bad_reader_settings() -> None:
    with pytest.raises(ValueError, match="reader"):
        Config(reader="llm")
    with pytest.raises(ValueError, match="reader_threshold"):
        Config(reader_threshold=1.5)


def test_combination_weighs_the_features_logistically() -> None:
    from rag.answer.trained import Combination

    alone = Combination()
    assert alone.probability([0.0, 5.0, -3.0]) == pytest.approx(0.5)  # the reader's logit only
    fitted = Combination(weights=(1.0, 2.0, 0.0), bias=-1.0)
    assert fitted.probability([1.0, 0.5, 0.0]) == pytest.approx(1 / (1 + math.exp(-1.0)))
    assert fitted.probability([1e6, 0, 0]) == pytest.approx(1.0)  # no overflow


def test_shipped_combination_is_the_fitted_one() -> None:
    from rag.answer.trained import Combination

    fit = json.loads((WEIGHTS_DIR / "calibration.json").read_text(encoding="utf-8"))["combination"]
    assert Combination.shipped().weights == tuple(fit["weights"])
