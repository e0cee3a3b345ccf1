"""Exit evaluation pages: the village exit table of a county and the county's third-party
evaluation (sample by stratum, verification, the four indicators and the decision).

Thin views: the right, the user's scope, one selector or service, render. An evaluation whose
county lies outside the user's scope answers 404 like a missing one.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from fupin.accounts.permissions import Action, can
from fupin.accounts.scoping import user_scope
from fupin.common.errors import FupinError
from fupin.divisions.models import Division
from fupin.evaluation import selectors, services
from fupin.evaluation.models import CountyEvaluation, EvaluationSample, Stratum
from fupin.policy import exit_standards as es
from fupin.reports.selectors import rollup_latest_year

PAGE_SIZE = 30
DEFAULT_YEAR = 2016


def _scope(request: HttpRequest, action: Action) -> str:
    scope = user_scope(request.user)
    if scope is None or not can(request.user, action):
        raise PermissionDenied("您没有权限访问此页面")
    return scope


def _int(value: str | None, default: int) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _county_for(scope: str, asked: str) -> str:
    """The county the page shows: the one asked for if the user reaches part of it, else the
    user's own county (for a user at county level or below), else none."""
    asked = asked.strip()
    if asked.isdigit() and len(asked) == 6 and (asked.startswith(scope) or scope.startswith(asked)):
        return asked
    return scope[:6] if len(scope) >= 6 else ""


@require_GET
def evaluation_home(request: HttpRequest) -> HttpResponse:
    scope = _scope(request, Action.VIEW_REGISTRY)
    county = _county_for(scope, request.GET.get("county", ""))
    county_obj = Division.objects.filter(code=county, level=3).first() if county else None
    if county and county_obj is None:
        county = ""
    years = selectors.village_exit_years(division_code=county) if county else []
    year = _int(
        request.GET.get("year"), years[0] if years else rollup_latest_year() or DEFAULT_YEAR
    )
    rows = (
        list(selectors.village_exit_rows(scope=scope, division_code=county, year=year))
        if county
        else []
    )
    counts = {d: sum(1 for r in rows if r.decision == d) for d in ("exit", "no_exit", "pending")}
    county_in_scope = bool(county) and county.startswith(scope)
    evaluations = list(
        selectors.county_evaluations(scope=scope, county=county if county else None)[:20]
    )
    return render(
        request,
        "web/evaluation/home.html",
        {
            "nav": "evaluation",
            "county": county_obj,
            "year": year,
            "years": years,
            "rows": [_village_row(r) for r in rows],
            "counts": counts,
            "evaluations": evaluations,
            "can_evaluate": can(request.user, Action.EVALUATE) and county_in_scope,
            "standards": es.DEFAULT_STANDARDS,
            "is_west": bool(county) and es.DEFAULT_STANDARDS.is_west(county),
        },
    )


def _village_row(row: Any) -> dict[str, Any]:
    explanation = row.explanation or {}
    failing = explanation.get("failing", [])
    labels = {c["code"]: c["label"] for c in explanation.get("criteria", [])}
    unknown = [
        labels.get(c["code"], c["code"])
        for c in explanation.get("criteria", [])
        if c.get("passed") is None
    ]
    if failing:
        reason = "未达标：" + "、".join(labels.get(f, f) for f in failing)
    elif unknown:
        reason = "待核实：" + "、".join(unknown)
    else:
        reason = "各项达标"
    return {
        "row": row,
        "incidence": es.pct(row.incidence),
        "conditions": [
            {"code": code, "label": es.CONDITION_LABELS.get(code, code), **value}
            for code, value in (row.conditions or {}).items()
            if code in es.CONDITION_LABELS
        ],
        "reason": reason,
    }


def _back(request: HttpRequest, county: str, year: int) -> HttpResponse:
    url = reverse("web:evaluation_home")
    return redirect(f"{url}?county={county}&year={year}" if county else url)


@require_POST
def evaluation_villages_run(request: HttpRequest) -> HttpResponse:
    scope = _scope(request, Action.EVALUATE)
    county = request.POST.get("county", "").strip()
    year = _int(request.POST.get("year"), 0)
    if not (county.isdigit() and len(county) == 6 and county.startswith(scope)) or not year:
        messages.error(request, "请选择本辖区内的县和年度（EVALUATION_ARGS）")
        return _back(request, "", year)
    try:
        n = services.village_exit_assess(division_code=county, year=year)
    except FupinError as exc:
        messages.error(request, f"{exc.message}（{exc.code}）")
    else:
        messages.success(request, f"已完成 {n} 个村的退出评估")
    return _back(request, county, year)


@require_POST
def evaluation_county_start(request: HttpRequest) -> HttpResponse:
    scope = _scope(request, Action.EVALUATE)
    county = request.POST.get("county", "").strip()
    year = _int(request.POST.get("year"), 0)
    if not (county.isdigit() and len(county) == 6 and county.startswith(scope)) or not year:
        messages.error(request, "请选择本辖区内的县和年度（EVALUATION_ARGS）")
        return _back(request, "", year)
    try:
        evaluation = services.county_evaluation_start(
            county=county,
            year=year,
            seed=_int(request.POST.get("seed"), 1),
            sample_size=_int(request.POST.get("sample_size"), 1000),
            method=request.POST.get("method", "proportional"),
            by=request.user,  # type: ignore[arg-type]
        )
    except FupinError as exc:
        messages.error(request, f"{exc.message}（{exc.code}）")
        return _back(request, county, year)
    messages.success(request, "已抽取样本，请逐户入户核查")
    return redirect("web:evaluation_county", evaluation_id=evaluation.pk)


def _visible(request: HttpRequest, action: Action, pk: int) -> CountyEvaluation:
    scope = _scope(request, action)
    evaluation = selectors.county_evaluation_visible(scope=scope, pk=pk)
    if evaluation is None:
        raise Http404("未找到该评估")
    return evaluation


def _indicator_rows(decision: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for c in decision.get("criteria", []):
        comparison = {"lt": "<", "gt": ">", "ge": "≥"}.get(c.get("comparison") or "", "")
        rows.append(
            {
                **c,
                "value_text": es.pct(c.get("value")),
                "ci_text": (
                    f"{es.pct(c['low'])} ～ {es.pct(c['high'])}"
                    if c.get("low") is not None and c.get("high") is not None
                    else "—"
                ),
                "threshold_text": f"{comparison} {es.pct(c.get('threshold'), 0)}",
            }
        )
    return rows


@require_GET
def evaluation_county(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    evaluation = _visible(request, Action.VIEW_REGISTRY, evaluation_id)
    progress = services.evaluation_progress(evaluation)
    sampled = sum(p.sampled for p in progress)
    verified = sum(p.verified for p in progress)
    decided = evaluation.status == CountyEvaluation.Status.DECIDED
    if decided:
        decision = evaluation.decision
    elif verified:
        # Provisional: the indicators over what has been verified so far.
        indicators = services.county_indicators(progress)
        decision = es.county_decision(
            county_code=evaluation.county_id, indicators=indicators, name=evaluation.county.name
        ).as_dict()
    else:
        decision = {}
    stratum = request.GET.get("stratum", "")
    if stratum not in Stratum.values:
        stratum = ""
    state = request.GET.get("state", "todo" if not decided else "")
    if state not in ("todo", "done", ""):
        state = ""
    samples = evaluation.samples.select_related("household", "frame_household", "village")
    if stratum:
        samples = samples.filter(stratum=stratum)
    if state == "todo":
        samples = samples.filter(verified_at__isnull=True)
    elif state == "done":
        samples = samples.filter(verified_at__isnull=False)
    page = Paginator(samples.order_by("stratum", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    can_verify = can(request.user, Action.EVALUATE) and not decided
    return render(
        request,
        "web/evaluation/county.html",
        {
            "nav": "evaluation",
            "evaluation": evaluation,
            "progress": progress,
            "sampled": sampled,
            "verified": verified,
            "percent": round(100 * verified / sampled) if sampled else 0,
            "decided": decided,
            "decision": decision,
            "decision_class": {"exit": "ok", "no_exit": "bad"}.get(
                decision.get("decision", ""), "warn"
            ),
            "indicators": _indicator_rows(decision),
            "page": page,
            "stratum": stratum,
            "state": state,
            "strata": Stratum.choices,
            "can_verify": can_verify,
            "can_decide": can(request.user, Action.EVALUATE) and not decided,
        },
    )


@require_POST
def evaluation_county_decide(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    evaluation = _visible(request, Action.EVALUATE, evaluation_id)
    try:
        services.county_evaluation_decide(evaluation=evaluation)
    except FupinError as exc:
        messages.error(request, f"{exc.message}（{exc.code}）")
    else:
        messages.success(request, "已作出判定")
    return redirect("web:evaluation_county", evaluation_id=evaluation.pk)


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


@require_POST
def evaluation_sample_verify(request: HttpRequest, sample_id: int) -> HttpResponse:
    scope = _scope(request, Action.EVALUATE)
    sample = selectors.sample_visible(scope=scope, pk=sample_id)
    if sample is None:
        raise Http404("未找到该样本户")
    poor = _yes_no(request.POST.get("should_be_poor", ""))
    satisfied = _yes_no(request.POST.get("satisfied", ""))
    error = ""
    if poor is None or satisfied is None:
        error = "请选择核查结论和群众是否认可（EVALUATION_OUTCOME_MISSING）"
    else:
        try:
            sample = services.sample_verify(
                sample=sample,
                should_be_poor=poor,
                satisfied=satisfied,
                notes=request.POST.get("notes", ""),
                by=request.user,  # type: ignore[arg-type]
            )
        except FupinError as exc:
            error = f"{exc.message}（{exc.code}）"
    if request.headers.get("HX-Request"):
        sample = EvaluationSample.objects.select_related(
            "household", "frame_household", "village", "evaluation"
        ).get(pk=sample.pk)
        return render(
            request,
            "web/evaluation/_sample.html",
            {"s": sample, "error": error, "can_verify": bool(error)},
            status=400 if error else 200,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "已记录核查结果")
    url = reverse("web:evaluation_county", kwargs={"evaluation_id": sample.evaluation_id})
    return redirect(url)
