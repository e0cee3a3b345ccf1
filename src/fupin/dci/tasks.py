"""Background tasks of the DCI interface (django-tasks): thin wrappers over one service each."""

from __future__ import annotations

from django_tasks import task

from fupin.dci import services


@task()
def search_process(txn_id: int) -> str:
    return str(services.dci_search_process(txn_id=txn_id).status)


@task()
def events_collect() -> int:
    return services.dci_events_collect()


@task()
def notifications_deliver() -> int:
    return services.dci_notifications_deliver()
