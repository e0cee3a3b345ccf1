"""The household procedures as declared state machines, and their pure guards.

Precise identification and precise exit are procedures, not fields (domain.md §2, §5, §9):
a household enters and leaves the registry through village appraisal, public notices,
township review and county approval. Each procedure here is a chain of steps; each step
names the roles that may take it (a role implies its division level: the village cadre acts
from a village, the township reviewer from a township, the county office from a county),
whether the proposer is barred from it, the evidence it needs, the public notice it posts and
how long the next actor has. The Django app ``fupin.workflows`` runs these definitions; this
module knows no framework.

Notice periods are not fixed nationally (domain.md §2.2): 7 days by default (one provincial
regulation: "不得少于7日"), 5 for monitoring (§9: "≥ 5 days"); both are parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

# Role codes of ``fupin.accounts.models.Role`` (policy may not import it; a test keeps them equal).
VILLAGE = "village_cadre"
TOWNSHIP = "township_reviewer"
COUNTY = "county_office"

#: Length of the acting user's division code for each role (the role's division level).
ROLE_LEVEL: Mapping[str, int] = {VILLAGE: 12, TOWNSHIP: 9, COUNTY: 6}
ROLE_LABELS: Mapping[str, str] = {VILLAGE: "村干部", TOWNSHIP: "乡镇审核员", COUNTY: "县扶贫办"}

#: Default public-notice period (days) and the monitoring one (domain.md §2.2, §9).
NOTICE_DAYS = 7
MONITORING_NOTICE_DAYS = 5
#: Days from a risk lead to the monitoring identification (domain.md §9, [S55c]).
MONITORING_IDENTIFY_DAYS = 15
#: Risk elimination: months of stable income and of monitoring, at least (domain.md §9).
STABLE_MONTHS = 6


class Procedure(StrEnum):
    IDENTIFICATION = "identification"
    EXIT = "exit"
    DECREASE = "decrease"
    RETURN = "return"
    MONITORING = "monitoring"
    RISK_ELIMINATION = "risk_elimination"


PROCEDURE_LABELS: Mapping[str, str] = {
    Procedure.IDENTIFICATION: "贫困户识别（两公示一公告）",
    Procedure.EXIT: "脱贫退出",
    Procedure.DECREASE: "自然减少与纠错",
    Procedure.RETURN: "返贫",
    Procedure.MONITORING: "防止返贫监测对象识别",
    Procedure.RISK_ELIMINATION: "风险消除",
}


class Evidence(StrEnum):
    """What a step must carry besides who and when."""

    MEETING = "meeting"  # democratic appraisal: date, attendance, votes (minutes file optional)
    CONSENT = "consent"  # the household's own signed agreement / application / authorisation
    REASON = "reason"  # natural decrease / correction reason code
    CATEGORY = "category"  # monitoring category
    NOTE = "note"  # a written opinion (review, verification)
    ATTACHMENT = "attachment"  # a supporting document (death certificate, transfer record …)


EVIDENCE_LABELS: Mapping[str, str] = {
    Evidence.MEETING: "民主评议会议记录（日期、到会人数、赞成与反对票数）",
    Evidence.CONSENT: "农户本人签字确认",
    Evidence.REASON: "减少原因",
    Evidence.CATEGORY: "监测对象类型",
    Evidence.NOTE: "审核意见",
    Evidence.ATTACHMENT: "证明材料",
}


class DecreaseReason(StrEnum):
    DEATH = "death"
    MOVED_AWAY = "moved_away"
    WRONGLY_REGISTERED = "wrongly_registered"


DECREASE_REASON_LABELS: Mapping[str, str] = {
    DecreaseReason.DEATH: "死亡（整户消亡）",
    DecreaseReason.MOVED_AWAY: "迁出",
    DecreaseReason.WRONGLY_REGISTERED: "错评清退",
}


class MonitoringCategory(StrEnum):
    UNSTABLE = "unstable"
    EDGE = "edge"
    SUDDEN = "sudden"


MONITORING_CATEGORY_LABELS: Mapping[str, str] = {
    MonitoringCategory.UNSTABLE: "脱贫不稳定户",
    MonitoringCategory.EDGE: "边缘易致贫户",
    MonitoringCategory.SUDDEN: "突发严重困难户",
}


@dataclass(frozen=True)
class StepDef:
    code: str
    label: str
    from_state: str  # "" for the step that opens a case
    to_state: str
    roles: frozenset[str]
    #: The proposer (who opened the case) may not take this step.
    approval: bool = False
    evidence: tuple[Evidence, ...] = ()
    #: Days the public notice this step posts stays up (0: no notice). The next step waits
    #: until the period has ended without an open objection.
    notice_days: int = 0
    notice_title: str = ""
    #: Days the actor of the NEXT step has after this one.
    deadline_days: int = 15


@dataclass(frozen=True)
class ProcedureDef:
    procedure: Procedure
    steps: tuple[StepDef, ...]
    final_state: str
    #: Household status set on the final step ("" = the registry status does not change).
    final_status: str = ""
    #: Household statuses from which a case may be opened.
    open_statuses: frozenset[str] = frozenset()
    #: State a case returns to when an objection is upheld (re-verification).
    reverify_state: str = ""
    #: Days from opening to the final step, at most (0: none).
    total_days: int = 0
    states: Mapping[str, str] = field(default_factory=dict)  # state -> Chinese label

    @property
    def first(self) -> StepDef:
        return self.steps[0]

    def step(self, code: str) -> StepDef:
        for s in self.steps:
            if s.code == code:
                return s
        raise KeyError(code)

    def next_step(self, state: str) -> StepDef | None:
        for s in self.steps:
            if s.from_state == state:
                return s
        return None

    def notice_states(self) -> frozenset[str]:
        return frozenset(s.to_state for s in self.steps if s.notice_days)

    def order(self, state: str) -> int:
        """Position of ``state`` along the chain (the opening state is 1)."""
        for i, s in enumerate(self.steps):
            if s.to_state == state:
                return i + 1
        return 0


V, T, C = frozenset({VILLAGE}), frozenset({TOWNSHIP}), frozenset({COUNTY})
M, K, N, A = Evidence.MEETING, Evidence.CONSENT, Evidence.NOTE, Evidence.ATTACHMENT

IDENTIFICATION = ProcedureDef(
    Procedure.IDENTIFICATION,
    (
        StepDef("apply", "农户申请", "", "applied", V, evidence=(K,), deadline_days=30),
        StepDef("appraise", "村民主评议", "applied", "appraised", V, evidence=(M,)),
        StepDef(
            "notice_1",
            "第一次公示",
            "appraised",
            "noticed_1",
            V,
            notice_days=NOTICE_DAYS,
            notice_title="贫困户识别第一次公示",
        ),
        StepDef("township_review", "乡镇审核", "noticed_1", "township_reviewed", T, True, (N,)),
        StepDef(
            "notice_2",
            "第二次公示",
            "township_reviewed",
            "noticed_2",
            T,
            notice_days=NOTICE_DAYS,
            notice_title="贫困户识别第二次公示",
        ),
        StepDef("county_approve", "县审定", "noticed_2", "county_approved", C, True, (N,)),
        StepDef(
            "announce",
            "公告",
            "county_approved",
            "announced",
            C,
            True,
            notice_days=NOTICE_DAYS,
            notice_title="贫困户识别公告",
        ),
        StepDef("register", "建档立卡录入", "announced", "registered", T),
    ),
    final_state="registered",
    final_status="poor",
    # The registry has no "applicant" status yet: a household typed in for identification
    # stands as "poor" until its case is registered (or closed); a removed one may reapply.
    open_statuses=frozenset({"poor", "removed"}),
    reverify_state="applied",
    states={
        "applied": "已申请",
        "appraised": "已民主评议",
        "noticed_1": "第一次公示中",
        "township_reviewed": "乡镇已审核",
        "noticed_2": "第二次公示中",
        "county_approved": "县已审定",
        "announced": "公告中",
        "registered": "已建档立卡",
    },
)

EXIT = ProcedureDef(
    Procedure.EXIT,
    (
        StepDef("propose", "提出退出", "", "proposed", V | C, deadline_days=30),
        StepDef("appraise", "村民主评议", "proposed", "appraised", V, evidence=(M,)),
        StepDef("agree", "农户认可", "appraised", "agreed", V, evidence=(K,)),
        StepDef(
            "notice",
            "村内公示",
            "agreed",
            "noticed",
            V,
            notice_days=NOTICE_DAYS,
            notice_title="贫困户脱贫退出公示",
        ),
        StepDef(
            "announce",
            "县审定公告",
            "noticed",
            "announced",
            C,
            True,
            (N,),
            notice_days=NOTICE_DAYS,
            notice_title="贫困户脱贫退出公告",
        ),
        StepDef("cancel", "销号", "announced", "exited", C, True),
    ),
    final_state="exited",
    final_status="exited_with_policy",
    open_statuses=frozenset({"poor", "returned"}),
    reverify_state="proposed",
    states={
        "proposed": "已提出退出",
        "appraised": "已民主评议",
        "agreed": "农户已认可",
        "noticed": "公示中",
        "announced": "公告中",
        "exited": "已脱贫退出（享受政策）",
    },
)

DECREASE = ProcedureDef(
    Procedure.DECREASE,
    (
        StepDef(
            "propose",
            "提出减少或清退",
            "",
            "proposed",
            V,
            evidence=(Evidence.REASON, A),
        ),
        StepDef("township_review", "乡镇审核", "proposed", "township_reviewed", T, True, (N,)),
        StepDef("county_approve", "县审定", "township_reviewed", "removed", C, True, (N,)),
    ),
    final_state="removed",
    final_status="removed",
    open_statuses=frozenset({"poor", "returned", "exited_with_policy", "exited"}),
    states={"proposed": "已提出", "township_reviewed": "乡镇已审核", "removed": "已减少/清退"},
)

RETURN = ProcedureDef(
    Procedure.RETURN,
    (
        StepDef("propose", "提出返贫", "", "proposed", V, evidence=(N,)),
        StepDef("appraise", "村民主评议", "proposed", "appraised", V, evidence=(M,)),
        StepDef(
            "notice",
            "村内公示",
            "appraised",
            "noticed",
            V,
            notice_days=NOTICE_DAYS,
            notice_title="返贫户公示",
        ),
        StepDef("township_review", "乡镇审核", "noticed", "township_reviewed", T, True, (N,)),
        StepDef("county_approve", "县审定", "township_reviewed", "returned", C, True, (N,)),
    ),
    final_state="returned",
    final_status="returned",
    open_statuses=frozenset({"exited_with_policy", "exited"}),
    reverify_state="proposed",
    states={
        "proposed": "已提出",
        "appraised": "已民主评议",
        "noticed": "公示中",
        "township_reviewed": "乡镇已审核",
        "returned": "已返贫",
    },
)

MONITORING = ProcedureDef(
    Procedure.MONITORING,
    (
        StepDef("lead", "发现风险线索", "", "lead", V | C, evidence=(Evidence.CATEGORY, N)),
        StepDef("verify", "入户核实与承诺授权", "lead", "verified", V, evidence=(K,)),
        StepDef("appraise", "村民主评议", "verified", "appraised", V, evidence=(M,)),
        StepDef(
            "notice",
            "村内公示",
            "appraised",
            "noticed",
            V,
            notice_days=MONITORING_NOTICE_DAYS,
            notice_title="防止返贫监测对象公示",
        ),
        StepDef("township_review", "乡镇审核", "noticed", "township_reviewed", T, True, (N,)),
        StepDef("county_approve", "县审定公告", "township_reviewed", "monitored", C, True, (N,)),
    ),
    final_state="monitored",
    open_statuses=frozenset({"poor", "returned", "exited_with_policy", "exited", "removed"}),
    reverify_state="verified",
    total_days=MONITORING_IDENTIFY_DAYS,
    states={
        "lead": "风险线索",
        "verified": "已入户核实",
        "appraised": "已民主评议",
        "noticed": "公示中",
        "township_reviewed": "乡镇已审核",
        "monitored": "已纳入监测",
    },
)

RISK_ELIMINATION = ProcedureDef(
    Procedure.RISK_ELIMINATION,
    (
        StepDef("propose", "入户核实并提出", "", "proposed", V, evidence=(N,)),
        StepDef("appraise", "村民主评议", "proposed", "appraised", V, evidence=(M,)),
        StepDef(
            "notice",
            "村内公示",
            "appraised",
            "noticed",
            V,
            notice_days=MONITORING_NOTICE_DAYS,
            notice_title="监测对象风险消除公示",
        ),
        StepDef("township_review", "乡镇核查", "noticed", "township_reviewed", T, True, (N,)),
        StepDef("county_approve", "县审定公告", "township_reviewed", "eliminated", C, True, (N,)),
    ),
    final_state="eliminated",
    open_statuses=frozenset({"poor", "returned", "exited_with_policy", "exited", "removed"}),
    reverify_state="proposed",
    states={
        "proposed": "已提出",
        "appraised": "已民主评议",
        "noticed": "公示中",
        "township_reviewed": "乡镇已核查",
        "eliminated": "风险已消除",
    },
)

PROCEDURES: Mapping[str, ProcedureDef] = {
    p.procedure.value: p
    for p in (IDENTIFICATION, EXIT, DECREASE, RETURN, MONITORING, RISK_ELIMINATION)
}

#: State of a case closed without reaching its final state (withdrawn, appraisal failed …).
CLOSED = "closed"
REVERIFY = "reverify"  # the code of the step recorded when an objection is upheld


def procedure_def(code: str) -> ProcedureDef:
    try:
        return PROCEDURES[code]
    except KeyError:
        raise WorkflowRefusal("WORKFLOW_PROCEDURE_UNKNOWN", f"没有名为 {code} 的程序") from None


def state_label(procedure: str, state: str) -> str:
    if state == CLOSED:
        return "已关闭"
    return PROCEDURES[procedure].states.get(state, state)


# -- refusals and guards ----------------------------------------------------------------------


class WorkflowRefusal(Exception):
    """A guard said no: ``code`` is stable, ``message`` is in Chinese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def step_check_order(proc: ProcedureDef, step: StepDef, state: str) -> None:
    """Refuse a step taken from any state but its own: no step can be skipped or repeated."""
    if state == proc.final_state or state == CLOSED:
        raise WorkflowRefusal(
            "WORKFLOW_CASE_CLOSED",
            f"本案已{state_label(proc.procedure, state)}，不能再办理「{step.label}」",
        )
    if step.from_state != state:
        expected = proc.next_step(state)
        raise WorkflowRefusal(
            "WORKFLOW_STEP_OUT_OF_ORDER",
            f"当前为「{state_label(proc.procedure, state)}」，不能办理「{step.label}」"
            + (f"，下一步应为「{expected.label}」" if expected else ""),
        )


def actor_check(step: StepDef, *, role: str | None, division_code: str) -> None:
    """Refuse a user whose role or division level may not take ``step``."""
    if role not in step.roles:
        allowed = "、".join(ROLE_LABELS[r] for r in sorted(step.roles))
        raise WorkflowRefusal("WORKFLOW_ROLE_NOT_ALLOWED", f"「{step.label}」只能由{allowed}办理")
    if len(division_code) != ROLE_LEVEL[role]:
        raise WorkflowRefusal(
            "WORKFLOW_LEVEL_MISMATCH",
            f"{ROLE_LABELS[role]}账号须属于{_level_name(ROLE_LEVEL[role])}级区划才能办理"
            f"「{step.label}」",
        )


def _level_name(length: int) -> str:
    return {12: "村", 9: "乡镇", 6: "县"}.get(length, "")


def proposer_check(step: StepDef, *, proposer_id: int, actor_id: int) -> None:
    if step.approval and proposer_id == actor_id:
        raise WorkflowRefusal(
            "WORKFLOW_PROPOSER_CANNOT_APPROVE", f"提出人不能审核或审定本案（「{step.label}」）"
        )


@dataclass(frozen=True)
class Meeting:
    meeting_date: date
    attendance: int
    votes_for: int
    votes_against: int


def meeting_check(m: Meeting, today: date) -> None:
    """Refuse an appraisal record that cannot be true or did not pass (a majority present)."""
    if m.meeting_date > today:
        raise WorkflowRefusal("WORKFLOW_MEETING_IN_FUTURE", "评议会议日期不能晚于今天")
    if m.attendance <= 0 or m.votes_for < 0 or m.votes_against < 0:
        raise WorkflowRefusal("WORKFLOW_MEETING_INVALID", "到会人数须大于 0，票数不能为负")
    if m.votes_for + m.votes_against > m.attendance:
        raise WorkflowRefusal(
            "WORKFLOW_MEETING_INVALID",
            f"赞成 {m.votes_for} 票与反对 {m.votes_against} 票之和超过到会人数 {m.attendance}",
        )
    if m.votes_for * 2 <= m.attendance:
        raise WorkflowRefusal(
            "WORKFLOW_APPRAISAL_NOT_PASSED",
            f"民主评议未获通过（到会 {m.attendance} 人，赞成 {m.votes_for} 票，须超过半数）；"
            "请关闭本案或重新评议",
        )


def evidence_missing(step: StepDef, data: Mapping[str, Any]) -> list[str]:
    """Return the labels of the evidence ``step`` needs that ``data`` lacks."""
    missing = []
    for ev in step.evidence:
        if ev is Evidence.MEETING:
            ok = all(
                data.get(k) not in (None, "")
                for k in ("meeting_date", "attendance", "votes_for", "votes_against")
            )
        elif ev is Evidence.CONSENT:
            ok = data.get("consent") is True
        elif ev is Evidence.REASON:
            ok = data.get("reason") in set(DecreaseReason)
        elif ev is Evidence.CATEGORY:
            ok = data.get("category") in set(MonitoringCategory)
        elif ev is Evidence.NOTE:
            ok = bool(str(data.get("note") or "").strip())
        else:
            ok = bool(data.get("attachment"))
        if not ok:
            missing.append(EVIDENCE_LABELS[ev])
    return missing


def exit_ready(*, meets_standard: bool | None, failed_codes: str = "") -> None:
    """Refuse an exit proposal unless the year's assessment meets the household standard.

    The standard (domain.md §5) is income stably above the line for the year plus 两不愁三保障
    (and safe water): exactly the rules of the household rule set, so the assessment is it.
    """
    if meets_standard is None:
        raise WorkflowRefusal(
            "WORKFLOW_EXIT_NOT_ASSESSED", "该户本年度尚未评估，不能提出退出：请先运行评估"
        )
    if not meets_standard:
        raise WorkflowRefusal(
            "WORKFLOW_EXIT_NOT_READY",
            f"该户未达到脱贫标准（未通过：{failed_codes.replace('|', '、')}），不能提出退出",
        )


def monitoring_check(
    *,
    category: str,
    status: str,
    per_capita_income: Decimal | None,
    threshold: Decimal,
) -> None:
    """Refuse a monitoring identification whose category does not fit the household.

    脱贫不稳定户: an exited household within the monitoring range; 边缘易致贫户: a household
    never registered (not poor, returned or exited) within the range; 突发严重困难户: any
    household, income may be above the range (domain.md §9).
    """
    cat = MonitoringCategory(category)
    exited = status in ("exited_with_policy", "exited")
    label = MONITORING_CATEGORY_LABELS[cat]
    if cat is MonitoringCategory.UNSTABLE and not exited:
        raise WorkflowRefusal("WORKFLOW_MONITORING_CATEGORY", f"{label}须为已脱贫户")
    if cat is MonitoringCategory.EDGE and (exited or status in ("poor", "returned")):
        raise WorkflowRefusal("WORKFLOW_MONITORING_CATEGORY", f"{label}须为未建档立卡的一般农户")
    if cat is not MonitoringCategory.SUDDEN and (
        per_capita_income is not None and per_capita_income > threshold
    ):
        raise WorkflowRefusal(
            "WORKFLOW_MONITORING_ABOVE_RANGE",
            f"人均纯收入 {per_capita_income} 元高于监测范围 {threshold} 元，不能认定为{label}"
            "（突发严重困难户除外）",
        )


@dataclass(frozen=True)
class RiskFacts:
    """What risk elimination is judged on (domain.md §9, [S55][S55b][S55d])."""

    per_capita_income: Decimal | None
    threshold: Decimal
    income_stable_months: int
    monitored_months: int
    measures: int
    has_labour_capacity: bool
    guarantees_secure: bool  # 两不愁三保障 and drinking water
    rigid_spending_resolved: bool


def risk_elimination_check(f: RiskFacts) -> None:
    """Refuse risk elimination unless every criterion holds; each refusal has its own code."""
    if not f.has_labour_capacity:
        raise WorkflowRefusal(
            "WORKFLOW_RISK_NO_LABOUR",
            "无劳动能力的监测户即使已落实社会保障兜底也不标注风险消除，继续跟踪监测",
        )
    if f.monitored_months < STABLE_MONTHS:
        raise WorkflowRefusal(
            "WORKFLOW_RISK_MONITORED_TOO_SHORT",
            f"纳入监测仅 {f.monitored_months} 个月，须满 {STABLE_MONTHS} 个月",
        )
    if f.per_capita_income is None or f.per_capita_income <= f.threshold:
        raise WorkflowRefusal(
            "WORKFLOW_RISK_INCOME_IN_RANGE",
            f"人均纯收入（{f.per_capita_income if f.per_capita_income is not None else '未登记'}"
            f"）未稳定高于监测范围 {f.threshold} 元",
        )
    if f.income_stable_months < STABLE_MONTHS:
        raise WorkflowRefusal(
            "WORKFLOW_RISK_INCOME_NOT_STABLE",
            f"收入稳定仅 {f.income_stable_months} 个月，原则上须稳定半年以上",
        )
    if f.measures < 1:
        raise WorkflowRefusal("WORKFLOW_RISK_NO_MEASURE", "尚未落实任何帮扶措施，不能标注风险消除")
    if not f.guarantees_secure:
        raise WorkflowRefusal(
            "WORKFLOW_RISK_GUARANTEES", "两不愁三保障及饮水安全尚未持续保障，不能标注风险消除"
        )
    if not f.rigid_spending_resolved:
        raise WorkflowRefusal(
            "WORKFLOW_RISK_SPENDING", "大额刚性支出尚未稳定解决，不能标注风险消除"
        )


def has_labour_capacity(capacities: list[str]) -> bool:
    """Whether a household has labour capacity: a member with ordinary, skilled or weak labour."""
    return any(c in ("ordinary", "skilled", "weak") for c in capacities)
