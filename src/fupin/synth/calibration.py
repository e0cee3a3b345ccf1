"""Every figure the synthetic registry is calibrated to, with its source.

Sources are domain.md sections and source keys ([S..]), paragraphs of the 23 June 2017 speech
(``/work/shared/reference/seed-speech-2017-06-23.txt``, "speech ¶N" counts non-empty lines),
or "assumption" where no published figure was at hand: those are plausible values that keep
the generated data coherent, and they are the first thing to replace when better figures turn
up. Poverty lines are not repeated here: they come from ``fupin.policy.parameters``.

Shares are fractions (0.25 = 25%); money is yuan per year at current prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# ---------------------------------------------------------------------------------------------
# Years
# ---------------------------------------------------------------------------------------------

#: The registry era the generator covers: filing in 2014 to the end of the battle in 2020
#: (domain.md §2.1, §11).
FIRST_YEAR = 2014
LAST_YEAR = 2020
YEARS = tuple(range(FIRST_YEAR, LAST_YEAR + 1))

# ---------------------------------------------------------------------------------------------
# Scale and villages
# ---------------------------------------------------------------------------------------------

#: Registry in 2014: 29.48M households, 89.62M persons, 128,000 poor villages
#: (domain.md §11.2 [S20][S21]).
REGISTRY_HOUSEHOLDS = 29_480_000
REGISTRY_PERSONS = 89_620_000
REGISTRY_MEAN_HOUSEHOLD_SIZE = REGISTRY_PERSONS / REGISTRY_HOUSEHOLDS  # ≈ 3.04
POOR_VILLAGES = 128_000
#: Villages in the packaged NBS 2023 division data (divisions/data/README.md).
ALL_VILLAGES = 620_573
#: Share of villages that are registered poor villages: 128,000 / 620,573 ≈ 20.6%.
POOR_VILLAGE_SHARE = POOR_VILLAGES / ALL_VILLAGES
#: "全国12.8万个建档立卡贫困村居住着60%的贫困人口" (speech ¶41).
POOR_VILLAGE_PERSON_SHARE = 0.60
#: Weight of a poor village against another village such that the share of villages above
#: holds the share of persons above: (0.60 / 0.206) / (0.40 / 0.794) ≈ 5.8 (derived).
POOR_VILLAGE_WEIGHT = (POOR_VILLAGE_PERSON_SHARE / POOR_VILLAGE_SHARE) / (
    (1 - POOR_VILLAGE_PERSON_SHARE) / (1 - POOR_VILLAGE_SHARE)
)
#: Spread of the poor population across villages of the same kind: lognormal sigma of the
#: village weight (assumption: the poorest tenth of villages hold several times the median).
VILLAGE_WEIGHT_SIGMA = 0.9
#: Weight of an urban residents' committee (居委会, village code suffix 001–199) against a
#: rural village (村委会, 200–399): the registry is rural (assumption).
URBAN_COMMUNITY_WEIGHT = 0.03
#: Weight of a county-level district (市辖区, name ending in 区) against a county in a
#: multi-county run (assumption: districts hold few registered poor).
DISTRICT_WEIGHT = 0.35
#: Rural poor population by province at the end of 2014, 10k persons: splits the persons of
#: a multi-province run. NBS rural poverty monitoring figures as remembered (they add up to
#: ≈6,900 of the 7,017 in domain.md §11.1); the eastern provinces that registered against
#: their own standards get token weights (assumption to verify).
PROVINCE_POOR_10K: dict[int, int] = {
    11: 5, 12: 5, 13: 320, 14: 269, 15: 98, 21: 86, 22: 81, 23: 111, 31: 2, 32: 40, 33: 20,
    34: 309, 35: 45, 36: 276, 37: 242, 41: 565, 42: 323, 43: 532, 44: 115, 45: 540, 46: 51,
    50: 119, 51: 497, 52: 623, 53: 574, 54: 61, 61: 350, 62: 417, 63: 52, 64: 45, 65: 212,
}  # fmt: skip
#: Villager groups (村民小组) per village: uniform in this range (assumption).
GROUPS_PER_VILLAGE = (3, 12)

# ---------------------------------------------------------------------------------------------
# Income (人均纯收入 of the registered poor) and poverty status by year
# ---------------------------------------------------------------------------------------------

#: Published per-capita net income of the registered poor: 2015 2,982 and 2020 10,740
#: (domain.md §11.2 [S44]); 2016 4,124 and 2019 9,057 ([S76]).
PER_CAPITA_NET_INCOME_PUBLISHED: dict[int, float] = {
    2015: 2982.0,
    2016: 4124.0,
    2019: 9057.0,
    2020: 10740.0,
}


def _per_capita_net_income_all() -> dict[int, float]:
    out = dict(PER_CAPITA_NET_INCOME_PUBLISHED)
    # 2017, 2018: geometric interpolation between 2016 and 2019 (assumption; ≈ 30%/yr as
    # domain.md §11.2 notes).
    growth = (out[2019] / out[2016]) ** (1 / 3)
    out[2017] = round(out[2016] * growth)
    out[2018] = round(out[2016] * growth**2)
    # 2014: no figure found. Extrapolating back with the 2015→2016 growth gives ≈2,160, below
    # what the households still poor alone earn under a 2,800 line; 2,500 keeps those that
    # exited in 2014 above the line (assumption).
    out[2014] = 2500.0
    return dict(sorted(out.items()))


#: Target mean per-capita net income per year (published where available, else derived).
PER_CAPITA_NET_INCOME: dict[int, float] = _per_capita_net_income_all()

#: Rural poor population at year end under the current standard, 10k persons (NBS;
#: domain.md §11.1 [S6][S66][S67][S68][S69][S70][S71][S72][S73]).
POOR_POPULATION_10K: dict[int, int] = {
    2013: 8249,
    2014: 7017,
    2015: 5575,
    2016: 4335,
    2017: 3046,
    2018: 1660,
    2019: 551,
    2020: 0,
}

#: Share of households already exited at the end of a year: 1 − poor(year) / poor(2013)
#: (derived from POOR_POPULATION_10K; the registry is assumed to exit at the survey's pace).
EXITED_SHARE: dict[int, float] = {
    y: 1.0 - POOR_POPULATION_10K[y] / POOR_POPULATION_10K[2013] for y in YEARS
}

#: Persons lifted out per year, 10k (domain.md §11.1 reductions): weights of the exit year.
EXITS_PER_YEAR_10K: dict[int, int] = {
    y: POOR_POPULATION_10K[y - 1] - POOR_POPULATION_10K[y] for y in YEARS
}

#: Year of first identification (首次识别年度) of households on the registry: the 2014 filing
#: plus yearly adjustments from the 2015–16 re-checks on (domain.md §2.1 [S21]); the split
#: is an assumption. Renormalised over the years up to the generated year.
FIRST_IDENTIFIED_WEIGHTS: dict[int, float] = {
    2014: 0.80,
    2015: 0.07,
    2016: 0.05,
    2017: 0.03,
    2018: 0.025,
    2019: 0.015,
    2020: 0.01,
}

#: Households still poor: per-capita net income is line × lognormal(median, sigma), clipped
#: to [low, high] × line (assumption: most below the line, some above it for lack of
#: 两不愁三保障).
POOR_INCOME_MEDIAN_OF_LINE = 0.76
POOR_INCOME_SIGMA = 0.22
POOR_INCOME_CLIP_OF_LINE = (0.2, 1.6)
#: Exited households: line × (1 + margin) + lognormal excess whose mean makes the year's
#: mean hit PER_CAPITA_NET_INCOME (assumption for the shape).
EXITED_INCOME_MARGIN_OF_LINE = 0.02
EXITED_INCOME_SIGMA = 0.7
#: Exited households whose income is in fact below the line (错退): the evaluation threshold
#: is 2% (domain.md §5 [S29]); the generated share sits just under it (assumption).
WRONG_EXIT_SHARE = 0.015
#: Poor households flagged as 返贫 (returned) from 2016 on (assumption).
RETURNED_SHARE_OF_POOR = 0.02
#: Exited households that no longer enjoy policies (已脱贫(不再享受政策)) among those that
#: exited two or more years earlier (assumption; policies stay in place after exit,
#: domain.md §5 [S28c]).
EXITED_WITHOUT_POLICY_SHARE = 0.03

# ---------------------------------------------------------------------------------------------
# Income items (收支情况, domain.md §3.4) — amounts per year
# ---------------------------------------------------------------------------------------------

#: Minimum monthly basic pension of the urban-rural residents' scheme: 70 yuan from 2014,
#: 88 from 2018, 93 from 2020 (State Council adjustments; not in domain.md — assumption to
#: verify). domain.md §3.6 [C10] checks pension ≥ 88 as a local rule.
BASIC_PENSION_MONTHLY: dict[int, float] = {
    2014: 70,
    2015: 70,
    2016: 70,
    2017: 70,
    2018: 88,
    2019: 88,
    2020: 93,
}
#: Average rural 低保 standard, yuan per person per year (MCA statistical bulletins as
#: remembered: not in domain.md — assumption to verify).
RURAL_DIBAO_STANDARD: dict[int, float] = {
    2014: 2777,
    2015: 3178,
    2016: 3744,
    2017: 4301,
    2018: 4833,
    2019: 5336,
    2020: 5962,
}
#: 低保 pays the gap to the standard: paid share of the standard per recipient (assumption).
DIBAO_PAID_SHARE = 0.45
#: 特困供养 basic-living support against the 低保 standard (assumption: ≥ 1.3 × 低保).
TEKUN_OF_DIBAO_STANDARD = 1.3
#: Family-planning reward (奖励扶助) per parent aged 60+ of a one-child or two-daughter
#: household: 80 yuan a month (assumption).
FAMILY_PLANNING_YEARLY = 960.0
#: Share of households receiving asset-income dividends (资产收益扶贫分红) by year, and the
#: mean dividend (assumption; the measure spread from 2016, domain.md §7).
DIVIDEND_SHARE: dict[int, float] = {
    2014: 0.01,
    2015: 0.03,
    2016: 0.08,
    2017: 0.15,
    2018: 0.25,
    2019: 0.35,
    2020: 0.40,
}
DIVIDEND_MEAN = 600.0
#: Households with ecological compensation (退耕还林, 生态护林员) and its mean (assumption).
ECOLOGICAL_SHARE = 0.25
ECOLOGICAL_MEAN = 450.0
#: Other transfers: farmland subsidies per 亩 (耕地地力保护补贴, assumption).
FARMLAND_SUBSIDY_PER_MU = 90.0
#: Households with other property income (rent) and its mean (assumption).
PROPERTY_OTHER_SHARE = 0.05
PROPERTY_OTHER_MEAN = 800.0
#: Average monthly income of migrant workers, used only to split market income between wages
#: and farming (NBS migrant-worker monitoring reports as remembered — assumption to verify).
MIGRANT_MONTHLY_WAGE: dict[int, float] = {
    2014: 2864,
    2015: 3072,
    2016: 3275,
    2017: 3485,
    2018: 3721,
    2019: 3962,
    2020: 4072,
}
#: Net farming income per working member and per 亩 (weights of the split; assumption).
FARMING_PER_WORKER = 1500.0
FARMING_PER_MU = 250.0
#: Operating costs against net operating income (range; assumption).
OPERATING_COST_RATIO = (0.25, 0.6)
#: Transfers are capped at this share of the household's net income so that market income
#: stays positive (assumption).
TRANSFER_CAP_OF_NET = 0.9

# ---------------------------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------------------------

#: Household-size distribution (1..12 persons) of the national registry, before tilting to a
#: region's mean: its mean is REGISTRY_MEAN_HOUSEHOLD_SIZE (shape: assumption).
BASE_SIZE_PMF = (0.14, 0.25, 0.22, 0.19, 0.11, 0.05, 0.025, 0.01, 0.003, 0.001, 0.0005, 0.0005)
MAX_HOUSEHOLD_SIZE = len(BASE_SIZE_PMF)
#: Oldest age generated.
MAX_AGE = 99
#: Health by age band (healthy, chronic, serious, disabled) before a region's health factor
#: (assumption; 因病/因残 dominate the registry's causes).
HEALTH_BY_AGE: tuple[tuple[int, tuple[float, float, float, float]], ...] = (
    (0, (0.968, 0.010, 0.005, 0.017)),
    (16, (0.860, 0.060, 0.020, 0.060)),
    (45, (0.680, 0.180, 0.040, 0.100)),
    (60, (0.450, 0.370, 0.060, 0.120)),
    (75, (0.300, 0.460, 0.080, 0.160)),
)
#: Education (illiterate, primary, junior, senior, college) of adults not in school, by age
#: band (assumption: rural cohorts).
EDUCATION_BY_AGE: tuple[tuple[int, tuple[float, float, float, float, float]], ...] = (
    (16, (0.02, 0.15, 0.58, 0.18, 0.07)),
    (30, (0.05, 0.30, 0.52, 0.11, 0.02)),
    (45, (0.12, 0.45, 0.36, 0.06, 0.01)),
    (60, (0.35, 0.45, 0.16, 0.04, 0.00)),
    (75, (0.60, 0.32, 0.07, 0.01, 0.00)),
)
#: Education of adults in low-schooling regions (profile ``low_education`` share), same order
#: (assumption; the speech ¶57 notes many who "不识汉字").
LOW_EDUCATION_ADULTS = (0.55, 0.35, 0.08, 0.02, 0.0)
#: Preschool enrolment of 3–5 year olds (assumption).
PRESCHOOL_SHARE = 0.7
#: 15-year-olds on 1 September: (junior, senior, vocational) (assumption).
AGE15_SCHOOL = (0.6, 0.25, 0.15)
#: 16–18: in school share and senior vs vocational split (assumption).
AGE16_18_IN_SCHOOL = 0.65
AGE16_18_SENIOR = 0.6
#: 19–22: in higher education share and college vs higher-vocational split (assumption).
AGE19_22_IN_SCHOOL = 0.22
AGE19_22_COLLEGE = 0.5
#: Compulsory-school-age children of poor households who dropped out (失学辍学), by year
#: (assumption: the 2019 guidance made 控辍保学 a priority and dropouts near zero by 2020).
DROPOUT_SHARE: dict[int, float] = {
    2014: 0.03,
    2015: 0.025,
    2016: 0.02,
    2017: 0.015,
    2018: 0.01,
    2019: 0.005,
    2020: 0.0,
}
#: School-age children who cannot attend for physical reasons (送教上门; assumption).
SCHOOL_EXEMPT_SHARE = 0.003
#: Labour capacity in LABOUR_CAPACITY order (ordinary, skilled, weak, lost, none) of
#: working-age (16–65) members by health (healthy, chronic, serious, disabled) (assumption).
LABOUR_BY_HEALTH: tuple[tuple[float, float, float, float, float], ...] = (
    (0.83, 0.12, 0.05, 0.00, 0.00),
    (0.35, 0.02, 0.58, 0.05, 0.00),
    (0.05, 0.00, 0.45, 0.50, 0.00),
    (0.10, 0.00, 0.35, 0.55, 0.00),
)
#: Over 65: (ordinary, weak, none) if healthy; (weak, lost, none) otherwise (assumption).
LABOUR_OLD_HEALTHY = (0.10, 0.45, 0.45)
LABOUR_OLD_SICK = (0.10, 0.30, 0.60)
#: Destination of migrant workers: in township, in county, in province, out of province
#: (assumption).
MIGRANT_DESTINATION = (0.15, 0.20, 0.30, 0.35)
#: Basic medical insurance enrolment by year (the brief's ~97–99%; 100% was the 2018–20 goal,
#: domain.md §7 [S48]); serious-illness insurance follows basic enrolment.
BASIC_MEDICAL_SHARE: dict[int, float] = {
    2014: 0.95,
    2015: 0.96,
    2016: 0.97,
    2017: 0.98,
    2018: 0.99,
    2019: 0.995,
    2020: 0.999,
}
SERIOUS_ILLNESS_OF_BASIC = 0.98
#: Residents' pension enrolment of adults not in school (assumption).
PENSION_SHARE = 0.85
#: Members of a 低保 household who are themselves on 低保 (the head always is; assumption).
DIBAO_MEMBER_SHARE = 0.85
#: Household flags (assumption).
MILITARY_FAMILY_SHARE = 0.005
ONE_CHILD_CERTIFIED_SHARE = 0.3
TWO_DAUGHTERS_CERTIFIED_SHARE = 0.5
#: Households without a phone number (assumption: elderly alone).
NO_PHONE_SHARE = 0.04

#: Main cause of poverty (主要致贫原因), base weights in CAUSE order (因病, 因残, 因学, 因灾,
#: 缺土地, 缺水, 缺技术, 缺劳力, 缺资金, 交通条件落后, 自身发展动力不足, 其他); 因病 first as in
#: every published profile. Weights are then conditioned on the household (因病 needs a sick
#: member, 因残 a disabled one, 因学 a student) (assumption).
MAIN_CAUSE_WEIGHTS = (0.30, 0.08, 0.05, 0.04, 0.04, 0.02, 0.12, 0.12, 0.15, 0.04, 0.03, 0.01)
#: Number of other causes (0, 1, 2) (assumption; at most 2 by the form, domain.md §3.1 [S14]).
OTHER_CAUSE_COUNT = (0.35, 0.35, 0.30)

# ---------------------------------------------------------------------------------------------
# Living conditions (domain.md §3.3, §6)
# ---------------------------------------------------------------------------------------------

#: "还有约80万户…住在危房里" among registered households in 2019 (domain.md §6 [S26b]);
#: earlier years are assumptions (renovation ran from 2014); none left at the end of 2020.
DANGEROUS_HOUSES_2019 = 800_000
DANGEROUS_HOUSE_SHARE: dict[int, float] = {
    2014: 0.16,
    2015: 0.14,
    2016: 0.11,
    2017: 0.08,
    2018: 0.05,
    2019: DANGEROUS_HOUSES_2019 / REGISTRY_HOUSEHOLDS,  # ≈ 2.7%
    2020: 0.0,
}
#: Dangerous houses sit with households still poor (exit needs safe housing); at most this
#: share of them (assumption).
DANGEROUS_HOUSE_CAP_OF_POOR = 0.5
#: D grade among dangerous houses (assumption).
D_GRADE_SHARE = 0.4
#: Poor households with unsafe water / water difficulty by year (assumption).
UNSAFE_WATER_SHARE_OF_POOR: dict[int, float] = {
    2014: 0.25,
    2015: 0.22,
    2016: 0.18,
    2017: 0.14,
    2018: 0.10,
    2019: 0.05,
    2020: 0.0,
}
WATER_DIFFICULT_OF_UNSAFE = 0.6
#: 不愁吃 / 不愁穿 false among poor households (assumption: "nearly all true").
FOOD_INSECURE_SHARE_OF_POOR = 0.01
CLOTHING_INSECURE_SHARE_OF_POOR = 0.005
#: Households without household electricity (assumption; near-universal by 2015).
NO_ELECTRICITY_SHARE = 0.003
#: Road to the house (dirt, gravel, concrete, asphalt) in 2014 and 2020, interpolated
#: (assumption).
ROAD_TYPE_2014 = (0.35, 0.30, 0.33, 0.02)
ROAD_TYPE_2020 = (0.08, 0.15, 0.72, 0.05)
#: Mean distance to the village main road, km (assumption).
ROAD_DISTANCE_MEAN_KM = 0.8
#: Sanitary toilet share in 2014 and 2020, interpolated (assumption).
SANITARY_TOILET_2014 = 0.25
SANITARY_TOILET_2020 = 0.60
#: Housing area per person, m² (lognormal median; assumption) and the relocation cap of
#: 25 m² per person (domain.md §7 [S45], weak).
HOUSING_M2_PER_PERSON = 24.0
RELOCATION_M2_CAP = 25.0
#: Persons relocated (易地扶贫搬迁): 9.6M+ by 2020 (domain.md §7 [S44]) of ≈98.99M lifted
#: (≈ 9.7%); the pace by year is an assumption.
RELOCATED_SHARE: dict[int, float] = {
    2014: 0.0,
    2015: 0.005,
    2016: 0.02,
    2017: 0.045,
    2018: 0.075,
    2019: 0.095,
    2020: 0.097,
}

#: Fuel codes in FUEL order (柴草, 煤炭, 罐装液化气, 管道气, 电, 燃料用油, 沼气, 其他, 无炊用行为).
FUEL_DEFAULT = (0.55, 0.12, 0.12, 0.01, 0.14, 0.0, 0.03, 0.025, 0.005)
FUEL_NORTH = (0.30, 0.45, 0.10, 0.01, 0.10, 0.0, 0.01, 0.025, 0.005)
FUEL_PLATEAU = (0.30, 0.05, 0.10, 0.0, 0.10, 0.0, 0.0, 0.445, 0.005)  # 其他: dung

#: Mobile prefixes (号段) and banks used for subsidy payments (惠农一卡通) with illustrative
#: 6-digit card prefixes; numbers pass the Luhn check but are random (assumption).
PHONE_PREFIXES = (
    130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155, 157, 158, 159, 177,
    180, 181, 182, 183, 185, 186, 187, 188, 189, 199,
)  # fmt: skip
BANKS: tuple[tuple[str, int, float], ...] = (
    ("中国农业银行", 622848, 0.35),
    ("中国邮政储蓄银行", 621799, 0.25),
    ("农村信用合作社", 621458, 0.25),
    ("农村商业银行", 623059, 0.08),
    ("中国建设银行", 621700, 0.04),
    ("中国工商银行", 621226, 0.03),
)

# ---------------------------------------------------------------------------------------------
# Region profiles
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionProfile:
    """How a region's registry differs from the national one; chosen by code prefix."""

    label: str
    mean_household_size: float = REGISTRY_MEAN_HOUSEHOLD_SIZE
    #: (ethnicity code, share); the remainder is 汉族 "01".
    ethnicity: tuple[tuple[str, float], ...] = ()
    #: Target share of persons aged 60+, reached through the mix of household types.
    elderly_share: float = 0.25
    #: Relative poverty incidence: spreads persons between the counties of a province.
    intensity: float = 1.0
    poor_village_share: float = POOR_VILLAGE_SHARE
    #: 贫困户属性: share of 低保 and 特困供养 households.
    dibao_share: float = 0.22
    tekun_share: float = 0.04
    #: Multiplier of the chronic / serious / disabled probabilities.
    health_risk: float = 1.0
    #: Share of working-age able members who work away (务工).
    migrant_rate: float = 0.45
    #: Extra share of adults moved down to illiterate/primary education.
    low_education: float = 0.0
    #: Shift of the exit ranking: positive exits later (deep poverty).
    exit_lag: float = 0.0
    land_mu_per_person: float = 1.5
    fuel: tuple[float, ...] = FUEL_DEFAULT
    relocation_factor: float = 1.0
    #: 识别标准 used by the region's households (national unless a provincial standard).
    standard: str = "national"
    source: str = "assumption"


def _deep(label: str, **fields: Any) -> RegionProfile:
    """A deep-poverty area (深度贫困地区, domain.md §8).

    Incidence "普遍在20%左右" against 7.2% nationally in 2014 (speech ¶41; domain.md §11.1)
    gives intensity ≈ 2.8; most villages are poor villages and exits come late (assumption).
    """
    base: dict[str, Any] = {
        "intensity": 2.8,
        "poor_village_share": 0.6,
        "exit_lag": 1.0,
        "relocation_factor": 2.0,
    }
    return RegionProfile(label, **{**base, **fields})


#: Profiles by division-code prefix; the longest matching prefix wins ("" = default).
PROFILES: dict[str, RegionProfile] = {
    "": RegionProfile("全国（默认）"),
    # Eastern provinces and the municipalities: few registered poor (assumption).
    **{
        p: RegionProfile("东部省市", intensity=0.15, elderly_share=0.35, mean_household_size=2.6)
        for p in ("11", "12", "31", "32", "33", "35", "44")
    },
    # Shandong identified against a provincial standard (domain.md §1 [S9]).
    "37": RegionProfile(
        "山东", intensity=0.4, elderly_share=0.40, mean_household_size=2.4, standard="provincial"
    ),
    # Hebei deep-poverty counties: "低保、五保贫困人口占比高达近60%，因病致贫、患慢性病、
    # 患大病、因残致贫占比达80%以上，60岁以上贫困人口占比超过45%" (speech ¶43).
    "13": RegionProfile(
        "河北",
        mean_household_size=2.4,
        elderly_share=0.46,
        intensity=0.8,
        dibao_share=0.45,
        tekun_share=0.12,
        health_risk=1.8,
        migrant_rate=0.3,
        fuel=FUEL_NORTH,
        source="speech ¶43 (Hebei deep-poverty counties)",
    ),
    # 凉山彝族自治州: Yi areas, large households, young population (speech ¶41, ¶57 "人口出生率
    # 偏高"); Yi share by county from the 2010 census as remembered (assumption).
    "5134": _deep(
        "四川凉山",
        mean_household_size=4.3,
        ethnicity=(("07", 0.80),),
        elderly_share=0.12,
        migrant_rate=0.35,
        low_education=0.35,
        land_mu_per_person=2.2,
        source="speech ¶41, ¶57; Yi share assumption",
    ),
    # 昭觉县 ~98% Yi (the brief); 美姑 and 布拖 similar (assumption).
    **{
        p: _deep(
            "凉山彝区腹心县",
            mean_household_size=4.5,
            ethnicity=(("07", 0.98),),
            elderly_share=0.11,
            migrant_rate=0.33,
            low_education=0.45,
            land_mu_per_person=2.5,
            source="brief (昭觉 ~98% 彝族); speech ¶41",
        )
        for p in ("513431", "513436", "513429", "513430", "513432")
    },
    # 西藏: Tibetan; 四省藏区 prefectures: 甘孜 5133, 阿坝 5132, 甘南 6230, 迪庆 5334 and Qinghai.
    **{
        p: _deep(
            "藏区",
            mean_household_size=4.4,
            ethnicity=(("04", 0.92),),
            elderly_share=0.13,
            migrant_rate=0.15,
            low_education=0.35,
            land_mu_per_person=2.0,
            fuel=FUEL_PLATEAU,
            source="domain.md §8 (三区三州); speech ¶41",
        )
        for p in ("54", "5133", "5132", "6230", "5334")
    },
    "63": RegionProfile(
        "青海",
        mean_household_size=4.0,
        ethnicity=(("04", 0.35), ("03", 0.15), ("30", 0.05), ("35", 0.03)),
        elderly_share=0.15,
        migrant_rate=0.2,
        fuel=FUEL_PLATEAU,
        intensity=2.0,
        poor_village_share=0.4,
    ),
    # 新疆; the four southern prefectures (南疆四地州): 阿克苏 6529, 克孜勒苏 6530, 喀什 6531,
    # 和田 6532 (domain.md §8).
    "65": RegionProfile(
        "新疆",
        mean_household_size=3.9,
        ethnicity=(("05", 0.55), ("17", 0.15), ("03", 0.05)),
        elderly_share=0.12,
        migrant_rate=0.25,
        fuel=FUEL_NORTH,
        intensity=1.5,
    ),
    **{
        p: _deep(
            "南疆四地州",
            mean_household_size=4.2,
            ethnicity=(("05", 0.95),),
            elderly_share=0.10,
            migrant_rate=0.25,
            low_education=0.2,
            fuel=FUEL_NORTH,
            source="domain.md §8; speech ¶41",
        )
        for p in ("6529", "6531", "6532")
    },
    "6530": _deep(
        "克孜勒苏",
        mean_household_size=4.2,
        ethnicity=(("05", 0.64), ("29", 0.30)),
        elderly_share=0.10,
        migrant_rate=0.25,
        fuel=FUEL_NORTH,
    ),
    # 临夏回族自治州: Hui and Dongxiang (三州, domain.md §8).
    "6229": _deep(
        "甘肃临夏",
        mean_household_size=4.3,
        ethnicity=(("03", 0.33), ("26", 0.26), ("47", 0.01)),
        elderly_share=0.13,
        fuel=FUEL_NORTH,
    ),
    # 怒江傈僳族自治州 (三州, domain.md §8).
    "5333": _deep(
        "云南怒江",
        mean_household_size=3.9,
        ethnicity=(("20", 0.52), ("42", 0.06), ("14", 0.25)),
        elderly_share=0.13,
        low_education=0.3,
    ),
    "53": RegionProfile(
        "云南",
        mean_household_size=3.6,
        ethnicity=(("07", 0.12), ("16", 0.05), ("14", 0.04), ("18", 0.04), ("06", 0.03)),
        elderly_share=0.17,
        intensity=1.8,
        poor_village_share=0.35,
    ),
    "52": RegionProfile(
        "贵州",
        mean_household_size=3.5,
        ethnicity=(("06", 0.14), ("09", 0.08), ("12", 0.05), ("15", 0.04), ("37", 0.02)),
        elderly_share=0.2,
        intensity=2.0,
        poor_village_share=0.4,
    ),
    "45": RegionProfile(
        "广西",
        mean_household_size=3.7,
        ethnicity=(("08", 0.45), ("13", 0.04), ("06", 0.02)),
        elderly_share=0.18,
        intensity=1.6,
        poor_village_share=0.3,
    ),
    "4331": RegionProfile(
        "湘西", ethnicity=(("15", 0.42), ("06", 0.34)), intensity=1.8, poor_village_share=0.4
    ),
    "4228": RegionProfile(
        "恩施", ethnicity=(("15", 0.46), ("06", 0.05)), intensity=1.8, poor_village_share=0.4
    ),
    "64": RegionProfile(
        "宁夏", ethnicity=(("03", 0.36),), mean_household_size=3.6, fuel=FUEL_NORTH, intensity=1.5
    ),
    "15": RegionProfile(
        "内蒙古", ethnicity=(("02", 0.18),), elderly_share=0.3, fuel=FUEL_NORTH, intensity=0.9
    ),
    "14": RegionProfile("山西", elderly_share=0.32, fuel=FUEL_NORTH, intensity=1.3),
    "62": RegionProfile("甘肃", mean_household_size=3.7, fuel=FUEL_NORTH, intensity=2.0),
    "61": RegionProfile("陕西", elderly_share=0.28, fuel=FUEL_NORTH, intensity=1.3),
    "51": RegionProfile("四川", elderly_share=0.3, intensity=1.0),
}


def profile_for(code: str) -> tuple[str, RegionProfile]:
    """Return the longest profile prefix matching ``code`` and its profile."""
    for length in (len(code), 6, 4, 2, 0):
        prefix = code[:length]
        if prefix in PROFILES and len(prefix) <= len(code):
            return prefix, PROFILES[prefix]
    return "", PROFILES[""]


def interpolate(start: float, end: float, year: int) -> float:
    """Linear interpolation from FIRST_YEAR (start) to LAST_YEAR (end)."""
    t = (year - FIRST_YEAR) / (LAST_YEAR - FIRST_YEAR)
    return start + (end - start) * t
