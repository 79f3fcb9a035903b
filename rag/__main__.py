"""`python -m rag ...`: the `rag` command without its console script (same as `rag ...`)."""
from rag.cli import main

if __name__ == "__main__":
    main(prog_name="rag")
