"""The CI gate: headline metrics must not fall below the thresholds in `thresholds.json`.

Thresholds sit just under what the seeds measure now and are only ever raised. Latency is
not gated: timing belongs in benchmarks, not in pass/fail checks.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

THRESHOLDS_FILE = Path(__file__).with_name("thresholds.json")


def load_thresholds(path: Path = THRESHOLDS_FILE) -> dict[str, float]:
    """Read the thresholds; each must be a number between 0 and 1."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object of metric -> threshold")
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f"{path}: threshold {key}={value!r} must be a number between 0 and 1")
    return {key: float(value) for key, value in data.items()}


def check_thresholds(metrics: Mapping[str, Any], thresholds: Mapping[str, float]) -> list[str]:
    """One message per metric below its threshold (or missing or undefined); empty if all pass."""
    failures = []
    for key, minimum in thresholds.items():
        value = metrics.get(key)
        if value is None:
            state = "missing" if key not in metrics else "undefined"
            failures.append(f"{key} is {state} (threshold {minimum:.3f})")
        elif value < minimum:
            failures.append(f"{key} = {value:.3f} is below its threshold {minimum:.3f}")
    return failures
