"""``fupin indices mpi``: the Alkire–Foster MPI of a flat file or of the registry.

``fupin.commands.indices`` owns the ``indices`` group and calls ``register`` with its
sub-parsers; ``main`` runs the sub-command on its own (tests, and before the group exists).

    fupin indices mpi FILE --indicator COL=WEIGHT[@CUTOFF] … --k K [--by G]
                           [--weight-column W] [--json]
    fupin indices mpi --registry --division CODE --year Y [--line Z] [--k K] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from fupin.commands.base import console

#: The suffixes ``fupin.sharing.engine.read_table`` reads.
FILE_TYPES = (".csv", ".parquet", ".xlsx", ".xls", ".xlsm", ".ods")

#: Exit status of a refusal (bad input), as argparse uses for bad arguments.
EXIT_BAD_INPUT = 2


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``mpi`` sub-command to the ``indices`` group's sub-parsers."""
    p = sub.add_parser(
        "mpi",
        help="Alkire–Foster 多维贫困指数（H、A、M0、M1、M2，分指标、分组分解）",
        description="按 Alkire–Foster 方法计算多维贫困指数。指标写作 列名=权重（0/1 剥夺标志，"
        "1 = 被剥夺）或 列名=权重@临界值（取值低于临界值为被剥夺）；权重自动归一，"
        "k 为总权重的比例（0 < k ≤ 1），剥夺得分 ≥ k 为多维贫困。空白单元格视为未填写，"
        "该单位不参与计算并单独计数。公式与约定见 docs/indices.md。",
    )
    p.add_argument("file", nargs="?", help="CSV、Parquet 或 xlsx 文件，每行一个单位（人或户）")
    p.add_argument(
        "--indicator",
        action="append",
        default=[],
        metavar="COL=WEIGHT[@CUTOFF]",
        help="指标（可重复）；--registry 时默认使用登记库的五项指标",
    )
    p.add_argument("--k", default=None, help="贫困临界值 k（总权重的比例）")
    p.add_argument("--by", default=None, metavar="G", help="按该列分组分解")
    p.add_argument(
        "--weight-column", default=None, metavar="W", help="单位权重列（抽样权重或户人数）"
    )
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.add_argument(
        "--registry", action="store_true", help="对登记库中某区划的贫困户计算（按户人数加权）"
    )
    p.add_argument("--division", default=None, help="区划代码（与 --registry 同用）")
    p.add_argument("--year", default=None, help="年度（与 --registry 同用）")
    p.add_argument("--line", default=None, help="收入指标所用扶贫标准（元），默认为该年度标准")
    p.set_defaults(func=run_mpi)


def register_group(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add a bare ``indices`` group holding only ``mpi`` (for running this module alone)."""
    group = sub.add_parser("indices", help="贫困与不平等指数")
    register(group.add_subparsers(dest="index", required=True, metavar="INDEX"))


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``indices mpi`` with the arguments after ``mpi``."""
    parser = argparse.ArgumentParser(prog="fupin indices")
    register(parser.add_subparsers(dest="index", required=True))
    args = parser.parse_args(["mpi", *(argv if argv is not None else sys.argv[1:])])
    code: int = args.func(args)
    return code


class Refusal(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def refuse(code: str, message: str) -> int:
    """Print a refusal in Chinese with its stable code on stderr; return exit status 2."""
    console.print(f"[red]错误 [{code}][/red] {message}", highlight=False, soft_wrap=True)
    return EXIT_BAD_INPUT


def run_mpi(args: argparse.Namespace) -> int:
    from fupin.policy.indices import mpi
    from fupin.policy.parameters import ParameterError

    try:
        if args.registry:
            return _run_registry(args)
        return _run_file(args)
    except Refusal as exc:
        return refuse(exc.code, exc.message)
    except mpi.MpiError as exc:
        return refuse(exc.code, exc.message)
    except ParameterError as exc:
        return refuse(exc.code, exc.message)


def _k(text: str | None, default: float | None) -> float:
    from fupin.policy.indices.mpi import MpiErrorCode

    if text is None:
        if default is None:
            raise Refusal(MpiErrorCode.K_INVALID, "请用 --k 给出贫困临界值 k（0 < k ≤ 1）")
        return default
    try:
        return float(text)
    except ValueError:
        raise Refusal(MpiErrorCode.K_INVALID, f"k = {text} 不是数字") from None


def _run_file(args: argparse.Namespace) -> int:
    import ibis
    import pyarrow as pa

    from fupin.policy.indices import mpi
    from fupin.sharing.engine import read_table

    if not args.file:
        raise Refusal("FILE_MISSING", "请给出文件，或用 --registry 对登记库计算")
    if not args.indicator:
        raise Refusal(mpi.MpiErrorCode.NO_INDICATORS, "请至少用 --indicator 给出一个指标")
    spec = mpi.MpiSpec(tuple(map(mpi.parse_indicator, args.indicator)), k=_k(args.k, None))
    path = Path(args.file)
    if not path.is_file():
        raise Refusal("FILE_NOT_FOUND", f"找不到文件 {path}")
    if path.suffix.lower() not in FILE_TYPES:
        raise Refusal(
            "FILE_TYPE_UNSUPPORTED", f"不支持的文件类型 {path.suffix}（支持 CSV、Parquet、xlsx）"
        )
    if path.stat().st_size == 0:
        raise Refusal(mpi.MpiErrorCode.EMPTY, f"文件 {path.name} 是空的")
    try:
        data = read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:  # ArrowInvalid is a ValueError: first
        raise Refusal("FILE_UNREADABLE", f"文件 {path.name} 无法读取：{exc}") from None
    if data.num_columns == 0:
        raise Refusal(mpi.MpiErrorCode.EMPTY, "文件为空")
    table = ibis.memtable(data)
    result = mpi.compute(table, spec, weight=args.weight_column, by=args.by)
    if result.excluded:
        console.print(
            f"注意：{result.excluded} 个单位的指标或权重未填写，未参与计算（不视为未被剥夺）。",
            highlight=False,
            soft_wrap=True,
        )
    if args.json:
        _write_json(result.as_dict())
    else:
        _print_table(result, spec, names={}, title=f"多维贫困指数（{path.name}）")
    return 0


def _run_registry(args: argparse.Namespace) -> int:
    from fupin.commands.base import setup_django
    from fupin.policy.indices import mpi

    if not args.division or not args.year:
        raise Refusal("MPI_REGISTRY_ARGS", "--registry 需要 --division 区划代码 和 --year 年度")
    if args.file or args.by or args.weight_column:
        raise Refusal(
            "MPI_REGISTRY_ARGS",
            "--registry 不读文件：按户人数加权，按下一级区划分解"
            "（不用 FILE、--by、--weight-column）",
        )
    try:
        year = int(args.year)
    except ValueError:
        raise Refusal("MPI_YEAR_INVALID", f"年度 {args.year} 不是整数") from None
    line = None
    if args.line is not None:
        try:
            line = Decimal(args.line)
        except InvalidOperation:
            raise Refusal("MPI_LINE_INVALID", f"扶贫标准 {args.line} 不是数字") from None
    indicators = tuple(map(mpi.parse_indicator, args.indicator)) or None
    k = _k(args.k, mpi.DEFAULT_K)
    setup_django()
    from fupin.analysis.mpi import registry_mpi
    from fupin.common.errors import FupinError

    try:
        run = registry_mpi(
            division_code=args.division, year=year, indicators=indicators, k=k, line=line
        )
    except FupinError as exc:
        raise Refusal(exc.code, exc.message) from None
    if args.json:
        _write_json(run.as_dict())
        return 0
    spec = run.result.spec or mpi.MpiSpec(mpi.REGISTRY_INDICATORS, k=k)
    line_text = f"扶贫标准 {line} 元" if line is not None else "各户适用的扶贫标准"
    _print_table(
        run.result,
        spec,
        names=run.names,
        title=f"{run.division_name}（{run.division_code}）{year} 年多维贫困指数（{line_text}，"
        "按户人数加权）",
    )
    if run.excluded:
        sys.stdout.write(f"未参与计算：{run.excluded} 户（指标或家庭人口数未登记）\n")
    return 0


def _write_json(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _num(x: float | None, digits: int = 4) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _count(x: float) -> str:
    """A unit count: whole numbers as they are (never 1e+07), weight sums to two decimals."""
    return f"{int(x)}" if float(x).is_integer() else f"{x:.2f}"


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.2f}%"


def _print_table(result: Any, spec: Any, *, names: dict[str, str], title: str) -> None:
    # Piped or captured output has no terminal width: keep the Chinese labels whole.
    width = None if sys.stdout.isatty() else 160
    out = Console(file=sys.stdout, highlight=False, width=width)
    t = result.total
    summary = Table(title=title)
    for head in ("单位数 n", "贫困单位数 q", "发生率 H", "平均剥夺份额 A", "M0", "M1", "M2"):
        summary.add_column(head, justify="right")
    summary.add_row(
        _count(t.n), _count(t.q), _pct(t.H), _pct(t.A), _num(t.M0), _num(t.M1), _num(t.M2)
    )
    out.print(summary)
    per = Table(title=f"分指标（k = {spec.k:g}）")
    for head in ("指标", "权重（归一）", "临界值", "删减后发生率", "对 M0 的贡献"):
        per.add_column(head, justify="right" if head != "指标" else "left", no_wrap=True)
    for ind, w in zip(spec.indicators, spec.weights, strict=True):
        per.add_row(
            ind.title,
            _num(w),
            "0/1 标志" if ind.cutoff is None else f"{ind.cutoff:g}",
            _pct(t.censored_headcount[ind.column]),
            _pct(t.contribution[ind.column]),
        )
    out.print(per)
    if result.by:
        by = Table(title="分组分解")
        for head in ("组", "n", "人口比例", "H", "A", "M0", "对总 M0 的贡献"):
            by.add_column(head, justify="right" if head != "组" else "left", no_wrap=True)
        for g, f in result.by.items():
            share_m0 = (f.share or 0) * (f.M0 or 0) / t.M0 if t.M0 else None
            label = f"{names[g]}（{g}）" if g in names else (g or "（空白）")
            by.add_row(
                label, _count(f.n), _pct(f.share), _pct(f.H), _pct(f.A), _num(f.M0), _pct(share_m0)
            )
        out.print(by)


if __name__ == "__main__":  # python -m fupin.commands.indices_mpi FILE … (before the group)
    raise SystemExit(main())
