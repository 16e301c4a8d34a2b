"""Business PDFs carry real Chinese text, with or without a CJK font installed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from crm import pdf

SOURCE = (
    '{% extends "pdf/base.html" %}{% block content %}<h1>报价单 Quote</h1>'
    "<table><tr><th>产品</th><th>金额</th></tr><tr><td>{{ name }}</td><td>¥1,234.50</td></tr>"
    "</table>{% endblock %}"
)


def _text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _fonts(data: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(data))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    return {str(fonts[key].get_object()["/BaseFont"]) for key in fonts}


@pytest.fixture
def fresh_font():
    pdf.font_name.cache_clear()
    yield
    pdf.font_name.cache_clear()


@pytest.mark.skipif(
    not Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc").exists(),
    reason="fonts-wqy-microhei is not installed",
)
def test_chinese_text_is_embedded_with_the_cjk_font(fresh_font):
    data = pdf.render_pdf_from_string(SOURCE, {"name": "上海恒泰贸易有限公司"})
    assert data.startswith(b"%PDF")
    text = _text(data)
    assert "报价单" in text
    assert "上海恒泰贸易有限公司" in text
    assert any("WenQuanYi" in font for font in _fonts(data))  # embedded (subset)


def test_without_a_cjk_font_the_builtin_cid_font_keeps_the_text(fresh_font, settings):
    settings.CRM_PDF_FONTS = ["/nonexistent/font.ttc"]
    data = pdf.render_pdf_from_string(SOURCE, {"name": "上海恒泰贸易有限公司"})
    assert "上海恒泰贸易有限公司" in _text(data)
    assert any("STSong-Light" in font for font in _fonts(data))


def test_template_values_are_escaped(fresh_font):
    data = pdf.render_pdf_from_string(SOURCE, {"name": "<b>A&B</b>"})
    assert "<b>A&B</b>" in _text(data)
