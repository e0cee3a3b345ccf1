"""Policy parameters keyed by (year, standard type, region): poverty lines and thresholds.

Figures carry their verification mark from domain.md (✔ verified, ~ weak, UNVERIFIED); any
figure that is not verified can be overridden, and provinces or prefectures may add their own
standards (省定标准 / 市定标准). Regions are division-code prefixes ("" = the whole country).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any


class StandardType(StrEnum):
    NATIONAL = "national"  # 国家标准
    PROVINCIAL = "provincial"  # 省定标准
    MUNICIPAL = "municipal"  # 市定标准


class Verification(StrEnum):
    VERIFIED = "verified"  # ✔
    WEAK = "weak"  # ~
    UNVERIFIED = "unverified"
    LOCAL = "local"  # set by a deployment (an override or a provincial standard)


VERIFICATION_LABELS = {
    Verification.VERIFIED: "已核实",
    Verification.WEAK: "来源较弱",
    Verification.UNVERIFIED: "未核实",
    Verification.LOCAL: "本地设定",
}


class IncomeConcept(StrEnum):
    NET = "net"  # 人均纯收入 (the registry's concept)
    DISPOSABLE = "disposable"  # 人均可支配收入 (NBS from 2014)


class ParameterError(ValueError):
    """A parameter is missing or malformed; ``code`` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class PovertyLine:
    year: int
    amount: Decimal
    standard: StandardType = StandardType.NATIONAL
    region: str = ""
    verification: Verification = Verification.VERIFIED
    income_concept: IncomeConcept = IncomeConcept.NET
    source: str = ""

    @property
    def key(self) -> tuple[int, StandardType, str]:
        return (self.year, self.standard, self.region)


def _line(year: int, amount: str, verification: Verification, source: str) -> PovertyLine:
    return PovertyLine(year, Decimal(amount), verification=verification, source=source)


V, W, U = Verification.VERIFIED, Verification.WEAK, Verification.UNVERIFIED

#: National rural poverty line at current prices (2,300 yuan at 2010 prices), domain.md §1.
NATIONAL_POVERTY_LINES: tuple[PovertyLine, ...] = (
    _line(2010, "2300", V, "domain.md §1 [S1][S2]"),
    _line(2011, "2536", V, "domain.md §1 [S4]"),
    _line(2012, "2625", V, "domain.md §1 [S4]"),
    _line(2013, "2736", V, "domain.md §1 [S4][S6]"),
    _line(2014, "2800", V, "domain.md §1 [S4][S1]"),
    _line(2015, "2855", V, "domain.md §1 [S4][S7]"),
    _line(2016, "2952", V, "domain.md §1 [S4]"),
    _line(2017, "2952", U, "domain.md §1 [C1] — 未见官方确认"),
    _line(2018, "2995", U, "domain.md §1 — 未见可查来源"),
    _line(2019, "3218", W, "domain.md §1 [S5] — 二手来源"),
    _line(2020, "4000", V, "domain.md §1 [S2b] 「4000元左右」"),
)


@dataclass(frozen=True)
class MonitoringThreshold:
    """防止返贫监测范围 (post-2020), per year and province (domain.md §9)."""

    year: int
    amount: Decimal
    region: str = ""
    verification: Verification = Verification.VERIFIED
    source: str = ""


MONITORING_THRESHOLDS: tuple[MonitoringThreshold, ...] = (
    MonitoringThreshold(2021, Decimal("6000"), "", V, "domain.md §9 [S50]: 1.5 × 4,000"),
    MonitoringThreshold(2022, Decimal("7260"), "21", V, "domain.md §9 [S62] 辽宁"),
    MonitoringThreshold(2023, Decimal("7600"), "42", V, "domain.md §9 [S62c] 湖北"),
    MonitoringThreshold(2025, Decimal("8700"), "53", V, "domain.md §9 [S62f] 云南"),
    # No national figure after 2021: each province sets its own (domain.md §9). A province
    # without one is refused with PARAM_MISSING until it is given by a parameters file.
)


@dataclass(frozen=True)
class ParameterSet:
    """All parameters the rules read, looked up by (year, standard, region)."""

    poverty_lines: tuple[PovertyLine, ...] = NATIONAL_POVERTY_LINES
    monitoring_thresholds: tuple[MonitoringThreshold, ...] = MONITORING_THRESHOLDS
    #: Compulsory-education age band, inclusive (6–15 [S36] or 6–16 [S35]: configurable).
    school_age_min: int = 6
    school_age_max: int = 15
    #: Ages are counted on this (month, day) of the assessment year (start of the school year).
    age_reference_month: int = 9
    age_reference_day: int = 1
    #: Working-age band for labour capacity (domain.md §3.6, §12).
    labour_age_min: int = 16
    labour_age_max: int = 65
    extra: Mapping[str, Any] = field(default_factory=dict)

    # -- lookups --------------------------------------------------------------------------
    def national_line(self, year: int) -> PovertyLine:
        for line in self.poverty_lines:
            if line.year == year and line.standard == StandardType.NATIONAL and not line.region:
                return line
        known = sorted({ln.year for ln in self.poverty_lines if not ln.region})
        raise ParameterError(
            "PARAM_POVERTY_LINE_MISSING",
            f"没有 {year} 年的国家扶贫标准（已设置的年度：{'、'.join(map(str, known))}）",
        )

    def line_for(self, year: int, standard: str, region_code: str) -> PovertyLine:
        """Return the line for a household: the most specific region of its standard type.

        A household identified by a provincial or municipal standard whose region has no such
        standard for the year is measured against the national line.
        """
        best: PovertyLine | None = None
        if standard != StandardType.NATIONAL:
            for line in self.poverty_lines:
                if (
                    line.year == year
                    and line.standard == standard
                    and line.region
                    and region_code.startswith(line.region)
                    and (best is None or len(line.region) > len(best.region))
                ):
                    best = line
        return best or self.national_line(year)

    def regional_lines(self, year: int) -> tuple[PovertyLine, ...]:
        """Provincial/municipal lines for a year, most specific region first."""
        lines = [
            ln
            for ln in self.poverty_lines
            if ln.year == year and ln.standard != StandardType.NATIONAL and ln.region
        ]
        return tuple(sorted(lines, key=lambda ln: -len(ln.region)))

    def monitoring_threshold(self, year: int, region_code: str) -> MonitoringThreshold:
        candidates = [
            t
            for t in self.monitoring_thresholds
            if t.year == year and region_code.startswith(t.region)
        ]
        if not candidates:
            raise ParameterError(
                "PARAM_MONITORING_THRESHOLD_MISSING",
                f"没有 {year} 年适用于 {region_code} 的防返贫监测范围，请由省级设定",
            )
        return max(candidates, key=lambda t: len(t.region))

    # -- changes --------------------------------------------------------------------------
    def with_lines(self, lines: Iterable[PovertyLine]) -> ParameterSet:
        """Return a copy where each given line replaces the one with the same key."""
        new = {ln.key: ln for ln in self.poverty_lines}
        for ln in lines:
            old = new.get(ln.key)
            if (
                old is not None
                and old.verification == Verification.VERIFIED
                and (ln.amount != old.amount)
            ):
                raise ParameterError(
                    "PARAM_VERIFIED_OVERRIDE",
                    f"{ln.year} 年国家扶贫标准 {old.amount} 元已核实（{old.source}），不能改为 "
                    f"{ln.amount} 元",
                )
            new[ln.key] = ln
        return replace(self, poverty_lines=tuple(sorted(new.values(), key=lambda x: x.key)))

    def with_monitoring_thresholds(self, thresholds: Iterable[MonitoringThreshold]) -> ParameterSet:
        """Return a copy where each given threshold replaces the one of its (year, region).

        A verified figure cannot be changed; a province adds its own by its region prefix.
        """
        new = {(t.year, t.region): t for t in self.monitoring_thresholds}
        for t in thresholds:
            old = new.get((t.year, t.region))
            if (
                old is not None
                and old.verification == Verification.VERIFIED
                and (t.amount != old.amount)
            ):
                raise ParameterError(
                    "PARAM_VERIFIED_OVERRIDE",
                    f"{t.year} 年监测范围 {old.amount} 元已核实（{old.source}），不能改为 "
                    f"{t.amount} 元",
                )
            new[(t.year, t.region)] = t
        ordered = tuple(sorted(new.values(), key=lambda x: (x.year, x.region)))
        return replace(self, monitoring_thresholds=ordered)

    def with_school_age(self, minimum: int, maximum: int) -> ParameterSet:
        if not 3 <= minimum <= maximum <= 20:
            raise ParameterError(
                "PARAM_SCHOOL_AGE_INVALID", f"义务教育年龄段 {minimum}–{maximum} 岁不合理"
            )
        return replace(self, school_age_min=minimum, school_age_max=maximum)

    def as_dict(self, year: int | None = None) -> dict[str, Any]:
        lines = [ln for ln in self.poverty_lines if year is None or ln.year == year]
        return {
            "poverty_lines": [
                {
                    "year": ln.year,
                    "amount": str(ln.amount),
                    "standard": ln.standard.value,
                    "region": ln.region,
                    "verification": ln.verification.value,
                    "source": ln.source,
                }
                for ln in lines
            ],
            "school_age": [self.school_age_min, self.school_age_max],
            "age_reference": [self.age_reference_month, self.age_reference_day],
        }

    @classmethod
    def from_file(cls, path: Path, base: ParameterSet | None = None) -> ParameterSet:
        """Apply a JSON file of local settings on top of ``base`` (the national defaults).

        Format: ``{"poverty_lines": [{"year": 2018, "amount": "2995", "standard":
        "provincial", "region": "37"}], "school_age": [6, 16]}``.
        """
        params = base or cls()
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ParameterError("PARAM_FILE_INVALID", f"参数文件无法读取：{exc}") from exc
        lines = []
        for item in data.get("poverty_lines", []):
            try:
                lines.append(
                    PovertyLine(
                        year=int(item["year"]),
                        amount=Decimal(str(item["amount"])),
                        standard=StandardType(item.get("standard", "national")),
                        region=str(item.get("region", "")),
                        verification=Verification.LOCAL,
                        source=str(item.get("source", str(path))),
                    )
                )
            except (KeyError, ValueError, ArithmeticError) as exc:
                raise ParameterError(
                    "PARAM_FILE_INVALID", f"参数文件中的扶贫标准 {item!r} 无效：{exc}"
                ) from exc
        params = params.with_lines(lines)
        thresholds = []
        for item in data.get("monitoring_thresholds", []):
            try:
                thresholds.append(
                    MonitoringThreshold(
                        year=int(item["year"]),
                        amount=Decimal(str(item["amount"])),
                        region=str(item.get("region", "")),
                        verification=Verification.LOCAL,
                        source=str(item.get("source", str(path))),
                    )
                )
            except (KeyError, ValueError, ArithmeticError) as exc:
                raise ParameterError(
                    "PARAM_FILE_INVALID", f"参数文件中的监测范围 {item!r} 无效：{exc}"
                ) from exc
        params = params.with_monitoring_thresholds(thresholds)
        if "school_age" in data:
            lo, hi = data["school_age"]
            params = params.with_school_age(int(lo), int(hi))
        return params


DEFAULT_PARAMETERS = ParameterSet()
