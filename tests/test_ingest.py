"""Tests of rag.ingest: cleaning, date and byline reading, and loading files and folders."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.ingest import (MAX_CAPTION_CHARS, clean_text, find_byline, find_date, is_boilerplate, is_caption,
                        load_documents, parse_document, strip_credits)
from rag.types import SkippedFile, content_hash

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
CAPTION = ("The Korean Central News Agency reported that North Korean leader Kim Jong-un "
           "conducted on-the-spot-guidance at the Sungri Motor Plant in Tokchon")
BOILERPLATE_SEEN = ("Leave a Reply", "Your email address", "Required fields", "comments for",
                    "Related stories", "Most viewed", "Please direct questions", "button that")

BLOG = ("\ufeff\u201cWe\u2019re\tready,\u201d says   mayor\r\n\r\n\r\n"
        "Published: March 3, 2020\r\nBy Jane Doe | City desk\r\n\r\n"
        "The mayor\u2019s plan\u00a0costs $2 million \u2014 half of it from the state.\r\n"
        "Share this:\r\nClick to share on Twitter (Opens in new window)\r\n\r\n"
        "Related\r\n2 Comments\r\nLeave a comment\r\n"
        "\u00a9 2020 The Daily Example. All rights reserved.\r\n")
WIRE = ("Exports rise for a third month\n"
        "Updated: January 5, 2021\nPublished: 3 January 2021\nAdvertisement\n\n"
        "Exports rose 4% in December, the ministry said.\n\n"
        "Subscribe to our newsletter for daily updates\n\n"
        "Read more: Why the won weakened\n\n"
        "Share prices of exporters fell anyway.\n\n"
        "By Sam Lee and Ana Ruiz, Seoul\n\nTags: economy, trade\nMost read\n"
        "Please send comments to desk@example.com\n")
MARKDOWN = ("# Summit ends without a deal\n\nDate: 5 May 2019\n\n"
            "Related stories about the summit ran in three papers, officials said.\n\n"
            "Print Email Share\n\n"
            "Delegates left the hall after the talks in Hanoi.\n"
            "Delegates left the hall after the talks in Hanoi.\n\n"
            "Photo: delegates leave the hall after the talks in Hanoi.\n\n"
            "Talks will resume in June.\n")


def _seed(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def test_hand_worked_example() -> None:
    raw = ("\ufeffMy\tTitle  \r\n\r\n\r\nPublished: March 3, 2020\r\nBy Jane Doe\r\n\r\n"
           "She said \u201chello\u201d \u2013 twice.\r\nShare\r\n\r\n\r\n\u00a9 2020 News\r\n")
    assert clean_text(raw) == ('My Title\n\nPublished: March 3, 2020\nBy Jane Doe\n\n'
                               'She said "hello" \u2013 twice.')
    doc = parse_document(raw, "a.txt")
    assert (doc.title, doc.date, doc.byline) == ("My Title", "2020-03-03", "Jane Doe")


@pytest.mark.parametrize(("raw", "title", "date", "byline", "kept_once", "dropped"), [
    (_seed("004"), "Kim Jong-un appears to have refused meeting with Chinese special envoy",
     "2017-11-22", "Kim Oi-hyun, Beijing correspondent and Noh Ji-won, staff reporter",
     ["Posted on : 2017-11-22 16:03 KST Modified on : 2019-10-19 20:29 KST", CAPTION,
      "Analysts say the refusal shows North Korea wants talks with the US, not China",
      "prepare a 'Plan B' for what to do", "special envoy \u2013 to meet with Politburo",
      "\n\nBy Kim Oi-hyun, Beijing correspondent and Noh Ji-won, staff reporter"],
     BOILERPLATE_SEEN),
    (_seed("000"), "North Korean Envoy Visits Beijing: Groundwork for a Sino-DPRK Reset?",
     None, "Andy Lim",
     ["The arrival of Choe Ryong-hae in Beijing on May 22 for a three day consultation",
      'North Korea is "ready to work" with relevant parties', "\n\nBy Andy Lim\n\n",
      "\n\nMr. Andy Lim is a researcher with the Korea Chair at CSIS."],
     BOILERPLATE_SEEN + ("\u2019", "\u201c", "\n\n\n", "fair use")),
    (BLOG, '"We\'re ready," says mayor', "2020-03-03", "Jane Doe",
     ["The mayor's plan costs $2 million \u2014 half of it from the state."],
     ("Share this", "Click to share", "Related", "Comments", "Leave a comment", "\u00a9", "\r",
      "\t")),
    (WIRE, "Exports rise for a third month", "2021-01-03", "Sam Lee and Ana Ruiz, Seoul",
     ["Exports rose 4% in December", "Share prices of exporters fell anyway."],
     ("Advertisement", "Subscribe", "Read more", "Tags", "Most read", "Please send")),
    (MARKDOWN, "Summit ends without a deal", "2019-05-05", None,
     ["Related stories about the summit ran in three papers", "Talks will resume in June.",
      "Delegates left the hall"], ("Print Email Share", "Photo:")),
], ids=["seed-004", "seed-000", "blog-crlf", "wire", "markdown"])
def test_articles(raw: str, title: str, date: str | None, byline: str | None,
                  kept_once: list[str], dropped: tuple[str, ...]) -> None:
    doc = parse_document(raw, "article.txt")
    assert (doc.title, doc.date, doc.byline) == (title, date, byline)
    for text in kept_once:
        assert doc.text.count(text) == 1, text
    for text in dropped:
        assert text.lower() not in doc.text.lower(), text
    assert clean_text(doc.text) == doc.text  # cleaning is idempotent


@pytest.mark.parametrize(("raw", "expected"), [
    ("", ""),
    (" \n\n\t\r\n ", ""),
    ("Share\nLeave a Reply\n\u00a9 2024 X", ""),
    ("a\r\nb\rc", "a\nb\nc"),
    ("one\n\n\n\n two ", "one\n\ntwo"),
    ("Cafe\u0301 \u2018x\u2019 \u201cy\u201d", "Caf\u00e9 'x' \"y\""),
    ("a\u00a0\u2003b\u200b\tc", "a b c"),
    ("para\u2029next", "para\n\nnext"),
    ("Em \u2014 and en \u2013 dashes stay", "Em \u2014 and en \u2013 dashes stay"),
    ("Yes.\nNo.\nYes.", "Yes.\nNo.\nYes."),  # short lines may repeat
    ("A caption long enough to count\nBody.\n\nA caption long enough to count",
     "A caption long enough to count\nBody."),
    ("a\x07b\x0cc\u2028d", "ab\nc\nd"),
    ("\ud55c\uad6d\uc5b4 \uae30\uc0ac", "\ud55c\uad6d\uc5b4 \uae30\uc0ac"),
])
def test_clean_text_edge_cases(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_clean_text_huge_input() -> None:
    raw = "\r\n\r\n".join(f"Paragraph number {i} of a very long article." for i in range(20_000))
    text = clean_text(raw)
    assert text.count("\n\n") == 19_999 and text.endswith("19999 of a very long article.")


@pytest.mark.parametrize(("line", "expected"), [
    ("3 comments for \"North Korean Envoy Visits Beijing", True),
    ("Your email address will not be published. Required fields are marked *", True),
    ("Leave a Reply", True), ("Post a comment", True), ("Share this:", True),
    ("Click to share on Facebook (Opens in new window)", True),
    ("Related stories", True), ("Most viewed articles", True), ("Read more", True),
    ("ADVERTISEMENT", True), ("Subscribe to The Herald", True), ("Tags: trade", True),
    ("Please direct questions or comments to [english@hani.co.kr]", True),
    ("\u00a9 2017 The Hankyoreh", True),
    ("Copyright 2019 Example Media. All rights reserved.", True),
    ("button that move to original korean article", True),
    ("Share | Tweet | Print | Email", True),
    ("Related stories about the summit ran in three papers, officials said.", False),
    ("Share prices fell 3% on Tuesday.", False),
    ("Advertisement revenue fell sharply last year.", False),
    ("Copyright law was changed in 2019 after a long debate.", False),
    ("Readers who subscribe get more.", False),
    ("Subscribe " + "and read " * 30, False),  # too long to be a button or a form
])
def test_is_boilerplate(line: str, expected: bool) -> None:
    assert is_boilerplate(line) is expected


@pytest.mark.parametrize(("line", "expected"), [
    ("The tower, shown here in 1990, was closed for a decade. Volunteers raised the money to relight it. "
     "Photo used under fair use guidelines.",
     "The tower, shown here in 1990, was closed for a decade. Volunteers raised the money to relight it."),
    ("Photo: Reuters. The lamp was relit on Sunday. Crowds gathered on the quay.",
     "The lamp was relit on Sunday. Crowds gathered on the quay."),
    ("The lamp was relit on Sunday. Crowds gathered on the quay. Reuters reported that 3,000 came.",
     "The lamp was relit on Sunday. Crowds gathered on the quay. Reuters reported that 3,000 came."),
    ("The relit lamp at dusk. (AP Photo/Ana Ruiz)", "The relit lamp at dusk. (AP Photo/Ana Ruiz)"),  # a caption: dropped whole
])
def test_a_credit_ending_prose_is_cut_and_the_prose_kept(line: str, expected: str) -> None:
    assert strip_credits(line) == expected
    assert clean_text(f"Title\n\n{line}\n") == ("Title" if is_caption(line) else f"Title\n\n{expected}")


@pytest.mark.parametrize(("line", "expected"), [
    ("Photo: Reuters", True),
    ("Photo: the harbour master inspects the new lamp in Quistenport.", True),
    ("Photograph: Ilse Brandvik/Quistenport Gazette", True),
    ("Image copyright Nordhavn Picture Agency", True),
    ("Image caption Volunteers carry the lamp up the tower", True),
    ("(Photo by Jan Mertens/Getty Images)", True),
    ("Getty Images", True), ("AP Photo/Ana Ruiz", True), ("AFP via Getty Images", True),
    ("Credit: Sam Lee for The Harbour Times", True),
    ("Picture courtesy of the Quistenport Harbour Society.", True),
    ("This image is reproduced with permission of the artist.", True),
    ("Lighthouse picture used under fair-use rules.", True),
    ("The relit lamp at dusk. (AP Photo/Ana Ruiz)", True),  # caption, then credit
    ("Volunteers at the top of the tower (Photo: Harbour Society)", True),
    ("Keepers wave from the gallery on the night of the relighting. Image used under a "
     "Creative Commons licence.", True),
    ("Photo: Reuters. Crowds gather on the quay for the relighting.", True),  # credit first
    ("Photos from the quay show a crowd of thousands.", False),
    ("Pictures by the dozen were taken on the quay.", False),  # "by" without a name
    ("The photo was used with great effect in the campaign.", False),
    ("The court ruled the image was published under a fair use claim, said the mayor.", False),
    ("Reuters reported that the lamp was relit.", False),
    ("QUISTENPORT (Reuters) - The lighthouse was relit on Sunday.", False),
    ("Video footage showed the lamp turning.", False),
    ("The mayor, shown here at the ceremony, thanked the volunteers.", False),  # no credit
    ("Photo: " + "a very long caption " * 25, False),  # over the limit: prose, whatever it starts with
    ("", False),
])
def test_is_caption(line: str, expected: bool) -> None:
    assert is_caption(line) is expected
    if expected:
        assert is_boilerplate(line)  # dropped by clean_text


def test_a_caption_line_is_dropped_and_the_prose_beside_it_kept() -> None:
    raw = ("Velmora lighthouse shines again\n\n"
           "The keeper, shown here in 1963, lit the old lamp for the last time. "
           "Photo utilised under fair use guidelines.\n\n"
           "The Velmora lighthouse was relit on 14 March 2024.\n\n"
           "Image copyright Nordhavn Picture Agency\n")
    assert clean_text(raw) == ("Velmora lighthouse shines again\n\n"
                               "The Velmora lighthouse was relit on 14 March 2024.")


def test_the_caption_limit_is_exact() -> None:
    credit = ". Photo: Harbour Society."
    at_limit = "x" * (MAX_CAPTION_CHARS - len(credit)) + credit
    assert len(at_limit) == MAX_CAPTION_CHARS and is_caption(at_limit)
    assert not is_caption("x" + at_limit)


@pytest.mark.parametrize(("lines", "expected"), [
    (["Posted on : 2017-11-22 16:03 KST Modified on : 2019-10-19 20:29 KST"], "2017-11-22"),
    (["Modified on : 2019-10-19", "Posted on : 2017-11-22"], "2017-11-22"),
    (["Updated: 2021-01-05", "Published: 3 January 2021"], "2021-01-03"),
    (["Published: March 3, 2020"], "2020-03-03"), (["Updated 2021-01-05"], "2021-01-05"),
    (["Date: 5 May 2019"], "2019-05-05"), (["May 5, 2019"], "2019-05-05"),
    (["Tuesday, Sept. 10, 2019 at 9:30 a.m. EST"], "2019-09-10"),
    (["2019/05/06"], "2019-05-06"),
    (["On May 5, 2019, officials met in Hanoi."], None),  # a date in a sentence is no label
    (["The 2019-05-06 meeting"], None),
    (["Posted on : 2017-13-45"], None), (["Published: February 30, 2020"], None),  # no such day
    (["Posted by Jane Doe on Friday, March 6, 2020"], "2020-03-06"), ([], None),
])
def test_find_date(lines: list[str], expected: str | None) -> None:
    assert find_date(lines) == expected


@pytest.mark.parametrize(("lines", "expected"), [
    (["Title", "By Andy Lim", "Body."], "Andy Lim"),
    (["Title", "Body.", "By Kim Oi-hyun, Seoul correspondent"], "Kim Oi-hyun, Seoul correspondent"),
    (["Title", "By Jane Doe | Published: March 3, 2020"], "Jane Doe"),
    (["Title", "BY JOHN SMITH"], "JOHN SMITH"),
    (["Title", "By March, sales had doubled at the plant in Ulsan."], None),
    (["Title", "By the end of the year it closed."], None),
    (["Title", "Body."], None),
    (["Title", *["Body."] * 10, "By Ann Lee", *["Body."] * 10], None),  # mid-article
])
def test_find_byline(lines: list[str], expected: str | None) -> None:
    assert find_byline(lines) == expected


def test_id_is_the_content_hash_of_the_cleaned_text() -> None:
    first = parse_document("Title\n\nBody text.", "a.txt")
    assert first.id == content_hash(first.text)
    assert parse_document("Title\r\n\r\n\r\nBody   text.\r\n", "b.txt").id == first.id
    assert parse_document("Title\n\nOther body text.", "a.txt").id != first.id


@pytest.mark.parametrize(("raw", "error"), [("", ValueError), ("Share\n\n", ValueError),
                                            (b"bytes", TypeError)])
def test_parse_document_rejects_bad_input(raw: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_document(raw, "x.txt")  # type: ignore[arg-type]


def _write_corpus(root: Path) -> Path:
    folder = root / "corpus"
    (folder / "sub" / "deeper").mkdir(parents=True)
    (folder / ".git").mkdir()
    (folder / "a.txt").write_text("Alpha\n\nFirst article.\n", encoding="utf-8")
    (folder / "dup.txt").write_bytes(b"Alpha\r\n\r\n\r\nFirst   article.\r\nShare\r\n")
    (folder / "sub" / "b.md").write_bytes("\ufeff# Beta\n\nSecond article.".encode("utf-8"))
    (folder / "sub" / "deeper" / "c.txt").write_text("Gamma\n\nThird article.", encoding="utf-8")
    (folder / ".hidden.txt").write_text("Hidden\n\nNot indexed.", encoding="utf-8")
    (folder / ".git" / "d.txt").write_text("Hidden dir\n\nNot indexed.", encoding="utf-8")
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4")
    (folder / "bin.txt").write_bytes(b"Title\x00\x01\x02")
    (folder / "latin.txt").write_bytes("Café\n\nTrès bien.".encode("latin-1"))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.md").write_text("  \n\t\n\nLeave a Reply\n", encoding="utf-8")
    return folder


def test_load_documents_reads_good_files_and_skips_bad_ones(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _write_corpus(tmp_path)
    (folder / "locked.txt").write_text("Locked\n\nSecret.", encoding="utf-8")
    real_read_bytes = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "locked.txt":  # chmod cannot lock out root, so fake the refusal
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    (tmp_path / "report.pdf").write_bytes(b"%PDF")
    paths = [folder, tmp_path / "missing.txt", str(tmp_path / "report.pdf")]
    documents, skipped = load_documents(paths)

    assert [d.name for d in documents] == ["a.txt", "b.md", "c.txt"]
    assert [d.title for d in documents] == ["Alpha", "Beta", "Gamma"]
    assert documents[1].source == str(folder / "sub" / "b.md")
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert reasons == {
        "bin.txt": "binary file (contains NUL bytes)",
        "blank.md": "empty (no text after cleaning)",
        "dup.txt": f"same content as {folder / 'a.txt'}",
        "empty.txt": "empty (no text after cleaning)",
        "latin.txt": "not UTF-8 text (byte 0xe9 at offset 3)",
        "locked.txt": "unreadable (Permission denied)",
        "missing.txt": "not found",
        "report.pdf": "unsupported file type '.pdf' (only .txt and .md)",
    }


def test_load_documents_order_is_stable_and_repeats_are_reported(tmp_path: Path) -> None:
    folder = _write_corpus(tmp_path)
    first, _ = load_documents([folder])
    again, skipped = load_documents([folder / "sub" / "b.md", folder])
    assert [d.id for d in first] == [d.id for d in load_documents([folder])[0]]
    assert [d.name for d in again] == ["b.md", "a.txt", "c.txt"]
    assert SkippedFile(str(folder / "sub" / "b.md"),
                       f"listed more than once (read as {folder / 'sub' / 'b.md'})") in skipped


@pytest.mark.parametrize("paths", ["seeds", Path("seeds")])
def test_load_documents_wants_a_sequence(paths: object) -> None:
    with pytest.raises(TypeError, match="wrap"):
        load_documents(paths)  # type: ignore[arg-type]


def test_load_documents_on_the_seeds() -> None:
    documents, skipped = load_documents([SEEDS])
    assert [(d.name[:3], d.date) for d in documents] == [("000", None), ("004", "2017-11-22")]
    assert skipped == []


def test_a_file_over_the_size_limit_is_skipped_with_the_limit_named(tmp_path, monkeypatch):
    import rag.ingest

    monkeypatch.setattr(rag.ingest, "MAX_FILE_BYTES", 1_000)
    (tmp_path / "big.txt").write_text("Big report\n\n" + "The tide rose again. " * 100, encoding="utf-8")
    (tmp_path / "small.txt").write_text("Small report\n\nThe tide fell.", encoding="utf-8")
    docs, skipped = rag.ingest.load_documents([tmp_path])
    assert [d.name for d in docs] == ["small.txt"]
    assert skipped[0].reason == ("2.1 kB is over the limit of 1.0 kB for one document "
                                 "(split it into smaller files)")


_ENCODED = st.builds(lambda text, codec: text.encode(codec, errors="replace"),
                     st.text(st.characters(exclude_categories=()), max_size=300),
                     st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32", "latin-1", "cp1252",
                                      "shift_jis", "euc-kr", "gb18030"]))
_CONTENT = st.one_of(st.binary(max_size=400), _ENCODED,
                     st.builds(lambda a, b: a + b"\x00" + b, st.binary(max_size=50), st.binary(max_size=50)),
                     st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\n\n \t", b"%PDF-1.4\n",
                                      "Title\n\nBody text.".encode("utf-8")]))


@settings(max_examples=80, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.dictionaries(st.sampled_from(["a.txt", "b.md", "c.txt", "sub/d.txt", "e.MD", "f.txt"]),
                             _CONTENT, min_size=1, max_size=6))
def test_every_file_is_a_document_or_skipped_with_a_reason(tmp_path: Path, files: dict[str, bytes]) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    documents, skipped = load_documents([folder])  # never raises
    read = [Path(d.source).relative_to(folder).as_posix() for d in documents]
    assert sorted(read + [Path(s.path).relative_to(folder).as_posix() for s in skipped]) == sorted(files)
    assert all(s.reason.strip() for s in skipped)
    for d in documents:
        assert d.text.strip() and d.title.strip() and "\x00" not in d.text
        d.text.encode("utf-8")  # strict: what is indexed is valid text
