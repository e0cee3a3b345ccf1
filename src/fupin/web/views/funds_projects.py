"""The project library pages (项目库): the list with its filters, the proposal form, a
project's page with its funds, payments, history and notices, and the POSTs of its steps,
funding, payments and notices.

Thin views over :mod:`fupin.funds.services` (and ``fupin.funds.project_notices`` when it is
installed); a refusal is shown with its code. A project outside the user's division answers
404. The page shows only the steps and forms the user's level may take.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fupin.accounts.scoping import in_scope
from fupin.common.audit import audit_action_label, audit_history
from fupin.common.errors import FupinError
from fupin.divisions.models import Division
from fupin.funds import notice_facts, selectors
from fupin.funds import page_selectors as ps
from fupin.funds.models import Project
from fupin.funds.page_services import project_code_next
from fupin.funds.project_notices import project_notice_publish, project_notice_status
from fupin.funds.services import (
    payment_record,
    project_fund,
    project_propose,
    project_transition,
)
from fupin.notices.rights import may_manage_notice
from fupin.policy import funds as pf
from fupin.web.forms.households import short_village_name
from fupin.web.forms_funds import FundForm, PaymentForm, ProjectForm, TransitionForm
from fupin.web.views.funds import (
    NAV,
    form_problems,
    is_office,
    may_propose,
    place_of,
    refusal_text,
    refuse,
    scope_of,
    user_levels,
)

PAGE_SIZE = 50

#: The Chinese verb of each step's button.
STEP_LABEL = {
    "reviewed": gettext_lazy("审核通过"),
    "approved": gettext_lazy("审定入库"),
    "in_progress": gettext_lazy("开工实施"),
    "accepted": gettext_lazy("验收"),
    "handed_over": gettext_lazy("资产移交"),
    "rejected": gettext_lazy("不予通过"),
    "cancelled": gettext_lazy("撤销"),
}
#: The notice a project's status calls for (公示): the village's before the township's review,
#: the township's before the county's decision, the county's library notice after it, the
#: completion notice after acceptance (fupin.funds.notice_facts).
NOTICE_FOR = {
    "proposed": "village",
    "reviewed": "township",
    "approved": "county",
    "accepted": "completion",
}
NOTICE_LEVEL_LABEL = {
    "village": gettext_lazy("村级公示"),
    "township": gettext_lazy("乡镇公示"),
    "county": gettext_lazy("县级项目库入库公告"),
    "completion": gettext_lazy("竣工公告"),
}
LEVEL_OF_KIND = {kind: level for level, kind in notice_facts.KIND_OF_LEVEL.items()}
#: The project's history in words (audit actions of obj_type "project").
ACTION_LABEL = {
    "project.propose": gettext_lazy("申报"),
    "project.fund": gettext_lazy("安排资金"),
    "payment.record": gettext_lazy("登记支付"),
    **{f"project.{t}": label for t, label in STEP_LABEL.items()},
    "project.notice.village": gettext_lazy("发布村级公示"),
    "project.notice.township": gettext_lazy("发布乡镇公示"),
    "project.notice.county": gettext_lazy("发布县级项目库入库公告"),
    "project.notice.completion": gettext_lazy("发布竣工公告"),
}


def _project(request: HttpRequest, code: str) -> Project:
    scope_of(request)
    found = Project.objects.select_related("division").filter(code=code).first()
    if found is None or not in_scope(request.user, found.division_id):
        raise Http404(_("未找到该项目"))
    return found


def _detail_url(project: Project, anchor: str = "") -> str:
    return reverse("web:funds_project", args=[project.code]) + (f"#{anchor}" if anchor else "")


# --- the library ------------------------------------------------------------------------------


@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    """项目库: the projects under the division, filtered by status, type, year and village,
    50 a page, each with its villages, budget and the funds assigned and paid."""
    scope = scope_of(request)
    place = place_of(request, scope)
    g = request.GET
    status = str(g.get("status") or "")
    ptype = str(g.get("type") or "")
    year_text = str(g.get("year") or "")
    year = int(year_text) if year_text.isdigit() else None
    village = str(g.get("village") or "")
    qs = ps.project_library(
        place.code,
        status=status if status in pf.PROJECT_STATUS.codes else "",
        project_type=ptype if ptype in pf.PROJECT_TYPE.codes else "",
        year=year,
        village=village if village.startswith(place.code) else "",
    )
    page = Paginator(qs, PAGE_SIZE).get_page(g.get("page"))
    query = g.copy()
    query.pop("page", None)
    return render(
        request,
        "web/funds/projects.html",
        {
            "nav": NAV,
            "place": place,
            "division_code": place.code,
            "page": page,
            "rows": [
                {
                    "p": p,
                    "type": pf.PROJECT_TYPE.label_of(p.project_type),
                    "status": pf.PROJECT_STATUS.label_of(p.status),
                    "villages": [short_village_name(v.name) for v in p.villages.all()],
                }
                for p in page.object_list
            ],
            "statuses": [(c, pf.PROJECT_STATUS.label_of(c)) for c in pf.PROJECT_STATUS.codes],
            "types": [(c, pf.PROJECT_TYPE.label_of(c)) for c in pf.PROJECT_TYPE.codes],
            "years": ps.project_years(place.code),
            "villages": [
                (v.code, short_village_name(v.name)) for v in ps.villages_below(place.code)
            ]
            if len(place.code) >= 6
            else [],
            "f": {"status": status, "type": ptype, "year": year_text, "village": village},
            "query": query.urlencode(),
            "may_propose": may_propose(request.user),
        },
    )


# --- the proposal -----------------------------------------------------------------------------


def _locations(scope: str) -> list[tuple[str, str]]:
    """Where a county-level user may place a project: the townships and villages below."""
    rows = Division.objects.filter(code__startswith=scope, level__in=(4, 5)).order_by("code")[:3000]
    return [
        (d.code, ("　" if d.level == 5 else "") + short_village_name(d.name))
        for d in rows.only("code", "name", "level")
    ]


@require_http_methods(["GET", "POST"])
def project_new(request: HttpRequest) -> HttpResponse:
    """申报项目: a village cadre proposes for the village, a township for the township (its
    villages to choose), the county office for a township or village below it."""
    scope = scope_of(request)
    if not may_propose(request.user):
        raise PermissionDenied(_("您没有申报项目的权限"))
    levels = user_levels(request.user)
    fixed = scope if ("village" in levels or "township" in levels) and len(scope) in (9, 12) else ""
    locations = [] if fixed else _locations(scope)
    village_base = fixed or scope
    villages = (
        [(v.code, short_village_name(v.name)) for v in ps.villages_below(village_base)]
        if len(village_base) >= 9
        else []
    )
    form = ProjectForm(request.POST or None, locations=locations, villages=villages)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        division = fixed or d["location"]
        code = d["code"].strip() or project_code_next(division, d["proposed_on"].year)
        try:
            project = project_propose(
                code=code,
                name=d["name"],
                project_type=d["project_type"],
                division=division,
                budget=d["budget"],
                budget_by_source=form.budget_by_source(),
                benefit_kinds=d["benefit_kinds"],
                performance_target=d["performance_target"],
                proposed_on=d["proposed_on"],
                villages=d["villages"],
                benefit_link=d["benefit_link"],
                implementing_unit=d["implementing_unit"],
                expected_households=d["expected_households"],
                expected_poor_households=d["expected_poor_households"],
                start=d["start"],
                end=d["end"],
                by=request.user,
            )
        except FupinError as exc:
            for line in refusal_text(exc):
                form.add_error(None, line)
        else:
            messages.success(
                request,
                _("已申报项目 %(code)s %(name)s") % {"code": project.code, "name": project.name},
            )
            return redirect(_detail_url(project))
    where = Division.objects.filter(code=fixed).values_list("name", flat=True).first()
    return render(
        request,
        "web/funds/project_new.html",
        {
            "nav": NAV,
            "form": form,
            "fixed_name": short_village_name(where) if where else "",
            "list_url": reverse("web:funds_projects"),
        },
    )


# --- a project --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    target: str
    label: Any
    danger: bool
    needs_notice: bool


def _steps(user: Any, project: Project) -> list[Step]:
    levels = user_levels(user)
    return [
        Step(t, STEP_LABEL[t], t in ("rejected", "cancelled"), t in ("reviewed", "approved"))
        for (cur, t), allowed in pf.TRANSITIONS.items()
        if cur == project.status and levels & set(allowed)
    ]


def _holders(user: Any, project: Project) -> list[tuple[str, str]]:
    codes = [project.division_id[:n] for n in (6, 4, 2)]
    codes = [c for c in codes if in_scope(user, c)]
    names = dict(Division.objects.filter(code__in=codes).values_list("code", "name"))
    return [(c, names.get(c, c)) for c in codes if c in names]


def _notice_rows(project: Project) -> list[dict[str, Any]]:
    return [
        {
            "n": n,
            "level": NOTICE_LEVEL_LABEL.get(LEVEL_OF_KIND.get(n.kind, ""), n.kind),
            "url": reverse("notices:detail", args=[n.notice.pk]),
        }
        for n in project_notice_status(project.code)
    ]


def _may_notice(user: Any, project: Project, level: str) -> bool:
    """Whether the user may post the project's notice of ``level`` (the notices' rule)."""
    kind = notice_facts.KIND_OF_LEVEL.get(level)
    if not kind:
        return False
    where = project.division_id[:6] if level == "county" else project.division_id
    return may_manage_notice(user, kind=kind, division_code=where)


@require_GET
def project_detail(request: HttpRequest, project_code: str) -> HttpResponse:
    """A project: its facts, budget by source, funds assigned and paid, unspent by source,
    payments, history and notices, and the steps and forms the user may take."""
    project = _project(request, project_code)
    user = request.user
    office = is_office(user)
    balances = [
        b for b in selectors.project_balances(project.division_id) if b.project_id == project.pk
    ]
    fundings = list(project.fundings.select_related("holder").order_by("assigned_on", "pk"))
    payments = list(
        project.payments.select_related("household", "village").order_by("-paid_on", "-pk")[:200]
    )
    villages = [(v.code, short_village_name(v.name)) for v in project.villages.order_by("code")]
    history = list(audit_history(obj_type="project", obj_key=project.code))
    payable = project.status in pf.PAYABLE
    next_notice = NOTICE_FOR.get(project.status, "")
    notices = _notice_rows(project)
    kind = notice_facts.KIND_OF_LEVEL.get(next_notice, "")
    standing = any(n["n"].kind == kind and not n["n"].upheld_objections for n in notices)
    return render(
        request,
        "web/funds/project_detail.html",
        {
            "nav": NAV,
            "p": project,
            "type": pf.PROJECT_TYPE.label_of(project.project_type),
            "status": pf.PROJECT_STATUS.label_of(project.status),
            "proposer": pf.FUND_LEVEL.label_of(project.proposer_level),
            "villages": villages,
            "budget_rows": [
                (pf.FUND_SOURCE.label_of(k), Decimal(str(v)).quantize(Decimal("0.01")))
                for k, v in project.budget_by_source.items()
                if k in pf.FUND_SOURCE.codes
            ],
            "benefits": [
                pf.BENEFIT_KIND.label_of(k)
                for k in project.benefit_kinds
                if k in pf.BENEFIT_KIND.codes
            ],
            "fundings": [(f, pf.FUND_SOURCE.label_of(f.source_fund)) for f in fundings],
            "payments": [
                (x, pf.FUND_SOURCE.label_of(x.source_fund), pf.PAYEE_KIND.label_of(x.payee_kind))
                for x in payments
            ],
            "balances": [(b, pf.FUND_SOURCE.label_of(b.source)) for b in balances],
            "assigned_total": sum((f.amount for f in fundings), Decimal("0.00")),
            "paid_total": sum((b.paid for b in balances), Decimal("0.00")),
            "history": [
                (e, ACTION_LABEL.get(e.action) or audit_action_label(e.action)) for e in history
            ],
            "steps": _steps(user, project),
            "step_form": TransitionForm(initial={"on": timezone.localdate()}),
            "fund_form": FundForm(holders=_holders(user, project)) if office and payable else None,
            "payment_form": PaymentForm(villages=villages) if office and payable else None,
            "notices": notices,
            "next_notice": NOTICE_LEVEL_LABEL.get(next_notice, ""),
            "next_notice_level": next_notice,
            "may_notice": bool(next_notice)
            and not standing
            and _may_notice(user, project, next_notice),
            "list_url": reverse("web:funds_projects"),
            "village_url": reverse("web:funds_village", args=[project.division_id])
            if len(project.division_id) == 12
            else "",
        },
    )


@require_POST
def project_step(request: HttpRequest, project_code: str) -> HttpResponse:
    """Take a step of the project (``target``, ``on``, ``note``); review and approval wait for
    the notice the services look up."""
    project = _project(request, project_code)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("未办理：") + "；".join(form_problems(form)))
        return redirect(_detail_url(project, "steps"))
    d = form.cleaned_data
    try:
        project_transition(
            project=project,
            target=d["target"],
            on=d["on"],
            note=d["note"],
            by=request.user,
        )
    except FupinError as exc:
        refuse(request, exc)
        return redirect(_detail_url(project, "steps"))
    messages.success(
        request,
        _("项目已办理：%(step)s") % {"step": STEP_LABEL.get(d["target"], d["target"])},
    )
    return redirect(_detail_url(project))


@require_POST
def project_fund_post(request: HttpRequest, project_code: str) -> HttpResponse:
    """Assign funds of a holder to the project (the county office)."""
    project = _project(request, project_code)
    form = FundForm(request.POST, holders=_holders(request.user, project))
    if not form.is_valid():
        messages.error(request, _("资金未安排：") + "；".join(form_problems(form)))
        return redirect(_detail_url(project, "funding"))
    d = form.cleaned_data
    try:
        project_fund(
            project=project,
            source=d["source"],
            holder=d["holder"],
            year=d["year"],
            amount=d["amount"],
            assigned_on=d["assigned_on"],
            document_number=d["document_number"],
            by=request.user,
        )
    except FupinError as exc:
        refuse(request, exc)
        return redirect(_detail_url(project, "funding"))
    messages.success(request, _("已安排资金 %(amount)s 元") % {"amount": d["amount"]})
    return redirect(_detail_url(project, "funding"))


@require_POST
def project_payment(request: HttpRequest, project_code: str) -> HttpResponse:
    """Record a payment of the project (the county office)."""
    project = _project(request, project_code)
    villages = [(v.code, v.name) for v in project.villages.all()]
    form = PaymentForm(request.POST, villages=villages)
    if not form.is_valid():
        messages.error(request, _("支付未登记：") + "；".join(form_problems(form)))
        return redirect(_detail_url(project, "payments"))
    d = form.cleaned_data
    try:
        payment_record(
            project=project,
            source=d["source"],
            year=d["year"],
            amount=d["amount"],
            paid_on=d["paid_on"],
            payee_kind=d["payee_kind"],
            payee=d["payee"],
            village=d["village"] or None,
            household_code=d["household_code"] or None,
            item=d["item"],
            voucher_number=d["voucher_number"],
            by=request.user,
        )
    except FupinError as exc:
        refuse(request, exc)
        return redirect(_detail_url(project, "payments"))
    messages.success(request, _("已登记支付 %(amount)s 元") % {"amount": d["amount"]})
    return redirect(_detail_url(project, "payments"))


@require_POST
def project_notice(request: HttpRequest, project_code: str) -> HttpResponse:
    """Publish the project's notice (公示) at ``level`` through ``fupin.notices``."""
    project = _project(request, project_code)
    level = str(request.POST.get("level") or "")
    if level not in NOTICE_LEVEL_LABEL:
        messages.error(request, _("请选择要发布的公示"))
        return redirect(_detail_url(project, "notices"))
    try:
        project_notice_publish(project=project, level=level, by=request.user)
    except FupinError as exc:
        refuse(request, exc)
        return redirect(_detail_url(project, "notices"))
    messages.success(request, _("已发布%(level)s") % {"level": NOTICE_LEVEL_LABEL[level]})
    return redirect(_detail_url(project, "notices"))
