"""Synthetic department files: one per feed, planted cases of every flag type, reproducible."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from fupin.policy import feeds as fd
from fupin.policy.idnumber import check
from fupin.sharing.engine import read_table
from fupin.sharing.evaluation import read_truth
from fupin.synth.departments import generate_departments
from fupin.synth.generator import generate, write_file


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reg") / "r.parquet"
    write_file(generate(division="513431", persons=2000, seed=11, year=2016), path)
    return path


def test_one_file_per_feed_and_every_flag_type_planted(registry: Path, tmp_path: Path) -> None:
    out = generate_departments(registry=registry, out=tmp_path, seed=1)
    assert set(out.files) == set(fd.FEEDS)
    assert all(p.exists() for p in out.files.values())
    raised = {r.flag_type.value for f in fd.FEEDS.values() for r in f.rules}
    assert set(out.planted) == raised
    assert min(out.planted.values()) >= 4


def test_some_planted_ids_are_damaged_fifteen_digit_or_bad_checksum(
    registry: Path, tmp_path: Path
) -> None:
    out = generate_departments(registry=registry, out=tmp_path, seed=2, damaged_share=0.5)
    truth = read_truth(out.truth).to_pylist()
    kinds = {r["damage"] for r in truth}
    assert {"id15", "checksum"} <= kinds
    assert all(check(r["id_number"]).valid for r in truth)  # the truth holds the real IDs
    shown = [
        v
        for path in out.files.values()
        for v in read_table(path).column(0).to_pylist()  # the ID is the first column
    ]
    assert any(len(str(s)) == 15 for s in shown)


def test_same_seed_same_files(registry: Path, tmp_path: Path) -> None:
    a = generate_departments(registry=registry, out=tmp_path / "a", seed=4)
    b = generate_departments(registry=registry, out=tmp_path / "b", seed=4)
    for code in fd.FEEDS:
        assert a.files[code].read_bytes() == b.files[code].read_bytes() or (
            pq.read_table(a.files[code]).equals(pq.read_table(b.files[code]))
        )
    assert a.truth.read_bytes() == b.truth.read_bytes()
