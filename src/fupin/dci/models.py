"""What the DCI interface keeps: transactions (for async answers and status), subscriptions,
notifications, and how far the audit trail has been read for events.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TxnStatus(models.TextChoices):
    """The DCI request status (``UnSubscribeResponse.status`` in the specification)."""

    RECEIVED = "rcvd", "已接收"
    PENDING = "pdng", "处理中"
    SUCCESS = "succ", "成功"
    REJECTED = "rjct", "已拒绝"


class Transaction(models.Model):
    """One DCI request received: its envelope, and for async searches the answer to deliver.

    ``correlation_id`` is ours (unique); ``transaction_id`` is the sender's and may repeat.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="调用用户",
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField("动作", max_length=20)
    sender_id = models.CharField("发送方", max_length=200, blank=True)
    message_id = models.CharField("消息编号", max_length=200, blank=True)
    transaction_id = models.CharField("事务编号", max_length=99, blank=True)
    correlation_id = models.CharField("关联编号", max_length=99)
    callback_uri = models.CharField("回调地址", max_length=500, blank=True)
    status = models.CharField(
        "状态", max_length=4, choices=TxnStatus.choices, default=TxnStatus.RECEIVED
    )
    request = models.JSONField("请求消息", default=dict)
    response = models.JSONField("应答消息", null=True, blank=True)
    delivered_at = models.DateTimeField("回调送达时间", null=True, blank=True)
    delivery_error = models.CharField("回调错误", max_length=500, blank=True)
    created_at = models.DateTimeField("接收时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "DCI 事务"
        verbose_name_plural = "DCI 事务"
        constraints = [
            models.UniqueConstraint(fields=["correlation_id"], name="dci_txn_correlation_unique")
        ]
        indexes = [models.Index(fields=["user", "transaction_id"], name="dci_txn_user_txn")]

    def __str__(self) -> str:
        return f"{self.action} {self.transaction_id or self.correlation_id}"


class Subscription(models.Model):
    """A subscriber's standing request to be notified of register / update / exit events."""

    class Status(models.TextChoices):
        SUBSCRIBED = "subscribe", "订阅中"
        UNSUBSCRIBED = "unsubscribe", "已退订"

    code = models.CharField("订阅编号", max_length=99)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="订阅用户",
        on_delete=models.CASCADE,
        related_name="+",
    )
    sender_id = models.CharField("订阅方", max_length=200, blank=True)
    transaction_id = models.CharField("事务编号", max_length=99, blank=True)
    reference_id = models.CharField("请求编号", max_length=99, blank=True)
    #: REGISTER, UPDATE or EXIT (``fupin.dci.events.EVENT_TYPES``).
    reg_event_type = models.CharField("事件类型", max_length=20)
    #: The filter as a predicate list (validated on subscription), [] for every household.
    filter = models.JSONField("过滤条件", default=list, blank=True)
    notify_record_type = models.CharField("通知记录类型", max_length=60, default="Group")
    callback_uri = models.CharField("通知回调地址", max_length=500, blank=True)
    status = models.CharField(
        "状态", max_length=12, choices=Status.choices, default=Status.SUBSCRIBED
    )
    #: Events recorded up to this audit event predate the subscription and are not notified.
    from_audit_id = models.BigIntegerField("起始审计事件", default=0)
    created_at = models.DateTimeField("订阅时间", auto_now_add=True)
    ended_at = models.DateTimeField("退订时间", null=True, blank=True)

    class Meta:
        verbose_name = "DCI 事件订阅"
        verbose_name_plural = "DCI 事件订阅"
        constraints = [models.UniqueConstraint(fields=["code"], name="dci_subscription_code")]
        indexes = [models.Index(fields=["status", "reg_event_type"], name="dci_subscription_live")]

    def __str__(self) -> str:
        return self.code


class Notification(models.Model):
    """One event owed to one subscription; delivered by callback or fetched by status pull."""

    class Status(models.TextChoices):
        PENDING = "pending", "待送达"
        DELIVERED = "delivered", "已送达"
        FAILED = "failed", "送达失败"
        STORED = "stored", "待拉取"  # no callback allowed: the subscriber pulls it

    subscription = models.ForeignKey(
        Subscription,
        verbose_name="订阅",
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    event_type = models.CharField("事件类型", max_length=20)
    household_code = models.CharField("户编号", max_length=32)
    division_code = models.CharField("区划代码", max_length=12)
    audit_event_id = models.BigIntegerField("审计事件")
    occurred_at = models.DateTimeField("事件时间")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("送达次数", default=0)
    last_error = models.CharField("最近错误", max_length=500, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)

    class Meta:
        verbose_name = "DCI 事件通知"
        verbose_name_plural = "DCI 事件通知"
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "audit_event_id"], name="dci_notification_once"
            )
        ]
        indexes = [models.Index(fields=["status"], name="dci_notification_status")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.household_code}"


class EventCursor(models.Model):
    """How far the audit trail has been turned into notifications (one row, name "audit")."""

    name = models.CharField("名称", max_length=20, primary_key=True)
    last_audit_id = models.BigIntegerField("最后处理的审计事件", default=0)

    class Meta:
        verbose_name = "DCI 事件游标"
        verbose_name_plural = "DCI 事件游标"

    def __str__(self) -> str:
        return f"{self.name}={self.last_audit_id}"
