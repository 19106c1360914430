"""GIFT, Moodle's plain-text question format: parse and write.

Follows Moodle's rules: questions are separated by blank lines; `//` lines are
comments, where `[id:…]` and `[tag:…]` give the question's id and tags (we also
read `[lesson:slug]`, `[scoring:…]`, `[level:…]` and `[lint:allow=CODE] reason`,
which Moodle ignores); `$CATEGORY:` switches category; `::title::`; `{…}`
holds the answers, `=` right and `~` wrong, `~%50%` weights, `#` per-answer
feedback, `####` general feedback; `\\~ \\= \\# \\{ \\} \\: \\\\` escape and
`\\n` is a newline. A multiple-choice question with no `=` answer is
multiple-answer. True/false becomes a two-option single-answer question. Other
types (short answer, matching, numerical, essay, description) are skipped with
a warning.

A comment's tags belong to the question directly below it: a blank line or a
`$CATEGORY:` line between a comment block and the next question discards them,
so a file's header comment never tags its first question.

Everything here is pure: `parse_gift()` returns questions and warnings or
raises `GiftError` with the line of the malformed question.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

ESCAPES = {"\\\\": "\ue000", "\\~": "\ue001", "\\=": "\ue002", "\\#": "\ue003",
           "\\{": "\ue004", "\\}": "\ue005", "\\:": "\ue006", "\\n": "\ue007"}
UNESCAPE = {"\ue000": "\\", "\ue001": "~", "\ue002": "=", "\ue003": "#",
            "\ue004": "{", "\ue005": "}", "\ue006": ":", "\ue007": "\n"}
WEIGHT_RE = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
META_RE = re.compile(r"\[(id|tag|lesson|scoring|level|lint):([^\]]*)\]")
ALLOW_RE = re.compile(r"allow=([\w-]+)")
FORMAT_RE = re.compile(r"^\[(html|moodle|plain|markdown)\]")
SCORING_NAMES = {
    "all-or-nothing": "all_or_nothing",
    "plus-minus": "plus_minus",
    "weights": "weights",
}
LEVELS = ("recall", "application", "analysis")
TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
MAX_WEIGHT_DRIFT = Decimal("0.01")


class GiftError(ValueError):
    def __init__(self, line, reason):
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass
class GiftChoice:
    text: str
    correct: bool
    weight: Decimal
    feedback: str = ""
    line: int = 0  # where the answer starts in the file (0 when not parsed)


@dataclass
class GiftQuestion:
    line: int
    kind: str  # "single" or "multiple"
    stem: str
    choices: list
    title: str = ""
    general_feedback: str = ""
    category: str = ""
    external_id: str = ""
    tags: list = field(default_factory=list)
    lesson: str = ""
    scoring: str = "weights"
    level: str = ""  # "recall", "application" or "analysis"
    lint_allow: list = field(default_factory=list)  # lint codes silenced on this item
    lint_reasons: dict = field(default_factory=dict)  # code -> the reason given
    stem_line: int = 0  # where the stem starts (after a ::title::)


@dataclass
class GiftBank:
    questions: list
    warnings: list


def _protect(text):
    return re.sub(r"\\[\\~=#{}:n]", lambda m: ESCAPES[m.group(0)], text)


def _plain(text):
    text = "".join(UNESCAPE.get(ch, ch) for ch in text)
    return "\n".join(line.strip() for line in text.strip().split("\n"))


def _chunks(text):
    """Questions (and category lines) with their first line and comment lines.

    A comment block counts only when the question's first line follows it
    directly: a blank line or a `$CATEGORY:` line drops the pending comments.
    """
    chunk, comments, start = [], [], None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("//"):
            comments.append(stripped)
            continue
        if not stripped or stripped.startswith("$CATEGORY:"):
            if chunk:
                yield start, chunk, comments
            chunk, comments = [], []
            if stripped:
                yield number, [stripped], []
            continue
        if not chunk:
            start = number
        chunk.append(line)
    if chunk:
        yield start, chunk, comments


def _read_comments(comments, line):
    """The tags of a question's comment lines, checked."""
    info = {"id": "", "lesson": "", "scoring": "", "level": "", "tag": [], "allow": {}}
    for comment in comments:
        for match in META_RE.finditer(comment):
            key, value = match.group(1), match.group(2).strip()
            if key == "tag":
                info["tag"].append(value)
            elif key == "lint":
                allow = ALLOW_RE.fullmatch(value)
                if not allow:
                    raise GiftError(line, f"unknown lint comment [lint:{value}] "
                                    "(use [lint:allow=CODE] reason)")
                # The reason is the rest of that comment line, other tags aside.
                reason = META_RE.sub("", comment[match.end():]).strip()
                info["allow"][allow.group(1)] = reason
            else:
                info[key] = value
    if info["level"] and info["level"] not in LEVELS:
        raise GiftError(line, f"unknown level {info['level']!r} (use recall, application "
                        "or analysis)")
    return info


def _split_answers(body, line):
    """Split a multiple-choice answer block at unescaped = and ~ markers.

    Returns (piece, offset in body) pairs.
    """
    head = re.split(r"(?=[=~])", body, maxsplit=1)[0]
    if head.strip():
        raise GiftError(line, f"text before the first answer: {_plain(head)!r}")
    return [(m.group(0).strip(), m.start()) for m in re.finditer(r"[=~][^=~]*", body)]


def _parse_choice(piece, line):
    marker, rest = piece[0], piece[1:].strip()
    weight = Decimal(100) if marker == "=" else Decimal(0)
    match = WEIGHT_RE.match(rest)
    if match and marker == "~":
        try:
            weight = Decimal(match.group(1))
        except InvalidOperation:  # pragma: no cover - the regex admits only numbers
            raise GiftError(line, f"bad weight {match.group(0)}") from None
        if not -100 <= weight <= 100:
            raise GiftError(line, f"weight {match.group(0)} is outside -100%..100%")
        rest = rest[match.end():]
    text, _, feedback = rest.partition("#")
    text = _plain(text)
    if not text:
        raise GiftError(line, "an answer has no text")
    return GiftChoice(text=text, correct=weight > 0, weight=weight, feedback=_plain(feedback))


def _parse_question(start, lines, comments, category, warnings):
    raw = _protect("\n".join(lines)).rstrip()
    text = raw.strip()
    title = ""
    if text.startswith("::"):
        end = text.find("::", 2)
        if end != -1:
            title, text = _plain(text[2:end]), text[end + 2:].strip()
    text = FORMAT_RE.sub("", text).lstrip()
    # `text` is a tail of `raw`: this gives the file line of a position in it.
    skipped = len(raw) - len(text)

    def line_at(position):
        return start + raw.count("\n", 0, skipped + position)

    opening, closing = text.find("{"), text.find("}")
    if opening == -1 and closing == -1:
        warnings.append(f"line {start}: skipped a description (no answers), not a question")
        return None
    if opening == -1 or closing == -1 or closing < opening:
        problem = "unclosed brace '{'" if closing == -1 or closing < opening else "'}' without '{'"
        raise GiftError(start, problem)
    inner = text[opening + 1:closing]
    body = inner.strip()
    body_at = opening + 1 + len(inner) - len(inner.lstrip())
    after = text[closing + 1:].strip()
    stem = text[:opening].rstrip() + (f" _____ {after}" if after else "")
    stem = _plain(stem)

    general = ""
    if "####" in body:
        body, _, general = body.rpartition("####")
        body, general = body.strip(), _plain(general)

    def skip(kind):
        warnings.append(f"line {start}: skipped {kind} question (only multiple choice "
                        "and true/false are supported)")

    if not body:
        return skip("an essay")
    if body.startswith("#"):
        return skip("a numerical")
    if not stem:
        raise GiftError(start, "the question has no text")

    info = _read_comments(comments, start)

    if "~" in body:
        pieces, choices = [], []
        for piece, offset in _split_answers(body, start):
            pieces.append(piece)
            choices.append(_parse_choice(piece, start))
            choices[-1].line = line_at(body_at + offset)
        if len(choices) < 2:
            raise GiftError(start, "a multiple-choice question needs at least two answers")
        exact = sum(1 for p in pieces if p[0] == "=")
        kind = "single" if exact else "multiple"
        if kind == "single":
            # The key is the '=' answer; a ~%50% option only earns partial credit.
            for piece, choice in zip(pieces, choices, strict=True):
                choice.correct = piece[0] == "="
        if exact > 1:
            raise GiftError(start, "more than one '=' answer; for select-all-that-apply, "
                            "give each right answer a ~%weight% instead")
        if kind == "multiple":
            positive = sum((c.weight for c in choices if c.weight > 0), Decimal(0))
            if positive == 0:
                raise GiftError(start, "no correct answer (mark one with '=' or give the "
                                "right answers positive ~%weights%)")
            if abs(positive - 100) > MAX_WEIGHT_DRIFT:
                raise GiftError(start, f"the positive weights add up to {positive}%, not 100%")
    elif "=" in body and "->" in body:
        return skip("a matching")
    else:
        answer, *feedback = [part.strip() for part in body.split("#")]
        if answer not in TRUE_FALSE:
            if "=" in body:
                return skip("a short-answer")
            raise GiftError(start, "no answers (start each answer with '=' or '~')")
        wrong, right = (feedback + ["", ""])[:2]
        truth = TRUE_FALSE[answer]
        # Moodle: {TRUE#feedback if wrong#feedback if right}.
        true_feedback, false_feedback = (right, wrong) if truth else (wrong, right)
        choices = [
            GiftChoice("True", truth, Decimal(100 if truth else 0), _plain(true_feedback),
                       line=line_at(opening)),
            GiftChoice("False", not truth, Decimal(0 if truth else 100), _plain(false_feedback),
                       line=line_at(opening)),
        ]
        kind = "single"

    scoring = "weights"
    if info["scoring"]:
        if info["scoring"] not in SCORING_NAMES:
            raise GiftError(start, f"unknown scoring {info['scoring']!r} (use one of "
                            + ", ".join(SCORING_NAMES) + ")")
        scoring = SCORING_NAMES[info["scoring"]]
    return GiftQuestion(
        line=start, kind=kind, stem=stem, choices=choices, title=title,
        general_feedback=general, category=category, external_id=info["id"],
        tags=info["tag"], lesson=info["lesson"], scoring=scoring, level=info["level"],
        lint_allow=list(info["allow"]), lint_reasons=info["allow"], stem_line=line_at(0),
    )


def parse_gift(text) -> GiftBank:
    if any(ch in text for ch in UNESCAPE):
        raise GiftError(1, "the file contains private-use characters GIFT cannot carry")
    questions, warnings, category = [], [], ""
    for start, lines, meta in _chunks(text):
        if lines[0].startswith("$CATEGORY:"):
            category = lines[0].removeprefix("$CATEGORY:").strip()
            continue
        question = _parse_question(start, lines, meta, category, warnings)
        if question is not None:
            questions.append(question)
    return GiftBank(questions=questions, warnings=warnings)


# Writing ------------------------------------------------------------------


def escape(text):
    for char in ("\\", "~", "=", "#", "{", "}", ":"):
        text = text.replace(char, "\\" + char)
    return text.replace("\r", "").replace("\n", "\\n")


def _number(weight):
    return f"{Decimal(weight).normalize():f}"


def write_question(question) -> str:
    """One GiftQuestion (or anything with the same attributes) as GIFT."""
    lines = []
    if question.external_id:
        lines.append(f"// [id:{question.external_id}]")
    if question.tags:
        lines.append("// " + " ".join(f"[tag:{tag}]" for tag in question.tags))
    if question.lesson:
        lines.append(f"// [lesson:{question.lesson}]")
    if question.kind == "multiple" and question.scoring != "weights":
        name = next(k for k, v in SCORING_NAMES.items() if v == question.scoring)
        lines.append(f"// [scoring:{name}]")
    if getattr(question, "level", ""):
        lines.append(f"// [level:{question.level}]")
    reasons = getattr(question, "lint_reasons", {})
    for code in getattr(question, "lint_allow", []):
        lines.append(f"// [lint:allow={code}] {reasons.get(code, '')}".rstrip())
    head = f"::{escape(question.title)}::" if question.title else ""
    lines.append(f"{head}{escape(question.stem)} {{")
    for choice in question.choices:
        if question.kind == "single" and choice.correct:
            marker = "="
        elif Decimal(choice.weight) == 0:
            marker = "~"
        else:
            marker = f"~%{_number(choice.weight)}%"
        feedback = f"#{escape(choice.feedback)}" if choice.feedback else ""
        lines.append(f"\t{marker}{escape(choice.text)}{feedback}")
    if question.general_feedback:
        lines.append(f"\t####{escape(question.general_feedback)}")
    lines.append("}")
    return "\n".join(lines)


def write_gift(questions, *, category="") -> str:
    parts = [f"$CATEGORY: {category}"] if category else []
    parts.extend(write_question(q) for q in questions)
    return "\n\n".join(parts) + "\n"
