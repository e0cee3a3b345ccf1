"""Public notices (公示 / 公告): kinds, periods, decision wording and what a public text may hold.

The national frame is 两公示一公告 (domain.md §2.2): the village posts the first notice, the
township the second, the county announces. Exit (§5) and return-to-poverty monitoring (§9)
post a village notice too. No national source fixes the period: local practice is 5 or 7
days, one provincial regulation says "不得少于7日" [S13], monitoring notices run "≥ 5 days"
[S55c]; so the period is a parameter, 7 days by default and 5 for monitoring.

A public notice shows names, the village group and the decision only: never ID numbers,
phone numbers, bank accounts or health details, not even masked ([S55c]).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from fupin.policy import codes

#: Notice kinds: stable code -> Chinese label.
KINDS: tuple[tuple[str, str], ...] = (
    ("identification_first", "贫困户识别第一次公示"),
    ("identification_second", "贫困户识别第二次公示"),
    ("announcement", "贫困户识别公告"),
    ("exit", "贫困户退出公示"),
    ("monitoring", "防返贫监测对象公示"),
    ("other", "其他公示"),
    # Funds and projects (资金项目公告公示, domain-next.md §1.3–1.4): lists of projects or
    # allocations, not of households.
    ("project_village", "扶贫项目村级公示"),
    ("project_township", "扶贫项目乡镇公示"),
    ("project_library", "县级脱贫攻坚项目库入库公告"),
    ("project_completion", "扶贫项目竣工公告"),
    ("fund_allocation", "财政专项扶贫资金分配结果公告"),
)

#: Kinds whose list is of projects or allocations (``NoticeItem``), not of households.
#: 乡镇、村 and the project site post ≥ 10 days in principle ✔ [F10]; the county keeps its
#: notices public long-term on its portal ✔ [F10], which here is the longest period allowed.
ITEM_KINDS = frozenset(
    {
        "project_village",
        "project_township",
        "project_library",
        "project_completion",
        "fund_allocation",
    }
)

#: Default period in days; ``"default"`` for every kind not named.
PERIOD_DAYS: Mapping[str, int] = MappingProxyType(
    {
        "default": 7,
        "monitoring": 5,
        "project_village": 10,
        "project_township": 10,
        "project_completion": 10,
        "project_library": 30,
        "fund_allocation": 30,
    }
)
#: Bounds a configured or chosen period must respect.
PERIOD_MIN_DAYS = 1
PERIOD_MAX_DAYS = 30

#: The decision printed beside each household, by kind ("other" has none: the caller says it).
DECISIONS: Mapping[str, str] = MappingProxyType(
    {
        "identification_first": "经村民代表大会民主评议，拟确定为贫困户",
        "identification_second": "经乡镇审核，拟确定为贫困户",
        "announcement": "经县审定，确定为建档立卡贫困户",
        "exit": "经民主评议、本户认可，拟退出（脱贫）",
        "monitoring": "拟纳入防返贫监测对象",
        "other": "",
        **dict.fromkeys(ITEM_KINDS, ""),
    }
)

#: The level (3 county, 4 township, 5 village) whose office posts and answers for a kind.
OWNER_LEVEL: Mapping[str, int] = MappingProxyType(
    {
        "identification_first": 5,
        "identification_second": 4,
        "announcement": 3,
        "exit": 5,
        "monitoring": 5,
        "other": 5,
        # 谁分配、谁使用、谁公开 ✔ [F9]: the village and the township their library notices,
        # the county its decisions, its allocations and the completion notice it posts at
        # the project site (the notice's division is the site; the county answers for it).
        "project_village": 5,
        "project_township": 4,
        "project_library": 3,
        "project_completion": 3,
        "fund_allocation": 3,
    }
)
_CODE_LENGTH = {3: 6, 4: 9, 5: 12}


def kind_label(kind: str) -> str:
    for code, label in KINDS:
        if code == kind:
            return label
    raise KeyError(kind)


def period_days(
    kind: str, chosen: int | None = None, parameters: Mapping[str, int] = PERIOD_DAYS
) -> int:
    """Return the notice period in days: ``chosen`` if given, else the kind's default.

    Raise ``ValueError`` for a period outside ``PERIOD_MIN_DAYS``..``PERIOD_MAX_DAYS``.
    """
    days = chosen if chosen is not None else parameters.get(kind, parameters["default"])
    if not PERIOD_MIN_DAYS <= days <= PERIOD_MAX_DAYS:
        raise ValueError(days)
    return days


def owner_code(kind: str, division_code: str) -> str:
    """Return the code of the division whose office posts (and answers for) this notice.

    A village's first notice belongs to the village, its second notice to the township, the
    announcement to the county; a notice posted at a higher division belongs to it.
    """
    length = _CODE_LENGTH[OWNER_LEVEL[kind]]
    return division_code[:length] if len(division_code) > length else division_code


# Digit runs of 7 or more, counted across single spaces and dashes between the digits: the
# shortest landline number has 7; a village group number ("第12组") has 1–2.
_LONG_NUMBER = re.compile(r"\d(?:[\s\-－—]?\d){6,}")
_HEALTH_TERMS = tuple(label for code, label in codes.HEALTH.items if code != "healthy")
_SPACES = re.compile(r"\s{2,}")


def public_text(text: str) -> str:
    """Return ``text`` fit for a public notice: long numbers and health terms removed.

    A name or group field may hold what a cadre typed by mistake (a phone number, "残疾"); a
    public output must not carry it, masked or not, so it is dropped, not starred.
    """
    out = _LONG_NUMBER.sub("", text)
    for term in _HEALTH_TERMS:
        out = out.replace(term, "")
    if out == text:  # nothing removed: keep its brackets (a label such as “资金（扶贫发展）”)
        return _SPACES.sub(" ", out).strip()
    # what is left around a removed number: its brackets and dashes go with it
    return _SPACES.sub(" ", out).strip(" -－—()（）")
