"""Fixtures of the registry tests: the divisions the flat files refer to, and a valid file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.registry import flatfiles


@pytest.fixture
def divisions(db: None) -> None:
    """四川省 > 凉山州 > 昭觉县 > 新城镇 and two of its villages."""
    flatfiles.create_divisions()


@pytest.fixture
def rows() -> list[dict[str, str]]:
    """Nine person rows of three valid households (a fresh copy per test)."""
    return flatfiles.valid_rows()


@pytest.fixture
def valid_csv(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    """A valid three-household CSV file (UTF-8 with BOM, canonical headers)."""
    return flatfiles.write_csv(rows, tmp_path / "registry.csv")
