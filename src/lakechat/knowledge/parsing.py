"""Documents -> sections: the text under each heading, with its heading path and page.

Markdown (markdown-it-py), HTML (Beautiful Soup), PDF (pypdf, a section per page), DOCX
(python-docx, headings from the paragraph styles) and plain text. A file that cannot be
read raises ``UnreadableDocument`` naming the file and why; an empty one too.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from lakechat.errors import BadRequest


class UnreadableDocument(BadRequest):
    code = "unreadable_document"


class UnsupportedDocument(BadRequest):
    code = "unsupported_document"
    status = 415


@dataclass(frozen=True)
class Section:
    """Text under one heading: ``path`` is the headings above it, outermost first."""

    path: tuple[str, ...]
    text: str
    page: int | None = None


#: file suffix -> the kind of document
KINDS = {
    ".md": "markdown", ".markdown": "markdown", ".txt": "text", ".text": "text", ".rst": "text",
    ".html": "html", ".htm": "html", ".pdf": "pdf", ".docx": "docx",
}  # fmt: skip


def kind_of(filename: str) -> str:
    suffix = PurePosixPath(filename.lower()).suffix
    if suffix not in KINDS:
        raise UnsupportedDocument(
            f"{filename}: lakechat reads Markdown, text, HTML, PDF and DOCX files "
            f"({', '.join(sorted(KINDS))}), not {suffix or 'files without a suffix'}"
        )
    return KINDS[suffix]


def parse(filename: str, data: bytes) -> tuple[str, list[Section]]:
    """The document's title and its sections; UnreadableDocument when it has no text."""
    kind = kind_of(filename)
    try:
        title, sections = _PARSERS[kind](data)
    except UnreadableDocument as exc:
        raise UnreadableDocument(f"{filename}: {exc.message}") from None
    except Exception as exc:  # each library fails in its own way on a corrupt file
        raise UnreadableDocument(
            f"{filename} is not a readable {kind.upper()} file: {_reason(exc)}"
        ) from None
    sections = [s for s in sections if s.text.strip()]
    if not sections:
        raise UnreadableDocument(f"{filename} has no text to index")
    return title or PurePosixPath(filename).stem, sections


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableDocument("the file is not UTF-8 text") from None


# markdown ---------------------------------------------------------------------------
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)


def _markdown(data: bytes) -> tuple[str | None, list[Section]]:
    from markdown_it import MarkdownIt

    # YAML front matter would read as a rule and a heading: blank it, keeping line numbers
    text = _FRONT_MATTER.sub(lambda m: "\n" * m.group(0).count("\n"), _text(data))
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    body: list[str] = []

    def close_section() -> None:
        sections.append(Section(tuple(h for _, h in stack), _clean("\n".join(body))))
        body.clear()

    title: str | None = None
    header: list[str] = []
    row: list[str] | None = None
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type == "heading_open":
            close_section()
            level, heading = int(token.tag[1]), _inline_text(tokens[i + 1])
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, heading))
            title = title or (heading if level == 1 else None)
            i += 3
            continue
        if token.type == "tr_open":
            row = []
        elif token.type == "inline" and row is not None:
            row.append(_inline_text(token))
        elif token.type == "tr_close" and row is not None:
            if not header:
                header = row
            else:  # a row reads "Name: value; Default: 10" (it is quoted alone)
                body.append(
                    "; ".join(
                        f"{h}: {c}" if h else c for h, c in zip(header, row, strict=False) if c
                    )
                )
            row = None
        elif token.type == "table_close":
            header = []
        elif token.type == "inline":
            body.append(_inline_text(token))
        elif token.type in ("fence", "code_block", "html_block"):
            body.append(token.content)
        i += 1
    close_section()
    return title, sections


def _inline_text(token: Any) -> str:
    """An inline run as plain text: emphasis, links and code marks dropped, breaks as spaces."""
    words: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            words.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            words.append(" ")
        elif child.type == "image":
            words.append(child.content)
    return "".join(words).strip()


# html -------------------------------------------------------------------------------
_BLOCKS = {"p", "li", "pre", "blockquote", "div", "section", "article", "dd", "dt", "br"}
_SKIP = {"script", "style", "noscript", "template", "head", "nav", "footer"}


def _html(data: bytes) -> tuple[str | None, list[Section]]:
    """Sections by <h1>-<h6>; the title is the page's only <h1>, else its <title>. Text
    keeps the page's own spacing, so "<b>certified</b>." reads "certified."; a table row
    reads like a Markdown one ("Header: value; Header: value")."""
    from bs4 import BeautifulSoup
    from bs4.element import NavigableString, Tag

    soup = BeautifulSoup(data, "html.parser")
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    parts: list[str] = []

    def flush() -> None:  # a line per block, as Markdown's sections have
        text = re.sub(r"\n+", "\n", _clean("".join(parts)))
        sections.append(Section(tuple(h for _, h in stack), text))
        parts.clear()

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if type(child) is NavigableString:  # not a comment, doctype or CDATA
                    parts.append(str(child))
                continue
            if not isinstance(child, Tag) or child.name in _SKIP:
                continue
            if re.fullmatch(r"h[1-6]", child.name or ""):
                flush()
                level = int(child.name[1])
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, _html_inline(child)))
                continue
            if child.name == "table":
                parts.extend(f"\n{line}\n" for line in _html_table(child))
                continue
            walk(child)
            if child.name in _BLOCKS:
                parts.append("\n")

    body = soup.body or soup
    walk(body)
    flush()
    if not any(section.text for section in sections):
        # html.parser closes nothing by itself: an unclosed <h1> holds the whole page
        sections = [Section((), _clean(body.get_text("\n")))]
    h1s = [_html_inline(h1) for h1 in body.find_all("h1")]
    title_tag = soup.find("title")
    if len(h1s) == 1 and h1s[0]:  # the browser tab's <title> often adds " | Intranet"
        return h1s[0], sections
    if title_tag is not None and _html_inline(title_tag):
        return _html_inline(title_tag), sections
    return next((s.path[0] for s in sections if s.path), None), sections


def _html_inline(tag: Any) -> str:
    """An element's text on one line, with the spacing the page gives it."""
    return re.sub(r"\s+", " ", tag.get_text()).strip()


def _html_table(table: Any) -> list[str]:
    """A table's caption, then one line per row: "Header: value; Header: value" under a
    header row of <th> cells, cells joined by "; " without one."""
    lines = [_html_inline(caption) for caption in table.find_all("caption", limit=1)]
    header: list[str] = []
    for n, tr in enumerate(table.find_all("tr")):
        cells = tr.find_all(["td", "th"])
        row = [_html_inline(cell) for cell in cells]
        if n == 0 and all(cell.name == "th" for cell in cells):
            header = row
        elif any(row):
            lines.append("; ".join(
                f"{h}: {c}" if h else c
                for h, c in itertools.zip_longest(header, row, fillvalue="") if c
            ))  # fmt: skip
    return [line for line in lines if line]


# pdf ----------------------------------------------------------------------------------
def _pdf(data: bytes) -> tuple[str | None, list[Section]]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):  # a PDF with only an owner password opens
        raise UnreadableDocument("the PDF needs a password")
    title = (reader.metadata.title if reader.metadata else None) or None
    starts = _outline_starts(reader)
    sections: list[Section] = []
    path: tuple[str, ...] = ()
    for number, page in enumerate(reader.pages, 1):
        path = starts.get(number - 1, path)
        sections.append(
            Section(path or (f"page {number}",), _clean(page.extract_text() or ""), page=number)
        )
    return title, sections


def _outline_starts(reader: Any) -> dict[int, tuple[str, ...]]:
    """Page index -> the bookmark path that starts there (the PDF's table of contents)."""
    starts: dict[int, tuple[str, ...]] = {}

    def walk(items: list[Any], above: tuple[str, ...]) -> None:
        last: tuple[str, ...] | None = None
        for item in items:
            if isinstance(item, list):
                walk(item, last or above)
                continue
            last = (*above, str(item.title).strip())
            page = reader.get_destination_page_number(item)
            if page is not None and page >= 0:  # a bookmark pointing nowhere names no page
                starts.setdefault(page, last)

    try:
        walk(list(reader.outline), ())
    except Exception:  # a broken outline leaves the pages without headings
        return {}
    return starts


# docx ---------------------------------------------------------------------------------
def _docx(data: bytes) -> tuple[str | None, list[Section]]:
    from docx import Document
    from docx.table import Table

    document = Document(io.BytesIO(data))
    title = document.core_properties.title or None
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    parts: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            parts += [" | ".join(cell.text.strip() for cell in row.cells) for row in block.rows]
            continue
        style = (block.style.name if block.style is not None else "") or ""
        level = _heading_level(style)
        text = block.text.strip()
        if level is not None and text:
            sections.append(Section(tuple(h for _, h in stack), _clean("\n".join(parts))))
            parts.clear()
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, text))
            if level == 0 and title is None:
                title = text
        elif text:
            parts.append(text)
    sections.append(Section(tuple(h for _, h in stack), _clean("\n".join(parts))))
    return title, sections


def _heading_level(style: str) -> int | None:
    if style == "Title":
        return 0
    found = re.fullmatch(r"Heading (\d)", style)
    return int(found.group(1)) if found else None


# text ---------------------------------------------------------------------------------
#: a plain-text file's first line is its title when it is this short and not a sentence
_TITLE_CHARS = 80


def _plain(data: bytes) -> tuple[str | None, list[Section]]:
    """One section; a short first line that does not end like a sentence is the title
    (without it, the file's name is), and a reStructuredText underline below it goes too."""
    text = _clean(_text(data))
    first, _, rest = text.partition("\n")
    rest = re.sub(r"\A([=\-~^*#])\1{2,}\n", "", rest).strip()
    titled = len(first) <= _TITLE_CHARS and re.search(r"[^\W\d_]", first)
    if titled and rest and not re.search(r"[.!?:;,]$", first):
        return first, [Section((), rest)]
    return None, [Section((), text)]


_PARSERS: dict[str, Callable[[bytes], tuple[str | None, list[Section]]]] = {
    "markdown": _markdown, "html": _html, "pdf": _pdf, "docx": _docx, "text": _plain,
}  # fmt: skip


def _clean(text: str) -> str:
    """Runs of spaces made one, at most one blank line between paragraphs."""
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
