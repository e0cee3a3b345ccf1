"""The household pages: the list, one household's file, and the forms of the village cadre.

Thin views: they check the right and the scope, call one selector or service, and render.
A household outside the user's scope answers 404, exactly like a missing one.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_http_methods

from fupin.accounts.permissions import Action, can
from fupin.accounts.scoping import user_scope
from fupin.assessment.services import household_explain
from fupin.common.audit import audit_action_label, audit_history
from fupin.common.errors import FupinError
from fupin.policy import codes, idnumber
from fupin.registry import selectors
from fupin.registry.imports.columns import BY_NAME
from fupin.registry.models import Household, HouseholdIncome, LivingConditions, Member
from fupin.registry.services import (
    HouseholdData,
    MemberData,
    conditions_update,
    household_register,
    income_record,
    member_add,
)
from fupin.web.forms.households import (
    HINTS,
    INCOME_ITEMS,
    INCOME_LABELS,
    MEMBER_BOOLS,
    ConditionsForm,
    HouseholdFilterForm,
    HouseholdForm,
    IncomeForm,
    MemberForm,
    MemberFormSet,
    errors_to_forms,
    short_village_name,
)
from fupin.web.views.measures_household import household_section

PAGE_SIZE = 50
#: The list counts its matches up to this many; beyond, it says "more than".
COUNT_CAP = 10_000

#: Short names of the rules for the list's assessment column.
RULE_SHORT = {
    "INCOME_ABOVE_LINE": "收入",
    "FOOD_SECURE": "吃",
    "CLOTHING_SECURE": "穿",
    "EDUCATION_GUARANTEED": "义务教育",
    "MEDICAL_INSURED": "医疗",
    "HOUSING_SAFE": "住房",
    "WATER_SAFE": "饮水",
}


def _scope(request: HttpRequest, action: Action) -> str:
    """Return the user's scope if they hold the right, else refuse with 403."""
    scope = user_scope(request.user)
    if scope is None or not can(request.user, action):
        raise PermissionDenied("您没有权限访问此页面")
    return scope


def _visible(request: HttpRequest, code: str) -> Household:
    household = selectors.household_visible(request.user, code)
    if household is None:
        raise Http404("未找到该户")
    return household


# --- the list ---------------------------------------------------------------------------------


def _filters(form: HouseholdFilterForm) -> selectors.HouseholdFilters:
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    # The village is passed on as typed: a code outside the scope yields an empty list
    # (household_search's rule) rather than silently showing everything.
    village = str(form.data.get("village", "")).strip()
    return selectors.HouseholdFilters(
        division=village if village.isdigit() and len(village) in (6, 9, 12) else "",
        status=data.get("status") or "",
        attribute=data.get("attribute") or "",
        cause=data.get("cause") or "",
        failing=data.get("failing") or "",
        q=data.get("q") or "",
    )


def _assessment_text(row: selectors.HouseholdRow) -> str:
    if row.meets_standard is None:
        return "未评估"
    if row.meets_standard:
        return "达标"
    return "未达标：" + "、".join(RULE_SHORT.get(c, c) for c in row.failed_codes)


def _export_url(request: HttpRequest, query: str) -> str | None:
    """The export page with the current filters, if that page is installed and allowed."""
    if not can(request.user, Action.EXPORT):
        return None
    try:
        url = reverse("web:household_export")
    except NoReverseMatch:
        return None
    return f"{url}?{query}" if query else url


@require_GET
def household_list(request: HttpRequest) -> HttpResponse:
    scope = _scope(request, Action.VIEW_REGISTRY)
    form = HouseholdFilterForm(request.GET or None, scope=scope)
    qs = selectors.household_search(scope=scope, filters=_filters(form))
    after = request.GET.get("after", "").strip()
    before = request.GET.get("before", "").strip()
    # Keyset pages over 户编号 (the unique index): each page costs the same at 1M persons.
    if before:
        items = list(qs.filter(code__lt=before).order_by("-code")[: PAGE_SIZE + 1])
        has_prev = len(items) > PAGE_SIZE
        items = items[:PAGE_SIZE][::-1]
        has_next = True
    else:
        if after:
            qs = qs.filter(code__gt=after)
        items = list(qs[: PAGE_SIZE + 1])
        has_next = len(items) > PAGE_SIZE
        items = items[:PAGE_SIZE]
        has_prev = bool(after)
    base = request.GET.copy()
    for key in ("after", "before", "page"):
        base.pop(key, None)
    query = base.urlencode()
    total = None
    if not (after or before):
        # Counted up to a cap so the first page stays fast over a whole province.
        total = (
            selectors.household_search(scope=scope, filters=_filters(form))
            .order_by()[: COUNT_CAP + 1]
            .count()
        )
    rows = [
        {
            "row": r,
            "village": short_village_name(r.household.village.name),
            "assessment": _assessment_text(r),
        }
        for r in selectors.household_rows(items)
    ]

    def page_url(key: str, value: str) -> str:
        q = base.copy()
        q[key] = value
        return f"?{q.urlencode()}"

    context = {
        "nav": "households",
        "form": form,
        "rows": rows,
        "total": total,
        "count_cap": COUNT_CAP,
        "next_url": page_url("after", items[-1].code) if has_next and items else None,
        "prev_url": page_url("before", items[0].code) if has_prev and items else None,
        "first_url": f"?{query}" if (after or before) else None,
        "export_url": _export_url(request, query),
        "can_edit": can(request.user, Action.EDIT_REGISTRY),
    }
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "household-table":
        return render(request, "web/households/_table.html", context)
    return render(request, "web/households/list.html", context)


# --- one household ----------------------------------------------------------------------------

_FIELD_LABELS: dict[str, str] = {
    **{
        f.name: str(f.verbose_name)
        for model in (Household, Member, HouseholdIncome, LivingConditions)
        for f in model._meta.concrete_fields
    },
    **{name: c.heading for name, c in BY_NAME.items()},
    "village_id": "所在村",
    "members": "家庭成员",
    "year": "年度",
}


def _value_text(name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if name == "members" and isinstance(value, list):
        return "、".join(str(m.get("name", "")) for m in value if isinstance(m, dict))
    column = BY_NAME.get(name) or BY_NAME.get(name.removesuffix("_1").removesuffix("_2"))
    code_list = column.code_list if column else None
    if name in ("other_cause_1", "other_cause_2", "main_cause"):
        code_list = codes.CAUSE
    if code_list is not None:
        try:
            return code_list.label_of(str(value))
        except KeyError:
            pass
    return str(value)


def _history(household: Household) -> list[dict[str, Any]]:
    events = []
    for e in audit_history(obj_type="household", obj_key=household.code):
        names = list(dict.fromkeys([*(e.after or {}), *(e.before or {})]))
        changes = [
            {
                "label": _FIELD_LABELS.get(n, n),
                "before": _value_text(n, (e.before or {}).get(n)) if e.before else None,
                "after": _value_text(n, (e.after or {}).get(n)) if e.after else None,
            }
            for n in names
        ]
        if e.before is None:  # a new record: its empty facts say nothing
            changes = [c for c in changes if c["after"] != "—"]
        events.append(
            {
                "at": e.at,
                "by": e.by.get_username() if e.by else "系统",
                "action": audit_action_label(e.action),
                "changes": changes,
                "note": e.note,
            }
        )
    return events


def _source(obj: Any, name: str | None = None) -> str:
    code = (obj.field_sources or {}).get(name, obj.source) if name else obj.source
    try:
        return codes.FACT_SOURCE.label_of(code)
    except KeyError:
        return str(code)


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _conditions_rows(conditions: LivingConditions | None) -> list[dict[str, Any]]:
    if conditions is None:
        return []
    rows = []
    skip = {"household", "source", "field_sources", "confirmed_at", "created_at", "updated_at"}
    for f in LivingConditions._meta.concrete_fields:
        if f.name in skip:
            continue
        value = getattr(conditions, f.attname)
        if f.choices and value:
            text = dict(f.flatchoices).get(value, value)
        elif isinstance(value, bool):
            text = "是" if value else "否"
        elif value is None or value == "":
            text = "未填"
        else:
            text = value
        rows.append(
            {
                "label": f.verbose_name,
                "value": text,
                "source": _source(conditions, f.name)
                if f.name in (conditions.field_sources or {})
                else "",
            }
        )
    return rows


def _income_table(incomes: list[HouseholdIncome], years: int = 3) -> dict[str, Any] | None:
    shown = incomes[:years]
    if not shown:
        return None
    return {
        "records": shown,
        "rows": [
            {
                "label": INCOME_LABELS[name],
                "values": [getattr(i, name) for i in shown],
                "sources": [
                    _source(i, name) if name in (i.field_sources or {}) else "" for i in shown
                ],
            }
            for name in INCOME_ITEMS
        ],
    }


@require_GET
def household_detail(request: HttpRequest, code: str) -> HttpResponse:
    _scope(request, Action.VIEW_REGISTRY)
    household = _visible(request, code)
    detail = selectors.household_detail(household.pk)
    if detail is None:
        raise Http404("未找到该户")
    explanation = None
    explain_error = ""
    try:
        explanation = household_explain(household=detail.household)
    except FupinError as exc:
        explain_error = exc.message
    today = date.today()
    members = [
        {
            "m": m,
            "age": _age(m.birth_date, today),
            "source": _source(m),
            "insurance": [
                label
                for flag, label in (
                    (m.basic_medical, "基本医疗"),
                    (m.serious_illness_insurance, "大病保险"),
                    (m.pension, "养老保险"),
                    (m.dibao, "低保"),
                    (m.tekun, "特困供养"),
                )
                if flag
            ],
        }
        for m in detail.members
    ]
    context = {
        "nav": "households",
        "h": detail.household,
        "village_name": short_village_name(detail.household.village.name),
        "detail": detail,
        "members": members,
        "household_source": _source(detail.household),
        "income": _income_table(detail.incomes),
        "conditions": detail.conditions,
        "conditions_rows": _conditions_rows(detail.conditions),
        "conditions_source": _source(detail.conditions) if detail.conditions else "",
        "explanation": explanation,
        "explain_error": explain_error,
        "history": _history(detail.household),
        "can_edit": can(request.user, Action.EDIT_REGISTRY),
        "other_causes": [codes.CAUSE.label_of(c) for c in detail.household.other_causes],
        "assistance": household_section(
            request, detail.household, explanation.year if explanation else None
        ),
    }
    return render(request, "web/households/detail.html", context)


# --- the ID number check ------------------------------------------------------------------------


@require_GET
def id_check(request: HttpRequest) -> HttpResponse:
    """Check an ID number as it is typed; answer the verdict with birth date and sex."""
    _scope(request, Action.EDIT_REGISTRY)
    value = request.GET.get("id")
    if value is None:
        value = next((str(v) for k, v in request.GET.items() if k.endswith("id_number")), "")
    return render(request, "web/households/_id_verdict.html", {"v": _id_verdict(value)})


def _id_verdict(value: str) -> dict[str, Any]:
    if not value.strip():
        return {"checked": False}
    result = idnumber.check(value)
    return {
        "checked": True,
        "valid": result.valid,
        "message": result.message or "",
        "normalized": result.normalized or "",
        "changed": bool(result.normalized and result.normalized != value.strip()),
        "birth_date": result.birth_date.isoformat() if result.birth_date else "",
        "sex": codes.SEX.label_of(result.sex) if result.sex else "",
    }


# --- forms ------------------------------------------------------------------------------------


def _member_data(form: MemberForm) -> MemberData:
    d = form.cleaned_data
    return MemberData(
        name=d["name"],
        id_number=d["id_number"],
        relation=d["relation"],
        ethnicity=d["ethnicity"],
        education=d.get("education") or "",
        school_status=d.get("school_status") or "",
        school_exempt_physical=bool(d.get("school_exempt_physical")),
        health=d.get("health") or "",
        labour_capacity=d.get("labour_capacity") or "",
        migrant_work=d.get("migrant_work") or "",
        migrant_months=d.get("migrant_months"),
        **{name: bool(d.get(name)) for name in MEMBER_BOOLS},
    )


def _member_fieldsets(forms: list[MemberForm]) -> list[dict[str, Any]]:
    return [{"form": f, "id": _id_verdict(f.id_value())} for f in forms]


@require_http_methods(["GET", "POST"])
def household_new(request: HttpRequest) -> HttpResponse:
    scope = _scope(request, Action.EDIT_REGISTRY)
    post = request.POST if request.method == "POST" else None
    form = HouseholdForm(post, scope=scope)
    conditions = ConditionsForm(post, prefix="c", registration=True)
    income = IncomeForm(post, prefix="i", year_required=False)
    members = MemberFormSet(post, prefix="m", initial=[{"relation": "head"}])
    problems: list[str] = []
    refused = False
    if post is not None and "add_member" in post:
        # Without JavaScript "add member" posts the form back with one more member row.
        more = post.copy()
        more["m-TOTAL_FORMS"] = str(int(post.get("m-TOTAL_FORMS", "1")) + 1)
        members = MemberFormSet(more, prefix="m")
        for f in [*members.forms, form, conditions, income]:
            f._errors = ErrorDict()  # type: ignore[attr-defined]
    elif post is not None:
        valid = [form.is_valid(), conditions.is_valid(), income.is_valid(), members.is_valid()]
        if all(valid):
            filled = members.filled_forms()  # type: ignore[attr-defined]
            village = form.cleaned_data["village"]
            code = form.cleaned_data["code"] or selectors.household_code_next(village)
            income_values: dict[str, Any] = {}
            if not income.is_empty():
                income_values = {"income_year": income.cleaned_data["year"], **income.items()}
                if income.cleaned_data.get("household_size"):
                    income_values["household_size"] = income.cleaned_data["household_size"]
            data = HouseholdData(
                code=code,
                main_cause=form.cleaned_data["main_cause"],
                first_identified_year=form.cleaned_data["first_identified_year"],
                attribute=form.cleaned_data["attribute"],
                standard=form.cleaned_data["standard"],
                other_causes=form.cleaned_data["other_causes"],
                group_name=form.cleaned_data["group_name"],
                phone=form.cleaned_data["phone"],
                bank_name=form.cleaned_data["bank_name"],
                bank_account=form.cleaned_data["bank_account"],
                military_family=form.cleaned_data["military_family"],
                one_child=form.cleaned_data["one_child"],
                two_daughters=form.cleaned_data["two_daughters"],
                relocated=form.cleaned_data["relocated"],
                conditions=conditions.values(),
                income=income_values,
            )
            try:
                household = household_register(
                    village_code=village,
                    data=data,
                    members=[_member_data(f) for f in filled],
                    by=request.user,
                )
            except FupinError as exc:
                errors = exc.details.get("errors") or []
                problems = errors_to_forms(
                    errors, household=form, conditions=conditions, income=income, members=filled
                )
                if not errors:
                    problems.append(exc.message)
                refused = True
            else:
                messages.success(request, f"已登记户 {household.code}，共 {len(filled)} 人。")
                return redirect("web:household_detail", code=household.code)
    context = {
        "nav": "register",
        "form": form,
        "conditions": conditions,
        "income": income,
        "members": members,
        "member_fieldsets": _member_fieldsets(list(members.forms)),
        "empty_member": members.empty_form,
        "problems": problems,
        "refused": refused or (post is not None and "add_member" not in post),
        "hints": HINTS,
    }
    return render(request, "web/households/new.html", context)


@require_http_methods(["GET", "POST"])
def member_add_view(request: HttpRequest, code: str) -> HttpResponse:
    _scope(request, Action.EDIT_REGISTRY)
    household = _visible(request, code)
    form = MemberForm(request.POST if request.method == "POST" else None, prefix="m")
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            member = member_add(household=household, data=_member_data(form), by=request.user)
        except FupinError as exc:
            problems = errors_to_forms(exc.details.get("errors", []), members=[form])
            if not exc.details.get("errors"):
                problems.append(exc.message)
        else:
            messages.success(request, f"已添加成员 {member.name}。")
            return redirect("web:household_detail", code=household.code)
    context = {
        "nav": "households",
        "h": household,
        "member": {"form": form, "id": _id_verdict(form.id_value())},
        "problems": problems,
    }
    return render(request, "web/households/member_add.html", context)


def _income_initial(household: Household, year: int | None) -> dict[str, Any]:
    incomes = selectors.household_incomes(household, year=year)
    record = incomes.first()
    if record is None:
        return {"year": year or date.today().year - 1}
    return {
        "year": record.year,
        "household_size": record.household_size,
        **{n: getattr(record, n) or None for n in INCOME_ITEMS},
    }


@require_http_methods(["GET", "POST"])
def income_record_view(request: HttpRequest, code: str) -> HttpResponse:
    _scope(request, Action.EDIT_REGISTRY)
    household = _visible(request, code)
    year_text = request.GET.get("year", "")
    year = int(year_text) if year_text.isdigit() else None
    if request.method == "POST":
        form = IncomeForm(request.POST, prefix="i")
    else:
        form = IncomeForm(prefix="i", initial=_income_initial(household, year))
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            income_record(
                household=household,
                year=form.cleaned_data["year"],
                items=form.items(),
                household_size=form.cleaned_data.get("household_size"),
                by=request.user,
            )
        except FupinError as exc:
            problems = errors_to_forms(exc.details.get("errors", []), income=form)
            if not exc.details.get("errors"):
                problems.append(exc.message)
        else:
            messages.success(request, f"已保存 {form.cleaned_data['year']} 年收支。")
            return redirect("web:household_detail", code=household.code)
    context = {
        "nav": "households",
        "h": household,
        "form": form,
        "items": [form[n] for n in INCOME_ITEMS],
        "member_count": household.members.count(),
        "hint": HINTS["income"],
        "problems": problems,
    }
    return render(request, "web/households/income.html", context)


def _conditions_initial(conditions: LivingConditions | None) -> dict[str, Any]:
    if conditions is None:
        return {}
    out: dict[str, Any] = {}
    for f in ConditionsForm.base_fields:
        value = getattr(conditions, f)
        out[f] = value if not isinstance(value, Decimal) else value.normalize()
    return out


@require_http_methods(["GET", "POST"])
def conditions_update_view(request: HttpRequest, code: str) -> HttpResponse:
    _scope(request, Action.EDIT_REGISTRY)
    household = _visible(request, code)
    current = LivingConditions.objects.filter(household=household).first()
    initial = _conditions_initial(current)
    form = ConditionsForm(
        request.POST if request.method == "POST" else None, prefix="c", initial=initial
    )
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        changed = form.values(form.changed_data)
        if not changed:
            messages.info(request, "没有修改任何内容。")
            return redirect("web:household_detail", code=household.code)
        try:
            conditions_update(household=household, data=changed, by=request.user)
        except FupinError as exc:
            problems = errors_to_forms(exc.details.get("errors", []), conditions=form)
            if not exc.details.get("errors"):
                problems.append(exc.message)
        else:
            messages.success(request, "已更新生产生活条件。")
            return redirect("web:household_detail", code=household.code)
    context = {
        "nav": "households",
        "h": household,
        "form": form,
        "hint": HINTS["conditions"],
        "problems": problems,
    }
    return render(request, "web/households/conditions.html", context)
