"""The certificate as a one-page PDF (fpdf2), with its verification address and a QR code
(segno) of that address.

Names are printed in Noto Sans CJK when the machine has it (Debian's fonts-noto-cjk: Korean,
Chinese and Japanese names as well as Latin), else DejaVu Sans, else the PDF core font with
characters it cannot show replaced, so a PDF is always produced.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import segno
from flask_babel import format_date
from flask_babel import gettext as _
from fpdf import FPDF

from mooc_portal.certificates.models import Certificate
from mooc_portal.urls import external_url

log = logging.getLogger(__name__)

# (path, index in a font collection). Noto Sans CJK (KR first in the collection's order of
# preference) covers Hangul, Han and kana as well as Latin, but takes seconds to load: it is
# used only when the text needs it; DejaVu Sans (Latin, Greek, Cyrillic) otherwise.
CJK_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 1),
)
LATIN_FONTS: tuple[tuple[str, int], ...] = (("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),)


def _needs_cjk(texts: list[str]) -> bool:
    """Whether any character lies beyond Latin, Greek and Cyrillic (U+052F)."""
    return any(ord(c) > 0x052F for text in texts for c in text)


def _font(pdf: FPDF, texts: list[str]) -> tuple[str, bool]:
    """The family to write with, and whether it is a Unicode font."""
    candidates = (CJK_FONTS + LATIN_FONTS) if _needs_cjk(texts) else (LATIN_FONTS + CJK_FONTS)
    for path, index in candidates:
        if Path(path).is_file():
            try:
                pdf.add_font("portal", "", path, collection_font_number=index)
            except Exception as error:  # a broken font file must not cost the learner the PDF
                log.warning("Cannot use font %s: %s", path, error)
                continue
            return "portal", True
    return "helvetica", False


def certificate_pdf(certificate: Certificate) -> bytes:
    verification_url = external_url("portal.certificates.certificate_detail", code=certificate.code)
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(_("Certificate: %(course)s", course=certificate.course_title))
    pdf.set_author(certificate.institution_name)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    labels = [
        _("Certificate of completion"),
        _("has completed the course"),
        _("offered by %(institution)s", institution=certificate.institution_name),
        _("Verify this certificate at:"),
        _("Completed on"),
    ]
    family, unicode_font = _font(pdf, [certificate.learner_name, certificate.course_title, *labels])

    def text(value: str) -> str:
        return value if unicode_font else value.encode("latin-1", "replace").decode("latin-1")

    def line(value: str, size: int, height: float) -> None:
        pdf.set_font(family, size=size)
        pdf.multi_cell(0, height, text(value), align="C", new_x="LMARGIN", new_y="NEXT")

    pdf.set_draw_color(40, 70, 120)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    pdf.set_y(28)
    line(_("Certificate of completion"), 16, 10)
    pdf.ln(6)
    line(certificate.learner_name, 30, 14)
    pdf.ln(4)
    line(_("has completed the course"), 13, 8)
    line(certificate.course_title, 22, 11)
    line(_("offered by %(institution)s", institution=certificate.institution_name), 13, 8)
    pdf.ln(4)
    line(
        _("Completed on") + " " + format_date(certificate.completed_at, "long"),
        12,
        7,
    )
    qr = io.BytesIO()
    segno.make(verification_url, error="m").save(qr, kind="png", scale=6, border=2)
    qr.seek(0)
    size = 38
    pdf.image(qr, x=pdf.w - 20 - size, y=pdf.h - 20 - size - 4, w=size, h=size)
    pdf.set_xy(20, pdf.h - 52)
    pdf.set_font(family, size=10)
    pdf.multi_cell(
        pdf.w - 40 - size - 10,
        6,
        text(_("Verify this certificate at:") + "\n" + verification_url),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_x(20)
    pdf.multi_cell(
        pdf.w - 40 - size - 10,
        6,
        text(_("Verification code") + ": " + certificate.code),
    )
    return bytes(pdf.output())
