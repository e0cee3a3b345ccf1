"""Base models shared by the apps."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from fupin.policy import codes


def choices(code_list: codes.CodeList) -> list[tuple[str, str]]:
    """Django ``choices`` from a policy code list (codes stored, Chinese labels shown)."""
    return code_list.choices


class SourcedFact(models.Model):
    """A row of facts that records where it came from and when it was last confirmed.

    ``source`` is the origin of the row as a whole; ``field_sources`` overrides it per field
    when a single fact was later matched from a department or corrected by hand, so a report
    can count, for each household, the facts typed by hand against those that came in.
    """

    source = models.CharField(
        "数据来源",
        max_length=12,
        choices=choices(codes.FACT_SOURCE),
        default="manual",
    )
    field_sources = models.JSONField("字段来源", default=dict, blank=True)
    confirmed_at = models.DateTimeField("最近核实时间", default=timezone.now)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """One recorded change: who did what to which object, when, with the values before and after.

    Generic on purpose: ``obj_type`` and ``obj_key`` name the object (``household`` and its
    户编号, a workflow case and its id …), ``action`` is a stable code (``member.add``), and
    ``division`` is the division code the object lies under, so histories can be scoped like
    everything else. ``before``/``after`` hold only the fields that changed.
    """

    at = models.DateTimeField("时间", default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    division = models.CharField("区划代码", max_length=12, blank=True)
    obj_type = models.CharField("对象类型", max_length=40)
    obj_key = models.CharField("对象编号", max_length=64)
    action = models.CharField("操作", max_length=40)
    before = models.JSONField("修改前", null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField("修改后", null=True, blank=True, encoder=DjangoJSONEncoder)
    note = models.CharField("说明", max_length=500, blank=True)

    class Meta:
        verbose_name = "操作记录"
        verbose_name_plural = "操作记录"
        indexes = [
            models.Index(fields=["obj_type", "obj_key", "at"], name="audit_object_at"),
            models.Index(fields=["division", "at"], name="audit_division_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.obj_type}:{self.obj_key}"
