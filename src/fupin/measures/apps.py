from typing import Any

from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "fupin.measures"
    label = "measures"
    verbose_name = "精准施策（帮扶措施、结对帮扶、驻村工作队）"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from fupin.measures.models import Pairing, Visit

        for signal in (post_save, post_delete):
            for model in (Visit, Pairing):
                signal.connect(
                    _keep_last_visit,
                    sender=model,
                    dispatch_uid=f"measures_last_visit_{signal is post_save}_{model.__name__}",
                )


def _keep_last_visit(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A visit or a pairing saved or deleted one at a time (a service, the admin, a test)
    sets ``Pairing.last_visit`` of its household again (one UPDATE). Bulk writes send no
    signal: the imports and the generators call ``pairing_last_visits_refresh`` themselves."""
    from fupin.measures.services import pairing_last_visits_refresh

    pairing_last_visits_refresh([instance.household_id])
