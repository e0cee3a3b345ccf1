"""The household's 明白卡 as a PDF: private, for the signed-in cadres of its division only.

Thin view: the right and the scope (a household outside the scope answers 404, like the
household page), then ``fupin.measures.card.card_pdf``. Never cached by the browser or a proxy.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from fupin.accounts.permissions import Action, can
from fupin.accounts.scoping import user_scope
from fupin.measures.card import card_pdf, card_year
from fupin.registry.selectors import household_visible


@require_GET
def household_card(request: HttpRequest, code: str) -> HttpResponse:
    if user_scope(request.user) is None or not can(request.user, Action.VIEW_REGISTRY):
        raise PermissionDenied("您没有权限访问此页面")
    household = household_visible(request.user, code)
    if household is None:
        raise Http404("未找到该户")
    raw = request.GET.get("year", "")
    if raw and not (raw.isdigit() and 2013 <= int(raw) <= 2100):
        raise Http404("年度无效")
    year = int(raw) if raw else card_year(household)
    response = HttpResponse(card_pdf(household, year), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="card-{household.code}-{year}.pdf"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
