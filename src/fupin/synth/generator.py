"""Generate a synthetic registry (建档立卡) in the real villages of a division, as Arrow batches.

The output is the flat registry file of ``fupin.registry.imports.columns``: one row per person,
household columns repeated on every row of the household, coded columns holding the stable
codes of ``fupin.policy.codes``. Every figure it is calibrated to lives in
``fupin.synth.calibration`` with its source.

How it works, and why it streams in bounded memory:

1. A *plan* (cheap, seeded from ``seed`` alone) reads the villages under the division, weights
   them unevenly (poor villages, a lognormal spread, few households in urban communities),
   splits the persons between counties, draws every household's size so that the sizes add up
   to exactly ``persons``, and deals the households out to the villages. The plan keeps one
   byte per household (its size) and a few numbers per village.
2. Households are then generated ``batch_households`` at a time, in village-code order, each
   batch from its own ``numpy.random.Generator`` seeded with ``(seed, batch index)``; nothing
   of a batch is kept after it is yielded, except the ID sequence counters of the counties the
   next batch can still touch.

Same arguments, same bytes: the plan and every batch depend only on the arguments.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from fupin.common.errors import FupinError
from fupin.divisions.source import read_level
from fupin.policy import codes
from fupin.policy.idnumber import make_ids
from fupin.policy.parameters import ParameterSet
from fupin.registry.imports.columns import COLUMNS
from fupin.synth import calibration as cal
from fupin.synth import names
from fupin.synth.writers import write_file

__all__ = ["SCHEMA", "Plan", "build_plan", "check_division", "generate", "write_file"]

Array = npt.NDArray[Any]

_ARROW_TYPES: dict[str, pa.DataType] = {
    "text": pa.string(),
    "code": pa.string(),
    "causes": pa.string(),
    "id_number": pa.string(),
    "division": pa.string(),
    "bool": pa.bool_(),
    "int": pa.int32(),
    "money": pa.float64(),
    "decimal": pa.float64(),
}
#: The generated file's columns: the canonical names of ``COLUMNS``, in their order.
SCHEMA = pa.schema([pa.field(c.name, _ARROW_TYPES[c.kind]) for c in COLUMNS])

#: Division prefixes accepted: all of China, province, prefecture, county, township.
DIVISION_LENGTHS = (0, 2, 4, 6, 9)
_PLAN_KEY = 2**32 - 1  # spawn key of the plan's generator; batch keys are batch indices

# Roles in a household template, and household types.
HEAD, SPOUSE, CHILD, CHILD_IN_LAW, GRANDCHILD, PARENT = range(6)
SINGLE, NUCLEAR, UP, DOWN, SKIP = range(5)
_N_TYPES = 5

# Code-list positions used below.
_REL = {code: i for i, code in enumerate(codes.RELATION.codes)}
_CAUSE_N = len(codes.CAUSE.codes)
_C = {code: i for i, code in enumerate(codes.CAUSE.codes)}
_LAB = {code: i for i, code in enumerate(codes.LABOUR_CAPACITY.codes)}
_SCH = {code: i for i, code in enumerate(codes.SCHOOL_STATUS.codes)}
_EDU = {code: i for i, code in enumerate(codes.EDUCATION.codes)}
_HEALTH = {code: i for i, code in enumerate(codes.HEALTH.codes)}
_MIG = {code: i for i, code in enumerate(codes.MIGRANT_WORK.codes)}
_STATUS = {code: i for i, code in enumerate(codes.POVERTY_STATUS.codes)}
_ATTR = {code: i for i, code in enumerate(codes.HOUSEHOLD_ATTRIBUTE.codes)}
_ETH = {code: i for i, code in enumerate(codes.ETHNICITY.codes)}
_HIGHER_SCHOOL = np.isin(
    np.arange(len(codes.SCHOOL_STATUS.codes)),
    [_SCH[c] for c in ("senior", "vocational_secondary", "vocational_higher", "college")],
)
_PATERNAL_LINE = np.isin(
    np.arange(len(codes.RELATION.codes)), [_REL["grandson"], _REL["granddaughter"], _REL["father"]]
)
_SEQ_SLOTS = 499  # male sequence 2s+1 ≤ 997, female 2s+2 ≤ 998 for s < 499


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def generate(
    *,
    division: str,
    persons: int,
    seed: int,
    year: int = 2016,
    batch_households: int = 50_000,
) -> Iterator[pa.RecordBatch]:
    """Yield the synthetic registry of ``division`` as record batches of ``SCHEMA``.

    ``division`` is a county code (6 digits), a province (2), prefecture (4) or township (9)
    prefix, or "" for all of China. Exactly ``persons`` rows are produced. Raise
    ``FupinError`` at once (not on first iteration) for an unknown division, a non-positive
    count, a negative seed or a year outside 2014–2020.
    """
    if persons <= 0:
        raise FupinError("SYNTH_PERSONS_INVALID", f"人数必须为正整数（收到 {persons}）")
    if seed < 0:
        raise FupinError("SYNTH_SEED_INVALID", f"随机种子必须是非负整数（收到 {seed}）")
    if not cal.FIRST_YEAR <= year <= cal.LAST_YEAR:
        raise FupinError(
            "SYNTH_YEAR_INVALID",
            f"年度 {year} 不在建档立卡时期 {cal.FIRST_YEAR}–{cal.LAST_YEAR} 内",
        )
    if batch_households <= 0:
        raise FupinError("SYNTH_BATCH_INVALID", "每批户数必须为正整数")
    plan = build_plan(division=division, persons=persons, seed=seed)
    return _batches(plan, seed=seed, year=year, batch_households=batch_households)


def check_division(division: str) -> None:
    """Raise ``FupinError("DIVISION_UNKNOWN")`` unless ``division`` has villages under it."""
    if len(division) not in DIVISION_LENGTHS or not (division == "" or division.isdigit()):
        raise FupinError(
            "DIVISION_UNKNOWN",
            f"行政区划代码“{division}”无效：应为2位（省）、4位（市）、6位（县）或9位（乡镇）数字",
            {"division": division},
        )
    if read_level(5, division or None).num_rows == 0:
        raise FupinError(
            "DIVISION_UNKNOWN",
            f"未知的行政区划代码“{division}”：统计用区划代码（2023）中没有此区划下的村",
            {"division": division},
        )


# ---------------------------------------------------------------------------------------------
# The plan: villages, counties, household sizes
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Where the households go; one byte per household plus a few numbers per village."""

    persons: int
    village_code: pa.Array  # string, code order
    village_county: Array  # int32: index into county_code
    village_groups: Array  # int8: villager groups in the village
    village_start: Array  # int64, len V + 1: first household of each village
    county_code: Array  # int64, 6-digit codes
    county_profile: Array  # int16: index into profiles
    profiles: tuple[cal.RegionProfile, ...]
    household_size: Array  # int8, one per household

    @property
    def households(self) -> int:
        return int(self.household_size.shape[0])


def _rng(seed: int, key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))


@lru_cache(maxsize=64)
def _size_cdf(mean: float) -> Array:
    """CDF of household sizes 1..12: the base shape tilted exponentially to ``mean``."""
    base = np.array(cal.BASE_SIZE_PMF, dtype=np.float64)
    base /= base.sum()
    k = np.arange(1, base.size + 1, dtype=np.float64)

    def mean_of(theta: float) -> float:
        w = base * np.exp(theta * k)
        return float((w * k).sum() / w.sum())

    lo, hi = -5.0, 5.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if mean_of(mid) < mean:
            lo = mid
        else:
            hi = mid
    w = base * np.exp(lo * k)
    cdf: Array = np.cumsum(w / w.sum())
    cdf[-1] = 1.0
    return cdf


def build_plan(*, division: str, persons: int, seed: int) -> Plan:
    """Place ``persons`` in households and the households in the villages of ``division``."""
    check_division(division)
    rng = _rng(seed, _PLAN_KEY)
    villages = read_level(5, division or None)
    order = pc.sort_indices(villages["code"])
    village_code = villages["code"].take(order).combine_chunks()
    vcode = pc.cast(village_code, pa.int64()).to_numpy()
    county_of_village = vcode // 1_000_000
    county_code, village_county = np.unique(county_of_village, return_inverse=True)
    village_county = village_county.astype(np.int32)
    n_villages = vcode.shape[0]

    profile_keys: dict[str, int] = {}
    county_profile = np.empty(county_code.shape[0], dtype=np.int16)
    for i, code in enumerate(county_code.tolist()):
        key, _ = cal.profile_for(str(code))
        county_profile[i] = profile_keys.setdefault(key, len(profile_keys))
    profiles = tuple(cal.PROFILES[k] for k in profile_keys)

    # Village weights: a lognormal spread, poor villages ≈ 5.8× (60% of the poor in 20.6% of
    # the villages, speech ¶41), urban residents' committees almost none.
    vprof = county_profile[village_county]
    poor_share = np.array([p.poor_village_share for p in profiles])[vprof]
    poor = rng.random(n_villages) < poor_share
    suffix = vcode % 1000
    rural = (suffix >= 200) & (suffix < 400)
    weight = rng.lognormal(0.0, cal.VILLAGE_WEIGHT_SIGMA, n_villages)
    weight *= np.where(poor, cal.POOR_VILLAGE_WEIGHT, 1.0)
    weight *= np.where(rural, 1.0, cal.URBAN_COMMUNITY_WEIGHT)
    groups_lo, groups_hi = cal.GROUPS_PER_VILLAGE
    village_groups = rng.integers(groups_lo, groups_hi + 1, n_villages).astype(np.int8)

    # Persons per county: by village weight and regional incidence.
    county_weight: Array = np.bincount(
        village_county, weights=weight, minlength=county_code.shape[0]
    )
    if county_code.shape[0] > 1:
        county_weight *= np.array([p.intensity for p in profiles])[county_profile]
        counties = read_level(3, division[:6] if len(division) >= 6 else (division or None))
        districts = {
            int(c)
            for c, n in zip(counties["code"].to_pylist(), counties["name"].to_pylist(), strict=True)
            if n.endswith("区")
        }
        is_district = np.isin(county_code, np.array(sorted(districts), dtype=np.int64))
        county_weight *= np.where(is_district, cal.DISTRICT_WEIGHT, 1.0)
        # Between provinces, by their poor populations.
        province, county_province = np.unique(county_code // 10_000, return_inverse=True)
        if province.shape[0] > 1:
            in_province = np.bincount(county_province, weights=county_weight)
            poor = np.array([cal.PROVINCE_POOR_10K.get(int(p), 5) for p in province])
            county_weight = county_weight * (poor / in_province)[county_province]
    county_persons = rng.multinomial(persons, county_weight / county_weight.sum())

    # Household sizes per county (exact total), then households dealt to villages.
    sizes: list[Array] = []
    village_households = np.zeros(n_villages, dtype=np.int64)
    village_bounds = np.searchsorted(village_county, np.arange(county_code.shape[0] + 1))
    for c in np.flatnonzero(county_persons).tolist():
        target = int(county_persons[c])
        profile = profiles[county_profile[c]]
        cdf = _size_cdf(profile.mean_household_size)
        drawn: list[Array] = []
        total = 0
        while total < target:
            n = int((target - total) / profile.mean_household_size * 1.05) + 8
            part = np.searchsorted(cdf, rng.random(n), side="right").astype(np.int64) + 1
            drawn.append(part)
            total += int(part.sum())
        county_sizes = np.concatenate(drawn)
        cum = np.cumsum(county_sizes)
        last = int(np.searchsorted(cum, target))  # first household reaching the target
        county_sizes = county_sizes[: last + 1]
        county_sizes[last] = target - (int(cum[last - 1]) if last > 0 else 0)
        sizes.append(county_sizes.astype(np.int8))
        lo, hi = int(village_bounds[c]), int(village_bounds[c + 1])
        w = weight[lo:hi]
        village_households[lo:hi] = rng.multinomial(county_sizes.shape[0], w / w.sum())
    village_start = np.zeros(n_villages + 1, dtype=np.int64)
    np.cumsum(village_households, out=village_start[1:])
    return Plan(
        persons=persons,
        village_code=village_code,
        village_county=village_county,
        village_groups=village_groups,
        village_start=village_start,
        county_code=county_code.astype(np.int64),
        county_profile=county_profile,
        profiles=profiles,
        household_size=np.concatenate(sizes) if sizes else np.zeros(0, np.int8),
    )


# ---------------------------------------------------------------------------------------------
# ID sequence numbers, unique per (county, birth date, sex) across the run
# ---------------------------------------------------------------------------------------------


def _ref_days(years: Array, params: ParameterSet) -> Array:
    """Day numbers (since 1970-01-01) of the age reference day in each year."""
    months = (years - 1970) * 12 + (params.age_reference_month - 1)
    out: Array = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + (
        params.age_reference_day - 1
    )
    return out


class _Sequences:
    """Used sequence slots per (county, birth day, sex), kept sparse.

    The state holds one sorted key and one count per (county, day, sex) seen so far, for the
    counties the current batch can still touch: households come in county order, so counties
    before the batch's first are dropped, and memory stays flat however many persons.
    """

    def __init__(self, first_day: int, n_days: int) -> None:
        self.first_day = first_day
        self.n_days = n_days
        self.keys = np.zeros(0, dtype=np.int64)
        self.counts = np.zeros(0, dtype=np.int64)

    def _key(self, county: Any, day: Any, male: Any) -> Array:
        out: Array = (county * self.n_days + (day - self.first_day)) * 2 + male
        return out

    def assign(
        self, county: Array, ref_day: Array, offset: Array, span: Array, male: Array
    ) -> tuple[Array, Array]:
        """Return (sequence codes, birth-day offsets).

        A (county, day, sex) whose slots are used up moves its extra persons to the next day
        of the same age-year, so their age on the reference day does not change.
        """
        keep = self.keys >= self._key(np.int64(county.min()), np.int64(self.first_day), 0)
        self.keys, self.counts = self.keys[keep], self.counts[keep]
        male = male.astype(np.int64)
        seq = np.zeros(county.shape[0], dtype=np.int64)
        offset = offset.copy()
        pending = np.arange(county.shape[0])
        rounds = 0
        while pending.size:
            rounds += 1
            if rounds > 2 * 366 + 2:
                raise FupinError(
                    "SYNTH_ID_SPACE_FULL",
                    "同一县同一出生日期的身份号码顺序码已用完：请减少人数或扩大区划范围",
                )
            key = self._key(county[pending], ref_day[pending] - offset[pending], male[pending])
            # Rank of each person among the batch's persons with the same key.
            order = np.argsort(key, kind="stable")
            sorted_key = key[order]
            run_start = np.r_[True, sorted_key[1:] != sorted_key[:-1]]
            first = np.maximum.accumulate(np.where(run_start, np.arange(key.size), 0))
            rank = np.empty(key.size, dtype=np.int64)
            rank[order] = np.arange(key.size) - first
            # Slots already used in earlier batches.
            used = np.zeros(key.size, dtype=np.int64)
            if self.keys.size:
                at = np.minimum(np.searchsorted(self.keys, key), self.keys.size - 1)
                found = self.keys[at] == key
                used[found] = self.counts[at[found]]
            slot = used + rank
            ok = slot < _SEQ_SLOTS
            rows = pending[ok]
            seq[rows] = slot[ok] * 2 + np.where(male[rows] == 1, 1, 2)
            # Count the placed persons per key from the sorted order (no second sort).
            placed = sorted_key[ok[order]]
            if placed.size:
                starts = np.flatnonzero(np.r_[True, placed[1:] != placed[:-1]])
                new_keys = placed[starts]
                new_counts = np.diff(np.r_[starts, placed.size])
                # Merge into the sorted state: add to known keys, insert the new ones.
                at = np.searchsorted(self.keys, new_keys)
                known = at < self.keys.size
                known[known] = self.keys[at[known]] == new_keys[known]
                self.counts[at[known]] += new_counts[known]
                fresh = ~known
                self.keys = np.insert(self.keys, at[fresh], new_keys[fresh])
                self.counts = np.insert(self.counts, at[fresh], new_counts[fresh])
            pending = pending[~ok]
            offset[pending] = (offset[pending] + 1) % span[pending]
        return seq, offset


# ---------------------------------------------------------------------------------------------
# Static lookup tables
# ---------------------------------------------------------------------------------------------


def _templates() -> tuple[Array, Array]:
    """ROLE[type, size, slot] and ORD[type, size, slot] (ordinal within the role)."""
    m = cal.MAX_HOUSEHOLD_SIZE
    role = np.zeros((_N_TYPES, m + 1, m), dtype=np.int8)
    ordinal = np.zeros((_N_TYPES, m + 1, m), dtype=np.int8)
    for s in range(1, m + 1):
        shapes = {
            SINGLE: [HEAD] + [CHILD] * (s - 1),
            NUCLEAR: [HEAD] + ([SPOUSE] + [CHILD] * (s - 2) if s >= 2 else []),
            UP: (
                [HEAD, SPOUSE, PARENT] + [CHILD] * (s - 3)
                if 3 <= s <= 4
                else [HEAD, SPOUSE, PARENT, PARENT] + [CHILD] * (s - 4)
                if s >= 5
                else [HEAD] + [SPOUSE] * (s - 1)
            ),
            DOWN: (
                [HEAD]
                if s == 1
                else [HEAD, CHILD]
                if s == 2
                else [HEAD, CHILD, GRANDCHILD]
                if s == 3
                else [HEAD, CHILD, CHILD_IN_LAW, GRANDCHILD]
                if s == 4
                else [HEAD, SPOUSE, CHILD, CHILD_IN_LAW] + [GRANDCHILD] * (s - 4)
                if s <= 7
                else [HEAD, SPOUSE, CHILD, CHILD_IN_LAW, CHILD, CHILD] + [GRANDCHILD] * (s - 6)
            ),
            SKIP: (
                [HEAD]
                if s == 1
                else [HEAD, GRANDCHILD]
                if s == 2
                else [HEAD, SPOUSE] + [GRANDCHILD] * (s - 2)
            ),
        }
        for t, roles in shapes.items():
            assert len(roles) == s
            seen: dict[int, int] = {}
            for slot, r in enumerate(roles):
                role[t, s, slot] = r
                ordinal[t, s, slot] = seen.get(r, 0)
                seen[r] = seen.get(r, 0) + 1
    return role, ordinal


_ROLE, _ORD = _templates()
_N_ROLE = np.stack([np.sum(np.equal(_ROLE, r), axis=2) for r in range(6)])


def _code_array(code_list: codes.CodeList) -> pa.Array:
    return pa.array(list(code_list.codes), pa.string())


_CODE_ARRAYS = {
    cl.name: _code_array(cl)
    for cl in (
        codes.HOUSEHOLD_ATTRIBUTE,
        codes.IDENTIFICATION_STANDARD,
        codes.CAUSE,
        codes.POVERTY_STATUS,
        codes.RELATION,
        codes.ETHNICITY,
        codes.EDUCATION,
        codes.SCHOOL_STATUS,
        codes.HEALTH,
        codes.LABOUR_CAPACITY,
        codes.MIGRANT_WORK,
        codes.HOUSE_GRADE,
        codes.ROAD_TYPE,
        codes.FUEL,
    )
}


def _codes(code_list: codes.CodeList, index: Array) -> pa.Array:
    return _CODE_ARRAYS[code_list.name].take(pa.array(index))


def _other_cause_table() -> pa.Array:
    """Index (first + 1) * 13 + (second + 1) → "first、second" ("" for none)."""
    labels = ["", *codes.CAUSE.codes]
    out = []
    for a in labels:
        for b in labels:
            out.append("、".join(x for x in (a, b) if x))
    return pa.array(out, pa.string())


_OTHER_CAUSES = _other_cause_table()
_GROUP_NAMES = pa.array([f"第{n}组" for n in range(cal.GROUPS_PER_VILLAGE[1] + 1)], pa.string())
_BANK_NAMES = pa.array([b[0] for b in cal.BANKS], pa.string())
_BANK_BIN = np.array([b[1] for b in cal.BANKS], dtype=np.int64)
_BANK_CDF = np.cumsum([b[2] for b in cal.BANKS]) / sum(b[2] for b in cal.BANKS)
_PHONE_PREFIX = np.array(cal.PHONE_PREFIXES, dtype=np.int64)


@dataclass(frozen=True)
class _NameTables:
    surname: pa.Array
    part1: pa.Array
    part2: pa.Array
    han_surname_cdf: Array
    han_n: int
    yi_sur: tuple[int, int]
    empty_sur: int
    p1: dict[tuple[int, bool], tuple[int, int]]  # (style, male) → index range
    p2: dict[tuple[int, bool], tuple[int, int]]
    uy_father: int  # part2 index of "·" + UYGHUR_MALE[0]
    uy_male_p1: int


def _name_tables() -> _NameTables:
    sur = [s for s, _ in names.HAN_SURNAMES]
    weights = np.array([w for _, w in names.HAN_SURNAMES])
    yi0 = len(sur)
    sur += list(names.YI_SURNAMES)
    empty_sur = len(sur)
    sur.append("")
    p1: list[str] = []
    p1_ranges: dict[tuple[int, bool], tuple[int, int]] = {}

    def add(
        table: list[str],
        ranges: dict[tuple[int, bool], tuple[int, int]],
        key: tuple[int, bool],
        items: tuple[str, ...] | list[str],
    ) -> None:
        start = len(table)
        table.extend(items)
        ranges[key] = (start, len(table))

    S = names.Style
    add(p1, p1_ranges, (S.HAN, True), names.HAN_MALE)
    add(p1, p1_ranges, (S.HAN, False), names.HAN_FEMALE)
    add(p1, p1_ranges, (S.YI, True), names.YI_MALE)
    add(p1, p1_ranges, (S.YI, False), names.YI_FEMALE)
    add(p1, p1_ranges, (S.TIBETAN, True), names.TIBETAN_FIRST)
    p1_ranges[(S.TIBETAN, False)] = p1_ranges[(S.TIBETAN, True)]
    add(p1, p1_ranges, (S.UYGHUR, True), names.UYGHUR_MALE)
    add(p1, p1_ranges, (S.UYGHUR, False), names.UYGHUR_FEMALE)
    p2: list[str] = [""]
    p2_ranges: dict[tuple[int, bool], tuple[int, int]] = {}
    add(p2, p2_ranges, (S.HAN, True), names.HAN_MALE)
    add(p2, p2_ranges, (S.HAN, False), names.HAN_FEMALE)
    add(p2, p2_ranges, (S.TIBETAN, True), names.TIBETAN_MALE_SECOND)
    add(p2, p2_ranges, (S.TIBETAN, False), names.TIBETAN_FEMALE_SECOND)
    add(p2, p2_ranges, (S.UYGHUR, True), ["·" + n for n in names.UYGHUR_MALE])
    p2_ranges[(S.UYGHUR, False)] = p2_ranges[(S.UYGHUR, True)]
    return _NameTables(
        surname=pa.array(sur, pa.string()),
        part1=pa.array(p1, pa.string()),
        part2=pa.array(p2, pa.string()),
        han_surname_cdf=np.cumsum(weights) / weights.sum(),
        han_n=yi0,
        yi_sur=(yi0, empty_sur),
        empty_sur=empty_sur,
        p1=p1_ranges,
        p2=p2_ranges,
        uy_father=p2_ranges[(S.UYGHUR, True)][0],
        uy_male_p1=p1_ranges[(S.UYGHUR, True)][0],
    )


_NAMES = _name_tables()
_STYLE_OF_ETH = np.zeros(len(codes.ETHNICITY.codes), dtype=np.int8)
for _code, _style in names.STYLE_OF_ETHNICITY.items():
    _STYLE_OF_ETH[_ETH[_code]] = int(_style)


# ---------------------------------------------------------------------------------------------
# Small vectorised helpers
# ---------------------------------------------------------------------------------------------


def _pick(rng: np.random.Generator, probs: Array) -> Array:
    """One categorical draw per row of a (n, k) probability (or weight) matrix."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(probs.shape[0]) * cum[:, -1]
    out: Array = np.minimum((u[:, None] >= cum).sum(axis=1), probs.shape[1] - 1)
    return out


def _pick_fixed(rng: np.random.Generator, probs: tuple[float, ...] | Array, n: int) -> Array:
    cdf = np.cumsum(np.asarray(probs, dtype=np.float64))
    out: Array = np.searchsorted(cdf / cdf[-1], rng.random(n), side="right")
    return np.minimum(out, cdf.size - 1)


def _luhn_digit(payload: Array) -> Array:
    """Luhn check digit for int64 payloads (every second digit from the right doubled)."""
    total = np.zeros(payload.shape[0], dtype=np.int64)
    rest = payload.copy()
    double = True
    while (rest > 0).any():
        d = rest % 10
        if double:
            d = d * 2
            d = np.where(d > 9, d - 9, d)
        total += d
        rest //= 10
        double = not double
    out: Array = (10 - total % 10) % 10
    return out


def _fixed_strings(values: Array) -> pa.Array:
    """An Arrow string array from a numpy ``U<w>`` array of ASCII strings of width ``w``."""
    n = values.shape[0]
    width = values.dtype.itemsize // 4
    data = np.ascontiguousarray(values).view(np.uint32).astype(np.uint8)
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def _int_strings(values: Array) -> pa.Array:
    return pc.cast(pa.array(values, pa.int64()), pa.string())


# ---------------------------------------------------------------------------------------------
# Batches
# ---------------------------------------------------------------------------------------------


def _batches(
    plan: Plan, *, seed: int, year: int, batch_households: int
) -> Iterator[pa.RecordBatch]:
    params = ParameterSet()
    first_day = int(_ref_days(np.array([year - cal.MAX_AGE - 1]), params)[0]) - 1
    last_day = int(_ref_days(np.array([year]), params)[0])
    sequences = _Sequences(first_day, last_day - first_day + 1)
    ctx = _YearContext.build(plan, year, params)
    for index, start in enumerate(range(0, plan.households, batch_households)):
        stop = min(start + batch_households, plan.households)
        yield _batch(plan, ctx, sequences, _rng(seed, index), start, stop)


@dataclass(frozen=True)
class _YearContext:
    year: int
    params: ParameterSet
    line: float
    target_income: float
    exited_share: float
    # per-profile parameter vectors
    p_mean_size: Array
    p_old_shift: Array
    p_eth_cdf: Array  # (P, k) cumulative
    p_eth_code: Array  # (P, k) ethnicity index
    p_dibao: Array
    p_tekun: Array
    p_health: Array
    p_migrant: Array
    p_low_edu: Array
    p_exit_lag: Array
    p_land: Array
    p_fuel: Array  # (P, 9)
    p_reloc: Array
    p_standard: Array  # index into IDENTIFICATION_STANDARD
    p_deep: Array  # bool

    @classmethod
    def build(cls, plan: Plan, year: int, params: ParameterSet) -> _YearContext:
        ps = plan.profiles
        k = max(len(p.ethnicity) for p in ps) + 1
        eth_cdf = np.ones((len(ps), k))
        eth_code = np.zeros((len(ps), k), dtype=np.int16)  # 0 = 汉族 "01"
        for i, p in enumerate(ps):
            acc = 0.0
            for j, (code, share) in enumerate(p.ethnicity):
                acc += share
                eth_cdf[i, j] = acc
                eth_code[i, j] = _ETH[code]
            eth_cdf[i, len(p.ethnicity) :] = 1.0
        std = {c: i for i, c in enumerate(codes.IDENTIFICATION_STANDARD.codes)}
        return cls(
            year=year,
            params=params,
            line=float(params.national_line(year).amount),
            target_income=cal.PER_CAPITA_NET_INCOME[year],
            exited_share=cal.EXITED_SHARE[year],
            p_mean_size=np.array([p.mean_household_size for p in ps]),
            # Logit shift of the share of elderly households: 60+ share relative to the
            # national default (tuned so the generated share lands near the target).
            p_old_shift=np.array([_old_shift(p.elderly_share) for p in ps]),
            p_eth_cdf=eth_cdf,
            p_eth_code=eth_code,
            p_dibao=np.array([p.dibao_share for p in ps]),
            p_tekun=np.array([p.tekun_share for p in ps]),
            p_health=np.array([p.health_risk for p in ps]),
            p_migrant=np.array([p.migrant_rate for p in ps]),
            p_low_edu=np.array([p.low_education for p in ps]),
            p_exit_lag=np.array([p.exit_lag for p in ps]),
            p_land=np.array([p.land_mu_per_person for p in ps]),
            p_fuel=np.array([p.fuel for p in ps]),
            p_reloc=np.array([p.relocation_factor for p in ps]),
            p_standard=np.array([std[p.standard] for p in ps]),
            p_deep=np.array([p.intensity >= 2.5 for p in ps]),
        )


#: Elderly-household share by size (1..12) for the national default profile, as a logit;
#: and the slopes of its shift with a region's 60+ target above / below the default (tuned by
#: generating a few counties per profile, see docs/generator.md).
_OLD_LOGIT_BY_SIZE = np.array([np.nan, 1.3, 0.45, -0.8, -1.3, -0.8, -0.5] + [-0.3] * 6)
_OLD_SHIFT_UP = 2.8
_OLD_SHIFT_DOWN = 1.4


def _old_shift(elderly_share: float) -> float:
    ratio = float(np.log(elderly_share / cal.PROFILES[""].elderly_share))
    return ratio * (_OLD_SHIFT_UP if ratio > 0 else _OLD_SHIFT_DOWN)


def _batch(
    plan: Plan,
    ctx: _YearContext,
    sequences: _Sequences,
    rng: np.random.Generator,
    start: int,
    stop: int,
) -> pa.RecordBatch:
    year = ctx.year
    nh = stop - start
    size = plan.household_size[start:stop].astype(np.int64)
    gidx = np.arange(start, stop, dtype=np.int64)
    village = np.searchsorted(plan.village_start, gidx, side="right") - 1
    county = plan.village_county[village]
    prof = plan.county_profile[county].astype(np.int64)
    serial = gidx - plan.village_start[village] + 1

    # -- household types and the people in them ----------------------------------------------
    logit = _OLD_LOGIT_BY_SIZE[size] + ctx.p_old_shift[prof]
    old = rng.random(nh) < 1 / (1 + np.exp(-logit))
    u = rng.random(nh)
    htype = np.full(nh, NUCLEAR, dtype=np.int64)
    htype[size == 1] = SINGLE
    s2 = size == 2
    htype[s2 & old] = np.where(u[s2 & old] < 0.78, NUCLEAR, SKIP)
    htype[s2 & ~old] = np.where(u[s2 & ~old] < 0.5, SINGLE, NUCLEAR)
    big = size >= 3
    htype[big & old] = np.where(u[big & old] < 0.6, DOWN, SKIP)
    htype[big & ~old] = np.where(
        u[big & ~old] < 0.74, NUCLEAR, np.where(u[big & ~old] < 0.95, UP, SINGLE)
    )
    # Head's age: elderly households 58+, others 22–64.
    head_age = np.where(
        old,
        np.clip(np.rint(rng.normal(70, 7.5, nh)), 58, 96),
        np.clip(np.rint(rng.normal(45, 8.5, nh)), 22, 64),
    ).astype(np.int64)
    n_child = _N_ROLE[CHILD, htype, size]
    # A head with children is at least 20 years older than the eldest.
    head_age = np.where(
        (htype != DOWN) & (n_child > 0), np.maximum(head_age, 20 + n_child * 2), head_age
    )
    head_male = rng.random(nh) < np.where(
        htype == SINGLE, np.where(size == 1, 0.6, 0.55), np.where(old, 0.85, 0.93)
    )

    offsets = np.zeros(nh + 1, dtype=np.int64)
    np.cumsum(size, out=offsets[1:])
    n = int(offsets[-1])
    hidx = np.repeat(np.arange(nh), size)
    slot = np.arange(n) - offsets[hidx]
    t_p, s_p = htype[hidx], size[hidx]
    role = _ROLE[t_p, s_p, slot].astype(np.int64)
    ordinal = _ORD[t_p, s_p, slot].astype(np.int64)

    # Ages: the eldest child is 21–32 years younger than the head, the others 1.5–4 years apart;
    # grandchildren 20–30 younger than the eldest child (45–58 younger than a SKIP head).
    hm = head_male[hidx]
    ha = head_age[hidx]
    gap_child = rng.integers(21, 33, nh)
    eldest = np.maximum(head_age - gap_child, 0)
    spacing = rng.uniform(1.5, 4.0, nh)
    nc = np.maximum(n_child - 1, 1)
    spacing = np.where(n_child > 1, np.minimum(spacing, eldest / nc), spacing)
    n_grand = _N_ROLE[GRANDCHILD, htype, size]
    grand_first = np.where(
        htype == SKIP,
        head_age - rng.integers(45, 59, nh),
        eldest - rng.integers(20, 31, nh),
    )
    grand_first = np.maximum(grand_first, 0)
    grand_spacing = rng.uniform(1.5, 3.5, nh)
    grand_spacing = np.where(
        n_grand > 1, np.minimum(grand_spacing, grand_first / np.maximum(n_grand - 1, 1)), 2.0
    )
    spouse_gap = np.rint(rng.normal(2.0, 3.0, n))
    age = np.zeros(n, dtype=np.int64)
    age[:] = ha
    is_spouse = role == SPOUSE
    age[is_spouse] = ha[is_spouse] + np.where(hm[is_spouse], -1, 1) * spouse_gap[is_spouse]
    is_child = role == CHILD
    age[is_child] = np.rint(eldest[hidx][is_child] - ordinal[is_child] * spacing[hidx][is_child])
    is_cil = role == CHILD_IN_LAW
    # DOWN's married child is mostly a son (else a daughter with a live-in son-in-law, 上门女婿);
    # the in-law is the younger spouse when a wife, the older when a husband.
    son_line = rng.random(nh) < 0.9
    in_law_sign = np.where(son_line[hidx], -1, 1)
    age[is_cil] = eldest[hidx][is_cil] + in_law_sign[is_cil] * np.abs(spouse_gap[is_cil])
    is_grand = role == GRANDCHILD
    age[is_grand] = np.rint(
        grand_first[hidx][is_grand] - ordinal[is_grand] * grand_spacing[hidx][is_grand]
    )
    is_parent = role == PARENT
    age[is_parent] = ha[is_parent] + rng.integers(21, 33, n)[is_parent]
    age = np.clip(age, 0, cal.MAX_AGE)
    age[is_spouse | is_cil] = np.maximum(age[is_spouse | is_cil], 18)

    # Sex: spouses opposite to the head; DOWN's married child as drawn above; two parents are
    # father and mother.
    male = rng.random(n) < 0.52
    male[role == HEAD] = head_male
    male[is_spouse] = ~hm[is_spouse]
    down_first_child = is_child & (t_p == DOWN) & (ordinal == 0)
    male[down_first_child] = son_line[hidx][down_first_child]
    male[is_cil] = ~son_line[hidx][is_cil]
    n_parent = _N_ROLE[PARENT, htype, size][hidx]
    male[is_parent] = np.where(
        n_parent[is_parent] == 2, ordinal[is_parent] == 0, rng.random(n)[is_parent] < 0.35
    )
    via_daughter = (t_p == DOWN) & ~son_line[hidx]
    relation = np.select(
        [
            role == HEAD,
            is_spouse,
            is_child,
            is_cil,
            is_grand & ~via_daughter,
            is_grand & via_daughter,
            is_parent,
        ],
        [
            _REL["head"],
            _REL["spouse"],
            np.where(male, _REL["son"], _REL["daughter"]),
            np.where(male, _REL["son_in_law"], _REL["daughter_in_law"]),
            np.where(male, _REL["grandson"], _REL["granddaughter"]),
            np.where(male, _REL["daughters_son"], _REL["daughters_daughter"]),
            np.where(male, _REL["father"], _REL["mother"]),
        ],
        _REL["other"],
    )

    # Birth dates: aged ``age`` on the reference day (1 September) of the year.
    ref_year = year - age
    ref_day = _ref_days(ref_year, ctx.params)
    span = ref_day - _ref_days(ref_year - 1, ctx.params)
    birth_offset = (rng.random(n) * span).astype(np.int64)
    address = plan.county_code[county][hidx]
    seq, birth_offset = sequences.assign(address, ref_day, birth_offset, span, male)
    birth = (ref_day - birth_offset).astype("datetime64[D]")
    id_numbers = _fixed_strings(make_ids(address, birth, seq))

    # -- ethnicity and names ------------------------------------------------------------------
    eth_col = _pick(rng, np.diff(ctx.p_eth_cdf[prof], axis=1, prepend=0.0))
    h_eth = ctx.p_eth_code[prof, eth_col].astype(np.int64)
    ethnicity = h_eth[hidx]
    full_names = _names(rng, ethnicity, hidx, offsets, role, male, relation, nh)

    # -- health, school, education, labour, work, insurance -----------------------------------
    band = np.searchsorted([b for b, _ in cal.HEALTH_BY_AGE], age, side="right") - 1
    hp = np.array([p for _, p in cal.HEALTH_BY_AGE])[band]
    risk = ctx.p_health[prof][hidx]
    hp[:, 1:] *= risk[:, None]
    hp[:, 0] = np.maximum(1 - hp[:, 1:].sum(axis=1), 0.05)
    health = _pick(rng, hp)

    school = np.full(n, _SCH["not_in_school"], dtype=np.int64)
    r = rng.random(n)
    school[(age >= 3) & (age <= 5) & (r < cal.PRESCHOOL_SHARE)] = _SCH["preschool"]
    school[(age >= 6) & (age <= 11)] = _SCH["primary"]
    school[(age >= 12) & (age <= 14)] = _SCH["junior"]
    a15 = age == 15
    j, s_, _v = np.cumsum(cal.AGE15_SCHOOL)
    school[a15] = np.where(
        r[a15] < j,
        _SCH["junior"],
        np.where(r[a15] < s_, _SCH["senior"], _SCH["vocational_secondary"]),
    )
    a16 = (age >= 16) & (age <= 18)
    in16 = a16 & (r < cal.AGE16_18_IN_SCHOOL)
    school[in16] = np.where(
        r[in16] < cal.AGE16_18_IN_SCHOOL * cal.AGE16_18_SENIOR,
        _SCH["senior"],
        _SCH["vocational_secondary"],
    )
    a19 = (age >= 19) & (age <= 22)
    in19 = a19 & (r < cal.AGE19_22_IN_SCHOOL)
    school[in19] = np.where(
        r[in19] < cal.AGE19_22_IN_SCHOOL * cal.AGE19_22_COLLEGE,
        _SCH["college"],
        _SCH["vocational_higher"],
    )
    compulsory = (age >= ctx.params.school_age_min) & (age <= ctx.params.school_age_max)
    exempt = compulsory & (rng.random(n) < cal.SCHOOL_EXEMPT_SHARE)
    school[exempt] = _SCH["not_in_school"]
    health[exempt] = _HEALTH["disabled"]
    sick = (health == _HEALTH["chronic"]) | (health == _HEALTH["serious"])
    disabled = health == _HEALTH["disabled"]
    in_school = school != _SCH["not_in_school"]

    labour = np.full(n, _LAB["none"], dtype=np.int64)
    working_age = (age >= 16) & (age <= 65) & ~in_school
    wa = np.flatnonzero(working_age)
    labour_p = np.array(cal.LABOUR_BY_HEALTH)[health[wa]]
    labour[wa] = _pick(rng, labour_p)
    elder = np.flatnonzero(age > 65)
    elder_sick = health[elder] != _HEALTH["healthy"]
    lab_old_h = np.array([_LAB["ordinary"], _LAB["weak"], _LAB["none"]])
    lab_old_s = np.array([_LAB["weak"], _LAB["lost"], _LAB["none"]])
    pick_h = _pick_fixed(rng, cal.LABOUR_OLD_HEALTHY, elder.size)
    pick_s = _pick_fixed(rng, cal.LABOUR_OLD_SICK, elder.size)
    labour[elder] = np.where(elder_sick, lab_old_s[pick_s], lab_old_h[pick_h])
    able = (labour == _LAB["ordinary"]) | (labour == _LAB["skilled"])
    weak = labour == _LAB["weak"]

    mig_rate = ctx.p_migrant[prof][hidx]
    can_migrate = (age >= 16) & (age <= 59) & ~in_school
    migrant = can_migrate & (
        (able & (rng.random(n) < mig_rate)) | (weak & (rng.random(n) < mig_rate * 0.2))
    )
    destination = _pick_fixed(rng, cal.MIGRANT_DESTINATION, n) + _MIG["in_township"]
    migrant_work = np.where(migrant, destination, _MIG["none"])
    far = destination >= _MIG["in_province"]
    months = np.where(far, rng.integers(6, 13, n), rng.integers(3, 13, n))
    migrant_months = np.where(migrant, months, 0)

    edu = _education(rng, age, school, ctx.p_low_edu[prof][hidx], n)

    # -- household summaries -------------------------------------------------------------------
    starts = offsets[:-1]

    def per_household(values: Array) -> Array:
        out: Array = np.add.reduceat(values.astype(np.int64), starts)
        return out

    h_sick = per_household(sick)
    h_disabled = per_household(disabled)
    h_able = per_household(able)
    h_capable16_65 = per_household((age >= 16) & (age <= 65) & (able | weak))
    h_migrant = per_household(migrant)
    h_migrant_months = per_household(migrant_months)
    h_student_higher = per_household(_HIGHER_SCHOOL[school])
    h_student = per_household(in_school & (age >= 6))
    h_children = _N_ROLE[CHILD, htype, size]

    # -- attribute: 特困 only without working-age labour capacity; 低保 leans to the sick -------
    tekun_eligible = (h_capable16_65 == 0) & (size <= 3)
    elig_share = _share_by(prof, tekun_eligible, len(plan.profiles))
    p_tekun = np.where(tekun_eligible, ctx.p_tekun[prof] / np.maximum(elig_share[prof], 1e-9), 0)
    tekun = rng.random(nh) < np.minimum(p_tekun, 1.0)
    dibao_weight = 1.0 + 2.0 * ((h_sick + h_disabled) > 0) + 2.0 * (h_able == 0)
    dibao_weight = np.where(tekun, 0.0, dibao_weight)
    mean_w = _mean_by(prof, dibao_weight, ~tekun, len(plan.profiles))
    p_dibao = ctx.p_dibao[prof] / (1 - np.minimum(ctx.p_tekun[prof], 0.5))
    dibao_h = rng.random(nh) < np.minimum(
        p_dibao * dibao_weight / np.maximum(mean_w[prof], 1e-9), 1
    )
    attribute = np.where(tekun, _ATTR["tekun"], np.where(dibao_h, _ATTR["dibao"], _ATTR["general"]))

    # -- causes ---------------------------------------------------------------------------------
    w = np.tile(np.array(cal.MAIN_CAUSE_WEIGHTS), (nh, 1))
    w[:, _C["illness"]] *= np.where(h_sick > 0, 3.0 * ctx.p_health[prof], 0.0)
    w[:, _C["disability"]] *= np.where(h_disabled > 0, 3.0 * ctx.p_health[prof], 0.0)
    w[:, _C["schooling"]] *= np.where(h_student_higher > 0, 4.0, np.where(h_student > 0, 0.4, 0))
    w[:, _C["lack_skills"]] *= np.where(h_able > 0, 1.0, 0.1)
    w[:, _C["lack_labour"]] *= np.where(h_able == 0, 3.0, np.where(h_able == 1, 1.2, 0.2))
    w[:, _C["lack_capital"]] *= np.where(h_able > 0, 1.0, 0.3)
    w[:, _C["lack_motivation"]] *= np.where(h_able > 0, 1.0, 0.05)
    main_cause = _pick(rng, w)
    keys = np.log(np.where(w > 0, w, 1e-300)) + rng.gumbel(size=w.shape)
    keys[w <= 0] = -np.inf
    keys[np.arange(nh), main_cause] = -np.inf
    top2 = np.argsort(-keys, axis=1)[:, :2]
    valid2 = np.isfinite(np.take_along_axis(keys, top2, axis=1))
    n_other = _pick_fixed(rng, cal.OTHER_CAUSE_COUNT, nh)
    first = np.where((n_other >= 1) & valid2[:, 0], top2[:, 0], -1)
    second = np.where((n_other >= 2) & valid2[:, 1], top2[:, 1], -1)
    other_index = (first + 1) * (_CAUSE_N + 1) + (second + 1)

    # -- status for the year: the more labour and the less illness, the earlier the exit -------
    first_years = np.array([y for y in cal.FIRST_IDENTIFIED_WEIGHTS if y <= year])
    fw = np.array([cal.FIRST_IDENTIFIED_WEIGHTS[y] for y in first_years])
    first_year = first_years[_pick_fixed(rng, fw, nh)]
    score = (
        rng.normal(0, 1.0, nh)
        + 0.5 * np.minimum(h_able, 3)
        + 0.3 * np.minimum(h_migrant, 2)
        - 0.6 * (h_sick > 0)
        - 0.8 * tekun
        - 0.4 * dibao_h
        - ctx.p_exit_lag[prof]
    )
    q = ctx.exited_share
    if q >= 1.0:
        exited = np.ones(nh, dtype=bool)
    elif q <= 0.0:
        exited = np.zeros(nh, dtype=bool)
    else:
        exited = score >= np.quantile(score, 1 - q)
    years = np.array(cal.YEARS)
    exit_w = np.array([cal.EXITS_PER_YEAR_10K[y] for y in cal.YEARS], dtype=np.float64)
    exit_w = np.where(years[None, :] <= year, exit_w[None, :], 0.0)
    exit_w = np.where(years[None, :] >= first_year[:, None], exit_w, 0.0)
    exit_w[:, years == year] += 1e-9  # a household identified this year exits this year
    exit_year = np.where(exited, years[_pick(rng, exit_w)], 0)
    status = np.full(nh, _STATUS["poor"], dtype=np.int64)
    if year >= 2016:
        # 返贫: identified before this year, exited and fell back.
        returned = ~exited & (first_year < year) & (rng.random(nh) < cal.RETURNED_SHARE_OF_POOR)
        status[returned] = _STATUS["returned"]
    no_policy = (
        exited & (exit_year <= year - 2) & (rng.random(nh) < cal.EXITED_WITHOUT_POLICY_SHARE)
    )
    status[exited] = _STATUS["exited_with_policy"]
    status[no_policy] = _STATUS["exited"]
    poor_h = ~exited

    # -- deficits only a household still poor can have (exit needs 两不愁三保障) -----------------
    poor_p = poor_h[hidx]
    dropout = compulsory & ~exempt & poor_p & (rng.random(n) < cal.DROPOUT_SHARE[year])
    school[dropout] = _SCH["not_in_school"]
    edu[dropout] = np.where(age[dropout] >= 13, _EDU["junior"], _EDU["primary"])
    basic_medical = ~(poor_p & (rng.random(n) >= cal.BASIC_MEDICAL_SHARE[year]))
    serious_ins = basic_medical & (rng.random(n) < cal.SERIOUS_ILLNESS_OF_BASIC)
    adult = (age >= 16) & (school == _SCH["not_in_school"])
    pension = adult & (rng.random(n) < cal.PENSION_SHARE)
    dibao_p = (attribute[hidx] == _ATTR["dibao"]) & (
        (role == HEAD) | (rng.random(n) < cal.DIBAO_MEMBER_SHARE)
    )
    tekun_p = attribute[hidx] == _ATTR["tekun"]

    # -- household flags ------------------------------------------------------------------------
    military = rng.random(nh) < cal.MILITARY_FAMILY_SHARE
    one_child = (
        (h_children == 1) & (htype != DOWN) & (rng.random(nh) < cal.ONE_CHILD_CERTIFIED_SHARE)
    )
    daughters = per_household(is_child & ~male)
    two_daughters = (
        (h_children == 2) & (daughters == 2) & (rng.random(nh) < cal.TWO_DAUGHTERS_CERTIFIED_SHARE)
    )
    relocated = rng.random(nh) < cal.RELOCATED_SHARE[year] * ctx.p_reloc[prof]

    # -- living conditions ----------------------------------------------------------------------
    land = np.round(np.minimum(size * ctx.p_land[prof] * rng.lognormal(0, 0.5, nh), size * 50.0), 1)
    area: Array = size**0.85 * cal.HOUSING_M2_PER_PERSON * rng.lognormal(0, 0.3, nh)
    area = np.round(np.where(relocated, np.minimum(area, cal.RELOCATION_M2_CAP * size), area), 1)
    share_poor = max(1.0 - q, 1e-9)
    p_danger = min(cal.DANGEROUS_HOUSE_CAP_OF_POOR, cal.DANGEROUS_HOUSE_SHARE[year] / share_poor)
    dangerous = poor_h & ~relocated & (rng.random(nh) < p_danger)
    house_grade = np.where(dangerous, np.where(rng.random(nh) < cal.D_GRADE_SHARE, 2, 1), 0)
    unsafe_water = poor_h & (rng.random(nh) < cal.UNSAFE_WATER_SHARE_OF_POOR[year])
    water_difficult = unsafe_water & (rng.random(nh) < cal.WATER_DIFFICULT_OF_UNSAFE)
    food_secure = ~(poor_h & (rng.random(nh) < cal.FOOD_INSECURE_SHARE_OF_POOR))
    clothing_secure = ~(poor_h & (rng.random(nh) < cal.CLOTHING_INSECURE_SHARE_OF_POOR))
    electricity = rng.random(nh) >= cal.NO_ELECTRICITY_SHARE
    deep = ctx.p_deep[prof]
    road_km = np.round(
        np.minimum(rng.exponential(cal.ROAD_DISTANCE_MEAN_KM * np.where(deep, 1.8, 1.0)), 30.0), 1
    )
    road_p = [
        cal.interpolate(a, b, year)
        for a, b in zip(cal.ROAD_TYPE_2014, cal.ROAD_TYPE_2020, strict=True)
    ]
    road_type = _pick_fixed(rng, tuple(road_p), nh)
    toilet = rng.random(nh) < cal.interpolate(
        cal.SANITARY_TOILET_2014, cal.SANITARY_TOILET_2020, year
    )
    fuel = _pick(rng, ctx.p_fuel[prof])

    # -- income ---------------------------------------------------------------------------------
    income = _income(
        rng,
        ctx,
        size=size,
        exited=exited,
        attribute=attribute,
        land=land,
        h_able=h_able,
        h_migrant_months=h_migrant_months,
        dibao_members=per_household(dibao_p),
        pensioners=per_household(pension & (age >= 60)),
        planning=(one_child | two_daughters) & (head_age >= 60),
        couple=_N_ROLE[SPOUSE, htype, size] > 0,
    )

    # -- contact and payment --------------------------------------------------------------------
    phone_num = _PHONE_PREFIX[rng.integers(0, _PHONE_PREFIX.size, nh)] * 10**8 + rng.integers(
        0, 10**8, nh
    )
    phones = _int_strings(phone_num)
    no_phone = pa.array(rng.random(nh) < cal.NO_PHONE_SHARE)
    phones = pc.if_else(no_phone, pa.scalar("", pa.string()), phones)
    bank = np.searchsorted(_BANK_CDF, rng.random(nh), side="right").clip(0, _BANK_BIN.size - 1)
    payload = _BANK_BIN[bank] * 10**12 + rng.integers(0, 10**12, nh)
    accounts = _int_strings(payload * 10 + _luhn_digit(payload))

    # -- assemble -------------------------------------------------------------------------------
    v_codes = plan.village_code.take(pa.array(village))
    serial_text = pc.utf8_lpad(_int_strings(serial), 6, "0")
    household_code = pc.binary_join_element_wise(v_codes, serial_text, "-")
    group = 1 + (rng.random(nh) * plan.village_groups[village]).astype(np.int64)
    # Household columns are built once per household and repeated on the members' rows by one
    # Arrow ``take`` (cheaper than numpy gathers of every column).
    household: dict[str, pa.Array] = {
        "household_code": household_code,
        "village_code": v_codes,
        "group_name": _GROUP_NAMES.take(pa.array(group)),
        "attribute": _codes(codes.HOUSEHOLD_ATTRIBUTE, attribute),
        "standard": _codes(codes.IDENTIFICATION_STANDARD, ctx.p_standard[prof]),
        "main_cause": _codes(codes.CAUSE, main_cause),
        "other_causes": _OTHER_CAUSES.take(pa.array(other_index)),
        "status": _codes(codes.POVERTY_STATUS, status),
        "first_identified_year": pa.array(first_year, pa.int32()),
        "exit_year": pa.array(exit_year, pa.int32(), mask=~exited),
        "military_family": pa.array(military),
        "one_child": pa.array(one_child),
        "two_daughters": pa.array(two_daughters),
        "relocated": pa.array(relocated),
        "phone": phones,
        "bank_name": _BANK_NAMES.take(pa.array(bank)),
        "bank_account": accounts,
        "cultivated_land_mu": pa.array(land),
        "housing_area_m2": pa.array(area),
        "house_grade": _codes(codes.HOUSE_GRADE, house_grade),
        "food_secure": pa.array(food_secure),
        "clothing_secure": pa.array(clothing_secure),
        "water_difficult": pa.array(water_difficult),
        "water_safe": pa.array(~unsafe_water),
        "electricity_household": pa.array(electricity),
        "road_distance_km": pa.array(road_km),
        "road_type": _codes(codes.ROAD_TYPE, road_type),
        "sanitary_toilet": pa.array(toilet),
        "fuel": _codes(codes.FUEL, fuel),
        "income_year": pa.array(np.full(nh, year), pa.int32()),
        "household_size": pa.array(size, pa.int32()),
        **{name: pa.array(values, pa.float64()) for name, values in income.items()},
    }
    repeated = pa.RecordBatch.from_pydict(household).take(pa.array(hidx))
    columns: dict[str, pa.Array] = {
        **dict(zip(repeated.schema.names, repeated.columns, strict=True)),
        "name": full_names,
        "id_number": id_numbers,
        "relation": _codes(codes.RELATION, relation),
        "ethnicity": _codes(codes.ETHNICITY, ethnicity),
        "education": _codes(codes.EDUCATION, edu),
        "school_status": _codes(codes.SCHOOL_STATUS, school),
        "school_exempt_physical": pa.array(exempt),
        "health": _codes(codes.HEALTH, health),
        "labour_capacity": _codes(codes.LABOUR_CAPACITY, labour),
        "migrant_work": _codes(codes.MIGRANT_WORK, migrant_work),
        "migrant_months": pa.array(migrant_months, pa.int32()),
        "basic_medical": pa.array(basic_medical),
        "serious_illness_insurance": pa.array(serious_ins),
        "pension": pa.array(pension),
        "dibao": pa.array(dibao_p),
        "tekun": pa.array(tekun_p),
    }
    return pa.RecordBatch.from_arrays([columns[f.name] for f in SCHEMA], schema=SCHEMA)


def _share_by(group: Array, flag: Array, n_groups: int) -> Array:
    total = np.bincount(group, minlength=n_groups)
    hits = np.bincount(group, weights=flag.astype(np.float64), minlength=n_groups)
    out: Array = hits / np.maximum(total, 1)
    return out


def _mean_by(group: Array, values: Array, mask: Array, n_groups: int) -> Array:
    total = np.bincount(group, weights=mask.astype(np.float64), minlength=n_groups)
    sums = np.bincount(group, weights=values * mask, minlength=n_groups)
    out: Array = sums / np.maximum(total, 1e-9)
    return out


_EDU_ORDER = np.array([_EDU[c] for c in ("illiterate", "primary", "junior", "senior", "college")])
_EDU_BANDS = np.array([band for band, _ in cal.EDUCATION_BY_AGE])
#: Cumulative education shares per age band, plus a last row for low-schooling regions.
_EDU_CDF = np.cumsum(
    np.array([p for _, p in cal.EDUCATION_BY_AGE] + [cal.LOW_EDUCATION_ADULTS]), axis=1
)
_SCHOOL_TO_EDU = np.full(len(codes.SCHOOL_STATUS.codes), -1, dtype=np.int64)
for _school, _edu in {
    "primary": "primary",
    "junior": "junior",
    "senior": "senior",
    "vocational_secondary": "senior",
    "vocational_higher": "college",
    "college": "college",
}.items():
    _SCHOOL_TO_EDU[_SCH[_school]] = _EDU[_edu]


def _education(
    rng: np.random.Generator, age: Array, school: Array, low_edu: Array, n: int
) -> Array:
    """文化程度: 学龄前儿童 under 6, the current level for students, by cohort for the rest."""
    row = np.maximum(np.searchsorted(_EDU_BANDS, age, side="right") - 1, 0)
    # Regions with low schooling: a share of adults drawn from the low-schooling row.
    u = rng.random((2, n))
    row = np.where(u[0] < low_edu, _EDU_BANDS.size, row)
    level = np.minimum((u[1][:, None] >= _EDU_CDF[row]).sum(axis=1), _EDU_ORDER.size - 1)
    edu = _EDU_ORDER[level]
    edu = np.where(age < 6, _EDU["preschool_child"], edu)
    in_school = _SCHOOL_TO_EDU[school]
    edu = np.where(in_school >= 0, in_school, edu)
    # Out-of-school 6–15 year-olds (exempt): primary at most.
    kid = (age >= 6) & (age <= 15) & (school == _SCH["not_in_school"])
    out: Array = np.where(kid & (edu != _EDU["illiterate"]), _EDU["primary"], edu)
    return out


def _income(
    rng: np.random.Generator,
    ctx: _YearContext,
    *,
    size: Array,
    exited: Array,
    attribute: Array,
    land: Array,
    h_able: Array,
    h_migrant_months: Array,
    dibao_members: Array,
    pensioners: Array,
    planning: Array,
    couple: Array,
) -> dict[str, Array]:
    """Itemised yearly income whose per-capita net hits the year's published mean.

    Households still poor sit mostly below the line, exited ones above it (but for a 1.5%
    wrong-exit share); the exited households' excess is rescaled so the person-weighted mean of
    the batch equals the target exactly. Transfers are policy amounts (capped at 90% of net);
    the market rest is split between wages (by months worked away) and farming.
    """
    year, line = ctx.year, ctx.line
    nh = size.shape[0]
    pc_poor = line * np.clip(
        rng.lognormal(np.log(cal.POOR_INCOME_MEDIAN_OF_LINE), cal.POOR_INCOME_SIGMA, nh),
        *cal.POOR_INCOME_CLIP_OF_LINE,
    )
    wrong = exited & (rng.random(nh) < cal.WRONG_EXIT_SHARE)
    pc_wrong = line * rng.uniform(0.8, 0.99, nh)
    floor = line * (1 + cal.EXITED_INCOME_MARGIN_OF_LINE)
    # Capped so that no household passes the 100,000 per-capita plausibility check (§3.6).
    excess = np.minimum(rng.lognormal(0.0, cal.EXITED_INCOME_SIGMA, nh), 8.0)
    fixed = np.where(exited, np.where(wrong, pc_wrong, floor), pc_poor)
    scalable = exited & ~wrong
    target_total = ctx.target_income * size.sum()
    room = target_total - (fixed * size).sum()
    weight = (excess * size * scalable).sum()
    factor = max(room, 0.0) / weight if weight > 0 else 0.0
    per_capita = fixed + np.where(scalable, excess * factor, 0.0)
    net = np.rint(per_capita * size)

    standard = cal.RURAL_DIBAO_STANDARD[year]
    dibao = np.where(
        attribute == _ATTR["dibao"],
        dibao_members * standard * cal.DIBAO_PAID_SHARE * rng.uniform(0.7, 1.3, nh),
        0.0,
    )
    tekun = np.where(
        attribute == _ATTR["tekun"],
        size * standard * cal.TEKUN_OF_DIBAO_STANDARD * rng.uniform(0.9, 1.1, nh),
        0.0,
    )
    pension = pensioners * 12 * cal.BASIC_PENSION_MONTHLY[year] * rng.uniform(1.0, 1.3, nh)
    family_planning = np.where(planning, cal.FAMILY_PLANNING_YEARLY * (1 + couple), 0.0)
    ecological = np.where(
        rng.random(nh) < cal.ECOLOGICAL_SHARE, rng.exponential(cal.ECOLOGICAL_MEAN, nh), 0.0
    )
    other = land * cal.FARMLAND_SUBSIDY_PER_MU * rng.uniform(0.8, 1.2, nh) + np.where(
        rng.random(nh) < 0.3, rng.exponential(300.0, nh), 0.0
    )
    dividend = np.where(
        rng.random(nh) < cal.DIVIDEND_SHARE[year], rng.exponential(cal.DIVIDEND_MEAN, nh), 0.0
    )
    property_other = np.where(
        rng.random(nh) < cal.PROPERTY_OTHER_SHARE,
        rng.exponential(cal.PROPERTY_OTHER_MEAN, nh),
        0.0,
    )
    non_market = np.stack(
        [dividend, property_other, family_planning, dibao, tekun, pension, ecological, other]
    )
    total = non_market.sum(axis=0)
    cap = cal.TRANSFER_CAP_OF_NET * net
    scale = np.where(total > cap, cap / np.maximum(total, 1e-9), 1.0)
    non_market = np.rint(non_market * scale)
    market = net - non_market.sum(axis=0)

    wage_weight = h_migrant_months * cal.MIGRANT_MONTHLY_WAGE[year]
    farm_weight = h_able * cal.FARMING_PER_WORKER + land * cal.FARMING_PER_MU + 1.0
    wage = np.rint(market * wage_weight / (wage_weight + farm_weight))
    operating_net = market - wage
    cost = np.rint(operating_net * rng.uniform(*cal.OPERATING_COST_RATIO, nh))
    operating_income = operating_net + cost
    dividend, property_other, family_planning, dibao, tekun, pension, ecological, other = non_market
    return {
        "wage": wage,
        "operating_income": operating_income,
        "property_dividend": dividend,
        "property_other": property_other,
        "transfer_family_planning": family_planning,
        "transfer_dibao": dibao,
        "transfer_tekun": tekun,
        "transfer_pension": pension,
        "transfer_ecological": ecological,
        "transfer_other": other,
        "operating_cost": cost,
    }


def _names(
    rng: np.random.Generator,
    ethnicity: Array,
    hidx: Array,
    offsets: Array,
    role: Array,
    male: Array,
    relation: Array,
    nh: int,
) -> pa.Array:
    """Full names: surname + part1 + part2, by the household's naming style."""
    t = _NAMES
    S = names.Style
    n = ethnicity.shape[0]
    style = _STYLE_OF_ETH[ethnicity]
    h_style = style[offsets[:-1]]

    def han_surnames(k: int) -> Array:
        out: Array = np.searchsorted(t.han_surname_cdf, rng.random(k), side="right")
        return np.minimum(out, t.han_n - 1)

    yi_lo, yi_hi = t.yi_sur
    h_sur = np.where(
        h_style == S.HAN,
        han_surnames(nh),
        np.where(h_style == S.YI, rng.integers(yi_lo, yi_hi, nh), t.empty_sur),
    )
    own_sur = np.where(
        style == S.HAN,
        han_surnames(n),
        np.where(style == S.YI, rng.integers(yi_lo, yi_hi, n), t.empty_sur),
    )
    # Blood relatives on the father's line carry the household surname; spouses, in-laws,
    # mothers, a female head and a daughter's children carry their own.
    inherits = ((role == HEAD) & male) | (role == CHILD) | _PATERNAL_LINE[relation]
    surname = np.where(inherits, h_sur[hidx], own_sur)

    part1 = np.zeros(n, dtype=np.int64)
    part2 = np.zeros(n, dtype=np.int64)
    u1, u2, u3 = rng.random((3, n))
    for st in S:
        for sex in (True, False):
            m = (style == st) & (male == sex)
            if not m.any():
                continue
            lo, hi = t.p1[(st, sex)]
            part1[m] = lo + (u1[m] * (hi - lo)).astype(np.int64)
            if (st, sex) in t.p2:
                lo2, hi2 = t.p2[(st, sex)]
                second = lo2 + (u2[m] * (hi2 - lo2)).astype(np.int64)
                if st == S.HAN:
                    # One given-name character in three.
                    second = np.where(u3[m] < 0.33, 0, second)
                part2[m] = second
    # Uyghur-style children take their father's (the male head's) given name.
    head_part1 = part1[offsets[:-1]][hidx]
    head_male = male[offsets[:-1]][hidx]
    uy_child = (style == S.UYGHUR) & (role == CHILD) & head_male
    part2[uy_child] = t.uy_father + head_part1[uy_child] - t.uy_male_p1
    return pc.binary_join_element_wise(
        t.surname.take(pa.array(surname)),
        t.part1.take(pa.array(part1)),
        t.part2.take(pa.array(part2)),
        "",
    )
