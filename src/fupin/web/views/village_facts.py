"""The village facts (村情) pages: one village's form, a division's table, the Excel import.

Thin views: they check the right and the scope, call one selector or service, and render. A
village outside the user's scope answers 404 like a missing one; a user who may see a village
but not record its facts gets the facts read-only, and a POST from them is refused (403).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fupin.accounts.models import Role
from fupin.accounts.permissions import Action, can, user_role
from fupin.accounts.scoping import in_scope, user_scope
from fupin.common.errors import FupinError
from fupin.divisions.models import Division
from fupin.divisions.selectors import division_path_name
from fupin.policy import codes
from fupin.registry.imports.village_facts import (
    SPECS,
    FactsImportReport,
    Target,
    facts_import_file,
    facts_template_workbook,
)
from fupin.registry.village import CountyStatistics, VillageFacts
from fupin.registry.village_fields import (
    COUNTY_FIELDS,
    VILLAGE_FIELDS,
    YEAR_MAX,
    YEAR_MIN,
    FactField,
    display,
)
from fupin.registry.village_selectors import village_facts_get, villages_under
from fupin.registry.village_services import (
    county_statistics_may_edit,
    county_statistics_save,
    village_facts_may_edit,
    village_facts_save,
)
from fupin.web.forms.households import short_village_name
from fupin.web.forms.village_facts import (
    CountyStatisticsForm,
    FactsUploadForm,
    VillageFactsForm,
    initial_of,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 100
#: Errors shown on the page (the count is always complete).
SHOWN_ERRORS = 200


def _scope(request: HttpRequest) -> str:
    scope = user_scope(request.user)
    if scope is None or not can(request.user, Action.VIEW_REGISTRY):
        raise PermissionDenied("您没有权限访问此页面")
    return scope


def _may_import(request: HttpRequest) -> bool:
    return can(request.user, Action.IMPORT) or (
        user_role(request.user) == Role.TOWNSHIP_REVIEWER.value and request.user.is_active
    )


def _year(request: HttpRequest) -> int:
    text = str(request.GET.get("year") or request.POST.get("year") or "").strip()
    if text.isdigit() and YEAR_MIN <= int(text) <= YEAR_MAX:
        return int(text)
    return date.today().year


def _village(request: HttpRequest, code: str) -> Division:
    village = Division.objects.filter(code=code, level=5).first()
    if village is None or not in_scope(request.user, village.code):
        raise Http404("未找到该村")
    return village


def _source_label(facts: VillageFacts | CountyStatistics | None, name: str) -> str:
    if facts is None:
        return ""
    code = (facts.field_sources or {}).get(name)
    if code is None:
        return ""
    try:
        return codes.FACT_SOURCE.label_of(code)
    except KeyError:
        return str(code)


@dataclass(frozen=True)
class _FactsPage:
    """What differs between the village facts page and the county statistics page."""

    division: Division
    name: str
    record: VillageFacts | CountyStatistics | None
    years: list[int]
    specs: tuple[FactField, ...]
    form_class: type[VillageFactsForm]
    may_edit: bool
    refusal: str
    save: Callable[..., object]
    saved: str
    url_name: str
    list_division: str
    title: str = ""


def _facts_page(request: HttpRequest, page: _FactsPage, year: int) -> HttpResponse:
    """One record's form (or read-only table): save through the service, show its refusals
    on the fields, list the years recorded and each fact's source."""
    problems: list[str] = []
    code = page.division.code
    if request.method == "POST":
        if not page.may_edit:
            raise PermissionDenied(page.refusal)
        form = page.form_class(request.POST)
        if form.is_valid():
            try:
                page.save(code, year, form.values(), request.user)
            except FupinError as exc:
                problems = form.put_errors(exc.details.get("errors") or [])
                if not exc.details.get("errors"):
                    problems.append(exc.message)
            else:
                messages.success(request, page.saved.format(year=year))
                return redirect(f"{reverse(page.url_name, args=[code])}?year={year}")
    else:
        form = page.form_class(initial=initial_of(page.record, page.specs))
    rows = [
        {
            "label": spec.heading,
            "value": display(spec, getattr(page.record, spec.name) if page.record else None),
            "source": _source_label(page.record, spec.name),
        }
        for spec in page.specs
    ]
    context = {
        "nav": "village_facts",
        "village": page.division,
        "village_name": page.name,
        "title": page.title,
        "path": division_path_name(code),
        "year": year,
        "years": page.years,
        "facts": page.record,
        "rows": rows,
        "form": form,
        "may_edit": page.may_edit,
        "problems": problems,
        "list_url": (
            f"{reverse('web:village_facts_list')}?division={page.list_division}&year={year}"
        ),
    }
    return render(request, "web/village_facts/edit.html", context)


@require_http_methods(["GET", "POST"])
def village_facts_edit(request: HttpRequest, code: str) -> HttpResponse:
    _scope(request)
    village = _village(request, code)
    year = _year(request)
    page = _FactsPage(
        division=village,
        name=short_village_name(village.name),
        record=village_facts_get(village.code, year),
        years=list(
            VillageFacts.objects.filter(village_id=village.code)
            .order_by("-year")
            .values_list("year", flat=True)
        ),
        specs=VILLAGE_FIELDS,
        form_class=VillageFactsForm,
        may_edit=village_facts_may_edit(request.user, village.code),
        refusal="您没有权限录入该村的村情",
        save=lambda code, year, data, by: village_facts_save(
            village_code=code, year=year, data=data, by=by
        ),
        saved="已保存 {year} 年度村情。",
        url_name="web:village_facts_edit",
        list_division=village.code[:9],
    )
    return _facts_page(request, page, year)


def _division(request: HttpRequest, scope: str) -> str:
    wanted = str(request.GET.get("division") or "").strip()
    if wanted and wanted.isdigit() and len(wanted) in (2, 4, 6, 9, 12):
        if not wanted.startswith(scope):
            raise Http404("未找到该区划")
        return wanted
    return scope


@require_GET
def village_facts_list(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    division = _division(request, scope)
    year = _year(request)
    context: dict[str, Any] = {
        "nav": "village_facts",
        "year": year,
        "division": division,
        "upload": FactsUploadForm(),
        "may_import": _may_import(request),
    }
    context.update(_table(request, division, year))
    return render(request, "web/village_facts/list.html", context)


def _table(request: HttpRequest, division: str, year: int) -> dict[str, Any]:
    if not division:  # the whole country: choose a province first
        return {
            "rows": [],
            "headings": [],
            "need_division": True,
            "children": list(Division.objects.filter(level=1).values_list("code", "name")),
        }
    try:
        name = division_path_name(division)
    except FupinError:
        raise Http404("未找到该区划") from None
    paginator = Paginator(villages_under(division), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    villages = list(page.object_list)
    facts = {
        f.village_id: f
        for f in VillageFacts.objects.filter(village_id__in=[v.code for v in villages], year=year)
    }
    rows = [
        {
            "code": v.code,
            "name": short_village_name(v.name),
            "recorded": v.code in facts,
            "cells": [
                display(spec, getattr(facts[v.code], spec.name) if v.code in facts else None)
                for spec in VILLAGE_FIELDS
            ],
        }
        for v in villages
    ]
    children = (
        list(Division.objects.filter(parent_id=division).values_list("code", "name"))
        if len(division) < 9
        else []
    )
    return {
        "rows": rows,
        "headings": [spec.heading for spec in VILLAGE_FIELDS],
        "division_name": name,
        "page": page,
        "total": paginator.count,
        "recorded": VillageFacts.objects.filter(
            village__code__startswith=division, year=year
        ).count(),
        "children": children,
        "need_division": False,
    }


@require_POST
def village_facts_import(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if not _may_import(request):
        raise PermissionDenied("您没有权限导入村情")
    form = FactsUploadForm(request.POST, request.FILES)
    year = _year(request)
    division = _division(request, scope)
    report: FactsImportReport | None = None
    problem = ""
    if form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"upload{suffix}"
            with path.open("wb") as fh:
                for chunk in upload.chunks():
                    fh.write(chunk)
            try:
                report = facts_import_file(
                    target=form.cleaned_data["kind"],
                    path=path,
                    by=request.user,
                    dry_run=form.cleaned_data["dry_run"],
                    file_name=upload.name,
                )
            except FupinError as exc:
                problem = exc.message
    spec = SPECS[report.target] if report else None
    context: dict[str, Any] = {
        "nav": "village_facts",
        "year": year,
        "division": division,
        "upload": form,
        "may_import": True,
        "report": report,
        "spec": spec,
        "errors": [
            {
                "row": e.row,
                "column": spec.heading_of(e.column) if spec and e.column else "",
                "code": e.code,
                "message": e.message,
                "value": e.value or "",
            }
            for e in (report.errors[:SHOWN_ERRORS] if report else [])
        ],
        "shown_errors": SHOWN_ERRORS,
        "problem": problem,
    }
    context.update(_table(request, division, year))
    return render(request, "web/village_facts/list.html", context)


@require_GET
def village_facts_template(request: HttpRequest) -> FileResponse:
    _scope(request)
    kind: Target = "county" if request.GET.get("kind") == "county" else "village"
    tmp = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)  # noqa: SIM115
    tmp.close()
    path = facts_template_workbook(kind, Path(tmp.name))
    name = "村情导入模板.xlsx" if kind == "village" else "县统计数据导入模板.xlsx"
    response = FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type=XLSX)
    path.unlink()  # the open handle keeps the data readable on POSIX
    return response


@require_http_methods(["GET", "POST"])
def county_statistics_edit(request: HttpRequest, code: str) -> HttpResponse:
    """A county's statistics for a year (农村常住居民人均可支配收入, 乡村人口): read by everyone in
    scope, recorded by the county office; the same form and refusals as the village facts."""
    scope = _scope(request)
    county = Division.objects.filter(code=code, level=3).first()
    # Readable from the county's subtree too: a village or township reads its county's figures.
    if county is None or not (in_scope(request.user, county.code) or scope.startswith(county.code)):
        raise Http404("未找到该县")
    year = _year(request)
    page = _FactsPage(
        division=county,
        name=county.name,
        record=CountyStatistics.objects.filter(county_id=county.code, year=year).first(),
        years=list(
            CountyStatistics.objects.filter(county_id=county.code)
            .order_by("-year")
            .values_list("year", flat=True)
        ),
        specs=COUNTY_FIELDS,
        form_class=CountyStatisticsForm,
        may_edit=county_statistics_may_edit(request.user, county.code),
        refusal="只有县扶贫办可以录入县统计数据",
        save=lambda code, year, data, by: county_statistics_save(
            county_code=code, year=year, data=data, by=by
        ),
        saved="已保存 {year} 年度县统计数据。",
        url_name="web:county_statistics_edit",
        list_division=county.code,
        title="县统计数据",
    )
    return _facts_page(request, page, year)
