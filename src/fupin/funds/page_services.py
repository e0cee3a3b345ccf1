"""Writes behind the funds pages (issue 10, item 7): the next free project code, and the
factor-method allocations recorded all at once (因素法测算结果下达).

They call the services of :mod:`fupin.funds.services`, which check the right, the scope and
the balance and audit each row; here only what the pages add: a generated code and one
transaction around several allocations, so a refusal of any stores none.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import transaction

from fupin.common.errors import FupinError
from fupin.funds.models import FundAllocation, Project
from fupin.funds.services import Actor, allocation_record
from fupin.policy import funds as pf


def project_code_next(division_code: str, year: int) -> str:
    """The next free project code of a division and year: ``<division>-<year>-<serial>``, the
    serial three digits (001, 002 …) after the largest one taken (one statement)."""
    prefix = f"{division_code}-{year}-"
    taken = Project.objects.filter(code__startswith=prefix).values_list("code", flat=True)
    serials = [int(c[len(prefix) :]) for c in taken if c[len(prefix) :].isdigit()]
    return f"{prefix}{max(serials, default=0) + 1:03d}"


def allocations_record_by_factors(
    *,
    from_division: str,
    source: str,
    year: int,
    allocated_on: date,
    shares: Sequence[pf.Allocation],
    by: Actor,
    document_number: str = "",
    note: str = "",
) -> list[FundAllocation]:
    """Record one allocation per unit of a factor-method result, all or nothing: the first
    refusal (over the balance, a unit not below, no right) rolls back every row already
    written and is raised with the unit named in ``details["unit"]``. Units given nothing
    are skipped."""
    if not any(s.amount > 0 for s in shares):
        raise FupinError(pf.FundCode.NO_UNITS.value, "没有可下达的金额")
    recorded: list[FundAllocation] = []
    with transaction.atomic():
        for s in shares:
            if s.amount <= 0:
                continue
            try:
                recorded.append(
                    allocation_record(
                        source=source,
                        from_division=from_division,
                        to_division=s.unit,
                        year=year,
                        amount=s.amount,
                        allocated_on=allocated_on,
                        document_number=document_number,
                        note=note or "因素法测算",
                        by=by,
                    )
                )
            except FupinError as exc:
                raise FupinError(
                    exc.code,
                    f"{s.name or s.unit}：{exc.message}（全部未下达）",
                    {**exc.details, "unit": s.unit},
                ) from exc
    return recorded
