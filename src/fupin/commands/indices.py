"""``fupin indices poverty|inequality``: poverty and inequality indices of a flat file or of the
registry (definitions in :mod:`fupin.policy.indices`; docs/indices.md)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from fupin.commands import indices_mpi
from fupin.commands.base import console, setup_django, stdout_write

#: Bad input exits 2 (the issue's contract for this command), not 1.
BAD_INPUT = 2


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("indices", help="贫困与不平等指数（FGT、Watts、Sen、基尼、泰尔、阿特金森…）")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    pov = actions.add_parser(
        "poverty",
        help="贫困指数：发生率 P0、贫困距 P1、P2、Watts、Sen、SST、缺口总额、基尼",
        description="贫困当且仅当收入低于贫困线（严格小于）。多条贫困线用逗号分隔，得到假设分析。",
    )
    pov.add_argument("file", nargs="?", type=Path, help="CSV、Parquet 或 xlsx 文件（每人一行）")
    pov.add_argument("--income-column", help="收入列名")
    pov.add_argument("--line", help="贫困线（元）；多条用逗号分隔，如 3000,3200,3500")
    pov.add_argument("--weight-column", help="权重列名（如家庭人口数、抽样权重）")
    pov.add_argument("--by", help="分组列名（--registry 时为 county、township 或 village）")
    pov.add_argument("--floor", type=float, help="收入下限（正数），低于者按此计 Watts")
    pov.add_argument(
        "--registry", action="store_true", help="按登记数据计算（人均纯收入，按人口加权）"
    )
    pov.add_argument("--division", help="区划代码（与 --registry 同用）")
    pov.add_argument("--year", type=int, help="年度（与 --registry 同用）")
    pov.add_argument("--json", action="store_true", help="以 JSON 输出")
    pov.set_defaults(func=run_poverty)
    ineq = actions.add_parser(
        "inequality",
        help="不平等指数：基尼、泰尔 T、平均对数偏差、胡佛、阿特金森、广义熵",
    )
    ineq.add_argument("file", nargs="?", type=Path, help="CSV、Parquet 或 xlsx 文件（每人一行）")
    ineq.add_argument("--column", help="收入列名")
    ineq.add_argument("--weight-column", help="权重列名")
    ineq.add_argument("--by", help="分组列名（--registry 时为 county、township 或 village）")
    ineq.add_argument(
        "--epsilon", action="append", default=[], help="追加阿特金森 ε（可重复或逗号分隔）"
    )
    ineq.add_argument(
        "--alpha", action="append", default=[], help="追加广义熵 α（可重复或逗号分隔）"
    )
    ineq.add_argument("--floor", type=float, help="收入下限（正数），对数类指数按此计")
    ineq.add_argument("--registry", action="store_true", help="按登记数据计算")
    ineq.add_argument("--division", help="区划代码（与 --registry 同用）")
    ineq.add_argument("--year", type=int, help="年度（与 --registry 同用）")
    ineq.add_argument("--json", action="store_true", help="以 JSON 输出")
    ineq.set_defaults(func=run_inequality)
    indices_mpi.register(actions)


def refuse(code: str, message: str) -> int:
    console.print(f"[red]错误 [{code}][/red] {message}")
    return BAD_INPUT


class Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def parse_numbers(values: Sequence[str], what: str) -> list[tuple[str, float]]:
    """ "0.5,1" and repeated options → [("0.5", 0.5), ("1", 1.0)], the text kept as the key."""
    out = []
    for value in values:
        for part in value.split(","):
            text = part.strip()
            try:
                out.append((text, float(Decimal(text))))
            except (InvalidOperation, ValueError):
                raise Refused("INDICES_BAD_PARAMETER", f"{what} 不是数字：{text!r}") from None
    return out


def parse_lines(value: str) -> list[Decimal]:
    try:
        return [Decimal(p.strip()) for p in value.split(",")]
    except InvalidOperation:
        raise Refused("INDICES_BAD_LINE", f"贫困线不是数字：{value!r}") from None


def load(path: Path, numeric: Sequence[str], group: str | None) -> Any:
    """The file as an Ibis table (DuckDB) with ``numeric`` columns as float64 and ``group`` as
    text; refuses a missing file, unknown columns, non-numeric cells and an empty file."""
    import ibis

    from fupin.sharing.engine import read_table

    if not path.exists():
        raise Refused("INDICES_FILE_MISSING", f"文件不存在：{path}")
    try:
        data = read_table(path)
    except ValueError:
        raise Refused(
            "INDICES_FILE_TYPE", f"不支持的文件类型：{path.suffix}（CSV、Parquet、xlsx）"
        ) from None
    wanted = [c for c in (*numeric, group) if c]
    unknown = [c for c in wanted if c not in data.column_names]
    if unknown:
        raise Refused(
            "INDICES_UNKNOWN_COLUMN",
            f"文件中没有列：{'、'.join(unknown)}（已有：{'、'.join(data.column_names)}）",
        )
    if data.num_rows == 0:
        raise Refused("INDICES_EMPTY", "文件没有数据行")
    con = ibis.duckdb.connect()
    t = con.create_table("input", data.select(wanted))
    for c in numeric:
        text = t[c].cast("string").strip()
        bad = con.execute(
            t.filter(text.notnull() & (text != "") & text.try_cast("float64").isnull()).count()
        )
        if bad:
            raise Refused("INDICES_NOT_NUMERIC", f"列 {c} 有 {bad} 个非数字的单元格")
    t = t.mutate(**{c: t[c].cast("string").strip().nullif("").try_cast("float64") for c in numeric})
    return con, t


def _check(con: Any, t: Any, income: str, weight: str | None, logs: bool) -> None:
    from fupin.policy import indices as ix

    f = ix.frame(t, income=income, weight=weight)
    ix.raise_for(con.execute(ix.checks(f)).to_dict("records")[0], logs=logs)


def _jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    return v


def run_poverty(args: argparse.Namespace) -> int:
    from fupin.policy import indices as ix

    try:
        if args.registry:
            return _registry_poverty(args)
        if args.file is None or not args.income_column or not args.line:
            raise Refused(
                "ARGS_MISSING", "须给出文件、--income-column 和 --line（或用 --registry）"
            )
        lines = parse_lines(args.line)
        for z in lines:
            ix.check_line(float(z))
        con, t = load(
            args.file, [c for c in (args.income_column, args.weight_column) if c], args.by
        )
        _check(con, t, args.income_column, args.weight_column, logs=args.floor is None)
        results = []
        for z in lines:
            expr = ix.poverty_profile(
                t,
                income=args.income_column,
                line=float(z),
                weight=args.weight_column,
                by=args.by,
                floor=args.floor,
            )
            item: dict[str, Any] = {}
            if args.by:
                whole = ix.poverty_profile(
                    t,
                    income=args.income_column,
                    line=float(z),
                    weight=args.weight_column,
                    floor=args.floor,
                )
                item = poverty_row(con.execute(whole).to_dict("records")[0])
                item["by"] = {r["g"]: poverty_row(r) for r in con.execute(expr).to_dict("records")}
            else:
                item = poverty_row(con.execute(expr).to_dict("records")[0])
            results.append((z, item))
    except Refused as exc:
        return refuse(exc.code, exc.message)
    except ix.IndicesError as exc:
        return refuse(exc.code, exc.message)
    emit_poverty(args, results)
    return 0


def poverty_row(r: dict[str, Any]) -> dict[str, Any]:
    from fupin.policy.indices.results import poverty_row as shape

    return shape(r)


def emit_poverty(
    args: argparse.Namespace,
    results: list[tuple[Decimal, dict[str, Any]]],
    extra: dict[str, Any] | None = None,
) -> None:
    if args.json:
        if len(results) == 1:
            payload: dict[str, Any] = dict(results[0][1])
        else:
            payload = {"lines": [{"line": float(z), **item} for z, item in results]}
        if extra:
            payload = extra | payload
        stdout_write(json.dumps(_jsonable(payload), ensure_ascii=False))
        return
    from rich.table import Table

    labels = {
        "n": "人数",
        "q": "贫困人数",
        "P0": "贫困发生率 P0",
        "P1": "贫困距 P1",
        "P2": "平方贫困距 P2",
        "watts": "Watts",
        "sen": "Sen",
        "sst": "SST",
        "gap_total": "缺口总额（元）",
        "gini": "基尼系数",
    }
    for z, item in results:
        rows = {"合计": item} | item.get("by", {})
        table = Table(title=f"贫困指数（贫困线 {z} 元）")
        table.add_column("指标")
        for name in rows:
            table.add_column(name or "合计", justify="right")
        for key, label in labels.items():
            table.add_row(label, *(_fmt(key, r[key]) for r in rows.values()))
        console_out().print(table)
    if extra and extra.get("missing"):
        console_out().print(f"未登记 {extra['year']} 年收入的户：{extra['missing']} 户（不计入）")


def _fmt(key: str, v: Any) -> str:
    if key in ("n", "q"):
        return f"{float(v):,.0f}" if float(v).is_integer() else f"{float(v):,.2f}"
    if key == "gap_total":
        return f"{Decimal(v):,.2f}"
    if key == "P0":
        return f"{float(v):.2%}"
    return f"{float(v):.4f}"


def console_out() -> Any:
    from rich.console import Console

    return Console()


def _registry_poverty(args: argparse.Namespace) -> int:
    if not args.division or not args.year:
        raise Refused("ARGS_MISSING", "--registry 须给出 --division 和 --year")
    setup_django(migrate=True)
    from fupin.analysis.indices import registry_poverty
    from fupin.common.errors import FupinError
    from fupin.divisions.selectors import division_get

    try:
        division_get(args.division)
        lines = parse_lines(args.line) if args.line else None
        report = registry_poverty(
            division_code=args.division, year=args.year, lines=lines, by=args.by, floor=args.floor
        )
    except FupinError as exc:
        return refuse(exc.code, exc.message)
    results = [(item.pop("line"), item) for item in report["lines"]]
    extra = {"division": report["division"], "year": report["year"], "missing": report["missing"]}
    emit_poverty(args, results, extra)
    return 0


def run_inequality(args: argparse.Namespace) -> int:
    from fupin.policy import indices as ix
    from fupin.policy.indices.results import inequality_row

    try:
        eps = [("0.5", 0.5), ("1", 1.0), ("2", 2.0), *parse_numbers(args.epsilon, "ε")]
        alphas = [("2", 2.0), *parse_numbers(args.alpha, "α")]
        eps = list(dict(eps).items())
        alphas = list(dict(alphas).items())
        if args.registry:
            return _registry_inequality(args, eps, alphas)
        if args.file is None or not args.column:
            raise Refused("ARGS_MISSING", "须给出文件和 --column（或用 --registry）")
        con, t = load(args.file, [c for c in (args.column, args.weight_column) if c], args.by)
        _check(con, t, args.column, args.weight_column, logs=args.floor is None)
        kw = {
            "income": args.column,
            "weight": args.weight_column,
            "epsilons": tuple(v for _, v in eps),
            "alphas": tuple(v for _, v in alphas),
            "floor": args.floor,
        }
        keys = ([k for k, _ in eps], [k for k, _ in alphas])
        result = inequality_row(
            con.execute(ix.inequality_profile(t, **kw)).to_dict("records")[0], *keys
        )
        if args.by:
            rows = con.execute(ix.inequality_profile(t, by=args.by, **kw)).to_dict("records")
            result["by"] = {r["g"]: inequality_row(r, *keys) for r in rows}
    except Refused as exc:
        return refuse(exc.code, exc.message)
    except ix.IndicesError as exc:
        return refuse(exc.code, exc.message)
    emit_inequality(args, result)
    return 0


def _registry_inequality(
    args: argparse.Namespace, eps: list[tuple[str, float]], alphas: list[tuple[str, float]]
) -> int:
    if not args.division or not args.year:
        raise Refused("ARGS_MISSING", "--registry 须给出 --division 和 --year")
    setup_django(migrate=True)
    from fupin.analysis.indices import registry_inequality
    from fupin.common.errors import FupinError
    from fupin.divisions.selectors import division_get

    try:
        division_get(args.division)
        result = registry_inequality(
            division_code=args.division,
            year=args.year,
            epsilons=tuple(v for _, v in eps),
            alphas=tuple(v for _, v in alphas),
            by=args.by,
            floor=args.floor,
        )
    except FupinError as exc:
        return refuse(exc.code, exc.message)
    emit_inequality(args, result)
    return 0


def emit_inequality(args: argparse.Namespace, result: dict[str, Any]) -> None:
    if args.json:
        stdout_write(json.dumps(_jsonable(result), ensure_ascii=False))
        return
    from rich.table import Table

    rows = {"合计": result} | result.get("by", {})
    table = Table(title="不平等指数")
    table.add_column("指标")
    for name in rows:
        table.add_column(name or "合计", justify="right")
    labels = {
        "n": "人数",
        "mean": "均值",
        "gini": "基尼系数",
        "theil_t": "泰尔指数 T",
        "mld": "平均对数偏差",
        "hoover": "胡佛指数",
    }
    for key, label in labels.items():
        table.add_row(label, *(f"{float(r[key]):,.4f}" for r in rows.values()))
    for k in result["atkinson"]:
        table.add_row(f"阿特金森 ε={k}", *(f"{r['atkinson'][k]:.4f}" for r in rows.values()))
    for k in result["ge"]:
        table.add_row(f"广义熵 α={k}", *(f"{r['ge'][k]:.4f}" for r in rows.values()))
    console_out().print(table)
