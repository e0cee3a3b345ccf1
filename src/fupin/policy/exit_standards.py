"""Exit standards for poor villages and poor counties, and the county's third-party evaluation.

Pure code (no Django): the thresholds as parameters with their verification marks
(domain.md §5), the decision with its one-vote veto and a plain-Chinese explanation, the
estimators of the evaluation (Wilson score intervals, a stratified estimator with its
variance) and a seeded stratified sample allocation and draw.

Sources (domain.md §5): 中办/国办《关于建立贫困退出机制的意见》(2016) ✔ [S10][S28] for the
village and county incidence thresholds; 《贫困县退出专项评估检查实施办法(试行)》
(国开办发〔2017〕56号) ✔ [S27][S29][S30] for the four indicators of the county evaluation and
"任何一项指标不符合条件的，不予退出".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from statistics import NormalDist
from typing import Any, Literal

import numpy as np

from fupin.policy.parameters import VERIFICATION_LABELS, Verification


class Decision(StrEnum):
    EXIT = "exit"  # 达到退出标准
    NO_EXIT = "no_exit"  # 不予退出
    PENDING = "pending"  # 尚不能判定（缺少数据）


DECISION_LABELS = {
    Decision.EXIT: "达到退出标准",
    Decision.NO_EXIT: "不予退出",
    Decision.PENDING: "待核实",
}

Comparison = Literal["lt", "gt", "ge", "true"]
_COMPARISON_TEXT = {"lt": "低于", "gt": "高于", "ge": "不低于", "true": "满足"}


@dataclass(frozen=True)
class Threshold:
    """One figure of the standards with its verification mark and source."""

    value: float
    comparison: Comparison
    verification: Verification
    source: str

    def passes(self, value: float) -> bool:
        if self.comparison == "lt":
            return value < self.value
        if self.comparison == "gt":
            return value > self.value
        if self.comparison == "ge":
            return value >= self.value
        return bool(value)


V, U = Verification.VERIFIED, Verification.UNVERIFIED

#: Provinces counted as western (西部) for the 3 % incidence threshold: the twelve provinces of
#: the Western Development strategy (西部大开发: 重庆 四川 贵州 云南 西藏 陕西 甘肃 青海 宁夏
#: 新疆, with 内蒙古 and 广西). domain.md §5 says only "western provinces" and names no list, so
#: the list is UNVERIFIED and configurable; entries are division-code prefixes, so an area
#: given western treatment inside a central province (e.g. 湘西州 "4331") can be added.
WEST_REGIONS: tuple[str, ...] = (
    "15",
    "45",
    "50",
    "51",
    "52",
    "53",
    "54",
    "61",
    "62",
    "63",
    "64",
    "65",
)
WEST_REGIONS_SOURCE = (
    "西部大开发十二省（区、市）；domain.md §5 只说“西部地区”，未列名单 — 未核实，可配置"
)

#: The conditions a village is judged on beside its incidence (domain.md §5: "统筹考虑基础设施、
#: 基本公共服务、产业发展、集体经济收入等因素" ✔ [S10]); which ones are required and how they
#: are measured is provincial practice, so the list is configurable (UNVERIFIED).
VILLAGE_CONDITIONS: tuple[tuple[str, str], ...] = (
    ("road", "通硬化路"),
    ("electricity", "通生产生活用电"),
    ("water", "安全饮水有保障"),
    ("public_services", "基本公共服务（卫生室、文化室等）"),
    ("industry", "有增收产业"),
    ("collective_income", "有村集体经济收入"),
)
CONDITION_LABELS = dict(VILLAGE_CONDITIONS)


@dataclass(frozen=True)
class ExitStandards:
    """The exit thresholds; every figure can be replaced (``dataclasses.replace``)."""

    incidence_central: Threshold = Threshold(0.02, "lt", V, "domain.md §5 [S10][S29]：低于2%")
    incidence_west: Threshold = Threshold(0.03, "lt", V, "domain.md §5 [S10][S29]：西部低于3%")
    wrong_exit: Threshold = Threshold(0.02, "lt", V, "domain.md §5 [S29][S30]：错退率低于2%")
    missed: Threshold = Threshold(0.02, "lt", V, "domain.md §5 [S29][S30]：漏评率低于2%")
    recognition: Threshold = Threshold(0.90, "gt", V, "domain.md §5 [S29][S30]：认可度高于90%")
    west_regions: tuple[str, ...] = WEST_REGIONS
    west_regions_source: str = WEST_REGIONS_SOURCE
    west_regions_verification: Verification = U
    #: Village conditions that must all hold (beside the incidence) for a village to exit.
    village_conditions: tuple[str, ...] = tuple(c for c, _ in VILLAGE_CONDITIONS)
    village_conditions_verification: Verification = U
    #: Minimum collective-economy income (yuan/year) counted as "有村集体经济收入" (UNVERIFIED:
    #: provinces set their own figure).
    collective_income_min: float = 0.0
    #: A condition read from the households' own records (electricity, safe water) holds for
    #: the village when at least this share of its recorded households has it (UNVERIFIED).
    household_share_min: float = 0.95
    #: Confidence level of the intervals shown beside the indicators.
    confidence: float = 0.95
    extra: Mapping[str, Any] = field(default_factory=dict)

    def is_west(self, division_code: str) -> bool:
        return any(division_code.startswith(r) for r in self.west_regions if r)

    def incidence_threshold(self, division_code: str) -> Threshold:
        return self.incidence_west if self.is_west(division_code) else self.incidence_central

    def with_west_regions(self, regions: Sequence[str], source: str) -> ExitStandards:
        if any(not r.isdigit() or len(r) > 12 for r in regions):
            raise ValueError("西部地区须为区划代码前缀（数字）")
        return replace(
            self,
            west_regions=tuple(regions),
            west_regions_source=source,
            west_regions_verification=Verification.LOCAL,
        )


DEFAULT_STANDARDS = ExitStandards()


# -- estimators ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A proportion with its confidence interval (``low``–``high``) and standard error."""

    value: float | None
    low: float | None
    high: float | None
    se: float | None = None
    numerator: float = 0.0
    denominator: float = 0.0

    def as_dict(self) -> dict[str, float | None]:
        return {
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "se": self.se,
            "numerator": self.numerator,
            "denominator": self.denominator,
        }


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie in (0, 1)")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    """The proportion ``successes / n`` with its Wilson score interval (E. B. Wilson, 1927).

    Unlike the normal (Wald) interval it stays inside [0, 1] and keeps its coverage near 0 and
    1, where the evaluation's rates (a few per cent) live. With ``n = 0`` nothing is known.
    """
    if n < 0 or not 0 <= successes <= n:
        raise ValueError("need 0 <= successes <= n")
    if n == 0:
        return Estimate(None, None, None)
    z = _z(confidence)
    p = successes / n
    z2n = z * z / n
    centre = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Estimate(p, low, high, math.sqrt(p * (1 - p) / n), float(successes), float(n))


@dataclass(frozen=True)
class Stratum:
    """A stratum of the sample: its population ``population`` (N_h), sample size ``n`` (n_h)
    and the number of sampled units with the attribute ``successes`` (x_h)."""

    population: int
    n: int
    successes: int


def stratified_proportion(strata: Sequence[Stratum], confidence: float = 0.95) -> Estimate:
    """The population proportion from a stratified simple random sample.

    Each sampled unit of stratum h stands for N_h / n_h units (its weight), so the estimated
    count is Σ (N_h / n_h) x_h and the proportion p̂ = Σ W_h p̂_h with W_h = N_h / N. Its
    variance is Σ W_h² (1 − n_h/N_h) p̂_h (1 − p̂_h) / (n_h − 1) (Cochran, *Sampling
    Techniques*, 5.8 and 5A.3), with a normal interval clipped to [0, 1]. Strata with no
    sample are left out (their population counts in neither numerator nor denominator).
    """
    used = [s for s in strata if s.n > 0 and s.population > 0]
    for s in strata:
        if s.n < 0 or s.population < 0 or not 0 <= s.successes <= s.n:
            raise ValueError("need 0 <= successes <= n and a non-negative population")
        if s.n > s.population > 0:
            raise ValueError("a stratum's sample cannot exceed its population")
    total = sum(s.population for s in used)
    if total == 0:
        return Estimate(None, None, None)
    value = 0.0
    variance = 0.0
    count = 0.0
    for s in used:
        w = s.population / total
        p = s.successes / s.n
        value += w * p
        count += s.population / s.n * s.successes
        if s.n > 1:
            fpc = 1 - s.n / s.population
            variance += w * w * fpc * p * (1 - p) / (s.n - 1)
    se = math.sqrt(variance)
    z = _z(confidence)
    return Estimate(
        value, max(0.0, value - z * se), min(1.0, value + z * se), se, count, float(total)
    )


def combined_incidence(
    *,
    remaining_poor: int,
    exited: int,
    non_registered: int,
    wrong_exit: Estimate,
    missed: Estimate,
    rural_population: int,
    confidence: float = 0.95,
) -> Estimate:
    """综合贫困发生率 = (remaining registered poor + missed + wrongly exited) / rural population.

    The missed and wrongly-exited counts are extrapolated from the sample rates (domain.md §4
    [S25b]): ``missed.value × non_registered`` and ``wrong_exit.value × exited``; the two
    samples are independent strata, so the variance is the sum of N² Var(p̂) of each.
    """
    if rural_population <= 0 or wrong_exit.value is None or missed.value is None:
        return Estimate(None, None, None)
    count = remaining_poor + wrong_exit.value * exited + missed.value * non_registered
    value = count / rural_population
    var = ((wrong_exit.se or 0.0) * exited) ** 2 + ((missed.se or 0.0) * non_registered) ** 2
    se = math.sqrt(var) / rural_population
    z = _z(confidence)
    return Estimate(
        value,
        max(0.0, value - z * se),
        min(1.0, value + z * se),
        se,
        count,
        float(rural_population),
    )


# -- allocation and draw ------------------------------------------------------------------------


def allocate(
    populations: Mapping[str, int],
    total: int,
    *,
    method: Literal["proportional", "neyman"] = "proportional",
    minimum: int = 30,
    sd: Mapping[str, float] | None = None,
) -> dict[str, int]:
    """Share ``total`` sample units between strata, at least ``minimum`` each (or the whole
    stratum when it is smaller), never more than a stratum holds.

    Proportional: n_h ∝ N_h. Neyman: n_h ∝ N_h S_h (``sd`` gives S_h; 0.5, the largest
    standard deviation of a proportion, when missing). Rounding by largest remainder with
    ties broken by stratum order, so the result depends on the arguments only.
    """
    if total < 0 or minimum < 0 or any(n < 0 for n in populations.values()):
        raise ValueError("sizes must not be negative")
    keys = list(populations)
    cap = {k: populations[k] for k in keys}
    total = min(total, sum(cap.values()))
    floor = {k: min(minimum, cap[k]) for k in keys}
    if sum(floor.values()) >= total:
        # Not even the minimums fit: share the total proportionally to the minimums.
        return _largest_remainder(floor, total, cap)
    weight = {k: cap[k] * ((sd or {}).get(k, 0.5) if method == "neyman" else 1.0) for k in keys}
    result = dict(floor)
    left = total - sum(floor.values())
    # Distribute what is left by weight among strata with room, repeating when a stratum fills.
    while left > 0:
        open_keys = [k for k in keys if result[k] < cap[k] and weight[k] > 0]
        if not open_keys:
            open_keys = [k for k in keys if result[k] < cap[k]]
            weight = dict.fromkeys(keys, 1.0)
        share = _largest_remainder({k: weight[k] for k in open_keys}, left, None)
        moved = 0
        for k in open_keys:
            add = min(share[k], cap[k] - result[k])
            result[k] += add
            moved += add
        left -= moved
        if moved == 0:
            break
    return result


def _largest_remainder(
    weights: Mapping[str, float], total: int, cap: Mapping[str, int] | None
) -> dict[str, int]:
    w = sum(weights.values())
    if w <= 0 or total <= 0:
        return dict.fromkeys(weights, 0)
    exact = {k: total * v / w for k, v in weights.items()}
    out = {k: math.floor(x) for k, x in exact.items()}
    if cap is not None:
        out = {k: min(v, cap[k]) for k, v in out.items()}
    order = sorted(
        weights, key=lambda k: (-(exact[k] - math.floor(exact[k])), list(weights).index(k))
    )
    i = 0
    while sum(out.values()) < total and i < 10 * len(order) + total:
        k = order[i % len(order)]
        if cap is None or out[k] < cap[k]:
            out[k] += 1
        i += 1
    return out


def stratified_draw(
    frames: Mapping[str, Sequence[int]], allocation: Mapping[str, int], seed: int
) -> dict[str, list[int]]:
    """Draw a simple random sample without replacement from each stratum's ids.

    Each stratum has its own ``numpy.random.Generator`` seeded with (seed, stratum position
    in ``frames``), and the ids are sorted first, so the same seed, frames and allocation
    give the same sample whatever order the ids were read in.
    """
    out: dict[str, list[int]] = {}
    for index, (key, ids) in enumerate(frames.items()):
        n = min(allocation.get(key, 0), len(ids))
        ordered = np.sort(np.asarray(ids, dtype=np.int64))
        rng = np.random.default_rng([seed, index])
        picked = rng.choice(ordered, size=n, replace=False) if n else ordered[:0]
        out[key] = [int(x) for x in np.sort(picked)]
    return out


# -- decisions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    """One criterion of a decision: its value, threshold and whether it passes (None: unknown)."""

    code: str
    label: str
    value: float | None
    threshold: Threshold | None
    passed: bool | None
    low: float | None = None
    high: float | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        t = self.threshold
        return {
            "code": self.code,
            "label": self.label,
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "passed": self.passed,
            "threshold": None if t is None else t.value,
            "comparison": None if t is None else t.comparison,
            "verification": None if t is None else t.verification.value,
            "verification_label": None if t is None else VERIFICATION_LABELS[t.verification],
            "source": None if t is None else t.source,
            "note": self.note,
        }


@dataclass(frozen=True)
class ExitDecision:
    level: Literal["village", "county"]
    decision: Decision
    criteria: tuple[Criterion, ...]
    #: The criterion that vetoes exit (the first failing one), or "".
    veto: str
    failing: tuple[str, ...]
    explanation: str

    @property
    def label(self) -> str:
        return DECISION_LABELS[self.decision]

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "decision": self.decision.value,
            "label": self.label,
            "veto": self.veto,
            "failing": list(self.failing),
            "criteria": [c.as_dict() for c in self.criteria],
            "explanation": self.explanation,
        }


def pct(value: float | None, digits: int = 2) -> str:
    """A share as a Chinese percentage text ("1.25%"), "—" when unknown."""
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def _rate_criterion(
    code: str, label: str, est: Estimate | float | None, threshold: Threshold
) -> Criterion:
    if isinstance(est, Estimate):
        value, low, high = est.value, est.low, est.high
    else:
        value, low, high = est, None, None
    passed = None if value is None else threshold.passes(value)
    return Criterion(code, label, value, threshold, passed, low, high)


def _criterion_sentence(c: Criterion) -> str:
    if c.threshold is None or c.threshold.comparison == "true":
        state = {True: "满足", False: "不满足", None: "情况不明，待核实"}[c.passed]
        return f"{c.label}：{state}"
    if c.value is None:
        return f"{c.label}：缺少数据，无法计算"
    word = _COMPARISON_TEXT[c.threshold.comparison]
    ci = ""
    if c.low is not None and c.high is not None:
        ci = f"（{pct(c.low)}～{pct(c.high)}）"
    verdict = "达标" if c.passed else "未达标"
    return f"{c.label} {pct(c.value)}{ci}，标准为{word}{pct(c.threshold.value, 0)}，{verdict}"


def _decide(
    level: Literal["village", "county"], criteria: tuple[Criterion, ...], subject: str
) -> ExitDecision:
    failing = tuple(c.code for c in criteria if c.passed is False)
    unknown = tuple(c for c in criteria if c.passed is None)
    if failing:
        decision = Decision.NO_EXIT
    elif unknown:
        decision = Decision.PENDING
    else:
        decision = Decision.EXIT
    veto = failing[0] if failing else ""
    labels = {c.code: c.label for c in criteria}
    lines = [_criterion_sentence(c) + "。" for c in criteria]
    if decision == Decision.EXIT:
        head = f"{subject}各项指标均达到退出标准，可以退出。"
    elif decision == Decision.NO_EXIT:
        names = "、".join(labels[f] for f in failing)
        head = (
            f"{subject}不予退出：{names}未达到标准。"
            "按照“任何一项指标不符合条件的，不予退出”的规定，一项不达标即否决。"
        )
    else:
        names = "、".join(c.label for c in unknown)
        head = f"{subject}暂不能判定：{names}尚缺数据或待核实，其余指标未见否决项。"
    return ExitDecision(level, decision, criteria, veto, failing, head + "".join(lines))


def village_decision(
    *,
    village_code: str,
    incidence: float | None,
    conditions: Mapping[str, bool | None],
    standards: ExitStandards = DEFAULT_STANDARDS,
    name: str = "",
) -> ExitDecision:
    """Decide a poor village's exit: incidence under 2 % (3 % in the west) and the village
    conditions (domain.md §5 ✔ [S10]); a missing figure leaves the decision pending."""
    threshold = standards.incidence_threshold(village_code)
    criteria = [_rate_criterion("incidence", "贫困发生率", incidence, threshold)]
    cond_threshold = Threshold(
        1.0, "true", standards.village_conditions_verification, "domain.md §5 [S10]：统筹考虑"
    )
    for code in standards.village_conditions:
        ok = conditions.get(code)
        criteria.append(Criterion(code, CONDITION_LABELS.get(code, code), None, cond_threshold, ok))
    subject = f"{name or village_code}（{'西部' if standards.is_west(village_code) else '中部'}）"
    return _decide("village", tuple(criteria), subject)


@dataclass(frozen=True)
class CountyIndicators:
    """The four indicators of the county evaluation (domain.md §4, §5)."""

    combined_incidence: Estimate
    wrong_exit: Estimate
    missed: Estimate
    recognition: Estimate


def county_decision(
    *,
    county_code: str,
    indicators: CountyIndicators,
    standards: ExitStandards = DEFAULT_STANDARDS,
    name: str = "",
) -> ExitDecision:
    """Decide a county's exit from the four indicators of the special evaluation (国开办发
    〔2017〕56号 ✔ [S27][S29]): any single failure vetoes ("一票否决"). The decision compares
    the point estimates; the intervals are shown to say how sure the sample is."""
    criteria = (
        _rate_criterion(
            "combined_incidence",
            "综合贫困发生率",
            indicators.combined_incidence,
            standards.incidence_threshold(county_code),
        ),
        _rate_criterion(
            "wrong_exit", "脱贫人口错退率", indicators.wrong_exit, standards.wrong_exit
        ),
        _rate_criterion("missed", "贫困人口漏评率", indicators.missed, standards.missed),
        _rate_criterion("recognition", "群众认可度", indicators.recognition, standards.recognition),
    )
    west = "西部" if standards.is_west(county_code) else "中部"
    return _decide("county", criteria, f"{name or county_code}（{west}）")
