"""What the authorization matrix needs for the pairing pages (``fupin.web.views.funds_pairing``):
a pairing to name by id at a place. It is a 万企帮万村 pairing helping the place's village
(made once, ``by=None``), so a request's position is the place's village."""

from __future__ import annotations

from fupin.funds.models import Partnership
from fupin.funds.pairing_services import partnership_create


def partnership_at(village: str) -> int:
    """A pairing helping the village (made once)."""
    found = Partnership.objects.filter(helped_id=village, kind="enterprise").first()
    if found is None:
        found = partnership_create(
            kind="enterprise", helper_name="矩阵企业", helped=village, from_year=2016, by=None
        )
    return found.pk
