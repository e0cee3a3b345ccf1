"""A scanner for personal identifiers in public outputs (pages, PDF text, exports).

Public outputs carry names, village groups and decisions only (ARCHITECTURE.md principle 5;
domain.md §9: notices must not show ID numbers, phones, bank accounts or health data). The
scanner finds, in any text:

- resident ID numbers that pass the GB 11643 check (``fupin.policy.idnumber``), 18 or 15
  digits, also written with spaces or dashes between digit groups;
- mobile numbers (1[3-9] and nine digits, with or without +86) and landlines (an area code
  0xx/0xxx and 7–8 digits, or 7–8 digits after 电话/联系);
- bank card numbers: 13–19 digits passing the Luhn check;
- the health labels of the member health code list other than 健康.

It scans raw text, so HTML attributes count too. Use ``find_leaks(text)`` and assert it is
empty; ``pdf_text(data)`` turns a PDF into text with poppler's ``pdftotext``.
"""

from __future__ import annotations

import html
import re
import subprocess
import unicodedata
from dataclasses import dataclass

from fupin.policy import codes, idnumber

HEALTH_TERMS = tuple(label for code, label in codes.HEALTH.items if code != "healthy")

# A digit run with at most one space, dash or no-break space between digits; an X may end it.
_NUMBER = re.compile(r"\d(?:[ \u00a0\-]?\d)*(?:[ \u00a0\-]?[Xx])?")
_MOBILE = re.compile(r"(?:0{0,2}86)?(1[3-9]\d{9})")
_LANDLINE_BRACKETS = re.compile(r"[(（]0\d{2,3}[)）]\s*\d{7,8}(?!\d)")
_LANDLINE_KEYWORD = re.compile(r"(?:电话|联系|手机|Tel|TEL|tel)[^\d\n]{0,6}(\d{7,8})(?!\d)")


@dataclass(frozen=True)
class Leak:
    kind: str  # id_number, phone, bank_card, health
    text: str
    where: str = ""


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _valid_id(text: str) -> bool:
    return idnumber.check(text).valid


def _id_windows(run: str) -> list[str]:
    """The valid ID numbers in a digit run: any 18-character window (the check character makes
    a chance hit rare), or the whole run when it has the 15 digits of an old number (those
    have no check digit, so windows of longer runs would match by chance)."""
    found = [
        run[i : i + 18]
        for i in range(0, len(run) - 17)
        if "X" not in run[i : i + 17] and _valid_id(run[i : i + 18])
    ]
    if len(run) == 15 and _valid_id(run):
        found.append(run)
    return found


def find_leaks(text: str, *, where: str = "") -> list[Leak]:
    """Return every personal identifier or health term found in ``text``."""
    text = unicodedata.normalize("NFKC", html.unescape(text))
    leaks: list[Leak] = []
    for match in _NUMBER.finditer(text):
        raw = match.group(0)
        run = re.sub(r"[ \u00a0\-]", "", raw).upper()
        parts = [re.sub(r"X$", "", p.upper()) for p in re.split(r"[ \u00a0\-]", raw) if p]
        for number in {run, *(p for p in parts if len(p) == 15)}:
            leaks += [Leak("id_number", w, where) for w in _id_windows(number)]
        digits = run.rstrip("X")
        candidates = {digits, *parts}
        for number in candidates:
            if 13 <= len(number) <= 19 and _luhn(number):
                leaks.append(Leak("bank_card", number, where))
            mobile = _MOBILE.fullmatch(number)
            if mobile:
                leaks.append(Leak("phone", mobile.group(1), where))
        if digits.startswith("0") and 10 <= len(digits) <= 12:  # area code and number
            leaks.append(Leak("phone", raw, where))
    leaks += [Leak("phone", m.group(0), where) for m in _LANDLINE_BRACKETS.finditer(text)]
    leaks += [Leak("phone", m.group(1), where) for m in _LANDLINE_KEYWORD.finditer(text)]
    leaks += [Leak("health", term, where) for term in HEALTH_TERMS if term in text]
    return leaks


def pdf_text(data: bytes) -> str:
    """Return the text of a PDF (poppler's pdftotext, layout kept)."""
    result = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
        input=data,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode("utf-8")
