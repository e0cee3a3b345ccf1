"""The printable notice: the notice's HTML rendered to an A4 PDF by WeasyPrint.

The rendering (fonts, WeasyPrint) is the shared ``fupin.common.pdf`` (ADR 0006). The PDF
holds exactly the fields of the public page.
"""

from __future__ import annotations

from typing import Any

from fupin.common.pdf import template_pdf


def notice_pdf(context: dict[str, Any]) -> bytes:
    """Return the A4 PDF of a notice rendered from ``notices/notice_print.html``."""
    return template_pdf("notices/notice_print.html", context)
