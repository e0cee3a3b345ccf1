"""``fupin generate``: a reproducible synthetic registry in the real villages of a division.

With ``--out`` the registry goes to a CSV or Parquet file and no database is needed; without
it, a temporary Parquet file is imported into the database (all rows or none).
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "generate",
        help="在真实村庄中生成可复现的模拟建档立卡数据（写文件或直接导入数据库）",
        description=(
            "按县（或省、市、全国）的真实村庄生成一人一行的模拟建档立卡数据。"
            "相同参数生成完全相同的数据；数据流式生成，千万人也只占用固定内存。"
        ),
    )
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--county", metavar="CODE", help="县级行政区划代码（6位），如 513431 昭觉县")
    where.add_argument(
        "--division",
        metavar="PREFIX",
        help="行政区划代码前缀：2位（省）、4位（市）、6位（县）、9位（乡镇）；空字符串表示全国",
    )
    p.add_argument("--persons", type=int, required=True, metavar="N", help="生成人数")
    p.add_argument("--seed", type=int, required=True, metavar="S", help="随机种子（非负整数）")
    p.add_argument(
        "--year", type=int, default=2016, metavar="Y", help="数据年度（2014–2020，默认 2016）"
    )
    p.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="输出文件 .csv 或 .parquet；不指定则直接导入数据库",
    )
    p.add_argument(
        "--batch-households",
        type=int,
        default=50_000,
        metavar="H",
        help="每批户数（默认 50000；批越小占用内存越少）",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fupin.commands.base import fail, progress, stdout_write
    from fupin.common.errors import FupinError
    from fupin.synth.generator import generate
    from fupin.synth.writers import file_format, write_file

    if args.county is not None and not (len(args.county) == 6 and args.county.isdigit()):
        return fail("DIVISION_UNKNOWN", f"县级行政区划代码应为6位数字，收到“{args.county}”")
    division = args.county if args.county is not None else args.division.strip()
    if division in ("all", "全国"):
        division = ""
    if args.persons <= 0:
        return fail("SYNTH_PERSONS_INVALID", f"人数必须为正整数（收到 {args.persons}）")
    try:
        if args.out is not None:
            file_format(args.out)
        batches = generate(
            division=division,
            persons=args.persons,
            seed=args.seed,
            year=args.year,
            batch_households=args.batch_households,
        )
    except FupinError as exc:
        return fail(exc.code, exc.message)

    if args.out is not None:
        with progress("生成建档立卡数据（人）", total=args.persons) as bar:
            rows = write_file(_counted(batches, bar), args.out)
        stdout_write(f"已写入 {args.out}：{rows:,} 人（种子 {args.seed}，{args.year} 年度）")
        return 0
    return _import(batches, args)


def _counted(batches: Iterator[pa.RecordBatch], bar: object) -> Iterator[pa.RecordBatch]:
    from rich.progress import Progress

    assert isinstance(bar, Progress)
    for batch in batches:
        bar.update(bar.task_ids[0], advance=batch.num_rows)
        yield batch


def _import(batches: Iterator[pa.RecordBatch], args: argparse.Namespace) -> int:
    """Write a temporary Parquet file and import it into the database, all rows or none."""
    from fupin.commands.base import fail, progress, setup_django, stdout_write
    from fupin.common.errors import FupinError
    from fupin.synth.writers import write_file

    setup_django(migrate=True)
    from fupin.registry.imports.services import registry_import_file

    with tempfile.TemporaryDirectory(prefix="fupin-generate-") as tmp:
        path = Path(tmp) / "registry.parquet"
        with progress("生成建档立卡数据（人）", total=args.persons) as bar:
            write_file(_counted(batches, bar), path)
        with progress("导入数据库") as bar:
            task = bar.task_ids[0]

            def step(stage: str, done: int, total: int) -> None:
                bar.update(task, description=f"导入数据库：{stage}", completed=done, total=total)

            try:
                report = registry_import_file(path=path, progress=step)
            except FupinError as exc:
                return fail(exc.code, exc.message)
    if not report.ok:
        first = report.errors[0]
        return fail(first.code, f"模拟数据导入失败：第 {first.row} 行 {first.message}")
    stdout_write(
        f"已导入 {report.households:,} 户，{report.members:,} 人"
        f"（种子 {args.seed}，{args.year} 年度）"
    )
    return 0
