"""Poverty and inequality indices (FGT, Watts, Sen, SST, Gini, Theil, Atkinson, GE, Hoover) and
the Alkire–Foster multidimensional poverty index, as pure column-wise definitions."""

from fupin.policy.indices.mpi import MpiError as MpiError
from fupin.policy.indices.mpi import MpiSpec as MpiSpec
