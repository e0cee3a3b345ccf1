"""A user's place in the hierarchy: the division they work in and their role."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    VILLAGE_CADRE = "village_cadre", "村干部/第一书记"
    TOWNSHIP_REVIEWER = "township_reviewer", "乡镇审核员"
    COUNTY_OFFICE = "county_office", "县扶贫办"
    ANALYST = "analyst", "市/省/国家分析员"
    DEPARTMENT_PROVIDER = "department_provider", "部门数据提供方"
    INSPECTOR = "inspector", "督查/第三方评估"
    ADMINISTRATOR = "administrator", "系统管理员"


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    division = models.ForeignKey(
        "divisions.Division",
        verbose_name="所属区划",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    role = models.CharField("角色", max_length=24, choices=Role.choices)

    class Meta:
        verbose_name = "用户档案"
        verbose_name_plural = "用户档案"

    def __str__(self) -> str:
        return f"{self.user} {self.get_role_display()} {self.division_id or ''}"
