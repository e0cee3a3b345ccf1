"""Versioned rule sets. Each version stays importable so stored results can be re-explained."""

from __future__ import annotations

from fupin.policy.rules.base import (
    Context,
    Explanation,
    Inputs,
    Rule,
    RuleOutcome,
    RuleSet,
    explain,
)
from fupin.policy.rules.household_2016 import HOUSEHOLD_STANDARD_2016

RULE_SETS: dict[str, RuleSet] = {rs.key: rs for rs in (HOUSEHOLD_STANDARD_2016,)}
#: The rule set used when none is named.
DEFAULT_RULE_SET = HOUSEHOLD_STANDARD_2016


def get_rule_set(key: str | None = None) -> RuleSet:
    """Return a rule set by ``code@version`` or ``code`` (latest version); default if None."""
    if key is None:
        return DEFAULT_RULE_SET
    if key in RULE_SETS:
        return RULE_SETS[key]
    versions = [rs for rs in RULE_SETS.values() if rs.code == key]
    if not versions:
        raise KeyError(key)
    return max(versions, key=lambda rs: rs.version)


__all__ = [
    "DEFAULT_RULE_SET",
    "RULE_SETS",
    "Context",
    "Explanation",
    "Inputs",
    "Rule",
    "RuleOutcome",
    "RuleSet",
    "explain",
    "get_rule_set",
]
