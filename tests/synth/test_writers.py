"""Streaming writers: CSV (UTF-8, header, true/false) and Parquet (zstd, a row group per batch)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from fupin.common.errors import FupinError
from fupin.synth.generator import SCHEMA, generate
from fupin.synth.writers import write_file
from tests.synth.registries import ZHAOJUE


def batches(persons: int = 2_000, seed: int = 4) -> Iterator[pa.RecordBatch]:
    return generate(division=ZHAOJUE, persons=persons, seed=seed, batch_households=150)


def test_parquet_has_a_row_group_per_batch_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    expected = pa.Table.from_batches(list(batches()))
    seen: list[int] = []
    rows = write_file(batches(), path, progress=seen.append)
    meta = pq.ParquetFile(path).metadata
    assert rows == 2_000 == meta.num_rows == sum(seen)
    assert meta.num_row_groups == len(seen) > 1
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert pq.read_table(path).equals(expected)


def test_csv_is_utf8_with_a_header_and_plain_booleans(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    write_file(batches(), path)
    text = path.read_text(encoding="utf-8")
    header, first = text.splitlines()[:2]
    assert header.replace('"', "").split(",") == SCHEMA.names
    assert "true" in first or "false" in first
    assert "第" in text  # Chinese text survives
    table = pacsv.read_csv(
        path, convert_options=pacsv.ConvertOptions(column_types={"id_number": pa.string()})
    )
    assert table.num_rows == 2_000


def test_same_arguments_write_identical_files(tmp_path: Path) -> None:
    for suffix in (".csv", ".parquet"):
        a, b = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
        write_file(batches(seed=9), a)
        write_file(batches(seed=9), b)
        assert a.read_bytes() == b.read_bytes()


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FupinError) as err:
        write_file(batches(), tmp_path / "r.xlsx")
    assert err.value.code == "SYNTH_FORMAT_UNSUPPORTED"


def test_an_error_while_generating_reaches_the_caller(tmp_path: Path) -> None:
    def failing() -> Iterator[pa.RecordBatch]:
        yield from batches(300)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        write_file(failing(), tmp_path / "r.parquet")


def test_no_batches_with_a_schema_writes_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.parquet"
    assert write_file(iter(()), path, schema=SCHEMA) == 0
    assert pq.read_table(path).schema.names == SCHEMA.names
