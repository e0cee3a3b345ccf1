"""Issue 14, "Clauses": an implausible age is a warning on the record, not an invalid number.

GB 11643-1999 §6.3: any real calendar date is a valid birth-date code. A member born after the
record's year, or older than 120 in it, is imported (the number is valid) and gets the
data-quality note AGE_IMPLAUSIBLE; a blank 危房级别 / 在校生状况 of a school-age member is a
data gap with its own code.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fupin.policy.data_quality import NoteCode, age_note, household_notes
from fupin.registry.imports.services import registry_import_file
from fupin.registry.models import Member
from tests.registry import flatfiles


def test_implausible_ages_are_imported(divisions, rows, tmp_path: Path):
    """Formerly refused as AGE_IMPOSSIBLE: born 1899 (123 in 2022) and born after 2020."""
    old = flatfiles.make_id("1899-01-01", 91)
    rows[8]["id_number"] = old
    for row in rows:
        if row["household_code"] == rows[8]["household_code"]:
            row["income_year"] = "2022"
    young = flatfiles.make_id("2021-06-01", 41)
    rows[3]["id_number"] = young
    result = registry_import_file(path=flatfiles.write_csv(rows, tmp_path / "r.csv"))
    assert result.ok, result.errors[:3]
    assert Member.objects.get(id_number=old).birth_date == date(1899, 1, 1)
    assert Member.objects.filter(id_number=young).exists()


def test_age_notes_carry_their_code():
    note = age_note(date(1899, 1, 1), 2022, name="老人")
    assert note is not None and note.code == NoteCode.AGE_IMPLAUSIBLE
    assert "123 岁" in note.message and note.subject == "老人"
    assert age_note(date(2021, 6, 1), 2020) is not None
    assert age_note(date(1902, 1, 1), 2022) is None  # exactly 120: plausible


def test_household_notes_name_the_data_gaps():
    notes = household_notes(
        house_grade="",
        members=[("户主", date(1970, 1, 1), "not_in_school"), ("孩子", date(2008, 3, 1), "")],
        year=2016,
    )
    assert [n.code for n in notes] == [
        NoteCode.HOUSE_GRADE_NOT_RECORDED,
        NoteCode.SCHOOL_STATUS_NOT_RECORDED,
    ]
    assert notes[1].subject == "孩子"
    assert household_notes(house_grade="safe", members=[], year=2016) == []
