"""Household procedures: identification, exit, decrease, return, monitoring, risk elimination."""
