"""Read divisions: one division, its subtree, children, ancestors and display path.

A code's prefixes are its ancestors (2 digits province, 4 prefecture, 6 county, 9 township,
12 village), so every query here is a lookup or a range over the primary key.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from fupin.common.errors import FupinError
from fupin.divisions.models import CODE_LENGTH, LEVEL_OF_LENGTH, Division

UNKNOWN = "DIVISION_UNKNOWN"


def validate_code(code: str) -> str:
    """Return ``code`` without surrounding spaces if it has the shape of a division code.

    Refuse (``DIVISION_UNKNOWN``) anything but 2, 4, 6, 9 or 12 ASCII digits. Zero-padded
    12-digit forms of higher levels (``510000000000``) are not rewritten: real codes have
    all-zero segments too (东莞市 441900, 金门县 350527000000).
    """
    cleaned = str(code).strip()
    if not (cleaned.isascii() and cleaned.isdigit() and len(cleaned) in LEVEL_OF_LENGTH):
        raise FupinError(
            UNKNOWN,
            f"未找到区划代码 {code!s}：区划代码应为 2、4、6、9 或 12 位数字",
            {"code": str(code), "reason": "format"},
        )
    return cleaned


def level_of_code(code: str) -> int:
    """Return the level (1 province … 5 village) that the code's length gives."""
    return LEVEL_OF_LENGTH[len(validate_code(code))]


def ancestor_codes(code: str, *, include_self: bool = False) -> list[str]:
    """Return the codes of the divisions above ``code``, province first."""
    code = validate_code(code)
    codes = [code[:length] for length in CODE_LENGTH.values() if length < len(code)]
    return [*codes, code] if include_self else codes


def subtree_q(code: str, field: str = "code") -> Q:
    """Return a filter for the codes in ``field`` that lie under ``code`` (itself included).

    ``startswith`` states the meaning; the range beside it lets SQLite use the primary-key
    index (its LIKE only uses an index under NOCASE collation). For digit strings the range
    alone is exact: every code under ``51`` lies between ``51`` and ``519999999999``.
    """
    code = validate_code(code)
    return Q(
        **{
            f"{field}__startswith": code,
            f"{field}__gte": code,
            f"{field}__lte": code.ljust(CODE_LENGTH[5], "9"),
        }
    )


def division_get(code: str) -> Division:
    """Return the division with this code; refuse an unknown code with ``DIVISION_UNKNOWN``."""
    code = validate_code(code)
    try:
        return Division.objects.get(pk=code)
    except Division.DoesNotExist:
        raise FupinError(
            UNKNOWN,
            f"未找到区划代码 {code}（区划数据是否已导入？可运行 fupin divisions load）",
            {"code": code, "reason": "missing"},
        ) from None


def division_subtree(code: str) -> QuerySet[Division]:
    """Return the division and every division under it, in code order."""
    return Division.objects.filter(subtree_q(code))


def division_children(code: str | None = None) -> QuerySet[Division]:
    """Return the divisions directly under ``code`` (the provinces when ``code`` is None)."""
    if code is None:
        return Division.objects.filter(level=1)
    return Division.objects.filter(parent_id=validate_code(code))


def division_ancestors(code: str, *, include_self: bool = False) -> QuerySet[Division]:
    """Return the loaded divisions above ``code``, province first, in one query."""
    return Division.objects.filter(code__in=ancestor_codes(code, include_self=include_self))


def division_path_name(code: str) -> str:
    """Return the names from the province down to ``code``, space-separated.

    ``513431`` gives ``四川省 凉山彝族自治州 昭觉县``. Refuse a code that is not loaded.
    """
    rows = list(
        division_ancestors(code, include_self=True).order_by("code").values_list("code", "name")
    )
    if not rows or rows[-1][0] != code.strip():
        division_get(code)  # raises DIVISION_UNKNOWN with the right message
    return " ".join(name for _, name in rows)


def village_codes_under(code: str) -> list[str]:
    """Return the codes of the villages under ``code`` (the code itself if it is a village)."""
    return list(
        Division.objects.filter(subtree_q(code), level=5)
        .order_by("code")
        .values_list("code", flat=True)
    )
