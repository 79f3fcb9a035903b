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
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from .answer.llm import LLMComposer
from .answer.trained import ReaderComposer
from .compose import Composer
from .config import Config
from .embedding import Embedder
from .corpus import UPLOADS_FOLDER, absolute, commit_staged, stage_uploads
from .errors import IndexNotFoundError, IndexOutdatedError
from .index import IndexData, load_index, save_index
from .questions import clean_question, contextualize, normalize_history
from .retrieve import Retriever
from .storage import ChangeWatcher, live_token, remove_empty_index_folder, writer_lock
from .sync import add_paths, add_uploads, check_exist, delete_files, drop, is_stale, sync
from .types import Answer, DocumentInfo, IndexReport, Passage, SourceSet

os.environ.setdefault("HF_HUB_OFFLINE", "1")
DEFAULT_INDEX_DIR = Path("index")
DEFAULT_SOURCES = (Path("seeds"),)
Progress = Callable[[str], None]
PathLike = str | os.PathLike
RELOAD_CHECK_SECONDS = 1.0  # how often `ask` looks whether another process wrote the index


@dataclass(frozen=True)
class _State:
    data: IndexData
    retriever: Retriever
    composer: Composer


class RAG:
    """A question-answering bot over one index. Thread-safe for concurrent `ask` calls.

    Writes (`build`, `add`, `upload`, `remove`) hold the index folder's lock and start from
    the index as it is on disk; `ask` picks up an index another process wrote (`refresh`).
    """

    def __init__(self, data: IndexData, *, index_dir: PathLike, embedder: Embedder | None = None,
                 composer: Composer | None = None, report: IndexReport | None = None,
                 token: str | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.embedder = embedder or Embedder(model=data.config.model)
        self._custom_composer = composer
        self._state = self._make_state(data)
        # picks up an index another process wrote, in the background, while questions go on
        self._watcher = ChangeWatcher(self.index_dir, token, self.refresh, RELOAD_CHECK_SECONDS)
        self.last_report = report

    def _make_state(self, data: IndexData) -> _State:
        encode = self.embedder.encode
        composer = self._custom_composer or LLMComposer(data, encode, ReaderComposer(data, encode))
        return _State(data, Retriever(data, self.embedder), composer)

    @property
    def sources(self) -> SourceSet:
        """The index's corpus of record: its source folders and files, upload folder, left-out files."""
        return self._state.data.sources

    @property
    def config(self) -> Config:
        """The settings in force (index settings as built, query settings as given)."""
        return self._state.data.config

    # ---- building and loading ----
    @classmethod
    def build(cls, paths: Sequence[PathLike] | None = None, index_dir: PathLike = DEFAULT_INDEX_DIR,
              config: Config | None = None, progress: Progress | None = None, *, rebuild: bool = False,
              uploads: PathLike | None = None) -> "RAG":
        """Bring the index in `index_dir` in step with its sources plus `paths`; embed only what changed.

        The index remembers its sources (folders and files; `seeds/` for a new index given
        none): `paths` are added to them, never replace them. A document leaves only through
        `remove` or when its file is deleted. An index built with other index settings, a
        damaged one, or any with `rebuild`, is rebuilt from its documents. Uploads are stored
        in `uploads` (default: `corpus/` inside `index_dir`).
        """
        config = config or Config()
        index_dir = Path(index_dir)
        embedder = Embedder(model=config.model)
        created = not index_dir.exists()
        try:
            with writer_lock(index_dir, on_wait=progress):
                data, report = sync(index_dir, list(paths or ()), config, embedder, default=DEFAULT_SOURCES,
                                    rebuild=rebuild, uploads=uploads, progress=progress)
                token = live_token(index_dir)
        except BaseException:
            if created:  # a first build that failed leaves nothing behind
                remove_empty_index_folder(index_dir)
            raise
        return cls(data, index_dir=index_dir, embedder=embedder, report=report, token=token)

    @classmethod
    def load(cls, index_dir: PathLike = DEFAULT_INDEX_DIR, config: Config | None = None) -> "RAG":
        """Load a built index; with `config`, refuse one built with other index settings."""
        token = live_token(Path(index_dir))
        return cls(load_index(Path(index_dir), config), index_dir=index_dir, token=token)

    @classmethod
    def open(cls, index_dir: PathLike = DEFAULT_INDEX_DIR, sources: Sequence[PathLike] | None = None,
             config: Config | None = None, progress: Progress | None = None, *,
             uploads: PathLike | None = None) -> "RAG":
        """Load the index, first building it if missing or updating it if its sources changed.

        `sources` are added to the index's own (see `build`); none means the stored ones.
        """
        say = progress or (lambda _m: None)
        index_dir = Path(index_dir)
        given = list(sources or ())
        check_exist(given)
        try:
            if not is_stale(index_dir, given, config, uploads):
                return cls.load(index_dir, config)
            say(f"Updating the index in {index_dir}...")
        except IndexNotFoundError:
            say(f"No index in {index_dir} yet: building it from "
                f"{', '.join(map(str, given or DEFAULT_SOURCES))}...")
        except IndexOutdatedError:
            say(f"The index in {index_dir} was built by another version of rag: rebuilding it...")
        return cls.build(given, index_dir=index_dir, config=config, progress=progress, uploads=uploads)

    def add(self, paths: Sequence[PathLike], progress: Progress | None = None) -> IndexReport:
        """Index more files or folders and add them to the sources; saved at once."""
        check_exist(paths)
        with writer_lock(self.index_dir, on_wait=progress):
            new, report = add_paths(self._fresh_locked(), paths, self.embedder, progress)
            self._save_locked(new, report.changed)
        self.last_report = report
        return report

    def upload(self, files: Sequence[tuple[str, bytes]], progress: Progress | None = None) -> IndexReport:
        """Store files sent by a person (name, bytes) in the upload folder and index them.

        Names are made safe and unique (nothing stored is ever overwritten). A file whose
        text is already indexed, or that cannot be read, is not kept. If indexing fails or
        the process is killed, the upload folder and the index stay as they were.
        """
        with writer_lock(self.index_dir, on_wait=progress):
            data = live = self._fresh_locked()
            folder = Path(data.sources.uploads or absolute(self.index_dir / UPLOADS_FOLDER))
            try:
                new, report = add_uploads(data, folder, stage_uploads(folder, files), self.embedder, progress)
                self._save_locked(new, report.changed)
                live = new
            finally:  # moves in what the live index holds; deletes the rest
                commit_staged(folder, [absolute(d.source) for d in live.documents])
        self.last_report = report
        return report

    def remove(self, items: Sequence[str], progress: Progress | None = None) -> IndexReport:
        """Take documents (by file name or path) or whole sources out of the index.

        An uploaded file is deleted from the upload folder; a file of a source folder stays
        on disk and is left out from then on (indexing it again by name brings it back).
        """
        with writer_lock(self.index_dir, on_wait=progress):
            new, report, files = drop(self._fresh_locked(), items, self.embedder)
            delete_files(files)
            self._save_locked(new, True)
        self.last_report = report
        return report

    def refresh(self) -> bool:
        """Load the index again if another process changed it since; True if it did."""
        token = live_token(self.index_dir)
        if token == self._watcher.seen:
            return False
        self._set_data(_reloaded(self.index_dir, self._state.data.config), token)
        return True

    def _fresh_locked(self) -> IndexData:
        """The live index, as on disk now (another process may have written it)."""
        self.refresh()
        return self._state.data

    def _save_locked(self, data: IndexData, changed: bool) -> None:
        if changed:
            data = save_index(data, self.index_dir)  # with the stores it was written to
            self._set_data(data, live_token(self.index_dir))

    def _set_data(self, data: IndexData, token: str | None) -> None:
        if data.config.model != self.embedder.model_name:
            self.embedder = Embedder(model=data.config.model)
        self._state = self._make_state(data)
        self._watcher.seen = token

    def with_settings(self, **settings: Any) -> "RAG":
        """A bot over the same index with other query settings (e.g. `retrieval="dense"`)."""
        clone = object.__new__(RAG)
        clone.__dict__.update(self.__dict__)
        clone._state = self._make_state(_with_config(self._state.data, **settings))
        clone._watcher = ChangeWatcher(self.index_dir, self._watcher.seen, clone.refresh, RELOAD_CHECK_SECONDS)
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
        """Answer the question from the documents, with `[n]` citations, or abstain.
        With `answerer="llm"` a language model writes it and its citations are checked;
        `LLMError` if its server fails."""
        state, config, text, notes, query, passages, timings = self._search(question, history, top_k, settings)
        answer = state.composer.compose(text, passages, query=query, config=config,
                                        history=normalize_history(history))
        return _finished(answer, notes, timings)

    def ask_stream(self, question: str, history: Sequence[Any] | None = None, top_k: int | None = None,
                   **settings: Any) -> Iterator[str | Answer]:
        """As `ask`, but yields the answer's text in pieces as a language model writes it
        (`answerer="llm"`), then the checked `Answer`, which may differ from the pieces:
        unsupported sentences are left out. The extractive answerer yields the `Answer` alone."""
        state, config, text, notes, query, passages, timings = self._search(question, history, top_k, settings)
        stream = getattr(state.composer, "compose_stream", None)
        if stream is None:  # a custom composer that cannot stream
            yield _finished(state.composer.compose(text, passages, query=query, config=config,
                                                   history=normalize_history(history)), notes, timings)
            return
        for item in stream(text, passages, query=query, config=config, history=normalize_history(history)):
            yield _finished(item, notes, timings) if isinstance(item, Answer) else item

    def _search(self, question: str, history: Sequence[Any] | None, top_k: int | None,
                settings: dict[str, Any]) -> tuple[_State, Config, str, list[str], Any, list[Passage], dict[str, float]]:
        """What answering needs: the state, settings, cleaned question, its notes, the query and
        passages, and the time each step took (the answer's time is added by `_finished`)."""
        self._watcher.poll()
        state, config, text, notes = self._prepare(question, top_k, settings)
        started = time.perf_counter()
        query = state.retriever.prepare(contextualize(text, history), fuzzy=config.fuzzy_names)
        embedded = time.perf_counter()
        passages = state.retriever.search(query, k=config.top_k, config=config)
        searched = time.perf_counter()
        timings = {"embed": (embedded - started) * 1000, "search": (searched - embedded) * 1000,
                   "started": searched}
        return state, config, text, notes, query, passages, timings

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
        counts = data.chunk_table().counts()
        return [DocumentInfo(id=d.id, source=d.source, title=d.title, date=d.date, byline=d.byline,
                             n_chunks=counts.get(d.id, 0)) for d in data.documents]

    def document_text(self, source: str) -> str:
        """The cleaned text of the indexed document whose source (a citation's `path`) or file
        name is `source`: the text that citation spans point into. `KeyError` if none is."""
        for d in self._state.data.documents:
            if source in (d.source, d.name):
                return d.text
        raise KeyError(f"no indexed document {source!r}")


def _finished(answer: Answer, notes: list[str], timings: dict[str, float]) -> Answer:
    """The answer with the question's notes first and the time each step took."""
    times = {k: v for k, v in timings.items() if k != "started"}
    times["answer"] = (time.perf_counter() - timings["started"]) * 1000
    return replace(answer, notes=tuple(notes) + answer.notes, timings=times)


def _with_config(data: IndexData, **settings: Any) -> IndexData:
    config = data.config.with_overrides(**settings)
    if config.index_settings() != data.config.index_settings():
        raise ValueError("index settings (model, encoding, chunk_tokens, chunk_overlap) cannot change "
                         "on a loaded index: rebuild it with RAG.build(..., config=...)")
    return replace(data, config=config)


def _reloaded(index_dir: Path, current: Config) -> IndexData:
    """The index on disk, with the query settings in force kept."""
    data = load_index(index_dir)
    return replace(data, config=replace(current, **data.config.index_settings()))
