"""Base models shared by the apps."""

from __future__ import annotations

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
