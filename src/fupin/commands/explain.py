"""``fupin explain HOUSEHOLD``: why a household is or is not poor, and what stands before exit."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fupin.commands.base import fail, setup_django, stdout_write


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("explain", help="说明某户为何贫困或已达标，以及脱贫还差什么")
    p.add_argument("household", help="户编号，或任一家庭成员的身份证号")
    p.add_argument("--year", type=int, default=None, help="年度；缺省为该户最近登记收入的年度")
    p.add_argument("--rule-set", default=None, help="规则集，如 household-standard@2016.1")
    p.add_argument(
        "--parameters",
        type=Path,
        default=None,
        help="本地参数 JSON 文件（与 fupin assess --parameters 相同，说明才与评估结果一致）",
    )
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fupin.policy.parameters import DEFAULT_PARAMETERS, ParameterError, ParameterSet

    # The same reading of the file as `fupin assess --parameters` (issue 14).
    path = getattr(args, "parameters", None)
    try:
        params = ParameterSet.from_file(path, DEFAULT_PARAMETERS) if path else None
    except ParameterError as exc:
        return fail(exc.code, exc.message)
    setup_django()
    from fupin.assessment import services
    from fupin.common.errors import FupinError

    try:
        household = services.household_find(args.household)
        explanation = services.household_explain(
            household=household, year=args.year, rule_set_key=args.rule_set, parameters=params
        )
    except FupinError as exc:
        return fail(exc.code, exc.message)
    if args.json:
        stdout_write(
            json.dumps(
                {"household": household.code, **explanation.as_dict()},
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    from fupin.policy.codes import IDENTIFICATION_STANDARD, POVERTY_STATUS
    from fupin.policy.parameters import VERIFICATION_LABELS

    line = explanation.line
    stdout_write(
        f"户编号 {household.code}，登记状态：{POVERTY_STATUS.label_of(household.status)}"
        f"（规则集 {explanation.rule_set}）"
    )
    region = f"，适用地区 {line.region}" if line.region else ""
    stdout_write(
        f"适用扶贫标准：{explanation.year} 年 {line.amount} 元/人·年"
        f"（{IDENTIFICATION_STANDARD.label_of(line.standard.value)}{region}；"
        f"{VERIFICATION_LABELS[line.verification]}，{line.source}）"
    )
    for o in explanation.outcomes:
        mark = "✔" if o.passed else "✘"
        stdout_write(f"  {mark} {o.title}：{o.text}")
    stdout_write(explanation.summary)
    return 0
