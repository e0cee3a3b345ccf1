from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from fupin.accounts.models import ApiToken, Profile
from fupin.accounts.services import (
    TOKEN_MAX_DAYS,
    api_token_create,
    api_token_revoke,
    user_is_administrator,
)
from fupin.common.errors import FupinError


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin[Profile]):
    list_display = ("user", "role", "division")
    list_filter = ("role",)
    raw_id_fields = ("division",)


class ApiTokenAddForm(forms.ModelForm[ApiToken]):
    days = forms.IntegerField(
        label="有效天数",
        required=False,
        min_value=1,
        max_value=TOKEN_MAX_DAYS,
        help_text="留空表示长期有效",
    )

    class Meta:
        model = ApiToken
        fields = ("user", "name")

    def clean_user(self) -> Any:
        user = self.cleaned_data["user"]
        if not user.is_active:
            raise forms.ValidationError("该用户已停用，不能创建令牌")
        return user


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    """Tokens for other systems: administrators only; the secret is shown once, on creation."""

    list_display = ("name", "user", "created_at", "last_used_at", "expires_at", "revoked")
    list_filter = ("revoked",)
    search_fields = ("name", "user__username")
    raw_id_fields = ("user",)
    actions = ["revoke"]
    readonly_fields = ("user", "name", "created_at", "last_used_at", "expires_at", "revoked")

    def _administrator(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_authenticated and user.is_active and user_is_administrator(user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._administrator(request)

    def has_view_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return self._administrator(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._administrator(request)

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return self._administrator(request)

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return self._administrator(request)

    def get_form(
        self, request: HttpRequest, obj: ApiToken | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> Any:
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> Any:
        return self.readonly_fields if obj is not None else ("user", "name", "days")

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:  # every field is read-only once created; revoking is an action
            return
        token, secret = api_token_create(
            user=obj.user, name=obj.name, days=form.cleaned_data.get("days")
        )
        # The admin logs and redirects with ``obj``: make it the stored token.
        obj.pk = token.pk
        obj._state.adding = False
        obj.refresh_from_db()
        self.message_user(
            request,
            f"令牌“{token.name}”已创建。密钥只显示这一次，请立即复制保存：{secret}",
            messages.WARNING,
        )

    @admin.action(description="撤销所选令牌")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        assert request.user.is_authenticated
        try:
            for token in queryset:
                api_token_revoke(token=token, by=request.user)
        except FupinError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, f"已撤销 {queryset.count()} 个令牌")
