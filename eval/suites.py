"""The eval suites: which questions, over which documents, and where their data lives.

    seeds         eval/questions.jsonl over seeds/: the CI gate (`rag eval` as always)
    news-archive  <data>/news-archive/questions-dev.jsonl over all 2,225 articles in
                  <data>/news-archive/articles
    squad2        the validation articles of eval/data/squad2_split.json, read from
                  <data>/squad2/<dev_file>, one document each (`squad_suite.py`)

The data root `<data>` is `--data-dir`, else `$RAG_EVAL_DATA`, else `../shared/data` beside
the repository. The product never needs it: a suite whose data is absent raises
`SuiteMissing`, whose message says what is missing, and the runner skips it.

Left out: downloading the data, suites over other corpora.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cache import CACHE_ROOT, REPO
from .schema import Question, load_questions
from .squad_suite import (SPLIT_FILE, article_questions, load_split, validation_articles,
                          write_documents)

SEEDS = "seeds"
EXTERNAL_SUITES = ("news-archive", "squad2")
SUITES = (SEEDS, *EXTERNAL_SUITES)
ENV_DATA_DIR = "RAG_EVAL_DATA"
DEFAULT_DATA_DIR = REPO.parent / "shared" / "data"


class SuiteMissing(Exception):
    """A suite's data is not on this machine; the message says which file or folder."""


@dataclass(frozen=True)
class SuiteData:
    """What one external suite asks, and the folder of documents its index is built from."""

    name: str
    questions: tuple[Question, ...]
    source_dir: Path
    set_path: Path  # what the results name as the question set
    about: dict[str, Any]  # facts for the report (files read, articles measured)


def data_root(data_dir: Path | str | None = None) -> Path:
    """The external data folder: the argument, else $RAG_EVAL_DATA, else ../shared/data."""
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get(ENV_DATA_DIR, "").strip()
    return Path(env) if env else DEFAULT_DATA_DIR


def load_suite(name: str, root: Path, cache_root: Path = CACHE_ROOT) -> SuiteData:
    """The data of an external suite; `SuiteMissing` when its files are not under `root`."""
    if name == "news-archive":
        return news_archive(root)
    if name == "squad2":
        return squad2(root, cache_root)
    raise ValueError(f"unknown suite {name!r}; expected one of {', '.join(EXTERNAL_SUITES)}")


def news_archive(root: Path) -> SuiteData:
    """questions-dev.jsonl over the whole archive (follow-ups keep their `follows`)."""
    folder = Path(root) / "news-archive"
    questions_file, articles = folder / "questions-dev.jsonl", folder / "articles"
    _require(questions_file, articles)
    questions = tuple(load_questions(questions_file))
    return SuiteData("news-archive", questions, articles, questions_file,
                     {"data": str(folder), "articles": str(articles)})


def squad2(root: Path, cache_root: Path = CACHE_ROOT, split_file: Path = SPLIT_FILE) -> SuiteData:
    """The validation articles, written as documents under `cache_root`, and their questions."""
    split = load_split(split_file)
    dev_file = Path(root) / "squad2" / split["dev_file"]
    _require(dev_file)
    dataset = json.loads(dev_file.read_text(encoding="utf-8"))
    articles = validation_articles(dataset, split["validation"])
    docs = Path(cache_root) / "squad2-docs"
    write_documents(articles, docs)
    questions = tuple(q for article in articles for q in article_questions(article))
    about = {"data": str(dev_file), "validation": list(split["validation"]),
             "calibration": list(split.get("calibration", [])),
             "train": list(split.get("train", []))}
    return SuiteData("squad2", questions, docs, dev_file, about)


def _require(*paths: Path) -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise SuiteMissing(f"no data at {', '.join(missing)} (point --data-dir or ${ENV_DATA_DIR} "
                           "at the folder holding news-archive/ and squad2/)")
