"""The evaluation: question sets, a runner that scores the bot, and suites over external data.

`schema` loads and validates a set, `metrics` scores answers (`squad` the short answer, as
SQuAD 2.0 does), `report` writes the results, `runner` asks the questions through the public
`rag` API (`run_cli` backs `rag eval`), and `gate` holds the thresholds CI enforces.
`suites` (with `squad_suite`) loads the external suites, `cache` keeps their indexes and
`suite_runner` backs `rag eval --suite`. Nothing here imports `rag` internals.
"""
