"""Write record batches to a flat registry file: CSV (UTF-8, header) or Parquet (zstd).

Both writers stream: one batch in memory at a time, and a Parquet row group per batch.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from fupin.common.errors import FupinError

#: File suffixes ``write_file`` understands.
FORMATS = {".csv": "csv", ".parquet": "parquet"}
#: Columns unique per row: Parquet dictionary encoding only costs time there.
UNIQUE_COLUMNS = frozenset({"id_number", "name"})


def file_format(path: str | Path) -> str:
    """Return "csv" or "parquet" for ``path``; raise ``FupinError`` for another suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise FupinError(
            "SYNTH_FORMAT_UNSUPPORTED",
            f"不支持的输出文件类型“{suffix or Path(path).name}”：请使用 .csv 或 .parquet",
            {"path": str(path)},
        )
    return FORMATS[suffix]


def write_file(
    batches: Iterable[pa.RecordBatch],
    path: str | Path,
    *,
    schema: pa.Schema | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``batches`` to ``path`` (.csv or .parquet) and return the number of rows.

    ``schema`` is needed only when there may be no batch at all (the file then holds the
    header / an empty table); otherwise the first batch's schema is used. ``progress`` is
    called with the row count of each batch once it is written.
    """
    kind = file_format(path)
    iterator = _ahead(iter(batches))
    first = next(iterator, None)
    if first is None and schema is None:
        raise ValueError("write_file needs a schema when there are no batches")
    schema = first.schema if first is not None else schema
    assert schema is not None
    rows = 0
    if kind == "csv":
        with pacsv.CSVWriter(
            str(path), schema, write_options=pacsv.WriteOptions(include_header=True)
        ) as writer:
            for batch in _chain(first, iterator):
                writer.write_batch(batch)
                rows += batch.num_rows
                if progress:
                    progress(batch.num_rows)
    else:
        dictionary = [n for n in schema.names if n not in UNIQUE_COLUMNS]
        with pq.ParquetWriter(
            str(path), schema, compression="zstd", use_dictionary=dictionary
        ) as writer:
            for batch in _chain(first, iterator):
                writer.write_batch(batch, row_group_size=max(batch.num_rows, 1))
                rows += batch.num_rows
                if progress:
                    progress(batch.num_rows)
    return rows


def _chain(
    first: pa.RecordBatch | None, rest: Iterable[pa.RecordBatch]
) -> Iterable[pa.RecordBatch]:
    if first is not None:
        yield first
    yield from rest


_DONE = object()


def _ahead(batches: Iterator[pa.RecordBatch], depth: int = 1) -> Iterator[pa.RecordBatch]:
    """Produce batches in a background thread while the caller writes the previous ones.

    numpy and Arrow release the GIL in their loops, so generating and encoding overlap on two
    cores; at most ``depth`` batches wait, so memory stays bounded. An error in the producer
    is raised in the caller; if the caller stops early, the producer stops too.
    """
    box: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not put(batch):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(exc)

    thread = threading.Thread(target=produce, name="fupin-batches", daemon=True)
    thread.start()
    try:
        while True:
            item = box.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, pa.RecordBatch)
            yield item
    finally:
        stop.set()
        thread.join()
