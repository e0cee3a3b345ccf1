"""Forms of the village facts (村情) pages: the one-village form and the import upload.

The form only gathers text: every value is judged by the service (``village_facts_save``),
whose per-field errors are put back on the fields, so the page, the import and the API refuse
the same values with the same words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms

from fupin.registry.village import CountyStatistics, VillageFacts
from fupin.registry.village_fields import (
    COUNTY_FIELDS,
    STATUS_LABELS,
    VILLAGE_FIELDS,
    FactField,
)

#: The three answers of a yes/no fact; the empty one is "not recorded".
BOOL_CHOICES = [("是", "是"), ("否", "否"), ("", "未录入")]
STATUS_CHOICES = [("", "未录入"), *((code, label) for code, label in STATUS_LABELS.items())]
_INPUT_MODES = {
    "year": "numeric",
    "count": "numeric",
    "small_count": "numeric",
    "share": "decimal",
    "money": "decimal",
    "distance": "decimal",
}
_UNITS = {"share": "%", "money": "元", "distance": "公里"}


def _field(spec: FactField) -> forms.Field:
    if spec.kind == "bool":
        return forms.ChoiceField(
            label=spec.heading,
            required=False,
            choices=BOOL_CHOICES,
            widget=forms.RadioSelect(attrs={"class": "yesno"}),
        )
    if spec.kind == "status":
        return forms.ChoiceField(label=spec.heading, required=False, choices=STATUS_CHOICES)
    return forms.CharField(
        label=spec.heading,
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": _INPUT_MODES[spec.kind], "autocomplete": "off"}),
        help_text=_UNITS.get(spec.kind, ""),
    )


class VillageFactsForm(forms.Form):
    """The facts of one village for one year, as text; blank means not recorded."""

    specs: tuple[FactField, ...] = VILLAGE_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for spec in self.specs:
            self.fields[spec.name] = _field(spec)

    def values(self) -> dict[str, str]:
        """The typed values, every field (so a cleared field clears the fact)."""
        return {spec.name: self.cleaned_data.get(spec.name) or "" for spec in self.specs}

    def put_errors(self, errors: Sequence[Mapping[str, Any]]) -> list[str]:
        """Put the service's per-field errors on the fields; return those without a field."""
        rest = []
        for e in errors:
            name = str(e.get("field") or "")
            if name in self.fields:
                self.add_error(name, str(e.get("message", "")))
            else:
                rest.append(str(e.get("message", "")))
        return rest


class CountyStatisticsForm(VillageFactsForm):
    """A county's statistics for one year (县统计数据), the same way."""

    specs = COUNTY_FIELDS


def initial_of(
    facts: VillageFacts | CountyStatistics | None, specs: tuple[FactField, ...] = VILLAGE_FIELDS
) -> dict[str, str]:
    """The form's initial text from a stored record (None values stay blank)."""
    if facts is None:
        return {}
    out: dict[str, str] = {}
    for spec in specs:
        value = getattr(facts, spec.name)
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            out[spec.name] = "是" if value else "否"
        else:
            out[spec.name] = str(value)
    return out


class FactsUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="数据类型",
        choices=[("village", "村情"), ("county", "县统计数据")],
        initial="village",
    )
    file = forms.FileField(
        label="选择文件",
        help_text="Excel（xlsx、xls）或 CSV 文件，格式同导入模板",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.ods,.csv"}),
    )
    dry_run = forms.BooleanField(label="只校验，不写入", required=False)
