"""An external suite end to end over a tiny fake news archive: the real model and FAISS build
the cached index once, a second run reuses it, and the results land in OUT/<suite>/."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.cache import KEY_FILE, cached_index
from eval.suite_runner import run_external, run_suites
from tests.test_eval_suites import write_archive


def test_the_index_is_built_once_and_rebuilt_when_a_file_changes(tmp_path: Path) -> None:
    articles = write_archive(tmp_path)
    first = cached_index("news-archive", articles, cache_root=tmp_path / "cache")
    again = cached_index("news-archive", articles, cache_root=tmp_path / "cache")
    assert (first.built, again.built) == (True, False)
    assert again.folder == first.folder and (first.folder / KEY_FILE).exists()
    assert again.build_seconds == pytest.approx(first.build_seconds, abs=0.01)
    # the duplicate is indexed once, the Latin-1 file skipped: as the product does
    assert {d.name for d in again.bot.documents()} == {"business_001.txt", "tech_010.txt"}
    (articles / "tech_010.txt").write_text("Chip sales\n\nChip sales fell 2% in April.\n")
    changed = cached_index("news-archive", articles, cache_root=tmp_path / "cache")
    assert changed.built and changed.folder != first.folder


def test_run_external_prints_tables_and_writes_results_under_the_suite_name(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_archive(tmp_path)
    code = run_external("news-archive", root=tmp_path, cache_root=tmp_path / "cache",
                        out_dir=tmp_path / "out" / "news-archive", compare=[], as_json=False)
    printed = capsys.readouterr().out
    assert code == 0
    assert "## news-archive: 4 questions over 2 documents (index built now" in printed
    assert "| short-answer F1 (SQuAD) |" in printed and "| doc hit@5 (supporting article) |" in printed
    assert "| category | n | accuracy | EM | F1 | citation | doc hit@5 | abstained |" in printed
    out = tmp_path / "out" / "news-archive"
    assert sorted(p.name for p in out.iterdir()) == ["results.json", "results.md", "results.png"]
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert data["about"]["suite"] == "news-archive" and data["about"]["documents"] == 2
    run = data["runs"][0]
    assert list(run["category_scores"]) == ["fact", "paraphrase", "follow_up", "unanswerable"]
    assert {"short_em", "short_f1", "doc_hit_at_5"} <= set(run["metrics"])
    follow_up = next(q for q in run["questions"] if q["id"] == "q2")
    assert follow_up["doc_hit"] is not None and "prediction" in follow_up


def test_all_runs_every_suite_and_skips_the_absent_ones(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    write_archive(tmp_path / "data")  # news-archive present, squad2 absent
    seeds_set = tmp_path / "one.jsonl"
    seeds_set.write_text(json.dumps({"id": "u1", "question": "What is the capital of Australia?",
                                     "category": "unanswerable", "answers": [], "docs": [],
                                     "evidence": ""}) + "\n", encoding="utf-8")
    code = run_suites("all", data_dir=tmp_path / "data", cache_dir=tmp_path / "cache",
                      out_dir=tmp_path / "out", compare=[], as_json=True, set_path=seeds_set,
                      index_dir=tmp_path / "seed-index", sources=[tmp_path / "data" / "news-archive"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert [line.get("suite") for line in lines] == [None, "news-archive", "squad2"]
    assert lines[0]["n_questions"] == 1 and lines[1]["n_questions"] == 4
    assert lines[2]["skipped"].startswith(f"no data at {tmp_path / 'data' / 'squad2'}")
    assert (tmp_path / "out" / "results.json").exists()
    assert (tmp_path / "out" / "news-archive" / "results.json").exists()
