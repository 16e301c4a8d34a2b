"""Business documents as PDF (quotes, contracts): a Django template rendered to HTML, then to PDF
by xhtml2pdf (pure Python, on ReportLab), with a CJK font so that Chinese text is real text.

Fonts: the first TrueType CJK font found among ``CRM_PDF_FONTS`` (setting) is embedded (subset),
so the document looks the same on every viewer and its text can be searched and copied. Where no
such font is installed (a fresh machine without ``fonts-wqy-microhei``), ReportLab's built-in
Adobe CID font ``STSong-Light`` is used: the text is still real Chinese text, drawn by the viewer's
own Chinese font. See docs/operations.md.
"""

from __future__ import annotations

import io
import logging
from functools import cache
from pathlib import Path

from django.conf import settings
from django.template import Template
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

FONT_NAME = "CrmCJK"


class PdfError(Exception):
    """The document could not be rendered."""


@cache
def font_name() -> str:
    """Register the CJK font with ReportLab once per process and return its name."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    for candidate in settings.CRM_PDF_FONTS:
        path = Path(candidate)
        if not path.is_file():
            continue
        try:
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
        except Exception:  # a damaged or unsupported (CFF) font: try the next one
            logger.warning("PDF font %s could not be loaded", path, exc_info=True)
            continue
        for bold in (0, 1):
            for italic in (0, 1):
                addMapping(FONT_NAME, bold, italic, FONT_NAME)
        return FONT_NAME
    logger.info("No CJK TrueType font found; PDFs use the built-in CID font STSong-Light")
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def html_to_pdf(html: str) -> bytes:
    """Convert an HTML document (xhtml2pdf's subset of CSS) to PDF bytes."""
    from xhtml2pdf import pisa
    from xhtml2pdf.default import DEFAULT_FONT

    name = font_name()
    # Every font family the document may name falls back to the CJK font, so that no text is
    # ever drawn with a Latin-only font (which would print Chinese as black boxes).
    for family in ("helvetica", "times", "courier", "sans-serif", "serif", "monospace"):
        DEFAULT_FONT[family] = name
    DEFAULT_FONT[name.lower()] = name
    out = io.BytesIO()
    status = pisa.CreatePDF(html, dest=out, encoding="utf-8")
    if status.err:
        raise PdfError(f"PDF rendering failed with {status.err} error(s)")
    return out.getvalue()


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render a template file (extend ``pdf/base.html``) to PDF."""
    return html_to_pdf(render_to_string(template_name, {**context, "pdf_font": font_name()}))


def render_pdf_from_string(template_source: str, context: dict) -> bytes:
    """Render template source stored in the database (an admin-editable contract template)."""
    from django.template import Context

    html = Template(template_source).render(Context({**context, "pdf_font": font_name()}))
    return html_to_pdf(html)
