"""URLs of the funds pages (项目资金; included by ``fupin.web.urls``, ``web`` namespace): the
funds page, the project library, allocations and the factor method, flags, a village's page."""

from django.urls import path

from fupin.web.views import funds as v
from fupin.web.views import funds_projects as p

urlpatterns = [
    path("funds/", v.funds_home, name="funds_home"),
    path("funds/projects/", p.project_list, name="funds_projects"),
    path("funds/projects/new/", p.project_new, name="funds_project_new"),
    path("funds/projects/<str:project_code>/", p.project_detail, name="funds_project"),
    path("funds/projects/<str:project_code>/step/", p.project_step, name="funds_project_step"),
    path("funds/projects/<str:project_code>/fund/", p.project_fund_post, name="funds_project_fund"),
    path(
        "funds/projects/<str:project_code>/payment/",
        p.project_payment,
        name="funds_project_payment",
    ),
    path(
        "funds/projects/<str:project_code>/notice/",
        p.project_notice,
        name="funds_project_notice",
    ),
    path("funds/allocations/", v.allocations, name="funds_allocations"),
    path("funds/allocations/factor/", v.factor, name="funds_factor"),
    path("funds/flags/", v.flags, name="funds_flags"),
    path("funds/village/<str:village_code>/", v.village, name="funds_village"),
]
