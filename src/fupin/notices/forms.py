"""Forms of the notice pages: the public objection, and the cadres' publish/resolve/withdraw."""

from __future__ import annotations

from django import forms

from fupin.notices.models import NoticeKind, ObjectionStatus
from fupin.policy import notices as policy


class ObjectionForm(forms.Form):
    entry = forms.TypedChoiceField(label="针对的户", required=False, coerce=int, empty_value=None)
    text = forms.CharField(
        label="异议内容",
        min_length=5,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "请写明异议内容",
            "min_length": "请写明异议内容（至少 5 个字）",
        },
    )
    name = forms.CharField(label="您的姓名（可不填）", required=False, max_length=50)
    contact = forms.CharField(
        label="联系方式（可不填，不公开）",
        required=False,
        max_length=100,
        help_text="仅供核查人员回复您，不会在公示上显示。",
    )

    def __init__(self, *args: object, entries: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["entry"].choices = [("", "整个名单"), *entries]  # type: ignore[attr-defined]


class PublishForm(forms.Form):
    # Project and fund notices are posted from the project and allocation pages (their lists
    # are records, not households).
    kind = forms.ChoiceField(
        label="公示类别",
        choices=[(k, v) for k, v in NoticeKind.choices if k not in policy.ITEM_KINDS],
    )
    title = forms.CharField(
        label="标题", required=False, max_length=200, help_text="不填则按村名和类别生成。"
    )
    period_days = forms.IntegerField(
        label="公示天数",
        required=False,
        min_value=policy.PERIOD_MIN_DAYS,
        max_value=policy.PERIOD_MAX_DAYS,
        help_text="不填则按类别默认：一般 7 天，防返贫监测 5 天。",
    )
    households = forms.MultipleChoiceField(
        label="公示的户",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请至少选择一户"},
    )

    def __init__(self, *args: object, households: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["households"].choices = households  # type: ignore[attr-defined]


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label="处理结果",
        choices=[
            (ObjectionStatus.UPHELD, ObjectionStatus.UPHELD.label),
            (ObjectionStatus.DISMISSED, ObjectionStatus.DISMISSED.label),
        ],
    )
    note = forms.CharField(
        label="核查情况与处理说明",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写核查情况和处理结果说明"},
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="撤回原因", max_length=500, error_messages={"required": "请填写撤回原因"}
    )
