"""Village exit assessment and the county's third-party exit evaluation.

Set-based throughout: the village figures come from the rollups and one GROUP BY each for the
frame and the households' conditions; the county sample is drawn by numpy over id lists (one
query per stratum) and written with one bulk insert; the decision reads the verified sample
with one grouped count. The rules themselves live in ``fupin.policy.exit_standards``.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from fupin.assessment.models import AssessmentResult
from fupin.common.errors import FupinError
from fupin.divisions.models import Division
from fupin.divisions.selectors import division_get, subtree_q
from fupin.evaluation.models import (
    CountyEvaluation,
    EvaluationSample,
    FrameHousehold,
    Stratum,
    VillageExitAssessment,
)
from fupin.policy import exit_standards as es
from fupin.registry.models import Household, LivingConditions
from fupin.registry.village import VillageFacts
from fupin.reports.models import DivisionRollup
from fupin.reports.services import rollups_refresh

#: Registry statuses of each registered stratum ("removed" households are in neither).
STRATUM_STATUSES = {
    Stratum.POOR: ("poor", "returned"),
    Stratum.EXITED: ("exited_with_policy", "exited"),
}
#: Conditions the registry can read from the households' own records.
REGISTRY_CONDITIONS = {"electricity": "electricity_household", "water": "water_safe"}
#: Conditions recorded by the county office, and the yuan amount input.
INPUT_CONDITIONS = ("road", "public_services", "industry")
DEFAULT_MINIMUM = 100


def _county(code: str) -> Division:
    division = division_get(code)
    if division.level != 3:
        raise FupinError("EVALUATION_NOT_COUNTY", f"{division.name}（{code}）不是县级区划")
    return division


# -- the frame of non-registered households -----------------------------------------------------


def frame_generate(
    *,
    county: str,
    seed: int,
    households_per_registered: float = 4.0,
    minimum_per_village: int = 20,
    poor_share: float = 0.01,
) -> int:
    """Generate the county's non-registered rural households (the demo's frame); return how
    many. Each village gets ``households_per_registered`` × its registered households (at
    least ``minimum_per_village``); a ``poor_share`` of them is planted as poor but missed.
    Replaces the county's earlier synthetic frame; refused when samples point at it."""
    division = _county(county)
    villages = list(
        Division.objects.filter(subtree_q(county), level=5)
        .order_by("code")
        .values_list("code", flat=True)
    )
    if not villages:
        raise FupinError("EVALUATION_NO_VILLAGES", f"{division.name}下没有村级区划，请先加载区划")
    registered = dict(
        Household.objects.filter(subtree_q(county, field="village__code"))
        .values_list("village_id")
        .annotate(n=Count("id"))
        .values_list("village_id", "n")
    )
    rng = np.random.default_rng([seed, 7_000_001])
    sizes = np.array(
        [
            max(minimum_per_village, round(registered.get(v, 0) * households_per_registered))
            for v in villages
        ]
    )
    total = int(sizes.sum())
    persons = 1 + rng.poisson(2.6, total)
    planted = rng.random(total) < poor_share
    village_of = np.repeat(np.arange(len(villages)), sizes)
    start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rows = [
        FrameHousehold(
            county_id=county,
            village_id=villages[vi],
            code=f"F{villages[vi]}{i - start[vi] + 1:04d}",
            persons=int(persons[i]),
            source=FrameHousehold.Source.SYNTHETIC,
            planted_poor=bool(planted[i]),
        )
        for i, vi in enumerate(village_of.tolist())
    ]
    with transaction.atomic():
        _frame_clear(county)
        FrameHousehold.objects.bulk_create(rows, batch_size=5000)
    return total


def _frame_clear(county: str) -> None:
    if EvaluationSample.objects.filter(frame_household__county_id=county).exists():
        raise FupinError("EVALUATION_FRAME_IN_USE", "该县的非建档立卡户名单已被抽样使用，不能替换")
    FrameHousehold.objects.filter(county_id=county).delete()


def frame_import(*, county: str, path: Path) -> int:
    """Import the county's non-registered households from a CSV file (columns 村代码, 户编号,
    人口数, optional 户主姓名); all rows or none. Replaces the county's earlier frame."""
    _county(county)
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise FupinError("FRAME_FILE_INVALID", f"名单文件无法读取：{exc}") from exc
    villages = set(
        Division.objects.filter(subtree_q(county), level=5).values_list("code", flat=True)
    )
    objs, errors = [], []
    for i, row in enumerate(rows, start=2):
        village = (row.get("村代码") or "").strip()
        code = (row.get("户编号") or "").strip()
        try:
            persons = int((row.get("人口数") or "").strip())
        except ValueError:
            persons = 0
        if village not in villages:
            errors.append(f"第 {i} 行：村代码 {village or '（空）'} 不是本县的村")
        elif not code or persons < 1:
            errors.append(f"第 {i} 行：户编号不能为空，人口数须为正整数")
        else:
            objs.append(
                FrameHousehold(
                    county_id=county,
                    village_id=village,
                    code=code,
                    head_name=(row.get("户主姓名") or "").strip()[:50],
                    persons=persons,
                    source=FrameHousehold.Source.IMPORTED,
                )
            )
    if errors or not objs:
        raise FupinError(
            "FRAME_FILE_INVALID",
            "；".join(errors[:5]) or "名单文件没有数据行",
            {"errors": errors},
        )
    if len({o.code for o in objs}) != len(objs):
        raise FupinError("FRAME_FILE_INVALID", "名单中有重复的户编号")
    with transaction.atomic():
        _frame_clear(county)
        FrameHousehold.objects.bulk_create(objs, batch_size=5000)
    return len(objs)


# -- villages -----------------------------------------------------------------------------------


def _share_condition(yes: int, recorded: int, minimum: float) -> dict[str, Any]:
    if not recorded:
        return {"value": None, "source": "unknown", "detail": "登记户未填写"}
    share = yes / recorded
    return {
        "value": share >= minimum,
        "source": "registry",
        "detail": f"登记户中 {yes}/{recorded} 户（{share * 100:.0f}%）",
    }


def _input_conditions(
    inputs: Mapping[str, Any], standards: es.ExitStandards
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for code in INPUT_CONDITIONS:
        value = inputs.get(code)
        out[code] = (
            {"value": bool(value), "source": "input", "detail": "县扶贫办录入"}
            if value is not None
            else {"value": None, "source": "unknown", "detail": "登记系统无此信息，待录入"}
        )
    amount = inputs.get("collective_income")
    out["collective_income"] = (
        {
            "value": float(amount) > standards.collective_income_min,
            "source": "input",
            "detail": f"村集体经济收入 {float(amount):,.0f} 元",
        }
        if amount is not None
        else {"value": None, "source": "unknown", "detail": "登记系统无此信息，待录入"}
    )
    return out


#: The village facts (村情) each condition is read from; a condition made of several facts holds
#: when all do, fails when one fails, and is missing otherwise.
FACT_CONDITIONS: dict[str, tuple[str, ...]] = {
    "road": ("road_hardened",),
    "electricity": ("power_grid",),
    "public_services": ("clinic_qualified_doctor", "cultural_room"),
    "industry": ("industry",),
    "broadband": ("broadband",),
    "mobile_signal": ("mobile_signal",),
}
FACT_LABELS = {
    "road_hardened": "通硬化路（到村）",
    "power_grid": "通动力电",
    "clinic_qualified_doctor": "有标准化卫生室且有合格村医",
    "cultural_room": "有综合性文化服务中心",
    "industry": "有增收产业",
    "broadband": "通宽带",
    "mobile_signal": "手机信号覆盖",
    "safe_water_share": "安全饮水覆盖率",
    "collective_income": "村集体经济年收入",
}
_FACT_COLUMNS = (
    "village_id",
    "population",
    "safe_water_share",
    "collective_income",
    *{f for names in FACT_CONDITIONS.values() for f in names},
)


def _facts_conditions(
    facts: Mapping[str, Any] | None, standards: es.ExitStandards
) -> dict[str, dict[str, Any]]:
    """The conditions the village facts (村情) of the year decide; a fact not recorded makes
    its condition missing ("村情未录入"), which never counts as met."""
    if facts is None:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for code, names in FACT_CONDITIONS.items():
        if code not in standards.village_conditions:
            continue  # broadband, mobile signal: read only where a province requires them
        values = [facts.get(n) for n in names]
        missing = [FACT_LABELS[n] for n, v in zip(names, values, strict=True) if v is None]
        if any(v is False for v in values):
            failed = [FACT_LABELS[n] for n, v in zip(names, values, strict=True) if v is False]
            out[code] = {
                "value": False,
                "source": "village_facts",
                "detail": "村情：无" + "、".join(failed),
            }
        elif missing:
            out[code] = {
                "value": None,
                "source": "unknown",
                "detail": "村情未录入：" + "、".join(missing),
            }
        else:
            out[code] = {
                "value": True,
                "source": "village_facts",
                "detail": "村情：" + "、".join(FACT_LABELS[n] for n in names),
            }
    water = facts.get("safe_water_share")
    minimum = standards.household_share_min * 100
    out["water"] = (
        {"value": None, "source": "unknown", "detail": "村情未录入：安全饮水覆盖率"}
        if water is None
        else {
            "value": float(water) >= minimum,
            "source": "village_facts",
            "detail": f"村情：安全饮水覆盖率 {float(water):.0f}%（标准 {minimum:.0f}%）",
        }
    )
    amount = facts.get("collective_income")
    out["collective_income"] = (
        {"value": None, "source": "unknown", "detail": "村情未录入：村集体经济年收入"}
        if amount is None
        else {
            "value": float(amount) > standards.collective_income_min,
            "source": "village_facts",
            "detail": f"村情：村集体经济收入 {float(amount):,.0f} 元",
        }
    )
    return out


def _merge_conditions(
    *layers: Mapping[str, dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    """Take each condition from the first layer that knows it; keep the first "missing"
    entry (its detail says which fact to record) when none does."""
    out: dict[str, dict[str, Any]] = {}
    for layer in layers:
        for code, entry in layer.items():
            if code not in out or (out[code]["value"] is None and entry["value"] is not None):
                out[code] = entry
    return out


def village_exit_assess(
    *, division_code: str, year: int, standards: es.ExitStandards = es.DEFAULT_STANDARDS
) -> int:
    """Assess every village with registered households under a division for a year; return
    how many. Recorded inputs of earlier runs are kept; the rows are replaced in one go.

    Each village condition and the population come first from the village's facts (村情,
    ``VillageFacts``) of the year, then from the inputs recorded for the evaluation, then
    (electricity, water) from the households' records. A fact not recorded is reported as
    missing and never counts as met: the village cannot exit until it is recorded."""
    division = division_get(division_code)
    if division.level == 5:
        raise FupinError("EVALUATION_DIVISION_LEVEL", "请选择县或乡镇，对其下各村进行评估")
    in_code = subtree_q(division.code, field="division_code")
    if not DivisionRollup.objects.filter(in_code, level=5, year=year).exists():
        rollups_refresh(division_code=division.code, year=year)
    rollups = list(
        DivisionRollup.objects.filter(in_code, level=5, year=year).values(
            "division_code",
            "persons",
            "poor_persons",
            "returned_persons",
            "removed_persons",
        )
    )
    frame = dict(
        FrameHousehold.objects.filter(subtree_q(division.code, field="village__code"))
        .values("village_id")
        .annotate(p=Sum("persons"))
        .values_list("village_id", "p")
    )
    live = LivingConditions.objects.filter(
        subtree_q(division.code, field="household__village__code"),
        household__first_identified_year__lte=year,
    ).exclude(household__status="removed")
    agg: dict[str, dict[str, int]] = {}
    for code, field in REGISTRY_CONDITIONS.items():
        for village, yes, recorded in (
            live.values("household__village_id")
            .annotate(
                yes=Count("pk", filter=Q(**{field: True})),
                rec=Count("pk", filter=Q(**{f"{field}__isnull": False})),
            )
            .values_list("household__village_id", "yes", "rec")
        ):
            agg.setdefault(village, {})[f"{code}_yes"] = yes
            agg[village][f"{code}_rec"] = recorded
    codes = [r["division_code"] for r in rollups]
    previous = dict(
        VillageExitAssessment.objects.filter(village_id__in=codes, year=year).values_list(
            "village_id", "inputs"
        )
    )
    names = dict(Division.objects.filter(code__in=codes).values_list("code", "name"))
    # The village facts (村情) of the year come first; the inputs recorded for the evaluation
    # and the households' own records fill in what the facts do not say.
    village_facts = {
        f["village_id"]: f
        for f in VillageFacts.objects.filter(
            subtree_q(division.code, field="village__code"), year=year
        ).values(*_FACT_COLUMNS)
    }
    now = timezone.now()
    rows = []
    for r in rollups:
        code = r["division_code"]
        inputs = previous.get(code) or {}
        facts = village_facts.get(code)
        poor = r["poor_persons"] + r["returned_persons"]
        registered = r["persons"] - r["removed_persons"]
        frame_persons = int(frame.get(code) or 0)
        population: int | None
        if facts and facts.get("population"):
            population = int(facts["population"])
        elif inputs.get("population"):
            population = int(inputs["population"])
        elif frame_persons:
            population = registered + frame_persons
        else:
            population = None
        incidence = poor / population if population else None
        a = agg.get(code, {})
        registry_conditions = {
            c: _share_condition(
                a.get(f"{c}_yes", 0), a.get(f"{c}_rec", 0), standards.household_share_min
            )
            for c in REGISTRY_CONDITIONS
        }
        conditions = _merge_conditions(
            _facts_conditions(facts, standards),
            _input_conditions(inputs, standards),
            registry_conditions,
        )
        decision = es.village_decision(
            village_code=code,
            incidence=incidence,
            conditions={k: v["value"] for k, v in conditions.items()},
            standards=standards,
            name=names.get(code, ""),
        )
        if population is None:
            conditions["population"] = {
                "value": None,
                "source": "unknown",
                "detail": "缺少农村人口数：请导入非建档立卡户名单或录入人口数",
            }
        rows.append(
            VillageExitAssessment(
                village_id=code,
                year=year,
                poor_persons=poor,
                registered_persons=registered,
                frame_persons=frame_persons,
                population=population,
                incidence=incidence,
                conditions=conditions,
                inputs=inputs,
                decision=decision.decision.value,
                explanation=decision.as_dict(),
                computed_at=now,
            )
        )
    with transaction.atomic():
        VillageExitAssessment.objects.filter(village_id__in=codes, year=year).delete()
        VillageExitAssessment.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def village_inputs_record(
    *,
    village_codes: Sequence[str],
    year: int,
    inputs: Mapping[str, Any],
    standards: es.ExitStandards = es.DEFAULT_STANDARDS,
) -> int:
    """Record the conditions the registry cannot know (road, public services, industry,
    collective income, population) for villages, then re-assess their counties; return how
    many villages were updated. Unknown keys are refused."""
    allowed = {*INPUT_CONDITIONS, "collective_income", "population", "note"}
    unknown = set(inputs) - allowed
    if unknown:
        raise FupinError("EVALUATION_INPUT_UNKNOWN", f"未知的录入项：{'、'.join(sorted(unknown))}")
    codes = list(
        Division.objects.filter(code__in=list(village_codes), level=5).values_list(
            "code", flat=True
        )
    )
    if len(codes) != len(set(village_codes)):
        raise FupinError("DIVISION_UNKNOWN", "有村代码未找到或不是村级区划")
    with transaction.atomic():
        existing = dict(
            VillageExitAssessment.objects.filter(village_id__in=codes, year=year).values_list(
                "village_id", "inputs"
            )
        )
        missing = [c for c in codes if c not in existing]
        if missing:
            raise FupinError(
                "EVALUATION_VILLAGE_NOT_ASSESSED",
                f"请先对村 {missing[0]} 所在的县进行贫困村退出评估",
            )
        updates = [
            VillageExitAssessment(id=pk, inputs={**(existing[v] or {}), **dict(inputs)})
            for v, pk in VillageExitAssessment.objects.filter(
                village_id__in=codes, year=year
            ).values_list("village_id", "pk")
        ]
        VillageExitAssessment.objects.bulk_update(updates, ["inputs"], batch_size=2000)
        for county in sorted({c[:6] for c in codes}):
            village_exit_assess(division_code=county, year=year, standards=standards)
    return len(codes)


# -- the county evaluation ----------------------------------------------------------------------


def _registered_ids(county: str, statuses: Sequence[str], year: int) -> list[int]:
    return list(
        Household.objects.filter(
            subtree_q(county, field="village__code"),
            status__in=statuses,
            first_identified_year__lte=year,
        ).values_list("id", flat=True)
    )


def county_evaluation_start(
    *,
    county: str,
    year: int,
    seed: int,
    sample_size: int = 1000,
    method: str = "proportional",
    minimum: int = DEFAULT_MINIMUM,
    by: AbstractBaseUser | None = None,
) -> CountyEvaluation:
    """Draw the stratified sample of a county (registered poor, exited, non-registered) and
    open the evaluation for verification. Same county, year, seed and settings on the same
    registry and frame give the same sample."""
    division = _county(county)
    if not 1 <= sample_size <= 100_000:
        raise FupinError("EVALUATION_SAMPLE_SIZE", "样本量须在 1 到 100000 户之间")
    if method not in ("proportional", "neyman"):
        raise FupinError("EVALUATION_METHOD", "分配方法须为 proportional（按比例）或 neyman")
    if minimum < 0:
        raise FupinError("EVALUATION_SAMPLE_SIZE", "每层最少样本量不能为负")
    frames: dict[str, list[int]] = {
        Stratum.POOR.value: _registered_ids(county, STRATUM_STATUSES[Stratum.POOR], year),
        Stratum.EXITED.value: _registered_ids(county, STRATUM_STATUSES[Stratum.EXITED], year),
        Stratum.NON_REGISTERED.value: list(
            FrameHousehold.objects.filter(county_id=county).values_list("id", flat=True)
        ),
    }
    if not frames[Stratum.NON_REGISTERED]:
        raise FupinError(
            "EVALUATION_NO_FRAME",
            f"{division.name}还没有非建档立卡户名单（抽样框），请先导入或生成",
        )
    if not frames[Stratum.EXITED] and not frames[Stratum.POOR]:
        raise FupinError("EVALUATION_NO_HOUSEHOLDS", f"{division.name}没有 {year} 年的建档立卡户")
    populations = {k: len(v) for k, v in frames.items()}
    allocation = es.allocate(
        populations,
        sample_size,
        method="neyman" if method == "neyman" else "proportional",
        minimum=minimum,
    )
    drawn = es.stratified_draw(frames, allocation, seed)
    persons = _persons_by_stratum(county, year)
    with transaction.atomic():
        evaluation = CountyEvaluation.objects.create(
            county=division,
            year=year,
            seed=seed,
            sample_config={
                "size": sample_size,
                "method": method,
                "minimum": minimum,
                "allocation": allocation,
            },
            population={k: {"households": populations[k], "persons": persons[k]} for k in frames},
            status=CountyEvaluation.Status.VERIFYING,
            started_by=by if by is not None and by.is_authenticated else None,  # type: ignore[misc]
        )
        samples: list[EvaluationSample] = []
        for stratum in (Stratum.POOR, Stratum.EXITED):
            ids = drawn[stratum.value]
            for hid, village, n in (
                Household.objects.filter(id__in=ids)
                .annotate(n=Count("members"))
                .order_by("id")
                .values_list("id", "village_id", "n")
            ):
                samples.append(
                    EvaluationSample(
                        evaluation=evaluation,
                        stratum=stratum,
                        household_id=hid,
                        village_id=village,
                        persons=max(1, n),
                    )
                )
        for fid, village, n in (
            FrameHousehold.objects.filter(id__in=drawn[Stratum.NON_REGISTERED])
            .order_by("id")
            .values_list("id", "village_id", "persons")
        ):
            samples.append(
                EvaluationSample(
                    evaluation=evaluation,
                    stratum=Stratum.NON_REGISTERED,
                    frame_household_id=fid,
                    village_id=village,
                    persons=n,
                )
            )
        EvaluationSample.objects.bulk_create(samples, batch_size=2000)
    return evaluation


def _persons_by_stratum(county: str, year: int) -> dict[str, int]:
    out = {}
    for stratum, statuses in STRATUM_STATUSES.items():
        out[stratum.value] = Household.objects.filter(
            subtree_q(county, field="village__code"),
            status__in=statuses,
            first_identified_year__lte=year,
        ).aggregate(n=Count("members"))["n"]
    out[Stratum.NON_REGISTERED.value] = (
        FrameHousehold.objects.filter(county_id=county).aggregate(n=Sum("persons"))["n"] or 0
    )
    return out


def _open(evaluation: CountyEvaluation) -> None:
    if evaluation.status == CountyEvaluation.Status.DECIDED:
        raise FupinError("EVALUATION_DECIDED", "该评估已作出判定，不能再修改核查结果")


def sample_verify(
    *,
    sample: EvaluationSample,
    should_be_poor: bool,
    satisfied: bool,
    notes: str = "",
    by: AbstractBaseUser | None = None,
) -> EvaluationSample:
    """Record what the verification visit found for one sampled household."""
    if len(notes) > 500:
        raise FupinError("EVALUATION_NOTES_TOO_LONG", "核查说明不能超过 500 字")
    with transaction.atomic():
        evaluation = CountyEvaluation.objects.select_for_update().get(pk=sample.evaluation_id)
        _open(evaluation)
        return _sample_write(sample, should_be_poor, satisfied, notes, by)


def _sample_write(
    sample: EvaluationSample,
    should_be_poor: bool,
    satisfied: bool,
    notes: str,
    by: AbstractBaseUser | None,
) -> EvaluationSample:
    sample.should_be_poor = bool(should_be_poor)
    sample.satisfied = bool(satisfied)
    sample.notes = notes.strip()
    sample.verified_by = by if by is not None and by.is_authenticated else None  # type: ignore[assignment]
    sample.verified_at = timezone.now()
    sample.simulated = False
    sample.save(
        update_fields=[
            "should_be_poor",
            "satisfied",
            "notes",
            "verified_by",
            "verified_at",
            "simulated",
        ]
    )
    return sample


def county_evaluation_simulate(
    *, evaluation: CountyEvaluation, dissatisfied_share: float = 0.04
) -> int:
    """Fill the unverified samples from what the system knows (the demo's verification): a
    registered household whose stored assessment for the year fails the standard should be
    poor (an exited one is then wrongly exited), a frame household planted as poor was
    missed; a seeded share is dissatisfied, more often where the registry got it wrong.
    Return how many samples were filled; each is marked as simulated."""
    _open(evaluation)
    samples = list(
        evaluation.samples.filter(Q(should_be_poor__isnull=True) | Q(satisfied__isnull=True))
        .order_by("id")
        .only("id", "stratum", "household_id", "frame_household_id")
    )
    if not samples:
        return 0
    meets = dict(
        AssessmentResult.objects.filter(
            household_id__in=[s.household_id for s in samples if s.household_id],
            year=evaluation.year,
        ).values_list("household_id", "meets_standard")
    )
    planted = dict(
        FrameHousehold.objects.filter(
            id__in=[s.frame_household_id for s in samples if s.frame_household_id]
        ).values_list("id", "planted_poor")
    )
    rng = np.random.default_rng([evaluation.seed, 9_000_001])
    draws = rng.random(len(samples))
    now = timezone.now()
    for s, u in zip(samples, draws.tolist(), strict=True):
        if s.household_id:
            s.should_be_poor = meets.get(s.household_id) is False
        else:
            s.should_be_poor = bool(planted.get(s.frame_household_id or 0))
        wronged = s.should_be_poor and s.stratum != Stratum.POOR
        s.satisfied = u >= (0.5 if wronged else dissatisfied_share)
        s.notes = "模拟核查（依据系统评估结果）"
        s.verified_at = now
        s.simulated = True
    with transaction.atomic():
        _open(CountyEvaluation.objects.select_for_update().get(pk=evaluation.pk))
        EvaluationSample.objects.bulk_update(
            samples,
            ["should_be_poor", "satisfied", "notes", "verified_at", "simulated"],
            batch_size=2000,
        )
    return len(samples)


@dataclass(frozen=True)
class StratumProgress:
    stratum: str
    label: str
    population: int
    persons: int
    sampled: int
    verified: int
    should_be_poor: int
    satisfied: int


def evaluation_progress(evaluation: CountyEvaluation) -> list[StratumProgress]:
    """Per stratum: population, sample size, verified, and the verified findings."""
    counts: dict[str, dict[str, Any]] = {
        row["stratum"]: dict(row)
        for row in evaluation.samples.values("stratum").annotate(
            sampled=Count("id"),
            done=Count("id", filter=Q(should_be_poor__isnull=False, satisfied__isnull=False)),
            poor=Count("id", filter=Q(should_be_poor=True, satisfied__isnull=False)),
            ok=Count("id", filter=Q(satisfied=True, should_be_poor__isnull=False)),
        )
    }
    out = []
    for stratum in Stratum:
        row: dict[str, Any] = counts.get(stratum.value, {})
        pop = (evaluation.population or {}).get(stratum.value, {})
        out.append(
            StratumProgress(
                stratum=stratum.value,
                label=stratum.label,
                population=int(pop.get("households", 0)),
                persons=int(pop.get("persons", 0)),
                sampled=int(row.get("sampled", 0)),
                verified=int(row.get("done", 0)),
                should_be_poor=int(row.get("poor", 0)),
                satisfied=int(row.get("ok", 0)),
            )
        )
    return out


def county_indicators(
    progress: Sequence[StratumProgress], confidence: float = 0.95
) -> es.CountyIndicators:
    """The four indicators from the verified sample (domain.md §4): 错退率 among the exited
    sample, 漏评率 among the non-registered sample (each with a Wilson interval), 群众认可度
    over all strata (stratified, weighted by stratum households) and 综合贫困发生率 (persons:
    the registered poor plus the extrapolated missed and wrongly exited, over the registered
    and non-registered persons). Rates are over sampled households."""
    by = {p.stratum: p for p in progress}
    poor, exited, other = by[Stratum.POOR], by[Stratum.EXITED], by[Stratum.NON_REGISTERED]
    wrong = es.wilson(exited.should_be_poor, exited.verified, confidence)
    if not exited.population:  # nobody has exited: nobody can have exited wrongly
        wrong = es.Estimate(0.0, 0.0, 0.0, 0.0)
    missed = es.wilson(other.should_be_poor, other.verified, confidence)
    recognition = es.stratified_proportion(
        [es.Stratum(p.population, p.verified, p.satisfied) for p in progress], confidence
    )
    combined = es.combined_incidence(
        remaining_poor=poor.persons,
        exited=exited.persons,
        non_registered=other.persons,
        wrong_exit=wrong,
        missed=missed,
        rural_population=poor.persons + exited.persons + other.persons,
        confidence=confidence,
    )
    return es.CountyIndicators(combined, wrong, missed, recognition)


def county_evaluation_decide(
    *, evaluation: CountyEvaluation, standards: es.ExitStandards = es.DEFAULT_STANDARDS
) -> CountyEvaluation:
    """Compute the four indicators and the decision with its one-vote veto; refused while
    any sampled household is unverified."""
    with transaction.atomic():
        evaluation = CountyEvaluation.objects.select_for_update().get(pk=evaluation.pk)
        _open(evaluation)
        progress = evaluation_progress(evaluation)
        left = sum(p.sampled - p.verified for p in progress)
        if left:
            raise FupinError(
                "EVALUATION_INCOMPLETE", f"还有 {left} 户样本未完成入户核查，不能作出判定"
            )
        indicators = county_indicators(progress, standards.confidence)
        name = Division.objects.filter(code=evaluation.county_id).values_list("name", flat=True)
        decision = es.county_decision(
            county_code=evaluation.county_id,
            indicators=indicators,
            standards=standards,
            name=name.first() or "",
        )
        evaluation.decision = {
            **decision.as_dict(),
            "indicators": {
                "combined_incidence": indicators.combined_incidence.as_dict(),
                "wrong_exit": indicators.wrong_exit.as_dict(),
                "missed": indicators.missed.as_dict(),
                "recognition": indicators.recognition.as_dict(),
            },
            "confidence": standards.confidence,
            "simulated": evaluation.samples.filter(simulated=True).exists(),
        }
        evaluation.status = CountyEvaluation.Status.DECIDED
        evaluation.decided_at = timezone.now()
        evaluation.save(update_fields=["decision", "status", "decided_at"])
    return evaluation
