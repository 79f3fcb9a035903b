"""The squad2 suite's data: SQuAD 2.0 validation articles as documents and question rows.

Only the articles named "validation" in `eval/data/squad2_split.json` are read (the train and
calibration articles, and the train-set file, are for the reader; nothing here touches them).
Each article becomes one document, `<title>.txt`: the title on the first line, then its
paragraphs separated by blank lines. Each question becomes a `Question`:
- answerable: category `fact`, the gold span texts (deduplicated) as answers, the article's
  file as the one doc, and as evidence the sentence of the paragraph that holds the first
  gold span (split simply: after . ! or ? and a space, before a capital or a quote; it
  serves only the hit@k "supporting passage" check);
- `is_impossible`: category `unanswerable`, with no answers, docs or evidence.

Left out: SQuAD 1.1 files, the `plausible_answers` of unanswerable questions.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Sequence

from .schema import Question

SPLIT_FILE = Path(__file__).with_name("data") / "squad2_split.json"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


def load_split(path: Path = SPLIT_FILE) -> dict[str, Any]:
    """The article split (`validation`, `calibration`, `train` title lists and file names)."""
    split = json.loads(Path(path).read_text(encoding="utf-8"))
    for key in ("dev_file", "validation"):
        if key not in split:
            raise ValueError(f"{path}: the split has no {key!r}")
    return split


def validation_articles(dataset: dict[str, Any], titles: Sequence[str]) -> list[dict[str, Any]]:
    """The articles of a SQuAD file named in `titles`, in that order; a missing one raises."""
    by_title = {article["title"]: article for article in dataset.get("data", [])}
    missing = [t for t in titles if t not in by_title]
    if missing:
        raise ValueError(f"validation article(s) not in the SQuAD file: {', '.join(missing)}")
    return [by_title[t] for t in titles]


def file_name(title: str) -> str:
    """The document file an article is written to."""
    return f"{title}.txt"


def article_text(article: dict[str, Any]) -> str:
    """The document: the title (underscores as spaces), then the paragraphs, blank-line apart."""
    paragraphs = [p["context"].strip() for p in article["paragraphs"]]
    return "\n\n".join([article["title"].replace("_", " "), *paragraphs]) + "\n"


def sentence_at(text: str, offset: int) -> str:
    """The sentence of `text` holding the character at `offset`."""
    start = 0
    for boundary in _SENTENCE_END.finditer(text):
        if boundary.start() > offset:
            return text[start:boundary.start()].strip()
        start = boundary.end()
    return text[start:].strip()


def article_questions(article: dict[str, Any]) -> list[Question]:
    """One question row per SQuAD question of the article, in file order."""
    doc = file_name(article["title"])
    rows = []
    for paragraph in article["paragraphs"]:
        for qa in paragraph["qas"]:
            rows.append(_question(qa, paragraph["context"], doc))
    return rows


def _question(qa: dict[str, Any], context: str, doc: str) -> Question:
    text = " ".join(qa["question"].split())
    spans = [a for a in qa.get("answers", []) if a["text"].strip()]
    if qa.get("is_impossible"):
        return Question(id=qa["id"], question=text, category="unanswerable",
                        answers=(), docs=(), evidence=())
    if not spans:
        raise ValueError(f"SQuAD question {qa['id']!r} is answerable but has no answer text")
    answers = tuple(dict.fromkeys(a["text"].strip() for a in spans))
    evidence = sentence_at(context, int(spans[0]["answer_start"]))
    return Question(id=qa["id"], question=text, category="fact", answers=answers,
                    docs=(doc,), evidence=(evidence,))


def write_documents(articles: Sequence[dict[str, Any]], folder: Path) -> list[Path]:
    """Write one document per article into `folder` (other .txt files there are removed).

    A file whose text is already right is not rewritten, so the corpus key stays the same.
    """
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {file_name(a["title"]): article_text(a) for a in articles}
    for stale in folder.glob("*.txt"):
        if stale.name not in wanted:
            stale.unlink()
    paths = []
    for name, text in wanted.items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
