"""The certificate of completion as a PDF (ReportLab).

Text is printed with a chain of TrueType fonts (settings.CERTIFICATE_FONT, a
list of paths; ReportLab reads TrueType outlines only, not CFF .otf): each
character takes the first font that has a glyph for it. The defaults, which
`make fonts` installs from Debian, are DejaVu Sans (fonts-dejavu-core: Latin,
Greek, Cyrillic, Arabic, Hebrew) and WenQuanYi Zen Hei (fonts-wqy-zenhei:
Chinese, Japanese, Korean). A missing font is logged and skipped; with none
at all the PDF falls back to Helvetica, which prints Latin letters only.

Arabic is shaped with arabic-reshaper (letters become their joined
presentation forms) and each line is put in visual order with python-bidi.

Every line is fitted to the frame: its font shrinks to fit the width, down to
a floor, then the text wraps onto centred lines (long words, or names without
spaces, break between characters).
"""

import io
import logging
import math
import unicodedata
from pathlib import Path

import arabic_reshaper
from bidi import get_display
from django.conf import settings
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

logger = logging.getLogger(__name__)

PAGE = landscape(A4)
BORDER = 30  # the frame is drawn this far from the page's edges
PADDING = 40  # text keeps this far inside the frame
TEXT_WIDTH = PAGE[0] - 2 * (BORDER + PADDING)
LEADING = 1.2

_registered = {}  # font path -> ReportLab font name, or None when it could not be loaded


def _register(path):
    if path not in _registered:
        name = None
        if Path(path).is_file():
            name = f"Certificate-{len(_registered)}-{Path(path).stem}"
            try:
                pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
            except Exception:  # not TrueType (a CFF .otf), or a damaged file
                logger.exception("Certificate font %s cannot be loaded.", path)
                name = None
        else:
            logger.warning(
                "Certificate font %s is missing (see `make fonts`); "
                "names in the scripts it covers will print as empty boxes.",
                path,
            )
        _registered[path] = name
    return _registered[path]


def certificate_fonts():
    """The registered fonts to print with, in order of preference."""
    paths = settings.CERTIFICATE_FONT
    if isinstance(paths, str):
        paths = [paths]
    fonts = [name for name in map(_register, paths) if name]
    return fonts or ["Helvetica"]


def _covers(font, char):
    font = pdfmetrics.getFont(font)
    return not isinstance(font, TTFont) or ord(char) in font.face.charToGlyph


def runs(text, fonts):
    """Split text into (font, text) runs: each character in the first font that has it."""
    result = []
    for char in text:
        if result and (char.isspace() or unicodedata.combining(char)):
            font = result[-1][0] if _covers(result[-1][0], char) else fonts[0]
        else:
            font = next((f for f in fonts if _covers(f, char)), fonts[0])
        if result and result[-1][0] == font:
            result[-1][1] += char
        else:
            result.append([font, char])
    return [(font, part) for font, part in result]


def text_width(text, size, fonts):
    return sum(pdfmetrics.stringWidth(part, font, size) for font, part in runs(text, fonts))


def _wrap(text, size, max_width, fonts):
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, size, fonts) <= max_width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for char in word:  # a word wider than the line (a name without spaces) breaks anywhere
            if line and text_width(line + char, size, fonts) > max_width:
                lines.append(line)
                line = ""
            line += char
    return [*lines, line] if line else lines


def fit_lines(text, fonts, max_width, start_size, min_size, max_lines=3):
    """The font size and lines that print text within max_width.

    One line at the largest size up to start_size that fits, down to min_size;
    then wrapped at min_size, and smaller still only if it would take more than
    max_lines lines.
    """
    text = " ".join(text.split())
    width = text_width(text, 1, fonts)  # at 1 pt: widths grow in proportion to the size
    size = min(start_size, math.floor(max_width / width * 10) / 10) if width else start_size
    while size >= min_size and text_width(text, size, fonts) > max_width:  # rounding
        size -= 0.1
    if size >= min_size:
        return size, [text]
    size = min_size
    lines = _wrap(text, size, max_width, fonts)
    while len(lines) > max_lines and size > 1:
        size -= 0.5
        lines = _wrap(text, size, max_width, fonts)
    return size, lines


def _shape(text):
    """Arabic letters joined (presentation forms); still in logical order."""
    return arabic_reshaper.reshape(text)


def _draw_centred(pdf, y, line, size, fonts):
    line = get_display(line)  # visual order, right-to-left runs reversed
    text = pdf.beginText((PAGE[0] - text_width(line, size, fonts)) / 2, y)
    for font, part in runs(line, fonts):
        text.setFont(font, size)
        text.textOut(part)
    pdf.drawText(text)


def _final_line(certificate):
    if certificate.final_score is None:
        return ""
    return (
        f"Final assessment: {certificate.final_score:.0f}%, "
        f"passed {certificate.final_passed_at:%d %B %Y}"
    )


def render_pdf(certificate, *, verify_url):
    buffer = io.BytesIO()
    width, height = PAGE
    pdf = canvas.Canvas(buffer, pagesize=PAGE)
    pdf.setTitle(f"Certificate of completion: {certificate.course.title}")
    pdf.setAuthor("Clonazepam learning module")
    fonts = certificate_fonts()
    pdf.setLineWidth(3)
    pdf.rect(BORDER, BORDER, width - 2 * BORDER, height - 2 * BORDER)

    # (distance from the previous baseline, size, smallest size, text); the body flows
    # down from the top, and at its longest (name and course title on three lines each)
    # stays well above the footer.
    body = [
        (130, 26, 14, "Certificate of completion"),
        (60, 14, 10, "This certifies that"),
        (50, 30, 14, certificate.name),
        (50, 14, 10, "has completed every lesson and passed every quiz of"),
        (35, 17, 12, certificate.course.title),
        (35, 12, 10, _final_line(certificate)),
        (25, 12, 10, f"Issued {certificate.issued_at:%d %B %Y}"),
    ]
    y = height
    for gap, size, min_size, text in body:
        size, lines = fit_lines(_shape(text), fonts, TEXT_WIDTH, size, min_size)
        y -= gap - size * LEADING
        for line in lines:
            y -= size * LEADING
            _draw_centred(pdf, y, line, size, fonts)
    footer = [
        (90, 10, f"Verification code: {certificate.code}"),
        (72, 10, f"Check it at {verify_url}"),
        (50, 9, "Educational use only, not medical advice."),
    ]
    for y, size, text in footer:
        size, lines = fit_lines(text, fonts, TEXT_WIDTH, size, 4, max_lines=1)
        _draw_centred(pdf, y, lines[0], size, fonts)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
