"""Resident ID numbers (公民身份号码) after GB 11643-1999: validate, normalise, birth date, sex.

An 18-character number is a 6-digit address code, an 8-digit birth date ``yyyymmdd``, a
3-digit sequence code (odd 17th digit = male) and a check character computed with ISO 7064
MOD 11-2 (GB 11643-1999 §8.2; ``X`` stands for 10). First-generation 15-digit numbers carry a
``yymmdd`` birth date in the 20th century and no check character; they are upgraded to 18.

Two interfaces share the same rules: :func:`check` for one value (forms, the CLI, error
messages) and :func:`check_array` for columns of millions of values (imports, matching), which
works on a byte matrix and falls back to :func:`check` only for unusual rows. Reason codes are
stable; :data:`MESSAGES` holds the Chinese text. :func:`id_key` gives the int64 join key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "LABELS",
    "MESSAGES",
    "PROVINCE_CODES",
    "IdCheck",
    "IdCheckArrays",
    "IdReason",
    "check",
    "check_array",
    "check_char",
    "id_from_key",
    "id_key",
    "make_ids",
    "normalize",
    "upgrade15",
]

Sex = Literal["male", "female"]


class IdReason(StrEnum):
    """Why an ID number is refused; the value is the stable code."""

    ID_EMPTY = "ID_EMPTY"
    ID_EXCEL_NUMBER = "ID_EXCEL_NUMBER"
    ID_BAD_LENGTH = "ID_BAD_LENGTH"
    ID_BAD_CHARS = "ID_BAD_CHARS"
    ID_BAD_PROVINCE = "ID_BAD_PROVINCE"
    ID_BAD_BIRTH_DATE = "ID_BAD_BIRTH_DATE"
    ID_FUTURE_BIRTH_DATE = "ID_FUTURE_BIRTH_DATE"
    ID_BAD_CHECKSUM = "ID_BAD_CHECKSUM"


#: Short Chinese label per reason, for summaries and error-report headings.
LABELS: dict[IdReason, str] = {
    IdReason.ID_EMPTY: "身份号码为空",
    IdReason.ID_EXCEL_NUMBER: "身份号码被 Excel 转成了数字",
    IdReason.ID_BAD_LENGTH: "身份号码位数错误",
    IdReason.ID_BAD_CHARS: "身份号码含非法字符",
    IdReason.ID_BAD_PROVINCE: "身份号码地址码错误",
    IdReason.ID_BAD_BIRTH_DATE: "身份号码出生日期无效",
    IdReason.ID_FUTURE_BIRTH_DATE: "身份号码出生日期晚于今天",
    IdReason.ID_BAD_CHECKSUM: "身份号码校验码错误",
}

#: Chinese message template per reason; :func:`check` fills the named fields.
MESSAGES: dict[IdReason, str] = {
    IdReason.ID_EMPTY: "身份号码为空：请填写18位公民身份号码",
    IdReason.ID_EXCEL_NUMBER: (
        "身份号码疑似被 Excel 当作数字处理（{detail}）：请把该列设置为“文本”格式，"
        "重新录入完整的18位号码"
    ),
    IdReason.ID_BAD_LENGTH: "身份号码应为18位（旧版为15位），实际为 {length} 位",
    IdReason.ID_BAD_CHARS: (
        "身份号码第{position}位“{char}”不合法：只能是数字，18位号码的最后一位可以是 X"
    ),
    IdReason.ID_BAD_PROVINCE: "前两位 {code} 不是有效的省级行政区划代码",
    IdReason.ID_BAD_BIRTH_DATE: "出生日期码 {digits} 无效：{detail}",
    IdReason.ID_FUTURE_BIRTH_DATE: "出生日期 {birth} 晚于今天（{today}）",
    IdReason.ID_BAD_CHECKSUM: "校验码错误：第18位应为 {expected}，实际为 {actual}",
}

#: Province-level codes (GB/T 2260 first two digits), plus 71 台湾, 81 香港, 82 澳门.
PROVINCE_CODES: frozenset[int] = frozenset(
    code
    for first, last in ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65), (71, 71))
    for code in range(first, last + 1)
) | {81, 82}

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"  # indexed by (weighted sum mod 11)
_CHECK_VALUES = (1, 0, 10, 9, 8, 7, 6, 5, 4, 3, 2)  # the same, with X as 10
# GB 11643 §6.3 allows any real calendar date (issue 14: a number born before 1900 is valid);
# only the truncated-18 guess for 15-digit values keeps a plausible lower bound.
_MIN_BIRTH = date(1900, 1, 1)

# Spaces of every width (incl. U+3000 ideographic, U+00A0, zero-width) vanish; full-width
# digits and Ｘ/ｘ become ASCII; a lower-case x becomes X.
_TRANSLATE = {
    **{0xFF10 + i: str(i) for i in range(10)},
    0xFF38: "X",
    0xFF58: "X",
    ord("x"): "X",
    0x200B: None,
    0xFEFF: None,
}
_SPACES = re.compile(r"\s+")
_EXCEL_SCIENTIFIC = re.compile(r"\d(?:[.,]\d*)?E\+?\d+", re.IGNORECASE)
_EXCEL_DECIMAL = re.compile(r"\d+[.,]0+")


def normalize(text: str) -> str:
    """Strip spaces, turn full-width digits and Ｘ/ｘ into ASCII and upper-case the x."""
    return _SPACES.sub("", text.translate(_TRANSLATE))


def check_char(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for the first 17 digits."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError(f"expected 17 digits, got {first17!r}")
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def upgrade15(id15: str) -> str:
    """Turn a 15-digit number into 18: insert ``19`` before ``yymmdd``, append the check char."""
    if len(id15) != 15 or not (id15.isascii() and id15.isdigit()):
        raise ValueError(f"expected 15 digits, got {id15!r}")
    first17 = f"{id15[:6]}19{id15[6:]}"
    return first17 + check_char(first17)


def _is_id18_form(id18: str) -> bool:
    return (
        len(id18) == 18
        and id18.isascii()
        and id18[:17].isdigit()
        and (id18[17].isdigit() or id18[17] == "X")
    )


def id_key(id18: str) -> int:
    """Return ``int(first 17 digits) * 11 + check value`` (X = 10): a bijective int64 key."""
    if not _is_id18_form(id18):
        raise ValueError(f"expected an 18-character ID number, got {id18!r}")
    last = 10 if id18[17] == "X" else int(id18[17])
    return int(id18[:17]) * 11 + last


def id_from_key(key: int) -> str:
    """Return the 18-character ID number whose :func:`id_key` is ``key``."""
    if not 0 <= key < 10**17 * 11:
        raise ValueError(f"not an ID key: {key}")
    body, last = divmod(key, 11)
    return f"{body:017d}" + ("X" if last == 10 else str(last))


@dataclass(frozen=True)
class IdCheck:
    """The verdict on one input: the normalised 18-character form or the reason it fails."""

    input: str
    valid: bool
    normalized: str | None
    birth_date: date | None
    sex: Sex | None
    reason: IdReason | None
    message: str | None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form (birth date as ISO text)."""
        return {
            "input": self.input,
            "valid": self.valid,
            "normalized": self.normalized,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "sex": self.sex,
            "reason": str(self.reason) if self.reason else None,
            "message": self.message,
        }


def masked(id_number: str | None) -> str:
    """Return an ID number fit for lists, previews and the audit trail: the first 6 and last 4
    characters only ("" for none, all stars for anything too short to keep both ends)."""
    if not id_number:
        return ""
    if len(id_number) <= 10:
        return "*" * len(id_number)
    return f"{id_number[:6]}********{id_number[-4:]}"


def _refuse(text: str, reason: IdReason, **details: object) -> IdCheck:
    return IdCheck(text, False, None, None, None, reason, MESSAGES[reason].format(**details))


def _parse_date(digits: str) -> date | None:
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def check(text: str, *, today: date | None = None) -> IdCheck:
    """Check one ID number; accept 15-digit numbers by upgrading them to 18.

    The order of checks, and so the reason reported first, is: empty, Excel damage, length,
    characters, province, birth date, check character.
    """
    today = today or date.today()
    if isinstance(today, datetime):  # a datetime does not compare with a date
        today = today.date()
    value = normalize(text)
    if not value:
        return _refuse(text, IdReason.ID_EMPTY)
    if _EXCEL_SCIENTIFIC.fullmatch(value):
        return _refuse(text, IdReason.ID_EXCEL_NUMBER, detail=f"科学计数法 {value}")
    if _EXCEL_DECIMAL.fullmatch(value):
        return _refuse(text, IdReason.ID_EXCEL_NUMBER, detail="末尾多了小数部分")
    if len(value) not in (15, 18):
        return _refuse(text, IdReason.ID_BAD_LENGTH, length=len(value))
    for position, char in enumerate(value, start=1):
        is_digit = "0" <= char <= "9"
        if not (is_digit or (char == "X" and position == 18)):
            return _refuse(text, IdReason.ID_BAD_CHARS, position=position, char=char)
    if int(value[:2]) not in PROVINCE_CODES:
        return _refuse(text, IdReason.ID_BAD_PROVINCE, code=value[:2])

    full = upgrade15(value) if len(value) == 15 else value
    digits = full[6:14]
    birth = _parse_date(digits)
    if birth is None:
        if len(value) == 15 and _looks_truncated(value, today):
            return _refuse(text, IdReason.ID_EXCEL_NUMBER, detail="18位号码被截去了后3位")
        return _refuse(text, IdReason.ID_BAD_BIRTH_DATE, digits=digits, detail="不是真实的日历日期")
    if birth > today:
        return _refuse(
            text,
            IdReason.ID_FUTURE_BIRTH_DATE,
            birth=birth.isoformat(),
            today=today.isoformat(),
        )
    expected = check_char(full[:17])
    if full[17] != expected:
        if full.endswith("000"):
            # Excel keeps 15 significant digits, so an 18-digit number typed into a numeric
            # cell comes back with its last three digits zeroed.
            return _refuse(text, IdReason.ID_EXCEL_NUMBER, detail="后3位变成了 000")
        return _refuse(text, IdReason.ID_BAD_CHECKSUM, expected=expected, actual=full[17])
    sex: Sex = "male" if int(full[16]) % 2 == 1 else "female"
    return IdCheck(text, True, full, birth, sex, None, None)


def _looks_truncated(value15: str, today: date) -> bool:
    # A 15-digit value whose old-style yymmdd is impossible but whose digits 7–14 are a real
    # yyyymmdd is an 18-digit number cut to 15 (e.g. pasted from a numeric cell).
    birth = _parse_date(value15[6:14])
    return birth is not None and _MIN_BIRTH <= birth <= today


# ---------------------------------------------------------------------------------------------
# Columnar checks
# ---------------------------------------------------------------------------------------------

_REASON_ORDER = tuple(IdReason)
_REASON_WIDTH = max(len(r.value) for r in IdReason)
_PROVINCE_TABLE = np.zeros(100, dtype=bool)
_PROVINCE_TABLE[sorted(PROVINCE_CODES)] = True
_CHECK_TABLE = np.array(_CHECK_VALUES, dtype=np.uint8)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)
_X = ord("X")
_LOWER_X = ord("x")
_WIDTH = 19  # one more than 18, so a longer value shows up as a non-NUL 19th code

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class IdCheckArrays:
    """Columnar verdicts, row for row with the input.

    ``normalized``: object array of 18-character ``str`` or None; ``valid``: bool;
    ``reason``: reason code, "" when valid; ``birth_date``: datetime64[D], NaT when invalid;
    ``male``: bool (False when invalid); ``key``: :func:`id_key` as int64, 0 when invalid.
    """

    normalized: npt.NDArray[np.object_]
    valid: BoolArray
    reason: npt.NDArray[np.str_]
    birth_date: npt.NDArray[np.datetime64]
    male: BoolArray
    key: IntArray

    def __len__(self) -> int:
        return int(self.valid.shape[0])


def _as_text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""  # a missing cell: None, or NaN from a float column
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value if isinstance(value, str) else str(value)


def _code_matrix(values: Sequence[str | bytes | None] | npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
    """Return the first 19 character codes of each value as a (19, n) uint8 matrix.

    A value longer than 19 keeps only its head; rows with a character outside ASCII get
    all-zero codes. Either way those rows are not "plain" and go through :func:`check`.
    """
    arr = values if isinstance(values, np.ndarray) else None
    if arr is None or arr.dtype.kind not in "SU":
        try:
            # ASCII is by far the common case and four times cheaper than UCS-4.
            arr = np.array(values, dtype=f"S{_WIDTH}")
        except (UnicodeError, TypeError, ValueError):
            try:
                arr = np.array(values, dtype=f"U{_WIDTH}")
            except (UnicodeError, TypeError, ValueError):
                arr = np.array([_as_text(v) for v in values], dtype=f"U{_WIDTH}")
    arr = arr.reshape(-1)
    n = arr.shape[0]
    if arr.dtype.kind == "S":
        if arr.dtype.itemsize != _WIDTH:
            arr = arr.astype(f"S{_WIDTH}")
        codes8 = np.ascontiguousarray(arr).view(np.uint8).reshape(n, _WIDTH)
        return np.ascontiguousarray(codes8.T)
    if arr.dtype.itemsize != 4 * _WIDTH:
        arr = arr.astype(f"U{_WIDTH}")
    codes32 = np.ascontiguousarray(arr).view(np.uint32).reshape(n, _WIDTH)
    out = codes32.T.astype(np.uint8)
    wide = codes32 >= 128
    if wide.any():
        out[:, wide.any(axis=1)] = 0
    return out


def _civil_date(
    year: npt.NDArray[np.int32], month: npt.NDArray[np.int32], day: npt.NDArray[np.int32]
) -> tuple[BoolArray, npt.NDArray[np.datetime64]]:
    """Return (is a real calendar date, year 1 on; the date or NaT)."""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    safe_month = np.where(month_ok, month, 1)
    last_day = _DAYS_IN_MONTH[safe_month] + ((safe_month == 2) & leap)
    ok = month_ok & (day >= 1) & (day <= last_day) & (year >= 1)
    months = (np.where(ok, year, 1970) - 1970) * 12 + np.where(ok, safe_month, 1) - 1
    days = months.astype("datetime64[M]").astype("datetime64[D]") + (np.where(ok, day, 1) - 1)
    days[~ok] = np.datetime64("NaT")
    return ok, days


def _number(digits: npt.NDArray[np.uint8], start: int, stop: int) -> npt.NDArray[np.int32]:
    out = np.zeros(digits.shape[1], dtype=np.int32)
    for row in range(start, stop):
        out *= 10
        out += digits[row]
    return out


def _check_values(digits: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Return the check value (0–10) for each column of a (>=17, n) digit matrix."""
    total = np.zeros(digits.shape[1], dtype=np.int32)
    for row, weight in enumerate(_WEIGHTS):
        total += digits[row].astype(np.int32) * weight
    result: npt.NDArray[np.uint8] = _CHECK_TABLE[total % 11]
    return result


def _digits_to_text(d: npt.NDArray[np.uint8]) -> npt.NDArray[np.str_]:
    """Turn an (18, n) matrix of digit values (10 = X) into an array of 18-character str."""
    # Built as UCS-4 code points and viewed as "U18": ten times faster than S18 -> U18.
    chars = np.ascontiguousarray(d.T, dtype=np.uint32) + np.uint32(48)
    chars[:, 17][chars[:, 17] == 58] = _X  # 48 + 10
    text: npt.NDArray[np.str_] = chars.view("U18").reshape(-1)
    return text


def check_array(
    values: Sequence[str | bytes | None] | npt.NDArray[Any], *, today: date | None = None
) -> IdCheckArrays:
    """Check a column of ID numbers at once, with the same verdicts as :func:`check`.

    Plain values (15 digits, or 17 digits and a digit/X/x) are checked as a byte matrix;
    anything else (spaces, full-width digits, Excel numbers, empty cells) goes through
    :func:`check` row by row. None counts as an empty value; other non-text values (numbers
    from a spreadsheet cell) are checked as their ``str()``.
    """
    today = today or date.today()
    if not isinstance(values, list | tuple | np.ndarray):
        # pandas Series, pyarrow arrays …: index them by position below.
        values = np.asarray(values, dtype=object)
    codes = _code_matrix(values)
    n = codes.shape[1]

    normalized = np.full(n, None, dtype=object)
    valid = np.zeros(n, dtype=bool)
    reason = np.full(n, "", dtype=f"U{_REASON_WIDTH}")
    birth_date = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    male = np.zeros(n, dtype=bool)
    key = np.zeros(n, dtype=np.int64)
    if n == 0:
        return IdCheckArrays(normalized, valid, reason, birth_date, male, key)

    digits = codes - np.uint8(48)  # wraps below "0", so "< 10" means an ASCII digit
    is_digit = digits < 10
    last = codes[17]
    plain18 = (
        (codes[18] == 0)
        & (last != 0)
        & is_digit[:17].all(axis=0)
        & (is_digit[17] | (last == _X) | (last == _LOWER_X))
    )
    plain15 = (codes[15] == 0) & (codes[14] != 0) & is_digit[:15].all(axis=0)

    rows18 = np.flatnonzero(plain18)
    rows15 = np.flatnonzero(plain15)
    rows = np.concatenate([rows18, rows15])
    d = np.empty((18, rows.shape[0]), dtype=np.uint8)
    m18 = rows18.shape[0]
    if m18 == n:  # all plain 18: skip the gather
        d[:] = digits[:18]
    else:
        d[:, :m18] = digits[:18, rows18]
        sub15 = digits[:15, rows15]
        d[:6, m18:] = sub15[:6]
        d[6, m18:] = 1
        d[7, m18:] = 9
        d[8:17, m18:] = sub15[6:15]
    check_value = _check_values(d)
    d[17, :m18] = np.where(is_digit[17, rows18], d[17, :m18], 10)
    d[17, m18:] = check_value[m18:]

    province_ok = _PROVINCE_TABLE[d[0].astype(np.int32) * 10 + d[1]]
    date_ok, birth = _civil_date(_number(d, 6, 10), _number(d, 10, 12), _number(d, 12, 14))
    future = birth > np.datetime64(today, "D")
    checksum_ok = d[17] == check_value
    zeros_tail = (d[15] == 0) & (d[16] == 0) & (d[17] == 0)

    code = np.zeros(rows.shape[0], dtype=np.int8)  # 0 = valid, else 1 + index in _REASON_ORDER
    for cond, r in (
        (~checksum_ok & zeros_tail, IdReason.ID_EXCEL_NUMBER),
        (~checksum_ok & ~zeros_tail, IdReason.ID_BAD_CHECKSUM),
        (future, IdReason.ID_FUTURE_BIRTH_DATE),
        (~date_ok, IdReason.ID_BAD_BIRTH_DATE),
        (~province_ok, IdReason.ID_BAD_PROVINCE),
    ):  # later conditions win, so list them from the last check to the first
        code[cond] = 1 + _REASON_ORDER.index(r)
    # A 15-digit value with an impossible date may be a truncated 18: let check() decide.
    bad_date15 = np.zeros(rows.shape[0], dtype=bool)
    bad_date15[m18:] = province_ok[m18:] & ~date_ok[m18:]

    ok = code == 0
    all_ok = bool(ok.all())
    # The common case (every row a clean, valid 18) skips the gathers and scatters.
    ok_rows: slice | npt.NDArray[np.intp] = slice(None) if all_ok and m18 == n else rows[ok]
    good = d if all_ok else d[:, ok]
    valid[ok_rows] = True
    birth_date[ok_rows] = birth if all_ok else birth[ok]
    male[ok_rows] = good[16] % 2 == 1
    body = np.zeros(good.shape[1], dtype=np.int64)
    for row in range(17):
        body *= 10
        body += good[row]
    key[ok_rows] = body * 11 + good[17]
    normalized[ok_rows] = _digits_to_text(good)
    labels = np.array([""] + [r.value for r in _REASON_ORDER], dtype=reason.dtype)
    settled = ~ok & ~bad_date15
    reason[rows[settled]] = labels[code[settled]]

    # Unusual rows: one scalar check each (empty, spaces, full-width, Excel, garbage).
    leftover = np.ones(n, dtype=bool)
    leftover[rows] = False
    leftover[rows[bad_date15]] = True
    for i in np.flatnonzero(leftover).tolist():
        result = check(_as_text(values[i]), today=today)
        if result.valid:
            assert result.normalized is not None and result.birth_date is not None
            valid[i] = True
            normalized[i] = result.normalized
            birth_date[i] = np.datetime64(result.birth_date, "D")
            male[i] = result.sex == "male"
            key[i] = id_key(result.normalized)
        else:
            reason[i] = str(result.reason)
    return IdCheckArrays(normalized, valid, reason, birth_date, male, key)


def make_ids(
    address6: npt.ArrayLike, birth: npt.ArrayLike, seq: npt.ArrayLike
) -> npt.NDArray[np.str_]:
    """Build valid 18-character ID numbers from address codes, birth dates and sequence codes.

    The three inputs broadcast against each other. Raise ``ValueError`` for an address that
    is not six digits with a real province, a missing birth date, or a
    sequence outside 0–999.
    """
    address = np.asarray(address6).astype(np.int64)
    births = np.asarray(birth, dtype="datetime64[D]")
    seqs = np.asarray(seq).astype(np.int64)
    address, births, seqs = np.broadcast_arrays(address, births, seqs)
    address, births, seqs = address.reshape(-1), births.reshape(-1), seqs.reshape(-1)
    if ((address < 100000) | (address > 999999)).any():
        raise ValueError("address codes must have six digits")
    if not _PROVINCE_TABLE[address // 10000].all():
        raise ValueError("address codes must start with a province code")
    if ((seqs < 0) | (seqs > 999)).any():
        raise ValueError("sequence codes must be 0–999")
    if np.isnat(births).any() or (births < np.datetime64("0001-01-01")).any():
        raise ValueError("birth dates must be set and not before year 1")

    years = births.astype("datetime64[Y]").astype(np.int64) + 1970
    months_since = births.astype("datetime64[M]")
    months = months_since.astype(np.int64) % 12 + 1
    days = (births - months_since.astype("datetime64[D]")).astype(np.int64) + 1
    first17 = address * 10**11 + (years * 10000 + months * 100 + days) * 1000 + seqs
    d = np.empty((18, address.shape[0]), dtype=np.uint8)
    rest = first17.copy()
    for row in range(16, -1, -1):
        d[row] = rest % 10
        rest //= 10
    d[17] = _check_values(d)
    return _digits_to_text(d)
