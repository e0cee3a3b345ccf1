"""The printable notice: the notice's HTML rendered to an A4 PDF by WeasyPrint.

WeasyPrint lays text out with Pango and embeds a subset of the font it finds through
fontconfig; the CJK font is Debian's ``fonts-noto-cjk`` (ADR 0006). The PDF holds exactly
the fields of the public page.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

#: fontconfig family names, first found wins (Noto Sans CJK SC from fonts-noto-cjk).
FONT_FAMILIES = '"Noto Sans CJK SC", "Noto Sans CJK", "WenQuanYi Zen Hei", sans-serif'


def notice_pdf(context: dict[str, Any]) -> bytes:
    """Return the A4 PDF of a notice rendered from ``notices/notice_print.html``."""
    from weasyprint import HTML  # imported here: it loads Pango, which pages do not need

    html = render_to_string("notices/notice_print.html", {**context, "fonts": FONT_FAMILIES})
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
