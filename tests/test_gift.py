"""GIFT parsing and writing, without a database."""

from decimal import Decimal

import pytest

from quizzes.gift import GiftChoice, GiftError, GiftQuestion, parse_gift, write_gift

from .conftest import FIXTURES

EVERY = (FIXTURES / "gift" / "every_construct.gift").read_text()


def by_id(bank):
    return {q.external_id or q.title or q.stem: q for q in bank.questions}


def test_every_construct_imports_as_specified():
    bank = parse_gift(EVERY)
    questions = by_id(bank)
    assert len(bank.questions) == 6

    esc = questions["esc-1"]
    assert esc.line == 5
    assert esc.category == "$course$/Pharmacology/GABA"
    assert esc.title == "Escapes: all of them"
    assert esc.tags == ["gaba", "escapes"]
    assert esc.stem == "Which string is literal: a~b, c=d, e#f, {g}, h\\i?\nSecond line."
    assert [(c.text, c.correct, c.feedback) for c in esc.choices] == [
        ("a~b c=d", True, "Right: tilde and equals."),
        ("e#f {g}", False, "Wrong: hash and braces."),
        ("h\\i", False, "Wrong, a backslash."),
    ]
    assert esc.general_feedback == "General: escapes stay literal."
    assert esc.kind == "single"

    partial = questions["weights-1"]
    assert partial.kind == "single"
    assert [(c.correct, c.weight) for c in partial.choices] == [
        (True, Decimal(100)), (False, Decimal(50)), (False, Decimal(0))
    ]

    sata = questions["sata-1"]
    assert sata.kind == "multiple" and sata.scoring == "weights"
    assert [(c.correct, c.weight) for c in sata.choices] == [
        (True, Decimal(50)), (True, Decimal(50)), (False, Decimal(-100))
    ]

    tf = questions["tf-1"]
    assert tf.kind == "single"
    # {TRUE#feedback if wrong#feedback if right}, as in Moodle.
    assert [(c.text, c.correct, c.feedback) for c in tf.choices] == [
        ("True", True, "Yes, it is."),
        ("False", False, "No, it is one."),
    ]
    assert tf.general_feedback == "It is long-acting."
    assert [(c.text, c.correct) for c in questions["tf-2"].choices] == [
        ("True", False), ("False", True)
    ]

    missing_word = questions["Clonazepam is a _____ benzodiazepine. _____ It lasts."]
    assert [c.text for c in missing_word.choices] == ["long-acting", "short-acting"]


def test_other_types_are_skipped_with_one_warning_each():
    assert parse_gift(EVERY).warnings == [
        "line 35: skipped a short-answer question (only multiple choice and true/false "
        "are supported)",
        "line 37: skipped a matching question (only multiple choice and true/false are "
        "supported)",
        "line 39: skipped a numerical question (only multiple choice and true/false are "
        "supported)",
        "line 41: skipped an essay question (only multiple choice and true/false are "
        "supported)",
        "line 43: skipped a description (no answers), not a question",
    ]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("Q1 {=a ~b}\n\n\n// c\nQ2 {=a ~b\n", 5, "unclosed brace"),
        ("Q1 {=a ~b}\n\nQ2 =a ~b}", 3, "'}' without '{'"),
        ("Q1 {=a ~b}\n\nQ2 {just words}", 3, "no answers"),
        ("Q {~a ~b ~c}", 1, "no correct answer"),
        ("Q {~%50%a ~%20%b}", 1, "add up to 70%"),
        ("Q {=a =b ~c}", 1, "more than one '=' answer"),
        ("Q {=only}\n", None, None),  # short answer: skipped, not an error
        ("Q {~a}", 1, "at least two answers"),
        ("Q {=a ~}", 1, "an answer has no text"),
        ("Q {~%150%a ~b}", 1, "outside -100%..100%"),
        ("// [scoring:bonus]\nQ {~%100%a ~b}", 2, "unknown scoring 'bonus'"),
        ("{=a ~b}", 1, "no text"),
        ("// [level:expert]\nQ {=a ~b}", 2,
         "unknown level 'expert' (use recall, application or analysis)"),
        ("// [lint:skip]\nQ {=a ~b}", 2, "unknown lint comment [lint:skip]"),
    ],
)
def test_malformed_questions_fail_with_their_line(text, line, reason):
    if reason is None:
        assert parse_gift(text).questions == []
        return
    with pytest.raises(GiftError) as exc:
        parse_gift(text)
    assert exc.value.line == line
    assert reason in exc.value.reason


def test_write_then_parse_gives_the_same_bank():
    bank = parse_gift(EVERY)
    again = parse_gift(write_gift(bank.questions, category="gaba"))
    assert again.warnings == []
    fields = ("kind", "stem", "title", "general_feedback", "external_id", "tags", "lesson",
              "scoring")
    for before, after in zip(bank.questions, again.questions, strict=True):
        assert {f: getattr(before, f) for f in fields} == {f: getattr(after, f) for f in fields}
        assert [(c.text, c.correct, c.weight, c.feedback) for c in before.choices] == [
            (c.text, c.correct, c.weight, c.feedback) for c in after.choices
        ]
        assert after.category == "gaba"


def test_writer_escapes_specials_and_reads_them_back():
    question = GiftQuestion(
        line=0,
        kind="single",
        title="T: x",
        stem="A {b} c = d ~ e # f \\ g: h\nnext line",
        choices=[
            GiftChoice("x~y", True, Decimal(100), "because: yes"),
            GiftChoice("z", False, Decimal(0)),
        ],
    )
    written = write_gift([question])
    assert "::T\\: x::A \\{b\\} c \\= d \\~ e \\# f \\\\ g\\: h\\nnext line {" in written
    (back,) = parse_gift(written).questions
    assert (back.title, back.stem) == (question.title, question.stem)
    assert [(c.text, c.feedback) for c in back.choices] == [("x~y", "because: yes"), ("z", "")]


HEADER = """\
// A bank header. SATA items carry [scoring:plus-minus]; keys follow [lesson:intro].
// [id:header]

// Just before the category: [id:before-category] [lesson:gaba] [level:analysis]
$CATEGORY: gaba
// [id:q1] [lesson:how-it-works]
Q1 {=a#x ~b#y}

// orphan comment [id:orphan] [lesson:orphan] [scoring:all-or-nothing] [tag:orphan]

Q2 {~%100%a#x ~b#y}

// [id:q3] [tag:t]
// [scoring:all-or-nothing]
// [level:application]
Q3 {~%50%a#x ~%50%b#y ~c#z}
"""


def test_comment_tags_belong_only_to_the_question_directly_below():
    q1, q2, q3 = parse_gift(HEADER).questions
    assert (q1.external_id, q1.lesson, q1.scoring, q1.level, q1.tags) == (
        "q1", "how-it-works", "weights", "", []
    )
    assert (q2.external_id, q2.lesson, q2.scoring, q2.tags) == ("", "", "weights", [])
    assert (q3.external_id, q3.scoring, q3.level, q3.tags) == (
        "q3", "all_or_nothing", "application", ["t"]
    )


def test_level_and_lint_allows_are_read_with_their_reasons():
    (question,) = parse_gift(
        "// [id:x] [level:recall]\n"
        "// [lint:allow=true-false] a deliberate warm-up item\n"
        "// [lint:allow=longest-key]\n"
        "// [lint:allow=stem-clang] [tag:t] the words are the drug's names\n"
        "Clonazepam is a benzodiazepine. {T#no#yes}\n"
    ).questions
    assert question.level == "recall"
    assert question.lint_allow == ["true-false", "longest-key", "stem-clang"]
    assert question.lint_reasons == {
        "true-false": "a deliberate warm-up item",
        "longest-key": "",
        "stem-clang": "the words are the drug's names",
    }
    assert question.tags == ["t"]


def test_level_and_allows_survive_a_round_trip():
    text = (
        "// [id:x] [level:analysis]\n// [lint:allow=too-few-options] three is enough here\n"
        "::T::Pick one. {=a#r1 ~b#r2}"
    )
    (before,) = parse_gift(text).questions
    (after,) = parse_gift(write_gift([before])).questions
    fields = ("external_id", "level", "lint_allow", "lint_reasons", "title", "stem")
    assert {f: getattr(after, f) for f in fields} == {f: getattr(before, f) for f in fields}
    assert "// [level:analysis]" in write_gift([before])


def test_stem_and_choices_keep_their_lines():
    bank = parse_gift("// [id:x]\n::T::\n[html]Stem\nmore {\n\t=a#x\n\t~b\n####g}\n\nTF {T}\n")
    first, tf = bank.questions
    assert (first.line, first.stem_line, [c.line for c in first.choices]) == (2, 3, [5, 6])
    assert (tf.line, tf.stem_line, [c.line for c in tf.choices]) == (9, 9, [9, 9])
