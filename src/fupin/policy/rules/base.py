"""Rules that explain themselves: one Ibis expression per rule, many engines.

A rule set turns four input tables (households, members, yearly income, living conditions)
into a *facts* table — one row per household with the figures the rules read — and each rule
is a boolean Ibis expression over those facts. The same expression is

* compiled to SQL for SQLite or PostgreSQL and run inside the database over a whole division,
* run by DuckDB over a columnar snapshot (Parquet) of the whole country, or
* run by DuckDB over one household's rows to explain that household in plain Chinese,

so the explanation a cadre reads and the statistics a county reports cannot disagree.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from fupin.policy.parameters import DEFAULT_PARAMETERS, ParameterSet, PovertyLine

# -- input tables ----------------------------------------------------------------------------

#: Logical input schemas. Adapters give tables with (at least) these columns.
HOUSEHOLD_SCHEMA: dict[str, str] = {
    "id": "int64",
    "village_id": "string",
    "standard": "string",
    "status": "string",
}
MEMBER_SCHEMA: dict[str, str] = {
    "household_id": "int64",
    "birth_date": "date",
    "school_status": "string",
    "school_exempt_physical": "boolean",
    "basic_medical": "boolean",
}
INCOME_SCHEMA: dict[str, str] = {
    "household_id": "int64",
    "year": "int64",
    "household_size": "int64",
    "net_income": "float64",
}
CONDITIONS_SCHEMA: dict[str, str] = {
    "household_id": "int64",
    "house_grade": "string",
    "food_secure": "boolean",
    "clothing_secure": "boolean",
    "water_safe": "boolean",
    "water_difficult": "boolean",
}
SCHEMAS: dict[str, dict[str, str]] = {
    "household": HOUSEHOLD_SCHEMA,
    "member": MEMBER_SCHEMA,
    "income": INCOME_SCHEMA,
    "conditions": CONDITIONS_SCHEMA,
}


@dataclass(frozen=True)
class Inputs:
    """The four input tables of a rule set, bound to any Ibis backend (or unbound)."""

    household: ir.Table
    member: ir.Table
    income: ir.Table
    conditions: ir.Table

    @classmethod
    def unbound(cls, names: Mapping[str, str]) -> Inputs:
        """Unbound tables with the logical schemas and the given physical names (for SQL)."""
        return cls(**{key: ibis.table(SCHEMAS[key], name=names[key]) for key in SCHEMAS})


@dataclass(frozen=True)
class Context:
    """What a rule evaluation depends on besides the facts: the year and the parameters."""

    year: int
    parameters: ParameterSet = DEFAULT_PARAMETERS

    @property
    def national_line(self) -> PovertyLine:
        return self.parameters.national_line(self.year)


# -- rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One requirement of a standard.

    ``expression`` returns a boolean Ibis value over the facts table (NULL counts as failed).
    ``passed``/``failed``/``missing`` are Chinese sentences formatted with the facts of one
    household (and ``year``, ``line``); ``missing`` is used when any of ``requires`` is NULL,
    that is, the fact was never recorded. ``remedy`` says what stands between the household
    and meeting the rule.
    """

    code: str
    title: str
    clause: str
    expression: Callable[[ir.Table, Context], ir.BooleanValue]
    requires: tuple[str, ...]
    passed: str
    failed: str
    remedy: str
    missing: str = "未采集{title}所需信息"


@dataclass(frozen=True)
class RuleSet:
    code: str
    version: str
    title: str
    clause: str
    facts: Callable[[Inputs, Context], ir.Table]
    rules: tuple[Rule, ...]

    @property
    def key(self) -> str:
        return f"{self.code}@{self.version}"

    def rule(self, code: str) -> Rule:
        for r in self.rules:
            if r.code == code:
                return r
        raise KeyError(code)

    def evaluate(self, inputs: Inputs, ctx: Context) -> ir.Table:
        """Return one row per household: the facts, ``ok_<code>`` per rule, and the verdict.

        ``failed_codes`` lists the failed rule codes joined by "|" in rule order.
        """
        facts = self.facts(inputs, ctx)
        oks = {
            f"ok_{r.code}": r.expression(facts, ctx).fill_null(False).name(f"ok_{r.code}")
            for r in self.rules
        }
        with_oks = facts.mutate(**oks)
        meets = ibis.literal(True)
        failed: ir.StringValue = ibis.literal("")
        for r in self.rules:
            ok = with_oks[f"ok_{r.code}"]
            meets = meets & ok
            failed = failed + ibis.ifelse(ok, "", f"|{r.code}")
        return with_oks.mutate(
            meets_standard=meets,
            # drop the leading "|" (substr is 0-based in Ibis)
            failed_codes=failed.substr(1),
        )


# -- explanation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleOutcome:
    code: str
    title: str
    clause: str
    passed: bool
    recorded: bool
    text: str
    remedy: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "clause": self.clause,
            "passed": self.passed,
            "recorded": self.recorded,
            "text": self.text,
            "remedy": self.remedy,
        }


@dataclass(frozen=True)
class Explanation:
    rule_set: str
    year: int
    meets_standard: bool
    facts: Mapping[str, Any]
    outcomes: tuple[RuleOutcome, ...]
    line: PovertyLine
    summary: str
    failed_codes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_set": self.rule_set,
            "year": self.year,
            "meets_standard": self.meets_standard,
            "failed_codes": list(self.failed_codes),
            "poverty_line": {
                "amount": str(self.line.amount),
                "standard": self.line.standard.value,
                "region": self.line.region,
                "verification": self.line.verification.value,
                "source": self.line.source,
            },
            "facts": {k: _jsonable(v) for k, v in self.facts.items()},
            "rules": [o.as_dict() for o in self.outcomes],
            "summary": self.summary,
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _fmt_money(value: Any) -> str:
    if value is None:
        return "—"
    return f"{float(value):,.2f}"


class _FormatFacts(dict[str, Any]):
    """Facts for ``str.format``: money as ``1,234.50``; unknown names raise KeyError."""

    MONEY = frozenset({"net_income", "per_capita_net_income", "poverty_line", "income_gap"})

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        if key in self.MONEY:
            return _fmt_money(value)
        return value


_local = threading.local()


def _duckdb() -> Any:
    """A per-thread in-memory DuckDB connection used to evaluate single households."""
    con = getattr(_local, "con", None)
    if con is None:
        con = ibis.duckdb.connect()
        _local.con = con
    return con


def _memtable(rows: Sequence[Mapping[str, Any]], schema: Mapping[str, str]) -> ir.Table:
    arrow_schema = ibis.schema(dict(schema)).to_pyarrow()
    columns = {name: [row.get(name) for row in rows] for name in schema}
    return ibis.memtable(pa.table(columns, schema=arrow_schema))


def explain(
    rule_set: RuleSet,
    ctx: Context,
    *,
    household: Mapping[str, Any],
    members: Sequence[Mapping[str, Any]],
    income: Mapping[str, Any] | None,
    conditions: Mapping[str, Any] | None,
) -> Explanation:
    """Evaluate one household with the rule set's own expressions and say why, in Chinese."""
    hid = household["id"]
    inputs = Inputs(
        household=_memtable([household], HOUSEHOLD_SCHEMA),
        member=_memtable([{**m, "household_id": hid} for m in members], MEMBER_SCHEMA),
        income=_memtable([{**income, "household_id": hid}] if income else [], INCOME_SCHEMA),
        conditions=_memtable(
            [{**conditions, "household_id": hid}] if conditions else [], CONDITIONS_SCHEMA
        ),
    )
    table = _duckdb().to_pyarrow(rule_set.evaluate(inputs, ctx))
    row: dict[str, Any] = table.to_pylist()[0]
    line = ctx.parameters.line_for(
        ctx.year, str(household["standard"]), str(household["village_id"])
    )
    values = _FormatFacts(row)
    values.update(year=ctx.year, line_source=line.source)
    outcomes = []
    for r in rule_set.rules:
        ok = bool(row[f"ok_{r.code}"])
        recorded = all(row.get(name) is not None for name in r.requires)
        if ok:
            text = r.passed.format_map(values)
        elif not recorded:
            text = r.missing.format_map({**values, "title": r.title})
        else:
            text = r.failed.format_map(values)
        remedy = None if ok else r.remedy.format_map(values)
        outcomes.append(RuleOutcome(r.code, r.title, r.clause, ok, recorded, text, remedy))
    meets = bool(row["meets_standard"])
    failed = tuple(o.code for o in outcomes if not o.passed)
    if meets:
        summary = f"{ctx.year} 年该户达到脱贫标准：{len(outcomes)} 项要求全部满足。"
    else:
        titles = "、".join(o.title for o in outcomes if not o.passed)
        summary = (
            f"{ctx.year} 年该户未达到脱贫标准：{len(failed)} 项要求未满足（{titles}）。"
            "脱贫前需要：" + "；".join(o.remedy or "" for o in outcomes if not o.passed) + "。"
        )
    facts = {k: v for k, v in row.items() if not k.startswith("ok_")}
    return Explanation(rule_set.key, ctx.year, meets, facts, tuple(outcomes), line, summary, failed)
