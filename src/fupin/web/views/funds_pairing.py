"""The pairing pages (结对帮扶: 东西部协作、定点帮扶、万企帮万村, issue 10 item 6): the pairings
of the user's division, a pairing's page with its fulfilment table and the county office's
forms, and the home page's panel "谁在帮扶、到位多少" (loaded after the page).

Thin views: the right (``VIEW_REGISTRY``) and the user's division, one selector or service,
render. A pairing is readable when it helps or is helped in the user's subtree, or helps one of
its ancestors; otherwise it answers 404 like a missing one. Who may write is the services'
decision (their refusal is shown with its code); the forms are shown only to the users the
services would let through.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fupin.accounts.permissions import Action, can
from fupin.accounts.scoping import user_scope
from fupin.common.errors import FupinError
from fupin.divisions.models import LEVEL_OF_LENGTH, Division
from fupin.funds import pairing_selectors as sel
from fupin.funds.models import Partnership, PartnershipTarget
from fupin.funds.pairing_services import (
    achievement_record,
    may_edit,
    partnership_target_set,
)
from fupin.policy import funds as pf
from fupin.policy import funds_pairing as pfp
from fupin.web.forms.funds_pairing import AchievementForm, TargetsForm, target_field

NAV = "funds"


def _scope(request: HttpRequest) -> str:
    scope = user_scope(request.user)
    if scope is None or not can(request.user, Action.VIEW_REGISTRY):
        raise PermissionDenied(_("您没有权限访问此页面"))
    return scope


def _division(request: HttpRequest, scope: str) -> str:
    code = str(request.GET.get("division") or "").strip() or scope
    if code and not (code.isascii() and code.isdigit() and len(code) in LEVEL_OF_LENGTH):
        raise Http404(_("未找到区划"))
    if not code.startswith(scope):
        raise Http404(_("未找到区划"))
    return code


def _int(text: object, default: int, low: int = 2000, high: int = 2100) -> int:
    value = str(text or "").strip()
    return int(value) if value.isdigit() and low <= int(value) <= high else default


def _year(request: HttpRequest) -> int:
    """The year asked for, or the latest with targets set, or this year."""
    latest = PartnershipTarget.objects.aggregate(y=Max("year"))["y"]
    return _int(request.GET.get("year"), latest or timezone.localdate().year)


def _readable(scope: str, p: Partnership) -> bool:
    helped, helper = p.helped_id, p.helper_id or ""
    return (
        helped.startswith(scope)
        or (bool(helper) and helper.startswith(scope))
        or (scope.startswith(helped))
    )


def _partnership(request: HttpRequest, partnership_id: int) -> Partnership:
    scope = _scope(request)
    p = Partnership.objects.select_related("helped", "helper").filter(pk=partnership_id).first()
    if p is None or not _readable(scope, p):
        raise Http404(_("未找到该结对帮扶"))
    return p


def _detail_url(p: Partnership, year: int | None = None) -> str:
    url = reverse("web:funds_pairing", args=[p.pk])
    return f"{url}?year={year}" if year else url


def _years_of(p: Partnership, year: int) -> list[int]:
    last = p.to_year or max(year, timezone.localdate().year)
    return list(range(p.from_year, last + 1))


@require_GET
def pairing_list(request: HttpRequest) -> HttpResponse:
    """The pairings of the division (helping, helped or helping an ancestor) active in the
    year, with the funds linked that year and how many indicators are met."""
    scope = _scope(request)
    code = _division(request, scope)
    year = _year(request)
    rows = list(sel.partnerships_of(code, year))
    table = sel.fulfilment_table([p.pk for p in rows], year)
    by_pairing: dict[int, list[sel.FulfilmentRow]] = {}
    for r in table:
        by_pairing.setdefault(r.partnership_id, []).append(r)
    name = Division.objects.filter(code=code).values_list("name", flat=True).first()
    return render(
        request,
        "web/funds_pairing/list.html",
        {
            "nav": NAV,
            "division_code": code,
            "division_name": name or _("全国"),
            "year": year,
            "rows": [
                {
                    "p": p,
                    "kind": pf.PAIRING_KIND.label_of(p.kind),
                    "set": sum(1 for r in by_pairing.get(p.pk, []) if r.target is not None),
                    "met": sum(1 for r in by_pairing.get(p.pk, []) if r.met),
                    "url": _detail_url(p, year),
                    "linked": sel.figure(p.funds_linked),  # type: ignore[attr-defined]
                }
                for p in rows
            ],
        },
    )


def _detail_context(request: HttpRequest, p: Partnership, year: int) -> dict[str, Any]:
    table = sel.fulfilment_table([p.pk], year)
    current = {r.indicator: r.target for r in table}
    editable = may_edit(request.user, p.helped_id)
    return {
        "nav": NAV,
        "p": p,
        "kind": pf.PAIRING_KIND.label_of(p.kind),
        "year": year,
        "years": _years_of(p, year),
        "table": table,
        "funds": [
            {"f": f, "amount": sel.figure(f.allocation.amount)} for f in sel.partnership_funds(p)
        ],
        "achievements": [
            {"a": a, "value": sel.figure(a.value, pfp.indicator(a.indicator).money)}
            for a in sel.partnership_achievements(p, year)
        ],
        "editable": editable,
        "targets_form": TargetsForm(
            initial={"year": year}
            | {
                target_field(c): v if v is None or pfp.indicator(c).money else int(v)
                for c, v in current.items()
            }
        ),
        "achievement_form": AchievementForm(
            initial={"year": year, "recorded_on": timezone.localdate()}
        ),
        "labels": {i.code: i.name for i in pfp.INDICATORS},
    }


@require_GET
def pairing_detail(request: HttpRequest, partnership_id: int) -> HttpResponse:
    """A pairing: its parties, the year's fulfilment table (target, achieved, 完成率 — blanks
    as 未设定/未记录), the allocations linked to it, the year's records, and for the county
    office the forms that set the targets and record an achievement."""
    p = _partnership(request, partnership_id)
    year = _int(request.GET.get("year"), min(max(_year(request), p.from_year), p.to_year or 2100))
    return render(request, "web/funds_pairing/detail.html", _detail_context(request, p, year))


def _refusal(request: HttpRequest, exc: FupinError) -> None:
    messages.error(request, f"{exc.message}（{exc.code}）")


def _form_errors(request: HttpRequest, form: Any) -> None:
    problems = [
        f"{form.fields[k].label if k in form.fields else k}：{' '.join(str(e) for e in v)}"
        for k, v in form.errors.items()
    ]
    messages.error(request, _("未保存：") + "；".join(problems))


@require_POST
def pairing_targets(request: HttpRequest, partnership_id: int) -> HttpResponse:
    """Set the year's targets (blank clears a target that was set)."""
    p = _partnership(request, partnership_id)
    form = TargetsForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_detail_url(p, _int(request.POST.get("year"), 0) or None) + "#targets")
    year = form.cleaned_data["year"]
    current = {r.indicator: r.target for r in sel.fulfilment_table([p.pk], year)}
    try:
        partnership_target_set(
            partnership=p, year=year, targets=form.changes(current), by=request.user
        )
    except FupinError as exc:
        _refusal(request, exc)
        return redirect(_detail_url(p, year) + "#targets")
    messages.success(request, _("已保存 %(year)s 年协议指标") % {"year": year})
    return redirect(_detail_url(p, year) + "#fulfilment")


@require_POST
def pairing_achievement(request: HttpRequest, partnership_id: int) -> HttpResponse:
    """Record an achievement of the year."""
    p = _partnership(request, partnership_id)
    form = AchievementForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_detail_url(p, _int(request.POST.get("year"), 0) or None) + "#record")
    data = form.cleaned_data
    try:
        achievement_record(
            partnership=p,
            year=data["year"],
            indicator=data["indicator"],
            value=data["value"],
            recorded_on=data["recorded_on"],
            evidence=data["evidence"],
            by=request.user,
        )
    except FupinError as exc:
        _refusal(request, exc)
        return redirect(_detail_url(p, data["year"]) + "#record")
    messages.success(
        request,
        _("已记录 %(indicator)s %(value)s")
        % {"indicator": pfp.indicator(data["indicator"]).name, "value": data["value"]},
    )
    return redirect(_detail_url(p, data["year"]) + "#fulfilment")


@require_GET
def home_panel(request: HttpRequest) -> HttpResponse:
    """The home page's panel for a county (or a division in it): who helps it in the year and
    how much has arrived; above a county, the number of pairings with a link to the list."""
    scope = _scope(request)
    code = _division(request, scope)
    year = _year(request)
    list_url = reverse("web:funds_pairings") + f"?division={code}&year={year}"
    context: dict[str, Any] = {"year": year, "list_url": list_url, "county": len(code) >= 6}
    if len(code) >= 6:
        helpers = sel.helpers_of_county(code[:6], year)
        # A village sees its county's helpers, but another village's firm only as a figure.
        context["helpers"] = [
            {
                "h": h,
                "url": _detail_url(h.partnership, year) if _readable(code, h.partnership) else "",
            }
            for h in helpers
        ]
        context["linked_total"] = sel.figure(sum((h.funds_linked for h in helpers), Decimal(0)))
    else:
        context["count"] = sel.partnerships_of(code, year).count()
    return render(request, "web/funds_pairing/_home_panel.html", context)
