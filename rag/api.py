"""The public Python API: `RAG` builds or loads an index and answers questions with citations.

    from rag import RAG
    bot = RAG.open("index", sources=["seeds"])   # load; build or update first if needed
    answer = bot.ask("When did Choe Ryong-hae arrive in Beijing?")
    print(answer.text, [c.source for c in answer.citations])

Everything the CLI, the web app and the evaluation do goes through this class.
Left out: user messages (the CLI and UI write those from the exceptions raised here).
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Sequence

from .answer.trained import ReaderComposer
from .compose import Composer
from .config import Config
from .embedding import Embedder
from .errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError, IndexOutdatedError, NoDocumentsError
from .index import IndexData, load_index, read_manifest, save_index
from .indexing import update_index
from .ingest import load_documents
from .questions import clean_question, contextualize, normalize_history
from .retrieve import Retriever
from .types import Answer, DocumentInfo, IndexReport, Passage

os.environ.setdefault("HF_HUB_OFFLINE", "1")
DEFAULT_INDEX_DIR = Path("index")
DEFAULT_SOURCES = (Path("seeds"),)
Progress = Callable[[str], None]
PathLike = str | os.PathLike


@dataclass(frozen=True)
class _State:
    data: IndexData
    retriever: Retriever
    composer: Composer


class RAG:
    """A question-answering bot over one index. Thread-safe for concurrent `ask` calls."""

    def __init__(self, data: IndexData, *, index_dir: PathLike, embedder: Embedder | None = None,
                 composer: Composer | None = None, report: IndexReport | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.embedder = embedder or Embedder(model=data.config.model)
        self._custom_composer = composer
        self._state = self._make_state(data)
        self._write_lock = threading.Lock()
        self.last_report = report

    def _make_state(self, data: IndexData) -> _State:
        return _State(data, Retriever(data, self.embedder), self._custom_composer or ReaderComposer(data, self.embedder.encode))

    @property
    def config(self) -> Config:
        """The settings in force (index settings as built, query settings as given)."""
        return self._state.data.config

    # ---- building and loading ----
    @classmethod
    def build(cls, paths: Sequence[PathLike] | None = None, index_dir: PathLike = DEFAULT_INDEX_DIR,
              config: Config | None = None, progress: Progress | None = None) -> "RAG":
        """Index the files and folders in `paths` into `index_dir`, re-embedding only what changed.

        Documents no longer among `paths` are dropped. An index built with other index
        settings, or a damaged one, is rebuilt from scratch.
        """
        config = config or Config()
        previous = _previous_index(Path(index_dir), progress)
        docs, skipped = load_documents(list(paths or DEFAULT_SOURCES))
        if not docs:
            why = "; ".join(f"{s.path}: {s.reason}" for s in skipped) or "no .txt or .md files found"
            raise NoDocumentsError(f"nothing to index in {', '.join(map(str, paths or DEFAULT_SOURCES))} ({why})")
        embedder = Embedder(model=config.model)
        data, report = update_index(previous, docs, config=config, embedder=embedder, prune=True,
                                    skipped=skipped, progress=progress)
        if report.changed or previous is None:
            save_index(data, Path(index_dir))
        return cls(data, index_dir=index_dir, embedder=embedder, report=report)

    @classmethod
    def load(cls, index_dir: PathLike = DEFAULT_INDEX_DIR, config: Config | None = None) -> "RAG":
        """Load a built index; with `config`, refuse one built with other index settings."""
        return cls(load_index(Path(index_dir), config), index_dir=index_dir)

    @classmethod
    def open(cls, index_dir: PathLike = DEFAULT_INDEX_DIR, sources: Sequence[PathLike] | None = None,
             config: Config | None = None, progress: Progress | None = None) -> "RAG":
        """Load the index, first building it if missing or updating it if `sources` changed."""
        say = progress or (lambda _m: None)
        index_dir = Path(index_dir)
        sources = list(sources or DEFAULT_SOURCES)
        try:
            if not _stale(index_dir, sources, config):
                return cls.load(index_dir, config)
            say(f"Updating the index in {index_dir} from {', '.join(map(str, sources))}...")
        except IndexNotFoundError:
            say(f"No index in {index_dir} yet: building it from {', '.join(map(str, sources))}...")
        except IndexOutdatedError:
            say(f"The index in {index_dir} was built by another version of rag: rebuilding it...")
        return cls.build(sources, index_dir=index_dir, config=config, progress=progress)

    def add(self, paths: Sequence[PathLike], progress: Progress | None = None) -> IndexReport:
        """Index more files, keeping everything already indexed; saved at once."""
        docs, skipped = load_documents(list(paths))
        with self._write_lock:
            data, report = update_index(self._state.data, docs, config=self.config, embedder=self.embedder,
                                        prune=False, skipped=skipped, progress=progress)
            if report.changed:
                save_index(data, self.index_dir)
                self._state = self._make_state(data)
        self.last_report = report
        return report

    def with_settings(self, **settings: Any) -> "RAG":
        """A bot over the same index with other query settings (e.g. `retrieval="dense"`)."""
        clone = object.__new__(RAG)
        clone.__dict__.update(self.__dict__)
        clone._state = self._make_state(_with_config(self._state.data, **settings))
        return clone

    # ---- questions ----
    def retrieve(self, question: str, k: int | None = None, history: Sequence[Any] | None = None,
                 **settings: Any) -> list[Passage]:
        """The top-k passages for the question (in the context of `history`)."""
        state, config, text, _ = self._prepare(question, k, settings)
        query = state.retriever.prepare(contextualize(text, history), fuzzy=config.fuzzy_names)
        return state.retriever.search(query, k=config.top_k, config=config)

    def ask(self, question: str, history: Sequence[Any] | None = None, top_k: int | None = None,
            **settings: Any) -> Answer:
        """Answer the question from the documents, with `[n]` citations, or abstain."""
        state, config, text, notes = self._prepare(question, top_k, settings)
        query = state.retriever.prepare(contextualize(text, history), fuzzy=config.fuzzy_names)
        passages = state.retriever.search(query, k=config.top_k, config=config)
        answer = state.composer.compose(text, passages, query=query, config=config,
                                        history=normalize_history(history))
        if notes:
            answer = replace(answer, notes=tuple(notes) + answer.notes)
        return answer

    def _prepare(self, question: str, k: int | None, settings: dict[str, Any]) -> tuple[_State, Config, str, list[str]]:
        if not isinstance(question, str):
            raise TypeError(f"question must be a string, got {type(question).__name__}")
        text = " ".join(clean_question(question).split())
        if not text:
            raise ValueError("the question is empty: ask something about the documents")
        state = self._state
        if k is not None:
            settings = {**settings, "top_k": k}
        config = state.data.config.with_overrides(**settings) if settings else state.data.config
        notes = []
        if len(text) > config.max_question_chars:
            notes.append(f"The question is long: only its first {config.max_question_chars} "
                         "characters were used to search.")
            text = text[: config.max_question_chars]
        return state, config, text, notes

    # ---- what is indexed ----
    def documents(self) -> list[DocumentInfo]:
        """The indexed documents with their metadata and chunk counts."""
        data = self._state.data
        counts: dict[str, int] = {}
        for c in data.chunks:
            counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
        return [DocumentInfo(id=d.id, source=d.source, title=d.title, date=d.date, byline=d.byline,
                             n_chunks=counts.get(d.id, 0)) for d in data.documents]


def _with_config(data: IndexData, **settings: Any) -> IndexData:
    config = data.config.with_overrides(**settings)
    if config.index_settings() != data.config.index_settings():
        raise ValueError("index settings (model, encoding, chunk_tokens, chunk_overlap) cannot change "
                         "on a loaded index: rebuild it with RAG.build(..., config=...)")
    return replace(data, config=config)


def _previous_index(index_dir: Path, progress: Progress | None) -> IndexData | None:
    try:
        return load_index(index_dir)
    except IndexNotFoundError:
        return None
    except (IndexCorruptError, IndexMismatchError) as exc:
        if progress:
            progress(f"Rebuilding the index from scratch: {exc}")
        return None


def _stale(index_dir: Path, sources: Sequence[PathLike], config: Config | None) -> bool:
    """Whether the documents in `sources` differ from those indexed (raises if no index)."""
    manifest = read_manifest(index_dir)
    docs, _ = load_documents(list(sources))
    indexed = {(doc_id, meta.get("source")) for doc_id, meta in manifest.get("documents", {}).items()}
    if config is not None and manifest.get("settings") != config.index_settings():
        return True
    return indexed != {(d.id, d.source) for d in docs}
