"""The external eval suites on tiny synthetic data: loaders, the cache key, the skip message.

No real archive is needed: a fake SQuAD file of three articles (two named "validation" by a
fake split, one not) and a fake news archive of three articles and four questions, under
tmp_path. The run over a real (tiny) index is in test_eval_suite_run.py.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from eval.cache import corpus_files, corpus_key
from eval.squad_suite import article_text, sentence_at
from eval.suites import DEFAULT_DATA_DIR, ENV_DATA_DIR, SuiteMissing, data_root, load_suite, squad2
from rag.cli import main

NORMANS = ("The Normans were the people who gave their name to Normandy, a region in France. "
           "They were descended from Norse raiders. Their leader was Rollo.")
ENGINE = "A steam engine performs work using steam. Watt improved it in 1781."
HUGUENOT = "The Huguenots were French Protestants. They were persecuted."


def squad_article(title: str, context: str, qas: list[dict]) -> dict:
    """One SQuAD 2.0 article with a single paragraph."""
    return {"title": title, "paragraphs": [{"context": context, "qas": qas}]}


def qa(id: str, question: str, *spans: tuple[str, int], impossible: bool = False) -> dict:
    """A SQuAD question; `spans` are (text, answer_start); impossible ones have none."""
    return {"id": id, "question": question, "is_impossible": impossible,
            "answers": [{"text": t, "answer_start": s} for t, s in spans]}


@pytest.fixture()
def squad_root(tmp_path: Path) -> tuple[Path, Path]:
    """A data root with a 3-article squad2 file, and a split naming two as validation."""
    start = NORMANS.index("Rollo")
    articles = [
        squad_article("Normans", NORMANS, [
            qa("n1", "Who led  the Normans?", ("Rollo", start), ("Rollo", start), ("Rollo.", start)),
            qa("n2", "Who led the Danes?", impossible=True)]),
        squad_article("Huguenot", HUGUENOT, [qa("h1", "Who were the Huguenots?",
                                                ("French Protestants", 19))]),
        squad_article("Steam_engine", ENGINE, [qa("s1", "When did Watt improve it?",
                                                  ("1781", ENGINE.index("1781")))]),
    ]
    (tmp_path / "data" / "squad2").mkdir(parents=True)
    (tmp_path / "data" / "squad2" / "dev.json").write_text(
        json.dumps({"version": "v2.0", "data": articles}), encoding="utf-8")
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"dev_file": "dev.json", "validation": ["Steam_engine", "Normans"],
                                 "calibration": [], "train": ["Huguenot"]}), encoding="utf-8")
    return tmp_path / "data", split


def test_squad2_reads_only_the_validation_articles(squad_root: tuple[Path, Path], tmp_path: Path) -> None:
    root, split = squad_root
    suite = squad2(root, tmp_path / "cache", split)
    assert sorted(p.name for p in suite.source_dir.iterdir()) == ["Normans.txt", "Steam_engine.txt"]
    assert [q.id for q in suite.questions] == ["s1", "n1", "n2"]  # h1 (train) is left out
    assert suite.about["validation"] == ["Steam_engine", "Normans"]
    assert (suite.source_dir / "Steam_engine.txt").read_text(encoding="utf-8") == f"Steam engine\n\n{ENGINE}\n"


def test_squad2_rows_carry_answers_docs_and_the_evidence_sentence(squad_root: tuple[Path, Path],
                                                                  tmp_path: Path) -> None:
    s1, n1, n2 = squad2(*squad_root[:1], tmp_path / "cache", squad_root[1]).questions
    assert (n1.question, n1.category, n1.answers, n1.docs) == \
        ("Who led the Normans?", "fact", ("Rollo", "Rollo."), ("Normans.txt",))
    assert n1.evidence == ("Their leader was Rollo.",)
    assert s1.evidence == ("Watt improved it in 1781.",) and s1.docs == ("Steam_engine.txt",)
    assert (n2.category, n2.answers, n2.docs, n2.evidence, n2.answerable) == \
        ("unanswerable", (), (), (), False)


def test_squad2_removes_a_document_no_longer_measured(squad_root: tuple[Path, Path], tmp_path: Path) -> None:
    (tmp_path / "cache" / "squad2-docs").mkdir(parents=True)
    (tmp_path / "cache" / "squad2-docs" / "Huguenot.txt").write_text("old", encoding="utf-8")
    suite = squad2(squad_root[0], tmp_path / "cache", squad_root[1])
    assert "Huguenot.txt" not in {p.name for p in suite.source_dir.iterdir()}


def test_a_validation_article_missing_from_the_file_is_an_error(squad_root: tuple[Path, Path],
                                                                tmp_path: Path) -> None:
    split = squad_root[1]
    split.write_text(json.dumps({"dev_file": "dev.json", "validation": ["Normans", "Islamism"]}))
    with pytest.raises(ValueError, match="Islamism"):
        squad2(squad_root[0], tmp_path / "cache", split)


@pytest.mark.parametrize("offset,sentence", [
    (0, "The Normans were the people who gave their name to Normandy, a region in France."),
    (NORMANS.index("Norse"), "They were descended from Norse raiders."),
    (len(NORMANS) - 1, "Their leader was Rollo."),
])
def test_sentence_at(offset: int, sentence: str) -> None:
    assert sentence_at(NORMANS, offset) == sentence


def test_a_sentence_is_not_split_at_an_abbreviation_before_a_number() -> None:
    text = "He was born c. 1040 in Falaise. He died in 1087."
    assert sentence_at(text, text.index("Falaise")) == "He was born c. 1040 in Falaise."


def test_article_text_is_the_title_then_the_paragraphs() -> None:
    article = {"title": "Steam_engine", "paragraphs": [{"context": " One. "}, {"context": "Two."}]}
    assert article_text(article) == "Steam engine\n\nOne.\n\nTwo.\n"


def write_archive(root: Path) -> Path:
    """A fake news-archive: four articles (one Latin-1, one a duplicate) and four questions."""
    articles = root / "news-archive" / "articles"
    articles.mkdir(parents=True)
    (articles / "business_001.txt").write_text("Shares fall\n\nShares in Solidere fell 15%.\n")
    (articles / "business_002.txt").write_text("Shares fall\n\nShares in Solidere fell 15%.\n")
    (articles / "sport_199.txt").write_bytes("Café win\n\nThe café team won 3-1.\n".encode("latin-1"))
    (articles / "tech_010.txt").write_text("Chip sales\n\nChip sales rose 8% in March.\n")
    rows = [
        {"id": "q1", "question": "By how much did Solidere shares fall?", "category": "fact",
         "answers": ["15%"], "docs": ["business_001.txt", "business_002.txt"],
         "evidence": "Shares in Solidere fell 15%.", "follows": None},
        {"id": "q2", "question": "Which firm was it?", "category": "follow_up", "answers": ["Solidere"],
         "docs": ["business_001.txt"], "evidence": "Shares in Solidere fell 15%.", "follows": "q1"},
        {"id": "q3", "question": "How much more chips were sold?", "category": "paraphrase",
         "answers": ["8%"], "docs": ["tech_010.txt"], "evidence": "Chip sales rose 8% in March.",
         "follows": None},
        {"id": "q4", "question": "Who won the 1930 World Cup?", "category": "unanswerable",
         "answers": [], "docs": [], "evidence": ""},
    ]
    (root / "news-archive" / "questions-dev.jsonl").write_text(
        "\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return articles


def test_news_archive_reads_the_questions_over_the_articles_folder(tmp_path: Path) -> None:
    articles = write_archive(tmp_path)
    suite = load_suite("news-archive", tmp_path, tmp_path / "cache")
    assert suite.source_dir == articles
    assert [(q.id, q.category, q.follows) for q in suite.questions] == [
        ("q1", "fact", None), ("q2", "follow_up", "q1"), ("q3", "paraphrase", None),
        ("q4", "unanswerable", None)]
    assert suite.questions[0].docs == ("business_001.txt", "business_002.txt")


@pytest.mark.parametrize("name", ["news-archive", "squad2"])
def test_a_suite_without_data_is_missing_with_the_path(tmp_path: Path, name: str) -> None:
    with pytest.raises(SuiteMissing, match=f"no data at {tmp_path / 'absent' / name}"):
        load_suite(name, tmp_path / "absent", tmp_path / "cache")


def test_data_root_option_then_environment_then_default(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_DATA_DIR, raising=False)
    assert data_root() == DEFAULT_DATA_DIR and DEFAULT_DATA_DIR.parts[-2:] == ("shared", "data")
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path / "env"))
    assert data_root() == tmp_path / "env"
    assert data_root(tmp_path / "opt") == tmp_path / "opt"


def test_the_cache_key_follows_names_contents_and_settings(tmp_path: Path) -> None:
    articles = write_archive(tmp_path)
    settings = {"model": "m", "chunk_tokens": 160}
    key = corpus_key(corpus_files(articles), settings)
    assert corpus_key(corpus_files(articles), settings) == key  # nothing changed
    assert corpus_key(corpus_files(articles), {**settings, "chunk_tokens": 120}) != key
    (articles / "business_002.txt").write_text("Shares rise\n\nShares in Solidere rose 2%.\n")
    changed = corpus_key(corpus_files(articles), settings)
    assert changed != key
    (articles / "business_002.txt").rename(articles / "business_003.txt")
    assert corpus_key(corpus_files(articles), settings) not in (key, changed)


@pytest.mark.parametrize("name", ["news-archive", "squad2"])
@pytest.mark.parametrize("as_json", [False, True])
def test_rag_eval_skips_a_suite_without_data(tmp_path: Path, name: str, as_json: bool) -> None:
    absent = tmp_path / "absent"
    args = ["eval", "--suite", name, "--data-dir", str(absent), "--cache-dir", str(tmp_path / "c"),
            "--out", str(tmp_path / "out")] + (["--json"] if as_json else [])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    if as_json:
        assert json.loads(result.stdout)["skipped"].startswith(f"no data at {absent / name}")
    else:
        assert result.stdout.startswith(f"Skipped the {name} suite: no data at {absent / name}")
    assert not (tmp_path / "out").exists() and not (tmp_path / "c").exists()


def test_rag_eval_refuses_a_question_set_for_an_external_suite(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["eval", "--suite", "squad2", "--set", str(tmp_path / "q.jsonl")])
    assert result.exit_code == 2 and "--set applies to the seeds suite" in result.output
