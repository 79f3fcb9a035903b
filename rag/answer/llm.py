"""The LLM answerer (config `answerer="llm"`): a model writes the answer, every citation checked.

For a question and its retrieved passages:
1. the passages go to the model behind an OpenAI-compatible server as numbered data
   (prompt.py), with the request for a short answer citing them as `[n]`, or the
   abstention phrase;
2. each sentence of the reply is checked against the passages it cites (verify.py); a
   sentence with no citation, a citation naming no passage, or one the cited passage does
   not support is left out, and `Answer.notes` says which and why; a citation of a passage
   that does not support its sentence is dropped from a sentence another one supports;
3. the kept sentences make the answer (its short answer, a date or number of the asked kind,
   found in the first one as the extractive answerer finds it; a relative time resolved
   against the article's date after them), their citations renumbered in order and carrying
   the same fields as extractive ones: the quote is the cited passage's sentence closest in
   meaning to the claim, with its span and the article's date;
4. if no sentence is left, the extractive answer is given instead, and a note says so; the
   same when the kept sentences cite only articles that never mention something the
   question names (the extractive answerer's named-term check). When no retrieved article
   mentions it, the model is not asked at all: the extractive composer abstains and says
   what no article mentions.
With `answerer="extractive"` (the default) it hands the question to the extractive composer.
Server failures raise `LLMError` (one line: what, where, what to do). Left out: asking the
model again after a rejected answer, and any repair of a sentence it got wrong.
"""
from __future__ import annotations

import threading
from dataclasses import replace
from typing import Callable, Iterator, Sequence

import numpy as np

from ..config import Config
from ..index import IndexData
from ..retrieve import Query
from ..types import Answer, Citation, Passage
from .heuristic import ExtractiveComposer
from .llm_client import ChatClient, Endpoint
from .prompt import build_messages, is_abstention
from .verify import Claim, Verifier
from .scoring import _question_words
from .writing import ABSTAIN_TEXT, _short_answer, listed_terms, time_notes
from ..lexical import tokenize
from ..questions import answer_type

FALLBACK_NOTE = ("The generated answer had no sentence that its cited passages support, "
                 "so this is the extractive answer instead.")
MAX_NOTES = 4
ABSTAIN_NOTE = "The language model found no answer in the passages."


class LLMComposer:
    """Writes answers with a language model and checks them (see module docstring)."""

    def __init__(self, data: IndexData, encode: Callable[[Sequence[str]], np.ndarray],
                 extractive: ExtractiveComposer) -> None:
        self.extractive = extractive
        self.verifier = Verifier(data.sentences, data.sentence_vectors, data.lexical, extractive.sentence_rows, encode)
        self._sentences = data.sentences
        self._clients: dict[Endpoint, ChatClient] = {}
        self._lock = threading.Lock()

    def compose(self, question: str, passages: Sequence[Passage], *, query: Query,
                config: Config, history: Sequence[tuple[str, str]] = ()) -> Answer:
        """The answer to `question`: generated and checked, or extractive (see module docstring)."""
        if not self._asks_model(question, passages, config):
            return self.extractive.compose(question, passages, query=query, config=config, history=history)
        reply = self.client(config).complete(build_messages(question, passages, history))
        return self.checked(question, reply, passages, query=query, config=config, history=history)

    def compose_stream(self, question: str, passages: Sequence[Passage], *, query: Query,
                       config: Config, history: Sequence[tuple[str, str]] = ()) -> Iterator[str | Answer]:
        """The reply in pieces as the model writes it, then the checked `Answer` (last)."""
        if not self._asks_model(question, passages, config):
            yield self.extractive.compose(question, passages, query=query, config=config, history=history)
            return
        pieces = []
        for piece in self.client(config).stream(build_messages(question, passages, history)):
            pieces.append(piece)
            yield piece
        yield self.checked(question, "".join(pieces), passages, query=query, config=config, history=history)

    def _asks_model(self, question: str, passages: Sequence[Passage], config: Config) -> bool:
        """Whether the model writes this answer: the LLM answerer is chosen, there are passages,
        and they mention everything the question names (the named-term check; else no sentence
        of theirs can answer, and the extractive composer abstains and says what is missing)."""
        return (config.answerer == "llm" and bool(passages)
                and not self.extractive.unmentioned(question, (p.doc_id for p in passages)))

    def client(self, config: Config) -> ChatClient:
        """The client for the endpoint `config` names (one per endpoint, made on first use)."""
        endpoint = Endpoint(config.llm_base_url.strip(), config.llm_model.strip(), config.llm_api_key_env,
                            config.llm_timeout)
        with self._lock:
            if endpoint not in self._clients:
                self._clients[endpoint] = ChatClient(endpoint)
            return self._clients[endpoint]

    def checked(self, question: str, reply: str, passages: Sequence[Passage], *, query: Query,
                config: Config, history: Sequence[tuple[str, str]] = ()) -> Answer:
        """The answer made of the reply's supported sentences, or the extractive one if none is."""
        if is_abstention(reply):
            return Answer(question=question, text=ABSTAIN_TEXT, abstained=True, passages=tuple(passages),
                          notes=(ABSTAIN_NOTE,))
        claims = self.verifier.check(reply, passages, question, config.support_threshold)
        notes = _capped([_note(c) for c in claims if not c.supported or len(c.supported_by) < len(c.cited)])
        kept = [c for c in claims if c.supported]
        if not kept:
            answer = self.extractive.compose(question, passages, query=query, config=config, history=history)
            return replace(answer, notes=answer.notes + (FALLBACK_NOTE,) + notes)
        missing = self.extractive.unmentioned(question, (passages[n - 1].doc_id for c in kept for n in c.supported_by))
        if missing:  # supported, but by articles about something else: the extractive answer decides
            answer = self.extractive.compose(question, passages, query=query, config=config, history=history)
            return replace(answer, notes=answer.notes + (unnamed_note(missing),) + notes)
        text, citations = self._write(kept, passages)
        # a relative time ("ten years ago") resolved against its article's date, as extractive answers do
        kind = answer_type(question)
        both = [time_notes(c.text, passages[c.supported_by[0] - 1].date, kind) for c in kept]
        times = tuple(dict.fromkeys(n for n, _ in both if n))
        cautions = tuple(dict.fromkeys(n for _, n in both if n))  # "on Thursday" in an undated article
        text = " ".join([text, *times])
        short = _short_answer(kept[0].text, kind, _question_words(question),
                              set(tokenize(question)), question)  # as the extractive answer finds it
        if short is None and config.short_answer == "reader" and hasattr(self.extractive, "span_answer"):
            # the reader's span in the article's sentence the answer cites first (the model's text is left as written)
            short = self.extractive.span_answer(question, citations[0].quote)
        return Answer(question=question, text=text, abstained=False, citations=tuple(citations),
                      passages=tuple(passages), short_answer=short, notes=times + cautions + notes,
                      evidence=max(c.score for c in kept))

    def _write(self, kept: list[Claim], passages: Sequence[Passage]) -> tuple[str, list[Citation]]:
        """The answer text with markers renumbered 1, 2, ... in order of first citation, and
        one citation per passage cited, quoting its sentence that best supports a claim."""
        number: dict[int, int] = {}
        quote_of: dict[int, tuple[float, int]] = {}
        parts = []
        for claim in kept:
            for row, n in claim.quotes:
                number.setdefault(n, len(number) + 1)
                if n not in quote_of or claim.score > quote_of[n][0]:
                    quote_of[n] = (claim.score, row)
            parts.append(f"{claim.text} " + "".join(f"[{number[n]}]" for n in claim.supported_by))
        citations = []
        for n, k in number.items():
            p, (score, row) = passages[n - 1], quote_of[n]
            s = self._sentences[row]
            citations.append(Citation(n=k, source=p.name, path=p.source, title=p.title, quote=s.text,
                                      chunk_id=p.chunk_id, start=s.start, end=s.end, score=score,
                                      date=p.date, passage=p.text))
        return " ".join(parts), sorted(citations, key=lambda c: c.n)


def unnamed_note(terms: Sequence[str]) -> str:
    """The note of a generated answer set aside because its articles never mention `terms`."""
    return (f"The generated answer rested only on articles that never mention {listed_terms(terms)}, "
            "so this is the extractive answer instead.")


def _note(claim: Claim) -> str:
    """What `Answer.notes` says of a sentence left out, or of citations dropped from one kept."""
    if claim.supported:
        dropped = [n for n in claim.cited if n not in claim.supported_by]
        which = ", ".join(str(n) for n in dropped)
        return f'Dropped the citation of retrieved passage {which} from "{_short(claim.text)}": it does not support it.'

    return f'Left out a generated sentence that is not supported: "{_short(claim.text)}" ({claim.reason}).'


def _capped(notes: list[str]) -> tuple[str, ...]:
    """At most MAX_NOTES notes on what the check did; a rambling reply gets a count of the rest."""
    if len(notes) <= MAX_NOTES:
        return tuple(notes)
    return (*notes[:MAX_NOTES], f"... and {len(notes) - MAX_NOTES} more generated sentences or citations left out.")


def _short(text: str, words: int = 20) -> str:
    parts = text.split()
    return text if len(parts) <= words else " ".join(parts[:words]) + " ..."
