"""Generated registries shared across the synth tests (small, so the suite stays in seconds)."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from tests.synth.registries import ZHAOJUE, registry


@pytest.fixture(scope="session")
def zhaojue() -> pa.Table:
    """昭觉县, 2016, 20k persons in small batches (so batch boundaries are exercised)."""
    return registry(ZHAOJUE, 20_000, batch_households=1_000)


@pytest.fixture(scope="session")
def zhaojue_2019() -> pa.Table:
    return registry(ZHAOJUE, 20_000, year=2019)


@pytest.fixture(scope="session")
def sql() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()
