"""The certificate PDF: names of any length fit the frame, and names in
Chinese, Japanese, Korean, Arabic and Cyrillic print with real glyphs."""

import io
import logging
import unicodedata
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from pypdf import PdfReader

from edu.courses import certificates
from edu.courses.certificates import BORDER, PAGE, TEXT_WIDTH, fit_lines, render_pdf, text_width
from edu.courses.models import Certificate

from .factories import CourseFactory, UserFactory

VERIFY_URL = "https://example.test/verify/CODE/"
LONG_LATIN = " ".join(["Maximiliana Wolfeschlegelsteinhausen-Bergerdorff"] * 4)[:150].strip()
NAMES = {
    "chinese": "李小龙",
    "japanese": "山田 はなこ",
    "korean": "김민준",
    "arabic": "محمد الأحمد",
    "cyrillic": "Анна Павлова",
    "mixed": "Ana 李 Павлова",
}
# The widest names a learner can have (Certificate.name has max_length 150).
WORST = {"w-150": "W" * 150, "han-150": "龍" * 150, "sheen-150": "ش" * 150, "latin-150": LONG_LATIN}


@pytest.fixture(autouse=True)
def fonts_installed():
    for path in settings.CERTIFICATE_FONT:
        assert Path(path).is_file(), f"{path} is missing: run `make fonts`"


def certificate(name, title="Clonazepam: how it works, and how to taper it safely"):
    return Certificate.objects.create(
        user=UserFactory(), course=CourseFactory(title=title), name=name
    )


def drawn(pdf):
    """The page's text, and each drawn line as (x, y, font size, text)."""
    lines = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            lines.append((x, y, size, text.strip()))

    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return text, lines


def printed_name(text):
    """The name's lines: between "This certifies that" and "has completed…"."""
    lines = text.splitlines()
    start = lines.index("This certifies that") + 1
    end = next(i for i, line in enumerate(lines) if line.startswith("has completed"))
    return lines[start:end]


def assert_inside_page(lines):
    width, height = PAGE
    fonts = certificates.certificate_fonts()
    for x, y, size, text in lines:
        assert x >= BORDER, (x, text)
        assert x + text_width(text, size, fonts) <= width - BORDER, (x, size, text)
        assert y - 0.3 * size >= BORDER and y + size <= height - BORDER, (y, size, text)
    # Lines never overlap: distinct baselines are at least a font size apart.
    rows = sorted({(y, size) for _, y, size, _ in lines}, reverse=True)
    for (upper, upper_size), (lower, lower_size) in zip(rows, rows[1:], strict=False):
        assert upper - lower >= max(upper_size, lower_size), (upper, lower)


# The layout, measured: fit_lines is what render_pdf draws with.


@pytest.mark.parametrize("text", [*WORST.values(), *NAMES.values()], ids=[*WORST, *NAMES])
def test_every_line_fits_the_frame(text):
    fonts = certificates.certificate_fonts()
    text = certificates._shape(text)
    size, lines = fit_lines(text, fonts, TEXT_WIDTH, 30, 14)
    assert 1 <= len(lines) <= 3
    assert all(text_width(line, size, fonts) <= TEXT_WIDTH for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing lost


def test_a_short_name_keeps_30_pt_and_a_longer_one_shrinks_before_wrapping():
    fonts = certificates.certificate_fonts()
    assert fit_lines("Ada Lovelace", fonts, TEXT_WIDTH, 30, 14) == (30, ["Ada Lovelace"])
    name = "Maximiliana Wolfeschlegelsteinhausen-Bergerdorff Jr"  # 51 characters
    size, lines = fit_lines(name, fonts, TEXT_WIDTH, 30, 14)
    assert lines == [name] and 14 <= size < 30
    assert text_width(name, size, fonts) <= TEXT_WIDTH < text_width(name, size + 0.2, fonts)
    size, lines = fit_lines(LONG_LATIN, fonts, TEXT_WIDTH, 30, 14)
    assert size == 14 and len(lines) == 2
    assert " ".join(lines) == LONG_LATIN  # wrapped between words


def test_a_name_wider_than_three_lines_shrinks_below_the_floor():
    fonts = certificates.certificate_fonts()
    size, lines = fit_lines("W" * 400, fonts, TEXT_WIDTH, 30, 14)
    assert size < 14 and len(lines) <= 3
    assert all(text_width(line, size, fonts) <= TEXT_WIDTH for line in lines)


# The PDF itself.


@pytest.mark.django_db
def test_a_150_character_name_prints_whole_inside_the_page():
    assert len(LONG_LATIN) == 150
    text, lines = drawn(render_pdf(certificate(LONG_LATIN), verify_url=VERIFY_URL))
    assert " ".join(printed_name(text)) == LONG_LATIN
    assert_inside_page(lines)


@pytest.mark.django_db
@pytest.mark.parametrize("name", WORST.values(), ids=WORST)
def test_the_widest_names_and_a_long_course_title_stay_inside_the_page(name):
    title = "Clonazepam (Klonopin): GABA, indications, dependence and withdrawal " * 3
    text, lines = drawn(render_pdf(certificate(name, title=title[:200]), verify_url=VERIFY_URL))
    printed = printed_name(text)
    assert 2 <= len(printed) <= 3
    assert unicodedata.normalize("NFKC", "".join(printed)).replace(" ", "") == name.replace(" ", "")
    assert title[:200].strip() in " ".join(text.splitlines())
    assert_inside_page(lines)


@pytest.mark.django_db
@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES)
def test_names_in_other_scripts_print_with_real_glyphs(name):
    pdf = render_pdf(certificate(name), verify_url=VERIFY_URL)
    text, lines = drawn(pdf)
    assert [unicodedata.normalize("NFKC", line) for line in printed_name(text)] == [name]
    assert "■" not in text  # no empty boxes (.notdef)
    assert_inside_page(lines)


@pytest.mark.django_db
def test_an_arabic_name_is_joined_and_drawn_right_to_left():
    name = "محمد الأحمد"
    text, _ = drawn(render_pdf(certificate(name), verify_url=VERIFY_URL))
    [line] = printed_name(text)
    # Drawn with joined letter forms (Arabic presentation forms), not isolated letters:
    # meem initial, haa medial, meem medial, dal final; lam-alef-hamza as one ligature.
    assert line != name and line.startswith("\ufee3\ufea4\ufee4\ufeaa") and "\ufef7" in line
    # pypdf reads a right-to-left run back into logical order: the drawn glyphs were in
    # visual order (right to left), else this would come back reversed.
    assert unicodedata.normalize("NFKC", line) == name


@pytest.mark.django_db
def test_a_missing_font_is_logged_and_the_pdf_falls_back(tmp_path, caplog):
    missing = str(tmp_path / "missing.ttf")
    with override_settings(CERTIFICATE_FONT=[missing]), caplog.at_level(logging.WARNING):
        text, lines = drawn(render_pdf(certificate("Ada Lovelace"), verify_url=VERIFY_URL))
        assert printed_name(text) == ["Ada Lovelace"]  # in Helvetica
        text, _ = drawn(render_pdf(certificate("李小龙"), verify_url=VERIFY_URL))
        assert len(printed_name(text)) == 1  # boxes, but a certificate all the same
        assert_inside_page(lines)
    assert f"Certificate font {missing} is missing" in caplog.text


@pytest.mark.django_db
def test_an_unreadable_font_is_skipped_for_the_next_one(tmp_path, caplog):
    broken = tmp_path / "broken.otf"
    broken.write_bytes(b"OTTO not a TrueType font")
    with override_settings(CERTIFICATE_FONT=[str(broken), *settings.CERTIFICATE_FONT]):
        text, lines = drawn(render_pdf(certificate("Анна Павлова"), verify_url=VERIFY_URL))
        assert_inside_page(lines)
    assert printed_name(text) == ["Анна Павлова"]
    assert f"Certificate font {broken} cannot be loaded" in caplog.text
