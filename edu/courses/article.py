"""The plain-text article format lessons are built from: parse and render.

An article is a title line, an untitled introduction, then sections. A section
heading is a short line on its own between blank lines, without a final period
(a question mark is fine). Body paragraphs are long lines (a paragraph wrapped
over several lines is joined); list items start with a bullet (•, -, * or ◦,
possibly indented). A run of two or more bodiless headings at the end of the
file is a website's navigation list ("Recovery articles for you"), not a
lesson: it is skipped and reported.

A lesson body uses the same format without headings, so `render_body()` turns
both imported and admin-edited lessons into HTML. Everything here is pure
(no database), so it is tested without Django's ORM.
"""

import re
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.text import slugify

BULLET_RE = re.compile(r"^\s*[•◦▪‣\-*]\s+(?P<text>\S.*)$")
LABEL_RE = re.compile(r"^(?P<label>[A-Z][^:.!?]{0,48}):\s+(?P<rest>\S.*)$")
HEADING_MAX_CHARS = 100
HEADING_BAD_ENDINGS = (".", ":", ";", ",")
TITLE_MAX_CHARS = 200
SLUG_MAX_CHARS = 80


class ArticleFormatError(ValueError):
    """The text is not an article in the expected format."""

    def __init__(self, reason, line=None):
        super().__init__(reason)
        self.reason = reason
        self.line = line


@dataclass(frozen=True)
class Block:
    kind: str  # "heading", "paragraph" or "item"
    text: str
    line: int


@dataclass
class Section:
    title: str
    line: int
    blocks: list = field(default_factory=list)

    @property
    def body(self):
        """The section's text in the lesson-body format (paragraphs and bullets)."""
        chunks, items = [], []
        for block in self.blocks:
            if block.kind == "item":
                items.append(f"• {block.text}")
                continue
            if items:
                chunks.append("\n".join(items))
                items = []
            chunks.append(block.text)
        if items:
            chunks.append("\n".join(items))
        return "\n\n".join(chunks)


@dataclass(frozen=True)
class Skipped:
    title: str
    line: int
    entries: int


@dataclass
class Article:
    title: str
    sections: list
    skipped: list

    @property
    def summary(self):
        """The first paragraph: the introduction's opening, for course lists."""
        for section in self.sections:
            for block in section.blocks:
                if block.kind == "paragraph":
                    return block.text
        return ""


def decode(data: bytes) -> str:
    """Bytes to text, refusing what is not UTF-8 text, with the line at fault."""
    if not data.strip():
        raise ArticleFormatError("the file is empty")
    for index, byte in enumerate(data):
        if byte == 0 or (byte < 32 and byte not in (9, 10, 12, 13)):
            line = data[:index].count(b"\n") + 1
            raise ArticleFormatError(
                f"binary data (control byte 0x{byte:02x}), not a text article", line
            )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ArticleFormatError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8", line
        ) from None


def _paragraphs(lines, first_line=1):
    """Group lines into runs of non-blank lines: [(line_number, [lines])]."""
    runs, current, start = [], [], None
    for number, raw in enumerate(lines, start=first_line):
        if raw.strip():
            if not current:
                start = number
            current.append((number, raw.rstrip()))
        elif current:
            runs.append((start, current))
            current = []
    if current:
        runs.append((start, current))
    return runs


def _is_heading(run):
    if len(run) != 1:
        return False
    text = run[0][1].strip()
    return (
        len(text) <= HEADING_MAX_CHARS
        and not BULLET_RE.match(run[0][1])
        and not text.endswith(HEADING_BAD_ENDINGS)
        and any(ch.isalpha() for ch in text)
    )


def _blocks_of(run):
    """Paragraph and item blocks of one run of lines."""
    blocks = []
    for number, raw in run:
        bullet = BULLET_RE.match(raw)
        text = " ".join(raw.split())
        if bullet:
            blocks.append(Block("item", " ".join(bullet["text"].split()), number))
        elif blocks and (blocks[-1].kind == "paragraph" or raw[:1].isspace()):
            # A wrapped paragraph line, or an indented continuation of an item.
            last = blocks[-1]
            blocks[-1] = Block(last.kind, f"{last.text} {text}", last.line)
        else:
            blocks.append(Block("paragraph", text, number))
    return blocks


def parse_blocks(text):
    """Paragraph and item blocks of a lesson body (no headings)."""
    blocks = []
    for _, run in _paragraphs(text.splitlines()):
        blocks.extend(_blocks_of(run))
    return blocks


def parse_article(text) -> Article:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    runs = _paragraphs(lines)
    if not runs:
        raise ArticleFormatError("the file is empty")

    title_line, first_run = runs[0]
    title = " ".join(first_run[0][1].split())
    if len(title) > TITLE_MAX_CHARS or BULLET_RE.match(first_run[0][1]):
        raise ArticleFormatError(
            "the first line must be the article's title (a short line, not a paragraph "
            "or a bullet)",
            title_line,
        )
    rest = first_run[1:]
    runs = ([(rest[0][0], rest)] if rest else []) + runs[1:]

    sections = []
    intro = Section("Introduction", runs[0][0] if runs else title_line)
    current = intro
    for start, run in runs:
        if _is_heading(run):
            current = Section(" ".join(run[0][1].split()), start)
            sections.append(current)
        else:
            current.blocks.extend(_blocks_of(run))

    if not sections:
        raise ArticleFormatError(
            "no section headings found (a heading is a short line on its own between "
            "blank lines, without a final period)",
            title_line,
        )

    skipped = []
    trailing = 0
    while trailing < len(sections) and not sections[-1 - trailing].blocks:
        trailing += 1
    if trailing >= 2:
        nav = sections[-trailing:]
        skipped.append(Skipped(nav[0].title, nav[0].line, len(nav) - 1))
        sections = sections[:-trailing]

    for section in sections:
        if not section.blocks:
            raise ArticleFormatError(f"section {section.title!r} has no text", section.line)
    if intro.blocks:
        sections.insert(0, intro)
    if not sections:
        raise ArticleFormatError("no section has any text", title_line)
    return Article(title=title, sections=sections, skipped=skipped)


def unique_slugs(titles, max_length=SLUG_MAX_CHARS):
    """A slug per title, unique within the list (suffix -2, -3 on repeats)."""
    seen, slugs = set(), []
    for title in titles:
        base = slugify(title)[:max_length].strip("-") or "section"
        slug, n = base, 2
        while slug in seen:
            suffix = f"-{n}"
            slug = f"{base[: max_length - len(suffix)]}{suffix}"
            n += 1
        seen.add(slug)
        slugs.append(slug)
    return slugs


def _render_item(text):
    label = LABEL_RE.match(text)
    if label and len(label["label"].split()) <= 5:
        return f"<strong>{escape(label['label'])}:</strong> {escape(label['rest'])}"
    return escape(text)


def render_body(text) -> str:
    """Lesson body text to HTML: <p> paragraphs and real <ul> lists, all escaped."""
    html, in_list = [], False
    for block in parse_blocks(text):
        if block.kind == "item":
            if not in_list:
                html.append("<ul>")
                in_list = True
            html.append(f"<li>{_render_item(block.text)}</li>")
            continue
        if in_list:
            html.append("</ul>")
            in_list = False
        html.append(f"<p>{escape(block.text)}</p>")
    if in_list:
        html.append("</ul>")
    return "\n".join(html)
