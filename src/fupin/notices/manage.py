"""The cadres' notice pages (signed in, under /notices/manage/): list, publish, objections."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from fupin.accounts.permissions import Action, can
from fupin.accounts.scoping import in_scope, user_scope
from fupin.common.errors import FupinError
from fupin.divisions.models import Division
from fupin.divisions.selectors import subtree_q
from fupin.notices import selectors
from fupin.notices.forms import PublishForm, ResolveForm, WithdrawForm
from fupin.notices.models import NoticeObjection, NoticeStatus
from fupin.notices.rights import may_manage_notice, may_post_notices
from fupin.notices.services import notice_publish, notice_withdraw, objection_resolve
from fupin.policy import notices as policy
from fupin.registry.selectors import households_visible

NAV = "notices"


def _need_view(request: HttpRequest) -> None:
    if not can(request.user, Action.VIEW_REGISTRY):
        raise PermissionDenied("您无权查看公示管理")


def notice_list(request: HttpRequest) -> HttpResponse:
    _need_view(request)
    status = request.GET.get("status") or ""
    if status not in NoticeStatus.values:
        status = ""
    page = Paginator(selectors.notices_visible(request.user, status=status or None), 30).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notices/manage_list.html",
        {
            "nav": NAV,
            "page": page,
            "status": status,
            "statuses": NoticeStatus.choices,
            "may_post": may_post_notices(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
def notice_new(request: HttpRequest) -> HttpResponse:
    if not may_post_notices(request.user):
        raise PermissionDenied("您无权发布公示")
    scope = user_scope(request.user)
    if scope is None:  # a cadre not yet placed in a division posts nowhere
        raise PermissionDenied("您尚未分配所属区划，不能发布公示")
    villages = Division.objects.filter(level=5)
    if scope:
        villages = villages.filter(subtree_q(scope))
    village_code = (request.GET.get("village") or request.POST.get("village") or "").strip()
    village = None
    if not village_code and villages.count() == 1:  # a village cadre: their own village
        village_code = villages.get().code
    if village_code:
        village = villages.filter(code=village_code).first()
        if village is None:
            raise Http404("没有这个村，或不在您的辖区内")
    households = []
    if village is not None:
        households = [
            (
                h.code,
                f"{getattr(h, 'head_name', '') or '（无户主）'} · {h.group_name} · "
                f"{getattr(h, 'member_count', 0)}人",
            )
            for h in households_visible(request.user, division=village.code)
        ]
    form = PublishForm(request.POST or None, households=households)
    if request.method == "POST" and village is not None and form.is_valid():
        kind = form.cleaned_data["kind"]
        title = form.cleaned_data["title"] or f"{village.name}{policy.kind_label(kind)}"
        try:
            notice = notice_publish(
                village_code=village.code,
                kind=kind,
                title=title,
                entries=form.cleaned_data["households"],
                period_days=form.cleaned_data["period_days"],
                by=request.user,
            )
        except FupinError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"已发布公示“{notice.title}”，公示 {notice.period_days} 天。")
            return redirect("web:notice_manage", notice_id=notice.pk)
    return render(
        request,
        "notices/manage_new.html",
        {
            "nav": NAV,
            "villages": villages.order_by("code").values_list("code", "name"),
            "village": village,
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


def notice_manage(request: HttpRequest, notice_id: int) -> HttpResponse:
    _need_view(request)
    notice = selectors.notice_visible(request.user, notice_id)
    if notice is None:
        raise Http404("没有这份公示")
    may = may_manage_notice(request.user, kind=notice.kind, division_code=notice.division_id)
    return render(
        request,
        "notices/manage_detail.html",
        {
            "nav": NAV,
            "notice": notice,
            "entries": selectors.notice_entries(notice),
            "items": selectors.notice_items(notice) if notice.has_items else [],
            "objections": selectors.notice_objections(notice),
            "may_manage": may,
            "resolve_form": ResolveForm(),
            "withdraw_form": WithdrawForm(),
        },
    )


@require_POST
def notice_withdraw_view(request: HttpRequest, notice_id: int) -> HttpResponse:
    _need_view(request)
    notice = selectors.notice_visible(request.user, notice_id)
    if notice is None:
        raise Http404("没有这份公示")
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写撤回原因")
    else:
        try:
            notice_withdraw(notice=notice, reason=form.cleaned_data["reason"], by=request.user)
        except FupinError as error:
            if error.code == "NOTICE_FORBIDDEN":
                raise PermissionDenied(error.message) from None
            messages.error(request, error.message)
        else:
            messages.success(request, "公示已撤回。")
    return redirect("web:notice_manage", notice_id=notice.pk)


@require_POST
def objection_resolve_view(request: HttpRequest, objection_id: int) -> HttpResponse:
    _need_view(request)
    objection = NoticeObjection.objects.select_related("notice").filter(pk=objection_id).first()
    if objection is None or not in_scope(request.user, objection.notice.division_id):
        raise Http404("没有这条异议")
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择处理结果并填写核查情况和处理说明")
    else:
        try:
            objection_resolve(
                objection=objection,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except FupinError as error:
            if error.code == "NOTICE_FORBIDDEN":
                raise PermissionDenied(error.message) from None
            messages.error(request, error.message)
        else:
            messages.success(request, "异议已处理。")
    return redirect("web:notice_manage", notice_id=objection.notice_id)
