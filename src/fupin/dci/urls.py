"""``/dci/…``: the DCI Social Registry API 1.0.0 paths."""

from django.urls import path

from fupin.dci import views

app_name = "dci"
urlpatterns = [
    path("registry/sync/search", views.sync_search, name="sync-search"),
    path("registry/search", views.search, name="search"),
    path("registry/sync/txn/status", views.sync_txn_status, name="sync-txn-status"),
    path("registry/txn/status", views.txn_status, name="txn-status"),
    path("registry/subscribe", views.subscribe, name="subscribe"),
    path("registry/unsubscribe", views.unsubscribe, name="unsubscribe"),
]
