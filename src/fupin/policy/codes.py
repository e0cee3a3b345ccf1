"""National code lists of the household registration form (贫困户登记表), domain.md §3.

Each list is a ``CodeList``: stable English codes stored in the database and files, with the
Chinese label used verbatim in the UI, on forms and in the Excel template. Importers accept
either the code or the label. Numeric codes of the national system differ between
implementations (domain.md §3.1), so these codes are our own stable table.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CodeList:
    """An ordered code list: ``code -> Chinese label`` plus accepted aliases."""

    name: str
    label: str
    items: tuple[tuple[str, str], ...]
    aliases: Mapping[str, str] = field(default_factory=dict)

    def __iter__(self) -> Iterator[str]:
        return (code for code, _ in self.items)

    def __contains__(self, code: object) -> bool:
        return any(code == c for c, _ in self.items)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.items)

    @property
    def choices(self) -> list[tuple[str, str]]:
        return list(self.items)

    def label_of(self, code: str) -> str:
        for c, lab in self.items:
            if c == code:
                return lab
        raise KeyError(code)

    def lookup(self) -> dict[str, str]:
        """Map every accepted spelling (code, label, alias) to the code."""
        out: dict[str, str] = {}
        for code, lab in self.items:
            out[code] = code
            out[lab] = code
        out.update(self.aliases)
        return out

    def parse(self, text: str) -> str | None:
        """Return the code for a code, label or alias, or None when unknown."""
        return self.lookup().get(text.strip())


HOUSEHOLD_ATTRIBUTE = CodeList(
    "household_attribute",
    "贫困户属性",
    (
        ("general", "一般贫困户"),
        ("dibao", "低保贫困户"),
        ("tekun", "特困供养贫困户"),
    ),
    aliases={"一般户": "general", "低保户": "dibao", "五保户": "tekun", "五保贫困户": "tekun"},
)

IDENTIFICATION_STANDARD = CodeList(
    "identification_standard",
    "识别标准",
    (
        ("national", "国家标准"),
        ("provincial", "省定标准"),
        ("municipal", "市定标准"),
    ),
)

# National 2014 list in form order (domain.md §3.1, [S14]).
CAUSE = CodeList(
    "cause",
    "致贫原因",
    (
        ("illness", "因病"),
        ("disability", "因残"),
        ("schooling", "因学"),
        ("disaster", "因灾"),
        ("lack_land", "缺土地"),
        ("lack_water", "缺水"),
        ("lack_skills", "缺技术"),
        ("lack_labour", "缺劳力"),
        ("lack_capital", "缺资金"),
        ("poor_transport", "交通条件落后"),
        ("lack_motivation", "自身发展动力不足"),
        ("other", "其他"),
    ),
    aliases={"缺劳动力": "lack_labour", "其它": "other"},
)

# 脱贫状态 (aar010) plus the lifecycle states before registration and after removal.
POVERTY_STATUS = CodeList(
    "poverty_status",
    "脱贫状态",
    (
        ("poor", "未脱贫"),
        ("exited_with_policy", "已脱贫(享受政策)"),
        ("returned", "返贫"),
        ("exited", "已脱贫(不再享受政策)"),
        ("removed", "已清退"),
    ),
    aliases={"已脱贫（享受政策）": "exited_with_policy", "已脱贫（不再享受政策）": "exited"},
)

SEX = CodeList("sex", "性别", (("male", "男"), ("female", "女")))

RELATION = CodeList(
    "relation",
    "与户主关系",
    (
        ("head", "户主"),
        ("spouse", "配偶"),
        ("son", "之子"),
        ("daughter", "之女"),
        ("daughter_in_law", "之儿媳"),
        ("son_in_law", "之女婿"),
        ("grandson", "之孙子"),
        ("granddaughter", "之孙女"),
        ("daughters_son", "之外孙子"),
        ("daughters_daughter", "之外孙女"),
        ("father", "之父"),
        ("mother", "之母"),
        ("father_in_law_w", "之岳父"),
        ("mother_in_law_w", "之岳母"),
        ("father_in_law_h", "之公公"),
        ("mother_in_law_h", "之婆婆"),
        ("grandfather", "之祖父"),
        ("grandmother", "之祖母"),
        ("maternal_grandfather", "之外祖父"),
        ("maternal_grandmother", "之外祖母"),
        ("other", "其他"),
    ),
)

# GB/T 3304 order, 56 groups + 其他 + 外国血统.
_ETHNIC_NAMES = (
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
)
ETHNICITY = CodeList(
    "ethnicity",
    "民族",
    (
        *((f"{i + 1:02d}", name) for i, name in enumerate(_ETHNIC_NAMES)),
        ("97", "其他"),
        ("98", "外国血统"),
    ),
    aliases={name.removesuffix("族"): f"{i + 1:02d}" for i, name in enumerate(_ETHNIC_NAMES)},
)

EDUCATION = CodeList(
    "education",
    "文化程度",
    (
        ("illiterate", "文盲或半文盲"),
        ("primary", "小学"),
        ("junior", "初中"),
        ("senior", "高中"),
        ("college", "大专及以上"),
        ("preschool_child", "学龄前儿童"),
    ),
)

SCHOOL_STATUS = CodeList(
    "school_status",
    "在校生状况",
    (
        ("not_in_school", "非在校生"),
        ("preschool", "学前教育"),
        ("primary", "小学"),
        ("junior", "七至九年级"),
        ("senior", "高中"),
        ("vocational_secondary", "中职"),
        ("vocational_higher", "高职"),
        ("college", "大专及以上"),
    ),
    aliases={"七年级": "junior", "八年级": "junior", "九年级": "junior", "初中": "junior"},
)

# Codes of SCHOOL_STATUS that count as "in school".
IN_SCHOOL = tuple(c for c in SCHOOL_STATUS.codes if c != "not_in_school")

HEALTH = CodeList(
    "health",
    "健康状况",
    (
        ("healthy", "健康"),
        ("chronic", "长期慢性病"),
        ("serious", "患有大病"),
        ("disabled", "残疾"),
    ),
)

LABOUR_CAPACITY = CodeList(
    "labour_capacity",
    "劳动能力",
    (
        ("ordinary", "普通劳动力"),
        ("skilled", "技能劳动力"),
        ("weak", "弱劳动力或半劳动力"),
        ("lost", "丧失劳动力"),
        ("none", "无劳动力"),
    ),
)

MIGRANT_WORK = CodeList(
    "migrant_work",
    "务工状况",
    (
        ("none", "未务工"),
        ("in_township", "乡(镇)内务工"),
        ("in_county", "乡(镇)外县内务工"),
        ("in_province", "县外省内务工"),
        ("out_of_province", "省外务工"),
        ("other", "其他"),
    ),
)

HOUSE_GRADE = CodeList(
    "house_grade",
    "危房级别",
    (("safe", "否"), ("C", "C级"), ("D", "D级")),
    aliases={"A": "safe", "B": "safe", "A级": "safe", "B级": "safe", "非危房": "safe"},
)

ROAD_TYPE = CodeList(
    "road_type",
    "入户路类型",
    (("dirt", "泥土路"), ("gravel", "砂石路"), ("concrete", "水泥路"), ("asphalt", "沥青路")),
)

FUEL = CodeList(
    "fuel",
    "主要燃料类型",
    (
        ("firewood", "柴草"),
        ("coal", "煤炭"),
        ("lpg_bottled", "罐装液化石油气"),
        ("piped_gas", "管道液化石油气/煤气/天然气"),
        ("electricity", "电"),
        ("oil", "燃料用油"),
        ("biogas", "沼气"),
        ("other", "其他"),
        ("no_cooking", "无炊用行为"),
    ),
)

FACT_SOURCE = CodeList(
    "fact_source",
    "数据来源",
    (("manual", "手工录入"), ("import", "批量导入"), ("department", "部门比对")),
)

ALL_CODE_LISTS: tuple[CodeList, ...] = (
    HOUSEHOLD_ATTRIBUTE,
    IDENTIFICATION_STANDARD,
    CAUSE,
    POVERTY_STATUS,
    SEX,
    RELATION,
    ETHNICITY,
    EDUCATION,
    SCHOOL_STATUS,
    HEALTH,
    LABOUR_CAPACITY,
    MIGRANT_WORK,
    HOUSE_GRADE,
    ROAD_TYPE,
    FUEL,
    FACT_SOURCE,
)
