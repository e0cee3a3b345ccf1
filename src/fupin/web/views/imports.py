"""Excel in and out: the import template, uploads as background jobs, exports of a list.

Thin views: they check the right (``Action.IMPORT`` / ``Action.EXPORT``) and the scope, call
one service or selector, and render. A job of another user answers 404 like a missing one.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fupin.accounts.permissions import Action, can
from fupin.accounts.scoping import user_scope
from fupin.common.errors import FupinError
from fupin.jobs.models import ImportJob, ImportStatus
from fupin.jobs.services import (
    import_job_commit_request,
    import_job_create,
)
from fupin.registry.imports.export import flat_rows
from fupin.registry.imports.workbook import export_workbook, template_workbook
from fupin.registry.selectors import HouseholdFilters, household_search

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Households in one export (a county holds ~30k; the national batch uses the CLI).
EXPORT_MAX_HOUSEHOLDS = 200_000


class UploadForm(forms.Form):
    file = forms.FileField(
        label="选择文件",
        help_text="Excel（xlsx、xls）或 CSV 文件，格式同导入模板",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )


def _scope(request: HttpRequest, action: Action) -> str:
    scope = user_scope(request.user)
    if scope is None or not can(request.user, action):
        raise PermissionDenied("您没有权限进行此操作")
    return scope


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    _scope(request, Action.IMPORT)
    job = ImportJob.objects.filter(pk=job_id, user_id=int(request.user.pk or 0)).first()
    if job is None:
        raise Http404("未找到该导入任务")
    return job


@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    scope = _scope(request, Action.IMPORT)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(
                user=request.user,  # type: ignore[arg-type]
                upload=form.cleaned_data["file"],
                scope=scope,
            )
        except FupinError as exc:
            form.add_error("file", f"{exc.message}（{exc.code}）")
        else:
            return redirect("web:import_job", job_id=job.pk)
    jobs = ImportJob.objects.filter(user_id=int(request.user.pk or 0)).order_by("-created_at")[:10]
    return render(
        request,
        "web/imports/upload.html",
        {"nav": "imports", "form": form, "jobs": jobs, "scope": scope},
    )


@require_GET
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    context: dict[str, Any] = {"nav": "imports", "job": job, "S": ImportStatus}
    if getattr(request, "htmx", False):
        return render(request, "web/imports/_job_panel.html", context)
    return render(request, "web/imports/job.html", context)


@require_POST
def import_commit(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    try:
        import_job_commit_request(job=job)
    except FupinError as exc:
        messages.error(request, exc.message)
    return redirect("web:import_job", job_id=job.pk)


@require_GET
def import_template(request: HttpRequest) -> FileResponse:
    _scope(request, Action.IMPORT)
    tmp = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)  # noqa: SIM115
    tmp.close()
    path = template_workbook(Path(tmp.name))
    response = FileResponse(
        _unlinking(path), as_attachment=True, filename="贫困户导入模板.xlsx", content_type=XLSX
    )
    return response


@require_GET
def import_errors(request: HttpRequest, job_id: int) -> FileResponse:
    job = _job(request, job_id)
    if not job.errors_file:
        raise Http404("该任务没有错误报告")
    stem = Path(job.original_name).stem or "import"
    return FileResponse(
        job.errors_file.open("rb"),
        as_attachment=True,
        filename=f"{stem}-错误标注.xlsx",
        content_type=XLSX,
    )


def filters_from(query: Any) -> HouseholdFilters:
    """Build the household list's filters from its query parameters (as the list reads them)."""

    def text(name: str) -> str:
        return str(query.get(name, "") or "").strip()

    year = text("year")
    return HouseholdFilters(
        division=text("village") or text("division"),
        status=text("status"),
        attribute=text("attribute"),
        cause=text("cause"),
        failing=text("failing"),
        year=int(year) if year.isdigit() else None,
        q=text("q"),
    )


@require_GET
def household_export(request: HttpRequest) -> HttpResponse | FileResponse:
    scope = _scope(request, Action.EXPORT)
    try:
        households = household_search(scope=scope, filters=filters_from(request.GET))
    except FupinError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    rows = flat_rows(households, limit=EXPORT_MAX_HOUSEHOLDS)
    tmp = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)  # noqa: SIM115
    tmp.close()
    path = Path(tmp.name)
    export_workbook(rows, path)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(
        _unlinking(path), as_attachment=True, filename=f"贫困户-{stamp}.xlsx", content_type=XLSX
    )


class _unlinking:
    """A file object that removes its file when the response closes it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh = path.open("rb")

    def read(self, size: int = -1) -> bytes:
        return self._fh.read(size)

    def close(self) -> None:
        self._fh.close()
        self.path.unlink(missing_ok=True)
