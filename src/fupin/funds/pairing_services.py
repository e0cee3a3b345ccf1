"""Write services of the pairings between regions and units (东西部协作、定点帮扶、万企帮万村):
a pairing, a year's agreement targets, an achievement, and the link of an allocation that came
from the pairing (issue 10, item 6).

Each service checks the actor's right and scope, runs the pure rules of
:mod:`fupin.policy.funds_pairing`, writes in one transaction and audits the change. A refusal
is a ``FupinError`` with a stable code (``PairingCode`` values, or ``PERMISSION_DENIED`` /
``OUT_OF_SCOPE``) and a Chinese message; ``details["errors"]`` lists every broken rule, and
nothing is written.

Who may write: the poverty office of the helped division's county or above (the county-office
role placed at that county, its prefecture or province) and administrators — the helped side
keeps the ledger of what arrived. ``by=None`` is the system (CLI, demo) and is not checked.

Funds from a pairing are not a second ledger: they are allocations (``FundAllocation``) of the
sources 东西部协作资金 / 定点帮扶资金 / 社会帮扶资金, linked to the pairing one by one
(``PartnershipFund``), so every yuan still runs through the fund ledger and its checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import TypeAlias

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from fupin.accounts.models import Role
from fupin.accounts.permissions import user_role
from fupin.accounts.scoping import in_scope
from fupin.common.audit import audit_record
from fupin.common.errors import FupinError
from fupin.divisions.models import Division
from fupin.divisions.selectors import division_ancestors, division_get
from fupin.funds.models import (
    FundAllocation,
    Partnership,
    PartnershipAchievement,
    PartnershipFund,
    PartnershipTarget,
)
from fupin.funds.services import fact_source_checked, refusal_error
from fupin.policy import funds_pairing as pfp

Actor: TypeAlias = AbstractBaseUser | AnonymousUser | None

UNKNOWN_PARTNERSHIP = "PAIRING_UNKNOWN"
UNKNOWN_ALLOCATION = "PAIRING_UNKNOWN_ALLOCATION"
#: The roles that keep a pairing's ledger (besides ``by=None``).
EDITORS = (Role.COUNTY_OFFICE.value, Role.ADMINISTRATOR.value)


def _active(by: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(getattr(by, "is_authenticated", False) and getattr(by, "is_active", False))


def may_edit(by: Actor, helped_code: str) -> bool:
    """Whether ``by`` may set targets and record achievements of a pairing helping
    ``helped_code`` (its county office or above, or an administrator)."""
    if by is None:
        return True
    return (
        _active(by)
        and user_role(by) in EDITORS
        and in_scope(by, helped_code if len(helped_code) <= 6 else helped_code[:6])
    )


def require_in_scope(by: Actor, helped_code: str) -> None:
    if by is None:
        return
    if not _active(by):
        raise FupinError("PERMISSION_DENIED", "请先登录")
    if user_role(by) not in EDITORS:
        raise FupinError("PERMISSION_DENIED", "只有受援县及以上扶贫部门可以维护结对帮扶")
    county = helped_code if len(helped_code) <= 6 else helped_code[:6]
    if not in_scope(by, county):
        raise FupinError("OUT_OF_SCOPE", f"{helped_code} 不在您的管辖范围内")


def _full_name(division: Division) -> str:
    """A helper's name as the pairing lists write it: from the prefecture down (宁波市鄞州区;
    a province by its own name)."""
    if len(division.code) <= 2:
        return division.name
    above = division_ancestors(division.code).filter(level__gte=2).order_by("code")
    return "".join([*above.values_list("name", flat=True), division.name])


def partnership_find(partnership: Partnership | int, *, lock: bool = False) -> Partnership:
    """The pairing (or the pairing of that id), locked for the write when ``lock``; refused
    with ``PAIRING_UNKNOWN`` when there is none."""
    pk = partnership.pk if isinstance(partnership, Partnership) else partnership
    qs = Partnership.objects.select_for_update() if lock else Partnership.objects.all()
    found = qs.filter(pk=pk).first()
    if found is None:
        raise FupinError(UNKNOWN_PARTNERSHIP, f"结对帮扶 {pk} 不存在", {"partnership": str(pk)})
    return found


def partnership_create(
    *,
    kind: str,
    helped: str,
    from_year: int,
    by: Actor,
    helper: str | None = None,
    helper_name: str = "",
    to_year: int | None = None,
    agreement: str = "",
    note: str = "",
    fact_source: str = "manual",
) -> Partnership:
    """Record a pairing: ``helper`` is the helper's division code (east–west; its name is the
    default ``helper_name``), or None with ``helper_name`` a central unit or an enterprise;
    ``helped`` the helped division's code. Refused with every rule of ``check_partnership``."""
    fact_source_checked(fact_source)
    helped_division = division_get(helped)
    helper_division = division_get(helper) if helper else None
    require_in_scope(by, helped_division.code)
    name = helper_name.strip() or (_full_name(helper_division) if helper_division else "")
    refusals = pfp.check_partnership(
        pfp.PartnershipFacts(
            kind=kind,
            helper_code=helper_division.code if helper_division else None,
            helper_name=name,
            helped_code=helped_division.code,
            from_year=from_year,
            to_year=to_year,
        )
    )
    if refusals:
        raise refusal_error(refusals)
    with transaction.atomic():
        partnership = Partnership.objects.create(
            kind=kind,
            helper=helper_division,
            helper_name=name,
            helped=helped_division,
            from_year=from_year,
            to_year=to_year,
            agreement=agreement,
            note=note,
            source=fact_source,
        )
        audit_record(
            by=by,
            action="pairing.create",
            obj_type="partnership",
            obj_key=str(partnership.pk),
            division=helped_division.code,
            after={
                "kind": kind,
                "helper": helper_division.code if helper_division else None,
                "helper_name": name,
                "helped": helped_division.code,
                "from_year": from_year,
                "to_year": to_year,
                "agreement": agreement,
            },
        )
    return partnership


def partnership_target_set(
    *,
    partnership: Partnership | int,
    year: int,
    targets: Mapping[str, Decimal | None],
    by: Actor,
    fact_source: str = "manual",
) -> list[PartnershipTarget]:
    """Set a year's agreement targets, all or nothing: each indicator given gets its target
    (None: not set); indicators not given keep theirs. Return the year's target rows."""
    fact_source_checked(fact_source)
    p = partnership_find(partnership)
    require_in_scope(by, p.helped_id)
    refusals = pfp.check_targets(targets, year, p.from_year, p.to_year)
    if refusals:
        raise refusal_error(refusals)
    with transaction.atomic():
        partnership_find(p, lock=True)
        rows = list(
            PartnershipTarget.objects.filter(partnership=p, year=year, indicator__in=list(targets))
        )
        before = {r.indicator: r.target for r in rows}
        now = timezone.now()
        for r in rows:
            r.target, r.source, r.updated_at = targets[r.indicator], fact_source, now
        PartnershipTarget.objects.bulk_update(rows, ["target", "source", "updated_at"])
        PartnershipTarget.objects.bulk_create(
            [
                PartnershipTarget(
                    partnership=p, year=year, indicator=c, target=v, source=fact_source
                )
                for c, v in targets.items()
                if c not in before
            ]
        )
        audit_record(
            by=by,
            action="pairing.targets",
            obj_type="partnership",
            obj_key=str(p.pk),
            division=p.helped_id,
            before={"year": year, **before},
            after={"year": year, **targets},
        )
    return list(PartnershipTarget.objects.filter(partnership=p, year=year).order_by("indicator"))


def achievement_record(
    *,
    partnership: Partnership | int,
    year: int,
    indicator: str,
    value: Decimal,
    recorded_on: date,
    by: Actor,
    evidence: str = "",
    fact_source: str = "manual",
) -> PartnershipAchievement:
    """Record a figure achieved for an indicator in a year (several a year add up). The
    year's target row of the indicator is kept (blank when no target was set), so the
    fulfilment table reads one row per indicator with anything on it."""
    fact_source_checked(fact_source)
    p = partnership_find(partnership)
    require_in_scope(by, p.helped_id)
    refusals = pfp.check_achievement(indicator, value, year, p.from_year, p.to_year)
    if refusals:
        raise refusal_error(refusals)
    with transaction.atomic():
        PartnershipTarget.objects.get_or_create(
            partnership=p, year=year, indicator=indicator, defaults={"target": None}
        )
        achievement = PartnershipAchievement.objects.create(
            partnership=p,
            year=year,
            indicator=indicator,
            value=value,
            recorded_on=recorded_on,
            evidence=evidence,
            source=fact_source,
        )
        audit_record(
            by=by,
            action="pairing.achievement",
            obj_type="partnership",
            obj_key=str(p.pk),
            division=p.helped_id,
            after={
                "id": achievement.pk,
                "year": year,
                "indicator": indicator,
                "value": value,
                "recorded_on": recorded_on,
            },
        )
    return achievement


def partnership_fund_link(
    *,
    partnership: Partnership | int,
    allocation: FundAllocation | int,
    by: Actor,
    fact_source: str = "manual",
) -> PartnershipFund:
    """Count an allocation as funds arrived from the pairing (资金到位): its source must be the
    kind's, its receiver the helped division or below, its year one of the pairing's; an
    allocation counts for one pairing at most (``PAIRING_FUND_LINKED``)."""
    fact_source_checked(fact_source)
    p = partnership_find(partnership)
    require_in_scope(by, p.helped_id)
    pk = allocation.pk if isinstance(allocation, FundAllocation) else allocation
    found = FundAllocation.objects.filter(pk=pk).first()
    if found is None:
        raise FupinError(UNKNOWN_ALLOCATION, f"资金下达记录 {pk} 不存在")
    refusals = pfp.check_fund_link(
        kind=p.kind,
        source=found.source_fund,
        receiver_code=found.to_division_id,
        year=found.year,
        helped_code=p.helped_id,
        from_year=p.from_year,
        to_year=p.to_year,
    )
    if PartnershipFund.objects.filter(allocation=found).exists():
        refusals.append(
            pfp.Refusal(pfp.PairingCode.FUND_LINKED, f"资金下达记录 {pk} 已计入一个结对帮扶")
        )
    if refusals:
        raise refusal_error(refusals)
    try:
        with transaction.atomic():
            link = PartnershipFund.objects.create(
                partnership=p, allocation=found, source=fact_source
            )
            audit_record(
                by=by,
                action="pairing.fund_link",
                obj_type="partnership",
                obj_key=str(p.pk),
                division=p.helped_id,
                after={"allocation": found.pk, "amount": found.amount, "year": found.year},
            )
    except IntegrityError as exc:  # linked by a concurrent request
        raise refusal_error(
            [pfp.Refusal(pfp.PairingCode.FUND_LINKED, f"资金下达记录 {pk} 已计入一个结对帮扶")]
        ) from exc
    return link
