"""The item-writing linter (quizzes.lint) and `manage.py lint_bank`, without a database."""

import io
import os
import subprocess
import sys

import pytest
from django.core.management import call_command

from quizzes.gift import parse_gift
from quizzes.lint import format_summary, lint_questions, lint_text_findings, summary

from .conftest import ROOT

STEM = "A woman taking clonazepam for panic disorder asks how to stop it. What is the best advice?"
KEY = "Taper slowly with the prescriber"
DISTRACTORS = (
    "Halt it at once and rest at home",
    "Swap it for a nightly glass of wine",
    "Halve the dose each second morning",
)
META = "// [id:q1] [lesson:withdrawal]"


def mc(stem=STEM, key=KEY, distractors=DISTRACTORS, meta=META, general="", rationale="Why."):
    """A single-answer item in GIFT; with the defaults it trips no rule."""
    lines = [meta, stem + " {", f"\t={key}#{rationale}"]
    lines += [f"\t~{d}#{rationale}" for d in distractors]
    lines += [f"\t####{general}"] if general else []
    return "\n".join([*lines, "}"])


def findings(text, **kwargs):
    return lint_questions(parse_gift(text).questions, source="bank.gift", **kwargs)


def codes(text, **kwargs):
    return [f.code for f in findings(text, **kwargs)]


def test_a_well_written_item_has_no_findings():
    assert findings(mc()) == []


TRIPS = [
    ("missing-rationale", mc(rationale="")),
    ("missing-rationale", f"{META}\n{STEM} {{=a#Why. ~b ~c#Why. ~d#Why.}}"),
    ("all-none-above", mc(distractors=(*DISTRACTORS[:2], "All of the above"))),
    ("all-none-above", mc(distractors=(*DISTRACTORS[:2], "none of these."))),
    ("all-none-above", mc(distractors=(*DISTRACTORS[:2], "Both A and B"))),
    ("all-none-above", mc(distractors=(*DISTRACTORS[:2], "NONE  of the above"))),
    ("duplicate-option", mc(distractors=(*DISTRACTORS[:2], "halt it at  once, and rest at home!"))),
    ("missing-lesson", mc(meta="// [id:q1]")),
    ("longest-key", mc(key="Taper slowly with the prescriber, watching for rebound anxiety")),
    ("absolute-distractor", mc(distractors=(*DISTRACTORS[:2], "Never take another dose"))),
    ("absolute-distractor", mc(distractors=(*DISTRACTORS[:2], "Stop ALL sedatives today"))),
    ("negative-stem", mc(stem="Which advice is not safe for this woman?")),
    ("negative-stem", mc(stem="All of these are safe except which one?")),
    ("negative-stem", mc(stem="Which is <b>never</b> the least risky plan?")),
    ("stem-clang", mc(stem="A woman wants to taper clonazepam. What is the best advice?")),
    ("true-false", f"{META}\nClonazepam is a benzodiazepine. {{T#Why.#Why.}}"),
    ("true-false", f"{META}\nIs it an opioid? {{=False#Why. ~True#Why.}}"),
    ("refers-to-source", mc(stem="According to the guideline, what is the best advice?")),
    ("refers-to-source", mc(stem="What does The Lesson say is the best advice?")),
    ("refers-to-source", mc(stem="What advice does the article give?")),
    ("too-few-options", mc(distractors=DISTRACTORS[:2])),
    ("sata-all-correct", f"{META}\nWhich apply? {{~%50%Insomnia#Why. ~%50%Tremor#Why.}}"),
    ("stigmatising-term", mc(stem="An addict asks how to stop clonazepam. What is best?")),
    ("stigmatising-term", mc(distractors=(*DISTRACTORS[:2], "Report the drug abusers"))),
    ("stigmatising-term", mc(rationale="A junkie would say so.")),
    ("stigmatising-term", mc(general="This is doctor shopping.")),
    ("stigmatising-term", mc(general="Ask for a clean urine.")),
    ("stigmatising-term", mc(general="A dirty urine sample.")),
    ("stigmatising-term", mc(general="She had a clean drug screen.")),
    ("stigmatising-term", mc(general="One dirty test is not a relapse.")),
    ("stigmatising-term", mc(general="He stayed clean for a year.")),
    ("stigmatising-term", mc(general="She is clean now.")),
]

PASSES = [
    ("missing-rationale", mc()),
    ("all-none-above", mc(distractors=(*DISTRACTORS[:2], "None of the doses was missed"))),
    ("duplicate-option", mc(distractors=(*DISTRACTORS[:2], "Halt it at once and rest in bed"))),
    ("missing-lesson", mc()),
    # Longest, but under 1.3 times the longest distractor (35 characters).
    ("longest-key", mc(key="Taper slowly, guided by the prescriber")),
    ("longest-key", f"{META}\nClonazepam is a benzodiazepine. {{T#Why.#Why.}}"),
    ("absolute-distractor", mc(key="Always taper with the prescriber",
                               distractors=(*DISTRACTORS[:2], "Never take another dose"))),
    ("absolute-distractor", mc(distractors=(*DISTRACTORS[:2], "Allow an overall nightly dose"))),
    ("negative-stem", mc(stem="Which advice is NOT safe for this woman?")),
    ("negative-stem", mc(stem="Which advice is <b>not</b> safe for this woman?")),
    ("negative-stem", mc(stem="All of these are safe <em>except</em> which one?")),
    ("negative-stem", mc(stem="Which is <strong>least</strong> risky? Nothing is notable.")),
    # The stem's word also appears in a distractor, or is a common word.
    ("stem-clang", mc(stem="A woman wants to taper clonazepam. What is the best advice?",
                      distractors=(*DISTRACTORS[:2], "Taper over two days at home"))),
    ("stem-clang", mc(stem="Which would help?", key="Which taper would help")),
    ("true-false", mc()),
    ("refers-to-source", mc(stem="In this context, what does the textbook method advise?")),
    ("too-few-options", mc()),
    ("too-few-options", f"{META}\nClonazepam is a benzodiazepine. {{T#Why.#Why.}}"),
    ("sata-all-correct",
     f"{META}\nWhich apply? {{~%50%Insomnia#Why. ~%50%Tremor#Why. ~%-100%Euphoria#Why.}}"),
    ("stigmatising-term", mc(stem="A man with an addiction asks for advice. What is best?")),
    ("stigmatising-term", mc(general="A person with a substance use disorder; misuse and abuse.")),
    ("stigmatising-term", mc(general="Clean the injection site; a negative urine drug screen.")),
]


@pytest.mark.parametrize(("code", "text"), TRIPS)
def test_each_rule_flags_the_item_that_breaks_it(code, text):
    assert code in codes(text)


@pytest.mark.parametrize(("code", "text"), PASSES)
def test_each_rule_passes_the_item_that_keeps_it(code, text):
    assert code not in codes(text)


def test_every_rule_has_a_failing_and_a_passing_case():
    from quizzes.lint import RULES

    for code, _, _ in RULES:
        assert code in {c for c, _ in TRIPS} and code in {c for c, _ in PASSES}, code


def test_severities_ids_and_lines():
    text = "\n\n" + mc(meta="// [id:w-1]", rationale="")
    by_code = {f.code: f for f in findings(text)}
    assert by_code["missing-lesson"].severity == "error"
    assert str(by_code["missing-lesson"]) == (
        "bank.gift:4: [w-1] missing-lesson: no [lesson:slug] to send the learner back to"
    )
    # An option's finding points at the option's own line.
    assert [f.line for f in findings(text) if f.code == "missing-rationale"] == [5, 6, 7, 8]
    no_id = findings(mc(meta="// [lesson:x]", stem="What is not safe?"))
    assert [(f.item, f.code, f.severity, f.line) for f in no_id] == [
        ("?", "negative-stem", "warning", 2)
    ]


def test_addiction_is_not_flagged_but_addict_is():
    assert codes(mc(general="Clonazepam carries a risk of addiction.")) == []
    assert codes(mc(general="Clonazepam can make anyone an addict.")) == ["stigmatising-term"]


def test_stigmatising_terms_in_free_text_carry_their_line():
    text = "# Notes\n\nAddiction is a disorder.\nNever call a person an addict or\njunkie.\n"
    found = lint_text_findings(text, source="notes.md", line=10)
    assert [str(f) for f in found] == [
        "notes.md:13: [-] stigmatising-term: stigmatising term 'addict' in the text; use "
        'person-first language, e.g. "person with a substance use disorder"',
        "notes.md:14: [-] stigmatising-term: stigmatising term 'junkie' in the text; use "
        'person-first language, e.g. "person with a substance use disorder"',
    ]
    assert lint_text_findings("Tolerance, dependence and addiction.", source="n.md") == []


# Allows ------------------------------------------------------------------------------------


def test_an_allow_with_a_reason_silences_that_code_on_that_item_only():
    tf = "Clonazepam is a benzodiazepine. {T#Why.#Why.}"
    allowed = f"// [id:a] [lesson:x]\n// [lint:allow=true-false] a warm-up item\n{tf}"
    other = f"// [id:b] [lesson:x]\n{tf}"
    found = findings(f"{allowed}\n\n{other}")
    assert [(f.item, f.code) for f in found] == [("b", "true-false")]


def test_an_allow_without_a_reason_is_a_warning():
    text = "// [id:a] [lesson:x]\n// [lint:allow=true-false]\nIs it? {T#Why.#Why.}"
    assert [(f.code, f.severity, f.line) for f in findings(text)] == [
        ("allow-without-reason", "warning", 3)
    ]
    assert "[lint:allow=true-false] gives no reason" in str(findings(text)[0])


def test_a_header_allow_does_not_reach_the_first_item():
    text = "// [lint:allow=true-false] header\n\n// [id:a] [lesson:x]\nIs it? {T#Why.#Why.}"
    assert codes(text) == ["true-false"]


# Bank rules --------------------------------------------------------------------------------


def bank(keys_longest, items, category="c"):
    """`items` four-option items of one category; the first `keys_longest` cue the key."""
    parts = [f"$CATEGORY: {category}"]
    for n in range(items):
        key = "A key that is the longest option" if n < keys_longest else "Short key"
        parts.append(mc(meta=f"// [id:i{n}] [lesson:x]", key=key,
                        distractors=("Distractor one", "Distractor two", "Distractor three")))
    return "\n\n".join(parts)


def test_longest_key_rate_over_a_quarter_of_the_items():
    found = [f for f in findings(bank(2, 4)) if f.code == "longest-key-rate"]
    assert [str(f) for f in found] == [
        "bank.gift:1: [-] longest-key-rate: the key is the longest option in 2 of 4 "
        "single-answer items (50%); keep it at or under 25%"
    ]
    assert "longest-key-rate" not in codes(bank(1, 4))
    # True/false items do not count.
    tf = "\n\n// [id:t] [lesson:x]\nIs it? {T#Why.#Why.}"
    assert "longest-key-rate" not in codes(bank(1, 4) + tf)


def keyed(positions, category="c"):
    parts = [f"$CATEGORY: {category}"]
    for n, position in enumerate(positions):
        options = ["~A wrong answer#Why."] * 4
        options[position - 1] = "=The right answer#Why."
        options = [o.replace("wrong", f"wrong {i}") for i, o in enumerate(options)]
        parts.append(f"// [id:k{n}] [lesson:x]\nQuestion {n}? {{{' '.join(options)}}}")
    return "\n\n".join(parts)


def test_key_position_only_for_categories_that_do_not_shuffle():
    text = keyed([1, 1, 1, 2, 3])
    found = [f for f in findings(text, unshuffled_categories={"c"}) if f.code == "key-position"]
    assert [str(f) for f in found] == [
        "bank.gift:4: [-] key-position: category 'c' does not shuffle options and 3 of 5 "
        "keys (60%) are option 1; spread the keys over the positions"
    ]
    assert "key-position" not in codes(text)  # shuffled by default
    assert "key-position" not in codes(text, unshuffled_categories={"other"})
    assert "key-position" not in codes(keyed([1, 1, 2, 3, 4]), unshuffled_categories={"c"})
    assert "key-position" not in codes(keyed([1, 1, 1, 1]), unshuffled_categories={"c"})


# Summary -----------------------------------------------------------------------------------


SUMMARY_BANK = """\
$CATEGORY: gaba
// [id:g1] [lesson:x] [level:recall]
G1? {=a#r ~b#r ~c#r ~d#r}

// [id:g2] [lesson:x] [level:application]
G2? {~%50%a#r ~%50%b#r ~c#r}

$CATEGORY: withdrawal
// [id:w1] [lesson:x] [level:analysis]
W1? {=a#r ~b#r ~c#r ~d#r}

// [id:w2] [lesson:x]
W2? {=a#r ~b#r ~c#r ~d#r}
"""

SUMMARY_LINES = [
    "category    recall  application  analysis  no level  SATA  total",
    "gaba             1            1         0         0     1      2",
    "withdrawal       0            0         1         1     0      2",
    "total            1            1         1         1     1      4",
    "application + analysis: 2 of 4 items (50%)",
]


def test_summary_counts_items_per_category_and_level():
    table = summary(parse_gift(SUMMARY_BANK).questions)
    assert dict(table["gaba"]) == {"recall": 1, "application": 1, "sata": 1, "total": 2}
    assert table["withdrawal"]["analysis"] == 1 and table["withdrawal"][""] == 1
    assert format_summary(table) == SUMMARY_LINES


# The command -------------------------------------------------------------------------------


def lint_bank(*args):
    """(exit status, output) of `manage.py lint_bank`; no database is allowed here."""
    out = io.StringIO()
    try:
        call_command("lint_bank", *[str(a) for a in args], stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def test_command_a_clean_bank_exits_0(tmp_path):
    path = tmp_path / "bank.gift"
    path.write_text(mc())
    assert lint_bank(path) == (0, "lint_bank: 0 errors, 0 warnings in 1 file\n")
    assert lint_bank(path, "--strict")[0] == 0


def test_command_an_error_exits_1_with_one_line_per_finding(tmp_path):
    path = tmp_path / "bank.gift"
    path.write_text(mc(meta="// [id:q1]"))
    status, output = lint_bank(path)
    assert status == 1
    assert output.splitlines() == [
        f"{path}:2: [q1] missing-lesson: no [lesson:slug] to send the learner back to",
        "lint_bank: 1 error, 0 warnings in 1 file",
    ]


def test_command_warnings_fail_only_with_strict(tmp_path):
    path = tmp_path / "bank.gift"
    path.write_text(mc(stem="Which advice is not safe?") + "\n\n"
                    + mc(meta="// [id:q2] [lesson:x]", stem="What is not safe?"))
    status, output = lint_bank(path)
    assert status == 0
    assert output.splitlines() == [
        f"{path}:2: [q1] negative-stem: negative stem ('not'); ask positively, or emphasise "
        "it: NOT, <b>not</b>",
        f"{path}:10: [q2] negative-stem: negative stem ('not'); ask positively, or emphasise "
        "it: NOT, <b>not</b>",
        "lint_bank: 0 errors, 2 warnings in 1 file",
    ]
    assert lint_bank(path, "--strict") == (1, output)


def test_command_sorts_by_file_then_line_and_reports_unreadable_files(tmp_path):
    a, b, bad = tmp_path / "a.gift", tmp_path / "b.gift", tmp_path / "c.gift"
    a.write_text(mc(meta="// [id:a1]") + "\n\n" + mc(meta="// [id:a2]"))
    b.write_text(mc(meta="// [id:b1]"))
    bad.write_text("// [id:x]\nBroken {=a ~b\n")
    status, output = lint_bank(bad, b, a, tmp_path / "missing.gift")
    assert status == 1
    assert [line.split(": [")[0] for line in output.splitlines()[:4]] == [
        f"{a}:2", f"{a}:10", f"{b}:2", f"{bad}:2: unclosed brace '{{'",
    ]
    assert output.splitlines()[4].startswith(f"{tmp_path / 'missing.gift'}: cannot be read")
    assert output.splitlines()[-1] == "lint_bank: 5 errors, 0 warnings in 4 files"


def test_command_summary_prints_the_table(tmp_path):
    path = tmp_path / "bank.gift"
    path.write_text(SUMMARY_BANK)
    status, output = lint_bank(path, "--summary")
    assert status == 0
    assert output.splitlines() == [*SUMMARY_LINES, "lint_bank: 0 errors, 0 warnings in 1 file"]


def test_command_checks_key_positions_of_unshuffled_categories(tmp_path):
    path = tmp_path / "bank.gift"
    path.write_text(keyed([1, 1, 1, 2, 3]))
    assert lint_bank(path)[0] == 0
    status, output = lint_bank(path, "--unshuffled", "c", "--strict")
    assert status == 1 and f"{path}:4: [-] key-position:" in output


def test_manage_py_exit_status_without_a_database(tmp_path):
    path = tmp_path / "bank.gift"
    path.write_text(mc(meta="// [id:q1]"))
    # An unreachable database: the command must not need one.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
           "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none"}
    run = subprocess.run([sys.executable, "manage.py", "lint_bank", str(path)], cwd=ROOT,
                         env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 1, run.stderr
    assert run.stdout.endswith("lint_bank: 1 error, 0 warnings in 1 file\n")
