"""The forms of a pairing's page: a year's agreement targets (one field per indicator, blank
is "not set") and one recorded achievement.

They only shape input; whether the user may write, the years and the figures' rules are the
services' (``fupin.funds.pairing_services``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.policy import funds_pairing as pfp


def target_field(code: str) -> str:
    return f"t_{code}"


class TargetsForm(forms.Form):
    """One optional figure per indicator; ``changes`` gives the services' mapping: the figures
    typed, and None for a target that was set and is now blank (cleared)."""

    year = forms.IntegerField(widget=forms.HiddenInput, min_value=2000, max_value=2100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for ind in pfp.INDICATORS:
            self.fields[target_field(ind.code)] = forms.DecimalField(
                label=f"{ind.name}（{ind.unit}）",
                required=False,
                max_digits=14,
                decimal_places=2,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )

    def changes(self, current: Mapping[str, Decimal | None]) -> dict[str, Decimal | None]:
        out: dict[str, Decimal | None] = {}
        for ind in pfp.INDICATORS:
            value = self.cleaned_data.get(target_field(ind.code))
            if value is not None:
                out[ind.code] = value
            elif current.get(ind.code) is not None:
                out[ind.code] = None
        return out


class AchievementForm(forms.Form):
    year = forms.IntegerField(widget=forms.HiddenInput, min_value=2000, max_value=2100)
    indicator = forms.ChoiceField(label=_("指标"), choices=pfp.PAIRING_INDICATOR.choices)
    value = forms.DecimalField(
        label=_("完成数"),
        max_digits=14,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    recorded_on = forms.DateField(
        label=_("记录日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    evidence = forms.CharField(
        label=_("佐证材料"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
