"""Data-quality notes on a record: what is not recorded or implausible, never a refusal.

Issue 14: a resident ID with a valid check character and a real date is a valid number (GB
11643); an implausible age — born after the record's year, or older than
:data:`MAX_PLAUSIBLE_AGE` in it — is a warning on the record for the village to verify. A blank
危房级别 or a blank 在校生状况 of a school-age member is a data gap: it stays not recorded and
fails its guarantee as such (fupin.policy.rules.household_2016). Codes are stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from fupin.policy.parameters import DEFAULT_PARAMETERS, ParameterSet

#: Older than this in the record's year is implausible (a warning, not a refusal).
MAX_PLAUSIBLE_AGE = 120


class NoteCode(StrEnum):
    AGE_IMPLAUSIBLE = "AGE_IMPLAUSIBLE"
    HOUSE_GRADE_NOT_RECORDED = "HOUSE_GRADE_NOT_RECORDED"
    SCHOOL_STATUS_NOT_RECORDED = "SCHOOL_STATUS_NOT_RECORDED"


#: Short Chinese label per note, for counts and headings.
LABELS: dict[NoteCode, str] = {
    NoteCode.AGE_IMPLAUSIBLE: "年龄不合常理（请核实身份号码）",
    NoteCode.HOUSE_GRADE_NOT_RECORDED: "未记录危房级别",
    NoteCode.SCHOOL_STATUS_NOT_RECORDED: "适龄人员未记录在校生状况",
}


@dataclass(frozen=True)
class Note:
    """One warning on a record: ``code`` is stable, ``message`` in Chinese; ``subject`` names
    the member (or is empty for the household)."""

    code: NoteCode
    message: str
    subject: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code.value, "message": self.message, "subject": self.subject}


def age_implausible(birth: date, year: int) -> bool:
    """Born after ``year``, or older than :data:`MAX_PLAUSIBLE_AGE` in it (by birth year)."""
    return birth.year > year or year - birth.year > MAX_PLAUSIBLE_AGE


def age_note(birth: date, year: int, *, name: str = "") -> Note | None:
    """The warning for an implausible age in the record's year, or None."""
    if not age_implausible(birth, year):
        return None
    if birth.year > year:
        text = f"出生于 {birth.year} 年，晚于记录年度 {year} 年"
    else:
        text = f"{year} 年已 {year - birth.year} 岁，超过 {MAX_PLAUSIBLE_AGE} 岁"
    return Note(NoteCode.AGE_IMPLAUSIBLE, f"{text}：请核实身份号码中的出生日期", name)


def school_age(birth: date, year: int, parameters: ParameterSet = DEFAULT_PARAMETERS) -> bool:
    """Of compulsory-education age on the parameters' reference day of ``year`` (the rule's
    band: born after ref − (max+1) years and on or before ref − min years)."""
    p = parameters
    ref = (p.age_reference_month, p.age_reference_day)
    return date(year - p.school_age_max - 1, *ref) < birth <= date(year - p.school_age_min, *ref)


def household_notes(
    *,
    house_grade: str | None,
    members: list[tuple[str, date, str]],
    year: int,
    parameters: ParameterSet = DEFAULT_PARAMETERS,
) -> list[Note]:
    """The notes of one household: ``members`` as (name, birth date, school status)."""
    notes: list[Note] = []
    if not (house_grade or "").strip():
        notes.append(
            Note(
                NoteCode.HOUSE_GRADE_NOT_RECORDED,
                "危房级别未记录：住房安全有保障无法判断，按未达标计，请入户核实后登记",
            )
        )
    for name, birth, status in members:
        if not (status or "").strip() and school_age(birth, year, parameters):
            notes.append(
                Note(
                    NoteCode.SCHOOL_STATUS_NOT_RECORDED,
                    "义务教育阶段适龄，但在校生状况未记录：义务教育有保障无法判断",
                    name,
                )
            )
        note = age_note(birth, year, name=name)
        if note is not None:
            notes.append(note)
    return notes
