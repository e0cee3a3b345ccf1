"""Forms of the funds pages (项目资金): the project proposal, a project's step, its funding and
payments, an allocation and the factor-method calculator. They parse and check the shape of
the input only; the rules are the services' (their refusals are shown with their code)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.policy import funds as pf
from fupin.policy.codes import CodeList


def _money(label: Any, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=required, max_digits=14, decimal_places=2, min_value=Decimal("0")
    )


def _date(label: Any, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def _choices(codes: CodeList) -> list[tuple[str, str]]:
    return [(c, codes.label_of(c)) for c in codes.codes]


class _Choosing(forms.Form):
    def _choice(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field


#: The sources shown first on the proposal form (the rest are folded away).
MAIN_SOURCES = ("central.development", "provincial", "county", "integrated", "east_west")


def source_field_name(code: str) -> str:
    return "budget_" + code.replace(".", "_")


class ProjectForm(_Choosing):
    """申报项目: the location (when the user may choose one), the villages served, the budget
    by source (one input per source; the total is checked against their sum by the service)
    and the benefits."""

    location = forms.ChoiceField(label=_("实施地点"), required=False)
    code = forms.CharField(label=_("项目编号"), max_length=40, required=False)
    name = forms.CharField(label=_("项目名称"), max_length=200)
    project_type = forms.ChoiceField(label=_("项目类别"), choices=_choices(pf.PROJECT_TYPE))
    villages = forms.MultipleChoiceField(
        label=_("受益村"), required=False, widget=forms.CheckboxSelectMultiple
    )
    budget = _money(_("总投资（元）"))
    benefit_kinds = forms.MultipleChoiceField(
        label=_("带贫减贫机制"),
        choices=_choices(pf.BENEFIT_KIND),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    benefit_link = forms.CharField(
        label=_("利益联结机制"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    performance_target = forms.CharField(
        label=_("绩效目标"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    implementing_unit = forms.CharField(label=_("实施单位"), max_length=200, required=False)
    expected_households = forms.IntegerField(label=_("预计受益户数"), min_value=0, initial=0)
    expected_poor_households = forms.IntegerField(label=_("其中贫困户数"), min_value=0, initial=0)
    start = _date(_("计划开工"), required=False)
    end = _date(_("计划完工"), required=False)
    proposed_on = _date(_("申报日期"))

    def __init__(
        self,
        *args: Any,
        locations: Sequence[tuple[str, str]] = (),
        villages: Sequence[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {}).setdefault("proposed_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self._choice("location").choices = list(locations)
        self.fields["location"].required = bool(locations)
        self._choice("villages").choices = list(villages)
        for code in pf.FUND_SOURCE.codes:
            self.fields[source_field_name(code)] = _money(
                pf.FUND_SOURCE.label_of(code), required=False
            )

    def source_fields(self) -> list[forms.BoundField]:
        return [self[source_field_name(c)] for c in pf.FUND_SOURCE.codes]

    def main_source_fields(self) -> list[forms.BoundField]:
        """The sources most projects draw on, shown first."""
        return [self[source_field_name(c)] for c in MAIN_SOURCES]

    def other_source_fields(self) -> list[forms.BoundField]:
        return [self[source_field_name(c)] for c in pf.FUND_SOURCE.codes if c not in MAIN_SOURCES]

    def other_sources_filled(self) -> bool:
        return any(f.value() not in (None, "") for f in self.other_source_fields())

    def budget_by_source(self) -> dict[str, Decimal]:
        data = self.cleaned_data
        return {
            c: data[source_field_name(c)]
            for c in pf.FUND_SOURCE.codes
            if data.get(source_field_name(c))
        }


class TransitionForm(forms.Form):
    target = forms.ChoiceField(label=_("办理"), choices=_choices(pf.PROJECT_STATUS))
    on = _date(_("办理日期"))
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class FundForm(_Choosing):
    """安排资金到项目 (the county office)."""

    holder = forms.ChoiceField(label=_("安排单位"))
    source = forms.ChoiceField(label=_("资金来源"), choices=_choices(pf.FUND_SOURCE))
    year = forms.IntegerField(label=_("资金年度"), min_value=2000, max_value=2100)
    amount = _money(_("金额（元）"))
    assigned_on = _date(_("安排日期"))
    document_number = forms.CharField(label=_("文号"), max_length=100, required=False)

    def __init__(self, *args: Any, holders: Sequence[tuple[str, str]] = (), **kw: Any) -> None:
        kw.setdefault("initial", {}).update(
            {"assigned_on": timezone.localdate(), "year": timezone.localdate().year}
        )
        super().__init__(*args, **kw)
        self._choice("holder").choices = list(holders)


class PaymentForm(_Choosing):
    """登记资金支付 (the county office)."""

    source = forms.ChoiceField(label=_("资金来源"), choices=_choices(pf.FUND_SOURCE))
    year = forms.IntegerField(label=_("资金年度"), min_value=2000, max_value=2100)
    amount = _money(_("金额（元）"))
    paid_on = _date(_("支付日期"))
    payee_kind = forms.ChoiceField(label=_("收款方类型"), choices=_choices(pf.PAYEE_KIND))
    payee = forms.CharField(label=_("收款单位或姓名"), max_length=200, required=False)
    village = forms.ChoiceField(label=_("收款村（村集体）"), required=False)
    household_code = forms.CharField(label=_("收款农户户编号"), max_length=40, required=False)
    item = forms.CharField(label=_("支付内容"), max_length=200, required=False)
    voucher_number = forms.CharField(label=_("凭证号"), max_length=60, required=False)

    def __init__(self, *args: Any, villages: Sequence[tuple[str, str]] = (), **kw: Any) -> None:
        kw.setdefault("initial", {}).update(
            {"paid_on": timezone.localdate(), "year": timezone.localdate().year}
        )
        super().__init__(*args, **kw)
        self._choice("village").choices = [("", "—"), *villages]


class AllocationForm(_Choosing):
    """资金下达 to a division one level below."""

    to_division = forms.ChoiceField(label=_("接收单位"))
    source = forms.ChoiceField(label=_("资金来源"), choices=_choices(pf.FUND_SOURCE))
    year = forms.IntegerField(label=_("资金年度"), min_value=2000, max_value=2100)
    amount = _money(_("金额（元）"))
    allocated_on = _date(_("下达日期"))
    document_number = forms.CharField(label=_("文号"), max_length=100, required=False)
    note = forms.CharField(label=_("说明"), max_length=500, required=False)

    def __init__(self, *args: Any, children: Sequence[tuple[str, str]] = (), **kw: Any) -> None:
        kw.setdefault("initial", {}).update(
            {"allocated_on": timezone.localdate(), "year": timezone.localdate().year}
        )
        super().__init__(*args, **kw)
        self._choice("to_division").choices = list(children)


def weight_field_name(factor: str) -> str:
    return f"w_{factor}"


def value_field_name(unit: str, factor: str) -> str:
    return f"v_{unit}_{factor}"


class FactorForm(forms.Form):
    """因素法测算: the total, source and year, a weight (%) per factor and each unit's factor
    values (prefilled from the rollups, editable; a blank is not recorded)."""

    total = _money(_("分配总额（元）"))
    source = forms.ChoiceField(label=_("资金来源"), choices=_choices(pf.FUND_SOURCE))
    year = forms.IntegerField(label=_("资金年度"), min_value=2000, max_value=2100)
    allocated_on = _date(_("下达日期"))
    document_number = forms.CharField(label=_("文号"), max_length=100, required=False)

    def __init__(
        self,
        *args: Any,
        factors: Sequence[pf.Factor] = (),
        units: Sequence[str] = (),
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self.factors = list(factors)
        self.units = list(units)
        for f in self.factors:
            self.fields[weight_field_name(f.code)] = forms.DecimalField(
                label=f.label, max_digits=6, decimal_places=2, min_value=Decimal("0")
            )
            for u in self.units:
                self.fields[value_field_name(u, f.code)] = forms.DecimalField(
                    label=f.label, required=False, max_digits=16, decimal_places=4
                )

    def parameters(self) -> pf.FundParameters:
        """The parameters with the weights entered; a factor weighted 0 is left out."""
        factors = []
        for f in self.factors:
            weight = Fraction(self.cleaned_data[weight_field_name(f.code)]) / 100
            if weight > 0:
                factors.append(replace(f, weight=weight))
        return replace(pf.DEFAULT_PARAMETERS, factors=tuple(factors))

    def unit_inputs(self, names: dict[str, str], p: pf.FundParameters) -> list[pf.FactorInputs]:
        used = [f.code for f in p.factors]
        return [
            pf.FactorInputs(
                u,
                {c: self.cleaned_data.get(value_field_name(u, c)) for c in used},
                names.get(u, u),
            )
            for u in self.units
        ]
