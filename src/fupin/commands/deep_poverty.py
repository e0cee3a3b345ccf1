"""``fupin deep-poverty``: 两高一低一差三重 indicators, candidate areas with their reasons, the
provinces' rule sets and designations (definitions in :mod:`fupin.policy.deep_poverty`)."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import math
from pathlib import Path
from typing import Any, cast

from fupin.commands.base import console, fail, setup_django, stdout_write


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("deep-poverty", help="深度贫困地区：两高一低一差三重指标、候选名单、认定")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    def source(a: argparse.ArgumentParser) -> None:
        a.add_argument("--division", default="", help="区划代码（省/市/县/乡）；缺省为全部")
        a.add_argument("--year", type=int, required=True, help="年度")
        a.add_argument(
            "--file",
            type=Path,
            help="改为读取扁平登记文件（Parquet/CSV，每人一行），用 DuckDB 计算",
        )
        a.add_argument("--villages", type=Path, help="（与 --file 同用）村情文件 CSV/Parquet")
        a.add_argument("--counties", type=Path, help="（与 --file 同用）县统计数据 CSV/Parquet")
        a.add_argument("--json", action="store_true", help="以 JSON 输出")

    ind = actions.add_parser("indicators", help="各县（乡、村）的深度贫困指标")
    source(ind)
    ind.add_argument("--level", default="county", choices=("county", "township", "village"))
    ind.add_argument("--out", type=Path, help="写入 CSV 文件")
    ind.set_defaults(func=run_indicators)

    cand = actions.add_parser("candidates", help="按规则集列出候选深度贫困县或村及理由")
    source(cand)
    cand.add_argument(
        "--rules", default="national-county@2017", help="规则集（代码@版本），见 rules list"
    )
    cand.add_argument("--all", action="store_true", help="列出全部区划（缺省只列候选）")
    cand.set_defaults(func=run_candidates)

    rules = actions.add_parser("rules", help="规则集：list 列出，add 登记本省规则集（JSON 文件）")
    rules.add_argument("rules_action", choices=("list", "add"))
    rules.add_argument("file", nargs="?", type=Path, help="规则集 JSON 文件（add）")
    rules.add_argument("--province", default="", help="省代码（2 位）")
    rules.add_argument("--user", help="登记人用户名（add 必填）")
    rules.add_argument("--json", action="store_true")
    rules.set_defaults(func=run_rules)

    des = actions.add_parser("designate", help="录入省级认定（文号、日期、认定的县或村）")
    des.add_argument("--province", required=True, help="省代码（2 位）")
    des.add_argument("--rules", required=True, help="所依据的规则集（代码@版本）")
    des.add_argument("--year", type=int, required=True, help="依据数据年度")
    des.add_argument("--title", required=True, help="决定名称")
    des.add_argument("--document", required=True, help="文号")
    des.add_argument("--date", required=True, help="决定日期 YYYY-MM-DD")
    des.add_argument(
        "--areas", required=True, help="认定的区划代码，逗号分隔；candidates 为全部候选"
    )
    des.add_argument("--user", required=True, help="录入人用户名")
    des.set_defaults(func=run_designate)


def _num(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _flat_rows(args: argparse.Namespace, level: str) -> list[dict[str, Any]]:
    import ibis

    from fupin.analysis.flat import flat_inputs, read_table_file
    from fupin.policy import deep_poverty as dp

    con = ibis.duckdb.connect()
    for path in (args.file, args.villages, args.counties):
        if path is not None and not path.exists():
            raise FileNotFoundError(path)
    villages = read_table_file(con, args.villages) if args.villages else None
    counties = read_table_file(con, args.counties) if args.counties else None
    inputs = flat_inputs(
        read_table_file(con, args.file),
        villages=villages,
        counties=counties,
        division_code=args.division,
    )
    table = dp.indicators(inputs, args.year, cast(dp.Level, level))  # argparse choices
    return [{k: _num(v) for k, v in r.items()} for r in con.execute(table).to_dict("records")]


def run_indicators(args: argparse.Namespace) -> int:
    from fupin.common.errors import FupinError
    from fupin.policy import deep_poverty as dp

    try:
        if args.file:
            rows = _flat_rows(args, args.level)
        else:
            setup_django()
            from fupin.analysis.deep_poverty import registry_indicators

            rows = registry_indicators(
                division_code=args.division, year=args.year, level=args.level
            )
    except FileNotFoundError as exc:
        return fail("FILE_NOT_FOUND", f"找不到文件 {exc}")
    except FupinError as exc:
        return fail(exc.code, exc.message)
    keys = ["area", *dp.INDICATOR_BY_KEY, *dp.UNRECORDED]
    if args.out:
        with args.out.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)
        console.print(f"已写入 {len(rows):,} 行到 {args.out}")
        return 0
    if args.json:
        stdout_write(json.dumps(rows, ensure_ascii=False, default=str) + "\n")
        return 0
    buf = io.StringIO()
    labels = {i.key: i.label for i in dp.INDICATORS}
    for r in rows:
        buf.write(f"{r['area']}\n")
        for key in dp.INDICATOR_BY_KEY:
            buf.write(f"  {labels[key]}：{dp.format_value(dp.INDICATOR_BY_KEY[key], r.get(key))}\n")
    stdout_write(buf.getvalue())
    return 0


def run_candidates(args: argparse.Namespace) -> int:
    from fupin.common.errors import FupinError
    from fupin.policy import deep_poverty as dp

    try:
        setup_django(migrate=True)
        from fupin.analysis.deep_poverty import (
            AreaResult,
            division_names,
            registry_candidates,
            rule_set_get,
        )

        rules = rule_set_get(args.rules, args.division[:2])
        if args.file:
            rows = _flat_rows(args, rules.level)
            names = division_names(r["area"] for r in rows)
            results = [
                AreaResult(
                    r["area"], names.get(r["area"], ""), r, dp.verdict(_score(r, rules), rules)
                )
                for r in rows
            ]
            results.sort(key=lambda a: (not a.verdict.candidate, -(a.verdict.score or -1), a.area))
        else:
            results = registry_candidates(division_code=args.division, year=args.year, rules=rules)
    except FileNotFoundError as exc:
        return fail("FILE_NOT_FOUND", f"找不到文件 {exc}")
    except FupinError as exc:
        return fail(exc.code, exc.message)
    shown = results if args.all else [a for a in results if a.verdict.candidate]
    if args.json:
        out = {
            "rule_set": rules.as_dict(),
            "year": args.year,
            "division": args.division,
            "areas": len(results),
            "candidates": sum(a.verdict.candidate for a in results),
            "results": [a.as_dict() for a in shown],
        }
        stdout_write(json.dumps(out, ensure_ascii=False, default=str) + "\n")
        return 0
    lines = [
        f"{rules.name}（{rules.key}）：{len(results):,} 个区划中候选 "
        f"{sum(a.verdict.candidate for a in results):,} 个"
    ]
    for a in shown:
        score = "—" if a.verdict.score is None else f"{a.verdict.score:.2f}"
        mark = "候选" if a.verdict.candidate else "　　"
        lines.append(f"{mark} {a.area} {a.name} 得分 {score}：{a.verdict.summary}")
    stdout_write("\n".join(lines) + "\n")
    return 0


def _score(row: dict[str, Any], rules: Any) -> dict[str, Any]:
    """The composite score of a flat-file row, computed like the SQL one."""
    total = 0.0
    for p in rules.score:
        r = p.ratio_of(row.get(p.indicator))
        if r is None:
            return row | {"score": None}
        total += r * p.weight
    return row | {"score": total if rules.score else None}


def _user(name: str) -> Any:
    from django.contrib.auth import get_user_model

    from fupin.common.errors import FupinError

    user = get_user_model().objects.filter(username=name).first()
    if user is None:
        raise FupinError("USER_UNKNOWN", f"未找到用户 {name}")
    return user


def run_rules(args: argparse.Namespace) -> int:
    setup_django(migrate=True)
    from fupin.analysis.deep_poverty import rule_set_register, rule_sets_for
    from fupin.common.errors import FupinError

    try:
        if args.rules_action == "add":
            if not args.file or not args.user or not args.province:
                return fail("ARGS_MISSING", "rules add 需要 JSON 文件、--province 和 --user")
            try:
                definition = json.loads(args.file.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                return fail("RULE_SET_FILE", f"无法读取规则集文件 {args.file}：{exc}")
            row = rule_set_register(
                province_code=args.province, definition=definition, by=_user(args.user)
            )
            stdout_write(f"已登记规则集 {row.code}@{row.version}（{row.name}）\n")
            return 0
        sets = rule_sets_for(args.province)
    except FupinError as exc:
        return fail(exc.code, exc.message)
    if args.json:
        stdout_write(json.dumps([r.as_dict() for r in sets.values()], ensure_ascii=False) + "\n")
        return 0
    for key, r in sets.items():
        crit = "且" if r.combine == "all" else "或"
        text = f" {crit} ".join(
            f"{c.info.label}{dp_word(c.op)}{dp_threshold(c)}" for c in r.criteria
        )
        stdout_write(f"{key}  {r.name}：{text}\n")
    return 0


def dp_word(op: str) -> str:
    from fupin.policy.deep_poverty import OP_WORDS

    return OP_WORDS[op]


def dp_threshold(c: Any) -> str:
    return f"{c.threshold * 100:g}%" if c.info.unit == "share" else f"{c.threshold:,.0f}"


def run_designate(args: argparse.Namespace) -> int:
    setup_django(migrate=True)
    from fupin.analysis.deep_poverty import (
        designation_create,
        registry_candidates,
        rule_set_get,
    )
    from fupin.common.errors import FupinError

    try:
        decided = dt.date.fromisoformat(args.date)
    except ValueError:
        return fail("BAD_DATE", f"决定日期应为 YYYY-MM-DD，而非 {args.date}")
    try:
        if args.areas.strip() == "candidates":
            rules = rule_set_get(args.rules, args.province)
            areas = [
                a.area
                for a in registry_candidates(
                    division_code=args.province, year=args.year, rules=rules
                )
                if a.verdict.candidate
            ]
        else:
            areas = [c.strip() for c in args.areas.split(",") if c.strip()]
        d = designation_create(
            province_code=args.province,
            rule_set_key=args.rules,
            year=args.year,
            title=args.title,
            document_number=args.document,
            decided_on=decided,
            division_codes=areas,
            by=_user(args.user),
        )
    except FupinError as exc:
        return fail(exc.code, exc.message)
    stdout_write(f"已录入认定“{d.title}”（{d.document_number}），共 {d.areas.count()} 个区划\n")
    return 0
