"""The five-level NBS statistical division hierarchy (统计用区划代码).

A division's code is its primary key and its prefix is its ancestry (2 digits province,
4 prefecture, 6 county, 9 township, 12 village), so a subtree is ``code LIKE 'prefix%'``.
"""

from __future__ import annotations

from django.db import models


class DivisionLevel(models.IntegerChoices):
    PROVINCE = 1, "省"
    PREFECTURE = 2, "市"
    COUNTY = 3, "县"
    TOWNSHIP = 4, "乡"
    VILLAGE = 5, "村"


#: Length of the code at each level.
CODE_LENGTH = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}
LEVEL_OF_LENGTH = {length: level for level, length in CODE_LENGTH.items()}


class Division(models.Model):
    code = models.CharField("区划代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=100)
    level = models.PositiveSmallIntegerField("级别", choices=DivisionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        db_constraint=False,  # loaded in bulk, level by level; integrity is checked by the loader
    )

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "code"], name="division_level_code")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=5), name="division_level_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"
