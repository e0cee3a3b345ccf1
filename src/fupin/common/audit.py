"""The audit trail: record who changed what, when, with the values before and after.

Services call :func:`audit_record` inside their transaction, so a refused write leaves no
event behind. Imports call :func:`audit_record_bulk`, one row per object in one
``INSERT … SELECT``. Pages read a history with :func:`audit_history`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.db.models import F, Value
from django.db.models.functions import Cast
from django.utils import timezone

from fupin.common.models import AuditEvent

#: Chinese labels of the action codes, for history pages. Other areas add their codes here.
ACTION_LABELS: dict[str, str] = {
    "household.register": "登记新户",
    "household.import": "批量导入",
    "household.update": "修改户信息",
    "member.add": "添加家庭成员",
    "member.update": "修改家庭成员信息",
    "income.record": "录入年度收支",
    "conditions.update": "更新生产生活条件",
    "village_facts.save": "录入村情",
    "village_facts.import": "批量导入村情",
    "county_statistics.save": "录入县统计数据",
    "county_statistics.import": "批量导入县统计数据",
    "measure.import": "批量导入帮扶措施",
    "pairing.import": "批量导入结对帮扶",
    "cadre.import": "批量导入帮扶责任人",
    "visit.import": "批量导入走访记录",
}


def _workflow_labels() -> dict[str, str]:
    """Labels of the procedures' action codes, ``wf.<procedure>.<step>`` (fupin.workflows)."""
    from fupin.policy import workflows as wf

    labels = {}
    for code, proc in wf.PROCEDURES.items():
        name = wf.PROCEDURE_LABELS[code]
        for step in proc.steps:
            labels[f"wf.{code}.{step.code}"] = f"{name}：{step.label}"
        labels[f"wf.{code}.objection"] = f"{name}：公示异议及核实"
        labels[f"wf.{code}.close"] = f"{name}：关闭案件"
        labels[f"wf.{code}.{wf.REVERIFY}"] = f"{name}：异议成立，重新核实"
    return labels


ACTION_LABELS.update(_workflow_labels())


def audit_action_label(code: str) -> str:
    """Return the Chinese label of an action code (the code itself when it has none)."""
    return ACTION_LABELS.get(code, code)


def _user_id(by: object | None) -> int | None:
    if by is None or not getattr(by, "is_authenticated", False):
        return None
    pk = getattr(by, "pk", None)
    return int(pk) if pk is not None else None


def _plain(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Return the values as JSON would store them (Decimal and dates as text)."""
    if values is None:
        return None
    loaded: dict[str, Any] = json.loads(json.dumps(dict(values), cls=DjangoJSONEncoder))
    return loaded


def audit_changes(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the (before, after) pair reduced to the keys whose stored value changed."""
    old = _plain(before) or {}
    new = _plain(after) or {}
    keys = [k for k in new if old.get(k) != new[k]]
    return {k: old.get(k) for k in keys}, {k: new[k] for k in keys}


def audit_record(
    *,
    by: object | None,
    action: str,
    obj_type: str,
    obj_key: str,
    division: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    note: str = "",
) -> AuditEvent:
    """Record one event; ``by`` is the acting user (None or anonymous for the system)."""
    return AuditEvent.objects.create(
        at=timezone.now(),
        by_id=_user_id(by),
        division=division,
        obj_type=obj_type,
        obj_key=str(obj_key),
        action=action,
        before=_plain(before),
        after=_plain(after),
        note=note[:500],
    )


def audit_record_bulk(
    *,
    by: object | None,
    action: str,
    obj_type: str,
    rows: models.QuerySet[Any],
    key_field: str,
    division_field: str,
    after: Mapping[str, Any] | None = None,
    note: str = "",
) -> int:
    """Record one event per row of ``rows`` in a single ``INSERT … SELECT``; return the count.

    ``key_field`` and ``division_field`` are paths from the rows' model to the object key and
    its division code (for households: ``code`` and ``village_id``). ``after`` is stored
    alike on every event (e.g. the import's file name and row count).
    """
    json_field = models.JSONField(encoder=DjangoJSONEncoder, null=True)
    by_id = _user_id(by)
    select = (
        rows.order_by()
        .annotate(
            audit_at=Value(timezone.now(), output_field=models.DateTimeField()),
            audit_division=Cast(F(division_field), models.CharField(max_length=12)),
            audit_obj_type=Value(obj_type, output_field=models.CharField()),
            audit_obj_key=Cast(F(key_field), models.CharField(max_length=64)),
            audit_action=Value(action, output_field=models.CharField()),
            audit_after=Value(_plain(after), output_field=json_field),
            audit_note=Value(note[:500], output_field=models.CharField()),
        )
        .values(
            "audit_at",
            "audit_division",
            "audit_obj_type",
            "audit_obj_key",
            "audit_action",
            "audit_after",
            "audit_note",
        )
    )
    sql, params = select.query.sql_with_params()
    qn = connection.ops.quote_name
    table = qn(AuditEvent._meta.db_table)
    columns = (
        "at",
        "by_id",
        "division",
        "obj_type",
        "obj_key",
        "action",
        "before",
        "after",
        "note",
    )
    # The user id is an int and the empty JSON columns are SQL NULL: written as literals, so
    # PostgreSQL does not have to guess the type of a NULL parameter.
    literal = {
        "by_id": "NULL" if by_id is None else str(by_id),
        "before": "NULL",
        "after": "NULL" if after is None else qn("audit_after"),
    }
    aliases = [literal.get(c) or qn(f"audit_{c}") for c in columns]
    with connection.cursor() as cursor:
        # Selecting by alias from the subquery keeps the column order right whatever order
        # the ORM writes the annotations in.
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(qn(c) for c in columns)}) "
            f"SELECT {', '.join(aliases)} FROM ({sql}) audit_rows",
            params,
        )
        return int(cursor.rowcount)


def audit_history(*, obj_type: str, obj_key: str, limit: int = 100) -> models.QuerySet[AuditEvent]:
    """Return the events of one object, newest first, with their users loaded."""
    return (
        AuditEvent.objects.filter(obj_type=obj_type, obj_key=str(obj_key))
        .select_related("by")
        .order_by("-at", "-pk")[:limit]
    )
