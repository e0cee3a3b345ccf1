"""Cases of the household procedures, their steps (the procedure's own trail) and objections.

The procedures themselves (states, steps, who may act) are declared in
``fupin.policy.workflows``; these tables hold where each household is in them. The database
refuses what must never happen whatever the code does: two open cases of one procedure for one
household, and one step taken twice in one round (two concurrent approvers).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.db import models
from django.db.models import Q

from fupin.policy.workflows import (
    DECREASE_REASON_LABELS,
    MONITORING_CATEGORY_LABELS,
    PROCEDURE_LABELS,
    state_label,
)


def _choices(labels: Mapping[str, str]) -> list[tuple[str, str]]:
    return [(str(k), v) for k, v in labels.items()]


class Case(models.Model):
    household = models.ForeignKey(
        "registry.Household",
        verbose_name="户",
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,  # the leading column of the open-case constraint and of case_household
    )
    procedure = models.CharField("程序", max_length=20, choices=_choices(PROCEDURE_LABELS))
    state = models.CharField("当前环节", max_length=24)
    #: 1, then one more each time an upheld objection sends the case back to re-verification.
    round = models.PositiveSmallIntegerField("核实轮次", default=1)
    year = models.PositiveSmallIntegerField("年度")
    category = models.CharField(
        "监测对象类型", max_length=12, blank=True, choices=_choices(MONITORING_CATEGORY_LABELS)
    )
    reason = models.CharField(
        "减少原因", max_length=20, blank=True, choices=_choices(DECREASE_REASON_LABELS)
    )
    #: The household's village, copied so that scoping and bulk steps need no join.
    division_code = models.CharField("所在村", max_length=12)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提出人",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    opened_at = models.DateTimeField("提出时间")
    moved_at = models.DateTimeField("最近办理时间")
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    #: When the next step is due (overdue warnings) and, for monitoring, the whole case.
    deadline = models.DateTimeField("本环节期限", null=True, blank=True)
    final_deadline = models.DateTimeField("办结期限", null=True, blank=True)
    #: End of the public notice the case is in (the next step waits for it).
    notice_until = models.DateTimeField("公示截止", null=True, blank=True)

    class Meta:
        verbose_name = "办理案件"
        verbose_name_plural = "办理案件"
        constraints = [
            models.UniqueConstraint(
                fields=["household", "procedure"],
                condition=Q(closed_at__isnull=True),
                name="case_one_open_per_household",
            ),
            models.CheckConstraint(condition=Q(round__gte=1), name="case_round_positive"),
        ]
        indexes = [
            models.Index(fields=["household", "procedure"], name="case_household"),
            models.Index(fields=["division_code", "procedure", "state"], name="case_division"),
        ]

    def __str__(self) -> str:
        return f"{self.get_procedure_display()} {self.household_id} {self.state_label}"

    @property
    def state_label(self) -> str:
        return state_label(self.procedure, self.state)


class Step(models.Model):
    """One transition of a case: who took it, when, from where, with what evidence."""

    case = models.ForeignKey(
        Case, verbose_name="案件", on_delete=models.CASCADE, related_name="steps"
    )
    code = models.CharField("环节", max_length=24)
    round = models.PositiveSmallIntegerField("核实轮次")
    from_state = models.CharField("办理前", max_length=24)
    to_state = models.CharField("办理后", max_length=24)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="办理人",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    at = models.DateTimeField("办理时间")
    #: The actor's division (the level at which the step was taken).
    division_code = models.CharField("办理单位区划", max_length=12)
    before = models.JSONField("办理前", default=dict)
    after = models.JSONField("办理后", default=dict)
    note = models.TextField("意见", blank=True)
    attachment = models.FileField("证明材料", upload_to="workflows/%Y/%m/", blank=True)
    consent = models.BooleanField("农户本人确认", null=True)
    meeting_date = models.DateField("评议日期", null=True, blank=True)
    meeting_attendance = models.PositiveIntegerField("到会人数", null=True, blank=True)
    votes_for = models.PositiveIntegerField("赞成票", null=True, blank=True)
    votes_against = models.PositiveIntegerField("反对票", null=True, blank=True)
    minutes = models.FileField("会议记录", upload_to="workflows/minutes/%Y/%m/", blank=True)
    notice_due_until = models.DateTimeField("公示截止", null=True, blank=True)
    #: Taken after the step's deadline.
    overdue = models.BooleanField("超期办理", default=False)
    #: The household's assessment of the case year at the moment of the step (evidence).
    assessed_meets = models.BooleanField("评估达标", null=True)
    assessed_income = models.DecimalField(
        "评估人均纯收入", max_digits=14, decimal_places=2, null=True
    )
    assessed_failed = models.CharField("评估未通过规则", max_length=200, blank=True)

    class Meta:
        verbose_name = "办理环节"
        verbose_name_plural = "办理环节"
        constraints = [
            # Nobody takes a step twice in one round: the second of two concurrent approvers
            # fails here even if both read the case before either wrote.
            models.UniqueConstraint(fields=["case", "code", "round"], name="step_once_per_round"),
            models.CheckConstraint(
                condition=Q(votes_for__isnull=True)
                | Q(votes_for__lte=models.F("meeting_attendance")),
                name="step_votes_within_attendance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.code}#{self.round}"


class Objection(models.Model):
    class Outcome(models.TextChoices):
        UPHELD = "upheld", "异议成立"
        DISMISSED = "dismissed", "异议不成立"

    case = models.ForeignKey(
        Case, verbose_name="案件", on_delete=models.CASCADE, related_name="objections"
    )
    round = models.PositiveSmallIntegerField("核实轮次")
    #: The notice state the case was in when the objection came.
    state = models.CharField("公示环节", max_length=24)
    text = models.TextField("异议内容")
    raised_by_name = models.CharField("异议人", max_length=50, blank=True)
    raised_by_contact = models.CharField("联系方式", max_length=50, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    raised_at = models.DateTimeField("提出时间")
    outcome = models.CharField("核实结果", max_length=10, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField("核实说明", blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="核实人",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
    )
    resolved_at = models.DateTimeField("核实时间", null=True, blank=True)
    #: The public objection (``fupin.notices``) this one holds the case for, when it came
    #: through the public notice page (``fupin.workflows.notice_link``; ADR 0007).
    notice_objection = models.ForeignKey(
        "notices.NoticeObjection",
        verbose_name="公众异议",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="case_objections",
    )

    class Meta:
        verbose_name = "公示异议"
        verbose_name_plural = "公示异议"
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="", resolved_at__isnull=True)
                | (~Q(outcome="") & Q(resolved_at__isnull=False)),
                name="objection_outcome_with_time",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.text[:20]}"
