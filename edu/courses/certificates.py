"""The certificate of completion as a PDF (ReportLab).

Names are printed with a TrueType font covering many scripts (DejaVu Sans from
Debian's fonts-dejavu-core, which the Makefile installs; CERTIFICATE_FONT
points elsewhere). Without it, the PDF falls back to Helvetica, which prints
Latin letters only.
"""

import io
import logging
from pathlib import Path

from django.conf import settings
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

logger = logging.getLogger(__name__)
FONT_NAME = "CertificateSans"


def _font():
    if FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return FONT_NAME
    path = Path(settings.CERTIFICATE_FONT)
    if path.is_file():
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(path)))
        return FONT_NAME
    logger.warning("Certificate font %s is missing; non-Latin names will not print.", path)
    return "Helvetica"


def _final_line(certificate):
    if certificate.final_score is None:
        return ""
    return (
        f"Final assessment: {certificate.final_score:.0f}%, "
        f"passed {certificate.final_passed_at:%d %B %Y}"
    )


def render_pdf(certificate, *, verify_url):
    buffer = io.BytesIO()
    width, height = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    pdf.setTitle(f"Certificate of completion: {certificate.course.title}")
    pdf.setAuthor("Clonazepam learning module")
    font = _font()
    pdf.setLineWidth(3)
    pdf.rect(30, 30, width - 60, height - 60)
    lines = [
        (26, "Certificate of completion", height - 130),
        (14, "This certifies that", height - 190),
        (30, certificate.name, height - 240),
        (14, "has completed every lesson and passed every quiz of", height - 290),
        (17, certificate.course.title, height - 325),
        (12, _final_line(certificate), height - 360),
        (12, f"Issued {certificate.issued_at:%d %B %Y}", height - 385),
        (10, f"Verification code: {certificate.code}", 90),
        (10, f"Check it at {verify_url}", 72),
        (9, "Educational use only, not medical advice.", 50),
    ]
    for size, text, y in lines:
        pdf.setFont(font, size)
        pdf.drawCentredString(width / 2, y, text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
