"""Shared fixtures. A small real registry: the divisions of 昭觉县, a generated registry imported
in bulk. (FUPIN_HOME is set in fupin.config.settings_test, before settings are read.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fupin.divisions.services import divisions_load
from fupin.registry.imports.services import registry_import_file
from fupin.synth.generator import generate, write_file

#: Fixtures shared by several test packages (the measures, API and command tests).
pytest_plugins = ["tests.measures.fixtures"]

COUNTY = "513431"
YEAR = 2016


@pytest.fixture(scope="session")
def registry_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("registry") / "zhaojue.parquet"
    write_file(generate(division=COUNTY, persons=3000, seed=7, year=YEAR), path)
    return path


@pytest.fixture
def registry(db: None, registry_file: Path) -> Path:
    divisions_load(prefix=COUNTY)
    report = registry_import_file(path=registry_file)
    assert report.ok, report.errors[:3]
    return registry_file
