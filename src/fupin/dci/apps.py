from typing import Any

from django.apps import AppConfig


class DciConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "fupin.dci"
    verbose_name = "DCI 社会登记接口"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from fupin.common.models import AuditEvent

        post_save.connect(_audit_saved, sender=AuditEvent, dispatch_uid="dci_audit_saved")


def _audit_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """Queue the collection of notifications after commit; the work is the service's.

    Events written in bulk (imports, bulk workflow steps) send no signal: the next collection
    (this one, or ``fupin manage dci_notify`` run by cron) picks them up from the cursor.
    """
    if not created:
        return
    from django.db import transaction

    from fupin.dci.services import household_event_pending

    if household_event_pending(action=instance.action, obj_type=instance.obj_type):
        from fupin.dci.tasks import events_collect

        transaction.on_commit(lambda: events_collect.enqueue())
