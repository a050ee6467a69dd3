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
from mooc_portal.web import localized_text

log = logging.getLogger(__name__)

# (path, index in a font collection). Noto Sans CJK (KR first in the collection's order of
# preference) covers Hangul, Han and kana as well as Latin, but takes seconds to load: it is
# used only when the text needs it. Thai needs a Thai font (Debian's fonts-thai-tlwg: Garuda
# has Latin too). DejaVu Sans (Latin with Vietnamese, Greek, Cyrillic) otherwise.
CJK_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 1),
)
THAI_FONTS: tuple[tuple[str, int], ...] = (("/usr/share/fonts/truetype/tlwg/Garuda.ttf", 0),)
LATIN_FONTS: tuple[tuple[str, int], ...] = (("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),)


def _script(texts: list[str]) -> str:
    """``"thai"``, ``"cjk"`` (anything else beyond what DejaVu Sans covers) or ``"latin"``.

    DejaVu Sans covers Latin (with Vietnamese, U+1E00-U+1EFF), Greek, Cyrillic and general
    punctuation (U+2000-U+206F: quotes, dashes).
    """
    script = "latin"
    for char in "".join(texts):
        code = ord(char)
        if 0x0E00 <= code <= 0x0E7F:
            return "thai"
        if code > 0x052F and not (0x1E00 <= code <= 0x1EFF or 0x2000 <= code <= 0x206F):
            script = "cjk"
    return script


def _font(pdf: FPDF, texts: list[str]) -> tuple[str, bool]:
    """The family to write with, and whether it is a Unicode font."""
    candidates = {
        "thai": THAI_FONTS + CJK_FONTS + LATIN_FONTS,
        "cjk": CJK_FONTS + LATIN_FONTS,
        "latin": LATIN_FONTS + CJK_FONTS,
    }[_script(texts)]
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
    # The institution named in the visitor's language, as the page names it.
    institution = localized_text(certificate.institution, "name").text
    pdf.set_author(institution)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    labels = [
        _("Certificate of completion"),
        _("has completed the course"),
        _("offered by %(institution)s", institution=institution),
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
    line(_("offered by %(institution)s", institution=institution), 13, 8)
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
