"""Forms of the household pages: the list filters, registration, members, income, conditions.

The forms only shape input; every rule is the registry services' (the same as the bulk
import's), and their refusals are put back next to the fields by :func:`errors_to_forms`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone

from fupin.divisions.models import Division
from fupin.divisions.selectors import subtree_q
from fupin.policy import codes
from fupin.policy.rules import get_rule_set
from fupin.registry.imports.columns import columns_of

BLANK = ("", "—— 请选择 ——")
ANY = ("", "全部")

#: Short plain-Chinese explanations shown next to policy terms.
HINTS: dict[str, str] = {
    "village": "这户住在哪个村。只能选您负责范围内的村。",
    "code": "户编号：建档立卡系统里的编号。留空时系统按“村代码-序号”自动编号。",
    "group_name": "村民小组（组），如“3组”。",
    "attribute": (
        "贫困户属性：一般贫困户靠发展生产和务工脱贫；低保贫困户享受低保、有劳动能力；"
        "特困供养贫困户无劳动能力、无生活来源（原称五保户）。"
    ),
    "standard": "识别标准：按哪一条贫困线认定——国家标准，或本省、本市定的更高标准。",
    "main_cause": "致贫原因：导致这户贫困的最主要的一条，只选一个。",
    "other_causes": "其他致贫原因：次要原因，最多选两个，不能和主要原因相同。",
    "first_identified_year": "第一次被识别为贫困户的年份（2013 年以后）。",
    "phone": "户主或家人的联系电话，可不填。",
    "bank": "用于发放补贴的“一卡通”账户，可不填。",
    "flags": "符合的勾选，不符合的不用管。",
    "house_grade": (
        "危房等级由县住建部门鉴定：C级是局部危险，D级是整栋危险；A、B级或不是危房选“否”。"
        "住C、D级危房的户，“住房安全有保障”不达标。"
    ),
    "food_secure": "不愁吃：主粮够吃，平常吃得上肉、蛋或豆制品。",
    "clothing_secure": "不愁穿：一年四季有换洗衣服，冬天有御寒的衣被。",
    "water_difficult": "取水是否困难：如单程取水超过20分钟，或常年缺水。",
    "water_safe": "饮水安全：水量够用，水没有异色异味，取水方便。不安全则“饮水安全有保障”不达标。",
    "electricity_household": "家里是否通了生活用电。",
    "electricity_production": "是否通了生产用电（动力电）。",
    "road_distance_km": "从家门口到村里主干道的距离，单位公里。",
    "road_type": "进家门的那段路是什么路。",
    "sanitary_toilet": "有没有卫生厕所（水冲式或无害化处理的厕所）。",
    "fuel": "做饭主要用什么燃料。",
    "cultivated_land_mu": "家里承包的耕地面积，单位亩。",
    "housing_area_m2": "现住房的建筑面积，单位平方米。",
    "coop_member": "是否加入了农民专业合作社。",
    "conditions": (
        "两不愁三保障：不愁吃、不愁穿，义务教育、基本医疗、住房安全有保障，另加饮水安全。"
        "这是贫困户脱贫要达到的标准，按实际情况填写。"
    ),
    "income": (
        "全年各项收入，单位元，没有的项留空。纯收入 = 各项收入之和 − 生产经营性支出；"
        "人均纯收入 = 纯收入 ÷ 家庭人口数，要超过当年扶贫标准才算收入达标。"
    ),
    "income_year": "这份收入是哪一年的。",
    "household_size": "共同生活、共享开支的人数，不一定等于户口本上的人数。留空则按登记的成员数。",
    "wage": "打工、务工挣的钱，包括本地零工和外出务工。",
    "operating_income": "种地、养殖、做生意等的收入，自产自用的粮食、牲畜也按市价折算。",
    "property_dividend": "扶贫资产（光伏、合作社等）给这户的分红。",
    "property_other": "出租土地、房屋等得到的钱。",
    "transfer_family_planning": "计划生育奖励扶助金。",
    "transfer_dibao": "一年领到的低保金。",
    "transfer_tekun": "特困供养（原五保）金。",
    "transfer_pension": "城乡居民养老保险金。",
    "transfer_ecological": "退耕还林、草原保护等生态补偿金。",
    "transfer_other": "其他各类补贴和救助。",
    "operating_cost": "种子、化肥、饲料、农机等生产上花的钱，从收入中扣除。",
    "name": "与身份证或户口本上的姓名一致。",
    "id_number": "18位公民身份号码，最后一位可以是 X。输入后自动核对，并带出出生日期和性别。",
    "relation": "与户主关系：户主本人选“户主”，每户只有一位户主。",
    "ethnicity": "民族。",
    "education": "已完成的最高学历；还没上学的孩子选“学龄前儿童”。",
    "school_status": (
        "现在是否在上学、在哪个阶段。适龄儿童（6–15岁）没有上学，“义务教育有保障”就不达标。"
    ),
    "school_exempt_physical": "因身体原因不能上学、由老师送教上门的，勾选此项，不算辍学。",
    "health": "健康状况：有长期慢性病、大病或残疾的如实选择。",
    "labour_capacity": "劳动能力：16–65岁的成员必填。",
    "migrant_work": "外出打工的地点。",
    "migrant_months": "一年里在外务工的月数（0–12）。",
    "insurance": "基本医疗有保障：每位成员都要参加城乡居民基本医疗保险。",
}


def _choices(code_list: codes.CodeList, first: tuple[str, str] = BLANK) -> list[tuple[str, str]]:
    return [first, *code_list.choices]


def short_village_name(name: str) -> str:
    """俄尔古取村村民委员会 → 俄尔古取村; XX社区居民委员会 → XX社区."""
    for suffix in ("村民委员会", "居民委员会", "村委会", "居委会"):
        if name.endswith(suffix):
            trimmed = name.removesuffix(suffix)
            return trimmed if trimmed.endswith(("村", "社区")) else trimmed + "村"
    return name


#: Above this many villages a picker is a code box rather than a select.
VILLAGE_SELECT_LIMIT = 3000


def villages_grouped(
    scope: str, *, with_townships: bool
) -> list[tuple[str, list[tuple[str, str]]]] | None:
    """Return the villages under ``scope`` grouped by township, or None when there are too many.

    With ``with_townships`` each group starts with the whole township as a choice.
    """
    qs = Division.objects.filter(level__in=(4, 5))
    if scope:
        qs = qs.filter(subtree_q(scope))
    if qs.filter(level=5)[: VILLAGE_SELECT_LIMIT + 1].count() > VILLAGE_SELECT_LIMIT:
        return None
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    names: dict[str, str] = {}
    current: str | None = None
    for code, name, level in qs.order_by("code").values_list("code", "name", "level"):
        if level == 4:
            names[code] = name
            continue
        township = code[:9]
        if township != current:
            current = township
            label = names.get(township, township)
            groups.append((label, [(township, f"{label}（全乡镇）")] if with_townships else []))
        groups[-1][1].append((code, short_village_name(name)))
    return groups


class HouseholdFilterForm(forms.Form):
    """The filters of the household list (GET)."""

    q = forms.CharField(
        label="搜索",
        required=False,
        max_length=40,
        widget=forms.TextInput(
            attrs={"placeholder": "姓名、户编号或身份证号", "type": "search", "autocomplete": "off"}
        ),
    )
    village = forms.CharField(label="村", required=False, max_length=12)
    status = forms.ChoiceField(
        label="脱贫状态", required=False, choices=_choices(codes.POVERTY_STATUS, ANY)
    )
    attribute = forms.ChoiceField(
        label="贫困户属性", required=False, choices=_choices(codes.HOUSEHOLD_ATTRIBUTE, ANY)
    )
    cause = forms.ChoiceField(label="致贫原因", required=False, choices=_choices(codes.CAUSE, ANY))
    failing = forms.ChoiceField(label="未达标项", required=False)

    def __init__(self, *args: Any, scope: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rules = get_rule_set(None).rules
        self.fields["failing"].choices = [ANY, *((r.code, r.title) for r in rules)]  # type: ignore[attr-defined]
        self.show_village = len(scope) < 12
        groups = villages_grouped(scope, with_townships=True) if self.show_village else None
        if groups is not None:
            self.fields["village"] = forms.ChoiceField(
                label="村", required=False, choices=[("", "全部村"), *groups]
            )
        else:
            self.fields["village"].widget.attrs["placeholder"] = "区划代码（9或12位）"

    def clean_village(self) -> str:
        value = str(self.cleaned_data.get("village") or "").strip()
        if value and not (value.isdigit() and len(value) in (6, 9, 12)):
            raise forms.ValidationError("请填写9位乡镇或12位村的区划代码")
        return value


class HouseholdForm(forms.Form):
    """户基本情况 of a new household."""

    village = forms.ChoiceField(label="所在村")
    code = forms.CharField(label="户编号", required=False, max_length=32)
    group_name = forms.CharField(label="村民小组", required=False, max_length=50)
    attribute = forms.ChoiceField(
        label="贫困户属性", choices=codes.HOUSEHOLD_ATTRIBUTE.choices, initial="general"
    )
    standard = forms.ChoiceField(
        label="识别标准", choices=codes.IDENTIFICATION_STANDARD.choices, initial="national"
    )
    main_cause = forms.ChoiceField(label="主要致贫原因", choices=_choices(codes.CAUSE))
    other_causes = forms.MultipleChoiceField(
        label="其他致贫原因",
        required=False,
        choices=codes.CAUSE.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    first_identified_year = forms.IntegerField(label="首次识别年度", min_value=2013, max_value=2100)
    phone = forms.CharField(label="联系电话", required=False, max_length=20)
    bank_name = forms.CharField(label="开户银行", required=False, max_length=50)
    bank_account = forms.CharField(label="银行账号", required=False, max_length=32)
    military_family = forms.BooleanField(label="军烈属", required=False)
    one_child = forms.BooleanField(label="独生子女户", required=False)
    two_daughters = forms.BooleanField(label="双女户", required=False)
    relocated = forms.BooleanField(label="易地扶贫搬迁户", required=False)

    def __init__(self, *args: Any, scope: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups = villages_grouped(scope, with_townships=False) or []
        flat = [c for _, items in groups for c in items]
        village = self.fields["village"]
        assert isinstance(village, forms.ChoiceField)
        village.choices = [BLANK, *groups] if len(flat) != 1 else flat
        if len(flat) == 1:
            village.initial = flat[0][0]
        self.fields["first_identified_year"].initial = timezone.localdate().year
        for name, field in self.fields.items():
            field.help_text = HINTS.get(name, "")

    def clean_other_causes(self) -> list[str]:
        value: list[str] = self.cleaned_data.get("other_causes") or []
        if len(value) > 2:
            raise forms.ValidationError("其他致贫原因最多选两个")
        return value


class YesNoSelect(forms.NullBooleanSelect):
    """未填 / 是 / 否 (the facts may be unknown until someone checks)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("unknown", "未填"), ("true", "是"), ("false", "否")]


def _bool_field(label: str) -> forms.NullBooleanField:
    return forms.NullBooleanField(label=label, required=False, widget=YesNoSelect())


class ConditionsForm(forms.Form):
    """生产生活条件 and 两不愁 (every field optional)."""

    house_grade = forms.ChoiceField(
        label="危房等级", required=False, choices=_choices(codes.HOUSE_GRADE, ("", "未填"))
    )
    food_secure = _bool_field("不愁吃")
    clothing_secure = _bool_field("不愁穿")
    water_safe = _bool_field("饮水安全")
    water_difficult = _bool_field("取水困难")
    electricity_household = _bool_field("通生活用电")
    electricity_production = _bool_field("通生产用电")
    sanitary_toilet = _bool_field("有卫生厕所")
    road_type = forms.ChoiceField(
        label="入户路类型", required=False, choices=_choices(codes.ROAD_TYPE, ("", "未填"))
    )
    road_distance_km = forms.DecimalField(
        label="与村主干路距离（公里）", required=False, min_value=0, decimal_places=2
    )
    fuel = forms.ChoiceField(
        label="主要燃料", required=False, choices=_choices(codes.FUEL, ("", "未填"))
    )
    cultivated_land_mu = forms.DecimalField(
        label="耕地面积（亩）", required=False, min_value=0, decimal_places=2
    )
    housing_area_m2 = forms.DecimalField(
        label="住房面积（平方米）", required=False, min_value=0, decimal_places=2
    )
    coop_member = _bool_field("加入农民专业合作社")

    #: Fields the registration file has no column for (set later through conditions_update).
    NOT_ON_REGISTRATION = ("electricity_production", "coop_member")

    def __init__(self, *args: Any, registration: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if registration:
            for name in self.NOT_ON_REGISTRATION:
                del self.fields[name]
        for name, field in self.fields.items():
            field.help_text = HINTS.get(name, "")

    def values(self, names: Iterable[str] | None = None) -> dict[str, Any]:
        """Return the filled fields (or the named ones) as the services take them."""
        out: dict[str, Any] = {}
        for name in names if names is not None else self.fields:
            value = self.cleaned_data.get(name)
            if names is None and value in (None, ""):
                continue
            out[name] = value
        return out


INCOME_LABELS = {c.name: c.heading for c in columns_of("income")}
INCOME_ITEMS = tuple(c.name for c in columns_of("income") if c.kind == "money")


class IncomeForm(forms.Form):
    """One year's itemised income (收支情况)."""

    year = forms.IntegerField(label="收入年度", min_value=2013, max_value=2100, required=False)
    household_size = forms.IntegerField(
        label="家庭人口数", min_value=1, max_value=99, required=False
    )

    def __init__(self, *args: Any, year_required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in INCOME_ITEMS:
            self.fields[name] = forms.DecimalField(
                label=INCOME_LABELS[name],
                required=False,
                min_value=Decimal("0"),
                max_digits=12,
                decimal_places=2,
                widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
            )
        self.fields["year"].required = year_required
        self.fields["year"].help_text = HINTS["income_year"]
        for name, field in self.fields.items():
            field.help_text = field.help_text or HINTS.get(name, "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        filled = any(data.get(n) is not None for n in (*INCOME_ITEMS, "household_size"))
        if filled and not data.get("year"):
            self.add_error("year", "请填写收入年度")
        return data

    def items(self) -> dict[str, Decimal]:
        return {
            n: self.cleaned_data[n] for n in INCOME_ITEMS if self.cleaned_data.get(n) is not None
        }

    def is_empty(self) -> bool:
        return not self.cleaned_data.get("year") and not self.items()


MEMBER_BOOLS = ("basic_medical", "serious_illness_insurance", "pension", "dibao", "tekun")


class MemberForm(forms.Form):
    """One person (家庭成员); sex and birth date come from the ID number."""

    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(
        label="公民身份号码",
        max_length=24,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "text", "spellcheck": "false"}
        ),
    )
    relation = forms.ChoiceField(label="与户主关系", choices=_choices(codes.RELATION))
    ethnicity = forms.ChoiceField(label="民族", choices=_choices(codes.ETHNICITY))
    education = forms.ChoiceField(
        label="文化程度", required=False, choices=_choices(codes.EDUCATION, ("", "未填"))
    )
    school_status = forms.ChoiceField(
        label="在校生状况",
        required=False,
        choices=codes.SCHOOL_STATUS.choices,
        initial="not_in_school",
    )
    school_exempt_physical = forms.BooleanField(label="因身体原因不能上学", required=False)
    health = forms.ChoiceField(
        label="健康状况", required=False, choices=codes.HEALTH.choices, initial="healthy"
    )
    labour_capacity = forms.ChoiceField(
        label="劳动能力", required=False, choices=_choices(codes.LABOUR_CAPACITY, ("", "未填"))
    )
    migrant_work = forms.ChoiceField(
        label="务工状况", required=False, choices=codes.MIGRANT_WORK.choices, initial="none"
    )
    migrant_months = forms.IntegerField(
        label="务工时间（月）", required=False, min_value=0, max_value=12
    )
    basic_medical = forms.BooleanField(label="城乡居民基本医疗保险", required=False)
    serious_illness_insurance = forms.BooleanField(label="大病保险", required=False)
    pension = forms.BooleanField(label="城乡居民基本养老保险", required=False)
    dibao = forms.BooleanField(label="享受低保", required=False)
    tekun = forms.BooleanField(label="特困供养", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.help_text = HINTS.get(name, "")
        # Checked as it is typed: the verdict, birth date and sex land beside the field.
        self.fields["id_number"].widget.attrs.update(
            {
                "hx-get": reverse_lazy("web:id_check"),
                "hx-trigger": "input changed delay:400ms, change",
                "hx-target": f"#{self.verdict_id}",
                "hx-sync": "this:replace",
            }
        )

    @property
    def verdict_id(self) -> str:
        return self.add_prefix("idv")

    def id_value(self) -> str:
        """The ID number as typed (bound) or given (initial), for the live check."""
        if self.is_bound:
            return str(self.data.get(self.add_prefix("id_number"), ""))
        return str(self.initial.get("id_number", ""))


class BaseMemberFormSet(forms.BaseFormSet[MemberForm]):
    def filled_forms(self) -> list[MemberForm]:
        """The member forms the user typed something into (empty added rows are ignored)."""
        return [f for f in self.forms if f.has_changed() or f is self.forms[0]]


MemberFormSet = forms.formset_factory(
    MemberForm, formset=BaseMemberFormSet, extra=0, min_num=1, validate_min=True
)

#: Names of the flat file's columns that differ from the form fields.
HOUSEHOLD_FIELD_OF = {"household_code": "code", "village_code": "village"}
INCOME_FIELD_OF = {"income_year": "year"}


def errors_to_forms(
    errors: Sequence[Mapping[str, Any]],
    *,
    household: forms.Form | None = None,
    conditions: forms.Form | None = None,
    income: forms.Form | None = None,
    members: Sequence[forms.Form] = (),
) -> list[str]:
    """Put each refusal of a service next to its field; return the ones no field shows."""
    left: list[str] = []
    seen: set[tuple[int, str, str]] = set()
    for error in errors:
        column = str(error.get("field") or "")
        message = str(error.get("message") or "")
        index = error.get("member")
        target: forms.Form | None = None
        name = column
        if household is not None and HOUSEHOLD_FIELD_OF.get(column, column) in household.fields:
            target, name = household, HOUSEHOLD_FIELD_OF.get(column, column)
        elif conditions is not None and column in conditions.fields:
            target = conditions
        elif income is not None and INCOME_FIELD_OF.get(column, column) in income.fields:
            target, name = income, INCOME_FIELD_OF.get(column, column)
        elif members and column in members[0].fields:
            position = int(index) if isinstance(index, int) and index < len(members) else 0
            target = members[position]
        key = (id(target), name, message)
        if key in seen:  # household facts repeat on every member row of the file
            continue
        seen.add(key)
        if target is None:
            left.append(message)
        elif message not in target.errors.get(name, []):
            target.add_error(name, message)
    return left
