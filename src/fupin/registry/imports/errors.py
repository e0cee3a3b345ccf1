"""Error codes of the registry import and the report handed back to callers.

Every refusal carries a stable code (UPPER_SNAKE) and a Chinese message that tells a cadre
what to fix. The checks produce ``(row, column, code, value, ref, ref_row)`` records in bulk;
:func:`message_for` turns one record into text only when the report is built.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from fupin.policy import codes, idnumber
from fupin.registry.imports.columns import BY_NAME

#: Codes produced by the import checks, with a short Chinese label (for summaries).
CODES: dict[str, str] = {
    "FILE_MISSING_COLUMN": "缺少必需的列",
    "FILE_DUPLICATE_COLUMN": "列重复",
    "FILE_ROW_INVALID": "行的列数不对",
    "REQUIRED": "必填项为空",
    "CODE_UNKNOWN": "代码或名称无效",
    "BOOL_INVALID": "是/否值无效",
    "NUMBER_INVALID": "数字无效",
    "NUMBER_OUT_OF_RANGE": "数字超出范围",
    "MONEY_NEGATIVE": "金额为负数",
    "TEXT_TOO_LONG": "文字过长",
    **{str(r): label for r, label in idnumber.LABELS.items()},
    "AGE_IMPOSSIBLE": "年龄不可能",
    "ID_DUPLICATE_IN_FILE": "身份号码在文件中重复",
    "ID_EXISTS": "身份号码已登记",
    "DIVISION_UNKNOWN": "村代码无效",
    "CAUSE_TOO_MANY": "其他致贫原因过多",
    "CAUSE_DUPLICATE": "致贫原因重复",
    "HOUSEHOLD_INCONSISTENT": "同户各行不一致",
    "HEAD_MISSING": "没有户主",
    "HEAD_MULTIPLE": "户主多于一人",
    "HOUSEHOLD_EXISTS": "户编号已登记",
    "EXIT_BEFORE_IDENTIFICATION": "脱贫年度早于识别年度",
    "DB_CONFLICT": "写入时与已有数据冲突",
    "VILLAGE_OUT_OF_SCOPE": "村不在管辖范围内",
    "HOUSEHOLD_OUT_OF_SCOPE": "户不在管辖范围内",
}


@dataclass(frozen=True)
class RowError:
    """One bad cell or row: ``row`` is the spreadsheet row (the header is row 1)."""

    row: int
    column: str
    code: str
    message: str
    value: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ImportReport:
    """What an import found and did.

    The counts describe the file (rows read, households and members in it, incomes and
    living-conditions records it yields). ``stored`` tells whether they were written: only
    when there is no error and it was not a dry run. ``errors`` lists every error (up to the
    cap given to the import; ``error_count`` is always the full number).
    """

    rows: int = 0
    households: int = 0
    members: int = 0
    incomes: int = 0
    conditions: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    #: Headers that matched no column and were skipped (a misspelt heading loses its data).
    unknown_columns: list[str] = field(default_factory=list)
    dry_run: bool = False
    stored: bool = False
    seconds: float = 0.0
    #: "insert" refuses households and ID numbers already registered; "upsert" updates them.
    mode: str = "insert"
    #: What storing the file does (or did): new, changed and unchanged households and members.
    #: A household counts as changed when its own row, its living conditions or its income of
    #: the file's year differ from what is stored.
    households_created: int = 0
    households_updated: int = 0
    households_unchanged: int = 0
    members_created: int = 0
    members_updated: int = 0
    members_unchanged: int = 0
    #: The first rows of the file with what storing them does (``status``: new/changed/unchanged).
    preview: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and not self.errors


def heading(column: str) -> str:
    """Return the Chinese heading of a canonical column name (the name itself if unknown)."""
    col = BY_NAME.get(column)
    return col.heading if col else column


def accepted_labels(code_list: codes.CodeList, limit: int = 8) -> str:
    """Return the first labels of a code list, briefly, for an error message."""
    labels = [label for _, label in code_list.items]
    text = "、".join(labels[:limit])
    return text + f" 等{len(labels)}项" if len(labels) > limit else text


def display_value(column: str, value: str | None) -> str | None:
    """Return a stored code as its Chinese label (other values unchanged)."""
    col = BY_NAME.get(column)
    if value is None or col is None or col.code_list is None:
        return value
    if col.kind == "causes":
        parts = value.split("、")
        return "、".join(_label_or_code(col.code_list, p) for p in parts)
    return _label_or_code(col.code_list, value)


def _label_or_code(code_list: codes.CodeList, value: str) -> str:
    try:
        return code_list.label_of(value)
    except KeyError:
        return value


def message_for(
    code: str, column: str, value: str | None, ref: str | None, ref_row: int | None
) -> str:
    """Return the Chinese message for one error record."""
    head = heading(column)
    col = BY_NAME.get(column)
    shown = f"“{value}”" if value not in (None, "") else "空值"
    if code == "FILE_MISSING_COLUMN":
        return f"文件缺少必需的列“{head}”（也可写作 {column}）"
    if code == "FILE_DUPLICATE_COLUMN":
        return f"“{head}”列出现了多次（{ref}），只能保留一列"
    if code == "FILE_ROW_INVALID":
        return f"该行的列数（{ref}）与表头不一致，请检查是否多了或少了逗号、引号"
    if code == "REQUIRED":
        return f"“{head}”为必填项，不能为空"
    if code == "CODE_UNKNOWN":
        labels = accepted_labels(col.code_list) if col and col.code_list else ""
        extra = "，多项请用“、”分隔" if col and col.kind == "causes" else ""
        return f"{shown}不是有效的{head}，可填：{labels}{extra}"
    if code == "BOOL_INVALID":
        return f"{head}只能填“是”或“否”（也可填 1、0），不能填{shown}"
    if code == "NUMBER_INVALID":
        kind = "整数" if col and col.kind == "int" else "数字"
        return f"{head}应为{kind}，不能填{shown}"
    if code == "NUMBER_OUT_OF_RANGE":
        return f"{head}{shown}超出范围：应在 {ref} 之间"
    if code == "MONEY_NEGATIVE":
        return f"{head}不能为负数（{value}）"
    if code == "TEXT_TOO_LONG":
        return f"{head}最多 {ref} 个字，实际 {len(value or '')} 个字"
    if code in idnumber.IdReason.__members__:
        result = idnumber.check(value or "")
        return result.message or idnumber.LABELS[idnumber.IdReason(code)]
    if code == "AGE_IMPOSSIBLE":
        return f"身份号码中的出生年份 {ref} 与年度 {ref_row} 不符：出生晚于该年度或年龄超过 120 岁"
    if code == "ID_DUPLICATE_IN_FILE":
        return f"身份号码 {value} 与第 {ref_row} 行重复"
    if code == "ID_EXISTS":
        return f"身份号码 {value} 已在系统中登记（户编号 {ref}），不能重复登记"
    if code == "DIVISION_UNKNOWN":
        return f"村代码{shown}不存在或不是村级区划代码（应为 12 位村级统计用区划代码）"
    if code == "CAUSE_TOO_MANY":
        return f"其他致贫原因最多填 2 项，这里填了 {ref} 项"
    if code == "CAUSE_DUPLICATE":
        return f"其他致贫原因“{display_value('main_cause', ref)}”与主要致贫原因相同或重复填写"
    if code == "HOUSEHOLD_INCONSISTENT":
        return (
            f"同一户各行的“{head}”必须一致：本行为{_quoted(column, value)}，"
            f"第 {ref_row} 行为{_quoted(column, ref)}"
        )
    if code == "HEAD_MISSING":
        return f"户 {ref} 没有户主：须有一名成员的“与户主关系”为“户主”"
    if code == "HEAD_MULTIPLE":
        return f"户 {ref} 有多名户主（第 {ref_row} 行已是户主）"
    if code == "HOUSEHOLD_EXISTS":
        return f"户编号 {value} 已在系统中登记，不能重复导入"
    if code == "EXIT_BEFORE_IDENTIFICATION":
        return f"脱贫年度 {value} 早于首次识别年度 {ref}"
    if code == "VILLAGE_OUT_OF_SCOPE":
        return f"村代码{shown}不在您的管辖范围（{ref}）内，不能导入该村的户"
    if code == "HOUSEHOLD_OUT_OF_SCOPE":
        return f"户编号{shown}已登记在您管辖范围以外的村，不能在这里修改"
    if code == "DB_CONFLICT":
        return f"写入数据库时与已有数据冲突，未导入任何数据，请重新导入：{ref}"
    return CODES.get(code, code)


def _quoted(column: str, value: str | None) -> str:
    shown = display_value(column, value)
    return f"“{shown}”" if shown not in (None, "") else "空值"


__all__ = [
    "CODES",
    "ImportReport",
    "RowError",
    "accepted_labels",
    "display_value",
    "heading",
    "message_for",
]
