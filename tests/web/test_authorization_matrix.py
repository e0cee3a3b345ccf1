"""The authorization matrix: every URL × every role × every object position.

The endpoints are read from the URL configuration (pages, the admin and the ninja API), so a
page added tomorrow is checked tomorrow without editing this file — unless its parameters or
its right are unknown here, and then the first test below fails and says what to add.

What a role may do comes from one rule table (``RULES``) read against
``fupin.accounts.permissions.RIGHTS``; whether the object is in reach comes from the user's
division (``fupin.accounts.scoping.in_scope``). A request is *allowed* when it answers 2xx, or
3xx to a page other than a sign-in page; *denied* when it answers a redirect to sign in, 401,
403 or 404. Anything else (500, 405 …) is an error, reported with the rest.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Literal
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from fupin.accounts.models import Profile, Role
from fupin.accounts.permissions import RIGHTS, Action
from fupin.accounts.scoping import in_scope, user_scope
from fupin.assessment.models import AssessmentRun
from fupin.assessment.services import assessment_run
from fupin.divisions.services import divisions_load
from fupin.jobs.models import ImportJob
from fupin.notices.models import Notice, NoticeEntry, NoticeObjection, NoticeStatus
from fupin.notices.rights import NOTICE_ROLES
from fupin.registry.imports.services import registry_import_table
from fupin.registry.models import Household, HouseholdIncome, LivingConditions, Member
from fupin.synth.generator import generate
from fupin.workflows.models import Case, Objection
from tests.registry.flatfiles import make_id
from tests.web import matrix_funds, matrix_funds_pairing, matrix_measures

# --- the rule table --------------------------------------------------------------------------

Need = Action | Literal["public", "login", "staff"]


@dataclass(frozen=True)
class Rule:
    """Who may open a URL: a right of RIGHTS, anyone ("public"), any signed-in user ("login")
    or the Django admin's staff ("staff"); ``method`` is the verb the matrix sends."""

    need: Need
    method: str = "GET"
    #: The object is reachable by its owner only (an import job by its uploader), not by
    #: everyone in whose division it lies.
    owner_only: bool = False
    #: Only these roles, among those holding ``need`` (None: every role holding it).
    roles: frozenset[str] | None = None


#: The roles that record village facts (村情): the editors of the registry and the township.
VILLAGE_FACTS_EDITORS = frozenset(
    {Role.VILLAGE_CADRE, Role.TOWNSHIP_REVIEWER, Role.COUNTY_OFFICE, Role.ADMINISTRATOR}
)

#: Who records a work team's attendance: the township, the county (and the member themself).
ATTENDANCE_RECORDERS = frozenset({Role.TOWNSHIP_REVIEWER, Role.COUNTY_OFFICE, Role.ADMINISTRATOR})
#: Who registers 帮扶责任人: the county office.
CADRE_REGISTRARS = frozenset({Role.COUNTY_OFFICE, Role.ADMINISTRATOR})

#: Who proposes a project (项目申报): the village, the township and the county office.
FUNDS_PROPOSERS = frozenset(
    {Role.VILLAGE_CADRE, Role.TOWNSHIP_REVIEWER, Role.COUNTY_OFFICE, Role.ADMINISTRATOR}
)

#: The personas that may record a province's designation (a province-level user).
DESIGNATORS = frozenset({Role.ADMINISTRATOR})

#: One row per URL name. Objects named by a URL (a household's code, a run's id …) must
#: also lie in the user's division subtree, except on public URLs.
RULES: dict[str, Rule] = {
    # Sign-in and account pages (fupin.web).
    "web:login": Rule("public"),
    "web:home": Rule("login"),
    "web:password_change": Rule("login"),
    "web:password_change_done": Rule("login"),
    # The registry pages of the web issue.
    "web:household_list": Rule(Action.VIEW_REGISTRY),
    "web:household_detail": Rule(Action.VIEW_REGISTRY),
    "web:household_new": Rule(Action.EDIT_REGISTRY),
    "web:member_add": Rule(Action.EDIT_REGISTRY),
    "web:income_record": Rule(Action.EDIT_REGISTRY),
    "web:conditions_update": Rule(Action.EDIT_REGISTRY),
    "web:id_check": Rule(Action.EDIT_REGISTRY),  # a registration helper
    # A household's assistance pages: recording a measure needs the editing right in the
    # household's village; the visit form opens for a 帮扶责任人 linked to the user (no persona
    # here) or for an editor of the registry, and names no object.
    "web:measure_new": Rule(Action.EDIT_REGISTRY),
    "web:visit_new": Rule(Action.EDIT_REGISTRY),
    "web:household_export": Rule(Action.EXPORT),
    "web:household_card": Rule(Action.VIEW_REGISTRY),  # the 明白卡 PDF: private, in scope
    # Excel import.
    "web:import_upload": Rule(Action.IMPORT),
    "web:import_job": Rule(Action.IMPORT, owner_only=True),
    "web:import_commit": Rule(Action.IMPORT, "POST", owner_only=True),
    "web:import_template": Rule(Action.IMPORT),
    "web:import_errors": Rule(Action.IMPORT, owner_only=True),
    # Public by design: language switching, public notices.
    "set_language": Rule("public"),
    "web:notice_list": Rule(Action.VIEW_REGISTRY),
    # Department data: every signed-in persona here either views the registry in its scope or
    # uploads datasets (department provider, administrator), so the home page opens for all.
    "web:sharing_home": Rule("login"),
    "web:sharing_tasks": Rule(Action.VIEW_REGISTRY),
    "web:sharing_resolve": Rule(Action.EDIT_REGISTRY, "POST"),
    "web:sharing_burden": Rule(Action.VIEW_REGISTRY),
    "notices:list": Rule("public"),
    "notices:detail": Rule("public"),
    "notices:pdf": Rule("public"),
    # The notices' cadre pages: posting is for the cadres of the notice offices (village,
    # township, county) and administrators; the rest reads. Writes with an empty form answer
    # with a message on the page (allowed), outside the subtree 404.
    "web:notice_new": Rule(Action.VIEW_REGISTRY, roles=NOTICE_ROLES),
    "web:notice_manage": Rule(Action.VIEW_REGISTRY),
    "web:notice_withdraw": Rule(Action.VIEW_REGISTRY, "POST"),
    "web:objection_resolve": Rule(Action.VIEW_REGISTRY, "POST"),
    # The procedures (识别与退出): reading needs the registry right and the subtree; who may
    # take a step is the workflow services' decision, shown as a message (allowed here).
    "web:workflow_home": Rule(Action.VIEW_REGISTRY),
    "web:workflow_bulk": Rule(Action.VIEW_REGISTRY),
    "web:case_detail": Rule(Action.VIEW_REGISTRY),
    "web:case_act": Rule(Action.VIEW_REGISTRY, "POST"),
    "web:case_objection_raise": Rule(Action.VIEW_REGISTRY, "POST"),
    "web:case_objection_resolve": Rule(Action.VIEW_REGISTRY, "POST"),
    "web:case_open": Rule(Action.VIEW_REGISTRY),
    # The JSON API: its docs and the division tree are public; data needs a right.
    "api-v1:openapi-json": Rule("public"),
    "api-v1:openapi-view": Rule("public"),
    "api-v1:division_get": Rule("public"),
    "api-v1:division_children": Rule("public"),
    "api-v1:household_list": Rule(Action.VIEW_REGISTRY),
    "api-v1:household_create": Rule(Action.EDIT_REGISTRY, "POST"),
    "api-v1:household_get": Rule(Action.VIEW_REGISTRY),
    "api-v1:member_list": Rule(Action.VIEW_REGISTRY),
    "api-v1:member_add": Rule(Action.EDIT_REGISTRY, "POST"),
    "api-v1:income_list": Rule(Action.VIEW_REGISTRY),
    "api-v1:income_record": Rule(Action.EDIT_REGISTRY, "PUT"),
    "api-v1:household_explanation": Rule(Action.VIEW_REGISTRY),
    "api-v1:household_results": Rule(Action.VIEW_REGISTRY),
    "api-v1:run_list": Rule(Action.VIEW_REGISTRY),
    "api-v1:run_get": Rule(Action.VIEW_REGISTRY),
    # Exit evaluation: the pages read, the evaluator's actions need EVALUATE.
    "web:evaluation_home": Rule(Action.VIEW_REGISTRY),
    "web:analysis_whatif": Rule(Action.VIEW_REGISTRY),
    "api-v1:whatif": Rule(Action.VIEW_REGISTRY),
    "web:evaluation_county": Rule(Action.VIEW_REGISTRY),
    "web:evaluation_villages_run": Rule(Action.EVALUATE, "POST"),
    "web:evaluation_county_start": Rule(Action.EVALUATE, "POST"),
    "web:evaluation_county_decide": Rule(Action.EVALUATE, "POST"),
    "web:evaluation_sample_verify": Rule(Action.EVALUATE, "POST"),
    # Village facts (村情): reading needs the registry right and the subtree; recording is
    # for the village cadre, the township reviewer (village facts only), the county office.
    "web:village_facts_list": Rule(Action.VIEW_REGISTRY),
    "web:village_facts_edit": Rule(Action.VIEW_REGISTRY),
    "web:village_facts_template": Rule(Action.VIEW_REGISTRY),
    "web:village_facts_import": Rule(Action.VIEW_REGISTRY, "POST", roles=VILLAGE_FACTS_EDITORS),
    "api-v1:village_facts_list": Rule(Action.VIEW_REGISTRY),
    "api-v1:village_facts_get_one": Rule(Action.VIEW_REGISTRY),
    "api-v1:village_facts_put": Rule(Action.VIEW_REGISTRY, "PUT", roles=VILLAGE_FACTS_EDITORS),
    # Deep-poverty areas: reading needs the registry right (a designation is the province's
    # public decision, readable in the province); designating is the province office's
    # (the county-office role placed at a province) — no persona here but the administrator.
    "web:analysis_deep_poverty": Rule(Action.VIEW_REGISTRY),
    "web:analysis_deep_poverty_panel": Rule(Action.VIEW_REGISTRY),
    "web:analysis_designation": Rule(Action.VIEW_REGISTRY),
    "web:analysis_map": Rule(Action.VIEW_REGISTRY),
    "web:analysis_designate": Rule(Action.DESIGNATE, "POST", roles=DESIGNATORS),
    "api-v1:deep_poverty_indicators": Rule(Action.VIEW_REGISTRY),
    "api-v1:deep_poverty_candidates_view": Rule(Action.VIEW_REGISTRY),
    "api-v1:deep_poverty_rule_sets": Rule(Action.VIEW_REGISTRY),
    "api-v1:deep_poverty_designations": Rule(Action.VIEW_REGISTRY),
    "api-v1:deep_poverty_designate": Rule(Action.DESIGNATE, "POST", roles=DESIGNATORS),
    # Statistical tables: reading needs the registry right (the user's own division when no
    # division is asked); the downloads need the export right.
    "web:reports_table_list": Rule(Action.VIEW_REGISTRY),
    "web:reports_table": Rule(Action.VIEW_REGISTRY),
    "web:reports_table_xlsx": Rule(Action.EXPORT),
    "web:reports_table_csv": Rule(Action.EXPORT),
    "api-v1:tables": Rule(Action.VIEW_REGISTRY),
    "api-v1:table": Rule(Action.VIEW_REGISTRY),
    # Precise measures (精准施策): reading needs the registry right; measures, plans,
    # pairings and visits need the editing right; cadres are the county office's; attendance
    # is recorded by the township or the county (fupin.measures.services).
    "api-v1:household_measures": Rule(Action.VIEW_REGISTRY),
    "api-v1:household_measure_record": Rule(Action.EDIT_REGISTRY, "POST"),
    "api-v1:measure_status": Rule(Action.EDIT_REGISTRY, "PATCH"),
    "api-v1:household_plan": Rule(Action.VIEW_REGISTRY),
    "api-v1:household_plan_save": Rule(Action.EDIT_REGISTRY, "PUT"),
    "api-v1:household_suggestions": Rule(Action.VIEW_REGISTRY),
    "api-v1:household_pairings": Rule(Action.VIEW_REGISTRY),
    "api-v1:household_pairing_assign": Rule(Action.EDIT_REGISTRY, "POST"),
    "api-v1:household_visits": Rule(Action.VIEW_REGISTRY),
    "api-v1:household_visit_record": Rule(Action.EDIT_REGISTRY, "POST"),
    "api-v1:cadre_list": Rule(Action.VIEW_REGISTRY),
    "api-v1:cadre_create": Rule(Action.EDIT_REGISTRY, "POST", roles=CADRE_REGISTRARS),
    "api-v1:overdue_visit_list": Rule(Action.VIEW_REGISTRY),
    "api-v1:village_team": Rule(Action.VIEW_REGISTRY),
    "api-v1:village_team_attendance": Rule(
        Action.VIEW_REGISTRY, "POST", roles=ATTENDANCE_RECORDERS
    ),
    # The township's and county's assistance pages: reading needs the registry right and the
    # subtree (a team is named by its village); deciding a leave and recording attendance are
    # the services' decision, shown as a message (allowed here), outside the subtree 404.
    "web:measures_overdue": Rule(Action.VIEW_REGISTRY),
    "web:measures_home_panel": Rule(Action.VIEW_REGISTRY),
    "web:teams": Rule(Action.VIEW_REGISTRY),
    "web:team_detail": Rule(Action.VIEW_REGISTRY),
    "web:team_leave_decide": Rule(Action.VIEW_REGISTRY, "POST"),
    "web:team_attendance": Rule(Action.VIEW_REGISTRY, "POST"),
    # The funds pages (项目资金): reading needs the registry right and the subtree (a project is
    # named by its code, a village by its code); proposing is for the village, township and
    # county roles; the factor method is the county office's (allocating from the user's own
    # division); the POSTs of a project (step, funding, payment, notice) are the services'
    # decision, shown as a message (allowed here), outside the subtree 404.
    "web:funds_home": Rule(Action.VIEW_REGISTRY),
    "web:funds_projects": Rule(Action.VIEW_REGISTRY),
    "web:funds_project_new": Rule(Action.VIEW_REGISTRY, roles=FUNDS_PROPOSERS),
    "web:funds_project": Rule(Action.VIEW_REGISTRY),
    "web:funds_project_step": Rule(Action.VIEW_REGISTRY, "POST"),
    "web:funds_project_fund": Rule(Action.VIEW_REGISTRY, "POST"),
    "web:funds_project_payment": Rule(Action.VIEW_REGISTRY, "POST"),
    "web:funds_project_notice": Rule(Action.VIEW_REGISTRY, "POST"),
    "web:funds_allocations": Rule(Action.VIEW_REGISTRY),
    "web:funds_factor": Rule(Action.VIEW_REGISTRY, roles=CADRE_REGISTRARS),
    "web:funds_flags": Rule(Action.VIEW_REGISTRY),
    "web:funds_village": Rule(Action.VIEW_REGISTRY),
    # Pairings between regions and units (结对帮扶): reading needs the registry right and the
    # pairing in reach; setting targets and recording achievements are the services' decision
    # (the helped county's office or above), shown as a message (allowed here), outside 404.
    "web:funds_pairings": Rule(Action.VIEW_REGISTRY),
    "web:funds_pairings_panel": Rule(Action.VIEW_REGISTRY),
    "web:funds_pairing": Rule(Action.VIEW_REGISTRY),
    "web:funds_pairing_targets": Rule(Action.VIEW_REGISTRY, "POST"),
    "web:funds_pairing_achievement": Rule(Action.VIEW_REGISTRY, "POST"),
    # The Django admin's own sign-in page.
    "admin:login": Rule("public"),
}

#: Patterns left out on purpose, each with its reason. Admin internals that need an object
#: id of some model or a query string, sign-out (POST only), and the admin's catch-all.
ALLOWED_UNCHECKED: dict[str, str] = {
    "web:county_statistics_edit": "names a county, readable from its whole subtree (a village "
    "reads its county's figures), which the matrix's village positions cannot express; its "
    "scoping is tested in tests/web/test_village_facts_pages.py",
    "web:logout": "POST only: a GET answers 405 by design",
    "admin:logout": "POST only: a GET answers 405 by design",
    "admin:autocomplete": "needs app_label/model_name/field_name in the query string",
    "admin:view_on_site": "admin internal: content type and object ids",
    "api-v1:api-root": "django-ninja's root: the API has no index page (404 by design)",
    "notices:objection_create": "a public POST form: an empty one answers 400 with its errors "
    "(tests/notices and tests/browser/test_notices.py submit real ones)",
    "notices:objection_received": "needs the signed receipt in its query string (404 without)",
    "web:step_file": "a step's evidence file, only where one was uploaded: served in scope and "
    "404 to another township in tests/web/test_workflows.py",
    # The DCI Social Registry API takes bearer tokens only (a session is refused with 401) and
    # POSTed DCI envelopes: its roles, scoping and audit are checked in tests/dci.
    **{
        f"dci:{name}": "DCI API: token-only POST endpoints, checked in tests/dci"
        for name in (
            "sync-search",
            "search",
            "sync-txn-status",
            "txn-status",
            "subscribe",
            "unsubscribe",
        )
    },
}
#: Admin URL patterns carrying these parameters are admin internals (change/delete/history of
#: any model, password of any user, the catch-all); the changelists and add pages are checked.
ADMIN_INTERNAL_PARAMS = {"object_id", "id", "url", "content_type_id"}


def rule_for(name: str) -> Rule | None:
    if name in RULES:
        return RULES[name]
    if name.startswith("admin:"):
        return Rule("staff")  # every other admin page: staff only
    return None


# --- the places where objects lie --------------------------------------------------------------

#: Townships and counties whose divisions are loaded: two sibling townships of 昭觉县, another
#: county of 凉山州 (西昌市), a county of another prefecture of 四川 (成都市锦江区) and one of
#: another province (北京市东城区).
TOWNSHIP_1 = "513431100"  # 昭觉县新城镇
TOWNSHIP_2 = "513431101"  # 昭觉县城北镇
OTHER_COUNTY_TOWNSHIP = "513401001"  # 西昌市北城街道
OTHER_PREFECTURE_TOWNSHIP = "510104017"  # 成都市锦江区锦官驿街道
OTHER_PROVINCE_TOWNSHIP = "110101001"  # 北京市东城区东华门街道


@dataclass(frozen=True)
class Place:
    """A household, its village and an assessment run filed under that village."""

    household: str
    village: str
    run_id: int
    job_id: int  # an import job uploaded by someone working in the village
    case_id: int  # an exit case of the household, under public notice
    notice_id: int  # the village's notice of that case
    objection_id: int  # a public objection to the notice (fupin.notices)
    wf_objection_id: int  # the hold it put on the case (fupin.workflows)


@dataclass
class World:
    places: dict[str, Place]  # v1, v2 (same township), t2, county, prefecture, province


def _households_in(township: str, seed: int) -> list[Household]:
    table = generate(division=township, persons=40, seed=seed)
    report = registry_import_table(table_or_batches=table, source="test")
    assert report.ok, report.errors[:3]
    return list(Household.objects.filter(village__code__startswith=township).order_by("code"))


def _job(user: User, scope: str) -> int:
    job = ImportJob.objects.create(
        user=user, scope=scope, file="matrix.csv", original_name="户.csv"
    )
    job.errors_file.save("matrix-errors.xlsx", ContentFile(b"PK"), save=True)
    return job.pk


def _place(household: Household) -> Place:
    run = assessment_run(division_code=household.village_id)
    uploader = get_user_model().objects.create_user(username=f"uploader-{household.village_id}")
    Profile.objects.create(user=uploader, role=Role.VILLAGE_CADRE, division_id=household.village_id)
    case, notice, objection, hold = _notice_with_case(household, uploader)
    return Place(
        household=household.code,
        village=household.village_id,
        run_id=run.pk,
        job_id=_job(uploader, household.village_id),
        case_id=case,
        notice_id=notice,
        objection_id=objection,
        wf_objection_id=hold,
    )


def _notice_with_case(household: Household, by: User) -> tuple[int, int, int, int]:
    """An exit case under public notice, its notice, a public objection and its hold."""
    now = timezone.now()
    case = Case.objects.create(
        household=household,
        procedure="exit",
        state="noticed",
        year=2016,
        division_code=household.village_id,
        opened_by=by,
        opened_at=now,
        moved_at=now,
        notice_until=now + timedelta(days=7),
    )
    notice = Notice.objects.create(
        kind="exit",
        division_id=household.village_id,
        title="矩阵公示",
        status=NoticeStatus.POSTED,
        period_days=7,
        starts_at=now,
        ends_at=now + timedelta(days=7),
        posted_by=by,
        posted_at=now,
        case_ids=[case.pk],
    )
    entry = NoticeEntry.objects.create(
        notice=notice,
        position=1,
        household_code=household.code,
        head_name="测试",
        member_count=1,
        decision="拟退出",
    )
    objection = NoticeObjection.objects.create(
        notice=notice, entry=entry, text="矩阵异议内容", address_digest="x", submitted_at=now
    )
    hold = Objection.objects.create(
        case=case,
        round=1,
        state="noticed",
        text=objection.text,
        recorded_by=by,
        raised_at=now,
        notice_objection=objection,
    )
    return case.pk, notice.pk, objection.pk, hold.pk


@pytest.fixture
def world(db: None) -> World:
    for prefix in ("513431", "513401", "510104", "110101"):
        divisions_load(prefix=prefix)
    first = _households_in(TOWNSHIP_1, seed=1)
    same_village = first[0].village_id
    other_village = next(h for h in first if h.village_id != same_village)
    places = {
        "v1": _place(first[0]),
        "v2": _place(other_village),
        "t2": _place(_households_in(TOWNSHIP_2, seed=2)[0]),
        "county": _place(_households_in(OTHER_COUNTY_TOWNSHIP, seed=3)[0]),
        "prefecture": _place(_households_in(OTHER_PREFECTURE_TOWNSHIP, seed=4)[0]),
        "province": _place(_households_in(OTHER_PROVINCE_TOWNSHIP, seed=5)[0]),
    }
    return World(places=places)


# --- the roles ---------------------------------------------------------------------------------

POSITIONS = ("own", "sibling", "ancestor_other", "other_province")


@dataclass(frozen=True)
class Persona:
    """A role at its natural level, and which place is at each position relative to it."""

    key: str
    role: Role | None  # None: anonymous
    division: Callable[[World], str | None]
    positions: tuple[str, str, str, str]  # place keys for POSITIONS
    staff: bool = False


def _v1(w: World) -> str:
    return w.places["v1"].village


PERSONAS = (
    Persona("anonymous", None, lambda w: None, ("v1", "t2", "county", "province")),
    Persona("village_cadre", Role.VILLAGE_CADRE, _v1, ("v1", "v2", "t2", "province")),
    Persona(
        "township_reviewer",
        Role.TOWNSHIP_REVIEWER,
        lambda w: _v1(w)[:9],
        ("v1", "t2", "county", "province"),
    ),
    Persona(
        "county_office",
        Role.COUNTY_OFFICE,
        lambda w: _v1(w)[:6],
        ("v1", "county", "prefecture", "province"),
    ),
    Persona(
        "analyst_prefecture",
        Role.ANALYST,
        lambda w: _v1(w)[:4],
        ("v1", "prefecture", "province", "province"),
    ),
    Persona(
        "analyst_province",
        Role.ANALYST,
        lambda w: _v1(w)[:2],
        ("v1", "province", "province", "province"),
    ),
    Persona("analyst_national", Role.ANALYST, lambda w: None, ("v1", "t2", "county", "province")),
    # A department provider works on its own datasets, with no division.
    Persona(
        "department_provider",
        Role.DEPARTMENT_PROVIDER,
        lambda w: None,
        ("v1", "t2", "county", "province"),
    ),
    Persona(
        "inspector",
        Role.INSPECTOR,
        lambda w: _v1(w)[:6],
        ("v1", "county", "prefecture", "province"),
    ),
    Persona(
        "administrator",
        Role.ADMINISTRATOR,
        lambda w: None,
        ("v1", "t2", "county", "province"),
        staff=True,
    ),
)


def _user_for(persona: Persona, world: World) -> User | None:
    if persona.role is None:
        return None
    user = get_user_model().objects.create_user(
        username=persona.key,
        password="matrix-pw-123456",
        is_staff=persona.staff,
        is_superuser=persona.staff,
    )
    Profile.objects.create(user=user, role=persona.role, division_id=persona.division(world))
    return user


# --- the endpoints -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str  # "namespace:name"
    route: str  # the joined route, e.g. "households/<str:code>/"
    params: tuple[str, ...]


def _walk(
    patterns: list[URLPattern | URLResolver], prefix: str, namespaces: tuple[str, ...]
) -> Iterator[Endpoint]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = (*namespaces, p.namespace) if p.namespace else namespaces
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        else:
            route = prefix + str(p.pattern)
            name = ":".join((*namespaces, p.name or f"<unnamed {route}>"))
            params = re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route)
            yield Endpoint(name, route, tuple(a or b for a, b in params))


def endpoints() -> list[Endpoint]:
    """Return every URL pattern of the site (the pages, the admin's and the API's)."""
    return list(_walk(get_resolver().url_patterns, "", ()))


# --- filling URL parameters --------------------------------------------------------------------

#: How to fill a URL parameter from a place: (value, whether the parameter names an object
#: whose division must be in the user's reach). Keyed by parameter name; a few names mean
#: different things on different patterns.
Filler = Callable[[str, Place], tuple[str, bool]]


def _code(name: str, place: Place) -> tuple[str, bool]:
    if name == "web:analysis_map":  # public boundaries of 凉山州: no object of a division
        return "5134", False
    if "division" in name or "village_facts" in name or "village_team" in name:
        return place.village, True
    return place.household, True


def _evaluation_at(place: Place) -> int:
    """A county evaluation filed under the place's village (so its position is the place's)."""
    from fupin.evaluation.models import CountyEvaluation

    evaluation, _ = CountyEvaluation.objects.get_or_create(
        county_id=place.village, year=2016, seed=0
    )
    return evaluation.pk


def _flag_at(place: Place) -> int:
    """An open department-data flag on the place's household (so its position is the place's)."""
    from fupin.sharing.models import Flag, MatchRun

    household = Household.objects.get(code=place.household)
    flag = Flag.objects.filter(household=household).first()
    if flag is None:
        run = MatchRun.objects.create(dataset=None, note="matrix")
        flag = Flag.objects.create(
            run=run,
            flag_type="UPDATE_INSURANCE",
            household=household,
            village_code=place.village,
            match_method=Flag.Method.REGISTRY,
        )
    return flag.pk


def _sample_at(place: Place) -> int:
    from fupin.evaluation.models import EvaluationSample

    sample, _ = EvaluationSample.objects.get_or_create(
        evaluation_id=_evaluation_at(place),
        household=Household.objects.get(code=place.household),
        defaults={"stratum": "poor", "village_id": place.village},
    )
    return sample.pk


def _designation() -> int:
    """A designation of 四川 (readable by everyone in the province: no position)."""
    from fupin.analysis.models import Designation

    d, _ = Designation.objects.get_or_create(
        province_id="51",
        document_number="矩阵〔2017〕1号",
        level="county",
        defaults={
            "kind": "deep_poverty",
            "year": 2016,
            "title": "矩阵测试",
            "decided_on": "2017-11-20",
            "rule_set": "national-county@2017",
            "rule_set_definition": {},
        },
    )
    return d.pk


FILLERS: dict[str, Filler] = {
    # A statistical table's name: the table of the user's own division (no object named).
    "name": lambda name, place: ("scale", False),
    "designation_id": lambda name, place: (str(_designation()), False),
    "code": _code,
    "household": lambda name, place: (place.household, True),
    "run_id": lambda name, place: (str(place.run_id), True),
    "job_id": lambda name, place: (str(place.job_id), True),
    "year": lambda name, place: ("2016", False),
    "case_id": lambda name, place: (str(place.case_id), True),
    # Public notice pages name a notice but are open to all: no position to check there.
    "notice_id": lambda name, place: (str(place.notice_id), not name.startswith("notices:")),
    "objection_id": lambda name, place: (str(place.objection_id), True),
    "wf_objection_id": lambda name, place: (str(place.wf_objection_id), True),
    "app_label": lambda name, place: ("registry", False),
    "evaluation_id": lambda name, place: (str(_evaluation_at(place)), True),
    "sample_id": lambda name, place: (str(_sample_at(place)), True),
    "pk": lambda name, place: (str(_flag_at(place)), True),  # web:sharing_resolve
    "measure_id": lambda name, place: (str(matrix_measures.measure_at(place.household)), True),
    "village_code": lambda name, place: (place.village, True),  # web:team_detail and its posts
    "partnership_id": lambda name, place: (
        str(matrix_funds_pairing.partnership_at(place.village)),
        True,
    ),
    "project_code": lambda name, place: (matrix_funds.project_at(place.village), True),
}


def unchecked(ep: Endpoint) -> bool:
    if ep.name in ALLOWED_UNCHECKED:
        return True
    # Admin internals with object ids, and unnamed patterns of the admin (its redirects).
    return ep.name.startswith("admin:") and (
        bool(ADMIN_INTERNAL_PARAMS & set(ep.params)) or "<unnamed" in ep.name
    )


def fill(ep: Endpoint, place: Place) -> tuple[str, bool]:
    """Return the URL of ``ep`` at ``place`` and whether it names an object there."""
    url = "/" + ep.route.lstrip("^").rstrip("$")
    positional = False
    for param in ep.params:
        value, names_object = FILLERS[param](ep.name, place)
        positional = positional or names_object
        url = re.sub(rf"<(?:\w+:)?{param}>|\(\?P<{param}>[^)]*\)", value, url, count=1)
    url = url.replace("^", "")
    return url, positional


def test_every_url_has_a_rule_and_fillers_for_its_parameters() -> None:
    missing = []
    for ep in endpoints():
        if unchecked(ep):
            continue
        if rule_for(ep.name) is None:
            missing.append(f"add a rule for {ep.name} ({ep.route}) in RULES")
        missing += [
            f"add a filler for {param} in {ep.route} ({ep.name})"
            for param in ep.params
            if param not in FILLERS
        ]
    assert missing == [], "\n".join(missing)


def test_the_matrix_covers_pages_the_admin_and_the_api() -> None:
    names = {ep.name for ep in endpoints() if not unchecked(ep)}

    assert {"web:home", "web:login", "admin:index", "api-v1:openapi-json"} <= names
    assert any(name.startswith("api-v1:household") for name in names)


# --- the matrix --------------------------------------------------------------------------------

Outcome = Literal["allowed", "denied", "error"]
LOGIN_PATHS = ("/accounts/login/", "/admin/login/")


def outcome(status: int, location: str) -> Outcome:
    if status in (401, 403, 404):
        return "denied"
    if 300 <= status < 400:
        return "denied" if urlsplit(location).path in LOGIN_PATHS else "allowed"
    if 200 <= status < 300:
        return "allowed"
    return "error"


def expected(persona: Persona, user: User | None, rule: Rule, obj: str | None) -> bool:
    if rule.need == "public":
        return True
    if user is None:
        return False
    if rule.need == "login":
        granted = True
    elif rule.need == "staff":
        granted = persona.staff
    else:
        granted = rule.need in RIGHTS.get(str(persona.role), frozenset())
    if rule.roles is not None:
        granted = granted and str(persona.role) in rule.roles
    return granted and (obj is None or in_scope(user, obj))


@dataclass
class Matrix:
    cells: int = 0
    endpoints: set[str] = field(default_factory=set)
    allows: list[str] = field(default_factory=list)  # denied by the rules, allowed by the site
    denials: list[str] = field(default_factory=list)  # allowed by the rules, denied by the site
    errors: list[str] = field(default_factory=list)


_serial = itertools.count(1)


def _person(relation: str) -> dict[str, object]:
    """A new person with an ID number no one else in the registry has (born 1901)."""
    return {
        "name": "测试",
        # Sequence codes stop at 999; each test's database starts empty, so wrap around.
        "id_number": make_id("1901-01-01", 900 + next(_serial) % 100),
        "relation": relation,
        "ethnicity": "彝族",
    }


#: Bodies of the API's writes, such as an allowed user could send with success; the
#: household registration names its village in the body, so its position is the village's.
BODIES: dict[str, Callable[[Place], tuple[dict[str, object], bool]]] = {
    "api-v1:household_create": lambda place: (
        {
            "village_code": place.village,
            "code": f"{place.village}-M{next(_serial):05d}",
            "main_cause": "illness",
            "first_identified_year": 2016,
            "members": [_person("head")],
        },
        True,
    ),
    "api-v1:member_add": lambda place: (_person("other"), False),
    "api-v1:income_record": lambda place: ({"wage": "1000"}, False),
    "api-v1:village_facts_put": lambda place: ({"broadband": True}, False),
    "api-v1:deep_poverty_designate": lambda place: (
        {
            "province": "51",
            "rule_set": "national-county@2017",
            "year": 2016,
            "title": "矩阵认定",
            "document_number": f"矩阵〔2017〕{next(_serial)}号",
            "decided_on": "2017-11-20",
            "areas": ["513431"],
        },
        False,
    ),
    **{
        name: lambda place, body=body: body(place.household, place.village)
        for name, body in matrix_measures.BODIES.items()
    },
}


def _request(client: Client, method: str, url: str, body: object) -> tuple[int, str]:
    if method == "GET":
        response = client.get(url)
    else:
        response = client.generic(
            method, url, data=json.dumps(body), content_type="application/json"
        )
    return response.status_code, response.get("Location", "")


def run_matrix(persona: Persona, world: World) -> Matrix:
    user = _user_for(persona, world)
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    matrix = Matrix()
    for ep in endpoints():
        rule = rule_for(ep.name)
        if unchecked(ep) or rule is None or any(p not in FILLERS for p in ep.params):
            continue  # reported by test_every_url_has_a_rule_and_fillers_for_its_parameters
        matrix.endpoints.add(ep.name)
        seen: set[str] = set()
        for position, key in zip(POSITIONS, persona.positions, strict=True):
            place = world.places[key]
            if rule.owner_only and user is not None and position == "own":
                place = replace(place, job_id=_job(user, str(user_scope(user))))
            url, positional = fill(ep, place)
            body: object = None
            if ep.name in BODIES:
                body, in_body = BODIES[ep.name](place)
                positional = positional or in_body
            if not positional and url in seen:
                continue  # no object in the request: one request covers every position
            seen.add(url)
            matrix.cells += 1
            want = expected(persona, user, rule, place.village if positional else None)
            if rule.owner_only:
                want = want and position == "own"
            # The admin's read-only models refuse "add" even to staff (403): only the refusal
            # of everyone else is checked there.
            read_only_add = rule.need == "staff" and ep.name.endswith("_add")
            status, location = _request(client, rule.method, url, body)
            got = outcome(status, location)
            where = f"{rule.method} {url} [{ep.name}] as {persona.key}"
            where += f" ({position})" if positional else ""
            if got == "error":
                matrix.errors.append(f"{where}: {status}")
            elif got == "allowed" and not want:
                matrix.allows.append(f"{where}: {status} {location}".rstrip())
            elif got == "denied" and want and not read_only_add:
                matrix.denials.append(f"{where}: {status} {location}".rstrip())
    return matrix


@pytest.mark.parametrize("persona", PERSONAS, ids=[p.key for p in PERSONAS])
def test_each_role_reaches_exactly_what_its_rights_and_division_allow(
    persona: Persona, world: World
) -> None:
    matrix = run_matrix(persona, world)

    assert matrix.cells > len(matrix.endpoints)  # object URLs were tried at several positions
    report = (
        f"{persona.key}: {matrix.cells} requests over {len(matrix.endpoints)} endpoints\n"
        f"UNEXPECTED ALLOWS ({len(matrix.allows)}):\n  " + "\n  ".join(matrix.allows) + "\n"
        f"UNEXPECTED DENIALS ({len(matrix.denials)}):\n  " + "\n  ".join(matrix.denials) + "\n"
        f"ERRORS ({len(matrix.errors)}):\n  " + "\n  ".join(matrix.errors)
    )
    assert (matrix.allows, matrix.denials, matrix.errors) == ([], [], []), report


# --- denied writes change nothing --------------------------------------------------------------

REGISTRY_MODELS: tuple[type[models.Model], ...] = (
    Household,
    Member,
    HouseholdIncome,
    LivingConditions,
    AssessmentRun,
)
#: The write endpoints whose denied POST must leave the registry as it was.
WRITES = (
    "web:household_new",
    "web:member_add",
    "web:income_record",
    "web:conditions_update",
    "api-v1:household_create",
    "api-v1:member_add",
    "api-v1:income_record",
)


def _counts() -> tuple[int, ...]:
    return tuple(m._default_manager.count() for m in REGISTRY_MODELS)


_INPUT = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.I)
_ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')


def form_data(html: str) -> dict[str, str]:
    """Return the fields of the first form on a page with the values it shows."""
    data = {}
    for _, attrs in _INPUT.findall(html):
        a = dict(_ATTR.findall(attrs))
        if "name" in a and a.get("type") not in ("submit", "button", "file"):
            data[a["name"]] = a.get("value", "")
    return data


def _write_payload(name: str, url: str, admin: Client, place: Place) -> tuple[str, str]:
    """Return (content type, body) of a write the administrator could send."""
    if name in BODIES:
        return "application/json", json.dumps(BODIES[name](place)[0])
    page = admin.get(url)
    fields = form_data(page.content.decode())
    fields.pop("csrfmiddlewaretoken", None)
    return "application/x-www-form-urlencoded", "&".join(f"{k}={v}" for k, v in fields.items())


@pytest.mark.parametrize(
    "persona",
    [p for p in PERSONAS if p.role != Role.ADMINISTRATOR],
    ids=[p.key for p in PERSONAS if p.role != Role.ADMINISTRATOR],
)
def test_a_denied_write_changes_nothing(persona: Persona, world: World) -> None:
    admin_persona = next(p for p in PERSONAS if p.role == Role.ADMINISTRATOR)
    admin = Client(raise_request_exception=False)
    admin_user = _user_for(admin_persona, world)
    assert admin_user is not None
    admin.force_login(admin_user)
    user = _user_for(persona, world)
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    checked, problems = 0, []
    for ep in endpoints():
        if ep.name not in WRITES:
            continue
        rule = RULES[ep.name]
        method = "POST" if rule.method == "GET" else rule.method
        for key in persona.positions:
            place = world.places[key]
            url, positional = fill(ep, place)
            positional = positional or ep.name == "api-v1:household_create"
            if expected(persona, user, rule, place.village if positional else None):
                continue
            content_type, body = _write_payload(ep.name, url, admin, place)
            before = _counts()
            response = client.generic(method, url, data=body, content_type=content_type)
            checked += 1
            got = outcome(response.status_code, response.get("Location", ""))
            if got != "denied" or _counts() != before:
                problems.append(
                    f"{method} {url} [{ep.name}] as {persona.key}: {response.status_code}, "
                    f"rows {before} -> {_counts()}"
                )
    assert problems == [], "\n".join(problems)
    # Every role but the administrator is refused some write somewhere.
    assert checked > 0
