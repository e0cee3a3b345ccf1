"""Public notice pages: no sign-in. They show names, groups and decisions only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from fupin.common.errors import FupinError
from fupin.divisions.selectors import division_path_name
from fupin.notices import selectors
from fupin.notices.forms import ObjectionForm
from fupin.notices.models import Notice, NoticeObjection, NoticeStatus
from fupin.notices.pdf import notice_pdf
from fupin.notices.services import notice_end_due, objection_submit
from fupin.policy import notices as policy

PAGE_SIZE = 20
_RECEIPT_SALT = "fupin.notices.objection"


def _code(value: str | None, length: int) -> str:
    value = (value or "").strip()
    return value if value.isdigit() and len(value) == length else ""


@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    notice_end_due()  # one UPDATE: notices whose period is over leave the list now
    county = _code(request.GET.get("county"), 6)
    township = _code(request.GET.get("township"), 9)
    if township and county and not township.startswith(county):
        township = ""
    division = township or county or None
    page = Paginator(selectors.notices_current(division=division), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    paths = selectors.division_path_names([n.division_id for n in page.object_list])
    for notice in page.object_list:
        notice.path_name = paths.get(notice.division_id, "")  # type: ignore[attr-defined]
    return render(
        request,
        "notices/public_list.html",
        {
            "page": page,
            "county": county,
            "township": township,
            "counties": selectors.notice_filter_divisions(3),
            "townships": selectors.notice_filter_divisions(4, county or None),
        },
    )


def _public_context(notice: Notice) -> dict[str, Any]:
    owner = policy.owner_code(notice.kind, notice.division_id)
    return {
        "notice": notice,
        "path_name": division_path_name(notice.division_id),
        "owner_name": division_path_name(owner).split(" ")[-1],
        "entries": list(selectors.notice_entries(notice))
        if notice.status != NoticeStatus.WITHDRAWN
        else [],
        "items": list(selectors.notice_items(notice))
        if notice.status != NoticeStatus.WITHDRAWN and notice.has_items
        else [],
        "is_open": notice.status == NoticeStatus.POSTED
        and notice.ends_at is not None
        and notice.ends_at > timezone.now(),
    }


def _get(notice_id: int) -> Notice:
    notice = selectors.notice_public_get(notice_id)
    if notice is None:
        raise Http404("没有这份公示")
    return notice


def _objection_form(notice: Notice, context: dict[str, Any], data: Any = None) -> ObjectionForm:
    choices = [
        (e.pk, f"{e.position}. {e.head_name}" + (f"（{e.group_name}）" if e.group_name else ""))
        for e in context["entries"]
    ]
    form = ObjectionForm(data, entries=choices)
    if notice.has_items:
        # A list of projects or allocations: the objection names the notice (one project's
        # notice, or the list as a whole) and says in its text what it is about.
        del form.fields["entry"]
    return form


@require_GET
def notice_detail(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = _get(notice_id)
    context = _public_context(notice)
    context["form"] = _objection_form(notice, context)
    return render(request, "notices/public_detail.html", context)


@require_GET
def notice_pdf_view(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = _get(notice_id)
    if notice.status == NoticeStatus.WITHDRAWN:
        raise Http404("该公示已撤回")
    response = HttpResponse(notice_pdf(_public_context(notice)), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{notice.pk}.pdf"'
    return response


@require_http_methods(["POST"])
def objection_create(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = _get(notice_id)
    context = _public_context(notice)
    form = _objection_form(notice, context, request.POST)
    if form.is_valid():
        try:
            objection = objection_submit(
                notice=notice,
                entry_id=form.cleaned_data.get("entry"),
                text=form.cleaned_data["text"],
                name=form.cleaned_data["name"],
                contact=form.cleaned_data["contact"],
                address=request.META.get("REMOTE_ADDR") or "",
            )
        except FupinError as error:
            form.add_error(None, error.message)
        else:
            token = signing.dumps(objection.pk, salt=_RECEIPT_SALT)
            url = reverse("notices:objection_received", args=[notice.pk])
            return redirect(f"{url}?t={token}")
    context["form"] = form
    messages.error(request, "异议未提交，请按提示修改。")
    return render(request, "notices/public_detail.html", context, status=400)


@require_GET
def objection_received(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = _get(notice_id)
    try:
        objection_id = signing.loads(
            request.GET.get("t", ""), salt=_RECEIPT_SALT, max_age=24 * 3600
        )
    except signing.BadSignature:
        raise Http404("回执无效或已过期") from None
    objection = NoticeObjection.objects.filter(pk=objection_id, notice=notice).first()
    if objection is None:
        raise Http404("回执无效")
    return render(
        request,
        "notices/public_received.html",
        {"notice": notice, "objection": objection},
    )
