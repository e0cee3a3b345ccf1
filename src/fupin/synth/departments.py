# ruff: noqa: E501  (the per-feed tables read best one row per line)
"""Synthetic department files for a county's synthetic registry, with planted cases and their truth.

For the registry file ``fupin generate`` writes, produce one file per canonical feed of
``fupin.policy.feeds``: realistic background rows that raise no flag (registry members whose
facts already agree, people outside the registry where no rule looks at them) and planted
rows for every flag type, and ``truth.csv`` listing each planted (flag type, person). A share
of the planted registry rows carry damaged ID numbers — the old 15-digit form (matched after
the 15→18 upgrade) or a wrong check character (matched by name and birth date) — so both
match paths are measured.

Files: CSV with Chinese headings for some feeds and Parquet with canonical names for others,
as departments send them; ``manifest.json`` names each file's feed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from fupin.policy import feeds as fd
from fupin.policy.idnumber import check_array, make_ids

Array = npt.NDArray[Any]

LIVE = np.array(fd.LIVE_STATUSES)
#: Feeds written as CSV with Chinese headings; the others as Parquet with canonical names.
CSV_FEEDS = frozenset(
    {"civil_dibao", "civil_tekun", "disability", "housing", "payroll", "education_enrolment"}
)
OTHER_COUNTY = "440304"  # 深圳市福田区: where movers go


@dataclass
class _Part:
    source: str  # "reg" or "out"
    idx: Array
    columns: dict[str, Any]
    flag_type: str | None = None


@dataclass
class DepartmentFiles:
    directory: Path
    files: dict[str, Path]
    truth: Path
    planted: dict[str, int] = field(default_factory=dict)
    damaged: dict[str, int] = field(default_factory=dict)


def _dates(rng: np.random.Generator, n: int, start: str, end: str) -> Array:
    lo = np.datetime64(start, "D").astype(np.int64)
    hi = np.datetime64(end, "D").astype(np.int64)
    return rng.integers(lo, hi, n).astype("datetime64[D]")


def _damage(
    ids: Array, births: Array, rng: np.random.Generator, share: float
) -> tuple[Array, Array]:
    """Damage a share of the IDs: half to 15 digits (born in 1900s only), half a wrong check."""
    out = ids.astype(object).copy()
    kind = np.zeros(len(ids), dtype=np.int8)
    pick = rng.random(len(ids)) < share
    years = births.astype("datetime64[Y]").astype(int) + 1970
    fifteen = pick & (rng.random(len(ids)) < 0.5) & (years < 2000)
    check = pick & ~fifteen
    for i in np.flatnonzero(fifteen):
        s = str(ids[i])
        out[i] = s[:6] + s[8:17]
        kind[i] = 1
    chars = "0123456789X"
    for i in np.flatnonzero(check):
        s = str(ids[i])
        out[i] = s[:17] + chars[(chars.index(s[17]) + 1 + int(rng.integers(0, 9))) % 11]
        kind[i] = 2
    return out, kind


def generate_departments(
    *,
    registry: Path,
    out: Path,
    seed: int,
    year: int = 2020,
    planted_share: float = 0.005,
    background_share: float = 0.02,
    damaged_share: float = 0.2,
) -> DepartmentFiles:
    """Write one file per feed for the registry file's county, plus ``truth.csv``."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    cols = [
        "household_code", "village_code", "status", "name", "id_number", "relation",
        "school_status", "health", "basic_medical", "dibao", "tekun", "house_grade",
    ]  # fmt: skip
    reg = pq.read_table(registry, columns=cols)
    n = reg.num_rows
    ids = np.asarray(reg.column("id_number").to_numpy(zero_copy_only=False), dtype=object)
    checked = check_array(ids)
    keys = checked.key
    births = checked.birth_date
    villages = np.asarray(reg.column("village_code").to_numpy(zero_copy_only=False), dtype=object)
    county = str(villages[0])[:6]
    names = np.asarray(reg.column("name").to_numpy(zero_copy_only=False), dtype=object)
    status = np.asarray(reg.column("status").to_numpy(zero_copy_only=False), dtype=object)
    live = np.isin(status.astype(str), LIVE)

    def flag(name: str) -> Array:
        return np.asarray(reg.column(name).fill_null(False).to_numpy(zero_copy_only=False), bool)

    def text(name: str, default: str) -> Array:
        arr = reg.column(name).fill_null(default).to_numpy(zero_copy_only=False)
        return np.asarray(arr, dtype=object).astype(str)

    dibao, tekun, medical = flag("dibao"), flag("tekun"), flag("basic_medical")
    health = text("health", "healthy")
    school = text("school_status", "not_in_school")
    grade = text("house_grade", "safe")
    head = text("relation", "") == "head"
    ref = np.datetime64(f"{year}-09-01", "D")
    age = ((ref - births).astype(np.int64) // 365).astype(int)

    # People outside the registry: same county, names drawn from the registry's.
    n_out = max(400, n // 2)
    out_birth = _dates(rng, n_out, "1935-01-01", f"{year - 3}-12-31")
    out_ids = make_ids(np.full(n_out, int(county)), out_birth, rng.integers(0, 999, n_out))
    out_keys = check_array(out_ids).key
    keep = ~np.isin(out_keys, keys)
    _, first = np.unique(out_keys, return_index=True)
    uniq = np.zeros(n_out, bool)
    uniq[first] = True
    keep &= uniq
    out_ids, out_birth, out_keys = out_ids[keep], out_birth[keep], out_keys[keep]
    n_out = len(out_ids)
    out_names = rng.choice(names, n_out)
    out_village = rng.choice(np.unique(villages), n_out)
    out_age = ((ref - out_birth).astype(np.int64) // 365).astype(int)

    k_plant = max(4, int(n * planted_share))
    k_bg = max(10, int(n * background_share))
    files: dict[str, Path] = {}
    truth_rows: list[dict[str, Any]] = []
    planted: dict[str, int] = {}
    damaged_count: dict[str, int] = {}

    for feed in fd.FEEDS.values():
        used_reg = np.zeros(n, bool)
        used_out = np.zeros(n_out, bool)

        def reg_take(mask: Array, k: int, used: Array = used_reg) -> Array:
            cand = np.flatnonzero(mask & ~used)
            got = rng.choice(cand, min(k, len(cand)), replace=False) if len(cand) else cand
            used[got] = True
            return np.sort(got)

        def out_take(mask: Array | None, k: int, used: Array = used_out) -> Array:
            m = np.ones(n_out, bool) if mask is None else mask
            cand = np.flatnonzero(m & ~used)
            got = rng.choice(cand, min(k, len(cand)), replace=False) if len(cand) else cand
            used[got] = True
            return np.sort(got)

        parts = _feed_parts(
            feed.code, rng, year, county, reg_take, out_take, k_plant, k_bg,
            live=live, dibao=dibao, tekun=tekun, medical=medical, health=health,
            school=school, grade=grade, head=head, age=age, out_age=out_age,
            villages=villages,
        )  # fmt: skip
        table, truth, dmg = _assemble(
            feed, parts, rng, damaged_share,
            ids=ids, names=names, births=births, villages=villages,
            out_ids=out_ids, out_names=out_names, out_birth=out_birth, out_village=out_village,
        )  # fmt: skip
        for row in truth:
            planted[row["flag_type"]] = planted.get(row["flag_type"], 0) + 1
        damaged_count[feed.code] = dmg
        truth_rows.extend({"feed": feed.code, **r} for r in truth)
        files[feed.code] = _write(feed, table, out)

    truth_path = out / "truth.csv"
    pacsv.write_csv(
        pa.Table.from_pylist(
            truth_rows,
            schema=pa.schema(
                [("feed", pa.string()), ("flag_type", pa.string()), ("id_number", pa.string()),
                 ("damage", pa.string())]
            ),
        ),
        truth_path,
    )  # fmt: skip
    manifest = {
        "county": county,
        "seed": seed,
        "year": year,
        "files": {k: v.name for k, v in files.items()},
        "truth": truth_path.name,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    return DepartmentFiles(out, files, truth_path, planted, damaged_count)


def _feed_parts(
    code: str,
    rng: np.random.Generator,
    year: int,
    county: str,
    reg_take: Any,
    out_take: Any,
    kp: int,
    kb: int,
    **a: Any,
) -> list[_Part]:
    """The background and planted parts of one feed (the per-feed business of the generator)."""
    live: Array = a["live"]
    n_reg = len(live)
    P = _Part
    F = fd.FlagType

    def money(k: int, lo: float, hi: float) -> Array:
        return np.round(rng.uniform(lo, hi, k), 2)

    def day(k: int) -> Array:
        return _dates(rng, k, f"{year}-01-01", f"{year}-12-28")

    def pick(values: list[str], k: int) -> Array:
        return rng.choice(np.array(values, dtype=object), k)

    if code in ("civil_dibao", "civil_tekun"):
        has = a["dibao"] if code == "civil_dibao" else a["tekun"]
        upd, missed = (
            (F.UPDATE_DIBAO, F.MISSED_DIBAO)
            if code == "civil_dibao"
            else (F.UPDATE_TEKUN, F.MISSED_TEKUN)
        )
        parts = []
        for src, idx, ft in (
            ("reg", reg_take(has, kb), None),
            ("reg", reg_take(live & ~has, kp), upd.value),
            ("out", out_take(None, kp), missed.value),
        ):
            extra: dict[str, Any] = {
                "start_date": _dates(rng, len(idx), "2010-01-01", f"{year}-06-30")
            }
            if code == "civil_dibao":
                extra["monthly_amount"] = money(len(idx), 200, 600)
            else:
                extra["support_type"] = pick(["集中供养", "分散供养"], len(idx))
            parts.append(P(src, idx, extra, ft))
        return parts
    if code == "disability":
        disabled = a["health"] == "disabled"
        bg_reg = reg_take(disabled, kb)
        bg_out = out_take(None, kb)
        upd = reg_take(live & ~disabled, kp)
        miss = out_take(None, kp)

        def dis(k: int, grades: list[int]) -> dict[str, Any]:
            return {
                "certificate_no": np.array(
                    [f"5134{int(x):014d}" for x in rng.integers(0, 10**12, k)], dtype=object
                ),
                "category": pick(["视力", "听力", "言语", "肢体", "智力", "精神", "多重"], k),
                "grade": rng.choice(np.array(grades), k),
            }

        return [
            P("reg", bg_reg, dis(len(bg_reg), [1, 2, 3, 4])),
            P("out", bg_out, dis(len(bg_out), [3, 4])),
            P("reg", upd, dis(len(upd), [1, 2, 3, 4]), F.UPDATE_DISABILITY.value),
            P("out", miss, dis(len(miss), [1, 2]), F.MISSED_DISABILITY.value),
        ]
    if code == "medical_enrolment":
        bg = reg_take(a["medical"], kb)
        bgo = out_take(None, kb)
        upd = reg_take(live & ~a["medical"], kp)

        def enr(k: int) -> dict[str, Any]:
            return {"basic_medical": np.full(k, "是", object), "serious_illness": pick(["是", "否"], k),
                    "year": np.full(k, year)}  # fmt: skip

        return [P("reg", bg, enr(len(bg))), P("out", bgo, enr(len(bgo))),
                P("reg", upd, enr(len(upd)), F.UPDATE_INSURANCE.value)]  # fmt: skip
    if code == "medical_costs":

        def cost(k: int, lo: float, hi: float) -> dict[str, Any]:
            oop = money(k, lo, hi)
            return {"year": np.full(k, year), "total_cost": np.round(oop * rng.uniform(1.5, 4, k), 2),
                    "out_of_pocket": oop, "diagnosis": pick(["肺结核", "尿毒症", "骨折", "白血病", "肺炎"], k)}  # fmt: skip

        bg = reg_take(np.ones(n_reg, bool), kb)
        bgo = out_take(None, kb)
        warn = reg_take(live, kp)
        miss = out_take(None, kp)
        return [
            P("reg", bg, cost(len(bg), 100, 9000)),
            P("out", bgo, cost(len(bgo), 100, 9000)),
            P("reg", warn, cost(len(warn), 10000, 80000), F.EARLY_WARNING_MEDICAL.value),
            P("out", miss, cost(len(miss), 10000, 80000), F.MISSED_SERIOUS_ILLNESS.value),
        ]
    if code == "education_enrolment":
        age = a["age"]
        expected = np.where(age <= 11, "primary", np.where(age <= 14, "junior", "senior")).astype(
            object
        )
        child = (age >= 6) & (age <= 17)
        same = child & (a["school"] == expected)
        bg = reg_take(same, kb)
        upd = reg_take(live & child & (a["school"] != expected), kp)
        kids = (a["out_age"] >= 6) & (a["out_age"] <= 17)
        bgo = out_take(kids, kb)
        out_exp = np.where(
            a["out_age"] <= 11, "primary", np.where(a["out_age"] <= 14, "junior", "senior")
        )

        def school(status: Array) -> dict[str, Any]:
            return {"school_status": status.astype(object),
                    "school_name": pick(["昭觉县民族中学", "城北小学", "四开乡中心校"], len(status))}  # fmt: skip

        return [P("reg", bg, school(expected[bg])), P("out", bgo, school(out_exp[bgo])),
                P("reg", upd, school(expected[upd]), F.UPDATE_SCHOOL.value)]  # fmt: skip
    if code == "education_dropout":
        kids = (a["age"] >= 7) & (a["age"] <= 15)
        drop = reg_take(live & kids, kp)
        bgo = out_take((a["out_age"] >= 7) & (a["out_age"] <= 15), kb)

        def dropped(k: int) -> dict[str, Any]:
            return {"school_name": pick(["城北小学", "四开乡中心校"], k), "dropout_date": day(k)}

        return [
            P("out", bgo, dropped(len(bgo))),
            P("reg", drop, dropped(len(drop)), F.EARLY_WARNING_DROPOUT.value),
        ]
    if code == "housing":
        head, grade = a["head"], a["grade"]
        bg = reg_take(head, kb)
        upd = reg_take(live & head, kp)
        same = np.where(grade[bg] == "safe", pick(["A", "B"], len(bg)), grade[bg]).astype(object)
        other = np.where(grade[upd] == "safe", pick(["C", "D"], len(upd)),
                         np.where(grade[upd] == "C", "D", "C")).astype(object)  # fmt: skip
        bgo = out_take(None, kb)
        return [
            P("reg", bg, {"grade": same, "appraisal_date": day(len(bg))}),
            P(
                "out",
                bgo,
                {"grade": pick(["A", "B", "C", "D"], len(bgo)), "appraisal_date": day(len(bgo))},
            ),
            P(
                "reg",
                upd,
                {"grade": other, "appraisal_date": day(len(upd))},
                F.UPDATE_HOUSE_GRADE.value,
            ),
        ]
    if code == "police_death":
        bgo = out_take(None, kb)
        dead = reg_take(live, kp)
        return [P("out", bgo, {"death_date": day(len(bgo))}),
                P("reg", dead, {"death_date": day(len(dead))}, F.STATUS_DEATH.value)]  # fmt: skip
    if code == "police_move":
        villages = a["villages"]
        bg = reg_take(np.ones(n_reg, bool), kb)
        moved = reg_take(live, kp)
        bgo = out_take(None, kb)
        inside = rng.choice(np.unique(villages), len(bg)).astype(object)
        away = np.array(
            [f"{OTHER_COUNTY}{int(x):06d}" for x in rng.integers(1000, 9999, len(moved))],
            dtype=object,
        )
        away_o = np.array(
            [f"{OTHER_COUNTY}{int(x):06d}" for x in rng.integers(1000, 9999, len(bgo))],
            dtype=object,
        )
        return [
            P("reg", bg, {"move_date": day(len(bg)), "to_address_code": inside}),
            P("out", bgo, {"move_date": day(len(bgo)), "to_address_code": away_o}),
            P(
                "reg",
                moved,
                {"move_date": day(len(moved)), "to_address_code": away},
                F.STATUS_MOVED.value,
            ),
        ]
    if code == "vehicle":

        def veh(k: int, types: list[str], uses: list[str]) -> dict[str, Any]:
            plates = np.array([f"川W{int(x):05d}" for x in rng.integers(0, 99999, k)], dtype=object)
            return {"plate": plates, "vehicle_type": pick(types, k), "vehicle_use": pick(uses, k)}

        bg = reg_take(np.ones(n_reg, bool), kb)
        bgo = out_take(None, kb)
        hit = reg_take(live, kp)
        return [
            P("reg", bg, veh(len(bg), ["motorcycle", "agricultural"], ["private"])),
            P("out", bgo, veh(len(bgo), ["car", "truck"], ["private", "operating"])),
            P("reg", hit, veh(len(hit), ["car"], ["private"]), F.INELIGIBLE_VEHICLE.value),
        ]
    if code == "business":

        def biz(k: int, status: str) -> dict[str, Any]:
            return {"business_name": pick(["昭觉县某某商店", "某某运输部", "某某养殖场"], k),
                    "business_kind": pick(["company", "individual"], k),
                    "registered_capital": money(k, 10000, 500000),
                    "business_status": np.full(k, status, object)}  # fmt: skip

        bg = reg_take(np.ones(n_reg, bool), kb)
        bgo = out_take(None, kb)
        hit = reg_take(live, kp)
        return [P("reg", bg, biz(len(bg), "cancelled")), P("out", bgo, biz(len(bgo), "active")),
                P("reg", hit, biz(len(hit), "active"), F.INELIGIBLE_BUSINESS.value)]  # fmt: skip
    if code == "property":

        def prop(k: int, use: str) -> dict[str, Any]:
            return {"property_use": np.full(k, use, object), "area_m2": money(k, 40, 160),
                    "location_code": np.full(k, f"{county}100000", object)}  # fmt: skip

        bg = reg_take(np.ones(n_reg, bool), kb)
        bgo = out_take(None, kb)
        hit = reg_take(live, kp)
        return [P("reg", bg, prop(len(bg), "homestead")), P("out", bgo, prop(len(bgo), "commercial_housing")),
                P("reg", hit, prop(len(hit), "commercial_housing"), F.INELIGIBLE_PROPERTY.value)]  # fmt: skip
    if code == "payroll":

        def pay(k: int) -> dict[str, Any]:
            return {
                "employer": pick(["昭觉县人民医院", "某乡人民政府", "县教育局"], k),
                "post": pick(["职员", "教师", "科员"], k),
            }

        bgo = out_take(None, kb)
        hit = reg_take(live, kp)
        return [
            P("out", bgo, pay(len(bgo))),
            P("reg", hit, pay(len(hit)), F.INELIGIBLE_PAYROLL.value),
        ]
    if code == "disaster":

        def loss(k: int, lo: float, hi: float) -> dict[str, Any]:
            return {"disaster_type": pick(["洪涝", "地质灾害", "干旱", "冰雹"], k),
                    "loss_amount": money(k, lo, hi), "disaster_date": day(k)}  # fmt: skip

        bg = reg_take(np.ones(n_reg, bool), kb)
        bgo = out_take(None, kb)
        hit = reg_take(live, kp)
        return [P("reg", bg, loss(len(bg), 100, 9000)), P("out", bgo, loss(len(bgo), 100, 50000)),
                P("reg", hit, loss(len(hit), 10000, 60000), F.EARLY_WARNING_DISASTER.value)]  # fmt: skip
    raise KeyError(code)


def _assemble(
    feed: fd.Feed,
    parts: list[_Part],
    rng: np.random.Generator,
    damaged_share: float,
    **p: Array,
) -> tuple[pa.Table, list[dict[str, Any]], int]:
    """Stack a feed's parts into one table (rows shuffled); return it with the truth rows."""
    columns: dict[str, list[Any]] = {f.name: [] for f in feed.fields}
    truth: list[dict[str, Any]] = []
    damaged = 0
    for part in parts:
        k = len(part.idx)
        if k == 0:
            continue
        if part.source == "reg":
            ids, names, births = p["ids"][part.idx], p["names"][part.idx], p["births"][part.idx]
            address = p["villages"][part.idx]
        else:
            ids, names = p["out_ids"][part.idx], p["out_names"][part.idx]
            births, address = p["out_birth"][part.idx], p["out_village"][part.idx]
        shown = ids.astype(object)
        kind = np.zeros(k, np.int8)
        if part.flag_type is not None and part.source == "reg":
            shown, kind = _damage(ids, births, rng, damaged_share)
            damaged += int((kind > 0).sum())
        if part.flag_type is not None:
            labels = np.array(["", "id15", "checksum"], dtype=object)[kind]
            truth.extend(
                {"flag_type": part.flag_type, "id_number": str(i), "damage": str(d)}
                for i, d in zip(ids, labels, strict=True)
            )
        columns["id_number"].extend(shown.tolist())
        columns["name"].extend(names.tolist())
        columns["birth_date"].extend(births.astype("datetime64[D]").astype(object).tolist())
        columns["address_code"].extend(np.asarray(address, dtype=object).tolist())
        for f in feed.fields:
            if f.name in ("id_number", "name", "birth_date", "address_code"):
                continue
            values = part.columns.get(f.name)
            if values is None:
                columns[f.name].extend([None] * k)
            else:
                arr = np.asarray(values)
                if arr.dtype.kind == "M":
                    columns[f.name].extend(arr.astype("datetime64[D]").astype(object).tolist())
                else:
                    columns[f.name].extend(arr.tolist())
    order = rng.permutation(len(columns["id_number"]))
    arrays = {}
    for f in feed.fields:
        values = [columns[f.name][i] for i in order]
        arrays[f.name] = pa.array(values, _arrow_type(f.type))
    return pa.table(arrays), truth, damaged


def _arrow_type(t: str) -> pa.DataType:
    return {
        "date": pa.date32(),
        "int": pa.int64(),
        "money": pa.float64(),
    }.get(t, pa.string())


def _write(feed: fd.Feed, table: pa.Table, out: Path) -> Path:
    if feed.code in CSV_FEEDS:
        path = out / f"{feed.code}.csv"
        headed = table.rename_columns([feed.field(c).label for c in table.column_names])
        pacsv.write_csv(headed, path)
    else:
        path = out / f"{feed.code}.parquet"
        pq.write_table(table, path)
    return path


def read_manifest(directory: Path) -> Mapping[str, Any]:
    data: Mapping[str, Any] = json.loads((directory / "manifest.json").read_text())
    return data
