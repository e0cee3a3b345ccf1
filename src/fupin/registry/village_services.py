"""Write services of village facts (村情) and county statistics.

Every value is judged by :mod:`fupin.registry.village_fields`, the same table the Excel import
and the API use; a refusal lists every bad field in Chinese. A save is partial: the keys given
are set (blank = not recorded = null), the others keep their value. Each changed field notes its
source in ``field_sources`` and the change is audited with the values before and after.

Who may write: village facts need the right to edit the registry (the village cadre for their
village, the county office for its county), and the township reviewer may record the facts of
the villages of their township — a right granted here only, not in the general RIGHTS table,
because villages often lack a cadre who can type the village survey. County statistics are the
county office's. ``by=None`` is the system (the CLI, the demo generator) and is not checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone

from fupin.accounts.models import Role
from fupin.accounts.permissions import Action, can, user_role
from fupin.accounts.scoping import in_scope
from fupin.common.audit import audit_changes, audit_record
from fupin.common.errors import FupinError
from fupin.divisions.models import Division
from fupin.divisions.selectors import division_get
from fupin.policy import codes
from fupin.registry.village import CountyStatistics, VillageFacts
from fupin.registry.village_fields import (
    COUNTY_BY_NAME,
    COUNTY_FIELD_NAMES,
    VILLAGE_BY_NAME,
    VILLAGE_FIELD_NAMES,
    BadValue,
    FactField,
    FieldError,
    Value,
    cross_errors,
    field_error,
    parse_fact,
    parse_year,
)

#: Who acts: a user, or None for the system (CLI, generator), which is not checked.
Actor: TypeAlias = AbstractBaseUser | AnonymousUser | None

BAD_VALUE = "VILLAGE_FACTS_BAD_VALUE"
COUNTY_BAD_VALUE = "COUNTY_STATISTICS_BAD_VALUE"


def _active(by: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(getattr(by, "is_authenticated", False) and getattr(by, "is_active", False))


def village_facts_may_edit(by: Actor, village_code: str) -> bool:
    """Return whether ``by`` may record the facts of this village (None = the system)."""
    if by is None:
        return True
    if not _active(by) or not in_scope(by, village_code):
        return False
    if can(by, Action.EDIT_REGISTRY):
        return True
    return user_role(by) == Role.TOWNSHIP_REVIEWER.value


def county_statistics_may_edit(by: Actor, county_code: str) -> bool:
    """Return whether ``by`` may record the statistics of this county (the county office)."""
    if by is None:
        return True
    if not _active(by) or not in_scope(by, county_code):
        return False
    role = user_role(by)
    return role in (Role.COUNTY_OFFICE.value, Role.ADMINISTRATOR.value)


def _division(code: str, level: int, what: str) -> Division:
    division = division_get(code)
    if division.level != level:
        raise FupinError(
            "VILLAGE_FACTS_NOT_VILLAGE" if level == 5 else "COUNTY_STATISTICS_NOT_COUNTY",
            f"{division.name}（{division.code}）不是{what}级区划",
            {"code": division.code},
        )
    return division


def _year(year: object, bad_code: str) -> int:
    try:
        return parse_year(year)
    except BadValue as exc:
        raise FupinError(
            bad_code,
            f"年度：{exc.message}",
            {"errors": [{"field": "year", "code": exc.code, "message": f"年度：{exc.message}"}]},
        ) from None


def parse_facts(
    data: Mapping[str, object], by_name: Mapping[str, FactField], what: str
) -> tuple[dict[str, Value], list[FieldError]]:
    """Return the parsed values of ``data`` and the errors of the values that are refused.

    Unknown keys are refused with ``FIELD_UNKNOWN`` (a misspelt key would lose its value).
    """
    unknown = sorted(set(data) - set(by_name))
    if unknown:
        raise FupinError(
            "FIELD_UNKNOWN",
            f"{what}没有这些项目：{'、'.join(unknown)}",
            {"fields": unknown, "allowed": list(by_name)},
        )
    values: dict[str, Value] = {}
    errors: list[FieldError] = []
    for name, raw in data.items():
        spec = by_name[name]
        try:
            values[name] = parse_fact(spec, raw)
        except BadValue as exc:
            errors.append(field_error(spec, exc, raw))
    return values, errors


def _refuse(code: str, summary: str, errors: Sequence[FieldError]) -> FupinError:
    first = errors[0].message if errors else ""
    more = f"（共 {len(errors)} 处问题）" if len(errors) > 1 else ""
    return FupinError(code, f"{summary}：{first}{more}", {"errors": [e.as_dict() for e in errors]})


def _facts(obj: Any, names: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def _changed(before: Mapping[str, Any], values: Mapping[str, Value], *, new: bool) -> list[str]:
    """The fields whose value changes (on a new record: those given a value)."""
    if new:
        return [k for k, v in values.items() if v is not None and v != ""]
    _, after = audit_changes(before, values)
    return list(after)


def _check(by: Actor, code: str, may: Callable[[Actor, str], bool], refusal: str) -> None:
    """Refuse an inactive user, a division outside the user's scope, or a missing right."""
    if by is None:
        return
    if not _active(by):
        raise FupinError("PERMISSION_DENIED", "请先登录")
    if not in_scope(by, code):
        raise FupinError("OUT_OF_SCOPE", f"{code} 不在您的管辖范围内")
    if not may(by, code):
        raise FupinError("PERMISSION_DENIED", refusal)


def _source(source: str) -> str:
    if source not in codes.FACT_SOURCE:
        raise FupinError("SOURCE_UNKNOWN", f"数据来源“{source}”无效")
    return source


def _store(
    record: VillageFacts | CountyStatistics,
    *,
    new: bool,
    values: Mapping[str, Value],
    source: str,
    fields: Sequence[str],
    by: Actor,
    action: str,
    year: int,
    note: str = "",
) -> None:
    """Write the given values (the source noted on each changed field) and audit the change."""
    before = _facts(record, list(values))
    for name, value in values.items():
        setattr(record, name, value)
    changed = _changed(before, values, new=new)
    record.field_sources = {**record.field_sources, **dict.fromkeys(changed, source)}
    record.confirmed_at = timezone.now()
    if new:
        record.save()
    else:
        record.save(update_fields=[*values, "field_sources", "confirmed_at", "updated_at"])
    record.refresh_from_db(fields=list(fields))
    old, after = audit_changes(before, _facts(record, list(values)))
    code = record.village_id if isinstance(record, VillageFacts) else record.county_id
    audit_record(
        by=by,
        action=action,
        obj_type=action.split(".")[0],
        obj_key=code,
        division=code,
        before=None if new else {"year": year, **old},
        after={"year": year, **after},
        note=note,
    )


@transaction.atomic
def village_facts_save(
    *,
    village_code: str,
    year: int | str,
    data: Mapping[str, object],
    source: str = "manual",
    by: Actor,
) -> VillageFacts:
    """Record some facts of a village for a year (creating the year's record if needed).

    Refuse a bad value with ``VILLAGE_FACTS_BAD_VALUE`` (``details["errors"]`` names every
    field in Chinese), a user without the right or outside their scope with
    ``PERMISSION_DENIED`` / ``OUT_OF_SCOPE``.
    """
    village = _division(str(village_code), 5, "村")
    _check(by, village.code, village_facts_may_edit, "您没有权限录入村情")
    record_year = _year(year, BAD_VALUE)
    source = _source(source)
    values, errors = parse_facts(data, VILLAGE_BY_NAME, "村情")
    existing = (
        VillageFacts.objects.select_for_update()
        .filter(village_id=village.code, year=record_year)
        .first()
    )
    current = _facts(existing, VILLAGE_FIELD_NAMES) if existing is not None else {}
    refused = {e.field for e in errors}
    errors += [e for e in cross_errors(current | values, record_year) if e.field not in refused]
    if errors:
        raise _refuse(BAD_VALUE, "村情有误，未保存", errors)
    facts = existing or VillageFacts(village_id=village.code, year=record_year, source=source)
    _store(
        facts,
        new=existing is None,
        values=values,
        source=source,
        fields=VILLAGE_FIELD_NAMES,
        by=by,
        action="village_facts.save",
        year=record_year,
        note="" if source == "manual" else f"来源：{codes.FACT_SOURCE.label_of(source)}",
    )
    return facts


@transaction.atomic
def county_statistics_save(
    *,
    county_code: str,
    year: int | str,
    data: Mapping[str, object],
    source: str = "manual",
    by: Actor,
) -> CountyStatistics:
    """Record a county's statistics for a year (the county office; partial like the facts)."""
    county = _division(str(county_code), 3, "县")
    _check(by, county.code, county_statistics_may_edit, "只有县扶贫办可以录入县统计数据")
    record_year = _year(year, COUNTY_BAD_VALUE)
    source = _source(source)
    values, errors = parse_facts(data, COUNTY_BY_NAME, "县统计数据")
    if errors:
        raise _refuse(COUNTY_BAD_VALUE, "县统计数据有误，未保存", errors)
    existing = (
        CountyStatistics.objects.select_for_update()
        .filter(county_id=county.code, year=record_year)
        .first()
    )
    stats = existing or CountyStatistics(county_id=county.code, year=record_year, source=source)
    _store(
        stats,
        new=existing is None,
        values=values,
        source=source,
        fields=COUNTY_FIELD_NAMES,
        by=by,
        action="county_statistics.save",
        year=record_year,
    )
    return stats
