"""Write services of the registry: households, members, income and living conditions.

Hand entry goes through the same parsing and rules as the bulk import
(``fupin.registry.imports``): a household typed into a form is a tiny flat file of one row
per member, so codes, labels, booleans, amounts, ID numbers, ages, causes, heads and
duplicates are judged exactly as in an imported file, with the same error codes. A refusal
raises ``FupinError`` whose ``details["errors"]`` lists every problem with its field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any

import pyarrow as pa
from django.db import models, transaction
from django.utils import timezone

from fupin.common.audit import audit_changes, audit_record
from fupin.common.errors import FupinError
from fupin.policy.idnumber import masked
from fupin.registry.imports.columns import COLUMNS, columns_of
from fupin.registry.imports.errors import RowError, message_for
from fupin.registry.imports.reader import ROW, as_text
from fupin.registry.imports.services import registry_import_table
from fupin.registry.imports.validate import (
    MEMBER_FIELDS,
    parse_batch,
    parse_bools,
    row_errors,
)
from fupin.registry.models import Household, HouseholdIncome, LivingConditions, Member
from fupin.reports.services import rollups_mark_dirty

Value = str | int | bool | Decimal | float | None

#: Conditions fields a form may set that the flat file does not carry (booleans).
EXTRA_CONDITION_BOOLS = ("electricity_production", "coop_member")
INCOME_ITEMS = tuple(c.name for c in columns_of("income") if c.kind == "money")


@dataclass(frozen=True)
class HouseholdData:
    """Household facts of the registration form; codes or Chinese labels are accepted.

    ``conditions`` and ``income`` take the flat file's column names (``house_grade``,
    ``income_year``, ``wage`` …); an income needs ``income_year``.
    """

    code: str
    main_cause: str
    first_identified_year: int | str
    attribute: str = "general"
    standard: str = "national"
    other_causes: Sequence[str] = ()
    status: str = "poor"
    exit_year: int | str | None = None
    group_name: str = ""
    military_family: bool | None = None
    one_child: bool | None = None
    two_daughters: bool | None = None
    relocated: bool | None = None
    phone: str = ""
    bank_name: str = ""
    bank_account: str = ""
    conditions: Mapping[str, Value] = field(default_factory=dict)
    income: Mapping[str, Value] = field(default_factory=dict)


@dataclass(frozen=True)
class MemberData:
    """One person; sex and birth date come from the ID number."""

    name: str
    id_number: str
    relation: str
    ethnicity: str
    education: str = ""
    school_status: str = ""
    school_exempt_physical: bool | None = None
    health: str = ""
    labour_capacity: str = ""
    migrant_work: str = ""
    migrant_months: int | str | None = None
    basic_medical: bool | None = None
    serious_illness_insurance: bool | None = None
    pension: bool | None = None
    dibao: bool | None = None
    tekun: bool | None = None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(_text(v) for v in value)
    return str(value)


def _refuse(code: str, summary: str, errors: Sequence[RowError], member_row: bool) -> FupinError:
    """Build the refusal: every error with its field and (for members) the member's index."""
    items = []
    for e in errors:
        item: dict[str, Any] = {
            "field": e.column,
            "code": e.code,
            "message": e.message,
            "value": e.value,
        }
        if member_row and e.row >= 2:
            item["member"] = e.row - 2
        items.append(item)
    first = errors[0].message if errors else ""
    more = f"（共 {len(errors)} 处问题）" if len(errors) > 1 else ""
    return FupinError(code, f"{summary}：{first}{more}", {"errors": items})


def _one_row(values: Mapping[str, str]) -> pa.RecordBatch:
    arrays = [pa.array([2], pa.int64())]
    names = [ROW]
    for name, text in values.items():
        arrays.append(as_text(pa.array([text], pa.string())))
        names.append(name)
    return pa.RecordBatch.from_arrays(arrays, names)


def _check_keys(given: Mapping[str, object], allowed: Sequence[str], what: str) -> None:
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise FupinError(
            "FIELD_UNKNOWN",
            f"{what}没有这些项目：{'、'.join(unknown)}",
            {"fields": unknown, "allowed": list(allowed)},
        )


_HOUSEHOLD_AUDIT_FIELDS = (
    "village_id",
    "group_name",
    "attribute",
    "standard",
    "main_cause",
    "other_cause_1",
    "other_cause_2",
    "status",
    "first_identified_year",
    "exit_year",
)


def _facts(obj: models.Model, names: Sequence[str]) -> dict[str, Any]:
    """Return the named attributes of a row, for the audit trail."""
    return {name: getattr(obj, name) for name in names}


@transaction.atomic
def household_register(
    *,
    village_code: str,
    data: HouseholdData,
    members: Sequence[MemberData],
    by: object | None = None,
) -> Household:
    """Register one household typed in by hand, with its members, conditions and income.

    Apply every rule of the bulk import (same codes and messages); store all or nothing.
    ``by`` (the user) is recorded in the audit trail with the registered facts.
    """
    _check_keys(data.conditions, [c.name for c in columns_of("conditions")], "生产生活条件")
    _check_keys(data.income, [c.name for c in columns_of("income")], "收支情况")
    household: dict[str, str] = {
        "household_code": data.code,
        "village_code": village_code,
        **{
            f.name: _text(getattr(data, f.name))
            for f in fields(HouseholdData)
            if f.name not in ("code", "conditions", "income")
        },
        **{k: _text(v) for k, v in data.conditions.items()},
        **{k: _text(v) for k, v in data.income.items()},
    }
    if not members:
        raise FupinError("HEAD_MISSING", f"户 {data.code} 没有成员：至少要登记户主", {"errors": []})
    rows = [
        household | {f.name: _text(getattr(m, f.name)) for f in fields(MemberData)} for m in members
    ]
    names = [c.name for c in COLUMNS if c.name in rows[0]]
    table = pa.table({n: pa.array([r[n] for r in rows], pa.string()) for n in names})
    report = registry_import_table(table_or_batches=table, source="manual", max_errors=None)
    if not report.stored:
        raise _refuse("HOUSEHOLD_INVALID", "户信息有误，未登记", report.errors, member_row=True)
    registered = Household.objects.get(code=data.code)
    audit_record(
        by=by,
        action="household.register",
        obj_type="household",
        obj_key=registered.code,
        division=registered.village_id,
        after={
            **_facts(registered, _HOUSEHOLD_AUDIT_FIELDS),
            "members": [
                {"name": m.name, "relation": m.relation, "id_number": masked(m.id_number)}
                for m in registered.members.order_by("pk")
            ],
        },
    )
    return registered


@transaction.atomic
def member_add(*, household: Household, data: MemberData, by: object | None = None) -> Member:
    """Add one person to a registered household, checked like a row of an imported file."""
    latest_year = household.incomes.order_by("-year").values_list("year", flat=True).first()
    values = {f.name: _text(getattr(data, f.name)) for f in fields(MemberData)}
    values["first_identified_year"] = str(household.first_identified_year)
    if latest_year:
        values["income_year"] = str(latest_year)
    parsed_batch, error_table = parse_batch(_one_row(values))
    errors = [e for e in row_errors(error_table) if e.column != "income_year"]
    parsed = parsed_batch.to_pylist()[0]
    key = parsed["id_key"]
    if key is not None:
        other = Member.objects.filter(id_key=key).values_list("household__code", flat=True).first()
        if other:
            errors.append(
                RowError(
                    2,
                    "id_number",
                    "ID_EXISTS",
                    message_for("ID_EXISTS", "id_number", parsed["id_number"], other, None),
                    data.id_number,
                )
            )
    if parsed["relation"] == "head" and household.members.filter(relation="head").exists():
        errors.append(
            RowError(2, "relation", "HEAD_MULTIPLE", f"户 {household.code} 已有户主", data.relation)
        )
    if errors:
        raise _refuse("MEMBER_INVALID", "成员信息有误，未添加", errors, member_row=False)
    stored = {k: parsed[k] for k in MEMBER_FIELDS if parsed[k] is not None}
    member = Member.objects.create(household=household, source="manual", **stored)
    after = {k: v for k, v in stored.items() if k != "id_key"}
    after["id_number"] = masked(member.id_number)
    audit_record(
        by=by,
        action="member.add",
        obj_type="household",
        obj_key=household.code,
        division=household.village_id,
        after=after,
    )
    rollups_mark_dirty(village_codes=[household.village_id])
    return member


#: Member facts that change after registration and may be set again (a survey, a form, a
#: department). Identity — name, ID number, relation — is registered once with member_add.
MEMBER_UPDATABLE = (
    "education",
    "school_status",
    "school_exempt_physical",
    "health",
    "labour_capacity",
    "migrant_work",
    "migrant_months",
    "basic_medical",
    "serious_illness_insurance",
    "pension",
    "dibao",
    "tekun",
)


@transaction.atomic
def member_update(
    *,
    member: Member,
    data: Mapping[str, Value],
    source: str = "manual",
    by: object | None = None,
    note: str = "",
) -> list[str]:
    """Set some facts of a registered member, checked like the cells of an imported file.

    Returns the fields whose value changed (nothing is written or audited when none did). A
    blank value clears the fact to "not recorded". Fields set from another source than the
    member's are noted in ``field_sources``.
    """
    _check_keys(data, MEMBER_UPDATABLE, "家庭成员")
    given = {k: _text(v) for k, v in data.items()}
    # The ID number rides along so the checks that depend on the age (school status) run.
    parsed_batch, error_table = parse_batch(_one_row({"id_number": member.id_number, **given}))
    errors = [e for e in row_errors(error_table) if e.column in given]
    if errors:
        raise _refuse("MEMBER_INVALID", "成员信息有误，未保存", errors, member_row=False)
    parsed = parsed_batch.to_pylist()[0]
    updates: dict[str, Any] = {}
    for k in given:
        v = parsed[k]
        if v is None:
            model_field = Member._meta.get_field(k)
            assert isinstance(model_field, models.Field)  # a concrete column, not a relation
            v = model_field.get_default() if not model_field.null else None
        updates[k] = v
    old, new = audit_changes(_facts(member, list(updates)), updates)
    if not new:
        return []
    for k, v in updates.items():
        setattr(member, k, v)
    member.confirmed_at = timezone.now()
    if member.source != source:
        member.field_sources = {**member.field_sources, **dict.fromkeys(new, source)}
    member.save(update_fields=[*updates, "confirmed_at", "field_sources", "updated_at"])
    household = member.household
    audit_record(
        by=by,
        action="member.update",
        obj_type="household",
        obj_key=household.code,
        division=household.village_id,
        before={"member": masked(member.id_number), **old},
        after={"member": masked(member.id_number), **new},
        note=note,
    )
    rollups_mark_dirty(village_codes=[household.village_id])
    return sorted(new)


@transaction.atomic
def income_record(
    *,
    household: Household,
    year: int,
    items: Mapping[str, Value],
    household_size: int | None = None,
    source: str = "manual",
    by: object | None = None,
) -> HouseholdIncome:
    """Record one year's income of a household, replacing that year's record if there is one.

    ``items`` takes the income columns (``wage``, ``transfer_dibao`` …); items left out count
    as 0. The household size defaults to the previous record's, else to the member count.
    """
    _check_keys(items, INCOME_ITEMS, "收支情况")
    values = {"income_year": str(year), **{k: _text(v) for k, v in items.items()}}
    if household_size is not None:
        values["household_size"] = str(household_size)
    parsed_batch, error_table = parse_batch(_one_row(values))
    errors = row_errors(error_table)
    if errors:
        raise _refuse("INCOME_INVALID", "收支信息有误，未保存", errors, member_row=False)
    parsed = parsed_batch.to_pylist()[0]
    existing = HouseholdIncome.objects.filter(household=household, year=year).first()
    size = parsed["household_size"]
    if size is None:
        size = existing.household_size if existing else max(household.members.count(), 1)
    now = timezone.now()
    defaults: dict[str, Any] = {
        "period_start": date(year, 1, 1),
        "period_end": date(year, 12, 31),
        "household_size": size,
        "confirmed_at": now,
        **{k: parsed[k] if parsed[k] is not None else Decimal("0") for k in INCOME_ITEMS},
    }
    audited = ("household_size", *INCOME_ITEMS)
    before = _facts(existing, audited) if existing is not None else {}
    if existing is None:
        income = HouseholdIncome.objects.create(
            household=household, year=year, source=source, **defaults
        )
    else:
        for k, v in defaults.items():
            setattr(existing, k, v)
        if existing.source != source:
            noted = dict.fromkeys(INCOME_ITEMS, source)
            existing.field_sources = {**existing.field_sources, **noted}
        existing.save(update_fields=[*defaults, "field_sources", "updated_at"])
        income = existing
    # Reloaded so amounts compare as stored (0.00, not the 0 just assigned).
    income.refresh_from_db(fields=["net_income", *audited])
    old, new = audit_changes(before, _facts(income, audited))
    audit_record(
        by=by,
        action="income.record",
        obj_type="household",
        obj_key=household.code,
        division=household.village_id,
        before={"year": year, **old} if existing is not None else None,
        after={"year": year, **new},
    )
    rollups_mark_dirty(village_codes=[household.village_id])
    return income


@transaction.atomic
def conditions_update(
    *,
    household: Household,
    data: Mapping[str, Value],
    source: str = "manual",
    by: object | None = None,
) -> LivingConditions:
    """Set some living-conditions facts of a household (creating its record if needed).

    Fields set from another source than the record's are noted in ``field_sources``.
    """
    file_fields = [c.name for c in columns_of("conditions")]
    _check_keys(data, [*file_fields, *EXTRA_CONDITION_BOOLS], "生产生活条件")
    given = {k: _text(v) for k, v in data.items() if k in file_fields}
    parsed_batch, error_table = parse_batch(_one_row(given))
    errors = row_errors(error_table)
    extra: dict[str, bool | None] = {}
    for name in EXTRA_CONDITION_BOOLS:
        if name in data:
            text = as_text(pa.array([_text(data[name])], pa.string()))
            value, invalid = parse_bools(text)
            if invalid[0].as_py():
                errors.append(
                    RowError(
                        2,
                        name,
                        "BOOL_INVALID",
                        f"只能填“是”或“否”，不能填“{data[name]}”",
                        _text(data[name]),
                    )
                )
            extra[name] = value[0].as_py()
    if errors:
        raise _refuse("CONDITIONS_INVALID", "生产生活条件有误，未保存", errors, member_row=False)
    parsed = parsed_batch.to_pylist()[0]
    updates: dict[str, Any] = {k: parsed[k] for k in given} | extra
    conditions, created = LivingConditions.objects.get_or_create(
        household=household, defaults={"source": source}
    )
    before = _facts(conditions, list(updates))
    for k, v in updates.items():
        if v is None:
            model_field = LivingConditions._meta.get_field(k)
            assert isinstance(model_field, models.Field)  # a concrete column, not a relation
            v = model_field.get_default() if not model_field.null else None
        setattr(conditions, k, v)
    conditions.confirmed_at = timezone.now()
    if not created and conditions.source != source:
        conditions.field_sources = {**conditions.field_sources, **dict.fromkeys(updates, source)}
    conditions.save(update_fields=[*updates, "confirmed_at", "field_sources", "updated_at"])
    old, new = audit_changes(before, _facts(conditions, list(updates)))
    audit_record(
        by=by,
        action="conditions.update",
        obj_type="household",
        obj_key=household.code,
        division=household.village_id,
        before=None if created else old,
        after=new,
    )
    rollups_mark_dirty(village_codes=[household.village_id])
    return conditions
