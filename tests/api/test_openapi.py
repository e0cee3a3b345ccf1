"""The API keeps the promises of its OpenAPI document (schemathesis, through the WSGI app).

Every operation gets generated requests, authenticated with a token of a county user, against
a small registry (three households of 昭觉县 and one of 北京市 out of reach, one assessment run).
Half the generated division and household codes, run ids and villages are replaced by real
ones so that answers with data are checked too, not only 404s. Checks: no server error; the
status code, the content type and the body all as documented — for valid requests and, fewer,
deliberately invalid ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fupin.api.v1 import api
from fupin.assessment.services import assessment_run
from fupin.registry.imports.services import registry_import_file
from fupin.registry.models import Member
from tests.api.conftest import bearer, beijing_household
from tests.registry import flatfiles

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
OPENAPI = "/api/v1/openapi.json"
OPERATIONS = [
    (method.upper(), path)
    for path, ops in api.get_openapi_schema()["paths"].items()
    for method in ops
]


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """Django's WSGI app, kept from closing the test's database connection after each request
    (Django's test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def small_registry(db: None, tmp_path: Any) -> dict[str, list[Any]]:
    """Load the small registry; return real values to put in place of generated ones."""
    flatfiles.create_divisions()
    report = registry_import_file(
        path=flatfiles.write_csv(flatfiles.valid_rows(), tmp_path / "registry.csv")
    )
    assert report.ok, report.errors[:3]
    beijing = beijing_household()
    run = assessment_run(division_code="513431", year=2020)
    ids = list(Member.objects.values_list("id_number", flat=True)[:2])
    return {
        "code": [*flatfiles.MEMBERS, beijing.code, *ids],
        "division": [code for code, *_ in flatfiles.DIVISIONS] + [beijing.village_id],
        "run_id": [run.pk],
        "village_code": [flatfiles.VILLAGE_1, beijing.village_id],
    }


def use_known_values(case: Any, path: str, known: dict[str, list[Any]], data: Any) -> None:
    """Replace, at random, generated identifiers of ``case`` by real ones."""

    def maybe(name: str) -> Any:
        return data.draw(st.sampled_from(known[name])) if data.draw(st.booleans()) else None

    params = case.path_parameters or {}
    if "code" in params:
        value = maybe("division" if path.startswith("/api/v1/divisions") else "code")
        params["code"] = value or params["code"]
    if "run_id" in params:
        params["run_id"] = maybe("run_id") or params["run_id"]
    if isinstance(case.body, dict) and "village_code" in case.body:
        case.body["village_code"] = maybe("village_code") or case.body["village_code"]


#: Requests valid by the document, and (fewer) requests that break it on purpose.
MODES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 10}


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_keeps_the_openapi_promises(
    method: str,
    path: str,
    mode: GenerationMode,
    wsgi_app: WSGIHandler,
    small_registry: dict[str, list[Any]],
    make_user: Any,
) -> None:
    headers = bearer(make_user("county-system", "513431"))
    operation = schemathesis.openapi.from_wsgi(OPENAPI, wsgi_app)[path][method]

    @settings(
        max_examples=MODES[mode],
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def check(case: Any, data: st.DataObject) -> None:
        use_known_values(case, path, small_registry, data)
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)

    check()
