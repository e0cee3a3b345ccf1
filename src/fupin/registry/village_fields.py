"""The facts of a village (村情) and of a county, as typed, imported or sent through the API.

One table of fields says, for each fact, its Chinese heading, its kind and its bounds, so that
the form, the Excel import, the API and the service judge a value the same way and refuse it
with the same code and Chinese message. A blank value always means "not recorded" (null): it
never counts as a pass (domain.md §5).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from fupin.registry.village import POVERTY_STATUS

Kind = Literal["status", "year", "count", "small_count", "bool", "share", "money", "distance"]
Value = bool | int | Decimal | str | None

#: Years a fact may be recorded for.
YEAR_MIN, YEAR_MAX = 2000, 2100
#: A poor village's designation may predate the registry (the 1986 / 2001 lists).
SINCE_MIN = 1980
#: Largest values of the database columns (PositiveIntegerField / PositiveSmallIntegerField).
INT_MAX = 2_147_483_647
SMALL_INT_MAX = 32_767


@dataclass(frozen=True)
class FactField:
    """One fact: the model field ``name``, its Chinese ``heading`` and how it is read."""

    name: str
    heading: str
    kind: Kind
    #: Other spellings accepted as a column heading.
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.heading


#: The facts of a village in the order of the form and of the import template.
VILLAGE_FIELDS: tuple[FactField, ...] = (
    FactField("poverty_status", "贫困村属性", "status"),
    FactField("poverty_status_since", "自哪年起", "year"),
    FactField("population", "农村户籍人口", "count", ("农村户籍人口（人）",)),
    FactField("households_total", "总户数", "count"),
    FactField("road_hardened", "通硬化路（到村）", "bool", ("通硬化路",)),
    FactField("natural_villages", "自然村数", "small_count", ("自然村（组）数",)),
    FactField(
        "natural_villages_road", "通硬化路的自然村数", "small_count", ("其中通硬化路的自然村数",)
    ),
    FactField("power_grid", "通动力电", "bool"),
    FactField("broadband", "通宽带", "bool"),
    FactField("mobile_signal", "手机信号覆盖", "bool"),
    FactField("clinic_qualified_doctor", "有标准化卫生室且有合格村医", "bool"),
    FactField("cultural_room", "有综合性文化服务中心", "bool"),
    FactField("safe_water_share", "安全饮水覆盖率（%）", "share", ("安全饮水覆盖率",)),
    FactField("collective_income", "村集体经济年收入（元）", "money", ("村集体经济年收入",)),
    FactField("township_distance_km", "到乡镇距离（公里）", "distance", ("到乡镇距离",)),
    FactField("industry", "有增收产业", "bool"),
)
COUNTY_FIELDS: tuple[FactField, ...] = (
    FactField(
        "rural_disposable_income",
        "农村常住居民人均可支配收入（元）",
        "money",
        ("农村常住居民人均可支配收入",),
    ),
    FactField("rural_population", "乡村人口", "count", ("乡村人口（人）",)),
)
VILLAGE_BY_NAME = {f.name: f for f in VILLAGE_FIELDS}
COUNTY_BY_NAME = {f.name: f for f in COUNTY_FIELDS}
VILLAGE_FIELD_NAMES = tuple(f.name for f in VILLAGE_FIELDS)
COUNTY_FIELD_NAMES = tuple(f.name for f in COUNTY_FIELDS)

#: Code -> Chinese label of the poverty status of a village, and the spellings accepted.
STATUS_LABELS: dict[str, str] = dict(POVERTY_STATUS)
_STATUS_LOOKUP: dict[str, str] = {
    **{code: code for code in STATUS_LABELS},
    **{label: code for code, label in STATUS_LABELS.items()},
}

_TRUE = frozenset({"是", "有", "1", "true", "yes", "y", "t", "√", "✔"})
_FALSE = frozenset({"否", "无", "没有", "0", "false", "no", "n", "f", "×", "✘"})
#: Texts that mean "not recorded" beside the empty cell.
_BLANK = frozenset({"", "未录入", "未填", "不详", "-", "—"})

#: Decimal places and the largest value of each decimal kind (the database columns).
_DECIMALS: dict[str, tuple[int, Decimal]] = {
    "share": (2, Decimal("100")),
    "money": (2, Decimal("999999999999.99")),
    "distance": (1, Decimal("99999.9")),
}


@dataclass(frozen=True)
class FieldError:
    """A refused value: the field, a stable code and a Chinese message naming the field."""

    field: str
    code: str
    message: str
    value: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "field": self.field,
            "code": self.code,
            "message": self.message,
            "value": self.value,
        }


class BadValue(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def as_text(value: object) -> str:
    """Return a raw value as trimmed text; an Excel float like ``12.0`` loses its ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _decimal(text: str) -> Decimal:
    cleaned = text.replace(",", "").replace("，", "").replace("%", "").strip()
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise BadValue("NUMBER_INVALID", f"应为数字，不能填“{text}”") from None
    if not number.is_finite():
        raise BadValue("NUMBER_INVALID", f"应为数字，不能填“{text}”")
    return number


def _integer(text: str) -> int:
    number = _decimal(text)
    if number != number.to_integral_value():
        raise BadValue("NUMBER_INVALID", f"应为整数，不能填“{text}”")
    return int(number)


def parse_fact(spec: FactField, raw: object) -> Value:
    """Return the stored value of one fact (None when blank); raise :class:`BadValue`."""
    if isinstance(raw, bool) and spec.kind == "bool":
        return raw
    text = as_text(raw)
    if text in _BLANK:
        return "" if spec.kind == "status" else None
    kind = spec.kind
    if kind == "bool":
        folded = text.lower()
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
        raise BadValue("BOOL_INVALID", f"只能填“是”或“否”（或留空表示未录入），不能填“{text}”")
    if kind == "status":
        code = _STATUS_LOOKUP.get(text) or _STATUS_LOOKUP.get(text.lower())
        if code is None:
            allowed = "、".join(STATUS_LABELS.values())
            raise BadValue("CODE_UNKNOWN", f"只能填{allowed}，不能填“{text}”")
        return code
    if kind == "year":
        year = _integer(text)
        if not SINCE_MIN <= year <= YEAR_MAX:
            raise BadValue("NUMBER_OUT_OF_RANGE", f"年份应在 {SINCE_MIN}–{YEAR_MAX} 之间")
        return year
    if kind in ("count", "small_count"):
        count = _integer(text)
        top = SMALL_INT_MAX if kind == "small_count" else INT_MAX
        if count < 0:
            raise BadValue("NUMBER_OUT_OF_RANGE", "不能为负数")
        if count > top:
            raise BadValue("NUMBER_OUT_OF_RANGE", f"不能大于 {top}")
        return count
    places, top_value = _DECIMALS[kind]
    number = _decimal(text)
    if number < 0:
        code = "MONEY_NEGATIVE" if kind == "money" else "NUMBER_OUT_OF_RANGE"
        raise BadValue(code, "不能为负数")
    if number > top_value:
        raise BadValue(
            "NUMBER_OUT_OF_RANGE",
            "应在 0–100 之间" if kind == "share" else f"不能大于 {top_value}",
        )
    quantum = Decimal(1).scaleb(-places)
    if number != number.quantize(quantum):
        raise BadValue("NUMBER_INVALID", f"最多 {places} 位小数")
    return number.quantize(quantum)


def field_error(spec: FactField, exc: BadValue, raw: object) -> FieldError:
    text = as_text(raw)
    return FieldError(spec.name, exc.code, f"{spec.heading}：{exc.message}", text or None)


def parse_year(raw: object) -> int:
    """Return the year of a record; raise :class:`BadValue` outside 2000–2100."""
    text = as_text(raw)
    if not text:
        raise BadValue("REQUIRED", "年度不能为空")
    year = _integer(text)
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise BadValue("NUMBER_OUT_OF_RANGE", f"年度应在 {YEAR_MIN}–{YEAR_MAX} 之间")
    return year


def cross_errors(values: dict[str, Value], year: int) -> list[FieldError]:
    """Check the facts against each other (on the merged record)."""
    errors: list[FieldError] = []
    natural, road = values.get("natural_villages"), values.get("natural_villages_road")
    if isinstance(natural, int) and isinstance(road, int) and road > natural:
        errors.append(
            FieldError(
                "natural_villages_road",
                "ROAD_MORE_THAN_NATURAL",
                f"通硬化路的自然村数：{road} 大于自然村数 {natural}",
                str(road),
            )
        )
    since = values.get("poverty_status_since")
    if isinstance(since, int) and since > year:
        errors.append(
            FieldError(
                "poverty_status_since",
                "NUMBER_OUT_OF_RANGE",
                f"自哪年起：{since} 晚于年度 {year}",
                str(since),
            )
        )
    return errors


def display(spec: FactField, value: Value) -> str:
    """Return a stored value as the pages show it: 是/否, the status label, or 未录入."""
    if value is None or value == "":
        return "未录入"
    if isinstance(value, bool):
        return "是" if value else "否"
    if spec.kind == "status":
        return STATUS_LABELS.get(str(value), str(value))
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value)
