"""The assistance pages of a household (帮扶情况), of the village cadre and of the 帮扶责任人:
the section of the household page, the form that records a measure, and the phone form that
records a visit.

Thin views: they check the right and the scope, call one selector or service, and render. A
household outside the user's scope answers 404, exactly like a missing one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fupin.accounts.permissions import Action, can
from fupin.accounts.scoping import user_scope
from fupin.common.errors import FupinError
from fupin.measures.models import Cadre, Pairing
from fupin.measures.pickers import cadre_picks, scope_picks
from fupin.measures.selectors import cadre_for_user, household_measures
from fupin.measures.services import may_edit_household, measure_record, visit_record
from fupin.policy import measures as pm
from fupin.registry import selectors as registry
from fupin.registry.models import Household
from fupin.web.forms.households import short_village_name
from fupin.web.forms.measures_household import MeasureForm, VisitForm, put_errors

#: How many of the latest visits the household page shows.
VISITS_SHOWN = 5


# --- the section of the household page --------------------------------------------------------


def household_section(
    request: HttpRequest, household: Household, year: int | None = None
) -> dict[str, Any]:
    """What ``web/measures/_household_section.html`` shows for the household in ``year``."""
    year = year or date.today().year
    found = household_measures(household, year)
    may_edit = may_edit_household(request.user, household)
    mine = cadre_for_user(request.user)
    current = [p for p in found.pairings if p.end is None]
    # Each cadre's latest visit among the latest shown (visits come newest first).
    latest: dict[int, date] = {}
    for v in found.visits:
        latest.setdefault(v.cadre_id, v.date)
    own = mine is not None and any(p.cadre_id == mine.pk for p in current)
    return {
        "year": year,
        "warnings": found.warnings,
        "current": [{"p": p, "last_visit": latest.get(p.cadre_id)} for p in current],
        "plan": found.plan,
        "plan_items": list(found.plan.items.all()) if found.plan else [],
        "measures": found.measures,
        "visits": found.visits[:VISITS_SHOWN],
        "visits_more": len(found.visits) > VISITS_SHOWN,
        "last_visit": found.last_visit,
        "overdue": found.overdue,
        "suggestions": [{"code": s.code, "sentence": s.sentence()} for s in found.suggestions],
        "show_phone": may_edit,
        "can_record_measure": may_edit,
        "can_record_visit": bool(current) and (may_edit or own),
    }


# --- recording a measure ----------------------------------------------------------------------


def _editable(request: HttpRequest, code: str) -> Household:
    """The household if the user may edit the registry (403) and reach it (404)."""
    if user_scope(request.user) is None or not can(request.user, Action.EDIT_REGISTRY):
        raise PermissionDenied("您没有权限访问此页面")
    household = registry.household_visible(request.user, code)
    if household is None:
        raise Http404("未找到该户")
    return household


def _measure_initial(request: HttpRequest, current: list[Pairing]) -> dict[str, Any]:
    initial: dict[str, Any] = {"start": date.today().isoformat(), "status": "in_progress"}
    first = next((p for p in current if p.order == "first"), current[0] if current else None)
    if first is not None:
        initial["cadre"] = str(first.cadre_id)
    suggestion = pm.SUGGESTION_BY_CODE.get(request.GET.get("suggestion", ""))
    if suggestion is not None:
        initial["category"] = suggestion.category
        if suggestion.subtypes:
            initial["subtype"] = suggestion.subtypes[0]
        initial["content"] = suggestion.advice
    category = request.GET.get("category", "")
    if category in pm.MEASURE_CATEGORY and "category" not in initial:
        initial["category"] = category
    return initial


@require_http_methods(["GET", "POST"])
def measure_new(request: HttpRequest, code: str) -> HttpResponse:
    household = _editable(request, code)
    members = list(registry.household_members(household))
    current = list(
        Pairing.objects.filter(household=household, end__isnull=True)
        .select_related("cadre")
        .order_by("order")
    )
    cadres: list[Cadre] = [p.cadre for p in current]
    post = request.POST if request.method == "POST" else None
    form = MeasureForm(
        post, members=members, cadres=cadres, initial=_measure_initial(request, current)
    )
    problems: list[str] = []
    if post is not None and form.is_valid():
        try:
            measure = measure_record(
                household_code=household.code, data=form.service_data(), by=request.user
            )
        except FupinError as exc:
            problems = put_errors(form, exc.details.get("errors") or [], exc.code, exc.message)
        else:
            messages.success(
                request,
                _("已录入帮扶措施：%(what)s。")
                % {"what": measure.get_subtype_display() or measure.get_category_display()},
            )
            return redirect(reverse("web:household_detail", args=[household.code]) + "#assistance")
    head = next((m for m in members if m.relation == "head"), None)
    context = {
        "nav": "households",
        "h": household,
        "head": head,
        "village_name": short_village_name(household.village.name),
        "form": form,
        "problems": problems,
        "refused": post is not None,
        "loan": form.is_loan,
        "no_members": not members,
    }
    return render(request, "web/measures/measure_new.html", context)


# --- recording a visit (phone first) ----------------------------------------------------------


def _picks(request: HttpRequest, cadre: Cadre | None) -> tuple[list[Any], bool, str]:
    """The pairings the user may record a visit for, whether the list was cut, the search."""
    if cadre is not None:
        return cadre_picks(cadre), False, ""
    scope = user_scope(request.user)
    if scope is None or not can(request.user, Action.EDIT_REGISTRY):
        raise PermissionDenied("只有帮扶责任人或村干部可以录入走访记录")
    q = request.GET.get("q", "").strip()[:40]
    household = request.GET.get("household", "").strip()[:32]
    if request.method == "POST":
        # The posted pairing must be one the user may pick: look it up without the list's cap.
        pairing = str(request.POST.get("pairing", ""))
        found = (
            Pairing.objects.filter(pk=int(pairing)).values_list("household__code", flat=True)
            if pairing.isdigit()
            else []
        )
        household = next(iter(found), "") or "-"
        q = ""
    picks, more = scope_picks(scope, q=q, household_code=household)
    return picks, more, q


@require_http_methods(["GET", "POST"])
def visit_new(request: HttpRequest) -> HttpResponse:
    cadre = cadre_for_user(request.user)
    picks, more, q = _picks(request, cadre)
    own = cadre is not None
    initial: dict[str, Any] = {}
    wanted = request.GET.get("household", "")
    chosen = next((p for p in picks if p.household_code == wanted), None)
    if chosen is not None:
        initial["pairing"] = str(chosen.pairing.pk)
    elif len(picks) == 1:
        initial["pairing"] = str(picks[0].pairing.pk)
    post = request.POST if request.method == "POST" else None
    form = VisitForm(post, request.FILES or None, picks=picks, own=own, initial=initial)
    problems: list[str] = []
    if post is not None and form.is_valid():
        pick = form.pick()
        try:
            visit_record(
                household_code=pick.household_code,
                cadre=pick.cadre,
                visit_date=form.cleaned_data["date"],
                content=form.cleaned_data["content"],
                next_step=form.cleaned_data.get("next_step") or "",
                minutes=form.cleaned_data.get("minutes"),
                photo=form.cleaned_data.get("photo"),
                latitude=form.cleaned_data.get("latitude"),
                longitude=form.cleaned_data.get("longitude"),
                by=request.user,
            )
        except FupinError as exc:
            problems = put_errors(form, exc.details.get("errors") or [], exc.code, exc.message)
        else:
            who = _("%(name)s家") % {"name": pick.head_name} if pick.head_name else ""
            messages.success(
                request,
                _("已保存 %(who)s（%(code)s）%(date)s 的走访记录。可以接着录入下一户。")
                % {"who": who, "code": pick.household_code, "date": form.cleaned_data["date"]},
            )
            return redirect("web:visit_new")
    context = {
        "nav": "visits",
        "form": form,
        "own": own,
        "cadre": cadre,
        "picks": picks,
        "more": more,
        "q": q,
        "problems": problems,
        "selected": str(form["pairing"].value() or ""),
    }
    return render(request, "web/measures/visit_new.html", context)
