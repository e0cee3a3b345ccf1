"""Small generated registries shared by the synth tests."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from fupin.synth.generator import generate

ZHAOJUE = "513431"  # 昭觉县, 凉山州: Yi, large households
KANGBAO = "130723"  # 康保县, 河北: a deep-poverty county of the speech, old population


def registry(division: str, persons: int, seed: int = 11, **kw: Any) -> pa.Table:
    """The whole generated registry as one table."""
    return pa.Table.from_batches(
        list(generate(division=division, persons=persons, seed=seed, **kw))
    )
