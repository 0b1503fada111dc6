"""Documents to sections and chunks: headings kept as a path, pages for PDFs, clear errors
for files that cannot be read."""

from __future__ import annotations

import io
import itertools

import pytest

from lakechat.knowledge.chunking import chunk, sentences
from lakechat.knowledge.parsing import Section, UnreadableDocument, UnsupportedDocument, parse

MARKDOWN = b"""# Handbook

Welcome to the team.

## Leave

You get 25 days of paid leave a year.

### Sick leave

Tell your manager before 10:00.

```
# not a heading: code
```

## Pay

Salaries are paid monthly.
"""


def test_markdown_sections_follow_the_headings() -> None:
    title, sections = parse("handbook.md", MARKDOWN)
    assert title == "Handbook"
    assert [(s.path, s.text) for s in sections] == [
        (("Handbook",), "Welcome to the team."),
        (("Handbook", "Leave"), "You get 25 days of paid leave a year."),
        (
            ("Handbook", "Leave", "Sick leave"),
            "Tell your manager before 10:00.\n# not a heading: code",
        ),
        (("Handbook", "Pay"), "Salaries are paid monthly."),
    ]


def test_markdown_front_matter_and_emphasis_in_headings() -> None:
    text = b"---\ntitle: ignored\ntags: [a]\n---\n# The *real* title\n\nBody `code` here.\n"
    title, sections = parse("fm.md", text)
    assert title == "The real title"
    assert [(s.path, s.text) for s in sections] == [(("The real title",), "Body code here.")]


def test_markdown_reads_as_plain_text_and_a_table_row_as_labelled_values() -> None:
    text = (
        b"# Settings\n\nSee **the** [guide](http://x) for\nmore.\n\n"
        b"| Setting | Default | Meaning |\n|---|---|---|\n"
        b"| `QUERY_MAX_ROWS` | `10000` | Rows returned at most. |\n| `X` | | Unset. |\n"
    )
    _, [section] = parse("settings.md", text)
    assert section.text.splitlines() == [
        "See the guide for more.",
        "Setting: QUERY_MAX_ROWS; Default: 10000; Meaning: Rows returned at most.",
        "Setting: X; Meaning: Unset.",
    ]


def test_an_unclosed_html_heading_still_gives_the_text() -> None:
    _, sections = parse(
        "broken.html", b"<html><body><h1>Title<p>All the text is here.</p></body></html>"
    )
    assert len(sections) == 1 and "All the text is here." in sections[0].text


def test_html_sections_skip_scripts_and_follow_headings() -> None:
    html = (b"<html><head><title>Guide</title><script>var x = 1;</script></head><body>"
            b"<nav>menu</nav><h1>Leave</h1><p>You get <b>25</b> days.</p><h2>Sick</h2>"
            b"<ul><li>Call your manager</li><li>Tell HR</li></ul><h1>Pay</h1><p>Monthly.</p></body></html>")  # fmt: skip
    title, sections = parse("guide.html", html)
    assert title == "Guide"
    assert [(s.path, s.text) for s in sections] == [
        (("Leave",), "You get 25 days."),
        (("Leave", "Sick"), "Call your manager\nTell HR"),
        (("Pay",), "Monthly."),
    ]


def test_an_html_table_row_reads_like_a_markdown_one() -> None:
    html = (b"<html><head><title>Travel policy | Intranet</title></head><body><h1>Business travel</h1>"
            b"<p>Dashboards are <strong>certified</strong>. Ask in <code>#help</code>.</p>"
            b"<table><caption>Hotel limits</caption><thead><tr><th>City</th><th>Per night</th></tr></thead>"
            b"<tbody><tr><td>Lisbon</td><td><b>\xe2\x82\xac160</b></td></tr><tr><td>Austin</td><td></td></tr>"
            b"</tbody></table><table><tr><td>no</td><td>header</td></tr></table></body></html>")  # fmt: skip
    title, [section] = parse("travel.html", html)
    assert title == "Business travel"  # the page's only <h1>, not the browser tab's <title>
    assert section.path == ("Business travel",)
    assert section.text.splitlines() == [
        "Dashboards are certified. Ask in #help.",
        "Hotel limits",
        "City: Lisbon; Per night: \u20ac160",
        "City: Austin",
        "no; header",
    ]


def test_plain_text_takes_a_short_first_line_as_its_title() -> None:
    title, [section] = parse("sick-leave.txt", b"SICK LEAVE\n\nOwner: People team.\nStay home.\n")
    assert (title, section.text) == ("SICK LEAVE", "Owner: People team.\nStay home.")
    title, [section] = parse("notes.txt", b"Call your manager before 10:00.\nThen log it.\n")
    assert (title, section.text) == ("notes", "Call your manager before 10:00.\nThen log it.")
    assert parse("one-line.txt", b"Just a heading") == ("one-line", [Section((), "Just a heading")])
    assert parse("guide.rst", b"Guide\n=====\n\nRead me.") == ("Guide", [Section((), "Read me.")])


def test_docx_headings_come_from_paragraph_styles() -> None:
    from docx import Document

    document = Document()
    document.add_heading("Policies", 0)
    document.add_heading("Travel", 1)
    document.add_paragraph("Book trains over flights.")
    document.add_heading("Meals", 2)
    document.add_paragraph("Up to 40 EUR a day.")
    data = io.BytesIO()
    document.save(data)
    title, sections = parse("policies.docx", data.getvalue())
    assert title == "Policies"
    assert [(s.path, s.text) for s in sections] == [
        (("Policies", "Travel"), "Book trains over flights."),
        (("Policies", "Travel", "Meals"), "Up to 40 EUR a day."),
    ]


def test_docx_tables_stay_where_they_are() -> None:
    from docx import Document

    document = Document()
    document.add_heading("Rates", 1)
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate([("Band", "Rate"), ("A", "10%")]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    document.add_heading("Other", 1)
    document.add_paragraph("Nothing here.")
    data = io.BytesIO()
    document.save(data)
    _, sections = parse("rates.docx", data.getvalue())
    assert [(s.path, s.text) for s in sections] == [
        (("Rates",), "Band | Rate\nA | 10%"),
        (("Other",), "Nothing here."),
    ]


def test_pdf_headings_come_from_its_bookmarks() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(
        clone_from=PdfReader(io.BytesIO(_pdf(["Intro text.", "Install text.", "More install."])))
    )
    intro = writer.add_outline_item(title="Introduction", page_number=0)
    writer.add_outline_item(title="Installation", page_number=1, parent=intro)
    out = io.BytesIO()
    writer.write(out)
    _, sections = parse("guide.pdf", out.getvalue())
    assert [(s.page, s.path) for s in sections] == [
        (1, ("Introduction",)),
        (2, ("Introduction", "Installation")),
        (3, ("Introduction", "Installation")),
    ]


def test_pdf_pages_are_sections() -> None:
    pdf = _pdf(["First page says hello.", "Second page says goodbye."])
    _, sections = parse("two.pdf", pdf)
    assert [(s.page, s.path) for s in sections] == [(1, ("page 1",)), (2, ("page 2",))]
    assert "goodbye" in sections[1].text


@pytest.mark.parametrize(
    ("name", "data", "error", "message"),
    [
        ("broken.pdf", b"%PDF-1.4 nothing else", UnreadableDocument, "broken.pdf is not a readable PDF file"),
        ("broken.docx", b"PK not a zip", UnreadableDocument, "broken.docx is not a readable DOCX file"),
        ("empty.md", b"", UnreadableDocument, "empty.md has no text to index"),
        ("blank.txt", b"  \n\n ", UnreadableDocument, "blank.txt has no text to index"),
        ("latin.txt", b"caf\xe9", UnreadableDocument, "latin.txt: the file is not UTF-8 text"),
        ("tool.exe", b"MZ", UnsupportedDocument, "lakechat reads Markdown, text, HTML, PDF and DOCX"),
    ],
)  # fmt: skip
def test_unreadable_files_say_which_and_why(
    name: str, data: bytes, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        parse(name, data)
    assert message in str(caught.value)


def test_chunks_stay_under_their_heading_and_overlap() -> None:
    text = " ".join(f"Sentence number {i} has exactly seven words." for i in range(60))
    chunks = chunk(
        [Section(("A",), text), Section(("B",), "Short one.")], max_words=70, overlap_words=15
    )
    a_chunks = [c for c in chunks if c.path == ("A",)]
    assert all(len(c.text.split()) <= 70 for c in chunks)
    assert len(a_chunks) >= 6 and chunks[-1].path == ("B",) and chunks[-1].text == "Short one."
    for first, second in itertools.pairwise(a_chunks):
        tail = sentences(first.text)[-2:]  # two 7-word sentences fit in 15 words of overlap
        assert sentences(second.text)[:2] == tail
    covered = " ".join(c.text for c in a_chunks)
    assert all(f"Sentence number {i} " in covered for i in range(60))
    assert [c.index for c in chunks] == list(range(len(chunks)))


def test_a_sentence_longer_than_a_chunk_is_cut_by_words() -> None:
    chunks = chunk([Section((), "word " * 500)], max_words=100, overlap_words=0)
    assert [len(c.text.split()) for c in chunks] == [100] * 5


def _pdf(pages: list[str]) -> bytes:
    """A small valid PDF with one text line per page (no PDF writer library needed)."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", ""]
    kids = []
    for i, text in enumerate(pages):
        page_id, content_id = 3 + 2 * i, 4 + 2 * i
        kids.append(f"{page_id} 0 R")
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET"
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_id} 0 R "
                       f"/Resources << /Font << /F1 {3 + 2 * len(pages)} 0 R >> >> >>")  # fmt: skip
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>"
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out
