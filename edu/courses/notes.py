"""The module's clinical notes beside each lesson: Markdown files in the course
folder, and the course's reference list.

Pure functions: `parse_notes()` checks a note's shape and renders it safely
(CommonMark with raw HTML off); its `[ref:KEY]` markers become links when the
page shows them (`quizzes.citations`). Errors carry the line.
"""

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt

from quizzes.citations import REF_RE

SECTIONS = ("Learning objectives", "Key points", "Clinical notes")
HEADING_RE = re.compile(r"^##\s+(.+?)\s*$")
BULLET_RE = re.compile(r"^\s*[-*]\s+(.+)$")
# A quoted term is a mention (of the article's wording, say), not our own words.
QUOTED_RE = re.compile(r"“[^”]*”|\"[^\"\n]*\"")

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False})


class NotesError(ValueError):
    def __init__(self, line, reason):
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass
class Notes:
    objectives: list
    key_points: list
    html: str
    references: dict = field(default_factory=dict)  # key -> first line it is cited on


def cited_lines(text, first_line=1):
    """{reference key: line of its first mention} in `text`."""
    found = {}
    for number, line in enumerate(text.split("\n"), start=first_line):
        for key in REF_RE.findall(line):
            found.setdefault(key, number)
    return found


def parse_notes(text) -> Notes:
    """Check that a note has its three sections, in order, and render it."""
    lines = text.replace("\r\n", "\n").split("\n")
    sections, current = {}, None
    for number, line in enumerate(lines, start=1):
        heading = HEADING_RE.match(line)
        if heading:
            title = heading.group(1)
            if title not in SECTIONS:
                raise NotesError(number, f"unknown section {title!r} (use: {', '.join(SECTIONS)})")
            if title in sections:
                raise NotesError(number, f"section {title!r} appears twice")
            current = sections[title] = {"line": number, "lines": []}
        elif line.lstrip().startswith("#"):
            raise NotesError(number, "only the three '## ' section headings are allowed")
        elif current is None:
            if line.strip():
                raise NotesError(number, "text before the first section heading")
        else:
            current["lines"].append(line)
    missing = [s for s in SECTIONS if s not in sections]
    if missing:
        raise NotesError(len(lines), f"missing section {missing[0]!r}")
    if list(sections) != list(SECTIONS):
        raise NotesError(1, "sections must come in this order: " + ", ".join(SECTIONS))

    def bullets(title):
        items = [m.group(1) for m in map(BULLET_RE.match, sections[title]["lines"]) if m]
        if not items:
            raise NotesError(sections[title]["line"], f"{title!r} needs at least one '- ' item")
        return items

    objectives, key_points = bullets("Learning objectives"), bullets("Key points")
    references = cited_lines(text)
    clinical = "\n".join(sections["Clinical notes"]["lines"])
    if not REF_RE.search(clinical) and not any(REF_RE.search(p) for p in key_points):
        raise NotesError(sections["Clinical notes"]["line"], "no referenced note ([ref:KEY])")
    unreferenced = [p for p in key_points if not REF_RE.search(p)]
    if unreferenced:
        raise NotesError(
            sections["Key points"]["line"], f"a key point names no reference: {unreferenced[0]!r}"
        )
    # The objectives are shown on their own at the top of the lesson; the rest
    # sits under the page's "Clinical notes" heading, one level down.
    rest = "\n".join(lines[sections["Key points"]["line"] - 1:])
    html = _markdown.render(re.sub(r"^## ", "### ", rest, flags=re.M))
    for label, css in (("Correction:", "correction"), ("In practice:", "practice")):
        html = html.replace(
            f"<p><strong>{label}</strong>", f'<p class="{css}"><strong>{label}</strong>'
        )
    return Notes(objectives=objectives, key_points=key_points, html=html, references=references)


def unquoted(text):
    return QUOTED_RE.sub("", text)
