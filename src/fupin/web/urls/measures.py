"""URLs of the township's and county's assistance pages (included by ``fupin.web.urls``,
``web`` namespace): the overdue lists, the home panel, the work teams."""

from django.urls import path

from fupin.web.views import measures as v

urlpatterns = [
    path("measures/overdue/", v.overdue, name="measures_overdue"),
    path("measures/panel/", v.home_panel, name="measures_home_panel"),
    path("measures/teams/", v.teams, name="teams"),
    path("measures/teams/<str:village_code>/", v.team_detail, name="team_detail"),
    path(
        "measures/teams/<str:village_code>/leave/",
        v.team_leave_decide,
        name="team_leave_decide",
    ),
    path(
        "measures/teams/<str:village_code>/attendance/",
        v.team_attendance,
        name="team_attendance",
    ),
]
