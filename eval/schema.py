"""The question set: one JSON object a line, loaded into frozen `Question` records.

A row has the fields `id`, `question`, `category`, `answers`, `docs`, `evidence` and,
optionally, `follows` (the id of an earlier question whose turn is replayed as history) and
`given` (an object: what the bot answered when a person voted it down, kept by
`rag feedback --to-eval`; it is not scored).
`evidence` is the supporting sentence copied from the article, or, when the answer needs
several documents, a list with one sentence per entry of `docs`.

Any malformed row raises `ValueError` naming its line number and the problem. This module
checks shape only; whether the evidence really stands in the documents is a test of the set
(`tests/test_eval_schema.py`), not of every user's set.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, NoReturn

CATEGORIES = ("fact", "paraphrase", "cross_doc", "follow_up", "unanswerable")
REQUIRED = ("id", "question", "category", "answers", "docs", "evidence")
OPTIONAL = ("follows", "given")
DEFAULT_SET = Path(__file__).with_name("questions.jsonl")


@dataclass(frozen=True)
class Question:
    """One question of the set, with what counts as a correct answer."""

    id: str
    question: str
    category: str
    answers: tuple[str, ...]  # accepted answers; any one of them makes the answer right
    docs: tuple[str, ...]  # file names of the supporting documents
    evidence: tuple[str, ...]  # one supporting sentence per document in `docs`
    follows: str | None = None
    line: int = 0

    @property
    def answerable(self) -> bool:
        """Whether the documents hold the answer."""
        return self.category != "unanswerable"


def load_questions(path: Path | str = DEFAULT_SET) -> list[Question]:
    """Read and validate a question set file; `ValueError` names the file and the bad line."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        return parse_questions(text.splitlines())
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def parse_questions(lines: Iterable[str]) -> list[Question]:
    """Validate JSONL lines (blank lines are skipped) and return the questions in order."""
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        question = _parse_row(raw, number)
        if question.id in seen:
            _fail(number, f"duplicate id {question.id!r} (first on line {seen[question.id]})")
        if question.follows is not None and question.follows not in seen:
            _fail(number, f"follows {question.follows!r}, which is not an id on an earlier line")
        seen[question.id] = number
        questions.append(question)
    if not questions:
        raise ValueError("the question set is empty")
    return questions


def _parse_row(raw: str, number: int) -> Question:
    try:
        row = json.loads(raw)
    except json.JSONDecodeError as exc:
        _fail(number, f"not valid JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(row, dict):
        _fail(number, f"expected a JSON object, got {type(row).__name__}")
    missing = [k for k in REQUIRED if k not in row]
    if missing:
        _fail(number, f"missing field(s): {', '.join(missing)}")
    extra = sorted(set(row) - set(REQUIRED) - set(OPTIONAL))
    if extra:
        _fail(number, f"unknown field(s): {', '.join(extra)}")
    for key in ("id", "question", "category"):
        if not isinstance(row[key], str) or not row[key].strip():
            _fail(number, f"field {key!r} must be a non-empty string, got {row[key]!r}")
    if row["category"] not in CATEGORIES:
        _fail(number, f"unknown category {row['category']!r}; expected one of {', '.join(CATEGORIES)}")
    answers = _string_list(row, "answers", number)
    docs = _string_list(row, "docs", number)
    evidence = _evidence(row["evidence"], docs, number)
    follows = row.get("follows")
    if follows is not None and (not isinstance(follows, str) or not follows.strip()):
        _fail(number, f"field 'follows' must be an id string or null, got {follows!r}")
    if not isinstance(row.get("given", {}), dict):
        _fail(number, f"field 'given' must be an object (the answer voted down), got {row['given']!r}")
    if "given" in row and row["category"] != "unanswerable" and not answers:
        _fail(number, f"{row['id']!r} comes from feedback and needs its accepted answers: fill in "
                      "'answers' (and check 'docs' and 'evidence'), or make it 'unanswerable'")
    _check_category(row["category"], answers, docs, evidence, follows, number)
    return Question(id=row["id"], question=row["question"], category=row["category"],
                    answers=answers, docs=docs, evidence=evidence, follows=follows, line=number)


def _string_list(row: dict[str, Any], key: str, number: int) -> tuple[str, ...]:
    value = row[key]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        _fail(number, f"field {key!r} must be a list of non-empty strings, got {value!r}")
    return tuple(value)


def _evidence(value: Any, docs: tuple[str, ...], number: int) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value for _ in docs) if value.strip() else ()
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        if len(value) != len(docs):
            _fail(number, f"evidence has {len(value)} sentences but docs has {len(docs)} entries")
        return tuple(value)
    _fail(number, f"field 'evidence' must be a string or a list of strings, got {value!r}")


def _check_category(category: str, answers: tuple[str, ...], docs: tuple[str, ...],
                    evidence: tuple[str, ...], follows: str | None, number: int) -> None:
    if category == "unanswerable":
        if answers or docs or evidence:
            _fail(number, "an unanswerable question must have empty answers, docs and evidence")
        return
    for key, value in (("answers", answers), ("docs", docs), ("evidence", evidence)):
        if not value:
            _fail(number, f"an answerable ({category}) question needs non-empty {key}")
    if category == "cross_doc" and len(set(docs)) < 2:
        _fail(number, "a cross_doc question needs at least two different docs")
    if category == "follow_up" and follows is None:
        _fail(number, "a follow_up question needs 'follows' (the id of the first question)")


def _fail(number: int, problem: str) -> NoReturn:
    raise ValueError(f"line {number}: {problem}")
