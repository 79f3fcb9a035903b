"""Read a question: what kind of answer it wants, and what a follow-up refers back to.

`clean_question` first makes any text safe for the pipeline (no lone surrogates, no control
characters), so odd input gets an answer or an abstention rather than a tokenizer error.
`answer_type` maps the question word to the kind of fact that answers it: a when-question
wants a date, how-many a number, who a name, where a place. `typed_spans` finds such facts in
a sentence. `contextualize` turns a follow-up ("Who did he meet next?") into a query that
carries the names of the conversation's previous question.

Left out: full named-entity recognition (capitalised word runs stand in for names) and
coreference beyond the last user turn.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_WEEKDAY = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
_NUMWORD = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
            r"fifteen|twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozen)")
_ORDINAL = r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th))"
_PATTERNS = {
    "date": re.compile(
        rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:,?\s+\d{{4}})?|\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?|"
        rf"{_MONTH}\s+\d{{4}}|(?:early|mid|late)[- ]{_MONTH}(?:\s+\d{{4}})?|\d{{4}}-\d{{2}}-\d{{2}}|"
        rf"{_WEEKDAY}|(?:last|next|this)\s+(?:{_MONTH}|year|month|week)|"
        rf"(?:\w+\s+)(?:years?|months?|weeks?|days?)\s+ago|(?:19|20)\d{{2}}|{_MONTH})(?![\w-])"),
    "year": re.compile(r"\b(?:19|20)\d{2}\b"),
    # a figure with its unit or suffix: "4.91m", "86.9kg", "2,271st", "7.9%"
    "number": re.compile(rf"\b(?:\d[\d,.]*(?:%|[a-z]+\b)|(?:\d[\d,.]*|{_NUMWORD}|{_ORDINAL})\b)", re.IGNORECASE),
    "name": re.compile(r"\b(?:[A-Z][a-z]+(?:-[a-zA-Z]+)?)(?:\s+(?:[A-Z][a-z]+(?:-[a-zA-Z]+)?))+"),
    "place": re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*"),
    # what "which treaty" / "what price" asks for: a name (a capitalised run) or a figure
    "entity": re.compile(r"\b[A-Z][\w'&-]*(?:[ -](?:(?:of|the|de|and|for|in)\s+)*[A-Z][\w'&-]*)*|[$€£¥]?\b\d[\d,.]*(?:[a-z%]+\b|%)?"),
    # what someone said or agreed: the sentence must report speech or an agreement
    "statement": re.compile(r"\b(?:say|says|said|saying|tell|tells|told|telling|state[sd]?|stating|statement|"
                            r"repl(?:y|ies|ied)|respon(?:d|ds|ded|se)|wr(?:ite|ites|ote|itten)|add(?:s|ed)?|"
                            r"not(?:e|es|ed)|stress(?:es|ed)?|announc(?:e|es|ed|ement)|declar(?:e|es|ed|ation)|"
                            r"express(?:es|ed)?|urg(?:e|es|ed)|call(?:s|ed)? (?:for|on)|quot(?:e|es|ed)|"
                            # reported opinion: "experts saw it as a sign", "analysts believe"
                            r"argu(?:e|es|ed)|maintain(?:s|ed)?|believ(?:e|es|ed)|think|thinks|thought|"
                            r"claim(?:s|ed)?|warn(?:s|ed)?|predict(?:s|ed)?|insist(?:s|ed)?|according to|"
                            r"(?:see|sees|saw|seen|view|views|viewed|regard|regards|regarded)\b[^.;]{0,40}?\bas)\b"
                            r'|^\s*"(?=\w)',  # a sentence that is a quotation: someone's words
                            re.IGNORECASE),
    "agreement": re.compile(r"\b(?:agree(?:s|d|ment|ments)?|agreeing|accord|deal|consensus|pact|accept(?:s|ed)?|"
                            r"consent(?:s|ed)?|settle(?:s|d|ment)?|signed)\b", re.IGNORECASE),
}
# Kinds told by a verb: a sentence holds one when it has such a verb, even the question's own.
VERB_KINDS = ("statement", "agreement")
_PRONOUN = re.compile(r"\b(?:he|she|him|her|his|hers|they|them|their|it|its|this|that|these|those|"
                      r"there|then|next|also|the two|both)\b", re.IGNORECASE)
_QUESTION_WORDS = {"who", "whom", "whose", "what", "when", "where", "which", "why", "how", "did",
                   "does", "do", "is", "was", "were", "are", "and", "the", "in", "on", "of"}


_AMOUNT = re.compile(rf"(?:[$€£¥₩]\s?\d[\d,.]*(?:\s?(?:bn|m|k|tn|million|billion|trillion)\b)?|\b\d[\d,.]*(?:\s?%|p\b)|\b\d[\d,.]*\s*(?:{_NUMWORD}\s+)?(?:dollars?|won|yuan|euros?|"
                     rf"pounds?|yen|usd|percent|per cent|tons?|tonnes?)\b|\b{_NUMWORD}\s+(?:dollars?|won|yuan))",
                     re.IGNORECASE)
_PERCENT = re.compile(r"\b\d[\d,.]*\s?(?:%|per ?cent\b)|\b(?:half|(?:a|one|two) (?:third|quarter)s?|three quarters|"
                      r"(?:one|1) in (?:\d+|[a-z]+))\b", re.IGNORECASE)
_DURATION = re.compile(rf"\b(?:\d+|{_NUMWORD}|a|an|several|few)[- ](?:years?|months?|weeks?|days?|hours?|minutes?)\b",
                       re.IGNORECASE)


_PERSON_NOUN = (r"(?:official|leader|envoy|academic|professor|analyst|expert|scholar|reporter|journalist|minister|"
                r"president|diplomat|politician|person|chairman|director|chief|spokes(?:man|woman|person)|"
                r"ambassador|visitor|guest|host|member|representative|negotiator|intermediary|mediator|"
                r"commander|secretary|premier)s?\b")


_AUX = r"(?:did|does|do|was|were|is|are|has|have|had)"  # "which did ...", "what was ...": no noun follows


def _asked_noun(nouns: str, plural: bool = True) -> str:
    """The cue "what/which" + up to two words + one of `nouns` ("what price per share",
    "at which venue"), plurals too when `plural`."""
    return rf"\b(?:which|what)\s+(?:[a-z-]+\s+){{0,2}}?(?:{nouns}){'s?' if plural else ''}\b"


# Question cues in order of precedence ("in what year" before "when", "how many" before "who").
_ANSWER_TYPES = [(kind, re.compile(cue)) for kind, cue in (
    ("year", r"\bwhat year\b|\bwhich year\b"),
    ("date", r"\bwhen\b|\bwhat (?:date|day|month)\b|\bon which (?:date|day)\b"),
    ("count", r"\bhow many\b"),
    ("amount", r"\bhow much\b"),
    ("duration", r"\bhow long\b"),
    # "what price per share", "at what level", "which weekly wage": a sum of money or a figure
    ("amount", _asked_noun("price|cost|fee|wage|salary|sum|profit|revenue|value|fine|budget|bill|debt|loss|pay")),
    # "what proportion of pupils", "what share of people": a share is written as a percentage or a fraction
    ("percent", _asked_noun("share|proportion|percentage|percent", plural=False)),
    ("number", r"\bhow old\b|\bwhat (?:number|rank)\b|" + _asked_noun(
        "rate|turnout|growth|level|height|weight|score|reading|total|"
        "figure|margin|speed|distance|temperature|age|size|majority|ratio")),
    ("agreement", r"\bwhat\b[^?]*\bagree(?:d|ment)?\b"),
    ("statement", r"\bwhat (?:exactly |precisely )?(?:did|do|does|has|have|had|was|is|were)\b[^?]*\b(?:say|tell|reply|respond|write|"
                  r"written|announce|declare)\b"),
    # "who", or "which senior official / earlier visitor": up to four words, then a person
    ("name", r"\bwho(?:m|se)?\b|\bwhat (?:is|was|are|were) (?:the )?(?:full |real )?names? of\b|\b(?:which|what)\s+(?:(?!" + _AUX + r"\b)"
             r"[a-z-]+\s+){0,4}?" + _PERSON_NOUN),
    ("place", r"\bwhere\b|" + _asked_noun("city|country|province|place|town|venue|region|state|village|"
                                           "capital|county|district", plural=False)),
    # "which treaty", "what price per share", "which of his singles": a named thing or a figure
    ("entity", r"\bwhich\s+(?!(?:" + _AUX + r"|will|would|can|could|should|may|might|must|happened|happens|"
               r"happen|caused|causes|made|makes|kind of|sort of|type of)\b)[a-z0-9]"),
)]
# The asked-for kind is read from the question's main clause: from its first question word to
# the next one, which opens a clause of its own ("Who did he send ... when he turned it down?"
# asks for a name, not a date).
_WH = re.compile(r"\b(?:who|whom|whose|what|when|where|which|why|how)\b")


# Lone surrogates: half of a UTF-16 pair, or an undecodable byte of a command line (Python's
# surrogateescape); no encoder or tokenizer accepts them.
_SURROGATE = re.compile("[\ud800-\udfff]")
# Control characters except those str.split() treats as whitespace (\t \n \v \f \r \x1c-\x1f \x85).
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")


def clean_question(text: str) -> str:
    """The question as the pipeline reads it: each lone surrogate becomes U+FFFD (the
    replacement character), control characters other than whitespace are dropped, the rest is
    kept as typed: "Who\\x00 met\\ud800 Xi?" -> "Who met\\ufffd Xi?". `TypeError` for a non-string."""
    if not isinstance(text, str):
        raise TypeError(f"question must be a string, got {type(text).__name__}")
    return _CONTROL.sub("", _SURROGATE.sub("\ufffd", text))


def answer_type(question: str) -> str | None:
    """The kind of fact the question asks for: date, year, count, amount, duration, percent
    (a share: "what proportion of pupils"), number,
    what was agreed ("agreement") or said ("statement"), name, place, another named thing or
    figure ("entity": "which treaty", "what price"), or None."""
    q = _main_clause(question.lower())
    return next((kind for kind, cue in _ANSWER_TYPES if cue.search(q)), None)


def _main_clause(q: str) -> str:
    """`q` (lower case) up to its second question word, unless that one is paired with the
    first ("when and where", "who or what"): "which track stayed at number one when he ..."
    -> "which track stayed at number one"."""
    words = list(_WH.finditer(q))
    for before, later in zip(words, words[1:]):
        if q[before.end():later.start()].strip() not in ("", "or", "and", ","):
            return q[:later.start()]
    return q


_DOC_NOUN = r"\b(?:article|story|report|piece|commentary|column|op-ed|analysis|news item)s?\b"
_AUTHOR_Q = re.compile(r"\bwho(?:m)?\b[^?]*\b(?:wrote|write|written|writes|authored|penned|reported|filed)\b[^?]*"
                       + _DOC_NOUN + r"|\b(?:author|authors|byline|reporter|reporters|writer)\b[^?]*\bof\b[^?]*" + _DOC_NOUN)
_PUBLISHED_Q = re.compile(r"\b(?:when|what date|which date|what day)\b[^?]*" + _DOC_NOUN
                          + r"[^?]*\b(?:posted|published|dated|released|put out|out)\b")


def metadata_question(question: str) -> str | None:
    """Whether the question asks who wrote an article ("author") or when it was published
    ("published"): facts of the article, not of its sentences. None otherwise."""
    q = question.lower()
    if _AUTHOR_Q.search(q):
        return "author"
    if _PUBLISHED_Q.search(q):
        return "published"
    return None


_BROAD_Q = re.compile(
    r"^(?:what\s+(?:do|does|did)\s+(?:the\s+)?(?:articles?|reports?|documents?|stories|texts?|sources?)\s+"
    r"(?:say|tell(?:\s+us)?|report|write)\s+(?:about|on|of)"
    r"|tell\s+me\s+(?:more\s+)?about|(?:summari[sz]e|give\s+(?:me\s+)?an\s+overview\s+of|overview\s+of)"
    r"(?:\s+(?:the|what)\s+(?:articles?|reports?|documents?)\s+(?:on|about|say\s+about))?"
    r"|what\s+is\s+(?:known|said)\s+about)\s+(?P<topic>.+?)[\s?.!]*$", re.IGNORECASE)


def broad_topic(question: str) -> str | None:
    """What a broad question asks about ("What do the articles say about Kim Jong-un?",
    "Tell me about X", "Summarize the report on X") -> "Kim Jong-un"; None for others."""
    m = _BROAD_Q.match(question.strip())
    if not m:
        return None
    topic = re.sub(r"^(?:the\s+)?(?:report|article|story)\s+(?:on|about)\s+", "", m.group("topic"), flags=re.I)
    return topic.strip() or None


def counted_noun(question: str) -> str | None:
    """What a how-many question counts: "How many nuclear tests ..." -> "tests"."""
    m = re.search(r"\bhow many\s+((?:[a-z-]+\s+){0,2}?)([a-z-]+)(?=\s+(?:did|do|does|were|was|are|is|have|has|had|will|would|can)\b|\?|$)",
                  question.lower())
    return m.group(2) if m else None


def typed_spans(sentence: str, kind: str, exclude: Iterable[str] = (), question: str = "", *,
                opening: bool = False) -> list[tuple[int, int, str]]:
    """Spans of facts of `kind` in the sentence, leaving out those made only of `exclude` words.
    A count must stand right before what the question counts ("three day" for "how many days").
    With `opening`, one capitalised word opening the sentence counts as a name for `entity`
    ("CCTV reports ..."); by default it does not ("Rapper 50 Cent ...")."""
    if kind == "count":
        noun = counted_noun(question)
        stem = noun[:max(3, len(noun) - 2)] if noun else ""
        pattern = re.compile(rf"\b(?:\d[\d,.]*|{_NUMWORD})(?:[ -]+[a-z-]+){{0,2}}?[ -]+{re.escape(stem)}\w*",
                             re.IGNORECASE) if noun else _PATTERNS["number"]
    else:
        pattern = {"amount": _AMOUNT, "duration": _DURATION, "percent": _PERCENT}.get(kind) or _PATTERNS.get(kind)
    if pattern is None:
        return []
    skip = {w.lower() for w in exclude}
    spans = []
    for m in pattern.finditer(sentence):
        start, text = m.start(), m.group()
        if kind in ("name", "place", "entity"):  # "On May", "The Bank": a capitalised function word is no name
            lead = re.match(r"(?:(?:On|In|At|The|A|An|But|And|By|For|From|With|Upon|During|After|Before|While|"
                            r"When|If|As|Of|To|Then|This|That|It|He|She|They|We|His|Her|Its|Their|Our)\s+)+", text)
            if lead:
                start, text = start + lead.end(), text[lead.end():]
            if kind == "name" and (" " not in text or re.fullmatch(_MONTH + r"(?:\s+\d+)?", text)):
                continue
            if kind == "entity" and not opening and start == 0 and text[:1].isupper() and " " not in text:
                continue  # one capitalised word opening the sentence ("Rapper 50 Cent ...") is no name
        tokens = [w.lower() for w in re.findall(r"[A-Za-z0-9]+", text)]
        words = set(tokens)
        if kind == "name" and len(tokens) > 2 and set(tokens[-2:]) <= skip:
            continue  # "President Xi Jinping" for a question naming Xi Jinping: the same person
        if kind in VERB_KINDS or (words and not words <= skip):
            spans.append((start, start + len(text), text))
    return spans


def normalize_history(history: Sequence[Any] | None) -> list[tuple[str, str]]:
    """Previous turns as (question, answer) pairs, from strings, pairs or chat messages."""
    turns: list[tuple[str, str]] = []
    for item in history or ():
        if isinstance(item, str):
            turns.append((item, ""))
        elif isinstance(item, dict):
            role, content = item.get("role"), _text_of(item.get("content"))
            if role == "user":
                turns.append((content, ""))
            elif role == "assistant" and turns:
                turns[-1] = (turns[-1][0], content)
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            turns.append((_text_of(item[0]), _text_of(item[1])))
        else:
            raise TypeError(f"history items must be str, (question, answer) or chat messages, got {item!r}")
    cleaned = [(clean_question(q), clean_question(a)) for q, a in turns]  # safe like the question
    return [(q, a) for q, a in cleaned if q.strip()]


def _text_of(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):
        return " ".join(_text_of(c) for c in content)
    if isinstance(content, dict):
        return str(content.get("text", ""))
    return str(content)


def is_follow_up(question: str) -> bool:
    """Whether the question leans on an earlier turn (pronouns, 'next', no name of its own)."""
    if _PRONOUN.search(question):
        return True
    words = re.findall(r"[A-Za-z][\w-]*", question)
    names = [w for w in words[1:] if w[0].isupper() and w.lower() not in _QUESTION_WORDS]
    return len(words) <= 4 and not names


def contextualize(question: str, history: Sequence[Any] | None) -> str:
    """The text to search with: the question, plus the names of the previous turn if it is a
    follow-up. After a who-question the names its answer brought in come too ("he" is then
    usually the person the answer named)."""
    turns = normalize_history(history)
    if not turns or not is_follow_up(question):
        return question
    previous, answer = turns[-1]
    context = _names(previous)
    if answer_type(previous) == "name" and answer:
        context += [n for n in _names(_first_sentence(answer)) if n not in context][:2]
    return f"{question} ({' '.join(context) or previous})"


def _names(text: str) -> list[str]:
    names = [m.group() for m in re.finditer(r"\b[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*", text)]
    return list(dict.fromkeys(n for n in names if n.split()[0].lower() not in _QUESTION_WORDS))


# what a question names: a run of capitalised words (not its first word), a year, a number
_NAMED = re.compile(r"(?<![\w'-])(?:(?:[A-Z]|[a-z]+[A-Z])[\w&.-]*(?:'s)?(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z][\w&.-]*(?:'s)?)*"
                    r"|\d[\d,]*(?:\.\d+)?)")  # "iPhone", "eBay": a name, though not capitalised
_CALENDAR = re.compile(rf"(?:{_MONTH}|{_WEEKDAY})", re.IGNORECASE)
_NUMBER_WORD = re.compile(rf"(?:{_NUMWORD}|{_ORDINAL})", re.IGNORECASE)  # "Five", "First": often a title
# a people, not a name ("the Americans", "South Korean", "Chinese", "Dutch"): articles say
# "the US", "Seoul", "Beijing" as often, so these are no test of what an article is about
_PEOPLE = re.compile(r"[A-Z][a-z]+(?:ians?|eans?|cans?|ese|ish|ch)|Arabs?|Thai|Swiss|Greeks?|Welsh|Scots|Kurds?|"
                     r"Jews?|Muslims?|Christians?|Catholics?|Hindus?|Sikhs?|Buddhists?|Israelis?|Iraqis?|"
                     r"Pakistanis?|Saudis?|Afghans?|Filipinos?|Europeans?|Asians?|Africans?|Latinos?")


# one country's names: an article may use any of them for the one the question uses
NAME_ALIASES = (("Britain", "Great Britain", "UK", "United Kingdom", "British", "England", "Scotland", "Wales"),
                ("US", "USA", "United States", "America", "American"),
                ("Netherlands", "Holland", "Dutch"),
                ("EU", "European Union"))
_ALIASES = {name.lower(): group for group in NAME_ALIASES for name in group}


def name_forms(term: str) -> tuple[str, ...]:
    """`term` and the other names of the same country (`NAME_ALIASES`)."""
    return _ALIASES.get(term.lower(), (term,))


def named_terms(question: str) -> list[tuple[str, int | None]]:
    """What `question` names, as (term, year): each run of capitalised words after its first
    word ("Time Warner", "Britain" from "Britain's", "iPhone"), each year (with the year) and each number
    of three or more digits. Question words, months and weekdays are not terms (an article
    says "last month"), nor are peoples ("the Americans": `_PEOPLE`), number words ("Channel
    Five") or small numbers (often written as words). An article that
    mentions none of a term's forms cannot be where the answer is."""
    terms: list[tuple[str, int | None]] = []
    first = re.match(r"\W*\w+", question)
    for m in _NAMED.finditer(question):
        text = m.group()
        if first and m.start() < first.end():  # "Which New England senator": not "Which"
            text = text[first.end() - m.start():]
        text = re.sub(r"'s\b", "", text).strip(" .,-")
        if not text:
            continue
        if text[0].isdigit():
            digits = text.replace(",", "")
            if re.fullmatch(r"1[5-9]\d\d|20\d\d", digits):
                terms.append((digits, int(digits)))
            elif len(digits.split(".")[0]) >= 3:
                terms.append((digits, None))
            continue
        words = [w for w in text.split() if w.lower() not in _QUESTION_WORDS and not _CALENDAR.fullmatch(w)
                 and w.lower() not in ("i", "of", "the", "de") and not _NUMBER_WORD.fullmatch(w)]
        while words and _PEOPLE.fullmatch(words[0]):  # "Dutch AC Milan": AC Milan
            words.pop(0)
        if words and not _PEOPLE.fullmatch(words[-1]):  # "South Koreans": a people
            terms.append((" ".join(words), None))
    return list(dict.fromkeys(terms))


def _first_sentence(text: str) -> str:
    text = re.sub(r"^[^:]{1,40}:\s", "", text.strip())  # a short answer before the quote
    return re.split(r"(?<=[.!?])\s|\[\d+\]", text, maxsplit=1)[0]
