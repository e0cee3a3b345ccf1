"""Poverty and inequality indices (FGT, Watts, Sen, SST, Gini, Theil, Atkinson, GE, Hoover) and
the Alkire–Foster multidimensional poverty index, as pure column-wise definitions."""

from fupin.policy.indices._frame import (
    ALL,
    IndicesError,
    IndicesErrorCode,
    check_line,
    checks,
    frame,
    raise_for,
)
from fupin.policy.indices.inequality import (
    atkinson,
    generalised_entropy,
    gini,
    hoover,
    inequality_profile,
    mean,
    mld,
    needs_positive,
    theil_t,
)
from fupin.policy.indices.mpi import MpiError, MpiSpec
from fupin.policy.indices.poverty import (
    fgt,
    gap_total,
    headcount,
    poverty_profile,
    sen,
    sst,
    watts,
)

__all__ = [
    "ALL",
    "IndicesError",
    "IndicesErrorCode",
    "MpiError",
    "MpiSpec",
    "atkinson",
    "check_line",
    "checks",
    "fgt",
    "frame",
    "gap_total",
    "generalised_entropy",
    "gini",
    "headcount",
    "hoover",
    "inequality_profile",
    "mean",
    "mld",
    "needs_positive",
    "poverty_profile",
    "raise_for",
    "sen",
    "sst",
    "theil_t",
    "watts",
]
