"""``fupin evaluate``: village exit assessment and the county's third-party exit evaluation."""

from __future__ import annotations

import argparse
import json

from fupin.commands.base import console, fail, setup_django, stdout_write


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("evaluate", help="贫困村、贫困县退出评估（第三方抽样评估）")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    v = actions.add_parser("villages", help="评估县内各村是否达到贫困村退出标准")
    v.add_argument("--county", required=True, help="县（或乡镇）代码")
    v.add_argument("--year", type=int, required=True)
    v.add_argument("--json", action="store_true", help="以 JSON 输出各村结论")
    v.set_defaults(func=run_villages)
    c = actions.add_parser(
        "county",
        help="贫困县退出专项评估：分层抽样、核查、四项指标与一票否决",
        description="抽取未脱贫户、已脱贫户和非建档立卡户的分层随机样本（同一种子结果相同）。"
        "--simulate 依据系统评估结果模拟入户核查（演示用）并作出判定。",
    )
    c.add_argument("--county", required=True, help="县代码")
    c.add_argument("--year", type=int, required=True)
    c.add_argument("--sample", type=int, default=1000, help="样本量（户），默认 1000")
    c.add_argument("--seed", type=int, required=True, help="随机种子")
    c.add_argument("--method", choices=("proportional", "neyman"), default="proportional")
    c.add_argument("--minimum", type=int, default=100, help="每层最少样本户数")
    c.add_argument(
        "--frame",
        default=None,
        help="非建档立卡户名单 CSV（列：村代码, 户编号, 人口数[, 户主姓名]）；"
        "缺省时若县内没有名单，--simulate 会生成一份模拟名单",
    )
    c.add_argument("--simulate", action="store_true", help="模拟入户核查并作出判定（演示用）")
    c.add_argument("--json", action="store_true", help="以 JSON 输出判定结果")
    c.set_defaults(func=run_county)


def run_villages(args: argparse.Namespace) -> int:
    setup_django(migrate=True)
    from collections import Counter

    from fupin.common.errors import FupinError
    from fupin.evaluation.models import VillageExitAssessment
    from fupin.evaluation.selectors import village_exit_rows
    from fupin.evaluation.services import village_exit_assess

    try:
        with console.status("正在评估各村…"):
            n = village_exit_assess(division_code=args.county, year=args.year)
    except FupinError as exc:
        return fail(exc.code, exc.message)
    rows = list(village_exit_rows(scope="", division_code=args.county, year=args.year))
    if args.json:
        stdout_write(
            json.dumps(
                [
                    {
                        "village": r.village_id,
                        "name": r.village.name,
                        "incidence": r.incidence,
                        "decision": r.decision,
                        "explanation": r.explanation.get("explanation", ""),
                    }
                    for r in rows
                ],
                ensure_ascii=False,
            )
        )
        return 0
    counts = Counter(r.decision for r in rows)
    labels = dict(VillageExitAssessment.Decision.choices)
    stdout_write(
        f"{args.year} 年共评估 {n} 个村："
        + "，".join(f"{labels[d]} {counts.get(d, 0)} 个" for d in labels)
    )
    for r in rows:
        stdout_write(f"  {r.village_id} {r.explanation.get('explanation', '')}")
    return 0


def run_county(args: argparse.Namespace) -> int:
    setup_django(migrate=True)
    from pathlib import Path

    from fupin.common.errors import FupinError
    from fupin.evaluation import services
    from fupin.evaluation.models import FrameHousehold

    try:
        if args.frame:
            n = services.frame_import(county=args.county, path=Path(args.frame))
            console.print(f"已导入非建档立卡户名单 {n:,} 户")
        elif args.simulate and not FrameHousehold.objects.filter(county_id=args.county).exists():
            n = services.frame_generate(county=args.county, seed=args.seed)
            console.print(f"已生成模拟的非建档立卡户名单 {n:,} 户（演示用）")
        evaluation = services.county_evaluation_start(
            county=args.county,
            year=args.year,
            seed=args.seed,
            sample_size=args.sample,
            method=args.method,
            minimum=args.minimum,
        )
        allocation = evaluation.sample_config["allocation"]
        console.print(
            f"评估 #{evaluation.pk}：抽取样本 "
            + "，".join(f"{k} {v} 户" for k, v in allocation.items())
        )
        if not args.simulate:
            stdout_write(f"已抽取样本（评估 #{evaluation.pk}），请入户核查后在网页上作出判定。")
            return 0
        services.county_evaluation_simulate(evaluation=evaluation)
        evaluation = services.county_evaluation_decide(evaluation=evaluation)
    except FupinError as exc:
        return fail(exc.code, exc.message)
    decision = evaluation.decision
    if args.json:
        stdout_write(json.dumps({"evaluation": evaluation.pk, **decision}, ensure_ascii=False))
        return 0
    stdout_write(f"评估 #{evaluation.pk} 结论：{decision['label']}（模拟核查）")
    stdout_write(decision["explanation"])
    return 0
