"""Read selectors of the registry: one household, a division's households, a household's file."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from fupin.accounts.scoping import in_scope, scope_queryset, user_scope
from fupin.assessment.models import AssessmentResult, AssessmentRun
from fupin.common.errors import FupinError
from fupin.divisions.selectors import subtree_q
from fupin.policy.idnumber import masked
from fupin.registry.models import Household, HouseholdIncome, LivingConditions, Member


def household_get(code: str) -> Household | None:
    """Return the household with this 户编号 (its village loaded), or None."""
    return Household.objects.select_related("village").filter(code=code).first()


def households_under(division_code: str) -> QuerySet[Household]:
    """Return the households in the villages under a division code (a code prefix)."""
    code = division_code.strip()
    if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12):
        raise FupinError(
            "DIVISION_UNKNOWN",
            f"区划代码“{division_code}”无效：应为 2、4、6、9 或 12 位数字",
        )
    return Household.objects.filter(village__code__startswith=code).order_by("code")


@dataclass(frozen=True)
class HouseholdDetail:
    """A household's whole file: members (head first), incomes (latest first), conditions."""

    household: Household
    members: list[Member]
    incomes: list[HouseholdIncome]
    conditions: LivingConditions | None

    @property
    def head(self) -> Member | None:
        return next((m for m in self.members if m.relation == "head"), None)

    @property
    def latest_income(self) -> HouseholdIncome | None:
        return self.incomes[0] if self.incomes else None


def household_detail(household_id: int) -> HouseholdDetail | None:
    """Return a household with its members, incomes and conditions in three queries."""
    members = Member.objects.order_by(
        Case(When(relation="head", then=Value(0)), default=Value(1), output_field=IntegerField()),
        "birth_date",
        "id",
    )
    household = (
        Household.objects.select_related("village", "conditions")
        .prefetch_related(
            Prefetch("members", queryset=members),
            Prefetch("incomes", queryset=HouseholdIncome.objects.order_by("-year")),
        )
        .filter(pk=household_id)
        .first()
    )
    if household is None:
        return None
    try:
        conditions: LivingConditions | None = household.conditions
    except ObjectDoesNotExist:
        conditions = None
    return HouseholdDetail(
        household=household,
        members=list(household.members.all()),
        incomes=list(household.incomes.all()),
        conditions=conditions,
    )


@dataclass(frozen=True)
class HouseholdFilters:
    """The filters of a household list, as a page, an export or the API receives them.

    Empty values filter nothing. ``division`` narrows the list to a subtree (it must lie
    inside the user's scope, which the caller passes separately). ``failing`` is a rule
    code (``EDUCATION``, ``HOUSING`` …) the household's assessment of ``year`` fails.
    ``q`` is a name (prefix), a 户编号, or a resident ID number (15 or 18 digits).
    """

    division: str = ""
    status: str = ""
    attribute: str = ""
    cause: str = ""
    failing: str = ""
    year: int | None = None
    q: str = ""


def household_search(*, scope: str, filters: HouseholdFilters) -> QuerySet[Household]:
    """Return the households under ``scope`` (a division prefix, "" for all) that match.

    A ``division`` outside the scope yields nothing rather than widening the list. Sorted
    by 户编号 so pages are stable.
    """
    from django.db.models import Exists, OuterRef, Q

    from fupin.divisions.selectors import subtree_q, validate_code
    from fupin.policy.idnumber import check, id_key

    qs = Household.objects.select_related("village").order_by("code")
    if scope:
        qs = qs.filter(subtree_q(scope, field="village__code"))
    if filters.division:
        division = validate_code(filters.division)
        if not division.startswith(scope):
            return qs.none()
        qs = qs.filter(subtree_q(division, field="village__code"))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.attribute:
        qs = qs.filter(attribute=filters.attribute)
    if filters.cause:
        qs = qs.filter(
            Q(main_cause=filters.cause)
            | Q(other_cause_1=filters.cause)
            | Q(other_cause_2=filters.cause)
        )
    if filters.failing:
        from fupin.assessment.models import AssessmentResult

        results = AssessmentResult.objects.filter(
            household=OuterRef("pk"), failed_codes__contains=filters.failing
        )
        if filters.year:
            results = results.filter(year=filters.year)
        qs = qs.filter(Exists(results))
    text = filters.q.strip()
    if text:
        checked = check(text) if text[:1].isdigit() and len(text) in (15, 18) else None
        if checked is not None and checked.valid and checked.normalized:
            members = Member.objects.filter(
                household=OuterRef("pk"), id_key=id_key(checked.normalized)
            )
            qs = qs.filter(Exists(members))
        elif text.isascii():
            qs = qs.filter(code__startswith=text)
        else:
            members = Member.objects.filter(household=OuterRef("pk"), name__startswith=text)
            qs = qs.filter(Exists(members))
    return qs


# --- Reads limited to what a user may see (the API, the pages) ---------------------------
# Each goes through the one scoping layer (fupin.accounts.scoping); an object outside the
# user's reach is returned as None, exactly like a missing one.

User = AbstractBaseUser | AnonymousUser


def _head_first(members: QuerySet[Member]) -> QuerySet[Member]:
    return members.order_by(
        Case(When(relation="head", then=Value(0)), default=Value(1), output_field=IntegerField()),
        "birth_date",
        "id",
    )


def households_visible(
    user: User,
    *,
    division: str | None = None,
    status: str | None = None,
    attribute: str | None = None,
    main_cause: str | None = None,
    search: str | None = None,
) -> QuerySet[Household]:
    """Return the households the user may see, filtered, in code order.

    Filters follow :func:`household_search` (the pages' list), so the API and the pages find
    the same households: ``division`` is a division-code prefix inside the user's scope;
    ``search`` a member's ID number (through ``id_key``, old 15-digit forms included), else
    the start of a 户编号 or of a member's name. ``main_cause`` is the main cause only. Each
    household carries ``head_name`` and ``member_count``.
    """
    scope = user_scope(user)
    if scope is None:
        return Household.objects.none()
    filters = HouseholdFilters(
        division=division or "", status=status or "", attribute=attribute or "", q=search or ""
    )
    qs = household_search(scope=scope, filters=filters)
    if main_cause:
        qs = qs.filter(main_cause=main_cause)
    heads = Member.objects.filter(household=OuterRef("pk"), relation="head")
    counts = (
        Member.objects.filter(household=OuterRef("pk"))
        .order_by()
        .values("household")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.annotate(
        head_name=Subquery(heads.values("name")[:1]),
        member_count=Coalesce(Subquery(counts), 0),
    ).order_by("code")


def household_visible(user: User, code: str) -> Household | None:
    """Return the household with this 户编号 if the user may see it, else None."""
    household = household_get(code)
    if household is None or not in_scope(user, household.village_id):
        return None
    return household


def household_members(household: Household) -> QuerySet[Member]:
    """Return the household's members, the head first, then by age (oldest first)."""
    return _head_first(Member.objects.filter(household=household))


def household_incomes(
    household: Household, *, year: int | None = None
) -> QuerySet[HouseholdIncome]:
    """Return the household's yearly income records, latest first (one year if given)."""
    qs = HouseholdIncome.objects.filter(household=household)
    if year is not None:
        qs = qs.filter(year=year)
    return qs.order_by("-year")


def household_assessment_results(
    household: Household, *, year: int | None = None
) -> QuerySet[AssessmentResult]:
    """Return the household's assessment results, latest year first (one year if given)."""
    qs = AssessmentResult.objects.filter(household=household)
    if year is not None:
        qs = qs.filter(year=year)
    return qs.order_by("-year", "rule_set")


def assessment_runs_visible(
    user: User, *, division: str | None = None, year: int | None = None
) -> QuerySet[AssessmentRun]:
    """Return the assessment runs filed under divisions the user may see, latest first."""
    qs = scope_queryset(AssessmentRun.objects.all(), user, "division__code")
    if division:
        qs = qs.filter(subtree_q(division, field="division__code"))
    if year is not None:
        qs = qs.filter(year=year)
    return qs.order_by("-started_at", "-pk")


def assessment_run_visible(user: User, run_id: int) -> AssessmentRun | None:
    """Return the run with this id if it is filed under a division the user may see."""
    return assessment_runs_visible(user).filter(pk=run_id).first()


# --- The household list page ---------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdRow:
    """One line of the household list: no full ID number ever reaches it."""

    household: Household
    head_name: str
    head_id_masked: str
    member_count: int
    assessed_year: int | None
    meets_standard: bool | None
    failed_codes: tuple[str, ...]


def household_rows(households: list[Household]) -> list[HouseholdRow]:
    """Return the list lines of one page of households in three queries (page-sized)."""
    ids = [h.pk for h in households]
    heads = {
        hid: (name, number)
        for hid, name, number in Member.objects.filter(
            household_id__in=ids, relation="head"
        ).values_list("household_id", "name", "id_number")
    }
    counts = dict(
        Member.objects.filter(household_id__in=ids)
        .order_by()
        .values("household_id")
        .annotate(n=Count("pk"))
        .values_list("household_id", "n")
    )
    latest: dict[int, tuple[int | None, bool | None, str]] = {}
    for hid, year, meets, failed in (
        AssessmentResult.objects.filter(household_id__in=ids)
        .order_by("household_id", "year")
        .values_list("household_id", "year", "meets_standard", "failed_codes")
    ):
        latest[hid] = (year, meets, failed)  # ascending years: the last one wins
    rows = []
    for h in households:
        name, number = heads.get(h.pk, ("", ""))
        assessed, meets_standard, failed_codes = latest.get(h.pk, (None, None, ""))
        rows.append(
            HouseholdRow(
                household=h,
                head_name=name,
                head_id_masked=masked(number),
                member_count=int(counts.get(h.pk, 0)),
                assessed_year=assessed,
                meets_standard=meets_standard,
                failed_codes=tuple(c for c in (failed_codes or "").split("|") if c),
            )
        )
    return rows


def household_code_next(village_code: str) -> str:
    """Return the next free 户编号 of a village in the generated form ``<village>-<000123>``."""
    prefix = f"{village_code}-"
    codes = Household.objects.filter(code__startswith=prefix).values_list("code", flat=True)
    last = 0
    for code in codes.order_by("-code")[:1]:
        tail = code.removeprefix(prefix)
        last = int(tail) if tail.isdigit() else 0
    candidate = last + 1
    while Household.objects.filter(code=f"{prefix}{candidate:06d}").exists():
        candidate += 1
    return f"{prefix}{candidate:06d}"
