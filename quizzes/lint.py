"""Item-writing lint for question banks: pure checks over parsed GiftQuestion objects.

`lint_questions()` runs every rule in RULES on each item, then the bank-level
rules, and returns Findings (`FILE:LINE: [ID] CODE: message`). A comment
`// [lint:allow=CODE] reason` in an item's comment block silences CODE on that
item; an allow without a reason is itself a warning. `lint_text_findings()`
runs the language rule over free text (clinical notes). No database here.

Single-answer items are kind "single" (one full-credit key); true/false items
are those whose two options are True and False.
"""

import re
from collections import Counter
from dataclasses import dataclass

from .gift import LEVELS


@dataclass(frozen=True)
class Finding:
    source: str
    line: int
    item: str  # the item's [id:], "?" without one, "-" for the bank or free text
    code: str
    severity: str  # "error" or "warning"
    message: str

    def __str__(self):
        return f"{self.source}:{self.line}: [{self.item}] {self.code}: {self.message}"


def _words(*words, flags=re.IGNORECASE):
    return re.compile(r"\b(" + "|".join(words) + r")\b", flags)


ALL_NONE = {"all of the above", "none of the above", "all of these", "none of these",
            "both a and b"}
ABSOLUTE_RE = _words("always", "never", "only", "all", "none", "every", "completely",
                     "entirely", "absolutely", "guaranteed")
NEGATIVE_RE = _words("not", "except", "least", "false", flags=0)  # NOT in capitals is fine
EMPHASIS_RE = re.compile(r"<(b|strong|em)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
TAG_RE = re.compile(r"<[^>]*>")
SOURCE_RE = _words("the lesson", "the article", "the introduction", "the text", "the passage",
                   "according to the")
CLANG_IGNORED = {"which", "these", "those", "there", "their", "about", "would", "should",
                 "could", "after", "before", "while", "where", "what"}
STIGMA = [
    (_words("addicts?", "junkies?"), '"person with a substance use disorder"'),
    (_words("abusers?"), '"person who misuses a substance" or "person with a use disorder"'),
    (_words(r"doctor[- ]shopping"), '"prescriptions from multiple prescribers"'),
    # clean/dirty of a test ...
    (_words(r"(?:clean|dirty)\s+(?:(?:urine|drug|tox|toxicology)\s+)?"
            r"(?:urine|tests?|screens?|samples?|specimens?|results?|uds)"),
     '"negative" or "positive" (a test result)'),
    # ... or of a person
    (_words(r"(?:stay|stays|stayed|staying|is|was|are|were|be|been|being|get|gets|got|"
            r"getting|remain|remains|remained)\s+(?:clean|dirty)"),
     '"in remission" or "not using" (a person)'),
]
LONGEST_KEY_RATE = 0.25  # share of single-answer items whose key is the longest option
KEY_POSITION_RATE = 0.40  # share of a category's keys at one position
KEY_POSITION_MIN_ITEMS = 5


# Item shapes ---------------------------------------------------------------


def _true_false(q):
    return sorted(c.text.strip().lower() for c in q.choices) == ["false", "true"]


def _key(q):
    """(key, distractors) of a single-answer item, or (None, []) for any other."""
    keys = [c for c in q.choices if c.correct]
    if q.kind != "single" or len(keys) != 1:
        return None, []
    return keys[0], [c for c in q.choices if c is not keys[0]]


def _four_option(q):
    """Single-answer and not true/false: the items where option cues apply."""
    return _key(q)[0] is not None and not _true_false(q)


def _key_is_longest(q):
    key, distractors = _key(q)
    return len(key.text) > max(len(d.text) for d in distractors)


def _normal(text):
    text = re.sub(r"[^\w\s]", "", TAG_RE.sub(" ", text).lower())
    return " ".join(text.split())


def _long_words(text):
    words = re.findall(r"[^\W\d_]+", TAG_RE.sub(" ", text).lower())
    return {w for w in words if len(w) >= 5} - CLANG_IGNORED


def _quoted(words):
    return ", ".join(repr(w) for w in sorted(words))


# Item rules: each yields (line or 0 for the item's line, message) -------------


def missing_rationale(q):
    for n, choice in enumerate(q.choices, start=1):
        if not choice.feedback.strip():
            yield choice.line, f"option {n} ({choice.text!r}) has no rationale"


def all_none_above(q):
    for n, choice in enumerate(q.choices, start=1):
        if " ".join(choice.text.lower().split()).rstrip(".") in ALL_NONE:
            yield choice.line, f"option {n} is {choice.text!r}; write a real option instead"


def duplicate_option(q):
    seen = {}
    for n, choice in enumerate(q.choices, start=1):
        text = _normal(choice.text)
        if text in seen:
            yield choice.line, f"option {n} repeats option {seen[text]} ({choice.text!r})"
        seen.setdefault(text, n)


def missing_lesson(q):
    if not q.lesson:
        yield 0, "no [lesson:slug] to send the learner back to"


def longest_key(q):
    if not _four_option(q):
        return
    key, distractors = _key(q)
    longest = max(len(d.text) for d in distractors)
    if len(key.text) > longest and len(key.text) >= 1.3 * longest:
        yield key.line, (f"the key is the longest option ({len(key.text)} characters, the "
                         f"longest distractor {longest}); a testwise learner picks it")


def absolute_distractor(q):
    key = _key(q)[0]
    if key is None or ABSOLUTE_RE.search(key.text):
        return
    for n, choice in enumerate(q.choices, start=1):
        match = None if choice is key else ABSOLUTE_RE.search(choice.text)
        if match:
            yield choice.line, (f"option {n} says {match.group(0)!r} and the key has no "
                                "absolute word; the absolute gives the distractor away")


def negative_stem(q):
    words = NEGATIVE_RE.findall(TAG_RE.sub(" ", EMPHASIS_RE.sub(" ", q.stem)))
    if words:
        yield q.stem_line, (f"negative stem ({_quoted(set(words))}); ask positively, or "
                            "emphasise it: NOT, <b>not</b>")


def stem_clang(q):
    key, distractors = _key(q)
    if key is None:
        return
    clang = _long_words(q.stem) & _long_words(key.text)
    for distractor in distractors:
        clang -= _long_words(distractor.text)
    if clang:
        yield key.line, f"the key repeats stem word(s) {_quoted(clang)} that no distractor uses"


def true_false(q):
    if _key(q)[0] is not None and _true_false(q):
        yield 0, "a true/false item is a coin toss; write a single best answer item instead"


def refers_to_source(q):
    match = SOURCE_RE.search(q.stem)
    if match:
        yield q.stem_line, (f"the stem points at {match.group(0)!r}; ask about the "
                            "clinical situation, not the text")


def too_few_options(q):
    if _four_option(q) and len(q.choices) < 4:
        yield 0, f"{len(q.choices)} options; write 4 (one key, three plausible distractors)"


def sata_all_correct(q):
    if q.kind == "multiple" and all(c.weight > 0 for c in q.choices):
        yield 0, "every option earns credit; add at least one plausible wrong option"


def _stigma(text):
    """(offset, term, suggestion) for each stigmatising term in `text`."""
    for pattern, suggestion in STIGMA:
        for match in pattern.finditer(text):
            yield match.start(), match.group(0), suggestion


def _stigma_message(term, where, suggestion):
    return (f"stigmatising term {' '.join(term.split())!r} in {where}; use person-first "
            f"language, e.g. {suggestion}")


def stigmatising_term(q):
    places = [(q.stem_line, "the stem", q.stem)]
    for n, choice in enumerate(q.choices, start=1):
        places += [(choice.line, f"option {n}", choice.text),
                   (choice.line, f"the rationale of option {n}", choice.feedback)]
    places.append((0, "the general feedback", q.general_feedback))
    for line, where, text in places:
        for _, term, suggestion in _stigma(text):
            yield line, _stigma_message(term, where, suggestion)


RULES = [  # (code, severity, rule)
    ("missing-rationale", "error", missing_rationale),
    ("all-none-above", "error", all_none_above),
    ("duplicate-option", "error", duplicate_option),
    ("missing-lesson", "error", missing_lesson),
    ("longest-key", "warning", longest_key),
    ("absolute-distractor", "warning", absolute_distractor),
    ("negative-stem", "warning", negative_stem),
    ("stem-clang", "warning", stem_clang),
    ("true-false", "warning", true_false),
    ("refers-to-source", "warning", refers_to_source),
    ("too-few-options", "warning", too_few_options),
    ("sata-all-correct", "warning", sata_all_correct),
    ("stigmatising-term", "warning", stigmatising_term),
]


def _item_findings(q, source):
    item = q.external_id or "?"
    found = [
        Finding(source, line or q.line, item, code, severity, message)
        for code, severity, rule in RULES
        if code not in q.lint_allow
        for line, message in rule(q)
    ]
    for code in q.lint_allow:
        if not q.lint_reasons.get(code):
            found.append(Finding(source, q.line, item, "allow-without-reason", "warning",
                                 f"[lint:allow={code}] gives no reason; say why after the "
                                 "bracket"))
    return found


# Bank rules ------------------------------------------------------------------


def _bank_findings(questions, source, unshuffled):
    found = []
    counted = [q for q in questions if _four_option(q)]
    longest = sum(1 for q in counted if _key_is_longest(q))
    if counted and longest / len(counted) > LONGEST_KEY_RATE:
        found.append(Finding(
            source, 1, "-", "longest-key-rate", "warning",
            f"the key is the longest option in {longest} of {len(counted)} single-answer "
            f"items ({longest / len(counted):.0%}); keep it at or under "
            f"{LONGEST_KEY_RATE:.0%}"))
    for category in sorted(unshuffled):
        items = [q for q in questions if q.category == category]
        # True/false items are left out: the format fixes their option order.
        keyed = [q for q in items if _four_option(q)]
        if len(keyed) < KEY_POSITION_MIN_ITEMS:
            continue
        positions = Counter(next(n for n, c in enumerate(q.choices, 1) if c.correct)
                            for q in keyed)
        position, count = positions.most_common(1)[0]
        if count / len(keyed) > KEY_POSITION_RATE:
            found.append(Finding(
                source, items[0].line, "-", "key-position", "warning",
                f"category {category!r} does not shuffle options and {count} of "
                f"{len(keyed)} keys ({count / len(keyed):.0%}) are option {position}; "
                "spread the keys over the positions"))
    return found


def lint_questions(questions, *, source, unshuffled_categories=()) -> list:
    """Findings for `questions` (GiftQuestion) from the file `source`, by line.

    `unshuffled_categories` names the categories whose options are shown in the
    authored order; only those get the key-position check.
    """
    source = str(source)
    found = [f for q in questions for f in _item_findings(q, source)]
    found += _bank_findings(questions, source, set(unshuffled_categories))
    return sorted(found, key=lambda f: f.line)


def lint_text_findings(text, *, source, line=1, item="-") -> list:
    """stigmatising-term findings for free text starting at `line` of `source`."""
    return [
        Finding(str(source), line + text.count("\n", 0, offset), item, "stigmatising-term",
                "warning", _stigma_message(term, "the text", suggestion))
        for offset, term, suggestion in sorted(_stigma(text))
    ]


# Summary ---------------------------------------------------------------------


def summary(questions) -> dict:
    """{category: Counter} with a count per level ("" when unset), "sata" and "total"."""
    table = {}
    for q in questions:
        counts = table.setdefault(q.category, Counter())
        counts[q.level] += 1
        counts["sata"] += q.kind == "multiple"
        counts["total"] += 1
    return table


def format_summary(table) -> list:
    """The summary as lines: categories by level, totals, and the higher-order share."""
    columns = [*LEVELS, "", "sata", "total"]
    headers = [*LEVELS, "no level", "SATA", "total"]
    totals = sum(table.values(), Counter())
    rows = [(name or "(none)", table[name]) for name in sorted(table)] + [("total", totals)]
    width = max(len("category"), *(len(name) for name, _ in rows))
    lines = ["  ".join([f"{'category':<{width}}", *headers])]
    for name, counts in rows:
        cells = [f"{counts[c]:>{len(h)}}" for c, h in zip(columns, headers, strict=True)]
        lines.append("  ".join([f"{name:<{width}}", *cells]))
    higher = totals["application"] + totals["analysis"]
    share = f" ({higher / totals['total']:.0%})" if totals["total"] else ""
    lines.append(f"application + analysis: {higher} of {totals['total']} items{share}")
    return lines
