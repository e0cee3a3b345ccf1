"""Deep-poverty indicators, candidates and designations over the registry.

The definitions are :mod:`fupin.policy.deep_poverty`; here they are bound to the registry
tables (compiled to SQL for the connected database, one statement per request) or to a flat
registry file in DuckDB (:func:`flat_inputs`). Writes (a province's rule set, a designation)
are services: atomic, audited, refused with a stable code and a Chinese message.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import ibis.expr.types as ir
from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import Substr

from fupin.accounts.permissions import Action, can
from fupin.accounts.scoping import user_scope

# Re-exported: the flat-file binding lives beside, without Django.
from fupin.analysis.flat import flat_inputs as flat_inputs
from fupin.analysis.flat import read_table_file as read_table_file
from fupin.analysis.models import DesignatedArea, Designation, ProvincialRuleSet
from fupin.assessment.adapters import to_sql
from fupin.common.audit import ACTION_LABELS, audit_record
from fupin.common.errors import FupinError
from fupin.divisions.models import Division
from fupin.divisions.selectors import validate_code
from fupin.policy import deep_poverty as dp
from fupin.registry.models import Household, HouseholdIncome, LivingConditions, Member
from fupin.registry.village import CountyStatistics, VillageFacts

ACTION_LABELS.update(
    {
        "deep_poverty.rule_set": "登记深度贫困识别规则集",
        "deep_poverty.designate": "认定深度贫困地区",
    }
)

NOT_ALLOWED = "DEEP_POVERTY_NOT_ALLOWED"
OUTSIDE = "DEEP_POVERTY_OUTSIDE_PROVINCE"
BAD_AREA = "DEEP_POVERTY_BAD_AREA"
DUPLICATE = "DEEP_POVERTY_DUPLICATE"
BAD_DESIGNATION = "DEEP_POVERTY_BAD_DESIGNATION"


def _guard(exc: dp.DeepPovertyError) -> FupinError:
    return FupinError(str(exc.code), exc.message)


# -- inputs ---------------------------------------------------------------------------------------


def registry_inputs(division_code: str = "") -> dp.Inputs:
    """The six inputs over the registry tables, households limited to a division."""
    base = dp.Inputs.unbound(
        {
            "household": Household._meta.db_table,
            "member": Member._meta.db_table,
            "income": HouseholdIncome._meta.db_table,
            "conditions": LivingConditions._meta.db_table,
            "village": VillageFacts._meta.db_table,
            "county": CountyStatistics._meta.db_table,
        }
    )
    h, v = base.household, base.village
    if not division_code:
        return base
    high = division_code.ljust(12, "9")
    # The range beside startswith lets SQLite use the village index (its LIKE cannot).
    h = h.filter(
        h.village_id.startswith(division_code),
        h.village_id >= division_code,
        h.village_id <= high,
    )
    v = v.filter(v.village_id >= division_code, v.village_id <= high)
    c = base.county.filter(base.county.county_id.startswith(division_code[:6]))
    return dp.Inputs(h, base.member, base.income, base.conditions, v, c)


# -- reading --------------------------------------------------------------------------------------


def _rows(expr: ir.Table) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(to_sql(expr))
        names = [c[0] for c in cursor.description]
        return [_clean(dict(zip(names, r, strict=True))) for r in cursor.fetchall()]


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    """Numbers as int/float (SQLite gives floats for sums, PostgreSQL Decimals), NaN → None."""
    out: dict[str, Any] = {}
    for k, v in row.items():
        if v is None or isinstance(v, (str, bool, int)):
            out[k] = v
        else:
            f = float(v)
            out[k] = None if math.isnan(f) else f
    return out


def _level(level: str) -> dp.Level:
    if level not in dp.LEVEL_DIGITS:
        raise FupinError(
            str(dp.DeepPovertyErrorCode.BAD_LEVEL),
            f"级别须为 county、township 或 village，而非 {level}",
        )
    return cast(dp.Level, level)  # checked against LEVEL_DIGITS above


def registry_indicators(*, division_code: str, year: int, level: str) -> list[dict[str, Any]]:
    """Every indicator per area of ``level`` under ``division_code`` (one statement)."""
    lv = _level(level)
    return _rows(dp.indicators(registry_inputs(division_code), year, lv))


@dataclass(frozen=True)
class AreaResult:
    """One area's figures, verdict and name, as the pages, the API and the CLI show it."""

    area: str
    name: str
    figures: dict[str, Any]
    verdict: dp.Verdict

    def as_dict(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "name": self.name,
            "candidate": self.verdict.candidate,
            "score": self.verdict.score,
            "reasons": [r.text for r in self.verdict.reasons],
            "summary": self.verdict.summary,
            "indicators": {k: self.figures.get(k) for k in dp.INDICATOR_BY_KEY},
            "unrecorded": {k: self.figures.get(k) for k in dp.UNRECORDED},
        }


def division_names(codes: Iterable[str]) -> dict[str, str]:
    codes = list(codes)
    return dict(Division.objects.filter(code__in=codes).values_list("code", "name"))


def registry_candidates(*, division_code: str, year: int, rules: dp.RuleSet) -> list[AreaResult]:
    """Every area of the rule set's level under the division, with its verdict and score:
    candidates first, then by score (highest first), then by code."""
    table = dp.candidates(dp.indicators(registry_inputs(division_code), year, rules.level), rules)
    rows = _rows(table)
    names = division_names(r["area"] for r in rows)
    results = [
        AreaResult(r["area"], names.get(r["area"], ""), r, dp.verdict(r, rules)) for r in rows
    ]
    results.sort(
        key=lambda a: (
            not a.verdict.candidate,
            -(a.verdict.score if a.verdict.score is not None else -1.0),
            a.area,
        )
    )
    return results


# -- rule sets ------------------------------------------------------------------------------------


def rule_sets_for(province_code: str = "") -> dict[str, dp.RuleSet]:
    """The national defaults and the rule sets registered by the province (all provinces'
    when ``province_code`` is empty)."""
    out = dict(dp.DEFAULT_RULE_SETS)
    qs = ProvincialRuleSet.objects.all()
    if province_code:
        qs = qs.filter(province_id=province_code[:2])
    for row in qs.order_by("code", "version"):
        out[f"{row.code}@{row.version}"] = _build(row.definition)
    return out


def _build(definition: dict[str, Any]) -> dp.RuleSet:
    keys = (
        "code",
        "version",
        "name",
        "level",
        "criteria",
        "combine",
        "score",
        "region",
        "clause",
        "kind",
    )
    unknown = sorted(set(definition) - set(keys))
    if unknown:
        raise FupinError(
            str(dp.DeepPovertyErrorCode.BAD_RULE), f"规则集含未知字段：{'、'.join(unknown)}"
        )
    try:
        return dp.rule_set(**{k: definition[k] for k in keys if k in definition})
    except TypeError as exc:
        raise FupinError(
            str(dp.DeepPovertyErrorCode.BAD_RULE),
            f"规则集缺少必填字段（code、version、name、level、criteria）：{exc}",
        ) from None
    except dp.DeepPovertyError as exc:
        raise _guard(exc) from None


def rule_set_get(key: str, province_code: str = "") -> dp.RuleSet:
    sets = rule_sets_for(province_code)
    if key not in sets:
        raise FupinError(
            str(dp.DeepPovertyErrorCode.UNKNOWN_RULE_SET),
            f"未找到规则集“{key}”；可用：{'、'.join(sorted(sets))}",
        )
    return sets[key]


def _require_province_user(by: Any, province_code: str) -> Division:
    if not can(by, Action.DESIGNATE):
        raise FupinError(
            NOT_ALLOWED, "只有省级扶贫部门（或管理员）可以登记规则集或认定深度贫困地区"
        )
    code = validate_code(province_code)
    if len(code) != 2:
        raise FupinError(BAD_AREA, f"须指定省级区划（2 位代码），而非 {code}")
    scope = user_scope(by)
    if scope is None or not (scope == "" or scope == code):
        raise FupinError(OUTSIDE, f"只能为本省登记或认定；{code} 不是您所在的省")
    province = Division.objects.filter(code=code).first()
    if province is None:
        raise FupinError("DIVISION_UNKNOWN", f"未找到区划代码 {code}")
    return province


@transaction.atomic
def rule_set_register(
    *, province_code: str, definition: dict[str, Any], by: Any
) -> ProvincialRuleSet:
    """Check and store a province's rule set; a (code, version) is registered once."""
    province = _require_province_user(by, province_code)
    rules = _build(dict(definition))
    if (
        rules.key in dp.DEFAULT_RULE_SETS
        or ProvincialRuleSet.objects.filter(code=rules.code, version=rules.version).exists()
    ):
        raise FupinError(DUPLICATE, f"规则集 {rules.key} 已存在；修改请登记新版本")
    clean = rules.as_dict() | {"region": province.code}
    row = ProvincialRuleSet.objects.create(
        province=province,
        code=rules.code,
        version=rules.version,
        name=rules.name,
        level=rules.level,
        kind=rules.kind,
        definition=clean,
        created_by=by if getattr(by, "pk", None) else None,
    )
    audit_record(
        by=by,
        action="deep_poverty.rule_set",
        obj_type="analysis.ProvincialRuleSet",
        obj_key=rules.key,
        division=province.code,
        after=clean,
    )
    return row


# -- designations ---------------------------------------------------------------------------------


@transaction.atomic
def designation_create(
    *,
    province_code: str,
    rule_set_key: str,
    year: int,
    title: str,
    document_number: str,
    decided_on: dt.date,
    division_codes: Sequence[str],
    by: Any,
    note: str = "",
) -> Designation:
    """Record a province's decision naming counties or villages, with the figures and reasons
    each had for ``year`` under the rule set (kept as they were, whatever changes later).

    Every area must lie in the province and be at the rule set's level; an area that is not
    a candidate may be named (provinces decide), and is marked so.
    """
    province = _require_province_user(by, province_code)
    rules = rule_set_get(rule_set_key, province.code)
    title, document_number = title.strip(), document_number.strip()
    if not title or not document_number:
        raise FupinError(BAD_DESIGNATION, "认定须有决定名称和文号")
    if decided_on > dt.date.today():
        raise FupinError(BAD_DESIGNATION, f"决定日期 {decided_on} 晚于今天")
    codes = sorted({str(c).strip() for c in division_codes if str(c).strip()})
    if not codes:
        raise FupinError(BAD_DESIGNATION, "至少要认定一个区划")
    digits = dp.LEVEL_DIGITS[rules.level]
    label = "县" if rules.level == "county" else "村"
    for code in codes:
        if not code.startswith(province.code):
            raise FupinError(OUTSIDE, f"{code} 不在 {province.name} 内，不能由本省认定")
        if len(code) != digits or not code.isdigit():
            raise FupinError(
                BAD_AREA, f"{code} 不是{label}级区划代码（规则集 {rules.key} 认定{label}）"
            )
    known = set(Division.objects.filter(code__in=codes).values_list("code", flat=True))
    missing = [c for c in codes if c not in known]
    if missing:
        raise FupinError("DIVISION_UNKNOWN", f"未找到区划代码 {'、'.join(missing)}")
    if Designation.objects.filter(
        province=province, document_number=document_number, level=rules.level
    ).exists():
        raise FupinError(DUPLICATE, f"文号 {document_number} 的{label}级认定已登记")
    results = {
        a.area: a for a in registry_candidates(division_code=province.code, year=year, rules=rules)
    }
    designation = Designation.objects.create(
        province=province,
        kind=rules.kind,
        level=rules.level,
        year=year,
        title=title,
        document_number=document_number,
        decided_on=decided_on,
        rule_set=rules.key,
        rule_set_definition=rules.as_dict(),
        note=note,
        recorded_by=by if getattr(by, "pk", None) else None,
    )
    areas = []
    for code in codes:
        a = results.get(code)
        areas.append(
            DesignatedArea(
                designation=designation,
                division_id=code,
                was_candidate=bool(a and a.verdict.candidate),
                score=a.verdict.score if a else None,
                reasons=a.verdict.summary if a else "该年度无建档立卡数据",
                indicators=json.loads(json.dumps(a.as_dict()["indicators"])) if a else {},
            )
        )
    DesignatedArea.objects.bulk_create(areas)
    audit_record(
        by=by,
        action="deep_poverty.designate",
        obj_type="analysis.Designation",
        obj_key=str(designation.pk),
        division=province.code,
        after={
            "document_number": document_number,
            "decided_on": decided_on.isoformat(),
            "rule_set": rules.key,
            "areas": codes,
        },
    )
    return designation


def designations_visible(user: Any) -> Any:
    """Designations whose province the user's subtree lies in or covers."""
    scope = user_scope(user)
    qs = Designation.objects.select_related("province")
    if scope is None:
        return qs.none()
    if scope:
        qs = qs.filter(Q(province_id=scope[:2]))
    return qs


def designation_tracking(designation: Designation, years: Sequence[int]) -> list[dict[str, Any]]:
    """Per designated area and year: poor persons, incidence and households that exited that
    year (status exited from a registered household with ``exit_year`` = Y)."""
    codes = list(designation.areas.values_list("division_id", flat=True))
    level = cast(dp.Level, designation.level)  # a model choice: county or village
    out: list[dict[str, Any]] = []
    if not codes:
        return out
    digits = dp.LEVEL_DIGITS[level]
    for year in years:
        rows = {
            r["area"]: r
            for r in registry_indicators(
                division_code=designation.province_id, year=year, level=level
            )
            if r["area"] in codes
        }
        exits = _exits(designation.province_id, year, digits)
        for code in codes:
            r = rows.get(code, {})
            out.append(
                {
                    "area": code,
                    "year": year,
                    "poor_persons": r.get("poor_persons"),
                    "incidence": r.get("incidence"),
                    "exited_households": exits.get(code, 0),
                }
            )
    return out


def _exits(province_code: str, year: int, digits: int) -> dict[str, int]:
    """Households per area that exited in ``year`` and are still counted as exited."""
    grouped = (
        Household.objects.filter(
            village__code__startswith=province_code,
            exit_year=year,
            status__in=["exited_with_policy", "exited"],
        )
        .annotate(area=Substr("village_id", 1, digits))
        .values("area")
        .annotate(n=Count("id"))
    )
    return {str(g["area"]): int(g["n"]) for g in grouped}


def village_incidence_threshold(province_code: str = "") -> float:
    """The incidence above which a village is a deep-poverty candidate in the province: its
    own village rule set's, else the national 20 % (超过 20 %, domain.md §8)."""
    national = dp.DEFAULT_RULE_SETS["national-village@2017"]
    sets = [
        r
        for r in rule_sets_for(province_code).values()
        if r.level == "village" and r.kind == "deep_poverty" and r.region
    ] or [national]
    for c in sets[-1].criteria:
        if c.indicator == "incidence":
            return c.threshold
    return national.criteria[0].threshold
