"""News-aware time: find relative time phrases in a quoted sentence and date them.

A news sentence says "five years ago" or "last August"; a reader of the answer needs the
absolute time, counted from the article's publication date (2017-11-22 -> "2012",
"August 2017"). The precision of the result follows the phrase:

- years and decades ("five years ago", "a decade ago", "last year", "in 2 years") -> "2012"
- months ("two months ago", "earlier this month", "last December") -> "November 2017"
- weeks ("three weeks ago", "last week") -> "the week of 2017-11-13" (weeks start on Monday)
- days ("yesterday", "three days ago", "on Friday", "last Friday") -> "2017-11-21"

Reading rules: "last <Month>" is the latest such month strictly before the publication
month, "next <Month>" the first one strictly after. "on <Weekday>" is the latest such day on
or before the date: news style names the weekday instead of writing "today", so a Friday
article's "on Friday" is that Friday. "last <Weekday>" is strictly before the date.

Left out on purpose: vague phrases ("recently", "a few years ago", "the past decade"),
"in a year" (mostly "within the past year"), "today"/"now" (often "nowadays"), absolute
dates ("May 22", "December 2012"), counts without "ago" ("ten years"), tense (a weekday is
read as past), timezones, and reference points other than the publication date ("the
previous year" is counted from the article). A phrase that may be an idiom is skipped
rather than mis-dated ("the last year", "his last week", "the first time in ten years",
"the highest in 20 years"), as is a count that would leave years 1-9999. A phrase right
beside a date the sentence states ("earlier this month on May 7", "last Friday, May 24",
"On May 7, earlier this month") is not read either: the quote dates itself, and a note
counted from the article date could contradict it.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
                "eighteen", "nineteen", "twenty")
_DAY_WORDS = {"the day before yesterday": -2, "yesterday": -1, "tomorrow": 1,
              "the day after tomorrow": 2}
# "the last year" is a span, "his last week" is someone's final week: not calendar references.
_DETERMINERS = frozenset("the a an his her its our their my your whose every each".split())
# "the first time in ten years", "the highest level in 20 years" look back, not ahead.
_LOOKBACK_WORDS = frozenset("time once first last best worst most least".split())

# "may" and "march" are also ordinary words ("this may change"), so those two need a capital.
_MONTH = "|".join(f"(?-i:{m})" if m in ("March", "May") else m for m in MONTHS)
# Not part of a bigger number: "twenty-one", "1.5", "2,000" are not read.
_NUMBER = rf"(?<![-0-9.,])(?:{'|'.join(sorted(NUMBER_WORDS, key=len, reverse=True))}|[0-9]+)"
_UNIT = r"(?:day|week|month|year|decade)s?"
_DAY_WORD = "|".join(word.replace(" ", r"\s+") for word in _DAY_WORDS)
_PATTERN = re.compile(
    rf"""\b(?:
      (?P<ago_n>an|a|{_NUMBER})\s+(?P<ago_u>{_UNIT})\s+ago
    | in\s+(?P<in_n>{_NUMBER})\s+(?P<in_u>{_UNIT})
    | (?P<day>{_DAY_WORD})
    | (?P<rel>last|next|(?:earlier\s+|later\s+)?this|the\s+previous)\s+(?P<rel_u>week|month|year)
    | (?P<m_rel>last|next|this)\s+(?P<month>{_MONTH})
    | (?P<w_rel>last|next|on)\s+(?P<weekday>{'|'.join(WEEKDAYS)})
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A date the sentence states itself: "May 7", "7 May 2013", "Nov. 21", "May 2013", "2013-05-07".
_NAMED_MONTH = (r"(?-i:(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.|"
                + "|".join(MONTHS) + ")")
_STATED = (rf"(?:{_NAMED_MONTH}\s+[0-9]{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+[0-9]{{4}})?"
           rf"|[0-9]{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_NAMED_MONTH}(?:,?\s+[0-9]{{4}})?"
           rf"|{_NAMED_MONTH}\s+[0-9]{{4}}|[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})")
_PART_OF_DAY = r"(?:morning|afternoon|evening|night)"
_STATED_AFTER = re.compile(  # "earlier this month on May 7", "last Friday evening, May 24"
    rf"(?:\s+{_PART_OF_DAY})?[\s,]*\(?\s*(?:(?:on|in|of|at)\s+(?:the\s+)?)?(?:(?:{'|'.join(WEEKDAYS)}),?\s+)?"
    rf"(?:{_STATED}|(?<=in )(?:(?-i:{'|'.join(MONTHS)})|[0-9]{{4}})\b)", re.IGNORECASE)
_STATED_BEFORE = re.compile(rf"{_STATED}[\s,]*\(?\s*$", re.IGNORECASE)  # "On May 7, earlier this month"
_STEP = {"last": -1, "the previous": -1, "next": 1}  # every form of "this" is 0


@dataclass(frozen=True)
class TimeReference:
    """A relative time phrase of a sentence and the absolute time it stands for."""

    phrase: str  # the phrase as it stands in the sentence, e.g. "five years ago"
    start: int  # span of the phrase in the sentence
    end: int
    resolved: str | None  # "2012", "August 2017", "2017-11-21"; None when no date is known


def find_time_references(sentence: str, published: str | None) -> list[TimeReference]:
    """Relative time phrases in the sentence, resolved against `published` (ISO 'yyyy-mm-dd'
    or None). Number words one..twenty and digits; units day/week/month/year/decade; months;
    weekdays. Case-insensitive. No overlaps; in order."""
    if not isinstance(sentence, str):
        raise TypeError(f"sentence must be a str, got {type(sentence).__name__}")
    day = _parse_date(published)
    refs = []
    for match in _PATTERN.finditer(sentence):
        if _is_idiom(sentence, match) or _beside_a_stated_date(sentence, match):
            continue
        try:
            resolved = None if day is None else _resolve(match, day)
        except (ValueError, OverflowError):
            continue  # outside years 1-9999: not a time an answer can state
        refs.append(TimeReference(match.group(0), match.start(), match.end(), resolved))
    return refs


def describe_time_references(refs: Sequence[TimeReference], published: str | None) -> str:
    """One short note for the answer, '' when refs is empty. E.g. '"five years ago" = 2012
    (counted from the article date 2017-11-22).' / no date: '"last August": the article gives
    no publication date, so this cannot be dated.' A phrase repeated with the same time is
    named once."""
    _parse_date(published)
    unique = list(dict.fromkeys((ref.phrase, ref.resolved) for ref in refs))
    if not unique:
        return ""
    if published is None:
        phrases = ", ".join(f'"{phrase}"' for phrase, _ in unique)
        these = "this" if len(unique) == 1 else "these"
        return f"{phrases}: the article gives no publication date, so {these} cannot be dated."
    unresolved = [phrase for phrase, resolved in unique if resolved is None]
    if unresolved:
        raise ValueError(f"{unresolved[0]!r} was found without a date but published is "
                         f"{published!r}; find and describe with the same date")
    pairs = ", ".join(f'"{phrase}" = {resolved}' for phrase, resolved in unique)
    return f"{pairs} (counted from the article date {published})."


def _parse_date(published: str | None) -> date | None:
    if published is None:
        return None
    if not isinstance(published, str):
        raise TypeError(f"published must be a str or None, got {type(published).__name__}")
    if not _ISO_DATE.fullmatch(published):
        raise ValueError(f"published must be an ISO date yyyy-mm-dd or None, got {published!r}")
    try:
        return date.fromisoformat(published)
    except ValueError as error:
        raise ValueError(f"published is not a calendar date: {published!r}") from error


def _beside_a_stated_date(sentence: str, match: re.Match[str]) -> bool:
    """True when the sentence names the date right beside the phrase ("earlier this month on
    May 7"): the quote dates itself, and a note could only repeat or contradict it."""
    return bool(_STATED_AFTER.match(sentence, match.end())
                or _STATED_BEFORE.search(sentence[: match.start()]))


def _is_idiom(sentence: str, match: re.Match[str]) -> bool:
    """True when the match reads as a span or a look-back idiom, not a calendar time."""
    before = re.findall(r"[a-z]+", sentence[: match.start()].lower())
    if match["rel"] or match["m_rel"] or match["w_rel"]:
        starts_last_or_next = match.group(0)[:4].lower() in ("last", "next")
        return starts_last_or_next and bool(before) and before[-1] in _DETERMINERS
    if match["in_n"]:
        return any(w in _LOOKBACK_WORDS or w.endswith("est") for w in before[-4:])
    return False


def _resolve(match: re.Match[str], day: date) -> str:
    if match["ago_n"]:
        return _shifted(day, match["ago_u"], -_count(match["ago_n"]))
    if match["in_n"]:
        return _shifted(day, match["in_u"], _count(match["in_n"]))
    if match["day"]:
        return _shifted(day, "day", _DAY_WORDS[" ".join(match["day"].lower().split())])
    if match["rel"]:
        return _shifted(day, match["rel_u"], _step(match["rel"]))
    if match["month"]:
        return _month_named(day, MONTHS.index(match["month"].capitalize()) + 1, match["m_rel"])
    return _weekday_named(day, WEEKDAYS.index(match["weekday"].capitalize()), match["w_rel"])


def _count(word: str) -> int:
    word = word.lower()
    if word in ("a", "an"):
        return 1
    return NUMBER_WORDS.index(word) + 1 if word in NUMBER_WORDS else int(word)


def _step(relation: str) -> int:
    return _STEP.get(" ".join(relation.lower().split()), 0)


def _shifted(day: date, unit: str, n: int) -> str:
    """The time `n` units (day/week/month/year/decade, maybe plural) from `day`, as precise
    as the unit."""
    unit = unit.lower().rstrip("s")
    if unit == "day":
        return (day + timedelta(days=n)).isoformat()
    if unit == "week":
        monday = day + timedelta(days=7 * n - day.weekday())
        return f"the week of {monday.isoformat()}"
    if unit == "month":
        year, month0 = divmod(day.year * 12 + day.month - 1 + n, 12)
        return _month_label(year, month0 + 1)
    years = 10 * n if unit == "decade" else n
    return str(date(day.year + years, 1, 1).year)  # date() checks the year is 1-9999


def _month_named(day: date, month: int, relation: str) -> str:
    relation = relation.lower()
    if relation == "last":
        return _month_label(day.year if month < day.month else day.year - 1, month)
    if relation == "next":
        return _month_label(day.year if month > day.month else day.year + 1, month)
    return _month_label(day.year, month)


def _month_label(year: int, month: int) -> str:
    return f"{MONTHS[month - 1]} {date(year, month, 1).year}"


def _weekday_named(day: date, weekday: int, relation: str) -> str:
    relation = relation.lower()
    if relation == "next":
        return (day + timedelta(days=(weekday - day.weekday()) % 7 or 7)).isoformat()
    back = (day.weekday() - weekday) % 7
    if relation == "last" and back == 0:
        back = 7
    return (day - timedelta(days=back)).isoformat()
