"""DCI search criteria as a household query: identifier, predicate and expression forms.

Only the attributes of :data:`ATTRIBUTES` may be queried (a whitelist; anything else is
refused with ``rjct.search_criteria.invalid`` and the list of what is allowed):

* identifier (``query_type`` ``idtype-value``): ``{"type": "UIN", "value": "5134…"}`` finds the
  group holding that person; ``{"type": "HouseholdID", "value": "…"}`` the group itself;
* predicate (``predicate``, also accepted under ``expression`` as the samples send it): a list of
  ``{seq_num, expression1, condition, expression2}``; within an item ``condition`` joins the
  two expressions (``and``, ``or``, ``not`` = and-not), items are joined with *and*;
* expression (``expression``): ``{"type": …, "value": {"expression": {"collection": "Group",
  "query": {"$and": [{"group_size": {"$lt": 5}}]}}}}`` with ``$and``, ``$or`` and the
  operators ``$eq $lt $lte $gt $gte $in``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from fupin.dci.envelope import ItemError
from fupin.dci.groups import HOUSEHOLD_ID, UIN
from fupin.divisions.selectors import subtree_q
from fupin.policy import codes
from fupin.policy.idnumber import check, id_key
from fupin.registry.models import Household, HouseholdIncome, Member

OPERATORS = ("eq", "lt", "le", "gt", "ge", "in")
_MONGO = {
    "$eq": "eq",
    "$lt": "lt",
    "$lte": "le",
    "$le": "le",
    "$gt": "gt",
    "$gte": "ge",
    "$ge": "ge",
    "$in": "in",
}
_LOOKUP = {"eq": "exact", "lt": "lt", "le": "lte", "gt": "gt", "ge": "gte", "in": "in"}

#: Identifier types read as the resident ID number and as the 户编号.
PERSON_ID_TYPES = {UIN, "NationalID", "NID", "ID_NUMBER"}
GROUP_ID_TYPES = {HOUSEHOLD_ID, "household_code", "GroupID"}


@dataclass(frozen=True)
class Attribute:
    label: str
    ops: tuple[str, ...]
    build: Callable[[str, Any], Q]
    #: The annotation the filter needs, if any.
    needs: str = ""


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ItemError("rjct.search_criteria.invalid", f"取值 {value!r} 应为文本")
    return str(value).strip()


def _number(value: Any) -> Decimal:
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ItemError("rjct.search_criteria.invalid", f"取值 {value!r} 应为数字") from None


def _values(op: str, value: Any, conv: Callable[[Any], Any]) -> Any:
    if op == "in":
        if not isinstance(value, list) or not value or len(value) > 1000:
            raise ItemError("rjct.search_criteria.invalid", "in 的取值应为 1 至 1000 项的列表")
        return [conv(v) for v in value]
    return conv(value)


def _coded(field: str, code_list: codes.CodeList) -> Callable[[str, Any], Q]:
    def build(op: str, value: Any) -> Q:
        def conv(v: Any) -> str:
            text = _text(v)
            code = code_list.lookup().get(text, text)
            if code not in code_list:
                raise ItemError(
                    "rjct.search_criteria.invalid",
                    f"{code_list.label}没有代码 {text!r}，可用：{'、'.join(code_list.codes)}",
                )
            return code

        return Q(**{f"{field}__{_LOOKUP[op]}": _values(op, value, conv)})

    return build


def _person(op: str, value: Any) -> Q:
    def conv(v: Any) -> int:
        checked = check(_text(v))
        # An invalid number matches nobody rather than failing the whole batch.
        return id_key(checked.normalized) if checked.valid and checked.normalized else -1

    keys = _values(op, value, conv)
    keys = keys if isinstance(keys, list) else [keys]
    return Q(Exists(Member.objects.filter(household=OuterRef("pk"), id_key__in=keys)))


def _household(op: str, value: Any) -> Q:
    return Q(**{f"code__{_LOOKUP[op]}": _values(op, value, _text)})


def _division(op: str, value: Any) -> Q:
    def conv(v: Any) -> str:
        text = _text(v)
        if not text.isdigit() or len(text) not in (2, 4, 6, 9, 12):
            raise ItemError(
                "rjct.search_criteria.invalid", f"区划代码 {text!r} 应为 2、4、6、9 或 12 位数字"
            )
        return text

    values = _values(op, value, conv)
    q = Q()
    for code in values if isinstance(values, list) else [values]:
        q |= subtree_q(code, field="village__code")
    return q


def _numeric(field: str) -> Callable[[str, Any], Q]:
    def build(op: str, value: Any) -> Q:
        return Q(**{f"{field}__{_LOOKUP[op]}": _values(op, value, _number)})

    return build


CMP = ("eq", "lt", "le", "gt", "ge")
ATTRIBUTES: dict[str, Attribute] = {
    UIN: Attribute("成员身份证号", ("eq", "in"), _person),
    HOUSEHOLD_ID: Attribute("户编号", ("eq", "in"), _household),
    "division_code": Attribute("区划代码（含下级）", ("eq", "in"), _division),
    "poverty_status": Attribute("脱贫状态", ("eq", "in"), _coded("status", codes.POVERTY_STATUS)),
    "household_attribute": Attribute(
        "贫困户属性", ("eq", "in"), _coded("attribute", codes.HOUSEHOLD_ATTRIBUTE)
    ),
    "main_cause": Attribute("主要致贫原因", ("eq", "in"), _coded("main_cause", codes.CAUSE)),
    "first_identified_year": Attribute(
        "首次识别年度", (*CMP, "in"), _numeric("first_identified_year")
    ),
    "exit_year": Attribute("脱贫年度", (*CMP, "in"), _numeric("exit_year")),
    "group_size": Attribute("家庭人数", CMP, _numeric("dci_group_size"), "dci_group_size"),
    "per_capita_net_income": Attribute(
        "最近年度人均纯收入（元）", CMP, _numeric("dci_per_capita"), "dci_per_capita"
    ),
}
#: Other names the same attributes go by.
ALIASES = {
    **dict.fromkeys(PERSON_ID_TYPES, UIN),
    **dict.fromkeys(GROUP_ID_TYPES, HOUSEHOLD_ID),
    "area_code": "division_code",
    "location": "division_code",
    "status": "poverty_status",
    "attribute": "household_attribute",
    "per_capita_income": "per_capita_net_income",
}
SORTABLE = {
    HOUSEHOLD_ID: "code",
    "division_code": "village_id",
    "first_identified_year": "first_identified_year",
    "group_size": "dci_group_size",
    "per_capita_net_income": "dci_per_capita",
    UIN: "dci_head_id",
}


def allowed() -> str:
    return "、".join(ATTRIBUTES)


def _attribute(name: Any) -> tuple[str, Attribute]:
    key = ALIASES.get(name, name) if isinstance(name, str) else None
    if key is None or key not in ATTRIBUTES:
        raise ItemError(
            "rjct.search_criteria.invalid", f"不支持按 {name!r} 查询；可用属性：{allowed()}"
        )
    return key, ATTRIBUTES[key]


@dataclass
class Compiled:
    q: Q
    needs: set[str]


def _expr(expr: Any, needs: set[str]) -> Q:
    if not isinstance(expr, dict):
        raise ItemError("rjct.search_criteria.invalid", "表达式应为含 attribute_name 的对象")
    name, attr = _attribute(expr.get("attribute_name"))
    op = expr.get("operator")
    if op not in attr.ops:
        raise ItemError(
            "rjct.search_criteria.invalid",
            f"{attr.label}（{name}）不支持运算符 {op!r}，可用：{'、'.join(attr.ops)}",
        )
    if "attribute_value" not in expr:
        raise ItemError("rjct.search_criteria.invalid", f"{name} 缺少 attribute_value")
    if attr.needs:
        needs.add(attr.needs)
    return attr.build(op, expr["attribute_value"])


def compile_predicates(items: Any) -> Compiled:
    """Compile a predicate list (``ExpPredicateWithConditionList``)."""
    if not isinstance(items, list) or not items:
        raise ItemError("rjct.search_criteria.invalid", "谓词查询应为非空列表")
    needs: set[str] = set()
    q = Q()

    def seq(item: Any) -> float:
        s = item.get("seq_num") if isinstance(item, dict) else None
        return float(s) if isinstance(s, int | float) and not isinstance(s, bool) else 0.0

    for item in sorted(items, key=seq):
        if not isinstance(item, dict):
            raise ItemError("rjct.search_criteria.invalid", "谓词应为对象")
        part = _expr(item.get("expression1"), needs)
        second = item.get("expression2")
        condition = item.get("condition") or "and"
        if isinstance(second, dict) and second:
            other = _expr(second, needs)
            if condition == "and":
                part &= other
            elif condition == "or":
                part |= other
            elif condition == "not":
                part &= ~other
            else:
                raise ItemError(
                    "rjct.search_criteria.invalid", f"条件 {condition!r} 应为 and、or 或 not"
                )
        extra = sorted(
            k
            for k in item
            if k.startswith("expression") and k not in ("expression1", "expression2")
        )
        if extra:
            raise ItemError(
                "rjct.search_criteria.invalid",
                f"每个谓词最多两个表达式（expression1、expression2），多出 {'、'.join(extra)}；"
                "更多条件请分成多个谓词",
            )
        q &= part
    return Compiled(q, needs)


def _mongo(node: Any, needs: set[str]) -> Q:
    if not isinstance(node, dict) or not node:
        raise ItemError("rjct.search_criteria.invalid", "表达式节点应为非空对象")
    q = Q()
    for key, value in node.items():
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not value:
                raise ItemError("rjct.search_criteria.invalid", f"{key} 应为非空列表")
            parts = [_mongo(v, needs) for v in value]
            joined = parts[0]
            for p in parts[1:]:
                joined = joined & p if key == "$and" else joined | p
            q &= joined
            continue
        if not isinstance(value, dict) or not value:
            value = {"$eq": value}
        for op, operand in value.items():
            if op not in _MONGO:
                raise ItemError("rjct.search_criteria.invalid", f"不支持的运算符 {op!r}")
            q &= _expr(
                {"attribute_name": key, "operator": _MONGO[op], "attribute_value": operand}, needs
            )
    return q


def compile_criteria(criteria: Any) -> Compiled:
    """Compile a ``search_criteria`` object's ``query_type`` and ``query``."""
    if not isinstance(criteria, dict):
        raise ItemError("rjct.search_criteria.invalid", "缺少 search_criteria")
    kind = criteria.get("query_type")
    query = criteria.get("query")
    if kind not in ("idtype-value", "predicate", "expression"):
        raise ItemError(
            "rjct.search_criteria.invalid", "query_type 应为 idtype-value、predicate 或 expression"
        )
    if isinstance(query, list):  # the predicate form, whatever query_type says
        return compile_predicates(query)
    if not isinstance(query, dict):
        raise ItemError("rjct.search_criteria.invalid", "缺少查询条件 query")
    if kind == "idtype-value" or ("type" in query and not isinstance(query.get("value"), dict)):
        needs: set[str] = set()
        q = _expr(
            {
                "attribute_name": query.get("type"),
                "operator": "eq",
                "attribute_value": query.get("value"),
            },
            needs,
        )
        return Compiled(q, needs)
    value = query.get("value")
    expression = value.get("expression") if isinstance(value, dict) else None
    if isinstance(expression, dict) and isinstance(expression.get("query"), dict):
        if expression.get("collection", "Group") != "Group":
            raise ItemError("rjct.search_criteria.invalid", "只能查询 Group（户）")
        needs = set()
        return Compiled(_mongo(expression["query"], needs), needs)
    raise ItemError(
        "rjct.search_criteria.invalid", "无法识别的查询：应为标识查询、谓词列表或 $and/$or 表达式"
    )


def annotate(qs: QuerySet[Household], needs: set[str]) -> QuerySet[Household]:
    """Add the computed columns a filter or a sort needs."""
    if "dci_group_size" in needs:
        qs = qs.annotate(dci_group_size=Count("members"))
    if "dci_per_capita" in needs:
        latest = (
            HouseholdIncome.objects.filter(household=OuterRef("pk"))
            .order_by("-year")
            .annotate(
                pc=ExpressionWrapper(
                    F("net_income") / F("household_size"),
                    output_field=DecimalField(max_digits=14, decimal_places=4),
                )
            )
            .values("pc")[:1]
        )
        qs = qs.annotate(dci_per_capita=Subquery(latest))
    if "dci_head_id" in needs:
        head = Member.objects.filter(household=OuterRef("pk"), relation="head").values("id_number")[
            :1
        ]
        qs = qs.annotate(dci_head_id=Subquery(head))
    return qs


def ordering(sort: Any) -> tuple[list[str], set[str]]:
    """Return the order_by fields and the annotations the ``sort`` list needs."""
    if sort in (None, "", []):
        return ["code"], set()
    if not isinstance(sort, list):
        raise ItemError("rjct.sort.invalid", "sort 应为列表")
    fields: list[str] = []
    needs: set[str] = set()
    for item in sort:
        name = item.get("attribute_name") if isinstance(item, dict) else None
        key = ALIASES.get(name, name) if isinstance(name, str) else None
        if key not in SORTABLE:
            raise ItemError(
                "rjct.sort.invalid", f"不支持按 {name!r} 排序；可用：{'、'.join(SORTABLE)}"
            )
        order = item.get("sort_order", "asc")
        if order not in ("asc", "desc"):
            raise ItemError("rjct.sort.invalid", "sort_order 应为 asc 或 desc")
        column = SORTABLE[key]
        if column.startswith("dci_"):
            needs.add(column)
        fields.append(("-" if order == "desc" else "") + column)
    if "code" not in fields and "-code" not in fields:
        fields.append("code")  # stable pages
    return fields, needs
