"""Progress of long runs: messages, and a bar with rate and ETA where someone is watching.

Library code takes a `progress` callable for one-line messages. If that object also has a
`bar(total, description)` method (as `TerminalProgress` has), long steps such as embedding
report through it; otherwise they report nothing more. The library itself never prints.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager, nullcontext
from typing import Any, Callable, ContextManager, Iterator

Tick = Callable[[int], None]


def bar(progress: Any, total: int, description: str) -> ContextManager[Tick]:
    """A context giving `tick(n)` to call as work is done; a no-op unless `progress` has `bar`."""
    make = getattr(progress, "bar", None)
    if callable(make):
        return make(total, description)
    return nullcontext(lambda _n: None)


class TerminalProgress:
    """Messages to stderr, and a tqdm bar (rate, ETA) when stderr is a terminal."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix

    def __call__(self, message: str) -> None:
        print(f"{self.prefix}{message}", file=sys.stderr, flush=True)

    @contextmanager
    def bar(self, total: int, description: str) -> Iterator[Tick]:
        """A tqdm bar over `total` items (silent when stderr is not a terminal)."""
        from tqdm import tqdm

        with tqdm(total=total, desc=description, unit=" texts", file=sys.stderr, disable=None,
                  dynamic_ncols=True, mininterval=0.5) as shown:
            yield shown.update
