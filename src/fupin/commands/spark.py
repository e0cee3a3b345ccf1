"""``fupin sharing match-spark``: the department matching job on Apache Spark.

The ``sharing`` command belongs to ``fupin.commands.sharing``; this module adds one action to
it (it is registered after that module), so the Spark path stays an optional extra.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from fupin.commands.base import console, fail, stdout_write


def _actions(
    parser: argparse.ArgumentParser,
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise LookupError("sharing has no sub-commands")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sharing = sub.choices.get("sharing")
    if sharing is None:  # the sharing command is not there: offer the action on its own
        sharing = sub.add_parser("sharing", help="部门数据共享：比对")
        sharing.add_subparsers(dest="action", required=True, metavar="ACTION")
    m = _actions(sharing).add_parser(
        "match-spark",
        help="在 Apache Spark 上比对部门数据（全国人口库规模；本地或集群）",
        description="与 DuckDB 比对相同的规则（Ibis 编译到 Spark）。集群运行方法见 docs/spark.md。",
    )
    m.add_argument(
        "--registry", required=True, help="登记库 Parquet（文件、目录或 hdfs://、s3a:// 地址）"
    )
    m.add_argument(
        "--department", required=True, help="部门数据 Parquet（已规范化；或配合 --normalise）"
    )
    m.add_argument("--feed", required=True, help="数据类型，如 civil_dibao、vehicle")
    m.add_argument("--out", required=True, help="提示结果输出目录（Parquet）")
    m.add_argument("--county", default="", help="县代码：未匹配人员按住址归到该县的村")
    m.add_argument("--master", default=None, help="Spark master，如 local[2]；spark-submit 时省略")
    m.add_argument(
        "--normalise",
        action="store_true",
        help="先在本机把部门原始文件（CSV/xlsx/Parquet）规范化（列名、身份证号校验）",
    )
    m.add_argument("--mapping", default=None, help='列对应关系 JSON，如 {"身份证号": "id_number"}')
    m.add_argument("--snapshot", action="store_true", help="登记库已是比对快照格式")
    m.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="Spark 配置")
    m.set_defaults(func=run_match_spark)


def run_match_spark(args: argparse.Namespace) -> int:
    from fupin.policy import feeds as fd

    try:
        feed = fd.feed(args.feed)
    except KeyError:
        return fail("FEED_UNKNOWN", f"没有数据类型 {args.feed}")
    try:
        from fupin.sharing import spark as sp
    except ImportError:
        return fail("SPARK_MISSING", "未安装 pyspark：pip install 'fupin[spark]'")
    conf = dict(item.split("=", 1) for item in args.conf if "=" in item)
    department = args.department
    with tempfile.TemporaryDirectory(prefix="fupin-spark-") as tmp:
        if args.normalise:
            from fupin.sharing import engine

            src = Path(department)
            if not src.exists():
                return fail("FILE_NOT_FOUND", f"找不到文件 {src}")
            mapping = json.loads(args.mapping) if args.mapping else None
            department = str(Path(tmp) / "department.parquet")
            with console.status("正在规范化部门数据…"):
                engine.normalise_file(src, mapping, feed, Path(department))
        with console.status("正在 Spark 上比对…"):
            spark = sp.spark_session(args.master, conf=conf)
            flags = sp.match_spark_to_parquet(
                spark,
                registry=args.registry,
                department=department,
                feed=feed,
                county=args.county,
                out=args.out,
                registry_is_snapshot=args.snapshot,
            )
    stdout_write(f"提示 {flags} 条，已写入 {args.out}")
    return 0
