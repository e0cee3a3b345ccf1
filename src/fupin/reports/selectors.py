"""Read the rollups: a division's figures for a year, its breakdowns and its children's figures.

Every read here is a lookup of pre-computed rows (``fupin.reports.models``), never a count
over the registry, so a dashboard costs the same on an empty database and on a national one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Max

from fupin.divisions.models import CODE_LENGTH, Division
from fupin.policy import codes
from fupin.policy.rules import RULE_SETS, get_rule_set
from fupin.reports.models import NATIONAL, STATUS_COLUMNS, DivisionRollup, RollupCount

#: Statuses counted as exited (脱贫) for the exit progress.
EXITED_STATUSES = ("exited_with_policy", "exited")


@dataclass(frozen=True)
class Figures:
    """The figures of one division for one year (zeros when it has no registered household)."""

    code: str
    name: str
    households: int = 0
    persons: int = 0
    status_households: dict[str, int] = field(default_factory=dict)
    status_persons: dict[str, int] = field(default_factory=dict)
    assessed_households: int = 0
    meets_standard_households: int = 0
    rule_set: str = ""

    @classmethod
    def of(cls, code: str, name: str, row: DivisionRollup | None) -> Figures:
        if row is None:
            return cls(code, name)
        return cls(
            code=code,
            name=name,
            households=row.households,
            persons=row.persons,
            status_households={s: getattr(row, f"{s}_households") for s in STATUS_COLUMNS},
            status_persons={s: getattr(row, f"{s}_persons") for s in STATUS_COLUMNS},
            assessed_households=row.assessed_households,
            meets_standard_households=row.meets_standard_households,
            rule_set=row.rule_set,
        )

    @property
    def poor_households(self) -> int:
        return self.status_households.get("poor", 0)

    @property
    def poor_persons(self) -> int:
        return self.status_persons.get("poor", 0)

    @property
    def exited_households(self) -> int:
        return sum(self.status_households.get(s, 0) for s in EXITED_STATUSES)

    @property
    def exited_persons(self) -> int:
        return sum(self.status_persons.get(s, 0) for s in EXITED_STATUSES)

    @property
    def registered_households(self) -> int:
        """Households still on the register (all but those removed, 已清退)."""
        return self.households - self.status_households.get("removed", 0)

    @property
    def registered_persons(self) -> int:
        return self.persons - self.status_persons.get("removed", 0)

    @property
    def incidence(self) -> float | None:
        """Poor persons over registered persons (the registry holds no rural population)."""
        return self.poor_persons / self.registered_persons if self.registered_persons else None

    @property
    def exit_share(self) -> float | None:
        """Exited households over registered households."""
        if not self.registered_households:
            return None
        return self.exited_households / self.registered_households

    @property
    def meets_share(self) -> float | None:
        if not self.assessed_households:
            return None
        return self.meets_standard_households / self.assessed_households


@dataclass(frozen=True)
class Breakdown:
    key: str
    label: str
    households: int


@dataclass(frozen=True)
class Dashboard:
    year: int | None
    years: list[int]
    figures: Figures
    causes: list[Breakdown]
    failed: list[Breakdown]
    children: list[Figures]
    child_level_label: str


def rollup_years(division_code: str) -> list[int]:
    """Years with a rollup row for the division, latest first."""
    return list(
        DivisionRollup.objects.filter(division_code=division_code)
        .order_by("-year")
        .values_list("year", flat=True)
    )


def rollup_latest_year() -> int | None:
    year = DivisionRollup.objects.aggregate(y=Max("year"))["y"]
    return int(year) if year is not None else None


def _child_level_label(code: str) -> str:
    return {0: "省", 2: "市（州）", 4: "县（区）", 6: "乡（镇）", 9: "村"}.get(len(code), "")


def division_dashboard(*, division_code: str, name: str, year: int | None) -> Dashboard:
    """The dashboard of a division ("" for the country) for a year (latest when None).

    The children are the division's child divisions (provinces for the country), each with
    its figures (zeros when it has no registered household), in code order.
    """
    years = rollup_years(division_code)
    if year is None:
        year = years[0] if years else rollup_latest_year()
    if division_code == NATIONAL:
        divisions = Division.objects.filter(level=1)
    elif len(division_code) < CODE_LENGTH[5]:
        divisions = Division.objects.filter(parent_id=division_code)
    else:
        divisions = Division.objects.none()
    child_names = dict(divisions.order_by("code").values_list("code", "name"))
    if year is None:  # nothing rolled up anywhere yet
        return Dashboard(
            year=None,
            years=[],
            figures=Figures(division_code, name),
            causes=[],
            failed=[],
            children=[Figures(code, nm) for code, nm in child_names.items()],
            child_level_label=_child_level_label(division_code),
        )
    row = DivisionRollup.objects.filter(division_code=division_code, year=year).first()
    figures = Figures.of(division_code, name, row)

    counts = RollupCount.objects.filter(division_code=division_code, year=year)
    by_kind: dict[str, dict[str, int]] = {k: {} for k in RollupCount.Kind.values}
    for kind, key, households in counts.values_list("kind", "key", "households"):
        by_kind[kind][key] = households
    causes = [
        Breakdown(c, codes.CAUSE.label_of(c), by_kind["cause"].get(c, 0))
        for c in codes.CAUSE.codes
        if by_kind["cause"].get(c)
    ]
    causes.sort(key=lambda b: -b.households)
    rule_set = RULE_SETS.get(figures.rule_set) or get_rule_set()
    failed = [
        Breakdown(r.code, r.title, by_kind["failed"].get(r.code, 0))
        for r in rule_set.rules
        if figures.assessed_households
    ]

    rows = {
        r.division_code: r
        for r in DivisionRollup.objects.filter(division_code__in=list(child_names), year=year)
    }
    children = [Figures.of(code, nm, rows.get(code)) for code, nm in child_names.items()]
    return Dashboard(
        year=year,
        years=years,
        figures=figures,
        causes=causes,
        failed=failed,
        children=children,
        child_level_label=_child_level_label(division_code),
    )
