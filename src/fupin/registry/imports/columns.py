"""The flat registry file: one row per person, household facts repeated on every row.

This is the shape of the national household form's export and of a cadre's spreadsheet, and
the shape ``fupin generate`` writes and ``fupin import`` reads (CSV, Parquet, xlsx/xls).
Every column has a canonical English name and the Chinese heading of the national form; a
file may use either. Household-level columns must agree on every row of a household
(``household_code``); they are taken from the head's row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fupin.policy import codes

Kind = Literal["text", "code", "bool", "int", "money", "decimal", "id_number", "division", "causes"]
Level = Literal["household", "conditions", "income", "member"]


@dataclass(frozen=True)
class Column:
    name: str
    heading: str
    level: Level
    kind: Kind
    required: bool = False
    code_list: codes.CodeList | None = None
    #: Model field the column fills (defaults to ``name``).
    field: str | None = None

    @property
    def model_field(self) -> str:
        return self.field or self.name


C = Column
COLUMNS: tuple[Column, ...] = (
    # 户基本情况
    C("household_code", "户编号", "household", "text", required=True),
    C("village_code", "村代码", "household", "division", required=True, field="village_id"),
    C("group_name", "村民小组", "household", "text"),
    C("attribute", "贫困户属性", "household", "code", True, codes.HOUSEHOLD_ATTRIBUTE),
    C("standard", "识别标准", "household", "code", True, codes.IDENTIFICATION_STANDARD),
    C("main_cause", "主要致贫原因", "household", "code", True, codes.CAUSE),
    C("other_causes", "其他致贫原因", "household", "causes", code_list=codes.CAUSE),
    C("status", "脱贫状态", "household", "code", True, codes.POVERTY_STATUS),
    C("first_identified_year", "首次识别年度", "household", "int", required=True),
    C("exit_year", "脱贫年度", "household", "int"),
    C("military_family", "是否军烈属", "household", "bool"),
    C("one_child", "是否独生子女户", "household", "bool"),
    C("two_daughters", "是否双女户", "household", "bool"),
    C("relocated", "是否易地扶贫搬迁户", "household", "bool"),
    C("phone", "联系电话", "household", "text"),
    C("bank_name", "开户银行", "household", "text"),
    C("bank_account", "银行账号", "household", "text"),
    # 生产生活条件
    C("cultivated_land_mu", "耕地面积（亩）", "conditions", "decimal"),
    C("housing_area_m2", "住房面积（平方米）", "conditions", "decimal"),
    C("house_grade", "危房级别", "conditions", "code", code_list=codes.HOUSE_GRADE),
    C("food_secure", "不愁吃", "conditions", "bool"),
    C("clothing_secure", "不愁穿", "conditions", "bool"),
    C("water_difficult", "饮水是否困难", "conditions", "bool"),
    C("water_safe", "饮水是否安全", "conditions", "bool"),
    C("electricity_household", "是否通生活用电", "conditions", "bool"),
    C("road_distance_km", "与村主干路距离（公里）", "conditions", "decimal"),
    C("road_type", "入户路类型", "conditions", "code", code_list=codes.ROAD_TYPE),
    C("sanitary_toilet", "有无卫生厕所", "conditions", "bool"),
    C("fuel", "主要燃料类型", "conditions", "code", code_list=codes.FUEL),
    # 收支情况（年度）
    C("income_year", "收入年度", "income", "int", field="year"),
    C("household_size", "家庭人口数", "income", "int"),
    C("wage", "工资性收入", "income", "money"),
    C("operating_income", "生产经营性收入", "income", "money"),
    C("property_dividend", "资产收益扶贫分红收入", "income", "money"),
    C("property_other", "其他财产性收入", "income", "money"),
    C("transfer_family_planning", "计划生育金", "income", "money"),
    C("transfer_dibao", "低保金", "income", "money"),
    C("transfer_tekun", "特困供养金", "income", "money"),
    C("transfer_pension", "养老保险金", "income", "money"),
    C("transfer_ecological", "生态补偿金", "income", "money"),
    C("transfer_other", "其他转移性收入", "income", "money"),
    C("operating_cost", "生产经营性支出", "income", "money"),
    # 家庭成员
    C("name", "姓名", "member", "text", required=True),
    C("id_number", "公民身份号码", "member", "id_number", required=True),
    C("relation", "与户主关系", "member", "code", True, codes.RELATION),
    C("ethnicity", "民族", "member", "code", True, codes.ETHNICITY),
    C("education", "文化程度", "member", "code", code_list=codes.EDUCATION),
    C("school_status", "在校生状况", "member", "code", code_list=codes.SCHOOL_STATUS),
    C("school_exempt_physical", "因身体原因不能上学", "member", "bool"),
    C("health", "健康状况", "member", "code", code_list=codes.HEALTH),
    C("labour_capacity", "劳动能力", "member", "code", code_list=codes.LABOUR_CAPACITY),
    C("migrant_work", "务工状况", "member", "code", code_list=codes.MIGRANT_WORK),
    C("migrant_months", "务工时间（月）", "member", "int"),
    C("basic_medical", "是否参加城乡居民基本医疗保险", "member", "bool"),
    C("serious_illness_insurance", "是否参加大病保险", "member", "bool"),
    C("pension", "是否参加城乡居民基本养老保险", "member", "bool"),
    C("dibao", "是否享受低保", "member", "bool"),
    C("tekun", "是否特困供养", "member", "bool"),
)

BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
#: Accepted header spellings (canonical name or Chinese heading) -> canonical name.
HEADER_ALIASES: dict[str, str] = {
    **{c.name: c.name for c in COLUMNS},
    **{c.heading: c.name for c in COLUMNS},
}

#: Separators accepted between several causes in ``other_causes``.
CAUSE_SEPARATORS = ("、", ";", "；", ",", "，", "|")
#: Text accepted for booleans.
TRUE_TEXT = frozenset({"是", "1", "true", "True", "TRUE", "Y", "y", "有"})
FALSE_TEXT = frozenset({"否", "0", "false", "False", "FALSE", "N", "n", "无", ""})


def columns_of(level: Level) -> tuple[Column, ...]:
    return tuple(c for c in COLUMNS if c.level == level)


#: The income items of 纯收入 (net income = their sum − 生产经营性支出 ``operating_cost``).
INCOME_ITEMS = (
    "wage",
    "operating_income",
    "property_dividend",
    "property_other",
    "transfer_family_planning",
    "transfer_dibao",
    "transfer_tekun",
    "transfer_pension",
    "transfer_ecological",
    "transfer_other",
)
