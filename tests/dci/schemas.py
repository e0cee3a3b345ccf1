"""Validators of DCI messages against the specification's own schemas (OpenAPI 3.0).

A message is checked against the schema at a JSON pointer of ``social_api_v1.0.0.yaml``
(``$ref``s resolved inside the document), with the OpenAPI 3.0 dialect and its formats
(``date-time`` …).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from fupin.dci import spec

URI = "urn:dci:social-api"


def _escape(path: str) -> str:
    return path.replace("~", "~0").replace("/", "~1")


def request_pointer(path: str) -> str:
    return f"/paths/{_escape(path)}/post/requestBody/content/application~1json/schema"


def response_pointer(path: str, status: str = "default") -> str:
    """The JSON pointer of an endpoint's answer schema (inline or through a response ref)."""
    responses = spec.load()["paths"][path]["post"]["responses"]
    answer = responses[status]
    if "$ref" in answer:
        name = answer["$ref"].rsplit("/", 1)[-1]
        return f"/components/responses/{name}/content/application~1json/schema"
    return f"/paths/{_escape(path)}/post/responses/{status}/content/application~1json/schema"


@cache
def _registry() -> Registry:
    resource = Resource.from_contents(spec.load(), default_specification=DRAFT4)
    return Registry().with_resource(URI, resource)


@cache
def validator(pointer: str) -> OAS30Validator:
    return OAS30Validator(
        {"$ref": f"{URI}#{pointer}"}, registry=_registry(), format_checker=oas30_format_checker
    )


def errors(instance: Any, pointer: str) -> list[str]:
    """Return the validation errors of ``instance`` at ``pointer`` (empty when valid)."""
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"[:300]
        for e in validator(pointer).iter_errors(instance)
    ]


def assert_request(body: Any, path: str) -> None:
    found = errors(body, request_pointer(path))
    assert not found, found


def assert_response(body: Any, path: str, status: int = 200) -> None:
    declared = spec.load()["paths"][path]["post"]["responses"]
    key = str(status) if str(status) in declared else "default"
    found = errors(body, response_pointer(path, key))
    assert not found, found
