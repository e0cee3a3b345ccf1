"""A 建档立卡 household as a DCI ``Group`` with its members (``spdci:Member``).

The group identifier is the 户编号 (identifier type ``HouseholdID``); each member carries the
resident ID number as ``UIN``, the specification's national identifier type. Names are given
whole (``full_name``): Chinese and Yi names do not split reliably into surname and given name.
Phones, bank accounts and health details are never sent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from fupin.policy import codes
from fupin.registry.models import Household, HouseholdIncome, Member

#: Identifier types we read in queries and write in records.
UIN = "UIN"
HOUSEHOLD_ID = "HouseholdID"
CONTEXT = {
    "spdci": "https://schema.spdci.org/extensions/social/v1/",
    "common": "https://schema.spdci.org/common/v1/",
}


def _identifier(kind: str, value: str) -> dict[str, str]:
    return {"@type": "Identifier", "identifier_type": kind, "identifier_value": value}


def member_record(member: Member) -> dict[str, Any]:
    ident = [_identifier(UIN, member.id_number)]
    return {
        "@type": "spdci:Member",
        "member_identifier": ident,
        "demographic_info": {
            "@type": "SRPerson",
            "identifier": ident,
            "name": {"@type": "Name", "full_name": member.name},
            "sex": member.sex,
            "birth_date": member.birth_date.isoformat(),
        },
        "relationship_head": member.relation,
        "relationship_head_label": codes.RELATION.label_of(member.relation),
        "registration_date": member.created_at.isoformat(),
    }


def group_record(
    household: Household, members: list[Member], per_capita_income: Decimal | None
) -> dict[str, Any]:
    head = next((m for m in members if m.relation == "head"), members[0] if members else None)
    attributes: list[dict[str, Any]] = [
        {"name": "poverty_status", "value": household.status},
        {"name": "household_attribute", "value": household.attribute},
        {"name": "main_cause", "value": household.main_cause},
        {"name": "first_identified_year", "value": household.first_identified_year},
    ]
    if household.exit_year is not None:
        attributes.append({"name": "exit_year", "value": household.exit_year})
    if per_capita_income is not None:
        attributes.append(
            {
                "name": "per_capita_net_income",
                "value": str(per_capita_income.quantize(Decimal("0.01"))),
            }
        )
    record: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": f"urn:fupin:household:{household.code}",
        "@type": "spdci:Group",
        "group_identifier": [_identifier(HOUSEHOLD_ID, household.code)],
        "group_type": "household",
        "place": {"@type": "Place", "division_code": household.village_id},
        "group_size": len(members),
        "member_list": [member_record(m) for m in members],
        "additional_attributes": attributes,
        "registration_date": household.created_at.isoformat(),
        "last_updated": household.updated_at.isoformat(),
    }
    if head is not None:
        record["group_head_info"] = member_record(head)
    return record


def latest_per_capita(household_ids: Iterable[int]) -> dict[int, Decimal]:
    """Return each household's per-capita net income of its latest recorded year."""
    out: dict[int, Decimal] = {}
    rows = (
        HouseholdIncome.objects.filter(household_id__in=list(household_ids))
        .order_by("household_id", "-year")
        .values_list("household_id", "net_income", "household_size")
    )
    for hid, net, size in rows:
        if hid not in out and size:
            out[hid] = Decimal(net) / size
    return out


def group_records(households: QuerySet[Household] | list[Household]) -> list[dict[str, Any]]:
    """Return the Group records of ``households`` in their order (three queries in all)."""
    households = list(households)
    ids = [h.pk for h in households]
    members: dict[int, list[Member]] = defaultdict(list)
    for m in Member.objects.filter(household_id__in=ids).order_by("household_id", "pk"):
        members[m.household_id].append(m)
    for ms in members.values():
        ms.sort(key=lambda m: (m.relation != "head", m.pk))
    income = latest_per_capita(ids)
    return [group_record(h, members[h.pk], income.get(h.pk)) for h in households]
