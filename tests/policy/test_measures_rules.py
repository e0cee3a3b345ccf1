"""The measure rules (``check``) at their boundaries, read as their clauses say: 以上 / 以下 / 以内
include the figure itself (a 50,000-yuan loan for 36 months to a borrower of 18 or 65 passes;
50,000.01 yuan, 37 months, 17 or 66 years are refused); every refusal has its stable code and a
Chinese sentence; ``explain`` says each suggestion in Chinese."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from fupin.policy import measures as pm
from fupin.policy.measures import MeasureCode as C
from fupin.policy.measures import MeasureFacts, MemberFacts


def member(age: int | None = 40, capacity: str = "ordinary", **kw: Any) -> MemberFacts:
    return MemberFacts(age=age, labour_capacity=capacity, **kw)


def loan(**kw: Any) -> MeasureFacts:
    """A loan that meets every rule; each test changes one fact."""
    borrower = member(40)
    base = MeasureFacts(
        category="microcredit",
        subtype="microcredit.loan",
        amount=Decimal("30000"),
        start=date(2017, 3, 1),
        end=date(2020, 2, 28),
        term_months=36,
        purpose="production",
        household_status="poor",
        members=(borrower,),
        target=borrower,
    )
    return replace(base, **kw)


def codes(m: MeasureFacts, p: pm.MeasureParameters = pm.DEFAULT_PARAMETERS) -> list[C]:
    return [r.code for r in pm.check(m, p)]


def test_a_loan_that_meets_every_rule_passes() -> None:
    assert pm.check(loan()) == []


# -- 扶贫小额信贷: 5 万元以下、3 年以内, 18–65 周岁, registered, production ------------


@pytest.mark.parametrize(
    ("amount", "refused"),
    [
        ("0", False),
        ("49999.99", False),
        ("50000", False),  # 5 万元以下 includes 5 万
        ("50000.00", False),
        ("50000.01", True),
        ("60000", True),
    ],
)
def test_loan_amount_cap_includes_fifty_thousand(amount: str, refused: bool) -> None:
    assert codes(loan(amount=Decimal(amount))) == ([C.AMOUNT_ABOVE_CAP] if refused else [])


def test_loan_above_the_cap_says_so_in_chinese() -> None:
    (r,) = pm.check(loan(amount=Decimal("50000.01")))
    assert r.message == "扶贫小额信贷金额 50,000.01 元超过上限 50,000 元（50,000 元以下，含本数）"
    assert r.as_dict() == {"code": "MEASURE_AMOUNT_ABOVE_CAP", "message": r.message}


@pytest.mark.parametrize(
    ("months", "refused"), [(None, False), (1, False), (35, False), (36, False), (37, True)]
)
def test_loan_term_of_three_years_passes_one_month_more_is_refused(
    months: int | None, refused: bool
) -> None:
    got = pm.check(loan(term_months=months))
    assert [r.code for r in got] == ([C.LOAN_TERM] if refused else [])
    if refused:
        assert got[0].message == "贷款期限 37 个月超过 36 个月（3 年以内，含 3 年）"


@pytest.mark.parametrize(
    ("age", "refused"),
    [(17, True), (18, False), (40, False), (65, False), (66, True), (71, True), (None, True)],
)
def test_borrower_age_eighteen_to_sixty_five_inclusive(age: int | None, refused: bool) -> None:
    borrower = member(age)
    got = pm.check(loan(target=borrower, members=(borrower,)))
    assert [r.code for r in got] == ([C.LOAN_AGE] if refused else [])
    if age == 71:
        assert got[0].message == "借款人年龄 71 周岁，须在 18 周岁以上、65 周岁以下（含本数）"
    if age is None:
        assert "借款人年龄 未知" in got[0].message


def test_loan_needs_a_borrower() -> None:
    (r,) = pm.check(loan(target=None))
    assert r.code == C.LOAN_BORROWER and r.message == "小额信贷须指定借款人（家庭成员）"


@pytest.mark.parametrize(
    ("status", "refused"),
    [
        ("poor", False),
        ("returned", False),
        ("exited_with_policy", False),
        ("exited", True),
        ("removed", True),
    ],
)
def test_loan_only_for_registered_households(status: str, refused: bool) -> None:
    assert codes(loan(household_status=status)) == ([C.LOAN_NOT_REGISTERED] if refused else [])


@pytest.mark.parametrize(
    ("purpose", "label"),
    [
        ("marriage", "结婚"),
        ("house_building", "建房"),
        ("investment", "理财"),
        ("household_goods", "购置家庭用品"),
        ("pooled", "入股分红、转贷或分贷统还"),
        ("", "未填写"),
        ("gambling", "未填写"),
    ],
)
def test_loan_only_for_production(purpose: str, label: str) -> None:
    (r,) = pm.check(loan(purpose=purpose))
    assert r.code == C.LOAN_PURPOSE
    assert r.message.startswith(f"贷款用途为“{label}”：小额信贷只能用于生产经营")


def test_a_loan_breaking_every_rule_gets_every_refusal() -> None:
    old = member(71)
    got = codes(
        loan(
            amount=Decimal("80000"),
            term_months=48,
            target=old,
            members=(old,),
            household_status="exited",
            purpose="marriage",
        )
    )
    assert got == [
        C.AMOUNT_ABOVE_CAP,
        C.LOAN_TERM,
        C.LOAN_AGE,
        C.LOAN_NOT_REGISTERED,
        C.LOAN_PURPOSE,
    ]


# -- amounts, dates, codes ------------------------------------------------------------------------


def test_negative_amount_refused_zero_allowed() -> None:
    m = MeasureFacts(category="industry", amount=Decimal("-0.01"))
    (r,) = pm.check(m)
    assert r.code == C.AMOUNT_NEGATIVE and r.message == "金额 -0.01 元不能为负数"
    assert pm.check(replace(m, amount=Decimal("0"))) == []
    assert pm.check(replace(m, amount=Decimal("1000000"))) == []  # no cap by default


def test_a_provincial_cap_includes_its_figure() -> None:
    p = pm.MeasureParameters(amount_caps={"housing": Decimal("20000")})
    m = MeasureFacts(category="housing", house_grade="D", amount=Decimal("20000"))
    assert pm.check(m, p) == []
    (r,) = pm.check(replace(m, amount=Decimal("20000.01")), p)
    assert r.code == C.AMOUNT_ABOVE_CAP
    assert r.message == "危房改造金额 20,000.01 元超过上限 20,000 元（20,000 元以下，含本数）"
    assert pm.check(m) == []  # the default has no cap for it


def test_end_before_start_refused_same_day_allowed() -> None:
    m = MeasureFacts(category="industry", start=date(2017, 5, 2), end=date(2017, 5, 1))
    (r,) = pm.check(m)
    assert r.code == C.DATES and r.message == "结束日期 2017-05-01 早于开始日期 2017-05-02"
    assert pm.check(replace(m, end=date(2017, 5, 2))) == []
    assert pm.check(replace(m, end=None)) == []


def test_unknown_category_is_the_only_refusal() -> None:
    got = pm.check(MeasureFacts(category="lottery", amount=Decimal("-1"), subtype="x.y"))
    assert [(r.code, r.message) for r in got] == [
        (C.UNKNOWN_CATEGORY, "帮扶措施类别“lottery”不存在")
    ]


def test_subtype_must_exist_and_belong_to_the_category() -> None:
    (r,) = pm.check(MeasureFacts(category="industry", subtype="industry.gold"))
    assert r.code == C.UNKNOWN_SUBTYPE and r.message == "措施子类“industry.gold”不存在"
    (r,) = pm.check(MeasureFacts(category="industry", subtype="health.contract"))
    assert r.code == C.SUBTYPE_MISMATCH
    assert r.message == "措施子类“家庭医生签约服务”不属于“产业扶贫”"
    assert pm.check(MeasureFacts(category="industry", subtype="industry.breeding")) == []


def test_every_category_of_the_catalogue_is_a_code() -> None:
    assert set(pm.CATALOGUE) == set(pm.MEASURE_CATEGORY.codes)
    for cat in pm.CATALOGUE.values():
        assert all(pm.subtype_category(s) == cat.code for s in cat.subtypes)
    for s in pm.SUGGESTIONS:
        assert s.category in pm.MEASURE_CATEGORY
        assert all(sub in pm.MEASURE_SUBTYPE for sub in s.subtypes)


# -- 社会保障兜底: for those who fully or partly lost labour capacity ------------


def safety_net(*capacities: str, **kw: Any) -> MeasureFacts:
    ms = tuple(member(40, c) for c in capacities)
    return replace(
        MeasureFacts(category="safety_net", subtype="safety_net.dibao", members=ms), **kw
    )


def test_safety_net_for_all_full_labour_refused_without_a_reason() -> None:
    (r,) = pm.check(safety_net("ordinary", "skilled"))
    assert r.code == C.SAFETY_NET_LABOUR
    assert r.message == (
        "兜底保障对象须为完全或部分丧失劳动能力的人口：该户没有登记为弱劳动力、"
        "丧失劳动力或无劳动力的成员，须说明理由"
    )
    assert pm.check(safety_net("ordinary", "skilled", reason="户主车祸后暂时无收入")) == []
    assert codes(safety_net("ordinary", reason="   ")) == [C.SAFETY_NET_LABOUR]  # blank
    assert pm.check(safety_net("ordinary", subtype="safety_net.temporary")) == []  # 临时救助


@pytest.mark.parametrize(
    "capacities",
    [("ordinary", "weak"), ("lost",), ("none", "skilled"), ("weak",)],
)
def test_safety_net_where_labour_is_lost_or_weak_allowed(capacities: tuple[str, ...]) -> None:
    assert pm.check(safety_net(*capacities)) == []


@pytest.mark.parametrize("capacities", [("ordinary", ""), ("", ""), ()])
def test_safety_net_without_a_lost_or_weak_member_needs_a_reason(
    capacities: tuple[str, ...],
) -> None:
    assert codes(safety_net(*capacities)) == [C.SAFETY_NET_LABOUR]


# -- 公益岗位: for weak labour --------------------------------------------------------------------


def post(capacity: str | None, reason: str = "") -> MeasureFacts:
    holder = None if capacity is None else member(45, capacity)
    return MeasureFacts(
        category="public_post",
        subtype="public_post.cleaning",
        members=() if holder is None else (holder,),
        target=holder,
        reason=reason,
    )


@pytest.mark.parametrize(
    ("capacity", "reason", "code", "message"),
    [
        ("weak", "", None, ""),
        ("lost", "", C.PUBLIC_POST_LABOUR, "上岗人员已丧失劳动能力，不能安排公益岗位"),
        ("none", "", C.PUBLIC_POST_LABOUR, "上岗人员已丧失劳动能力，不能安排公益岗位"),
        ("lost", "本人愿意", C.PUBLIC_POST_LABOUR, "上岗人员已丧失劳动能力，不能安排公益岗位"),
        (
            "ordinary",
            "",
            C.PUBLIC_POST_LABOUR,
            "公益岗位主要安置弱劳动力或半劳动力：上岗人员为普通或技能劳动力，须说明理由",
        ),
        ("skilled", "照顾病人不能外出", None, ""),
        ("", "", C.PUBLIC_POST_LABOUR, "上岗人员的劳动能力未登记"),
        (None, "", C.PUBLIC_POST_MEMBER, "公益岗位须指定上岗的家庭成员"),
    ],
)
def test_public_post_for_weak_labour(
    capacity: str | None, reason: str, code: C | None, message: str
) -> None:
    got = [(r.code, r.message) for r in pm.check(post(capacity, reason))]
    assert got == ([] if code is None else [(code, message)])


# -- 危房改造: C/D houses of the four priority groups ----------------------------------------------


@pytest.mark.parametrize(
    ("grade", "refused", "shown"),
    [("C", False, ""), ("D", False, ""), ("", True, "未登记"), ("safe", True, "非危房")],
)
def test_housing_only_for_c_and_d_houses(grade: str, refused: bool, shown: str) -> None:
    got = pm.check(MeasureFacts(category="housing", house_grade=grade))
    assert [(r.code, r.message) for r in got] == (
        [(C.HOUSING_GRADE, f"危房改造只针对 C、D 级危房（该户危房级别：{shown}）")]
        if refused
        else []
    )


@pytest.mark.parametrize(
    ("status", "attribute", "members", "refused"),
    [
        ("poor", "general", (), False),
        ("returned", "general", (), False),
        ("exited_with_policy", "general", (), False),
        ("exited", "general", (), True),
        ("exited", "dibao", (), False),
        ("exited", "tekun", (), False),
        ("exited", "general", (member(dibao=True),), False),
        ("exited", "general", (member(tekun=True),), False),
        ("exited", "general", (member(health="disabled"),), False),
        ("exited", "general", (member(health="serious"),), True),
    ],
)
def test_housing_only_for_the_priority_groups(
    status: str, attribute: str, members: tuple[MemberFacts, ...], refused: bool
) -> None:
    m = MeasureFacts(
        category="housing",
        house_grade="D",
        household_status=status,
        household_attribute=attribute,
        members=members,
    )
    assert codes(m) == ([C.HOUSING_PRIORITY] if refused else [])


def test_housing_blank_grade_and_no_priority_gets_both_refusals() -> None:
    m = MeasureFacts(category="housing", house_grade="", household_status="exited")
    assert codes(m) == [C.HOUSING_GRADE, C.HOUSING_PRIORITY]


def test_categories_without_a_rule_pass() -> None:
    for cat in ("industry", "employment", "education", "health", "other"):
        assert pm.check(MeasureFacts(category=cat)) == [], cat


# -- the words of the suggestion ------------------------------------------------------------------


def test_explain_gives_every_suggestion_as_a_chinese_sentence_in_catalogue_order() -> None:
    row = {s.column: 1 for s in pm.SUGGESTIONS}
    sentences = pm.explain(row)
    assert len(sentences) == 20 == len(pm.SUGGESTIONS)
    for s, text in zip(pm.SUGGESTIONS, sentences, strict=True):
        assert text == f"{s.because}：建议{s.advice}"
    assert (
        sentences[0]
        == "有成员患大病：建议健康扶贫（大病集中救治，落实基本医保、大病保险和医疗救助）"
    )
    assert "家中无劳动力：建议社会保障兜底（低保或特困供养），与扶贫标准衔接" in sentences
    assert sentences[-1] == "因灾：建议临时救助，并落实灾后恢复生产"
    only = {s.column: 0 for s in pm.SUGGESTIONS} | {"s_housing": 1}
    assert pm.explain(only) == ["住房为 C、D 级危房：建议危房改造（D 级拆除重建，C 级修缮加固）"]
    assert pm.explain({}) == []


# -- visits and leave -----------------------------------------------------------------------------


def test_visit_overdue_after_the_interval_not_on_its_last_day() -> None:
    since = date(2020, 1, 1)
    assert not pm.visit_overdue(date(2020, 3, 1), since, date(2020, 4, 1), 31)  # 31 days
    assert pm.visit_overdue(date(2020, 3, 1), since, date(2020, 4, 2), 31)  # 32 days
    assert not pm.visit_overdue(None, since, date(2020, 2, 1), 31)  # from the pairing
    assert pm.visit_overdue(None, since, date(2020, 2, 2), 31)


def test_leave_of_three_days_is_the_townships_four_the_countys() -> None:
    assert pm.leave_level(1) == pm.leave_level(3) == "township"
    assert pm.leave_level(4) == "county"
