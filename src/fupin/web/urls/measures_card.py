"""URL of the household's 明白卡 PDF (included by ``fupin.web.urls`` in the ``web`` namespace)."""

from django.urls import path

from fupin.web.views import measures_card

urlpatterns = [
    path("households/<str:code>/card.pdf", measures_card.household_card, name="household_card"),
]
