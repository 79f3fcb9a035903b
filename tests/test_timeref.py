"""Tests of rag.timeref: relative time phrases found in a sentence and dated from the article."""
from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from rag.timeref import (
    MONTHS,
    WEEKDAYS,
    TimeReference,
    describe_time_references,
    find_time_references,
)

# Real sentences of the seed articles (curly apostrophes kept).
SONG_VISIT = (
    "Then-Propaganda Department chief Liu Yunshan met with then-leader Kim Jong-il ten years ago "
    "when visiting as a special envoy to report on the outcome of a CCP National Congress like "
    "Song, while National People’s Congress vice chairman Li Jianguo met with Kim Jong-un during "
    "his visit five years ago."
)
JANG_VISIT = (
    "Just last August when North Korea’s Jang Song-thaek visited Beijing, Chinese officials did "
    "not inform Washington or Seoul."
)
SUSPENDED = ("During their meeting, the two reportedly reached an agreement to resume high-level "
             "bilateral cooperation, which has been suspended since last December.")
SUMMIT = ("This friendship was tested even more recently by the revelations that the Bank of China "
          "has stopped its dealings with North Korea’s Foreign Trade Bank, news which came out "
          "during the Park-Obama summit earlier this month on May 7 in Washington.")
AUDIENCE = ("The biggest question throughout Choe’s trip was whether he was going to meet "
            "President Xi Jinping, and that mystery was finally answered on Friday evening, "
            "May 24.")
ARRIVAL = ("The arrival of Choe Ryong-hae in Beijing on May 22 for a three day consultation marked "
           "the first high-level visit since Pyongyang’s missile test of December 2012.")

FIND_CASES = [
    # the seed sentences
    (SONG_VISIT, "2017-11-22", [("ten years ago", "2007"), ("five years ago", "2012")]),
    (JANG_VISIT, None, [("last August", None)]),
    (JANG_VISIT, "2013-05-24", [("last August", "August 2012")]),
    (SUSPENDED, "2013-05-24", [("last December", "December 2012")]),
    # the quote dates itself ("earlier this month on May 7"): nothing to count, nothing to contradict
    (SUMMIT, "2013-05-24", []),
    (SUMMIT, "2013-06-03", []),  # counted from June, "earlier this month" would say June
    (SUMMIT, None, []),  # no "cannot be dated" note for a sentence that says May 7
    (AUDIENCE, "2013-05-27", []),  # "on Friday evening, May 24"
    ("They met on Friday.", "2013-05-27", [("on Friday", "2013-05-24")]),  # a Monday article
    ("They met on Friday.", "2013-05-24", [("on Friday", "2013-05-24")]),  # a Friday article: that day
    (ARRIVAL, "2013-05-24", []),  # "May 22", "three day", "December 2012" are not relative
    # years and decades: the year only
    ("It happened five years ago.", "2017-11-22", [("five years ago", "2012")]),
    ("It happened 5 years ago.", "2017-11-22", [("5 years ago", "2012")]),
    ("It happened twenty years ago.", "2017-11-22", [("twenty years ago", "1997")]),
    ("It happened a decade ago.", "2017-11-22", [("a decade ago", "2007")]),
    ("It happened two decades ago.", "2017-11-22", [("two decades ago", "1997")]),
    ("Sales fell last year.", "2017-11-22", [("last year", "2016")]),
    ("Sales will rise next year.", "2017-11-22", [("next year", "2018")]),
    ("Sales rose this year.", "2017-11-22", [("this year", "2017")]),
    ("Earlier this year sales rose.", "2017-11-22", [("Earlier this year", "2017")]),
    ("Sales rose from the previous year.", "2017-11-22", [("the previous year", "2016")]),
    ("The plant will close in 2 years.", "2017-11-22", [("in 2 years", "2019")]),
    # months: month and year
    ("It happened two months ago.", "2017-11-22", [("two months ago", "September 2017")]),
    ("It happened two months ago.", "2017-01-15", [("two months ago", "November 2016")]),
    ("It happened 14 months ago.", "2017-11-22", [("14 months ago", "September 2016")]),
    ("It happened earlier this month.", "2017-11-22", [("earlier this month", "November 2017")]),
    ("It happened last month.", "2017-01-10", [("last month", "December 2016")]),
    ("It will happen next month.", "2017-12-05", [("next month", "January 2018")]),
    ("It will happen in three months.", "2017-11-22", [("in three months", "February 2018")]),
    ("It happened last August.", "2017-11-22", [("last August", "August 2017")]),
    ("It happened last August.", "2017-08-30", [("last August", "August 2016")]),
    ("It happened last January.", "2018-01-15", [("last January", "January 2017")]),
    ("It happened last January.", "2018-02-01", [("last January", "January 2018")]),
    ("It happened last December.", "2018-01-03", [("last December", "December 2017")]),
    ("It happens next January.", "2017-12-20", [("next January", "January 2018")]),
    ("It happens next December.", "2017-12-01", [("next December", "December 2018")]),
    ("It happens this August.", "2013-05-24", [("this August", "August 2013")]),
    ("It happened last May.", "2013-05-27", [("last May", "May 2012")]),
    # weeks: the Monday of the week
    ("It happened last week.", "2017-11-22", [("last week", "the week of 2017-11-13")]),
    ("It happens this week.", "2017-11-22", [("this week", "the week of 2017-11-20")]),
    ("It happens next week.", "2017-11-22", [("next week", "the week of 2017-11-27")]),
    ("It happened three weeks ago.", "2017-11-22", [("three weeks ago", "the week of 2017-10-30")]),
    # days: an ISO date
    ("It happened yesterday.", "2017-11-22", [("yesterday", "2017-11-21")]),
    ("It happened yesterday.", "2017-03-01", [("yesterday", "2017-02-28")]),
    ("It happens tomorrow.", "2017-12-31", [("tomorrow", "2018-01-01")]),
    ("It happened the day before yesterday.", "2017-11-22",
     [("the day before yesterday", "2017-11-20")]),
    ("It happened three days ago.", "2017-11-22", [("three days ago", "2017-11-19")]),
    ("It happened 3 days ago.", "2017-03-01", [("3 days ago", "2017-02-26")]),
    ("It will end in 10 days.", "2017-11-22", [("in 10 days", "2017-12-02")]),
    ("It happened on Sunday.", "2013-05-27", [("on Sunday", "2013-05-26")]),
    ("It happened on Monday.", "2013-05-27", [("on Monday", "2013-05-27")]),
    ("It happened last Friday.", "2013-05-24", [("last Friday", "2013-05-17")]),
    ("It happens next Monday.", "2013-05-27", [("next Monday", "2013-06-03")]),
    # leap day
    ("It happened a year ago.", "2016-02-29", [("a year ago", "2015")]),
    ("It happened four years ago.", "2016-02-29", [("four years ago", "2012")]),
    ("It happened a month ago.", "2016-03-31", [("a month ago", "February 2016")]),
    ("It happened 365 days ago.", "2016-02-29", [("365 days ago", "2015-03-01")]),
    # case, spacing, unicode, several in order
    ("FIVE YEARS AGO it began.", "2017-11-22", [("FIVE YEARS AGO", "2012")]),
    ("Last Year it began.", "2017-11-22", [("Last Year", "2016")]),
    ("Il y a — five\u00a0years\u00a0ago — à Pyongyang.", "2017-11-22",
     [("five\u00a0years\u00a0ago", "2012")]),
    ("Kim’s 北京 visit came a decade ago — “a turning point”.", "2017-11-22",
     [("a decade ago", "2007")]),
    ("Talks last week followed a visit two months ago and one yesterday.", "2017-11-22",
     [("last week", "the week of 2017-11-13"), ("two months ago", "September 2017"),
      ("yesterday", "2017-11-21")]),
    ("It said that last year prices fell.", "2017-11-22", [("last year", "2016")]),
    ("Five years ago and five years ago.", None,
     [("Five years ago", None), ("five years ago", None)]),
    # not relative references, or idioms that would be mis-dated
    ("", "2017-11-22", []),
    ("", None, []),
    ("No time is mentioned here.", "2017-11-22", []),
    ("It lasted ten years.", "2017-11-22", []),
    ("It happened recently.", "2017-11-22", []),
    ("It happened a few years ago.", "2017-11-22", []),
    ("It happened twenty-one years ago.", "2017-11-22", []),
    ("It happened 1.5 years ago.", "2017-11-22", []),
    ("It happened 2,000 years ago.", "2017-11-22", []),
    ("It happened 999 decades ago.", "2017-11-22", []),
    ("Prices rose over the last year.", "2017-11-22", []),
    ("It was his last week in office.", "2017-11-22", []),
    ("They met for the first time in ten years.", "2017-11-22", []),
    ("Exports hit the highest level in 20 years.", "2017-11-22", []),
    ("This may change; the last march was peaceful.", "2017-11-22", []),
    ("Markets close on Fridays.", "2017-11-22", []),
]

# a phrase beside a date the sentence states is left alone; one further away is read
STATED_CASES = [
    ("The bank stopped earlier this month on May 7.", "2013-06-03", []),
    ("On May 7, earlier this month, the bank stopped.", None, []),
    ("He left last Friday, May 24, for Seoul.", "2013-05-28", []),
    ("He left last Friday evening (May 24) for Seoul.", "2013-05-28", []),
    ("They met last week on Nov. 14.", "2017-11-22", []),
    ("It opened three years ago, in 2010.", "2013-05-28", []),
    ("It opened three years ago (7 May 2010).", "2013-05-28", []),
    ("Sales rose last month, in April.", "2013-05-28", []),
    ("Sales rose last month, on 2013-04-02.", "2013-05-28", []),
    ("Sales rose last month and in May by 2%.", "2013-06-28", [("last month", "May 2013")]),
    ("He said on Tuesday that may 7 be fine.", "2017-11-22", [("on Tuesday", "2017-11-21")]),
    ("She came last August when talks began on May 7.", "2013-05-28", [("last August", "August 2012")]),
]


@pytest.mark.parametrize(("sentence", "published", "expected"), FIND_CASES + STATED_CASES)
def test_find_time_references(sentence: str, published: str | None,
                              expected: list[tuple[str, str | None]]) -> None:
    refs = find_time_references(sentence, published)
    assert [(ref.phrase, ref.resolved) for ref in refs] == expected
    for ref in refs:
        assert sentence[ref.start:ref.end] == ref.phrase
    ends = [ref.end for ref in refs]
    assert all(end <= ref.start for end, ref in zip(ends, refs[1:]))  # in order, no overlap


def test_hand_worked_example() -> None:
    refs = find_time_references(SONG_VISIT, "2017-11-22")
    assert refs == [TimeReference("ten years ago", 78, 91, "2007"),
                    TimeReference("five years ago", 284, 298, "2012")]
    assert describe_time_references(refs, "2017-11-22") == (
        '"ten years ago" = 2007, "five years ago" = 2012 '
        "(counted from the article date 2017-11-22).")


def test_time_reference_is_frozen() -> None:
    ref = TimeReference("last year", 0, 9, "2016")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.resolved = "2015"  # type: ignore[misc]


@pytest.mark.parametrize("month", MONTHS)
def test_last_month_name_is_the_latest_one_before_the_publication_month(month: str) -> None:
    day = date(2016, 1, 1)
    while day.year == 2016:
        (ref,) = find_time_references(f"It happened last {month}.", day.isoformat())
        name, year = ref.resolved.split()
        months_back = (day.year - int(year)) * 12 + day.month - (MONTHS.index(name) + 1)
        assert name == month and 1 <= months_back <= 12, (day, ref)
        day += timedelta(days=1)


@pytest.mark.parametrize("weekday", WEEKDAYS)
def test_on_weekday_is_the_latest_one_on_or_before_the_date(weekday: str) -> None:
    for offset in range(14):
        day = date(2013, 5, 20) + timedelta(days=offset)
        (on_ref,) = find_time_references(f"on {weekday}", day.isoformat())
        (last_ref,) = find_time_references(f"last {weekday}", day.isoformat())
        on_day = date.fromisoformat(on_ref.resolved)
        last_day = date.fromisoformat(last_ref.resolved)
        assert WEEKDAYS[on_day.weekday()] == weekday and 0 <= (day - on_day).days <= 6
        assert WEEKDAYS[last_day.weekday()] == weekday and 1 <= (day - last_day).days <= 7


@pytest.mark.parametrize("published", ["2017/11/22", "22-11-2017", "2017-02-30", "",
                                       "2017-11-22T10:00", "20171122", "２０１７-11-22"])
def test_bad_publication_date_is_refused(published: str) -> None:
    with pytest.raises(ValueError, match="published"):
        find_time_references("last year", published)
    with pytest.raises(ValueError, match="published"):
        describe_time_references([], published)


def test_wrong_argument_types_are_refused() -> None:
    with pytest.raises(TypeError, match="sentence"):
        find_time_references(None, "2017-11-22")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="published"):
        find_time_references("last year", 20171122)  # type: ignore[arg-type]


DATED = "2017-11-22"
DESCRIBE_CASES = [
    ([], DATED, ""),
    ([], None, ""),
    ([TimeReference("five years ago", 0, 14, "2012")], DATED,
     '"five years ago" = 2012 (counted from the article date 2017-11-22).'),
    ([TimeReference("ten years ago", 0, 13, "2007"),
      TimeReference("five years ago", 20, 34, "2012")], DATED,
     '"ten years ago" = 2007, "five years ago" = 2012 (counted from the article date 2017-11-22).'),
    ([TimeReference("last week", 0, 9, "the week of 2017-11-13")], DATED,
     '"last week" = the week of 2017-11-13 (counted from the article date 2017-11-22).'),
    ([TimeReference("yesterday", 0, 9, "2017-11-21"),
      TimeReference("yesterday", 20, 29, "2017-11-21")], DATED,
     '"yesterday" = 2017-11-21 (counted from the article date 2017-11-22).'),
    ([TimeReference("last August", 5, 16, None)], None,
     '"last August": the article gives no publication date, so this cannot be dated.'),
    ([TimeReference("last August", 5, 16, None),
      TimeReference("five years ago", 30, 44, None)], None,
     '"last August", "five years ago": the article gives no publication date, so these cannot '
     "be dated."),
]


@pytest.mark.parametrize(("refs", "published", "expected"), DESCRIBE_CASES)
def test_describe_time_references(refs: list[TimeReference], published: str | None,
                                  expected: str) -> None:
    assert describe_time_references(refs, published) == expected


def test_describe_refuses_references_found_without_the_date_it_is_given() -> None:
    refs = find_time_references(JANG_VISIT, None)
    with pytest.raises(ValueError, match="last August"):
        describe_time_references(refs, "2013-05-24")
