"""Printable pages: a Django template rendered to an A4 PDF by WeasyPrint (ADR 0006).

One mechanism for every printed document (the public notices, the household's 明白卡):
WeasyPrint lays text out with Pango and embeds a subset of the CJK font it finds through
fontconfig (Debian's ``fonts-noto-cjk``). The template receives ``fonts``, the CSS font list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.template.loader import render_to_string

#: fontconfig family names, first found wins (Noto Sans CJK SC from fonts-noto-cjk).
FONT_FAMILIES = '"Noto Sans CJK SC", "Noto Sans CJK", "WenQuanYi Zen Hei", sans-serif'


def template_pdf(template_name: str, context: Mapping[str, Any]) -> bytes:
    """Return the PDF of ``template_name`` rendered with ``context`` (and ``fonts``)."""
    from weasyprint import HTML  # imported here: it loads Pango, which pages do not need

    html = render_to_string(template_name, {**context, "fonts": FONT_FAMILIES})
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
