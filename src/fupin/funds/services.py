"""Write services of projects and funds: allocations, the project library, funds assigned to
projects and payments (issue 10).

Each service checks the actor's right and scope, runs the pure rules of
:mod:`fupin.policy.funds`, writes in one transaction and audits the change. A refusal is a
``FupinError`` with a stable code (the policy's ``FundCode`` values, or ``PERMISSION_DENIED`` /
``OUT_OF_SCOPE``) and a Chinese message; ``details["errors"]`` lists every broken rule, and
nothing is written.

Who may write: allocations and fund assignments are the county office's (a county-office role
placed at a prefecture or province division is that level's office) for the holder in its
scope; a project is proposed by the village (village cadre) or the township (township
reviewer), reviewed by the township and decided by the county office (the level comes from
the user's role and division); payments are recorded by the county office. ``by=None`` is the
system (CLI, demo, imports already checked) and is not checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import TypeAlias

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction

from fupin.accounts.models import Role
from fupin.accounts.permissions import user_role
from fupin.accounts.scoping import in_scope, user_scope
from fupin.common.audit import audit_record
from fupin.common.errors import FupinError
from fupin.divisions.models import Division
from fupin.divisions.selectors import division_get
from fupin.funds import ledger, notice_facts
from fupin.funds.models import FundAllocation, Payment, Project, ProjectFunding
from fupin.policy import codes
from fupin.policy import funds as pf
from fupin.registry.models import Household

Actor: TypeAlias = AbstractBaseUser | AnonymousUser | None

#: App-level refusal codes beside the policy's FundCode.
NOT_BELOW = "FUNDS_NOT_BELOW"
UNKNOWN_PROJECT = "FUNDS_UNKNOWN_PROJECT"
PROJECT_CODE_TAKEN = "FUNDS_PROJECT_CODE_TAKEN"

#: The role that acts at each level of the project steps.
LEVEL_ROLE = {
    "village": Role.VILLAGE_CADRE.value,
    "township": Role.TOWNSHIP_REVIEWER.value,
    "county": Role.COUNTY_OFFICE.value,
}
#: The date field each target status sets.
STATUS_DATE = {
    "reviewed": "reviewed_on",
    "approved": "approved_on",
    "in_progress": "started_on",
    "accepted": "accepted_on",
    "handed_over": "handed_over_on",
    "rejected": "closed_on",
    "cancelled": "closed_on",
}


def parameters() -> pf.FundParameters:
    """The fund parameters in force (national defaults; a province overrides them here)."""
    return pf.DEFAULT_PARAMETERS


# -- checks ---------------------------------------------------------------------------------------


def _active(by: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(getattr(by, "is_authenticated", False) and getattr(by, "is_active", False))


def require_in_scope(by: Actor, division_code: str, allowed: bool, refusal: str) -> None:
    if by is None:
        return
    if not _active(by):
        raise FupinError("PERMISSION_DENIED", "请先登录")
    if not in_scope(by, division_code):
        raise FupinError("OUT_OF_SCOPE", f"{division_code} 不在您的管辖范围内")
    if not allowed:
        raise FupinError("PERMISSION_DENIED", refusal)


def is_fund_office(by: Actor) -> bool:
    return by is None or user_role(by) in (Role.COUNTY_OFFICE.value, Role.ADMINISTRATOR.value)


def refusal_error(refusals: Sequence[pf.Refusal]) -> FupinError:
    return FupinError(
        refusals[0].code.value,
        "；".join(r.message for r in refusals),
        {"errors": [r.as_dict() for r in refusals]},
    )


def fact_source_checked(source: str) -> str:
    if source not in codes.FACT_SOURCE:
        raise FupinError("SOURCE_UNKNOWN", f"数据来源“{source}”无效")
    return source


def _fund_source(source: str) -> str:
    if source not in pf.FUND_SOURCE:
        raise FupinError(pf.FundCode.UNKNOWN_SOURCE.value, f"资金来源“{source}”不存在")
    return source


def _lock_division(code: str) -> Division:
    """Lock a holder's division row so two allocations from it cannot both pass the balance."""
    division_get(code)
    return Division.objects.select_for_update().get(pk=code)


def project_find(project: Project | str, *, lock: bool = False) -> Project:
    """The project (or the project of that code), locked for the write when ``lock``; refused
    with ``FUNDS_UNKNOWN_PROJECT`` when there is none."""
    qs = Project.objects.select_for_update() if lock else Project.objects.all()
    key = project.pk if isinstance(project, Project) else None
    found = qs.filter(pk=key).first() if key else qs.filter(code=str(project).strip()).first()
    if found is None:
        raise FupinError(UNKNOWN_PROJECT, f"项目“{project}”不存在", {"project": str(project)})
    return found


def _below(child: str, parent: str) -> bool:
    return child.startswith(parent) and len(child) > len(parent)


# -- allocations ----------------------------------------------------------------------------------


def allocation_record(
    *,
    source: str,
    to_division: str,
    year: int,
    amount: Decimal,
    allocated_on: date,
    from_division: str | None = None,
    document_number: str = "",
    note: str = "",
    by: Actor,
    fact_source: str = "manual",
) -> FundAllocation:
    """Record funds passed from ``from_division`` down to ``to_division`` (资金下达), or, with
    no ``from_division``, an appropriation received by ``to_division`` (the level's own budget,
    or money from outside the tree). A holder cannot pass down more than it has left of the
    source and year (FUNDS_OVER_ALLOCATED); the receiver must lie below the giver."""
    _fund_source(source)
    fact_source_checked(fact_source)
    to = division_get(to_division)
    acting_at = from_division or to.code
    require_in_scope(by, acting_at, is_fund_office(by), "只有扶贫部门（县级及以上）可以下达资金")
    with transaction.atomic():
        if from_division is None:
            refusals = pf.check_allocation(amount, amount)
        else:
            giver = _lock_division(from_division)
            if not _below(to.code, giver.code):
                raise FupinError(
                    NOT_BELOW,
                    f"{to.name}（{to.code}）不是{giver.name}（{giver.code}）的下级，不能下达资金",
                )
            left = pf.from_fen(ledger.holder_balance_fen(giver.code, source, year))
            refusals = pf.check_allocation(amount, left)
        if refusals:
            raise refusal_error(refusals)
        allocation = FundAllocation.objects.create(
            source_fund=source,
            from_division_id=from_division,
            to_division=to,
            year=year,
            amount=amount,
            document_number=document_number,
            allocated_on=allocated_on,
            note=note,
            source=fact_source,
        )
        audit_record(
            by=by,
            action="funds.allocate",
            obj_type="fund_allocation",
            obj_key=str(allocation.pk),
            division=to.code,
            after={
                "source": source,
                "from": from_division,
                "to": to.code,
                "year": year,
                "amount": amount,
                "document_number": document_number,
            },
        )
    return allocation


# -- the project library --------------------------------------------------------------------------


def project_propose(
    *,
    code: str,
    name: str,
    project_type: str,
    division: str,
    budget: Decimal,
    budget_by_source: Mapping[str, Decimal],
    benefit_kinds: Sequence[str],
    performance_target: str,
    proposed_on: date,
    by: Actor,
    villages: Sequence[str] = (),
    benefit_link: str = "",
    implementing_unit: str = "",
    expected_households: int = 0,
    expected_poor_households: int = 0,
    start: date | None = None,
    end: date | None = None,
    fact_source: str = "manual",
) -> Project:
    """Propose a project for the library (申报入库) at a village or a township ``division``;
    ``villages`` are the villages it serves (default: the village itself). Refused with every
    rule of ``check_project`` it breaks."""
    fact_source_checked(fact_source)
    where = division_get(division)
    level = ledger.LEVEL_OF_LENGTH.get(len(where.code), "")
    if level not in pf.PROPOSING_LEVELS:
        raise FupinError(pf.FundCode.WRONG_LEVEL.value, "项目由村或乡镇申报，实施地点须是村或乡镇")
    allowed = by is None or user_role(by) in (
        LEVEL_ROLE[level],
        Role.COUNTY_OFFICE.value,
        Role.ADMINISTRATOR.value,
    )
    require_in_scope(by, where.code, allowed, "您没有申报此项目的权限")
    served = list(dict.fromkeys(villages or ([where.code] if level == "village" else [])))
    known = set(Division.objects.filter(code__in=served, level=5).values_list("code", flat=True))
    refusals = [
        pf.Refusal(
            pf.FundCode.NO_LOCATION, f"受益村 {v} 不存在或不在{where.name}内", {"village": v}
        )
        for v in served
        if v not in known or not v.startswith(where.code)
    ]
    refusals += pf.check_project(
        pf.ProjectFacts(
            project_type=project_type,
            budget=budget,
            budget_by_source=budget_by_source,
            villages=served,
            performance_target=performance_target,
            benefits=list(benefit_kinds),
            start=start,
            end=end,
        )
    )
    if refusals:
        raise refusal_error(refusals)
    with transaction.atomic():
        if Project.objects.filter(code=code).exists():
            raise FupinError(PROJECT_CODE_TAKEN, f"项目编号“{code}”已存在", {"code": code})
        project = Project.objects.create(
            code=code,
            name=name,
            project_type=project_type,
            division=where,
            proposer_level=level,
            status="proposed",
            proposed_on=proposed_on,
            budget=budget,
            budget_by_source={k: str(v) for k, v in budget_by_source.items()},
            benefit_kinds=list(benefit_kinds),
            benefit_link=benefit_link,
            performance_target=performance_target,
            implementing_unit=implementing_unit,
            expected_households=expected_households,
            expected_poor_households=expected_poor_households,
            start=start,
            end=end,
            source=fact_source,
        )
        project.villages.set(Division.objects.filter(code__in=served))
        audit_record(
            by=by,
            action="project.propose",
            obj_type="project",
            obj_key=project.code,
            division=where.code,
            after={"name": name, "type": project_type, "budget": budget, "villages": served},
        )
    return project


def _actor_level(by: Actor, needed: Sequence[str]) -> str:
    """The level ``by`` acts at: from the role and the division it is placed at."""
    if by is None:
        return needed[0] if needed else "county"
    role = user_role(by)
    if role == Role.ADMINISTRATOR.value:
        return needed[0] if needed else "county"
    scope = user_scope(by) or ""
    level = ledger.LEVEL_OF_LENGTH.get(len(scope), "")
    if LEVEL_ROLE.get(level) != role:
        raise FupinError("PERMISSION_DENIED", "您没有办理项目审核、审定的权限")
    return level


def project_transition(
    *,
    project: Project | str,
    target: str,
    on: date,
    by: Actor,
    note: str = "",
) -> Project:
    """Move a project to ``target`` on the day ``on`` (审核, 审定入库, 开工, 验收, 移交, 未通过,
    撤销). Review waits for the village notice, approval for the township notice, each posted
    through ``fupin.notices`` (``fupin.funds.project_notices``) for 10 days or more, ended
    before ``on`` with no objection open or upheld; the notice's first and last day are kept
    on the project as the step's evidence."""
    with transaction.atomic():
        found = project_find(project, lock=True)
        require_in_scope(by, found.division_id, True, "")
        level = _actor_level(by, pf.TRANSITIONS.get((found.status, target), ()))
        notice = notice_facts.notice_before(found.code, target)
        prefix = {"reviewed": "village", "approved": "township"}.get(target)
        changed: dict[str, object] = {}
        if prefix and notice is not None:
            changed[f"{prefix}_notice_start"] = notice.start
            changed[f"{prefix}_notice_end"] = notice.end
        refusals = pf.check_transition(
            found.status, target, level=level, notice=notice, today=on, p=parameters()
        )
        if on < found.proposed_on:
            refusals.append(
                pf.Refusal(pf.FundCode.DATES, f"办理日期 {on} 早于申报日期 {found.proposed_on}")
            )
        if refusals:
            raise refusal_error(refusals)
        before = {"status": found.status}
        changed["status"] = target
        changed[STATUS_DATE[target]] = on
        for k, v in changed.items():
            setattr(found, k, v)
        found.save(update_fields=[*changed, "updated_at"])
        audit_record(
            by=by,
            action=f"project.{target}",
            obj_type="project",
            obj_key=found.code,
            division=found.division_id,
            before=before,
            after=changed,
            note=note,
        )
    return found


# -- funds to projects ----------------------------------------------------------------------------


def project_fund(
    *,
    project: Project | str,
    source: str,
    holder: str,
    year: int,
    amount: Decimal,
    assigned_on: date,
    by: Actor,
    document_number: str = "",
    fact_source: str = "manual",
) -> ProjectFunding:
    """Assign ``amount`` of a holder's ``source`` and ``year`` to an approved project under it
    (资金安排到项目); not more than the holder has left (FUNDS_OVER_ALLOCATED)."""
    _fund_source(source)
    fact_source_checked(fact_source)
    require_in_scope(by, holder, is_fund_office(by), "只有扶贫部门（县级及以上）可以安排项目资金")
    with transaction.atomic():
        giver = _lock_division(holder)
        found = project_find(project, lock=True)
        if not found.division_id.startswith(giver.code):
            raise FupinError(NOT_BELOW, f"项目 {found.code} 不在{giver.name}（{giver.code}）内")
        refusals: list[pf.Refusal] = []
        if found.status not in pf.PAYABLE or found.approved_on is None:
            refusals.append(
                pf.Refusal(pf.FundCode.PROJECT_NOT_APPROVED, "项目未经县级审定入库，不能安排资金")
            )
        if source == "integrated" and found.project_type not in pf.INTEGRATED_TYPES:
            refusals.append(
                pf.Refusal(
                    pf.FundCode.INTEGRATED_USE,
                    "统筹整合资金只能用于农业生产发展和农村基础设施建设（国办发〔2016〕22号）",
                )
            )
        left = pf.from_fen(ledger.holder_balance_fen(giver.code, source, year))
        refusals += pf.check_allocation(amount, left)
        if refusals:
            raise refusal_error(refusals)
        funding = ProjectFunding.objects.create(
            project=found,
            source_fund=source,
            holder=giver,
            year=year,
            amount=amount,
            assigned_on=assigned_on,
            document_number=document_number,
            source=fact_source,
        )
        audit_record(
            by=by,
            action="project.fund",
            obj_type="project",
            obj_key=found.code,
            division=found.division_id,
            after={"source": source, "holder": holder, "year": year, "amount": amount},
        )
    return funding


# -- payments -------------------------------------------------------------------------------------


def payment_record(
    *,
    project: Project | str,
    source: str,
    year: int,
    amount: Decimal,
    paid_on: date,
    payee_kind: str,
    by: Actor,
    payee: str = "",
    village: str | None = None,
    household_code: str | None = None,
    item: str = "",
    voucher_number: str = "",
    negative_list: str = "",
    fact_source: str = "manual",
) -> Payment:
    """Record a payment of a project's funds (资金支付) to its unit, a village collective
    (``village``) or a registered household (``household_code``). Refused with every rule of
    ``check_payment`` it breaks: not approved, more than the project's unspent funds of the
    source and year, a household not in the registry, the same household paid twice for the
    same item (FUNDS_DUPLICATE_PAYMENT)."""
    fact_source_checked(fact_source)
    with transaction.atomic():
        found = project_find(project, lock=True)
        require_in_scope(by, found.division_id, is_fund_office(by), "只有县扶贫办可以登记资金支付")
        refusals: list[pf.Refusal] = []
        household: Household | None = None
        household_id: int | None = None
        if payee_kind == "household" and household_code:
            household = Household.objects.filter(code=str(household_code).strip()).first()
            household_id = household.pk if household else 0  # 0: named but unknown
        collective: Division | None = None
        if payee_kind == "collective":
            if village:
                collective = Division.objects.filter(code=village, level=5).first()
            if collective is None or not collective.code.startswith(found.division_id[:6]):
                refusals.append(
                    pf.Refusal(pf.FundCode.PAYEE_MISSING, "须指定本县的收款村（村集体经济组织）")
                )
            elif not payee.strip():
                payee = f"{collective.name}村集体经济组织"
        already = household is not None and (
            Payment.objects.filter(project=found, household=household, item=item).exists()
        )
        unspent = pf.from_fen(ledger.project_unspent_fen(found.pk, source, year))
        refusals += pf.check_payment(
            pf.PaymentFacts(
                amount=amount,
                source=source,
                payee_kind=payee_kind,
                paid_on=paid_on,
                project_status=found.status,
                approved_on=found.approved_on,
                project_type=found.project_type,
                payee=payee,
                household_id=household_id,
                household_registered=household is not None and household.status != "removed",
                already_paid_item=already,
                unspent=unspent,
                negative_list=negative_list,
            )
        )
        if refusals:
            raise refusal_error(refusals)
        payment = Payment.objects.create(
            project=found,
            source_fund=source,
            year=year,
            paid_on=paid_on,
            amount=amount,
            payee_kind=payee_kind,
            payee=payee,
            village=collective,
            household=household,
            item=item,
            voucher_number=voucher_number,
            source=fact_source,
        )
        audit_record(
            by=by,
            action="payment.record",
            obj_type="project",
            obj_key=found.code,
            division=household.village_id if household else found.division_id,
            after={
                "payment": payment.pk,
                "source": source,
                "year": year,
                "amount": amount,
                "payee_kind": payee_kind,
                "household": household.code if household else None,
                "item": item,
            },
        )
    return payment
