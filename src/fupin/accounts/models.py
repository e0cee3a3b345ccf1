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


class ApiToken(models.Model):
    """A secret another system sends as ``Authorization: Bearer <secret>`` to use the API.

    Only a SHA-256 digest of the secret is stored: the secret is shown once, when the token is
    made (``fupin token create``, the admin), and cannot be read back. The token acts as its
    user, with the user's division scope and role.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField("名称", max_length=100)
    key_hash = models.CharField("密钥摘要（SHA-256）", max_length=64, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用时间", null=True, blank=True, editable=False)
    expires_at = models.DateTimeField("失效时间", null=True, blank=True)
    revoked = models.BooleanField("已撤销", default=False)

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"
        constraints = [
            # Every request looks its token up by digest: the unique index serves it.
            models.UniqueConstraint(fields=["key_hash"], name="apitoken_key_hash_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.user}）"
