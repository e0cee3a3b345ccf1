"""The matching job on Apache Spark: the same Ibis rules as the DuckDB path, on a cluster.

For the national population register (1.4 billion rows) the registry snapshot and a
department file do not fit one machine. Nothing is re-written here: the registry snapshot is
the same projection as ``engine.registry_snapshot`` (in Spark SQL), and the flags are
``engine.flag_rows`` — the Ibis expressions of ``fupin.policy.feeds`` — compiled by Ibis's
pyspark backend instead of DuckDB. ``tests/sharing/test_spark.py`` checks that both engines
give identical flags on the same input. How to run it on a cluster: ``docs/spark.md``.

pyspark is an optional dependency (``pip install fupin[spark]``); it is imported lazily.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis

from fupin.policy import feeds as fd
from fupin.sharing import engine

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: The registry snapshot of ``engine.registry_snapshot``, in Spark SQL over a view ``_flat``.
REGISTRY_SQL = engine.REGISTRY_SNAPSHOT_SQL.format(source="_flat")

#: Settings for a small local session (tests, a laptop); a cluster sets its own.
LOCAL_CONF: Mapping[str, str] = {
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.memory": "1g",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


def spark_session(
    master: str | None = "local[2]", *, conf: Mapping[str, str] | None = None
) -> SparkSession:
    """Return a Spark session; ``master`` None leaves it to ``spark-submit``."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("fupin-sharing-match")
    if master:
        builder = builder.master(master)
        for key, value in LOCAL_CONF.items():
            builder = builder.config(key, value)
    else:
        builder = builder.config("spark.sql.session.timeZone", "UTC")
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _uri(path: str | Path) -> str:
    """Keep URIs (hdfs://, s3a://, file://) as they are; make local paths absolute."""
    text = str(path)
    return text if "://" in text else str(Path(text).resolve())


@dataclass(frozen=True)
class SparkMatch:
    """The flags of one job as an Ibis expression on the session, with its backend."""

    con: Any
    flags: ibis.Table


def match_spark(
    spark: SparkSession,
    *,
    registry: str | Path,
    department: str | Path,
    feed: fd.Feed,
    county: str,
    ctx: fd.FeedContext | None = None,
    registry_is_snapshot: bool = False,
) -> SparkMatch:
    """Build the flags of a normalised department Parquet against a registry Parquet.

    The arguments mean what they mean for ``engine.match_parquet``; paths may be directories
    of Parquet parts and any URI Spark reads (``hdfs://``, ``s3a://``). The name and birth
    date fallback runs only when the department file has invalid ID numbers, as there.
    """
    reg_df = spark.read.parquet(_uri(registry))
    if registry_is_snapshot:
        reg_df.createOrReplaceTempView("_registry")
    else:
        reg_df.createOrReplaceTempView("_flat")
        spark.sql(REGISTRY_SQL).createOrReplaceTempView("_registry")
    dept_df = spark.read.parquet(_uri(department))
    dept_df.createOrReplaceTempView("_dept")
    invalid = dept_df.filter("id_key = 0").limit(1).count()
    con = ibis.pyspark.connect(spark)
    flags = engine.flag_rows(
        con.table("_dept"),
        con.table("_registry"),
        feed,
        ctx or fd.FeedContext(),
        county=county,
        fallback=bool(invalid),
    )
    return SparkMatch(con, flags)


def match_spark_to_parquet(
    spark: SparkSession,
    *,
    registry: str | Path,
    department: str | Path,
    feed: fd.Feed,
    county: str,
    out: str | Path,
    ctx: fd.FeedContext | None = None,
    registry_is_snapshot: bool = False,
) -> int:
    """Run the job and write the flags as a Parquet directory ``out``; return their number."""
    job = match_spark(
        spark,
        registry=registry,
        department=department,
        feed=feed,
        county=county,
        ctx=ctx,
        registry_is_snapshot=registry_is_snapshot,
    )
    job.con.to_parquet(job.flags, _uri(out), mode="overwrite")
    return int(spark.read.parquet(_uri(out)).count())
