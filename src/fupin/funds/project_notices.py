"""The public notices of projects and funds (资金项目公告公示), posted through ``fupin.notices``.

One mechanism for every public notice: a project's notices use the notice board of the
household procedures — its periods, its end by the job worker, its public objections, its
leak rules (``fupin.policy.notices.public_text``) — with a list of projects or allocations
instead of households (``NoticeItem``). What each notice shows follows the guidance's
content items ✔ [F9] (domain-next.md §1.3): 项目名称, 实施地点, 建设任务, 资金来源及规模, 实施期限,
实施单位, 绩效目标, 带贫减贫机制; allocation results by source, receiving division and amount.
No person is named: expected beneficiaries are counts.

- ``village``: 村级公示 of a proposed project (the township's review waits for it);
- ``township``: 乡镇公示 of a reviewed project (the county's decision waits for it);
- ``county``: 县级项目库入库公告 of approved projects (after the decision);
- ``completion``: 竣工公告 at the project site after acceptance.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from fupin.common.audit import audit_record
from fupin.common.errors import FupinError
from fupin.divisions.selectors import division_get, division_path_name
from fupin.funds import notice_facts
from fupin.funds.models import FundAllocation, Project
from fupin.funds.services import Actor, project_find
from fupin.notices.models import Notice
from fupin.notices.services import Item, notice_publish_items
from fupin.policy import funds as pf

ProjectNotice = notice_facts.ProjectNotice
project_notice_status = notice_facts.project_notices

PROJECT_COLUMNS = (
    "项目名称",
    "项目类别",
    "实施地点",
    "建设任务和绩效目标",
    "资金规模及来源（元）",
    "实施期限",
    "实施单位",
    "带贫减贫机制",
    "预计受益户数",
)
ALLOCATION_COLUMNS = ("资金来源", "下达单位", "资金年度", "金额（元）", "文号", "下达日期")

_TITLE = {
    "project_village": "扶贫项目入库村级公示",
    "project_township": "扶贫项目入库乡镇公示",
    "project_library": "县级脱贫攻坚项目库入库公告",
    "project_completion": "扶贫项目竣工公告",
}


def project_cells(project: Project, places: Sequence[str]) -> list[str]:
    """The public cells of a project, in ``PROJECT_COLUMNS`` order."""
    budget = "；".join(
        f"{pf.FUND_SOURCE.label_of(k)} {pf.money(Decimal(str(v)))}"
        for k, v in sorted(project.budget_by_source.items())
        if k in pf.FUND_SOURCE
    )
    period = "—"
    if project.start and project.end:
        period = f"{project.start:%Y年%m月} 至 {project.end:%Y年%m月}"
    kinds = "、".join(pf.BENEFIT_KIND.label_of(k) for k in project.benefit_kinds)
    link = f"{kinds}：{project.benefit_link}" if project.benefit_link else kinds
    households = f"{project.expected_households} 户"
    if project.expected_poor_households:
        households += f"（其中贫困户 {project.expected_poor_households} 户）"
    return [
        project.name,
        pf.PROJECT_TYPE.label_of(project.project_type),
        "、".join(places),
        project.performance_target,
        f"{pf.money(project.budget)}（{budget}）" if budget else pf.money(project.budget),
        period,
        project.implementing_unit or "—",
        link or "—",
        households,
    ]


def _places(project: Project) -> list[str]:
    codes = list(project.villages.values_list("code", flat=True)) or [project.division_id]
    return [division_path_name(c).split(" ")[-1] for c in codes]


def project_notice_publish(
    *,
    project: Project | str,
    level: str,
    by: Actor,
    days: int | None = None,
    on: datetime | None = None,
) -> Notice:
    """Post the project's notice of ``level`` (village, township, county or completion) and
    return it. Each is posted in the status its step needs (``STATUS_OF_KIND``); a second
    notice of the same kind is refused while the first is still up or has ended without an
    upheld objection (re-posting is for a project revised after an upheld objection, or one
    whose notice was withdrawn)."""
    kind = notice_facts.KIND_OF_LEVEL.get(level)
    if kind is None:
        raise FupinError(pf.FundCode.NOTICE_STAGE.value, f"公示层级“{level}”无效", {"level": level})
    with transaction.atomic():
        found = project_find(project, lock=True)
        needed = notice_facts.STATUS_OF_KIND[kind]
        if found.status != needed:
            raise FupinError(
                pf.FundCode.NOTICE_STAGE.value,
                f"{_TITLE[kind]}须在项目“{pf.PROJECT_STATUS.label_of(needed)}”时发布，"
                f"该项目现为“{pf.PROJECT_STATUS.label_of(found.status)}”",
                {"status": found.status},
            )
        standing = [
            n for n in notice_facts.project_notices(found.code, kind) if not n.upheld_objections
        ]
        if standing:
            raise FupinError(
                pf.FundCode.NOTICE_STAGE.value,
                f"该项目已发布{_TITLE[kind]}（{standing[0].starts_at:%Y-%m-%d} 起），"
                "撤回后或异议成立修改后方可重新发布",
                {"notice": standing[0].notice.pk},
            )
        # The county posts its library notice at the county, the completion notice at the
        # project site; the village and the township at the project's division.
        where = found.division_id[:6] if kind == "project_library" else found.division_id
        name = division_get(where).name
        notice = notice_publish_items(
            division_code=where,
            kind=kind,
            title=f"{name}{_TITLE[kind]}（{found.name}）",
            columns=PROJECT_COLUMNS,
            items=[Item(notice_facts.SUBJECT, found.code, project_cells(found, _places(found)))],
            by=by,
            period_days=days,
            now=on,
        )
        audit_record(
            by=by,
            action=f"project.notice.{level}",
            obj_type="project",
            obj_key=found.code,
            division=found.division_id,
            after={"notice": notice.pk, "kind": kind, "days": notice.period_days},
        )
    return notice


def allocation_notice_publish(
    *, division: str, year: int, by: Actor, days: int | None = None, on: datetime | None = None
) -> Notice:
    """Post the result of the funds ``division`` passed down or received in ``year``
    (财政专项扶贫资金分配结果公告, 谁分配、谁公开 ✔ [F9]); return it."""
    where = division_get(division)
    rows = list(
        FundAllocation.objects.filter(year=year, from_division_id=where.code)
        .select_related("to_division")
        .order_by("allocated_on", "pk")
    )
    if not rows:
        raise FupinError(
            "NOTICE_EMPTY", f"{where.name}{year} 年没有下达的资金，无需公告", {"year": year}
        )
    items = [
        Item(
            "allocation",
            str(a.pk),
            [
                pf.FUND_SOURCE.label_of(a.source_fund),
                a.to_division.name,
                f"{a.year} 年",
                pf.money(a.amount),
                a.document_number or "—",
                f"{a.allocated_on.year}年{a.allocated_on.month}月{a.allocated_on.day}日",
            ],
        )
        for a in rows
    ]
    with transaction.atomic():
        notice = notice_publish_items(
            division_code=where.code,
            kind="fund_allocation",
            title=f"{where.name}{year}年财政专项扶贫资金分配结果公告",
            columns=ALLOCATION_COLUMNS,
            items=items,
            by=by,
            period_days=days,
            now=on,
        )
        audit_record(
            by=by,
            action="funds.allocation.notice",
            obj_type="division",
            obj_key=where.code,
            division=where.code,
            after={"notice": notice.pk, "year": year, "allocations": len(items)},
        )
    return notice
