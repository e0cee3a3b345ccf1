"""Measure matching quality on synthetic department files (``fupin sharing generate``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from fupin.common.errors import FupinError
from fupin.policy import feeds as fd
from fupin.policy.idnumber import check_array
from fupin.sharing import evaluation
from fupin.sharing.models import Flag, MatchRun
from fupin.sharing.services import dataset_load, match_run


def load_directory(directory: Path, *, by: object | None = None) -> list[MatchRun]:
    """Load and match every file of a generated directory; return the runs."""
    manifest_path = directory / "manifest.json"
    if not manifest_path.exists():
        raise FupinError("FILE_NOT_FOUND", f"{directory} 中没有 manifest.json")
    manifest = json.loads(manifest_path.read_text())
    runs = []
    for code, name in manifest["files"].items():
        feed = fd.feed(code)
        ds = dataset_load(
            path=directory / name,
            feed=code,
            provider=feed.department,
            period=str(manifest.get("year", "")),
            legal_basis="合成测试数据",
            division_code=manifest.get("county", ""),
            by=by,  # type: ignore[arg-type]
        )
        runs.append(match_run(dataset=ds))
    return runs


def flagged_pairs(runs: list[MatchRun]) -> set[tuple[str, int]]:
    """(flag type, person key) of the runs' flags: the member's key, else the file's ID."""
    rows = list(
        Flag.objects.filter(run__in=runs).values_list("flag_type", "member__id_key", "id_number")
    )
    keys = check_array(np.array([r[2] for r in rows], dtype=object)).key
    return {(ft, int(mk) if mk else int(k)) for (ft, mk, _), k in zip(rows, keys, strict=True)}


def evaluate_directory(
    directory: Path,
) -> tuple[dict[str, evaluation.Score], evaluation.Score]:
    runs = load_directory(directory)
    truth = evaluation.truth_pairs(evaluation.read_truth(directory / "truth.csv"))
    kinds = [f.value for f in fd.FlagType if fd.feed_of(f) is not None]
    scores = evaluation.score(truth, flagged_pairs(runs), kinds)
    return scores, evaluation.summary(scores)
