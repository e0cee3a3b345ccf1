"""``fupin sharing``: department data — generate synthetic files, load, match, evaluate."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fupin.commands.base import console, fail, setup_django, stdout_write


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sharing", help="部门数据共享：生成、载入、比对、评估")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    g = actions.add_parser("generate", help="为合成登记数据生成各部门数据文件（含预置案例和答案）")
    g.add_argument("--registry", required=True, type=Path, help="fupin generate 生成的 Parquet")
    g.add_argument("--out", required=True, type=Path, help="输出目录")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--year", type=int, default=2020)
    g.set_defaults(func=run_generate)

    ld = actions.add_parser("load", help="载入一个部门数据文件（CSV/xlsx/Parquet）")
    ld.add_argument("file", type=Path)
    ld.add_argument("--feed", required=True, help="数据类型，如 civil_dibao、vehicle")
    ld.add_argument("--provider", required=True, help="提供部门")
    ld.add_argument("--period", required=True, help="数据期别，如 2020-06")
    ld.add_argument("--legal-basis", default="", help="法律依据或授权说明")
    ld.add_argument("--division", default="", help="覆盖区划（县代码）")
    ld.add_argument("--mapping", default=None, help='列对应关系 JSON，如 {"身份证号": "id_number"}')
    ld.add_argument("--match", action="store_true", help="载入后立即比对")
    ld.set_defaults(func=run_load)

    m = actions.add_parser("match", help="比对一个已载入的数据集")
    m.add_argument("dataset", type=int)
    m.set_defaults(func=run_match)

    e = actions.add_parser(
        "evaluate", help="载入并比对一个生成目录下的全部文件，按提示类型计算精确率和召回率"
    )
    e.add_argument("directory", type=Path)
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=run_evaluate)


def run_generate(args: argparse.Namespace) -> int:
    from fupin.common.errors import FupinError
    from fupin.synth.departments import generate_departments

    if not args.registry.exists():
        return fail("FILE_NOT_FOUND", f"找不到文件 {args.registry}")
    try:
        with console.status("正在生成部门数据…"):
            result = generate_departments(
                registry=args.registry, out=args.out, seed=args.seed, year=args.year
            )
    except FupinError as exc:
        return fail(exc.code, exc.message)
    planted = sum(result.planted.values())
    stdout_write(
        f"已写入 {len(result.files)} 个部门数据文件到 {args.out}，预置案例 {planted} 个"
        f"（答案：{result.truth.name}）\n"
    )
    return 0


def run_load(args: argparse.Namespace) -> int:
    setup_django(migrate=True)
    from fupin.common.errors import FupinError
    from fupin.sharing.services import dataset_load, match_run

    try:
        mapping = json.loads(args.mapping) if args.mapping else None
    except ValueError:
        return fail("SHARING_MAPPING_INVALID", "--mapping 须为 JSON 对象")
    try:
        ds = dataset_load(
            path=args.file,
            feed=args.feed,
            provider=args.provider,
            period=args.period,
            legal_basis=args.legal_basis or "县级部门数据共享协议（命令行载入）",
            mapping=mapping,
            division_code=args.division,
        )
        stdout_write(
            f"数据集 {ds.pk}：{ds.get_feed_display()}，{ds.row_count:,} 行"
            f"（身份号码无效 {ds.invalid_ids:,} 行）\n"
        )
        if args.match:
            _print_run(match_run(dataset=ds))
    except FupinError as exc:
        return fail(exc.code, exc.message)
    return 0


def _print_run(run: object) -> None:
    from fupin.policy.feeds import flag_label

    counts = getattr(run, "counts", {})
    stdout_write(
        f"比对批次 {getattr(run, 'pk', '')}：{getattr(run, 'rows', 0):,} 行，"
        f"按身份号码匹配 {getattr(run, 'matched_by_id', 0):,}，"
        f"按姓名+出生日期匹配 {getattr(run, 'matched_by_name_birth', 0):,}\n"
    )
    for code, n in sorted(counts.items()):
        stdout_write(f"  {flag_label(code)}：{n}\n")


def run_match(args: argparse.Namespace) -> int:
    setup_django(migrate=True)
    from fupin.common.errors import FupinError
    from fupin.sharing.models import Dataset
    from fupin.sharing.services import match_run

    ds = Dataset.objects.filter(pk=args.dataset).first()
    if ds is None:
        return fail("SHARING_DATASET_UNKNOWN", f"没有编号为 {args.dataset} 的数据集")
    try:
        _print_run(match_run(dataset=ds))
    except FupinError as exc:
        return fail(exc.code, exc.message)
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    setup_django(migrate=True)
    from fupin.common.errors import FupinError
    from fupin.policy.feeds import flag_label
    from fupin.sharing.synthetic import evaluate_directory

    try:
        scores, total = evaluate_directory(args.directory)
    except FupinError as exc:
        return fail(exc.code, exc.message)
    if args.json:
        stdout_write(
            json.dumps(
                {"types": [s.as_dict() for s in scores.values()], "all": total.as_dict()},
                ensure_ascii=False,
            )
        )
        return 0
    stdout_write(f"{'提示类型':<28}{'预置':>6}{'提示':>6}{'命中':>6}{'精确率':>8}{'召回率':>8}\n")
    for s in [*scores.values(), total]:
        label = "合计" if s.flag_type == "ALL" else flag_label(s.flag_type)
        stdout_write(
            f"{label[:26]:<28}{s.planted:>6}{s.flagged:>6}{s.true_positive:>6}"
            f"{s.precision:>8.3f}{s.recall:>8.3f}\n"
        )
    return 0
