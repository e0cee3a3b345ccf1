"""``fupin manage dci_notify``: collect and deliver DCI event notifications (run by cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from fupin.dci.services import dci_events_collect, dci_notifications_deliver


class Command(BaseCommand):
    help = "把登记、更新、退出事件生成 DCI 通知并送达订阅方"

    def handle(self, *args: Any, **options: Any) -> None:
        made = dci_events_collect()
        delivered = dci_notifications_deliver()
        self.stdout.write(f"新通知 {made} 条，送达 {delivered} 条")
