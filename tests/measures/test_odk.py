"""Importing the submissions that ODK Central and KoboToolbox export: visits through the visit
rules, household surveys onto living conditions and members; all rows or none, every bad row
reported with its row, column and a stable code, and a re-import skips what came in before.

The sample exports are written here, in each server's own column naming."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from fupin.common.models import AuditEvent
from fupin.measures.models import Pairing, Visit
from fupin.measures.odk import households_import, submissions_import, visits_import
from fupin.measures.services import cadre_create
from fupin.registry.models import Household, LivingConditions, Member

CENTRAL_META = ["SubmissionDate", "start", "end"]
CENTRAL_TAIL = [
    "meta-instanceID",
    "KEY",
    "SubmitterID",
    "SubmitterName",
    "AttachmentsPresent",
    "AttachmentsExpected",
    "Status",
    "ReviewState",
    "DeviceID",
    "Edits",
    "FormVersion",
]
VISIT_FIELDS = [
    "household",
    "cadre",
    "date",
    "minutes",
    "content",
    "measures",
    "measure_subtypes",
    "next_step",
    "photo",
]
UUIDS = [f"uuid:{i:08d}-aaaa-4bbb-8ccc-{i:012d}" for i in range(20)]


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]], sep=",") -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep)
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8-sig" if sep == "," else "utf-8")
    return path


def central_visits(path: Path, visits: Sequence[dict[str, object]]) -> Path:
    """A visit-log export as ODK Central writes it: ``-`` between group and question."""
    header = [
        *CENTRAL_META,
        *(f"visit-{f}" for f in VISIT_FIELDS),
        *(f"visit-location-{p}" for p in ("Latitude", "Longitude", "Altitude", "Accuracy")),
        *CENTRAL_TAIL,
    ]
    rows = []
    for i, v in enumerate(visits):
        key = str(v.get("key", UUIDS[i]))
        rows.append(
            [
                "2024-05-03T08:12:34.567Z",
                "2024-05-03T08:00:00.000+08:00",
                "2024-05-03T08:10:00.000+08:00",
                *(v.get(f, "") for f in VISIT_FIELDS),
                *(v.get("lat", "28.01"), v.get("lon", "102.84"), "2100", "5"),
                key,
                key,
                "3",
                "李明",
                "1",
                "1",
                "",
                v.get("review", "received"),
                "collect:abc",
                "0",
                "1.abc",
            ]
        )
    return write_csv(path, header, rows)


def kobo_visits(path: Path, visits: Sequence[dict[str, object]]) -> Path:
    """The same as KoboToolbox writes it: ``/`` between groups, ``;`` between fields."""
    header = [
        "start",
        "end",
        *(f"visit/{f}" for f in VISIT_FIELDS),
        "visit/photo_URL",
        "visit/measures/industry",
        "visit/location",
        "_visit/location_latitude",
        "_visit/location_longitude",
        "__version__",
        "_id",
        "_uuid",
        "_submission_time",
        "_validation_status",
        "_index",
    ]
    rows = []
    for i, v in enumerate(visits):
        rows.append(
            [
                "2024-05-03T08:00:00.000+08:00",
                "2024-05-03T08:10:00.000+08:00",
                *(v.get(f, "") for f in VISIT_FIELDS),
                "",
                "0",
                "28.01 102.84 2100 5",
                "28.01",
                "102.84",
                "vabc",
                str(100 + i),
                str(v.get("key", UUIDS[i].removeprefix("uuid:"))),
                "2024-05-03T08:12:34",
                v.get("review", ""),
                str(i + 1),
            ]
        )
    return write_csv(path, header, rows, sep=";")


def visit(pairing: Pairing, **extra: object) -> dict[str, object]:
    return {
        "household": pairing.household.code,
        "cadre": str(pairing.cadre_id),
        "date": "2024-05-03",
        "minutes": "40",
        "content": "了解春耕情况",
        "next_step": "联系农技员",
        **extra,
    }


def codes_of(report) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.code) for e in report.errors]


# -- visits ---------------------------------------------------------------------------------------


def test_an_odk_central_export_records_each_visit_once(pairing: Pairing, tmp_path: Path) -> None:
    path = central_visits(
        tmp_path / "fupin_visit.csv",
        [
            visit(pairing, measures="industry health", measure_subtypes="industry.breeding"),
            visit(pairing, date="2024-06-01", minutes=""),
        ],
    )
    report = visits_import(path=path)
    assert report.ok and report.stored, report.errors
    assert report.server == "ODK Central" and report.imported == 2
    assert report.unknown_columns == []
    visits = list(Visit.objects.order_by("date"))
    assert [v.submission for v in visits] == UUIDS[:2]
    assert visits[0].content == "了解春耕情况；本次措施：产业扶贫（养殖业）、健康扶贫"
    assert visits[0].minutes == 40 and visits[1].minutes is None
    assert visits[0].source == "import" and visits[0].next_step == "联系农技员"
    # The geopoint is stored on the visit (6 decimals) and kept with the import's audit event.
    assert (visits[0].latitude, visits[0].longitude) == (Decimal("28.01"), Decimal("102.84"))
    event = AuditEvent.objects.get(obj_type="form_submission", obj_key=UUIDS[0])
    assert event.after["location"] == {"lat": 28.01, "lon": 102.84}

    again = visits_import(path=path)
    assert again.ok and again.skipped == 2 and again.imported == 0
    assert Visit.objects.count() == 2


def test_a_kobo_export_with_semicolons_and_a_cadre_s_name(pairing: Pairing, tmp_path: Path) -> None:
    path = kobo_visits(tmp_path / "kobo.csv", [visit(pairing, cadre=pairing.cadre.name)])
    report = visits_import(path=path)
    assert report.ok and report.stored, report.errors
    assert report.server == "KoboToolbox"
    v = Visit.objects.get()
    assert v.cadre_id == pairing.cadre_id
    assert v.submission == UUIDS[0]  # Kobo's _uuid carries no "uuid:" prefix
    # The same submission exported by the other server is the same submission.
    assert visits_import(path=central_visits(tmp_path / "c.csv", [visit(pairing)])).skipped == 1


def test_every_bad_row_is_reported_and_nothing_is_stored(
    pairing: Pairing, poor_household: Household, tmp_path: Path
) -> None:
    other = cadre_create(county_code="513431", name="王芳", unit="昭觉县教育局", by=None)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    path = central_visits(
        tmp_path / "v.csv",
        [
            visit(pairing),  # row 2 is fine
            visit(pairing, date=tomorrow),  # 3
            visit(pairing, date="2019-12-31"),  # 4: before the pairing of 2020-01-01
            visit(pairing, household="513431999999-000001"),  # 5
            visit(pairing, cadre="999999"),  # 6
            visit(pairing, measures="industry magic"),  # 7
            visit(pairing, cadre=str(other.pk)),  # 8
            visit(pairing, cadre="王芳"),  # 9
            visit(pairing, content="", date="3 May"),  # 10
            visit(pairing, cadre="张三"),  # 11
            visit(pairing, minutes="2000"),  # 12
        ],
    )
    report = visits_import(path=path)
    assert not report.ok and not report.stored
    assert codes_of(report) == [
        (3, "visit-date", "VISIT_DATE_FUTURE"),
        (4, "visit-date", "VISIT_BEFORE_PAIRING"),
        (5, "visit-household", "MEASURES_UNKNOWN_HOUSEHOLD"),
        (6, "visit-cadre", "MEASURES_UNKNOWN_CADRE"),
        (7, "visit-measures", "ODK_UNKNOWN_CHOICE"),
        (8, "visit-cadre", "VISIT_NOT_PAIRED"),
        (9, "visit-cadre", "VISIT_NOT_PAIRED"),
        (10, "visit-date", "ODK_BAD_DATE"),
        (10, "visit-content", "ODK_REQUIRED"),
        (11, "visit-cadre", "MEASURES_UNKNOWN_CADRE"),
        (12, "visit-minutes", "ODK_BAD_NUMBER"),
    ]
    unknown = next(e for e in report.errors if e.code == "ODK_UNKNOWN_CHOICE")
    assert unknown.value == "magic" and "第 7 行" in unknown.message
    assert "帮扶措施类别" in unknown.message
    assert not Visit.objects.exists()
    assert not AuditEvent.objects.filter(obj_type="form_submission").exists()


def test_a_dry_run_checks_without_writing(pairing: Pairing, tmp_path: Path) -> None:
    path = central_visits(tmp_path / "v.csv", [visit(pairing)])
    report = visits_import(path=path, dry_run=True)
    assert report.ok and report.imported == 1 and not report.stored
    assert not Visit.objects.exists()


def test_rejected_and_repeated_submissions(pairing: Pairing, tmp_path: Path) -> None:
    path = central_visits(
        tmp_path / "v.csv",
        [
            visit(pairing, review="rejected"),
            visit(pairing, key=UUIDS[5]),
            visit(pairing, key=UUIDS[5]),
        ],
    )
    report = visits_import(path=path)
    assert report.rejected == 1
    assert codes_of(report) == [(4, "KEY", "ODK_DUPLICATE_SUBMISSION")]
    assert not Visit.objects.exists()


def test_a_file_without_the_questions_is_refused_whole(pairing: Pairing, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", ["KEY", "household", "note"], [[UUIDS[0], "x", "y"]])
    report = visits_import(path=path)
    assert {(e.row, e.column, e.code) for e in report.errors} == {
        (1, "cadre", "ODK_MISSING_COLUMN"),
        (1, "date", "ODK_MISSING_COLUMN"),
        (1, "content", "ODK_MISSING_COLUMN"),
    }
    assert report.unknown_columns == ["note"]


def test_the_central_zip_export_brings_the_photos(pairing: Pairing, tmp_path: Path) -> None:
    csv_path = central_visits(tmp_path / "fupin_visit.csv", [visit(pairing, photo="1714.jpg")])
    archive = tmp_path / "fupin_visit.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(csv_path, "fupin_visit.csv")
        z.writestr("media/1714.jpg", b"\xff\xd8\xff\xe0 not really a jpeg")
    report = submissions_import(kind="visit", path=archive)
    assert report.ok and report.stored and report.photos == 1, report.errors
    v = Visit.objects.get()
    assert v.photo.name.endswith(".jpg") and v.photo.read().startswith(b"\xff\xd8")


def test_a_photo_named_but_absent_from_the_media_folder(pairing: Pairing, tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    path = central_visits(tmp_path / "v.csv", [visit(pairing, photo="gone.jpg")])
    report = visits_import(path=path, media=media)
    assert codes_of(report) == [(2, "visit-photo", "ODK_PHOTO_MISSING")]
    # Without a media folder the visit is stored and the photo counted as not provided.
    report = visits_import(path=path)
    assert report.stored and report.photos_missing == 1


def test_an_unreadable_file_is_a_refusal(tmp_path: Path, db: None) -> None:
    from fupin.common.errors import FupinError

    with pytest.raises(FupinError) as exc:
        visits_import(path=tmp_path / "none.csv")
    assert exc.value.code == "ODK_FILE_MISSING"
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(FupinError) as exc:
        visits_import(path=tmp_path / "empty.csv")
    assert exc.value.code == "ODK_FILE_EMPTY"


# -- household surveys ----------------------------------------------------------------------------

CONDITIONS = [
    "house_grade",
    "water_safe",
    "water_difficult",
    "road_type",
    "sanitary_toilet",
    "fuel",
]
MEMBER_FIELDS = ["name", "id_number", "health", "labour_capacity", "school_status", "migrant_work"]


def central_survey(
    tmp_path: Path, households: Sequence[dict[str, str]], members: Sequence[dict[str, str]]
) -> tuple[Path, Path]:
    main = write_csv(
        tmp_path / "fupin_household.csv",
        ["SubmissionDate", "household-code", *(f"conditions-{c}" for c in CONDITIONS), "KEY"],
        [
            ["2024-05-03T08:12:34Z", h["code"], *(h.get(c, "") for c in CONDITIONS), h["key"]]
            for h in households
        ],
    )
    repeat = write_csv(
        tmp_path / "fupin_household-members.csv",
        [*(f"members-{f}" for f in MEMBER_FIELDS), "members-migrant_months", "PARENT_KEY", "KEY"],
        [
            [
                *(m.get(f, "") for f in MEMBER_FIELDS),
                m.get("months", ""),
                m["parent"],
                f"{m['parent']}/members[{i + 1}]",
            ]
            for i, m in enumerate(members)
        ],
    )
    return main, repeat


def test_a_survey_updates_living_conditions_and_members(
    poor_household: Household, head: Member, tmp_path: Path
) -> None:
    Member.objects.filter(pk=head.pk).update(source="manual")  # typed by hand at registration
    main, repeat = central_survey(
        tmp_path,
        [
            {
                "code": poor_household.code,
                "key": UUIDS[0],
                "house_grade": "D",
                "water_safe": "no",
                "water_difficult": "yes",
                "road_type": "gravel",
                "sanitary_toilet": "no",
                "fuel": "firewood",
            }
        ],
        [
            {
                "parent": UUIDS[0],
                "name": head.name,
                "id_number": head.id_number,
                "health": "chronic",
                "labour_capacity": "weak",
                "migrant_work": "none",
            }
        ],
    )
    report = households_import(path=main, members=repeat)
    assert report.ok and report.stored, report.errors
    assert report.imported == 1 and report.members == 1 and report.members_updated == 1
    c = LivingConditions.objects.get(household=poor_household)
    assert (c.house_grade, c.water_safe, c.water_difficult) == ("D", False, True)
    assert (c.road_type, c.sanitary_toilet, c.fuel) == ("gravel", False, "firewood")
    m = Member.objects.get(pk=head.pk)
    assert (m.health, m.labour_capacity, m.migrant_work, m.migrant_months) == (
        "chronic",
        "weak",
        "none",
        0,
    )
    assert m.field_sources.get("health") == "import"
    assert AuditEvent.objects.filter(action="member.update", obj_key=poor_household.code).exists()

    again = households_import(path=main, members=repeat)
    assert again.ok and again.skipped == 1 and again.imported == 0


def test_a_bad_survey_stores_nothing(
    poor_household: Household, head: Member, tmp_path: Path
) -> None:
    before = LivingConditions.objects.filter(household=poor_household).values().first()
    main, repeat = central_survey(
        tmp_path,
        [
            {"code": poor_household.code, "key": UUIDS[0], "house_grade": "D"},  # row 2 is fine
            {"code": poor_household.code, "key": UUIDS[1], "fuel": "uranium"},  # 3
            {"code": "513431999999-000001", "key": UUIDS[2]},  # 4
        ],
        [
            {"parent": UUIDS[0], "name": head.name, "id_number": head.id_number, "health": "ok?"},
            {"parent": UUIDS[0], "name": "无名", "id_number": head.id_number},
            {"parent": UUIDS[0], "name": "外人", "id_number": "11010119900307803X"},
            {"parent": UUIDS[9], "name": "外人", "id_number": "11010119900307803X"},
        ],
    )
    report = households_import(path=main, members=repeat)
    assert not report.stored
    got = [(e.file, e.row, e.column, e.code) for e in report.errors]
    assert got == [
        ("fupin_household.csv", 3, "conditions-fuel", "ODK_UNKNOWN_CHOICE"),
        ("fupin_household.csv", 4, "household-code", "HOUSEHOLD_NOT_FOUND"),
        ("fupin_household-members.csv", 2, "members-health", "ODK_UNKNOWN_CHOICE"),
        ("fupin_household-members.csv", 3, "members-name", "ODK_MEMBER_NAME_MISMATCH"),
        ("fupin_household-members.csv", 4, "members-id_number", "ODK_UNKNOWN_MEMBER"),
        ("fupin_household-members.csv", 5, "KEY", "ODK_ORPHAN_MEMBER"),
    ]
    # The ID number is masked in the report.
    unknown = next(e for e in report.errors if e.code == "ODK_UNKNOWN_MEMBER")
    assert "11010119900307803X" not in unknown.message and unknown.value == "110101********803X"
    assert LivingConditions.objects.filter(household=poor_household).values().first() == before
    assert Member.objects.get(pk=head.pk).health == head.health


def test_a_kobo_survey_links_members_by_the_submission_uuid(
    poor_household: Household, head: Member, tmp_path: Path
) -> None:
    uuid = UUIDS[3].removeprefix("uuid:")
    main = write_csv(
        tmp_path / "kobo.csv",
        ["household/code", "conditions/house_grade", "conditions/water_safe", "_uuid", "_index"],
        [[poor_household.code, "C级", "是", uuid, "1"]],  # labels are read as well as codes
        sep=";",
    )
    repeat = write_csv(
        tmp_path / "members.csv",
        [
            "members/name",
            "members/id_number",
            "members/school_status",
            "_parent_index",
            "_submission__uuid",
        ],
        [[head.name, head.id_number, "not_in_school", "1", uuid]],
    )
    report = households_import(path=main, members=repeat)
    assert report.ok and report.stored, report.errors
    c = LivingConditions.objects.get(household=poor_household)
    assert (c.house_grade, c.water_safe) == ("C", True)
    assert report.members == 1


def test_the_survey_checks_the_right_to_edit(poor_household: Household, tmp_path: Path) -> None:
    from django.contrib.auth import get_user_model

    from fupin.accounts.models import Profile, Role
    from fupin.divisions.models import Division

    elsewhere = Division.objects.filter(level=5).exclude(code=poor_household.village_id).first()
    assert elsewhere is not None
    outsider = get_user_model().objects.create_user(username="other")
    Profile.objects.create(user=outsider, role=Role.VILLAGE_CADRE, division=elsewhere)
    main, _ = central_survey(
        tmp_path, [{"code": poor_household.code, "key": UUIDS[0], "house_grade": "D"}], []
    )
    report = households_import(path=main, by=outsider)
    assert codes_of(report) == [(2, "household-code", "PERMISSION_DENIED")]


def test_unknown_kind_is_refused(db: None, tmp_path: Path) -> None:
    from fupin.common.errors import FupinError

    with pytest.raises(FupinError) as exc:
        submissions_import(kind="loan", path=tmp_path / "x.csv")
    assert exc.value.code == "ODK_FORM_UNKNOWN"
