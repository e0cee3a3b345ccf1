"""Pages of department data sharing: home (datasets, runs, counts, upload), the village's
verification tasks (confirm / dismiss with a note, htmx), and the form-burden report.

Thin views: right check, the user's scope, one selector or service, render.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from fupin.accounts.permissions import Action, can
from fupin.accounts.scoping import user_scope
from fupin.common.errors import FupinError
from fupin.policy import feeds as fd
from fupin.policy.idnumber import masked
from fupin.sharing import selectors, services
from fupin.sharing.models import FEED_CHOICES, FLAG_TYPE_CHOICES, Flag

PAGE_SIZE = 30


class UploadForm(forms.Form):
    feed = forms.ChoiceField(label="数据类型", choices=FEED_CHOICES)
    provider = forms.CharField(label="提供部门", max_length=100)
    period = forms.CharField(label="数据期别", max_length=20, help_text="如 2020-06")
    legal_basis = forms.CharField(
        label="法律依据/授权说明", widget=forms.Textarea(attrs={"rows": 2})
    )
    file = forms.FileField(label="数据文件（CSV、Excel 或 Parquet）")


def _viewer_scope(request: HttpRequest) -> str | None:
    scope = user_scope(request.user)
    if scope is None or not can(request.user, Action.VIEW_REGISTRY):
        raise PermissionDenied("您没有权限访问此页面")
    return scope


@require_http_methods(["GET", "POST"])
def sharing_home(request: HttpRequest) -> HttpResponse:
    viewer = can(request.user, Action.VIEW_REGISTRY)
    uploader = services.can_upload(request.user)
    # A department provider has no division: it uploads, and sees no one's flags.
    if not (viewer and user_scope(request.user) is not None) and not uploader:
        raise PermissionDenied("您没有权限访问此页面")
    form = UploadForm()
    if request.method == "POST":
        if not uploader:
            raise PermissionDenied("只有部门数据提供方和系统管理员可以上传数据")
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            suffix = Path(upload.name).suffix.lower()
            target = services.datasets_dir().parent / "uploads" / f"{uuid.uuid4().hex}{suffix}"
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            try:
                ds = services.dataset_load(
                    path=target,
                    feed=form.cleaned_data["feed"],
                    provider=form.cleaned_data["provider"],
                    period=form.cleaned_data["period"],
                    legal_basis=form.cleaned_data["legal_basis"],
                    by=request.user,  # type: ignore[arg-type]
                    original_name=upload.name,
                )
                run = services.match_run(dataset=ds)
            except FupinError as exc:
                form.add_error(None, f"{exc.message}（{exc.code}）")
            else:
                messages.success(
                    request,
                    f"已载入 {ds.row_count} 行并完成比对，生成提示 {sum(run.counts.values())} 条",
                )
                return redirect("web:sharing_home")
            finally:
                target.unlink(missing_ok=True)
    summary = selectors.sharing_summary(scope=user_scope(request.user) if viewer else None)
    by_type = [
        {**row, "label": fd.flag_label(row["flag_type"]), "kind": fd.flag_kind(row["flag_type"])}
        for row in summary.by_type
    ]
    return render(
        request,
        "web/sharing/home.html",
        {
            "nav": "sharing",
            "summary": summary,
            "by_type": by_type,
            "form": form if uploader else None,
            "viewer": viewer,
            "kind_labels": fd.KIND_LABELS,
        },
    )


def _flag_context(request: HttpRequest, flag: Flag) -> dict[str, object]:
    return {
        "flag": flag,
        "label": fd.flag_label(flag.flag_type),
        "kind": fd.flag_kind(flag.flag_type),
        "kind_label": fd.KIND_LABELS[fd.flag_kind(flag.flag_type)],
        "evidence": _evidence_rows(flag),
        "can_edit": can(request.user, Action.EDIT_REGISTRY),
    }


#: Evidence fields that carry an ID number (a disability certificate number is the holder's ID
#: plus two digits): masked on the task cards like every ID number in a list.
ID_LIKE_EVIDENCE = frozenset({"certificate_no"})


def _evidence_rows(flag: Flag) -> list[tuple[str, object]]:
    code = fd.feed_of(fd.FlagType(flag.flag_type))
    labels = {f.name: f.label for f in fd.feed(code).fields} if code else {}
    return [
        (labels.get(k, k), masked(str(v)) if k in ID_LIKE_EVIDENCE else v)
        for k, v in flag.evidence.items()
        if v not in (None, "")
    ]


def sharing_tasks(request: HttpRequest) -> HttpResponse:
    scope = _viewer_scope(request)
    status = request.GET.get("status", "open")
    if status not in ("open", "confirmed", "dismissed", ""):
        status = "open"
    flag_type = request.GET.get("type", "")
    if flag_type not in dict(FLAG_TYPE_CHOICES):
        flag_type = ""
    division = request.GET.get("division", "").strip()
    if division and not (division.isdigit() and len(division) in (6, 9, 12)):
        division = ""
    qs = selectors.flag_tasks(scope=scope, division=division, status=status, flag_type=flag_type)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [_flag_context(request, f) for f in page.object_list]
    return render(
        request,
        "web/sharing/tasks.html",
        {
            "nav": "sharing",
            "page": page,
            "rows": rows,
            "status": status,
            "flag_type": flag_type,
            "division": division,
            "types": FLAG_TYPE_CHOICES,
            "statuses": [("open", "待核实"), ("confirmed", "已确认"), ("dismissed", "已排除")],
        },
    )


@require_POST
def flag_resolve_view(request: HttpRequest, pk: int) -> HttpResponse:
    scope = user_scope(request.user)
    if scope is None or not can(request.user, Action.EDIT_REGISTRY):
        raise PermissionDenied("您没有权限核实比对提示")
    flag = selectors.flag_visible(scope=scope, pk=pk)
    if flag is None:
        raise Http404("未找到该提示")
    error = ""
    try:
        flag = services.flag_resolve(
            flag=flag,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
            by=request.user,  # type: ignore[arg-type]
        )
    except FupinError as exc:
        error = exc.message
    if request.headers.get("HX-Request"):
        flag.refresh_from_db()
        ctx = {**_flag_context(request, flag), "error": error}
        return render(request, "web/sharing/_flag.html", ctx, status=400 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "已记录核实结果")
    return redirect("web:sharing_tasks")


def sharing_burden(request: HttpRequest) -> HttpResponse:
    scope = _viewer_scope(request)
    assert scope is not None
    division = request.GET.get("division", "").strip() or scope
    # Only the shapes of real division codes ("" for the whole country, 2/4/6/9/12 digits).
    shaped = division == "" or (division.isdigit() and len(division) in (2, 4, 6, 9, 12))
    if not division.startswith(scope) or not shaped:
        raise Http404("未找到该区划")
    rows = selectors.form_burden(scope=scope, division=division)
    total = selectors.burden_total(rows)
    up = ""
    if len(division) > len(scope):
        parent = {12: 9, 9: 6, 6: 4, 4: 2, 2: 0}[len(division)]
        up = division[:parent]
    return render(
        request,
        "web/sharing/burden.html",
        {
            "nav": "sharing",
            "rows": rows,
            "total": total,
            "division": division,
            "is_village": len(division) == 12,
            "up": up if len(up) >= len(scope) else None,
        },
    )
