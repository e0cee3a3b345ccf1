"""The matching engine: department rows against registry persons, set-based, with Ibis on DuckDB.

No Django here: the database path (``fupin.sharing.services``) hands in the registry as Arrow
and takes the flags back as Arrow; the national path reads a registry snapshot Parquet and a
normalised department Parquet and writes the flags to Parquet. The rules are the Ibis
expressions of ``fupin.policy.feeds``, so the same definitions compile for Spark.

Department files are normalised once, when loaded: columns renamed to the feed's canonical
fields by the dataset's mapping, every ID number checked with ``idnumber.check_array``
(15-digit numbers upgraded to 18), its integer key (0 when invalid) and a birth date (the
file's own column, else the date digits of the damaged number when they form a real date).

Matching: (1) on the integer key; (2) for rows whose ID is invalid, on (name, birth date),
only where that pair is unique among the registry's persons and among the file's unmatched
rows — a pair shared by two people matches nobody rather than the wrong one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from fupin.policy import feeds as fd
from fupin.policy.idnumber import check_array

#: The registry side: one row per person.
REGISTRY_SCHEMA = pa.schema(
    [
        ("id_key", pa.int64()),
        ("member_id", pa.int64()),
        ("household_id", pa.int64()),
        ("household_code", pa.string()),
        ("reg_name", pa.string()),
        ("reg_birth", pa.date32()),
        ("reg_village", pa.string()),
        ("reg_status", pa.string()),
        ("reg_dibao", pa.bool_()),
        ("reg_tekun", pa.bool_()),
        ("reg_basic_medical", pa.bool_()),
        ("reg_school_status", pa.string()),
        ("reg_health", pa.string()),
        ("reg_house_grade", pa.string()),
    ]
)
_REG_TYPES = {f.name: str(f.type) for f in REGISTRY_SCHEMA}
_IBIS_TYPES = {
    "id_number": "string",
    "text": "string",
    "code": "string",
    "division": "string",
    "date": "date",
    "int": "int64",
    "money": "float64",
    "bool": "boolean",
}
_ARROW_TO_IBIS = {"bool": "boolean", "date32[day]": "date"}
#: Columns every normalised department file has besides the feed's fields.
BOOK_COLUMNS = ("row_no", "id_key", "id_raw", "id_valid")


# -- normalising a department file ----------------------------------------------------------


def read_table(path: Path) -> pa.Table:
    """Read a CSV, Parquet or xlsx/xls file as an Arrow table of its own columns."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pq.read_table(path)
    if suffix == ".csv":
        import pyarrow.csv as pacsv

        # Everything as text: ID numbers must not become numbers (Excel's 4.4E+17).
        head = path.open("rb").readline().decode("utf-8-sig").strip().split(",")
        opts = pacsv.ConvertOptions(column_types={h: pa.string() for h in head})
        return pacsv.read_csv(path, convert_options=opts)
    if suffix in (".xlsx", ".xls", ".xlsm", ".ods"):
        from python_calamine import CalamineWorkbook

        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        if not sheet:
            return pa.table({})
        header = [str(h).strip() for h in sheet[0]]
        cols: dict[str, list[Any]] = {h: [] for h in header}
        for row in sheet[1:]:
            for h, v in zip(header, row, strict=False):
                cols[h].append(None if v == "" else (v if isinstance(v, str) else _cell(v)))
        return pa.table({h: pa.array(v, pa.string()) for h, v in cols.items()})
    raise ValueError(suffix)


def _cell(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def default_mapping(columns: Iterable[str], feed: fd.Feed) -> dict[str, str]:
    """Map file columns named by a canonical field or its Chinese label to that field."""
    by_label = {f.label: f.name for f in feed.fields} | {f.name: f.name for f in feed.fields}
    short = {f.label.split("（")[0]: f.name for f in feed.fields}
    out: dict[str, str] = {}
    for c in columns:
        name = by_label.get(c.strip()) or short.get(c.strip())
        if name and name not in out.values():
            out[c] = name
    return out


def _as(arr: pa.ChunkedArray | pa.Array, type_: str) -> pa.Array | pa.ChunkedArray:
    if type_ in ("string",):
        return pc.cast(arr, pa.string())
    text = pc.utf8_trim_whitespace(pc.cast(arr, pa.string()))
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    if type_ == "date":
        if pa.types.is_date(arr.type):
            return pc.cast(arr, pa.date32())
        # "2016-05-01", "2016/05/01", "20160501"
        norm = pc.replace_substring_regex(
            text, r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2}).*$", r"\1-\2-\3"
        )
        norm = pc.replace_substring_regex(norm, r"^(\d{4})(\d{2})(\d{2})$", r"\1-\2-\3")
        norm = pc.replace_substring_regex(norm, r"^(\d{4})-(\d)-", r"\1-0\2-")
        norm = pc.replace_substring_regex(norm, r"^(\d{4})-(\d{2})-(\d)$", r"\1-\2-0\3")
        norm = pc.utf8_slice_codeunits(norm, 0, 10)
        ok = pc.match_substring_regex(norm, r"^\d{4}-\d{2}-\d{2}$")
        ts = pc.strptime(pc.if_else(ok, norm, "1970-01-01"), "%Y-%m-%d", "s", error_is_null=True)
        return pc.if_else(ok, pc.cast(ts, pa.date32()), pa.scalar(None, pa.date32()))
    if type_ == "boolean":
        true = pc.is_in(text, pa.array(["是", "1", "true", "True", "TRUE", "Y", "y", "有"]))
        return pc.if_else(pc.is_null(text), pa.scalar(None, pa.bool_()), true)
    if type_ == "int64":
        ok = pc.match_substring_regex(text, r"^-?\d+(\.0*)?$")
        clean = pc.if_else(ok, pc.replace_substring_regex(text, r"\.0*$", ""), None)
        return pc.cast(clean, pa.int64())
    if type_ == "float64":
        ok = pc.match_substring_regex(text, r"^-?\d+(\.\d*)?$")
        return pc.cast(pc.if_else(ok, text, None), pa.float64())
    raise ValueError(type_)


def normalise(
    table: pa.Table, mapping: Mapping[str, str], feed: fd.Feed, *, first_row: int = 0
) -> pa.Table:
    """Return the canonical department table: the feed's fields plus the ID bookkeeping.

    ``mapping`` maps the file's column names to canonical field names; unmapped fields are
    null. The ID column is checked with ``check_array``: ``id_number`` holds the normalised
    18-character number (the raw text when invalid), ``id_key`` its integer key (0 when
    invalid). A missing birth date is taken from the number's date digits when they form one.
    """
    n = table.num_rows
    cols: dict[str, pa.Array | pa.ChunkedArray] = {}
    reverse = {canon: src for src, canon in mapping.items()}
    for f in feed.fields:
        src = reverse.get(f.name)
        type_ = _IBIS_TYPES[f.type]
        arrow_type = {
            "string": pa.string(),
            "date": pa.date32(),
            "int64": pa.int64(),
            "float64": pa.float64(),
            "boolean": pa.bool_(),
        }[type_]
        if src is None or src not in table.column_names:
            cols[f.name] = pa.nulls(n, arrow_type)
        else:
            cols[f.name] = _as(table.column(src), type_)
    raw = pc.utf8_trim_whitespace(pc.cast(cols["id_number"], pa.string()))
    raw_np = raw.to_numpy(zero_copy_only=False) if n else np.array([], dtype=object)
    checked = check_array(raw_np)
    keys = pa.array(checked.key, pa.int64())
    valid = pa.array(checked.valid)
    normalized = pa.array(checked.normalized, pa.string())
    id_number = pc.if_else(valid, normalized, raw)
    birth = cols["birth_date"]
    from_id = pa.array(checked.birth_date.astype("datetime64[D]"), pa.date32())
    digits = pc.utf8_slice_codeunits(raw, 6, 14)
    guess = _as(
        pc.if_else(
            pc.and_(pc.equal(pc.utf8_length(raw), 18), pc.utf8_is_digit(digits)), digits, None
        ),
        "date",
    )
    birth = pc.coalesce(birth, from_id, guess)
    cols["birth_date"] = birth
    cols["id_number"] = id_number
    out = {
        "row_no": pa.array(np.arange(first_row, first_row + n, dtype=np.int64)),
        "id_key": keys,
        "id_raw": raw,
        "id_valid": valid,
        **cols,
    }
    return pa.table(out)


def normalise_file(
    src: Path,
    mapping: Mapping[str, str] | None,
    feed: fd.Feed,
    out: Path,
    *,
    batch_rows: int = 2_000_000,
) -> tuple[int, int, dict[str, str]]:
    """Normalise a department file to ``out`` (Parquet), streaming Parquet inputs in batches.

    Return (rows, invalid IDs, the mapping used).
    """
    rows = invalid = 0
    writer: pq.ParquetWriter | None = None
    used: dict[str, str] = {}
    try:
        for batch in _batches(src, batch_rows):
            used = dict(mapping) if mapping else default_mapping(batch.column_names, feed)
            norm = normalise(batch, used, feed, first_row=rows)
            if writer is None:
                writer = pq.ParquetWriter(str(out), norm.schema, compression="zstd")
            writer.write_table(norm)
            rows += norm.num_rows
            invalid += norm.num_rows - int(pc.sum(norm.column("id_valid")).as_py() or 0)
        if writer is None:  # an empty file
            norm = normalise(pa.table({}), {}, feed)
            pq.write_table(norm, str(out))
    finally:
        if writer is not None:
            writer.close()
    return rows, invalid, used


def _batches(src: Path, batch_rows: int) -> Iterator[pa.Table]:
    if src.suffix.lower() == ".parquet":
        pf = pq.ParquetFile(str(src))
        for b in pf.iter_batches(batch_size=batch_rows):
            yield pa.Table.from_batches([b])
    else:
        yield read_table(src)


# -- matching -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchCounts:
    rows: int
    by_id: int
    by_name_birth: int


def _person_cols(reg: ir.Table) -> list[str]:
    return ["reg_key", *(c for c in REGISTRY_SCHEMA.names if c != "id_key")]


def match_tables(
    dept: ir.Table, reg: ir.Table, *, fallback: bool = True
) -> tuple[ir.Table, ir.Table]:
    """Return (matched rows with the registry facts and ``match_method``, unmatched rows).

    The registry and the department table are each read as they are (no renamed copy): a
    table referenced twice through the same derived node becomes a common table expression,
    which DuckDB materialises — at national size ten million registry rows held in memory.
    Uniqueness is a window count over the few rows that share a candidate's pair.
    """
    reg_cols = [c for c in _person_cols(reg) if c != "reg_key"]
    ided = dept.filter(dept.id_key != 0)
    by_id = ided.join(reg, ided.id_key == reg.id_key).select(
        *(ided[c] for c in dept.columns),
        reg_key=reg.id_key,
        **{c: reg[c] for c in reg_cols},
        match_method=ibis.literal("id"),
    )
    matched = by_id
    if fallback:
        cand = dept.filter((dept.id_key == 0) & dept.name.notnull() & dept.birth_date.notnull())
        # A (name, birth date) pair twice among the file's damaged rows matches nobody.
        cand = cand.mutate(_n=ibis._.count().over(group_by=["name", "birth_date"])).filter(
            ibis._._n == 1
        )
        # Only registry persons sharing a candidate's pair are counted: a hash probe of the
        # registry instead of a GROUP BY over all of it.
        near = reg.semi_join(cand, [reg.reg_name == cand.name, reg.reg_birth == cand.birth_date])
        unique_reg = near.mutate(_n=ibis._.count().over(group_by=["reg_name", "reg_birth"])).filter(
            ibis._._n == 1
        )
        fb = cand.join(
            unique_reg,
            [cand.name == unique_reg.reg_name, cand.birth_date == unique_reg.reg_birth],
        ).select(
            *(cand[c] for c in dept.columns),
            reg_key=unique_reg.id_key,
            **{c: unique_reg[c] for c in reg_cols},
            match_method=ibis.literal("name_birth"),
        )
        matched = by_id.union(fb, distinct=False)
    unmatched = dept.anti_join(matched.select("row_no"), "row_no")
    return matched, unmatched


def _with_null_registry(t: ir.Table) -> ir.Table:
    types = {**_REG_TYPES, "reg_key": "int64"}
    extra: dict[str, Any] = {
        name: ibis.null().cast(_ARROW_TO_IBIS.get(types[name], types[name]))
        for name in _person_cols(t)
    }
    return t.mutate(**extra, match_method=ibis.literal("none"))


def flag_rows(
    dept: ir.Table,
    reg: ir.Table,
    feed: fd.Feed,
    ctx: fd.FeedContext,
    *,
    county: str,
    fallback: bool = True,
) -> ir.Table:
    """The flags of one department table: one row per (rule, department row) that fires.

    Columns: flag_type, row_no, person_key (the registry person's key, else the file's),
    member_id, household_id, household_code, village_code, id_number, name, match_method and
    one column per evidence field (``ev_<field>``).
    """
    matched, unmatched = match_tables(dept, reg, fallback=fallback)
    parts = []
    for rule in feed.rules:
        base = matched if rule.on == "matched" else _with_null_registry(unmatched)
        hit = base.filter(rule.when(base, ctx))
        parts.append(_flag_select(hit, rule.flag_type.value, feed, county))
    if not parts:
        raise ValueError(f"feed {feed.code} has no rules")
    out = parts[0]
    for p in parts[1:]:
        out = out.union(p, distinct=False)
    return out


def _flag_select(t: ir.Table, flag_type: str, feed: fd.Feed, county: str) -> ir.Table:
    addr = t.address_code.fill_null("")
    address_village = ibis.ifelse(
        (addr.length() == 12) & addr.startswith(county), addr, ibis.literal(county)
    )
    return t.select(
        flag_type=ibis.literal(flag_type),
        row_no=t.row_no,
        # The file's key when it is valid, else the registry person's (a name+birth match).
        person_key=ibis.ifelse(t.id_key != 0, t.id_key, t.reg_key),
        member_id=t.member_id,
        household_id=t.household_id,
        household_code=t.household_code,
        village_code=t.reg_village.fill_null(address_village)
        if county
        else t.reg_village.fill_null(""),
        id_number=t.id_number,
        name=t.name,
        match_method=t.match_method,
        **{f"ev_{name}": t[name] for name in feed.evidence_fields},
    )


def registry_from_arrow(con: Any, table: pa.Table) -> ir.Table:
    return con.create_table("_registry", table.cast(REGISTRY_SCHEMA), overwrite=True)


def match_arrow(
    dept: pa.Table,
    registry: pa.Table,
    feed: fd.Feed,
    ctx: fd.FeedContext,
    *,
    county: str,
) -> tuple[pa.Table, MatchCounts]:
    """Match an in-memory department table against an in-memory registry; return the flags."""
    con = ibis.duckdb.connect()
    reg = registry_from_arrow(con, registry)
    d = con.create_table("_dept", dept, overwrite=True)
    flags = flag_rows(d, reg, feed, ctx, county=county)
    counts = _counts(con, d, reg)
    return con.to_pyarrow(flags), counts


def _counts(con: Any, d: ir.Table, reg: ir.Table) -> MatchCounts:
    matched, _ = match_tables(d, reg)
    agg = matched.aggregate(
        by_id=(matched.match_method == "id").sum(),
        by_nb=(matched.match_method == "name_birth").sum(),
    )
    row = con.to_pyarrow(agg).to_pylist()[0]
    rows = int(con.to_pyarrow(d.count()).as_py())
    return MatchCounts(rows, int(row["by_id"] or 0), int(row["by_nb"] or 0))


# -- the national path: Parquet in, Parquet out ---------------------------------------------

#: SQL for a valid 18-character ID's integer key (the snapshot holds valid numbers only).
_KEY_SQL = (
    "CAST(substr(id_number, 1, 17) AS BIGINT) * 11 + CASE WHEN substr(id_number, 18, 1) = 'X' "
    "THEN 10 ELSE CAST(substr(id_number, 18, 1) AS BIGINT) END"
)


#: The registry side of a match, from a flat registry file (``fupin generate``'s columns) read
#: as ``{source}``. Plain SQL that DuckDB and Spark SQL both run (``spark.py`` uses it too).
REGISTRY_SNAPSHOT_SQL = f"""
    SELECT {_KEY_SQL} AS id_key,
           CAST(NULL AS BIGINT) AS member_id,
           CAST(NULL AS BIGINT) AS household_id,
           household_code,
           name AS reg_name,
           make_date(CAST(substr(id_number, 7, 4) AS INT),
                     CAST(substr(id_number, 11, 2) AS INT),
                     CAST(substr(id_number, 13, 2) AS INT)) AS reg_birth,
           village_code AS reg_village,
           status AS reg_status,
           dibao AS reg_dibao,
           tekun AS reg_tekun,
           basic_medical AS reg_basic_medical,
           school_status AS reg_school_status,
           health AS reg_health,
           coalesce(house_grade, 'safe') AS reg_house_grade
    FROM {{source}}
"""


def registry_snapshot(con: Any, flat_file: Path) -> ir.Table:
    """The registry side from a flat registry file (``fupin generate``'s Parquet), as a view."""
    src = str(flat_file).replace("'", "''")
    sql = REGISTRY_SNAPSHOT_SQL.format(source=f"read_parquet('{src}')")
    con.raw_sql(f"CREATE OR REPLACE VIEW _registry AS {sql}")
    return con.table("_registry")


def match_parquet(
    *,
    registry: Path,
    department: Path,
    feed: fd.Feed,
    out: Path,
    county: str,
    ctx: fd.FeedContext | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    registry_is_snapshot: bool = False,
) -> int:
    """Match a normalised department Parquet against a registry file; write flags to ``out``.

    ``registry`` is a flat registry file, or (``registry_is_snapshot``) a Parquet already in
    ``REGISTRY_SCHEMA``. Return the number of flags written.

    One DuckDB query, Parquet to Parquet: both files are views over ``read_parquet`` (DuckDB
    reads only the columns the flags and the rules use, pushes the rules' department-side
    conditions into the scan and joins on the integer key), and the flags are written by
    ``COPY`` without passing through Python. Whether the department file has damaged IDs at
    all is read from its Parquet footer (the row groups' minimum ``id_key``), not by a scan.
    ``threads`` and ``memory_limit`` (e.g. ``"4GB"``) default to DuckDB's own (all cores,
    80 % of RAM; beyond it DuckDB spills to disk).
    """
    con = duckdb_connection(threads=threads, memory_limit=memory_limit)
    try:
        return _match_parquet(
            con,
            registry=registry,
            department=department,
            feed=feed,
            out=out,
            county=county,
            ctx=ctx or fd.FeedContext(),
            registry_is_snapshot=registry_is_snapshot,
        )
    finally:
        con.disconnect()


def duckdb_connection(*, threads: int | None = None, memory_limit: str | None = None) -> Any:
    """An Ibis connection to an in-memory DuckDB set up for batch matching.

    Output order is not kept (``preserve_insertion_order = false``): the flags are a set,
    and without it DuckDB writes Parquet in parallel and holds less in memory.
    """
    import duckdb

    raw = duckdb.connect(config={"preserve_insertion_order": False})
    if threads:
        raw.execute(f"SET threads = {int(threads)}")
    if memory_limit:
        raw.execute("SET memory_limit = ?", [memory_limit])
    return ibis.duckdb.from_connection(raw)


def _quote(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _match_parquet(
    con: Any,
    *,
    registry: Path,
    department: Path,
    feed: fd.Feed,
    out: Path,
    county: str,
    ctx: fd.FeedContext,
    registry_is_snapshot: bool,
) -> int:
    raw = con.con
    if registry_is_snapshot:
        raw.execute(
            f"CREATE OR REPLACE VIEW _registry AS SELECT * FROM read_parquet({_quote(registry)})"
        )
        reg = con.table("_registry")
    else:
        reg = registry_snapshot(con, registry)
    raw.execute(f"CREATE OR REPLACE VIEW _dept AS SELECT * FROM read_parquet({_quote(department)})")
    dept = con.table("_dept")
    flags = flag_rows(
        dept, reg, feed, ctx, county=county, fallback=has_damaged_ids(con, department)
    )
    sql = con.compile(flags)
    written = raw.execute(f"COPY ({sql}) TO {_quote(out)} (FORMAT parquet)").fetchone()
    return int(written[0]) if written else 0


def has_damaged_ids(con: Any, department: Path) -> bool:
    """Whether a normalised department Parquet holds rows with an invalid ID (``id_key`` 0).

    Read from the footer's statistics: a row group whose minimum key is above 0 has none. A
    row group without statistics counts as having some (the fallback then runs, finding
    nothing if there are none — the flags are the same either way).
    """
    row = con.con.execute(
        "SELECT count(*) FILTER (WHERE stats_min_value IS NULL "
        "OR TRY_CAST(stats_min_value AS BIGINT) IS NULL "
        "OR TRY_CAST(stats_min_value AS BIGINT) <= 0) "
        f"FROM parquet_metadata({_quote(department)}) WHERE path_in_schema = 'id_key'"
    ).fetchone()
    return bool(row and row[0])
