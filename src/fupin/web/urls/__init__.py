"""URLs of the pages. Each area keeps its own module; this one gathers them."""

from django.urls import include, path

from fupin.web.views import auth, home

app_name = "web"

urlpatterns = [
    path("", home.home, name="home"),
    path("accounts/login/", auth.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        auth.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    # Areas add one include line each below.
    path("", include("fupin.web.urls.imports")),
    path("", include("fupin.web.urls.households")),
    path("", include("fupin.web.urls.measures_household")),
    path("", include("fupin.web.urls.measures")),
    path("", include("fupin.web.urls.notices")),
    path("", include("fupin.web.urls.sharing")),
    path("", include("fupin.web.urls.evaluation")),
    path("", include("fupin.web.urls.workflows")),
    path("", include("fupin.web.urls.analysis_whatif")),
    path("", include("fupin.web.urls.analysis_deep_poverty")),
    path("", include("fupin.web.urls.village_facts")),
    path("", include("fupin.web.urls.reports_tables")),
    path("", include("fupin.web.urls.measures_card")),
    path("", include("fupin.web.urls.funds")),
    path("", include("fupin.web.urls.funds_pairing")),
]
