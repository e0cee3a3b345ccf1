"""Forms of the household's assistance pages: record a measure, record a visit (phone first).

The forms only shape input: the choices come from what the registry already holds (the
household's members, its paired cadres, the code lists), and every rule is the measures
services' — their refusals are put back next to the fields by :func:`put_errors`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.measures.models import Cadre
from fupin.measures.pickers import VisitPick
from fupin.policy import measures as pm
from fupin.policy.idnumber import masked
from fupin.registry.models import Member

BLANK = ("", "—— 请选择 ——")

#: The loan's own fields, shown only for 扶贫小额信贷.
LOAN_FIELDS = ("term_months", "purpose")

#: Where a refusal code without a field of its own is shown.
CODE_FIELD = {
    "VISIT_DATE_FUTURE": "date",
    "VISIT_BEFORE_PAIRING": "date",
    "VISIT_NOT_PAIRED": "pairing",
    "MEASURES_UNKNOWN_MEMBER": "member",
    "MEASURE_DATES": "end",
    "MEASURE_AMOUNT_NEGATIVE": "amount",
    "MEASURE_AMOUNT_ABOVE_CAP": "amount",
    "MEASURE_UNKNOWN_SUBTYPE": "subtype",
    "MEASURE_SUBTYPE_MISMATCH": "subtype",
    "MEASURE_LOAN_TERM": "term_months",
    "MEASURE_LOAN_AGE": "member",
    "MEASURE_LOAN_BORROWER": "member",
    "MEASURE_LOAN_PURPOSE": "purpose",
    "MEASURE_PUBLIC_POST_MEMBER": "member",
    "MEASURE_PUBLIC_POST_LABOUR": "member",
    "MEASURE_SAFETY_NET_LABOUR": "reason",
    "MEASURES_CADRE_OUT_OF_COUNTY": "cadre",
}


def member_label(member: Member) -> str:
    """吉克阿呷（户主）513431********0012: who the member is, without retyping anything."""
    return f"{member.name}（{member.get_relation_display()}）{masked(member.id_number)}"


def subtype_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The sub-types grouped by category label (an optgroup per category)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, label in pm.MEASURE_SUBTYPE.items:
        groups.setdefault(pm.subtype_category(code), []).append((code, label))
    return [
        (pm.MEASURE_CATEGORY.label_of(c), groups[c])
        for c in pm.MEASURE_CATEGORY.codes
        if c in groups
    ]


def put_errors(
    form: forms.Form, errors: Sequence[Mapping[str, Any]], code: str, message: str
) -> list[str]:
    """Put every refusal next to its field; return every message (the list above the form)."""
    shown: list[str] = []
    for error in errors or [{"field": "", "code": code, "message": message}]:
        text = str(error.get("message") or message)
        name = str(error.get("field") or "")
        if name not in form.fields:
            name = CODE_FIELD.get(str(error.get("code") or ""), "")
        if name in form.fields and text not in form.errors.get(name, []):
            form.add_error(name, text)
        if text not in shown:
            shown.append(text)
    return shown


def _text(
    label: Any, *, required: bool = False, max_length: int = 300, **attrs: Any
) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.TextInput(attrs=attrs),
    )


class MeasureForm(forms.Form):
    """A measure carried out for one household. Fields take the service's field names."""

    category = forms.ChoiceField(label=_("措施类别"), choices=[BLANK, *pm.MEASURE_CATEGORY.choices])
    subtype = forms.ChoiceField(label=_("措施子类"), required=False)
    member = forms.ChoiceField(label=_("对象成员"), required=False)
    beneficiaries = forms.MultipleChoiceField(
        label=_("受益成员"), required=False, widget=forms.CheckboxSelectMultiple
    )
    amount = _text(_("金额（元）"), max_length=20, inputmode="decimal", autocomplete="off")
    start = forms.CharField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.CharField(
        label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(label=_("状态"), choices=pm.MEASURE_STATUS.choices)
    term_months = _text(_("贷款期限（月）"), max_length=4, inputmode="numeric", autocomplete="off")
    purpose = forms.ChoiceField(
        label=_("贷款用途"), required=False, choices=[BLANK, *pm.LOAN_PURPOSE.choices]
    )
    content = forms.CharField(
        label=_("措施内容"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    unit = _text(_("实施单位"), max_length=100)
    project = _text(_("所属项目"), max_length=64)
    cadre = forms.ChoiceField(label=_("责任人"), required=False)
    reason = _text(_("例外理由"))
    evidence = _text(_("佐证材料"))

    def __init__(
        self,
        *args: Any,
        members: Iterable[Member] = (),
        cadres: Iterable[Cadre] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["subtype"].choices = [BLANK, *subtype_choices()]
        fields["member"].choices = [
            ("", _("全户受益")),
            *((m.id_number, member_label(m)) for m in members),
        ]
        fields["beneficiaries"].choices = [(m.id_number, member_label(m)) for m in members]
        fields["cadre"].choices = [
            ("", "——"),
            *((str(c.pk), f"{c.name}（{c.unit}）") for c in cadres),
        ]
        fields["amount"].help_text = _("没有金额的留空。小额信贷 5 万元以下（含）。")
        fields["member"].help_text = _("借款人、上岗人员或受助对象；全户受益的不选。")
        fields["beneficiaries"].help_text = _(
            "其他受益的家庭成员（对象成员不必再选）；都不选为全户受益。"
        )
        fields["reason"].help_text = _("规则的例外须说明理由，如兜底对象有劳动能力的原因。")
        fields["evidence"].help_text = _("如合同、协议、发放记录的编号或存放处。")
        fields["term_months"].help_text = _("3 年以内，即 36 个月以内。")
        fields["purpose"].help_text = _("只能用于生产经营。")

    def service_data(self) -> dict[str, object]:
        """The cleaned values under the service's names (a loan's fields only for a loan)."""
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "", [])}
        if data.get("category") != "microcredit":
            for name in LOAN_FIELDS:
                data.pop(name, None)
        return data

    @property
    def is_loan(self) -> bool:
        return bool(self["category"].value() == "microcredit")


class VisitForm(forms.Form):
    """One visit: which household (and cadre), when, what was done, what comes next."""

    pairing = forms.ChoiceField(label=_("走访户"))
    date = forms.CharField(label=_("走访日期"), widget=forms.DateInput(attrs={"type": "date"}))
    content = forms.CharField(
        label=_("帮扶内容"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("做了什么、了解到什么")}),
    )
    next_step = forms.CharField(
        label=_("下一步"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    minutes = forms.IntegerField(
        label=_("时长（分钟）"),
        required=False,
        min_value=1,
        max_value=24 * 60,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    photo = forms.FileField(
        label=_("照片"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

    #: Where the visit is recorded: filled by the phone's location when the cadre asks for it.
    latitude = forms.FloatField(
        required=False, min_value=-90, max_value=90, widget=forms.HiddenInput
    )
    longitude = forms.FloatField(
        required=False, min_value=-180, max_value=180, widget=forms.HiddenInput
    )

    #: The largest photo accepted (a phone's camera picture is 2–6 MB).
    MAX_PHOTO = 12 * 1024 * 1024

    def __init__(self, *args: Any, picks: Sequence[VisitPick], own: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.picks = {str(p.pairing.pk): p for p in picks}
        fields: Any = self.fields
        fields["pairing"].choices = [
            ("", "—— 请选择 ——"),
            *((k, pick_label(p, own)) for k, p in self.picks.items()),
        ]
        if not own:
            fields["pairing"].label = _("走访户与帮扶责任人")
        today = timezone.localdate().isoformat()
        fields["date"].widget.attrs["max"] = today
        if not self.is_bound and not self.initial.get("date"):
            self.initial["date"] = today

    def clean_photo(self) -> Any:
        photo = self.cleaned_data.get("photo")
        if not photo:
            return None
        if photo.size > self.MAX_PHOTO:
            raise forms.ValidationError(_("照片超过 12 MB，请压缩后再上传"))
        kind = getattr(photo, "content_type", "") or ""
        if kind and not kind.startswith("image/"):
            raise forms.ValidationError(_("只能上传照片（图片文件）"))
        return photo

    def pick(self) -> VisitPick:
        return self.picks[self.cleaned_data["pairing"]]


def pick_label(p: VisitPick, own: bool) -> str:
    """吉克阿呷家 · 513431100201-0003 · 已逾期 (and the cadre's name when not one's own)."""
    parts = [_("%(name)s家") % {"name": p.head_name} if p.head_name else "", p.household_code]
    if not own:
        parts.append(f"{p.cadre.name}（{p.pairing.get_order_display()}）")
    if p.overdue:
        parts.append(str(_("已逾期")))
    elif p.last_visit:
        parts.append(_("上次 %(date)s") % {"date": p.last_visit.isoformat()})
    else:
        parts.append(str(_("未走访")))
    return " · ".join(str(x) for x in parts if x)
