"""What the authorization matrix needs for the funds pages (``fupin.web.views.funds``,
``funds_projects``): a project to name by its code at a place. It is proposed at the place's
village by the system (``by=None``), so a request's position is the village's."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fupin.funds.models import Project
from fupin.funds.services import project_propose


def project_at(village_code: str) -> str:
    """The code of a project proposed at the village (made once)."""
    code = f"M-{village_code}"
    if not Project.objects.filter(code=code).exists():
        project_propose(
            code=code,
            name="矩阵项目",
            project_type="industry",
            division=village_code,
            budget=Decimal("1000"),
            budget_by_source={"central.development": Decimal("1000")},
            benefit_kinds=["employment"],
            performance_target="矩阵",
            proposed_on=date(2019, 3, 5),
            by=None,
        )
    return code
