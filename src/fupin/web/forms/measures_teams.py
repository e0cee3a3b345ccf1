"""The form of the work-team page that records a month's attendance of one team member.

It only shapes input (the members come from the team shown, the month is a YYYY-MM field);
whether the user may record it, and the days' limits, are the service's
(``fupin.measures.services.attendance_record``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.measures.models import TeamMember


class AttendanceForm(forms.Form):
    member = forms.TypedChoiceField(label=_("驻村干部"), coerce=int)
    month = forms.CharField(
        label=_("月份"),
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}),
    )
    days_present = forms.IntegerField(label=_("在村天数"), min_value=0, max_value=31)
    days_leave = forms.IntegerField(
        label=_("请假天数"), min_value=0, max_value=31, initial=0, required=False
    )
    days_official = forms.IntegerField(
        label=_("公出天数"), min_value=0, max_value=31, initial=0, required=False
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args: Any, members: Iterable[TeamMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        member = self.fields["member"]
        assert isinstance(member, forms.ChoiceField)
        member.choices = [(m.pk, f"{m.name}（{m.get_role_display()}）") for m in members]
        for name in ("days_present", "days_leave", "days_official"):
            self.fields[name].widget.attrs["inputmode"] = "numeric"

    def clean_month(self) -> date:
        text = str(self.cleaned_data["month"]).strip()
        try:
            year, month = (int(p) for p in text.split("-")[:2])
            return date(year, month, 1)
        except ValueError:
            raise forms.ValidationError(_("月份应为 年-月，如 2026-11")) from None
