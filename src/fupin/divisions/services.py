"""Write divisions: load the packaged NBS 2023 codes into the database."""

from __future__ import annotations

import time

from django.db import transaction

from fupin.common.errors import FupinError
from fupin.divisions import source
from fupin.divisions.loader import LevelReport, LoadReport, Progress, load_levels
from fupin.divisions.selectors import UNKNOWN, validate_code

__all__ = ["LevelReport", "LoadReport", "Progress", "division_prefix_validate", "divisions_load"]


def division_prefix_validate(prefix: str | None) -> str | None:
    """Return the prefix without surrounding spaces, or None for all of China.

    Refuse (``DIVISION_UNKNOWN``) a prefix that is not 2, 4, 6, 9 or 12 digits or is not a
    code of the packaged NBS 2023 data.
    """
    if prefix is None:
        return None
    prefix = validate_code(prefix)
    if not source.code_exists(prefix):
        raise FupinError(
            UNKNOWN,
            f"未找到区划代码 {prefix}：2023 年统计用区划代码中没有这个代码",
            {"code": prefix, "reason": "not_in_data"},
        )
    return prefix


def divisions_load(*, prefix: str | None = None, progress: Progress | None = None) -> LoadReport:
    """Load all of China, or the subtree under ``prefix``, with the prefix's ancestors.

    ``prefix`` is a code of any level (``51`` a province, ``513431`` a county). Loading is
    idempotent: codes already present are kept (their name and parent corrected if the data
    differ) and only missing codes are added, so loading twice, or a county and then its
    province, leaves one row per code. Everything happens in one transaction. Refuse a prefix
    that is not a code of the data with ``DIVISION_UNKNOWN``.
    """
    started = time.perf_counter()
    prefix = division_prefix_validate(prefix)
    levels = source.read_subtree_levels(prefix)
    with transaction.atomic():
        reports = load_levels(levels, progress=progress)
    return LoadReport(prefix=prefix, levels=reports, seconds=time.perf_counter() - started)
