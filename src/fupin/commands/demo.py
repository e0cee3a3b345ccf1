"""``fupin demo``: build the 凉山州昭觉县 demo on SQLite and serve it.

Steps: a fresh database under ``$FUPIN_HOME`` → the divisions of 昭觉县 (513431) → a synthetic
registry generated into its real villages → bulk import → bulk assessment → one demo account
per level → the web app. ``--no-serve`` stops after building.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

DEMO_COUNTY = "513431"  # 四川省凉山彝族自治州昭觉县, a deep-poverty county (三区三州)
#: Two contrasting counties of 凉山州 beside it, with the depth their 村情 are generated at
#: (the share of poor among the rural population): 布拖县 as deep, 西昌市 as shallow. The demo
#: county is generated at DEMO_DEPTH.
EXTRA_COUNTIES = "513429,513401"
DEPTHS = {"513431": 0.30, "513429": 0.34, "513401": 0.04}
DEMO_DEPTH = 0.30


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="建立昭觉县演示数据库（SQLite）并启动网页服务")
    p.add_argument("--county", default=DEMO_COUNTY, help="演示县代码（默认 513431 昭觉县）")
    p.add_argument("--persons", type=int, default=30_000, help="生成的建档立卡人数")
    p.add_argument("--seed", type=int, default=2017)
    p.add_argument("--year", type=int, default=2016, help="收入与评估年度")
    p.add_argument("--no-serve", action="store_true", help="建好后不启动网页服务")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--keep", action="store_true", help="保留已有的演示数据库（不重建）")
    p.add_argument(
        "--extra-counties",
        default=EXTRA_COUNTIES,
        help="另外生成的对照县（逗号分隔；默认布拖县、西昌市；空为不生成）",
    )
    p.set_defaults(func=run)


def _fresh_sqlite() -> Path | None:
    """Remove the SQLite database of this FUPIN_HOME (the demo is rebuilt from scratch)."""
    if os.environ.get("DATABASE_URL"):
        return None
    from fupin.config.settings import fupin_home

    db = fupin_home() / "fupin.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return db


def _demo_users() -> list[Any]:
    from django.contrib.auth import get_user_model

    return list(
        get_user_model()
        .objects.filter(username__in=("village", "township", "county"))
        .select_related("profile")
    )


def _demo_users_by_name() -> dict[str, Any]:
    return {u.username: u for u in _demo_users()}


def _departments_dir() -> Path:
    from fupin.config.settings import fupin_home

    return fupin_home() / "demo-departments"


def run(args: argparse.Namespace) -> int:
    from fupin.commands.base import console, fail, progress, setup_django

    started = time.perf_counter()
    db = None if args.keep else _fresh_sqlite()
    setup_django(migrate=True)
    from fupin.accounts.services import demo_accounts_create
    from fupin.assessment.services import assessment_run, run_summary
    from fupin.common.errors import FupinError
    from fupin.divisions.selectors import subtree_q
    from fupin.divisions.services import divisions_load
    from fupin.registry.imports.services import registry_import_file
    from fupin.registry.models import Household
    from fupin.reports.services import rollups_refresh
    from fupin.synth.generator import generate, write_file

    console.print(f"[bold]扶贫演示[/bold]：数据库 {db or os.environ.get('DATABASE_URL')}")
    try:
        with progress("1/5 加载行政区划", total=5) as bar:
            report = divisions_load(
                prefix=args.county,
                progress=lambda level, done, total: bar.update(
                    bar.task_ids[0], completed=level - 1
                ),
            )
            bar.update(bar.task_ids[0], completed=5)
        console.print(f"    区划 {report.rows:,} 条")
        if Household.objects.filter(subtree_q(args.county, field="village__code")).exists():
            console.print("    已有登记数据，跳过生成与导入（--keep）")
        else:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "registry.parquet"
                with progress("2/5 生成建档立卡数据（人）", total=args.persons) as bar:
                    batches = generate(
                        division=args.county, persons=args.persons, seed=args.seed, year=args.year
                    )

                    def counted() -> Iterator[pa.RecordBatch]:
                        for batch in batches:
                            bar.update(bar.task_ids[0], advance=batch.num_rows)
                            yield batch

                    write_file(counted(), path)
                with progress("3/5 批量导入", total=100) as bar:

                    def step(stage: str, done: int, total: int) -> None:
                        bar.update(
                            bar.task_ids[0],
                            description=f"3/5 批量导入：{stage}",
                            completed=done,
                            total=total,
                        )

                    result = registry_import_file(path=path, progress=step)
                if not result.ok:
                    first = result.errors[0]
                    return fail(first.code, f"演示数据导入失败：第 {first.row} 行 {first.message}")
                console.print(f"    {result.households:,} 户，{result.members:,} 人")
                with console.status("    生成各部门比对数据（含预置案例）…"):
                    from fupin.synth.departments import generate_departments

                    generate_departments(
                        registry=path, out=_departments_dir(), seed=args.seed, year=args.year
                    )
        with console.status("4/5 批量评估（两不愁三保障及收入）…"):
            run_ = assessment_run(division_code=args.county, year=args.year)
        with console.status("    统计汇总…"):
            rollups_refresh(division_code=args.county)
        summary = run_summary(run_)
        console.print(f"    {summary.households:,} 户中达到脱贫标准 {summary.meets_standard:,} 户")
        _evaluation_demo(args)
        accounts = demo_accounts_create(county_code=args.county)
        _deep_poverty_demo(args)
    except FupinError as exc:
        return fail(exc.code, exc.message)
    try:
        with console.status("    识别与退出演示案件（各程序各环节）…"):
            from fupin.workflows.demo import demo_cases_create

            by_name = _demo_users_by_name()
            cases = demo_cases_create(
                county=args.county,
                year=args.year,
                village_user=by_name["village"],
                township=by_name["township"],
                county_user=by_name["county"],
            )
        console.print(
            f"    识别与退出案件 {sum(cases.counts.values()):,} 件，{len(cases.counts)} 个环节"
        )
    except FupinError as exc:
        return fail(exc.code, exc.message)
    try:
        users = _demo_users_by_name()
        _sharing_demo(args, village_user=users["village"], county_user=users["county"])
        from fupin.measures.demo import _measures_demo

        _measures_demo(args)
        from fupin.funds.demo import funds_demo

        funds_demo(args)  # prints its counts (项目资金：…)
    except FupinError as exc:
        return fail(exc.code, exc.message)
    console.print("5/5 演示账户（密码相同）：")
    for a in accounts:
        console.print(f"    {a.username:<11} {a.password}  {a.role}  {a.division_name}")
    console.print(f"演示数据已建好，用时 {time.perf_counter() - started:.0f} 秒。")
    if args.no_serve:
        return 0
    from fupin.commands import serve

    return serve.run(argparse.Namespace(host="127.0.0.1", port=args.port, workers=2, dev=True))


def _extra_county(args: argparse.Namespace, county: str) -> None:
    """A contrasting county: divisions, a smaller generated registry, assessment, rollups."""
    from fupin.assessment.services import assessment_run
    from fupin.common.errors import FupinError
    from fupin.divisions.selectors import subtree_q
    from fupin.divisions.services import divisions_load
    from fupin.registry.imports.services import registry_import_file
    from fupin.registry.models import Household
    from fupin.reports.services import rollups_refresh
    from fupin.synth.generator import generate, write_file

    divisions_load(prefix=county)
    if Household.objects.filter(subtree_q(county, field="village__code")).exists():
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{county}.parquet"
        persons = max(args.persons // 3, 1000)
        write_file(
            generate(division=county, persons=persons, seed=args.seed + 1, year=args.year), path
        )
        result = registry_import_file(path=path)
        if not result.ok:
            first = result.errors[0]
            raise FupinError(
                first.code, f"对照县 {county} 导入失败：第 {first.row} 行 {first.message}"
            )
    assessment_run(division_code=county, year=args.year)
    rollups_refresh(division_code=county)


def _deep_poverty_demo(args: argparse.Namespace) -> None:
    """村情 and county statistics for every demo county, the candidate deep-poverty counties
    and villages of the province, and two designations recorded by the administrator: the
    counties under the 2017 national rule and the villages of a 挂牌督战 list."""
    import datetime as dt

    from django.contrib.auth import get_user_model

    from fupin.analysis.deep_poverty import designation_create, registry_candidates, rule_set_get
    from fupin.analysis.models import Designation
    from fupin.commands.base import console
    from fupin.synth.village_facts import village_facts_generate

    counties = [args.county, *[c.strip() for c in args.extra_counties.split(",") if c.strip()]]
    with console.status("    深度贫困演示：对照县、村情、候选与认定…"):
        for county in counties[1:]:
            _extra_county(args, county)
        for n, county in enumerate(counties):
            village_facts_generate(
                county_code=county,
                year=args.year,
                seed=args.seed + 10 + n,
                depth=DEPTHS.get(county, DEMO_DEPTH),
            )
        province = args.county[:2]
        admin = get_user_model().objects.get(username="admin")
        made = []
        for key, title, doc, day in (
            (
                "national-county@2017",
                "深度贫困县名单（演示）",
                "演示〔2017〕1号",
                dt.date(2017, 11, 20),
            ),
            (
                "guapai-village@2020",
                "挂牌督战村名单（演示）",
                "演示〔2020〕2号",
                dt.date(2020, 3, 1),
            ),
        ):
            rules = rule_set_get(key, province)
            areas = [
                a.area
                for a in registry_candidates(division_code=province, year=args.year, rules=rules)
                if a.verdict.candidate
            ][:30]
            if areas and not Designation.objects.filter(document_number=doc).exists():
                made.append(
                    designation_create(
                        province_code=province,
                        rule_set_key=key,
                        year=args.year,
                        title=title,
                        document_number=doc,
                        decided_on=day,
                        division_codes=areas,
                        by=admin,
                    )
                )
    console.print(
        f"    对照县 {len(counties) - 1} 个；认定 {len(made)} 项（"
        + "，".join(f"{d.title} {d.areas.count()} 个" for d in made)
        + "）"
    )


def _evaluation_demo(args: argparse.Namespace) -> None:
    """Exit evaluation step: the villages of the county, and a simulated county evaluation."""
    from fupin.commands.base import console
    from fupin.evaluation import services as ev
    from fupin.evaluation.models import FrameHousehold

    with console.status("    退出评估：各村与县级第三方评估（模拟核查）…"):
        if not FrameHousehold.objects.filter(county_id=args.county).exists():
            ev.frame_generate(county=args.county, seed=args.seed)
        villages = ev.village_exit_assess(division_code=args.county, year=args.year)
        evaluation = ev.county_evaluation_start(county=args.county, year=args.year, seed=args.seed)
        ev.county_evaluation_simulate(evaluation=evaluation)
        evaluation = ev.county_evaluation_decide(evaluation=evaluation)
    console.print(f"    贫困村退出评估 {villages} 个村；县级评估：{evaluation.decision['label']}")


def _sharing_demo(args: argparse.Namespace, *, village_user: Any, county_user: Any) -> None:
    """Department data step: load and match the generated department files, report the
    precision and recall of each flag type against the planted cases, and let the demo
    village confirm its fact updates so that facts with a department source appear."""
    from fupin.commands.base import console
    from fupin.policy.feeds import FlagType
    from fupin.reports.services import rollups_refresh
    from fupin.sharing.models import Dataset, Flag
    from fupin.sharing.services import flag_resolve
    from fupin.sharing.synthetic import evaluate_directory

    directory = _departments_dir()
    if Dataset.objects.exists() or not (directory / "manifest.json").exists():
        console.print("    部门数据已比对过或未生成（--keep），跳过比对")
        return
    with console.status("    部门数据比对（按身份号码，姓名+出生日期兜底）…"):
        _scores, total = evaluate_directory(directory)
        updates = [t.value for t in FlagType if t.value.startswith("UPDATE_")]
        # Cadres confirm what they verified, one decision at a time (as they would through the
        # task list): the demo village all of its fact updates, the county office 200 more.
        village = str(village_user.profile.division_id)
        confirmed = 0
        open_updates = Flag.objects.filter(flag_type__in=updates, status=Flag.Status.OPEN)
        plan = [
            (village_user, open_updates.filter(village_code=village).order_by("pk")),
            (county_user, open_updates.exclude(village_code=village).order_by("pk")[:200]),
        ]
        for user, flags in plan:
            for flag in list(flags):
                flag_resolve(flag=flag, outcome="confirmed", note="入户核实属实（演示）", by=user)
                confirmed += 1
        rollups_refresh(division_code=args.county)
    console.print(
        f"    部门比对提示 {Flag.objects.count():,} 条：精确率 {total.precision:.1%}，"
        f"召回率 {total.recall:.1%}；村、县已核实确认 {confirmed} 条部门信息"
    )
