"""The evaluation: a question set over the seed articles and a runner that scores the bot.

`schema` loads and validates a set, `metrics` scores answers, `report` writes the results,
`runner` asks the questions through the public `rag` API (`run_cli` backs `rag eval`), and
`gate` holds the thresholds CI enforces. Nothing here imports `rag` internals.
"""
