"""The cadres' pages of the household procedures (识别与退出): cases, one case, forms, bulk.

Thin views: viewing needs ``Action.VIEW_REGISTRY`` and the case's village in the user's
subtree (404 otherwise, like a missing case); whether the user may take a step is decided by
the workflow services (role, division level, scope, proposer), whose refusals are shown as
they are, in Chinese. The pages only hide forms the user could not use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q, Subquery
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from fupin.accounts.permissions import Action, can, user_role
from fupin.accounts.scoping import user_scope
from fupin.assessment.models import AssessmentResult
from fupin.common.errors import FupinError
from fupin.divisions.models import Division
from fupin.divisions.selectors import subtree_q
from fupin.policy import workflows as wf
from fupin.policy.rules import DEFAULT_RULE_SET
from fupin.registry import selectors as registry_selectors
from fupin.registry.models import Household, Member
from fupin.workflows import selectors
from fupin.workflows.models import Case, Objection, Step
from fupin.workflows.services import (
    case_advance,
    case_close,
    case_open,
    exit_proposals_create,
    objection_raise,
    objection_resolve,
    workflow_bulk_advance,
)

NAV = "workflows"
PAGE_SIZE = 50
RULE_TITLES = {r.code: r.title for r in DEFAULT_RULE_SET.rules}
#: The procedures a case can be opened for from a household's page.
OPENABLE = (
    wf.Procedure.IDENTIFICATION,
    wf.Procedure.EXIT,
    wf.Procedure.DECREASE,
    wf.Procedure.RETURN,
    wf.Procedure.MONITORING,
)


def _need_view(request: HttpRequest) -> str:
    scope = user_scope(request.user)
    if scope is None or not can(request.user, Action.VIEW_REGISTRY):
        raise PermissionDenied("您没有权限查看识别与退出办理")
    return scope


def _by(request: HttpRequest) -> User:
    """The signed-in user who acts (``_need_view`` has let only such users through)."""
    return cast(User, request.user)


def _case(request: HttpRequest, case_id: int) -> Case:
    case = selectors.case_visible(request.user, case_id)
    if case is None:
        raise Http404("没有这个案件")
    return case


def _digits(value: str | None, lengths: tuple[int, ...] = (6, 9, 12)) -> str:
    value = (value or "").strip()
    return value if value.isdigit() and len(value) in lengths else ""


def assessment_text(meets: bool | None, income: Any, failed: str) -> str:
    """The assessment recorded at a step, in plain Chinese."""
    if meets is None:
        return "当时该户本年度尚未评估"
    income_text = f"人均纯收入 {income} 元" if income is not None else "收入未登记"
    if meets:
        return f"评估达到脱贫标准（{income_text}，两不愁三保障均已保障）"
    names = [RULE_TITLES.get(c, c) for c in failed.split("|") if c]
    return f"评估未达到脱贫标准（{income_text}；未通过：{'、'.join(names) or '—'}）"


def _may_take(user: Any, case: Case, sdef: wf.StepDef) -> tuple[bool, str]:
    """Whether the user's role, level and relation to the case allow ``sdef`` (the services
    decide again on submit); the reason in Chinese when not."""
    role = user_role(user)
    profile = getattr(user, "profile", None)
    division = str(getattr(profile, "division_id", "") or "")
    try:
        wf.actor_check(sdef, role=role, division_code=division)
        wf.proposer_check(sdef, proposer_id=case.opened_by_id, actor_id=int(user.pk))
    except wf.WorkflowRefusal as exc:
        return False, exc.message
    return True, ""


# -- the list ---------------------------------------------------------------------------------


def workflow_home(request: HttpRequest) -> HttpResponse:
    scope = _need_view(request)
    procedure = request.GET.get("procedure") or ""
    if procedure not in wf.PROCEDURES:
        procedure = ""
    state = request.GET.get("state") or ""
    if procedure and state not in wf.PROCEDURES[procedure].states and state != wf.CLOSED:
        state = ""
    village = _digits(request.GET.get("village"))
    if village and scope and not village.startswith(scope):
        village = ""
    filters = selectors.CaseFilters(
        procedure=procedure,
        state=state if procedure else "",
        village=village,
        overdue=request.GET.get("overdue") == "1",
        waiting=request.GET.get("waiting") == "1",
    )
    heads = Member.objects.filter(household=OuterRef("household_id"), relation="head")
    rows = selectors.case_rows(request.user, filters).annotate(
        head=Subquery(heads.values("name")[:1])
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    waiting_ids = set(
        selectors.cases_waiting_for(
            request.user, Case.objects.filter(pk__in=[c.pk for c in page])
        ).values_list("pk", flat=True)
    )
    counts = selectors.case_counts(request.user)
    summary = [
        {
            "code": code,
            "label": wf.PROCEDURE_LABELS[code],
            "states": [
                {"code": s, "label": label, "n": counts.get(code, {}).get(s, 0)}
                for s, label in p.states.items()
            ]
            + [{"code": wf.CLOSED, "label": "已关闭", "n": counts.get(code, {}).get(wf.CLOSED, 0)}],
            "total": sum(counts.get(code, {}).values()),
        }
        for code, p in wf.PROCEDURES.items()
    ]
    villages = Division.objects.filter(level=5)
    if scope:
        villages = villages.filter(subtree_q(scope))
    bulk_step = None
    if procedure and state:
        bulk_step = wf.PROCEDURES[procedure].next_step(state)
    return render(
        request,
        "web/workflows/home.html",
        {
            "nav": NAV,
            "page": page,
            "rows": [
                {
                    "case": c,
                    "overdue": selectors.is_overdue(c, now),
                    "waiting": c.pk in waiting_ids,
                    "next": wf.PROCEDURES[c.procedure].next_step(c.state),
                }
                for c in page
            ],
            "summary": summary,
            "filters": filters,
            "procedures": list(wf.PROCEDURE_LABELS.items()),
            "states": list(wf.PROCEDURES[procedure].states.items()) if procedure else [],
            "villages": villages.order_by("code").values_list("code", "name")[:500],
            "waiting_count": selectors.cases_waiting_for(request.user).count(),
            "overdue_count": selectors.overdue_count(request.user),
            "bulk_step": bulk_step,
            "query": _without_page(request),
        },
    )


# -- one case ---------------------------------------------------------------------------------


@dataclass
class TimelineItem:
    label: str
    done: Step | None = None
    assessment: str = ""
    is_next: bool = False
    future: bool = False
    roles: str = ""


def _timeline(case: Case, steps: list[Step]) -> list[TimelineItem]:
    proc = wf.procedure_def(case.procedure)
    labels = {s.code: s.label for s in proc.steps}
    labels.update({wf.REVERIFY: "异议成立，重新核实", "close": "关闭本案"})
    items = [
        TimelineItem(
            label=labels.get(s.code, s.code),
            done=s,
            assessment=assessment_text(s.assessed_meets, s.assessed_income, s.assessed_failed)
            if s.code in labels and s.code not in (wf.REVERIFY, "close")
            else "",
        )
        for s in steps
    ]
    if case.closed_at is None:
        nxt = proc.next_step(case.state)
        started = False
        for s in proc.steps:
            if s is nxt:
                started = True
            if started:
                items.append(
                    TimelineItem(
                        label=s.label,
                        is_next=s is nxt,
                        future=s is not nxt,
                        roles="、".join(wf.ROLE_LABELS[r] for r in sorted(s.roles)),
                    )
                )
    return items


def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    _need_view(request)
    case = _case(request, case_id)
    proc = wf.procedure_def(case.procedure)
    steps = list(selectors.case_steps(case))
    objections = list(selectors.case_objections(case))
    nxt = proc.next_step(case.state) if case.closed_at is None else None
    may_act, why_not = _may_take(request.user, case, nxt) if nxt else (False, "")
    now = timezone.now()
    open_objection = any(o.outcome == "" and o.round == case.round for o in objections)
    notice_running = case.notice_until is not None and case.notice_until > now
    role = user_role(request.user)
    current = (
        AssessmentResult.objects.filter(
            household_id=case.household_id, year=case.year, rule_set=DEFAULT_RULE_SET.code
        )
        .values("meets_standard", "per_capita_net_income", "failed_codes")
        .first()
    )
    return render(
        request,
        "web/workflows/case.html",
        {
            "nav": NAV,
            "case": case,
            "h": case.household,
            "head": selectors.household_head(case.household_id),
            "procedure_label": wf.PROCEDURE_LABELS[case.procedure],
            "timeline": _timeline(case, steps),
            "next": nxt,
            "next_evidence": [e.value for e in nxt.evidence] if nxt else [],
            "may_act": may_act and not notice_running and not open_objection,
            "why_not": why_not,
            "notice_running": notice_running,
            "open_objection": open_objection,
            "overdue": selectors.is_overdue(case, now),
            "notices": selectors.case_notices(case),
            "objections": objections,
            "may_raise": case.state in proc.notice_states()
            and case.closed_at is None
            and role in wf.ROLE_LEVEL,
            "may_resolve": role in (wf.TOWNSHIP, wf.COUNTY),
            "may_close": nxt is not None and may_act and not nxt.approval,
            "current_assessment": assessment_text(
                current["meets_standard"], current["per_capita_net_income"], current["failed_codes"]
            )
            if current
            else assessment_text(None, None, ""),
            "today": timezone.localdate().isoformat(),
        },
    )


def _evidence(request: HttpRequest) -> dict[str, Any]:
    """The evidence fields of a step form, as the services read them."""
    post = request.POST
    data: dict[str, Any] = {
        "note": post.get("note", "").strip(),
        "consent": post.get("consent") == "on",
        "reason": post.get("reason", ""),
        "category": post.get("category", ""),
    }
    for key in ("meeting_date", "attendance", "votes_for", "votes_against"):
        if post.get(key, "").strip():
            data[key] = post[key].strip()
    for key in ("attachment", "minutes"):
        if key in request.FILES:
            data[key] = request.FILES[key]
    return data


@require_POST
def case_act(request: HttpRequest, case_id: int) -> HttpResponse:
    _need_view(request)
    case = _case(request, case_id)
    step = request.POST.get("step", "")
    try:
        if step == "close":
            case_close(case=case, by=_by(request), note=request.POST.get("note", ""))
            messages.success(request, "本案已关闭。")
        else:
            moved = case_advance(case=case, step=step, by=_by(request), data=_evidence(request))
            messages.success(request, f"已办理，本案当前为「{moved.state_label}」。")
    except FupinError as exc:
        messages.error(request, exc.message)
    return redirect("web:case_detail", case_id=case.pk)


@require_POST
def case_objection_raise(request: HttpRequest, case_id: int) -> HttpResponse:
    _need_view(request)
    case = _case(request, case_id)
    try:
        objection_raise(
            case=case,
            text=request.POST.get("text", ""),
            by=_by(request),
            name=request.POST.get("name", "").strip()[:50],
            contact=request.POST.get("contact", "").strip()[:50],
        )
        messages.success(request, "异议已登记，核实办结前本案暂停办理。")
    except FupinError as exc:
        messages.error(request, exc.message)
    return redirect("web:case_detail", case_id=case.pk)


@require_POST
def case_objection_resolve(request: HttpRequest, wf_objection_id: int) -> HttpResponse:
    _need_view(request)
    objection = Objection.objects.select_related("case").filter(pk=wf_objection_id).first()
    if objection is None or selectors.case_visible(request.user, objection.case_id) is None:
        raise Http404("没有这条异议")
    try:
        objection_resolve(
            objection=objection,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
            by=_by(request),
        )
        messages.success(request, "异议核实结果已记录。")
    except FupinError as exc:
        messages.error(request, exc.message)
    return redirect("web:case_detail", case_id=objection.case_id)


# -- opening a case for a household -----------------------------------------------------------


@require_http_methods(["GET", "POST"])
def case_open_view(request: HttpRequest, code: str) -> HttpResponse:
    _need_view(request)
    household = registry_selectors.household_visible(request.user, code)
    if household is None:
        raise Http404("未找到该户")
    role = user_role(request.user)
    latest = (
        AssessmentResult.objects.filter(household=household, rule_set=DEFAULT_RULE_SET.code)
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )
    year = latest or timezone.localdate().year
    if request.method == "POST":
        procedure = request.POST.get("procedure", "")
        posted_year = request.POST.get("year", "")
        year = int(posted_year) if posted_year.isdigit() else year
        try:
            case = case_open(
                household=household,
                procedure=procedure,
                by=_by(request),
                data=_evidence(request),
                year=year,
            )
        except FupinError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已提出「{wf.PROCEDURE_LABELS[case.procedure]}」。")
            return redirect("web:case_detail", case_id=case.pk)
    forms = [
        {
            "code": p.value,
            "label": wf.PROCEDURE_LABELS[p],
            "step": wf.PROCEDURES[p].first,
            "evidence": [e.value for e in wf.PROCEDURES[p].first.evidence],
            "eligible": household.status in wf.PROCEDURES[p].open_statuses,
        }
        for p in OPENABLE
        if role in wf.PROCEDURES[p].first.roles
    ]
    cases = [
        {"case": c, "label": wf.PROCEDURE_LABELS[c.procedure]}
        for c in selectors.household_cases(household.pk)
    ]
    return render(
        request,
        "web/workflows/open.html",
        {
            "nav": NAV,
            "h": household,
            "head": selectors.household_head(household.pk),
            "forms": forms,
            "cases": cases,
            "reasons": list(wf.DECREASE_REASON_LABELS.items()),
            "categories": list(wf.MONITORING_CATEGORY_LABELS.items()),
            "year": year,
        },
    )


# -- bulk (the county office's yearly adjustment) ---------------------------------------------


def _bulk_candidates(
    *, division: str, proc: wf.ProcedureDef, sdef: wf.StepDef, by: Any, ids: list[int] | None
) -> int:
    """How many cases ``workflow_bulk_advance`` would move now (for the confirmation)."""
    qs = Case.objects.filter(
        subtree_q(division, field="division_code"),
        procedure=proc.procedure,
        state=sdef.from_state,
        closed_at__isnull=True,
    ).filter(Q(notice_until__isnull=True) | Q(notice_until__lte=timezone.now()))
    qs = qs.exclude(
        Exists(Objection.objects.filter(case=OuterRef("pk"), round=OuterRef("round"), outcome=""))
    )
    if sdef.approval:
        qs = qs.exclude(opened_by_id=by.pk)
    if ids is not None:
        qs = qs.filter(household_id__in=ids)
    return qs.count()


def _exit_candidates(*, division: str, year: int) -> int:
    open_exit = Case.objects.filter(
        household=OuterRef("pk"), procedure=wf.Procedure.EXIT, closed_at__isnull=True
    )
    return (
        Household.objects.filter(
            subtree_q(division, field="village__code"),
            status__in=wf.EXIT.open_statuses,
            assessments__year=year,
            assessments__rule_set=DEFAULT_RULE_SET.code,
            assessments__meets_standard=True,
        )
        .exclude(Exists(open_exit))
        .count()
    )


def _household_ids(request: HttpRequest, division: str) -> list[int] | None:
    """The households picked on the list (ids) or typed (codes); None: all of them."""
    ids = [int(i) for i in request.POST.getlist("household") if i.isdigit()]
    codes = [c.strip() for c in request.POST.get("codes", "").split() if c.strip()]
    if codes:
        ids += list(
            Household.objects.filter(
                subtree_q(division, field="village__code"), code__in=codes
            ).values_list("pk", flat=True)
        )
    if ids or codes or request.POST.getlist("household"):
        return ids
    return None


@require_http_methods(["GET", "POST"])
def workflow_bulk(request: HttpRequest) -> HttpResponse:
    scope = _need_view(request)
    post = request.POST if request.method == "POST" else request.GET
    division = _digits(post.get("division")) or (scope if len(scope) in (6, 9, 12) else "")
    if division and scope and not division.startswith(scope):
        raise Http404("该区划不在您的管辖范围内")
    action = post.get("action", "")
    procedure = post.get("procedure", "")
    step = post.get("step", "")
    if ":" in post.get("ps", ""):  # the bulk form names both in one select
        procedure, step = post["ps"].split(":", 1)
    try:
        year = int(post.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    confirm: dict[str, Any] | None = None
    if request.method == "POST" and not division:
        messages.error(request, "请填写县、乡镇或村的区划代码")
    elif request.method == "POST" and action == "exit":
        if request.POST.get("confirm") == "1":
            try:
                n = exit_proposals_create(division_code=division, year=year, by=_by(request))
            except FupinError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"已批量提出退出 {n} 户。")
                return redirect(f"{_home_url()}?procedure=exit&state=proposed&village={division}")
        else:
            confirm = {
                "action": "exit",
                "n": _exit_candidates(division=division, year=year),
                "text": f"{year} 年评估达到脱贫标准、尚无未办结退出案件的户，批量提出退出",
            }
    elif request.method == "POST" and action == "advance":
        proc = wf.PROCEDURES.get(procedure)
        sdef = None
        if proc is not None:
            sdef = next((s for s in proc.steps if s.code == step and s.from_state), None)
        if proc is None or sdef is None:
            messages.error(request, "请选择程序和要办理的环节")
        else:
            ids = _household_ids(request, division)
            if request.POST.get("confirm") == "1":
                try:
                    n = workflow_bulk_advance(
                        division_code=division,
                        procedure=procedure,
                        step=step,
                        by=_by(request),
                        household_ids=ids,
                        data=_evidence(request),
                    )
                except FupinError as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(request, f"已批量办理「{sdef.label}」{n} 户。")
                    return redirect(
                        f"{_home_url()}?procedure={procedure}&state={sdef.to_state}"
                        f"&village={division}"
                    )
            else:
                confirm = {
                    "action": "advance",
                    "n": _bulk_candidates(
                        division=division, proc=proc, sdef=sdef, by=_by(request), ids=ids
                    ),
                    "text": f"「{wf.PROCEDURE_LABELS[proc.procedure]}」批量办理「{sdef.label}」",
                    "ids": ids or [],
                    "step": sdef,
                    "evidence": [e.value for e in sdef.evidence],
                }
    steps = [
        {
            "procedure": p.procedure.value,
            "procedure_label": wf.PROCEDURE_LABELS[p.procedure],
            "code": s.code,
            "label": s.label,
            "roles": "、".join(wf.ROLE_LABELS[r] for r in sorted(s.roles)),
        }
        for p in wf.PROCEDURES.values()
        for s in p.steps
        if s.from_state
    ]
    return render(
        request,
        "web/workflows/bulk.html",
        {
            "nav": NAV,
            "division": division,
            "year": year,
            "procedure": procedure,
            "step": step,
            "steps": steps,
            "confirm": confirm,
            "codes": post.get("codes", ""),
            "note": post.get("note", ""),
            "meeting": {
                k: post.get(k, "")
                for k in ("meeting_date", "attendance", "votes_for", "votes_against")
            },
            "consent": post.get("consent") == "on",
            "today": timezone.localdate().isoformat(),
        },
    )


def _without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _home_url() -> str:
    from django.urls import reverse

    return reverse("web:workflow_home")


#: The evidence files a step may carry (appraisal minutes, certificates).
STEP_FILES = ("minutes", "attachment")


def step_file(request: HttpRequest, case_id: int, step_id: int, kind: str) -> FileResponse:
    """Serve a step's evidence file to users who may see the case (files are never public)."""
    _need_view(request)
    case = _case(request, case_id)
    step = Step.objects.filter(pk=step_id, case=case).first()
    field = getattr(step, kind, None) if kind in STEP_FILES else None
    if not field:
        raise Http404("没有这份材料")
    return FileResponse(field.open("rb"), as_attachment=True, filename=Path(field.name).name)
