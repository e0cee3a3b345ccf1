"""Fixtures for the division tests: the packaged files' codes, read once per session."""

from __future__ import annotations

import pytest

from tests.divisions.datafiles import FILES, file_codes


@pytest.fixture(scope="session")
def codes_in_files() -> dict[int, list[str]]:
    return {level: file_codes(level) for level in FILES}
