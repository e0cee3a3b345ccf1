"""The national household standard (贫困户脱贫标准), rule set ``household-standard@2016.1``.

Clause: 中共中央办公厅、国务院办公厅《关于建立贫困退出机制的意见》(2016年4月):
"贫困人口退出以户为单位，主要衡量标准是该户年人均纯收入稳定超过国家扶贫标准且吃穿不愁，
义务教育、基本医疗、住房安全有保障" (domain.md §5), with the operational definitions of
《关于解决"两不愁三保障"突出问题的指导意见》(2019) and safe drinking water as practised in
2019–20 (domain.md §6).

The same standard decides identification (a household failing it is poor) and exit (a
household meeting it may leave), so the failed rules are "what stands between the household
and exit".
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from fupin.policy.codes import HOUSE_GRADE
from fupin.policy.parameters import StandardType
from fupin.policy.rules.base import Context, Inputs, Rule, RuleSet

EXIT_OPINION_2016 = "《关于建立贫困退出机制的意见》（2016）贫困人口退出标准"
GUIDANCE_2019 = "《关于解决“两不愁三保障”突出问题的指导意见》（2019）"

SAFE_HOUSE = HOUSE_GRADE.codes[0]  # "safe": not a C/D-grade dangerous house


def _poverty_line(h: ir.Table, ctx: Context) -> ir.FloatingValue:
    """The line each household is measured against: its region's standard, else national."""
    national = ibis.literal(float(ctx.national_line.amount))
    regional = ctx.parameters.regional_lines(ctx.year)
    if not regional:
        return national
    branches = [
        (
            (h.standard == line.standard.value) & h.village_id.startswith(line.region),
            ibis.literal(float(line.amount)),
        )
        for line in regional
    ]
    return ibis.cases(*branches, else_=national)


def facts(inputs: Inputs, ctx: Context) -> ir.Table:
    """One row per household: income against its line, school-age children, cover, housing."""
    p = ctx.parameters
    m = inputs.member
    # Aged from school_age_min to school_age_max on the reference day ⇔ born in
    # (ref − (max+1) years, ref − min years]; comparing dates avoids per-row age arithmetic.
    ref = (p.age_reference_month, p.age_reference_day)
    born_after = ibis.date(ctx.year - p.school_age_max - 1, *ref)
    born_by = ibis.date(ctx.year - p.school_age_min, *ref)
    school_age = (m.birth_date > born_after) & (m.birth_date <= born_by)
    not_in_school = school_age & (m.school_status == "not_in_school")
    # A blank 在校生状况 is not recorded (issue 14): it proves neither schooling nor its absence.
    unrecorded_school = school_age & (m.school_status.fill_null("").strip() == "")
    members = m.group_by(household_key=m.household_id).aggregate(
        member_count=m.count(),
        school_age_count=school_age.sum(),
        out_of_school_count=(not_in_school & ~m.school_exempt_physical).sum(),
        exempt_count=(not_in_school & m.school_exempt_physical).sum(),
        school_unrecorded_count=unrecorded_school.sum(),
        uninsured_count=(~m.basic_medical).sum(),
    )
    inc = inputs.income
    income = inc.filter(inc.year == ctx.year).select(
        income_key=inc.household_id,
        net_income=inc.net_income.cast("float64"),
        household_size=inc.household_size,
    )
    c = inputs.conditions
    conditions = c.select(
        conditions_key=c.household_id,
        # A blank 危房级别 is not recorded (issue 14), never "safe".
        house_grade=c.house_grade.strip().nullif(""),
        food_secure=c.food_secure,
        clothing_secure=c.clothing_secure,
        water_safe=c.water_safe,
        # Inputs without the column (older flat files, the indices' own inputs) leave it NULL.
        drinking_water_difficult=(
            c.water_difficult if "water_difficult" in c.columns else ibis.null("boolean")
        ),
    )
    h = inputs.household
    joined = (
        h.left_join(members, h.id == members.household_key)
        .left_join(income, h.id == income.income_key)
        .left_join(conditions, h.id == conditions.conditions_key)
    )
    line = _poverty_line(h, ctx)
    out_of_school = joined.out_of_school_count.fill_null(0)
    school_unrecorded = joined.school_unrecorded_count.fill_null(0)
    # 饮水困难 = 是 fails the water guarantee whatever 饮水安全 says (domain.md §6).
    difficult = joined.drinking_water_difficult.fill_null(False)
    return joined.select(
        household_id=h.id,
        village_id=h.village_id,
        standard=h.standard,
        status=h.status,
        poverty_line=line,
        net_income=joined.net_income,
        household_size=joined.household_size,
        per_capita_net_income=(joined.net_income / joined.household_size).round(2),
        income_gap=(line - joined.net_income / joined.household_size).round(2),
        member_count=joined.member_count.fill_null(0),
        school_age_count=joined.school_age_count.fill_null(0),
        out_of_school_count=out_of_school,
        school_unrecorded_count=school_unrecorded,
        # NULL (not decidable) when no child is known out of school but some status is blank.
        education_recorded=ibis.ifelse(
            (out_of_school == 0) & (school_unrecorded > 0), ibis.null("boolean"), True
        ),
        exempt_count=joined.exempt_count.fill_null(0),
        uninsured_count=joined.uninsured_count.fill_null(0),
        house_grade=joined.house_grade,
        food_secure=joined.food_secure,
        clothing_secure=joined.clothing_secure,
        water_safe=joined.water_safe,
        drinking_water_difficult=joined.drinking_water_difficult,
        water_ok=ibis.ifelse(difficult, False, joined.water_safe),
        water_reason=ibis.ifelse(difficult, "登记为饮水困难", "饮水不安全"),
    )


# Income is compared as net income > line × size rather than per-capita > line so that no
# engine's rounding of a division can tip a household across the line.
RULES = (
    Rule(
        code="INCOME_ABOVE_LINE",
        title="收入超过扶贫标准",
        clause=f"{EXIT_OPINION_2016}：年人均纯收入稳定超过国家扶贫标准",
        expression=lambda f, ctx: f.net_income > f.poverty_line * f.household_size,
        requires=("net_income", "household_size"),
        passed="{year} 年人均纯收入 {per_capita_net_income} 元，高于适用的扶贫标准 "
        "{poverty_line} 元。",
        failed="{year} 年人均纯收入 {per_capita_net_income} 元，未超过适用的扶贫标准 "
        "{poverty_line} 元，还差 {income_gap} 元。",
        missing="没有登记 {year} 年的家庭收支，无法判断收入是否超过扶贫标准。",
        remedy="人均纯收入稳定超过 {poverty_line} 元（登记 {year} 年收支并增收）",
    ),
    Rule(
        code="FOOD_SECURE",
        title="不愁吃",
        clause=f"{EXIT_OPINION_2016}：吃穿不愁；{GUIDANCE_2019}",
        expression=lambda f, ctx: f.food_secure,
        requires=("food_secure",),
        passed="吃饭不愁。",
        failed="吃饭有困难（不愁吃未达到）。",
        missing="未核实是否不愁吃。",
        remedy="解决吃饭问题并入户核实",
    ),
    Rule(
        code="CLOTHING_SECURE",
        title="不愁穿",
        clause=f"{EXIT_OPINION_2016}：吃穿不愁；{GUIDANCE_2019}",
        expression=lambda f, ctx: f.clothing_secure,
        requires=("clothing_secure",),
        passed="穿衣不愁。",
        failed="穿衣有困难（四季衣物、被褥不足）。",
        missing="未核实是否不愁穿。",
        remedy="解决四季衣物和被褥并入户核实",
    ),
    Rule(
        code="EDUCATION_GUARANTEED",
        title="义务教育有保障",
        clause=f"{EXIT_OPINION_2016}：义务教育有保障；{GUIDANCE_2019}：除身体原因不具备学习条件外，"
        "不失学辍学",
        expression=lambda f, ctx: (f.out_of_school_count == 0) & (f.school_unrecorded_count == 0),
        requires=("education_recorded",),
        passed="家中义务教育阶段适龄人员 {school_age_count} 人，无人失学辍学"
        "（因身体原因不能上学的 {exempt_count} 人不计）。",
        failed="家中有 {out_of_school_count} 名义务教育阶段适龄人员未在校（失学辍学）。",
        missing="家中有 {school_unrecorded_count} 名义务教育阶段适龄人员未登记在校生状况，"
        "无法判断义务教育是否有保障。",
        remedy="让 {out_of_school_count} 名失学辍学的适龄人员返校（或因身体原因送教上门并登记），"
        "并登记每名适龄人员的在校生状况",
    ),
    Rule(
        code="MEDICAL_INSURED",
        title="基本医疗有保障",
        clause=f"{EXIT_OPINION_2016}：基本医疗有保障；{GUIDANCE_2019}：参加城乡居民基本医疗保险",
        expression=lambda f, ctx: (f.uninsured_count == 0) & (f.member_count > 0),
        requires=(),
        passed="全家 {member_count} 人都参加了城乡居民基本医疗保险。",
        failed="家中有 {uninsured_count} 人未参加城乡居民基本医疗保险（共 {member_count} 人）。",
        remedy="为 {uninsured_count} 名未参保成员办理城乡居民基本医疗保险",
    ),
    Rule(
        code="HOUSING_SAFE",
        title="住房安全有保障",
        clause=f"{EXIT_OPINION_2016}：住房安全有保障；{GUIDANCE_2019}：C级、D级危房须改造或另行安置",
        expression=lambda f, ctx: f.house_grade == SAFE_HOUSE,
        requires=("house_grade",),
        passed="住房不是 C 级或 D 级危房。",
        failed="住房为 {house_grade} 级危房。",
        missing="未登记住房安全（危房级别）信息。",
        remedy="完成危房改造或另行安置，并由住建部门重新鉴定",
    ),
    Rule(
        code="WATER_SAFE",
        title="饮水安全有保障",
        clause=f"{GUIDANCE_2019}；2019–2020 年脱贫验收中的饮水安全要求（domain.md §6）",
        expression=lambda f, ctx: f.water_ok,
        requires=("water_ok",),
        passed="饮水安全。",
        failed="{water_reason}（水量、水质、取水便利或供水保证率未达标）。",
        missing="未核实饮水是否安全。",
        remedy="解决安全饮水（水量、水质、取水便利、供水保证率）并核实",
    ),
)

HOUSEHOLD_STANDARD_2016 = RuleSet(
    code="household-standard",
    version="2016.1",
    title="贫困户脱贫标准（国家，两不愁三保障及饮水安全）",
    clause=EXIT_OPINION_2016,
    facts=facts,
    rules=RULES,
)

__all__ = ["HOUSEHOLD_STANDARD_2016", "RULES", "StandardType", "facts"]
