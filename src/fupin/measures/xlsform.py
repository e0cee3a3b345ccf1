"""XLSForms (the ODK / KoboToolbox standard) for offline field collection: the visit log
(帮扶走访记录) and the household survey (入户调查), generated from the code lists.

A form is a list of ``Field``s inside groups; the same definition writes the workbook (the
``survey`` / ``choices`` / ``settings`` sheets of the XLSForm spec) and tells the importer of
submissions (``fupin.measures.odk``) which columns to read and which code list each select
answers from. Choices come from ``fupin.policy.codes`` and ``fupin.policy.measures`` only, and
the questions' Chinese labels from the models' ``verbose_name``, so a changed code list or
label changes the form (and its version) without anyone retyping it.

The generator needs only openpyxl; ``pyxform`` (a development dependency) is what the tests use
to convert the workbook to an XForm and prove it valid, as ODK Central and KoboToolbox do on
upload.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from django.db import models

from fupin.measures.models import Visit
from fupin.policy import codes
from fupin.policy import measures as pm
from fupin.policy.codes import CodeList
from fupin.registry.models import Household, LivingConditions, Member

Kind = Literal["visit", "household"]
KINDS: tuple[Kind, ...] = ("visit", "household")

ZH = "中文 (zh)"
EN = "English (en)"

#: The 户编号 the registry gives (``registry.selectors.household_code_next``):
#: the 12-digit village code, a hyphen and a 6-digit serial.
HOUSEHOLD_CODE_PATTERN = "^[0-9]{12}-[0-9]{6}$"
#: A second-generation ID number: 17 digits and a check digit or X.
ID_NUMBER_PATTERN = "^[0-9]{17}[0-9Xx]$"

#: Yes / no answers (the registry's booleans; ``TRUE_TEXT`` / ``FALSE_TEXT`` read them too).
YES_NO = CodeList("yes_no", "是否", (("yes", "是"), ("no", "否")))

SURVEY_COLUMNS = (
    "type",
    "name",
    f"label::{ZH}",
    f"label::{EN}",
    f"hint::{ZH}",
    f"hint::{EN}",
    "required",
    f"required_message::{ZH}",
    f"required_message::{EN}",
    "constraint",
    f"constraint_message::{ZH}",
    f"constraint_message::{EN}",
    "relevant",
    "choice_filter",
    "appearance",
    "default",
    "parameters",
)
#: ``category`` filters the measure sub-types by the categories chosen (``choice_filter``).
CHOICES_COLUMNS = ("list_name", "name", f"label::{ZH}", f"label::{EN}", "category")
SETTINGS_COLUMNS = ("form_title", "form_id", "version", "default_language", "instance_name")

FieldType = Literal[
    "text", "date", "integer", "decimal", "image", "geopoint", "select_one", "select_multiple"
]


@dataclass(frozen=True)
class Field:
    """One question. ``target`` is what the import fills (a model field name)."""

    name: str
    type: FieldType
    zh: str
    en: str
    code_list: CodeList | None = None
    required: bool = False
    constraint: str = ""
    constraint_zh: str = ""
    constraint_en: str = ""
    relevant: str = ""
    choice_filter: str = ""
    appearance: str = ""
    default: str = ""
    hint_zh: str = ""
    hint_en: str = ""
    parameters: str = ""
    target: str = ""

    @property
    def xlsform_type(self) -> str:
        if self.type in ("select_one", "select_multiple"):
            assert self.code_list is not None, self.name
            return f"{self.type} {self.code_list.name}"
        return self.type


@dataclass(frozen=True)
class Group:
    """A group of questions, or a repeat (one entry per member)."""

    name: str
    zh: str
    en: str
    children: tuple[Field, ...]
    repeat: bool = False
    relevant: str = ""


@dataclass(frozen=True)
class Form:
    kind: Kind
    form_id: str
    title_zh: str
    title_en: str
    groups: tuple[Group, ...]
    instance_name: str = ""
    #: Metadata questions ODK fills itself (start, end, deviceid …).
    meta: tuple[str, ...] = ("start", "end")

    def fields(self) -> Iterator[tuple[Group, Field]]:
        """Every question with its group."""
        for group in self.groups:
            for f in group.children:
                yield group, f

    def field(self, name: str) -> Field:
        for _, f in self.fields():
            if f.name == name:
                return f
        raise KeyError(name)

    def code_lists(self) -> list[CodeList]:
        """The code lists the selects answer from, in the order of first use."""
        seen: dict[str, CodeList] = {}
        for _, f in self.fields():
            if f.code_list is not None:
                seen.setdefault(f.code_list.name, f.code_list)
        return list(seen.values())

    # -- the three sheets -------------------------------------------------------------------------

    def survey_rows(self) -> list[dict[str, str]]:
        rows: list[dict[str, str]] = [{"type": m, "name": m} for m in self.meta]
        for group in self.groups:
            kind = "repeat" if group.repeat else "group"
            rows.append(
                {
                    "type": f"begin_{kind}",
                    "name": group.name,
                    f"label::{ZH}": group.zh,
                    f"label::{EN}": group.en,
                    "relevant": group.relevant,
                    "appearance": "" if group.repeat else "field-list",
                }
            )
            rows += [_question_row(f) for f in group.children]
            rows.append({"type": f"end_{kind}", "name": group.name})
        return [{k: v for k, v in row.items() if v} for row in rows]

    def choices_rows(self) -> list[dict[str, str]]:
        rows = []
        for code_list in self.code_lists():
            for code, label in code_list.items:
                row = {
                    "list_name": code_list.name,
                    "name": code,
                    f"label::{ZH}": label,
                    f"label::{EN}": english_label(code),
                }
                if code_list is pm.MEASURE_SUBTYPE:
                    row["category"] = code.split(".", 1)[0]
                rows.append(row)
        return rows

    def settings_row(self) -> dict[str, str]:
        return {
            "form_title": self.title_zh,
            "form_id": self.form_id,
            "version": self.version,
            "default_language": ZH,
            "instance_name": self.instance_name,
        }

    @property
    def version(self) -> str:
        """A version that changes whenever the questions or the code lists change.

        ODK Central refuses a new form definition with an old version string, and Collect
        replaces a form on the phone only when the version differs.
        """
        text = json.dumps([self.survey_rows(), self.choices_rows()], ensure_ascii=False)
        return "1." + hashlib.sha256(text.encode()).hexdigest()[:10]


def english_label(code: str) -> str:
    """An English label made from a stable code (``lack_land`` → "Lack land")."""
    text = code.replace("_", " ").replace(".", ": ")
    return text[:1].upper() + text[1:]


def _question_row(f: Field) -> dict[str, str]:
    row = {
        "type": f.xlsform_type,
        "name": f.name,
        f"label::{ZH}": f.zh,
        f"label::{EN}": f.en,
        f"hint::{ZH}": f.hint_zh,
        f"hint::{EN}": f.hint_en,
        "constraint": f.constraint,
        f"constraint_message::{ZH}": f.constraint_zh,
        f"constraint_message::{EN}": f.constraint_en,
        "relevant": f.relevant,
        "choice_filter": f.choice_filter,
        "appearance": f.appearance,
        "default": f.default,
        "parameters": f.parameters,
    }
    if f.required:
        row["required"] = "yes"
        row[f"required_message::{ZH}"] = f"请填写{f.zh}"
        row[f"required_message::{EN}"] = f"{f.en} is required"
    return row


def _label(model: type[models.Model], name: str) -> str:
    """The model field's Chinese verbose name: the one home of the label."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)  # a column, not a reverse relation
    return str(field.verbose_name)


def _household_code_field(name: str) -> Field:
    return Field(
        name,
        "text",
        _label(Household, "code"),
        "Household no.",
        required=True,
        constraint=f"regex(., '{HOUSEHOLD_CODE_PATTERN}')",
        constraint_zh="户编号为12位村代码、短横线和6位序号，如 513431100201-000012",
        constraint_en="12-digit village code, a hyphen and 6 digits, e.g. 513431100201-000012",
        hint_zh="见明白卡或户档案",
        hint_en="On the household's card",
        target="household_code",
    )


def _yes_no(model: type[models.Model], name: str, en: str) -> Field:
    return Field(name, "select_one", _label(model, name), en, YES_NO, target=name)


# -- the two forms --------------------------------------------------------------------------------


def build_visit_form() -> Form:
    """The visit log: one submission per visit of a 帮扶责任人 to a household."""
    visit = Group(
        "visit",
        "走访记录",
        "Visit",
        (
            _household_code_field("household"),
            Field(
                "cadre",
                "text",
                "帮扶责任人编号或姓名",
                "Cadre number or name",
                required=True,
                hint_zh="填编号最准确；填姓名须与结对登记一致",
                hint_en="The number is exact; a name must match the pairing",
                target="cadre",
            ),
            Field(
                "date",
                "date",
                _label(Visit, "date"),
                "Date of visit",
                required=True,
                constraint=". <= today()",
                constraint_zh="走访日期不能晚于今天",
                constraint_en="The date cannot be in the future",
                default="today()",
                target="date",
            ),
            Field(
                "minutes",
                "integer",
                _label(Visit, "minutes"),
                "Minutes",
                constraint=". > 0 and . <= 1440",
                constraint_zh="时长须在 1–1440 分钟之间",
                constraint_en="Between 1 and 1440 minutes",
                target="minutes",
            ),
            Field(
                "content",
                "text",
                _label(Visit, "content"),
                "What was done",
                required=True,
                appearance="multiline",
                constraint="string-length(.) <= 500",
                constraint_zh="帮扶内容不超过500字",
                constraint_en="At most 500 characters",
                target="content",
            ),
            Field(
                "measures",
                "select_multiple",
                "本次落实的帮扶措施",
                "Measures taken this visit",
                pm.MEASURE_CATEGORY,
                hint_zh="可多选，可不选",
                hint_en="Any number, or none",
                target="measures",
            ),
            Field(
                "measure_subtypes",
                "select_multiple",
                "措施子类",
                "Kinds of measure",
                pm.MEASURE_SUBTYPE,
                relevant="${measures} != ''",
                choice_filter="selected(${measures}, category)",
                target="measure_subtypes",
            ),
            Field(
                "next_step",
                "text",
                _label(Visit, "next_step"),
                "Next step",
                constraint="string-length(.) <= 300",
                constraint_zh="下一步不超过300字",
                constraint_en="At most 300 characters",
                target="next_step",
            ),
            Field(
                "photo",
                "image",
                _label(Visit, "photo"),
                "Photo",
                parameters="max-pixels=1600",
                target="photo",
            ),
            Field(
                "location",
                "geopoint",
                "走访位置",
                "Location",
                hint_zh="可选：在户门口定位",
                hint_en="Optional: at the household's door",
                target="location",
            ),
        ),
    )
    return Form(
        kind="visit",
        form_id="fupin_visit",
        title_zh="帮扶走访记录",
        title_en="Visit log",
        groups=(visit,),
        instance_name="concat(${household}, ' ', ${date})",
    )


def build_household_form() -> Form:
    """The household survey: the facts a cadre observes at the door, and each member's."""
    LC = LivingConditions
    conditions = Group(
        "conditions",
        "生产生活条件",
        "Living conditions",
        (
            Field(
                "house_grade",
                "select_one",
                _label(LC, "house_grade"),
                "Dangerous house grade",
                codes.HOUSE_GRADE,
                hint_zh="经住建部门鉴定的C级、D级为危房",
                hint_en="C and D as appraised by the housing department",
                target="house_grade",
            ),
            Field(
                "housing_area_m2",
                "decimal",
                _label(LC, "housing_area_m2"),
                "Housing area (m²)",
                constraint=". >= 0 and . <= 10000",
                constraint_zh="面积须在 0–10000 平方米之间",
                constraint_en="Between 0 and 10000 m²",
                target="housing_area_m2",
            ),
            Field(
                "cultivated_land_mu",
                "decimal",
                _label(LC, "cultivated_land_mu"),
                "Cultivated land (mu)",
                constraint=". >= 0 and . <= 10000",
                constraint_zh="面积须在 0–10000 亩之间",
                constraint_en="Between 0 and 10000 mu",
                target="cultivated_land_mu",
            ),
            _yes_no(LC, "food_secure", "Enough to eat"),
            _yes_no(LC, "clothing_secure", "Enough to wear"),
            _yes_no(LC, "water_safe", "Drinking water safe"),
            _yes_no(LC, "water_difficult", "Drinking water difficult to get"),
            _yes_no(LC, "electricity_household", "Household electricity"),
            _yes_no(LC, "electricity_production", "Electricity for production"),
            Field(
                "road_type",
                "select_one",
                _label(LC, "road_type"),
                "Road to the house",
                codes.ROAD_TYPE,
                target="road_type",
            ),
            Field(
                "road_distance_km",
                "decimal",
                _label(LC, "road_distance_km"),
                "Distance to the village road (km)",
                constraint=". >= 0 and . <= 100",
                constraint_zh="距离须在 0–100 公里之间",
                constraint_en="Between 0 and 100 km",
                target="road_distance_km",
            ),
            _yes_no(LC, "sanitary_toilet", "Sanitary toilet"),
            Field("fuel", "select_one", _label(LC, "fuel"), "Main fuel", codes.FUEL, target="fuel"),
            _yes_no(LC, "coop_member", "Member of a farmers' cooperative"),
        ),
    )
    members = Group(
        "members",
        "家庭成员",
        "Members",
        (
            Field(
                "name",
                "text",
                _label(Member, "name"),
                "Name",
                required=True,
                target="name",
            ),
            Field(
                "id_number",
                "text",
                _label(Member, "id_number"),
                "ID number",
                required=True,
                constraint=f"regex(., '{ID_NUMBER_PATTERN}')",
                constraint_zh="身份号码为18位，最后一位可为X",
                constraint_en="18 characters; the last may be X",
                appearance="numbers",
                target="id_number",
            ),
            Field(
                "health",
                "select_one",
                _label(Member, "health"),
                "Health",
                codes.HEALTH,
                target="health",
            ),
            Field(
                "labour_capacity",
                "select_one",
                _label(Member, "labour_capacity"),
                "Labour capacity",
                codes.LABOUR_CAPACITY,
                target="labour_capacity",
            ),
            Field(
                "school_status",
                "select_one",
                _label(Member, "school_status"),
                "School",
                codes.SCHOOL_STATUS,
                target="school_status",
            ),
            Field(
                "migrant_work",
                "select_one",
                _label(Member, "migrant_work"),
                "Migrant work",
                codes.MIGRANT_WORK,
                target="migrant_work",
            ),
            Field(
                "migrant_months",
                "integer",
                _label(Member, "migrant_months"),
                "Months of migrant work",
                relevant="${migrant_work} != '' and ${migrant_work} != 'none'",
                constraint=". >= 0 and . <= 12",
                constraint_zh="务工时间须在 0–12 个月之间",
                constraint_en="Between 0 and 12 months",
                target="migrant_months",
            ),
        ),
        repeat=True,
    )
    household = Group("household", "户", "Household", (_household_code_field("code"),))
    return Form(
        kind="household",
        form_id="fupin_household",
        title_zh="贫困户入户调查",
        title_en="Household survey",
        groups=(household, conditions, members),
        instance_name="concat('入户调查 ', ${code})",
    )


BUILDERS = {"visit": build_visit_form, "household": build_household_form}


def build_form(kind: str) -> Form:
    if kind not in BUILDERS:
        raise KeyError(kind)
    return BUILDERS[kind]()


# -- the workbook ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: Sequence[str]
    rows: Sequence[dict[str, str]] = field(default_factory=list)


def sheets(form: Form) -> list[Sheet]:
    return [
        Sheet("survey", SURVEY_COLUMNS, form.survey_rows()),
        Sheet("choices", CHOICES_COLUMNS, form.choices_rows()),
        Sheet("settings", SETTINGS_COLUMNS, [form.settings_row()]),
    ]


def write_xlsform(kind: str, path: Path | str) -> Form:
    """Write the XLSForm of ``kind`` ("visit" or "household") to ``path`` (.xlsx)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    form = build_form(kind)
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sheets(form):
        ws = wb.create_sheet(sheet.name)
        ws.append(list(sheet.columns))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            ws.append([row.get(c, "") for c in sheet.columns])
        ws.freeze_panes = "A2"
        for i, column in enumerate(sheet.columns):
            letter = ws.cell(row=1, column=i + 1).column_letter
            width = max([len(column), *(len(r.get(column, "")) for r in sheet.rows)])
            ws.column_dimensions[letter].width = min(max(10, width * 1.3), 50)
    wb.save(Path(path))
    return form
