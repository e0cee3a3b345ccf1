"""The funds pages (项目资金, issue 10 item 7): the county office's funds page with the balance
by source, the allocations with the factor-method calculator, the monitoring flags and a
village's projects. The project library is in :mod:`fupin.web.views.funds_projects`.

Thin views: the right (``VIEW_REGISTRY``) and the user's division, one selector or service,
render. A division or village outside the scope answers 404 like a missing one. Who may write
is the services' decision (their refusal is shown with its code); the pages show a form only
to the users the services would let through.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from fupin.accounts.models import Role
from fupin.accounts.permissions import Action, can, user_role
from fupin.accounts.scoping import in_scope, user_scope
from fupin.common.errors import FupinError
from fupin.divisions.models import LEVEL_OF_LENGTH, Division
from fupin.funds import page_selectors as ps
from fupin.funds.page_services import allocations_record_by_factors
from fupin.funds.services import LEVEL_ROLE, allocation_record, parameters
from fupin.policy import funds as pf
from fupin.web.forms.households import short_village_name
from fupin.web.forms_funds import AllocationForm, FactorForm, value_field_name, weight_field_name

NAV = "funds"
NATIONAL_NAME = "全国"
OFFICE_ROLES = (Role.COUNTY_OFFICE.value, Role.ADMINISTRATOR.value)

User = AbstractBaseUser | AnonymousUser


# --- scope and division ----------------------------------------------------------------------


def scope_of(request: HttpRequest) -> str:
    """The user's division prefix; 403 without the registry right or a division."""
    scope = user_scope(request.user)
    if scope is None or not can(request.user, Action.VIEW_REGISTRY):
        raise PermissionDenied(_("您没有权限访问此页面"))
    return scope


@dataclass(frozen=True)
class Place:
    code: str
    name: str


def place_of(request: HttpRequest, scope: str) -> Place:
    """The division asked for (``?division=``, default the user's); outside the scope or
    unknown answers 404."""
    code = str(request.GET.get("division") or "").strip() or scope
    if not code:
        return Place("", NATIONAL_NAME)
    if not (code.isascii() and code.isdigit() and len(code) in LEVEL_OF_LENGTH):
        raise Http404(_("未找到区划"))
    if not code.startswith(scope):
        raise Http404(_("未找到区划"))
    found = Division.objects.filter(code=code).values_list("name", flat=True).first()
    if found is None:
        raise Http404(_("未找到区划"))
    return Place(code, found)


def is_office(user: User) -> bool:
    """The county office (or a prefecture's or province's office) and the administrator."""
    return user_role(user) in OFFICE_ROLES


def may_allocate(user: User, division_code: str) -> bool:
    """Whether the user may pass funds down from ``division_code`` (the services' rule)."""
    return is_office(user) and in_scope(user, division_code) and len(division_code) <= 6


def refusal_text(exc: FupinError) -> list[str]:
    """Every reason of a refusal, each with its code."""
    errors = exc.details.get("errors") or []
    if errors:
        return [f"{e.get('message', '')}（{e.get('code', exc.code)}）" for e in errors]
    return [f"{exc.message}（{exc.code}）"]


def refuse(request: HttpRequest, exc: FupinError) -> None:
    for line in refusal_text(exc):
        messages.error(request, line)


def form_problems(form: Any) -> list[str]:
    return [
        f"{form.fields[k].label if k in form.fields else ''}：{' '.join(str(e) for e in v)}"
        for k, v in form.errors.items()
    ]


def _with_division(name: str, code: str, **extra: Any) -> str:
    from urllib.parse import urlencode

    query = {k: v for k, v in {"division": code, **extra}.items() if v not in ("", None)}
    return reverse(name) + (f"?{urlencode(query)}" if query else "")


def user_levels(user: Any) -> set[str]:
    """The project levels the user acts at (the services' rule: the role *and* the division
    it is placed at); the administrator acts at every level."""
    role = user_role(user)
    if role == Role.ADMINISTRATOR.value:
        return {"village", "township", "county"}
    scope = user_scope(user) or ""
    level = {12: "village", 9: "township", 6: "county"}.get(len(scope), "")
    return {level} if level and LEVEL_ROLE.get(level) == role else set()


def may_propose(user: Any) -> bool:
    role = user_role(user)
    return bool(user_levels(user) & {"village", "township"}) or role in (
        Role.COUNTY_OFFICE.value,
        Role.ADMINISTRATOR.value,
    )


# --- the funds page --------------------------------------------------------------------------


@require_GET
def funds_home(request: HttpRequest) -> HttpResponse:
    """The division's funds: balance by source and year, a chart of funds by source, projects
    by status, the monitoring flags counted, and the split by deep-poverty status."""
    scope = scope_of(request)
    place = place_of(request, scope)
    if len(place.code) == 12:  # a village: its own page
        return redirect("web:funds_village", village_code=place.code)
    today = timezone.localdate()
    rows = ps.division_sources(place.code)
    by_source: dict[str, dict[str, Decimal]] = {}
    for r in rows:
        s = by_source.setdefault(
            r.label,
            {"received": Decimal("0.00"), "assigned": Decimal("0.00"), "paid": Decimal("0.00")},
        )
        s["received"] += r.received
        s["assigned"] += r.assigned
        s["paid"] += r.paid
    names = list(by_source)
    chart = {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 16, "bottom": 8, "top": 36, "containLabel": True},
        "xAxis": {"type": "value", "name": _("元")},
        "yAxis": {"type": "category", "data": names, "inverse": True},
        "series": [
            {"name": name, "type": "bar", "data": [float(v[key]) for v in by_source.values()]}
            for name, key in (
                (_("收到"), "received"),
                (_("安排到项目"), "assigned"),
                (_("已支付"), "paid"),
            )
        ],
    }
    flags = ps.flag_rows(place.code, today)
    statuses = ps.status_counts(place.code)
    deep = ps.deep_poverty_breakdown(place.code) if ps.has_deep_poverty_designations() else []
    totals = {
        k: sum((getattr(r, k) for r in rows), Decimal("0.00"))
        for k in ("received", "allocated", "assigned", "paid", "balance")
    }
    return render(
        request,
        "web/funds/home.html",
        {
            "nav": NAV,
            "place": place,
            "division_code": place.code,
            "division_name": place.name,
            "rows": rows,
            "totals": totals,
            "chart": chart if rows else None,
            "chart_height": 120 + 60 * len(names),
            "statuses": [
                {
                    "code": c,
                    "label": pf.PROJECT_STATUS.label_of(c),
                    "n": n,
                    "url": _with_division("web:funds_projects", place.code, status=c),
                }
                for c, n in statuses.items()
            ],
            "projects_total": sum(statuses.values()),
            "flag_count": len(flags),
            "flag_counts": ps.flag_counts(flags),
            "flags_url": _with_division("web:funds_flags", place.code),
            "projects_url": _with_division("web:funds_projects", place.code),
            "allocations_url": _with_division("web:funds_allocations", place.code),
            "deep": deep,
            "today": today,
        },
    )


# --- allocations ------------------------------------------------------------------------------


def _children(code: str) -> list[tuple[str, str]]:
    return [(c, f"{n}（{c}）") for c, n in ps.children_of(code).values_list("code", "name")]


@require_http_methods(["GET", "POST"])
def allocations(request: HttpRequest) -> HttpResponse:
    """Allocations received and made by the division; the county office allocates to a
    division one level below (a POST of the form)."""
    scope = scope_of(request)
    place = place_of(request, scope)
    allowed = may_allocate(request.user, place.code)
    children = _children(place.code) if allowed else []
    form = AllocationForm(request.POST or None, children=children)
    if request.method == "POST":
        if not allowed:
            raise PermissionDenied(_("只有扶贫部门（县级及以上）可以下达资金"))
        if form.is_valid():
            d = form.cleaned_data
            try:
                allocation = allocation_record(
                    source=d["source"],
                    from_division=place.code,
                    to_division=d["to_division"],
                    year=d["year"],
                    amount=d["amount"],
                    allocated_on=d["allocated_on"],
                    document_number=d["document_number"],
                    note=d["note"],
                    by=request.user,
                )
            except FupinError as exc:
                form.add_error(None, "；".join(refusal_text(exc)))
            else:
                messages.success(
                    request,
                    _("已下达 %(amount)s 元到 %(to)s")
                    % {"amount": allocation.amount, "to": allocation.to_division.name},
                )
                return redirect(_with_division("web:funds_allocations", place.code))
    received, made = ps.allocations_of(place.code)
    return render(
        request,
        "web/funds/allocations.html",
        {
            "nav": NAV,
            "place": place,
            "division_code": place.code,
            "received": list(received[:200]),
            "made": list(made[:200]),
            "form": form if allowed else None,
            "factor_url": _with_division("web:funds_factor", place.code) if allowed else "",
            "home_url": _with_division("web:funds_home", place.code),
        },
    )


@require_http_methods(["GET", "POST"])
def factor(request: HttpRequest) -> HttpResponse:
    """因素法测算: the divisions one level below with their factors (from the rollups,
    editable), the weights (editable), each unit's share and amount exact to the fen; the
    button "record" (``record=1``) stores one allocation per unit, all or nothing."""
    scope = scope_of(request)
    place = place_of(request, scope)
    if not may_allocate(request.user, place.code):
        raise PermissionDenied(_("只有扶贫部门（县级及以上）可以下达资金"))
    today = timezone.localdate()
    # The year of the figures the factors are read from (the latest rolled up by default);
    # the fund year is the form's.
    latest = ps.latest_rollup_year(place.code) or today.year
    data_year = _year(request.POST.get("data") or request.GET.get("data"), latest)
    units = ps.factor_units(place.code, data_year)
    names = {u.code: u.name for u in units}
    factors = list(parameters().factors)
    initial: dict[str, Any] = {
        "year": today.year,
        "allocated_on": today,
        "source": pf.FUND_SOURCE.codes[0],
        **{
            weight_field_name(f.code): Decimal(f.weight.numerator * 100) / f.weight.denominator
            for f in factors
        },
        **{value_field_name(u.code, c): v for u in units for c, v in u.values.items()},
    }
    form = FactorForm(
        request.POST or None,
        initial=initial,
        factors=factors,
        units=[u.code for u in units],
    )
    result: list[dict[str, Any]] = []
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        p = form.parameters()
        try:
            shares = pf.allocate_by_factors(d["total"], form.unit_inputs(names, p), p)
        except pf.FundsRefused as exc:
            problems = [f"{r.message}（{r.code.value}）" for r in exc.refusals]
        else:
            if request.POST.get("record") == "1":
                try:
                    done = allocations_record_by_factors(
                        from_division=place.code,
                        source=d["source"],
                        year=d["year"],
                        allocated_on=d["allocated_on"],
                        shares=shares,
                        document_number=d["document_number"],
                        by=request.user,
                    )
                except FupinError as exc:
                    problems = refusal_text(exc)
                else:
                    messages.success(
                        request,
                        _("已按因素法下达 %(n)s 笔资金，共 %(total)s 元")
                        % {
                            "n": len(done),
                            "total": pf.money(sum((a.amount for a in done), Decimal("0.00"))),
                        },
                    )
                    return redirect(_with_division("web:funds_allocations", place.code))
            result = [
                {"a": a, "lines": a.explain(p), "name": names.get(a.unit, a.unit)} for a in shares
            ]
    elif request.method == "POST":
        problems = form_problems(form)
    return render(
        request,
        "web/funds/factor.html",
        {
            "nav": NAV,
            "place": place,
            "division_code": place.code,
            "form": form,
            "factors": factors,
            "weight_fields": [form[weight_field_name(f.code)] for f in factors],
            "unit_rows": [
                {
                    "code": u.code,
                    "name": u.name,
                    "fields": [form[value_field_name(u.code, f.code)] for f in factors],
                }
                for u in units
            ],
            "result": result,
            "result_total": sum((r["a"].amount for r in result), Decimal("0.00")),
            "problems": problems,
            "data_year": data_year,
            "allocations_url": _with_division("web:funds_allocations", place.code),
        },
    )


def _year(text: object, default: int) -> int:
    value = str(text or "").strip()
    return int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else default


# --- monitoring flags ---------------------------------------------------------------------------


@require_GET
def flags(request: HttpRequest) -> HttpResponse:
    """The monitoring flags (动态监控) of the division as of today, counted by code, then the
    rows (``?code=`` keeps one code)."""
    scope = scope_of(request)
    place = place_of(request, scope)
    today = timezone.localdate()
    rows = ps.flag_rows(place.code, today)
    code = str(request.GET.get("code") or "")
    shown = [r for r in rows if r.flag.code == code] if code else rows
    return render(
        request,
        "web/funds/flags.html",
        {
            "nav": NAV,
            "place": place,
            "division_code": place.code,
            "today": today,
            "counts": ps.flag_counts(rows),
            "total": len(rows),
            "rows": shown[:500],
            "more": max(0, len(shown) - 500),
            "code": code,
            "home_url": _with_division("web:funds_home", place.code),
        },
    )


# --- a village's page ---------------------------------------------------------------------------


@require_GET
def village(request: HttpRequest, village_code: str) -> HttpResponse:
    """A village's projects and what each brings to whom: benefit kinds, expected households,
    what was paid to the village collective and to the village's households."""
    scope_of(request)
    found = Division.objects.filter(code=village_code, level=5).first()
    if found is None or not in_scope(request.user, found.code):
        raise Http404(_("未找到该村"))
    projects = ps.village_projects(found.code)
    payments = list(ps.household_payments(found.code)[:200])
    return render(
        request,
        "web/funds/village.html",
        {
            "nav": NAV,
            "village": found,
            "village_name": short_village_name(found.name),
            "projects": projects,
            "payments": payments,
            "totals": {
                "collective": sum((p.to_collective for p in projects), Decimal("0.00")),
                "households": sum((p.to_households for p in projects), Decimal("0.00")),
            },
            "projects_url": _with_division("web:funds_projects", found.code),
            "may_propose": may_propose(request.user),
        },
    )
