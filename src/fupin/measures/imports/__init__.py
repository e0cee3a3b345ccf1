"""Import measures, pairings and visits from Excel or CSV: every row checked, all rows or none.

The steps of an import job (ARCHITECTURE.md, house style 10), as the household import:
read the file (python-calamine for Excel, Arrow for CSV), judge every row with the rules of
the single-record services (:mod:`fupin.measures.services`), report every bad row with its
row number, column, stable code and a Chinese message, and only when no row is bad write
everything in one transaction, in bulk. Re-importing a file changes nothing:

* a measure is keyed by (household, category, sub-type, start, member): a stored measure with
  that key is updated (only the columns the file has), an unchanged one is left alone;
* a pairing by (household, order): the same cadre again is no change; another cadre ends the
  current pairing the day before, as ``pairing_assign`` does; cadres are matched by (county,
  name, unit) and registered when missing; the per-cadre quota gives warnings, not errors;
* a visit by (household, cadre, date).

Measures go through ``services.measure_parse`` once per distinct cells of each group of
dependent columns (category + sub-type, start + year, every other column alone) and through
the rules of ``services.measure_problems`` — ``pm.check`` itself, memoised on the facts it
reads (:mod:`.rules`) — on household contexts read with a raw cursor. Visits — the largest
files, millions of rows — are checked set-based in DuckDB with the rules of
``services.visit_record``.

The package: :mod:`.common` (columns, reading, errors, chunks, the households of a file),
:mod:`.measures`, :mod:`.rules`, :mod:`.pairings`, :mod:`.visits`, :mod:`.templates`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fupin.common.errors import FupinError
from fupin.measures import services
from fupin.measures.imports.common import (
    COLUMNS,
    KINDS,
    MEASURE_COLUMNS,
    PAIRING_COLUMNS,
    TITLES,
    VISIT_COLUMNS,
    Column,
    Kind,
    MeasuresImportReport,
    heading_of,
)
from fupin.measures.imports.measures import (
    _INSERT_FIELDS,
    _MEASURE_DB_COLUMNS,
    measures_import_file,
)
from fupin.measures.imports.pairings import pairings_import_file
from fupin.measures.imports.templates import measures_template_workbook
from fupin.measures.imports.visits import _VISIT_DB_COLUMNS, visits_import_file

# --- entry points ---------------------------------------------------------------------------

IMPORTERS = {
    "measures": measures_import_file,
    "pairings": pairings_import_file,
    "visits": visits_import_file,
}


def measures_import(
    *,
    kind: Kind,
    path: Path,
    by: services.Actor = None,
    dry_run: bool = False,
    file_name: str = "",
    today: date | None = None,
) -> MeasuresImportReport:
    """Import a file of ``kind`` (measures, pairings or visits): every row, or nothing."""
    if kind not in IMPORTERS:
        raise FupinError("IMPORT_KIND_UNKNOWN", f"导入类型“{kind}”无效：可选 {'、'.join(KINDS)}")
    return IMPORTERS[kind](path=path, by=by, dry_run=dry_run, file_name=file_name, today=today)


__all__ = [
    "COLUMNS",
    "IMPORTERS",
    "KINDS",
    "MEASURE_COLUMNS",
    "PAIRING_COLUMNS",
    "TITLES",
    "VISIT_COLUMNS",
    "_INSERT_FIELDS",
    "_MEASURE_DB_COLUMNS",
    "_VISIT_DB_COLUMNS",
    "Column",
    "Kind",
    "MeasuresImportReport",
    "heading_of",
    "measures_import",
    "measures_import_file",
    "measures_template_workbook",
    "pairings_import_file",
    "visits_import_file",
]
