"""The plain-text article format: parsing and rendering, without a database."""

import pytest

from edu.courses.article import (
    ArticleFormatError,
    decode,
    parse_article,
    parse_blocks,
    render_body,
    unique_slugs,
)

from .conftest import FIXTURES, KLONOPIN, SEED_LESSONS


def test_seed_article_gives_the_seven_lessons_in_order():
    article = parse_article(decode((KLONOPIN / "article.txt").read_bytes()))
    assert article.title == (
        "Klonopin: Understanding the Risks and Realities of This Common Benzodiazepine"
    )
    assert [s.title for s in article.sections] == SEED_LESSONS
    assert [(s.title, s.line, s.entries) for s in article.skipped] == [
        ("Recovery articles for you", 49, 3)
    ]
    uses = article.sections[2]
    items = [b.text for b in uses.blocks if b.kind == "item"]
    assert len(items) == 4
    assert items[0].startswith("Seizure Disorders: Clonazepam is used")


def test_fixture_article_sections_paragraphs_and_bullets():
    article = parse_article(decode((FIXTURES / "articles" / "faq.txt").read_bytes()))
    assert article.title == "Caffeine and Sleep: A Plain-Language Guide"
    titles = [s.title for s in article.sections]
    assert titles == [
        "Introduction",
        "What Does Caffeine Do?",
        "Who Should Be Careful?",
        "Cutting Down Safely",
    ]
    intro, what, who, cutting = article.sections
    # Several paragraphs in one section, curly quotes kept as written.
    assert [b.kind for b in intro.blocks] == ["paragraph", "paragraph"]
    assert "“first-year”" in intro.blocks[1].text
    # A paragraph wrapped over two lines is one paragraph.
    assert what.blocks[0].text.endswith("a second line of the same paragraph.")
    assert len(what.blocks) == 2
    # Bullets with •, - and *, indented or not; an indented line continues its item.
    assert [b.kind for b in who.blocks] == ["paragraph", "item", "item", "item", "item"]
    assert who.blocks[3].text == (
        "People taking certain medicines: a continuation line of the same item."
    )
    assert [b.text for b in cutting.blocks if b.kind == "item"] == [
        "Swap one cup a day for a decaffeinated one.",
        "Keep a sleep diary.",
    ]
    # The trailing list of links is not a lesson.
    assert [(s.title, s.entries) for s in article.skipped] == [("Related reading", 2)]


def test_section_body_round_trips_through_the_lesson_format():
    article = parse_article(decode((FIXTURES / "articles" / "faq.txt").read_bytes()))
    who = article.sections[2]
    assert [(b.kind, b.text) for b in parse_blocks(who.body)] == [
        (b.kind, b.text) for b in who.blocks
    ]


def test_render_body_makes_paragraphs_and_real_lists_and_escapes():
    html = render_body(
        "Symptoms may include:\n\n• Seizures: in serious cases.\n• <script>x</script> & more."
    )
    assert html == (
        "<p>Symptoms may include:</p>\n<ul>\n"
        "<li><strong>Seizures:</strong> in serious cases.</li>\n"
        "<li>&lt;script&gt;x&lt;/script&gt; &amp; more.</li>\n</ul>"
    )


def test_a_heading_in_the_middle_with_no_text_is_an_error():
    text = (
        "Title\n\nIntro paragraph that is long enough to be prose.\n\n"
        "Empty Section\n\nNext\n\nBody."
    )
    with pytest.raises(ArticleFormatError) as exc:
        parse_article(text)
    assert exc.value.line == 5
    assert "'Empty Section' has no text" in exc.value.reason


def test_no_headings_is_an_error_on_the_title_line():
    with pytest.raises(ArticleFormatError, match="no section headings"):
        parse_article(decode((FIXTURES / "articles" / "no_headings.txt").read_bytes()))


@pytest.mark.parametrize(
    ("data", "reason", "line"),
    [
        (b"", "empty", None),
        (b"  \n\n \t\n", "empty", None),
        (b"Title\n\nok\n\x00\x01\x02", "binary data", 4),
        (b"Title\n\nCaf\xe9 au lait\n", "not UTF-8", 3),
    ],
)
def test_decode_refuses_what_is_not_utf8_text(data, reason, line):
    with pytest.raises(ArticleFormatError) as exc:
        decode(data)
    assert reason in exc.value.reason
    assert exc.value.line == line


def test_decode_strips_a_byte_order_mark():
    assert decode("\ufeffTitle".encode()) == "Title"


def test_unique_slugs_suffixes_repeats():
    assert unique_slugs(["Introduction", "Introduction", "What now?"]) == [
        "introduction",
        "introduction-2",
        "what-now",
    ]
