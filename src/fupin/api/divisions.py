"""Divisions: public reference data (the NBS codes), no sign-in needed."""

from django.http import HttpRequest
from ninja import Router
from ninja.params import functions as param

from fupin.api.errors import error_responses
from fupin.api.schemas import DivisionOut
from fupin.divisions import selectors

router = Router(tags=["区划"], auth=None)

CODE = param.Path(..., pattern=r"^[0-9]{1,12}$", description="区划代码（2、4、6、9 或 12 位）")


def _out(code: str, name: str, level: int, parent: str | None, path: str) -> DivisionOut:
    return DivisionOut(code=code, name=name, level=level, parent_code=parent, path=path)


@router.get("/{code}", response={200: DivisionOut, **error_responses(404, 422)})
def division_get(request: HttpRequest, code: str = CODE) -> DivisionOut:
    """一个区划及其完整名称路径。"""
    division = selectors.division_get(code)
    path = selectors.division_path_name(division.code)
    return _out(division.code, division.name, division.level, division.parent_id, path)


@router.get("/{code}/children", response={200: list[DivisionOut], **error_responses(404, 422)})
def division_children(request: HttpRequest, code: str = CODE) -> list[DivisionOut]:
    """下一级区划。"""
    parent = selectors.division_get(code)
    path = selectors.division_path_name(parent.code)
    return [
        _out(d.code, d.name, d.level, d.parent_id, f"{path} {d.name}")
        for d in selectors.division_children(parent.code).order_by("code")
    ]
