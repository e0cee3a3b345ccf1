"""Template context: where the signed-in user works and what they may do."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from fupin.accounts.models import Role
from fupin.accounts.permissions import Action, can, user_role
from fupin.accounts.scoping import user_scope

#: The main navigation: (key, label, URL name, right needed). An entry whose page is not
#: installed (its URL does not resolve) is left out.
NAV: tuple[tuple[str, str, str, Action | None], ...] = (
    ("home", "首页", "web:home", None),
    ("households", "户列表", "web:household_list", Action.VIEW_REGISTRY),
    ("register", "登记新户", "web:household_new", Action.EDIT_REGISTRY),
    ("imports", "Excel 导入", "web:import_upload", Action.IMPORT),
    ("workflows", "识别与退出", "web:workflow_home", Action.VIEW_REGISTRY),
    ("notices", "公示公告", "web:notice_list", Action.VIEW_REGISTRY),
    ("sharing", "部门数据比对", "web:sharing_home", Action.VIEW_REGISTRY),
    ("evaluation", "退出评估", "web:evaluation_home", Action.VIEW_REGISTRY),
    ("measures", "帮扶", "web:measures_overdue", Action.VIEW_REGISTRY),
    ("funds", "项目资金", "web:funds_home", Action.VIEW_REGISTRY),
    ("deep_poverty", "深度贫困地区", "web:analysis_deep_poverty", Action.VIEW_REGISTRY),
    ("village_facts", "村情", "web:village_facts_list", Action.VIEW_REGISTRY),
    ("reports_tables", "统计报表", "web:reports_table_list", Action.VIEW_REGISTRY),
)


def _nav(request: HttpRequest) -> list[dict[str, str]]:
    items = []
    for key, label, name, action in NAV:
        if action is not None and not can(request.user, action):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"key": key, "label": label, "url": url})
    return items


def user_place(request: HttpRequest) -> dict[str, Any]:
    """Return the user's division (code, name path), role label and rights for the header."""
    user = request.user
    if not user.is_authenticated:
        return {}
    from fupin.divisions.selectors import division_path_name

    scope = user_scope(user)
    name = "全国" if scope == "" else ""
    if scope:
        try:
            name = division_path_name(scope)
        except Exception:  # a profile pointing at divisions not loaded here
            name = scope
    role = user_role(user)
    return {
        "place": {
            "scope": scope,
            "name": name or "（未分配区划）",
            "role": Role(role).label if role in Role.values else "",
        },
        "rights": {a.value: can(user, a) for a in Action},
        "nav_items": _nav(request),
    }
