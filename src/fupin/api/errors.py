"""Every error of the API as JSON ``{code, message[, details]}``: a stable code, a Chinese message.

Services refuse with ``FupinError``; ninja's own refusals (validation, authentication, CSRF,
unparsable bodies) are rewritten here into the same shape, and every operation documents the
statuses it can answer with :func:`error_responses`, so the OpenAPI document tells the truth.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from fupin.common.errors import FupinError


class ErrorOut(Schema):
    code: str = Field(description="稳定的错误代码，如 HOUSEHOLD_NOT_FOUND、VALIDATION_ERROR")
    message: str = Field(description="中文说明")
    details: dict[str, Any] | None = Field(
        None, description="更多信息，如逐项的问题列表 errors（字段、代码、说明）"
    )


def error_responses(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The ``response`` entries documenting error statuses, all in the :class:`ErrorOut` shape."""
    return dict.fromkeys(statuses, ErrorOut)


#: The error answers of a list, of one object, and of an operation a service may refuse (400).
LIST_ERRORS = error_responses(401, 403, 422)
ONE_ERRORS = error_responses(401, 403, 404, 422)
CHECKED_ERRORS = error_responses(400, 401, 403, 404, 422)


#: FupinError codes that mean "no such thing (that you may see)" or "not allowed".
NOT_FOUND_CODES = frozenset(
    {
        "DIVISION_UNKNOWN",
        "HOUSEHOLD_NOT_FOUND",
        "RUN_NOT_FOUND",
        # precise measures (fupin.api.measures)
        "MEASURES_UNKNOWN_HOUSEHOLD",
        "MEASURES_UNKNOWN_CADRE",
        "MEASURE_NOT_FOUND",
        "TEAM_MEMBER_NOT_FOUND",
    }
)
FORBIDDEN_CODES = frozenset(
    {
        "OUT_OF_SCOPE",
        "PERMISSION_DENIED",
        "DEEP_POVERTY_NOT_ALLOWED",
        "DEEP_POVERTY_OUTSIDE_PROVINCE",
    }
)

HTTP_CODES = {
    400: ("BAD_REQUEST", "请求无法处理"),
    401: (
        "UNAUTHENTICATED",
        "请先登录，或在请求头中提供有效的 API 令牌：Authorization: Bearer <密钥>",
    ),
    403: ("FORBIDDEN", "没有权限执行此操作"),
    404: ("NOT_FOUND", "未找到"),
    405: ("METHOD_NOT_ALLOWED", "不支持此请求方法"),
    429: ("THROTTLED", "请求过于频繁，请稍后再试"),
}

#: Chinese wording of the commonest validation problems (pydantic's error types).
VALIDATION_WORDS = {
    "missing": "缺少必填项",
    "string_type": "应为文字",
    "string_too_long": "太长",
    "string_too_short": "太短",
    "string_pattern_mismatch": "格式不对",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "bool_type": "应为是/否",
    "bool_parsing": "应为是/否",
    "decimal_type": "应为数字",
    "decimal_parsing": "应为数字",
    "decimal_max_digits": "数字位数太多",
    "decimal_max_places": "小数位数太多",
    "decimal_whole_digits": "整数位数太多",
    "finite_number": "应为有限的数字",
    "greater_than_equal": "太小",
    "greater_than": "太小",
    "less_than_equal": "太大",
    "less_than": "太大",
    "literal_error": "不是可选的值",
    "enum": "不是可选的值",
    "list_type": "应为列表",
    "too_short": "项数太少",
    "too_long": "项数太多",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "extra_forbidden": "不是可用的字段",
    "value_error": "无效",
}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return body


def _where(loc: Sequence[Any]) -> str:
    # loc starts with the parameter source ("query", "path", "body"); a body's next item is
    # the view's argument name, not a field of the request.
    skip = 2 if loc and loc[0] == "body" and len(loc) > 2 else 1
    return ".".join(str(p) for p in loc[skip:]) or ".".join(str(p) for p in loc)


def validation_body(errors: Sequence[dict[str, Any]]) -> dict[str, Any]:
    items = []
    for e in errors:
        loc = list(e.get("loc", ()))
        items.append(
            {
                "loc": loc,
                "field": _where(loc),
                "type": str(e.get("type", "")),
                "message": VALIDATION_WORDS.get(str(e.get("type")), "无效"),
                "detail": str(e.get("msg", "")),
            }
        )
    first = f"{items[0]['field']}：{items[0]['message']}" if items else ""
    more = f"（共 {len(items)} 处问题）" if len(items) > 1 else ""
    return error_body("VALIDATION_ERROR", f"请求数据有误：{first}{more}", {"errors": items})


def install_error_handlers(api: NinjaAPI) -> None:
    """Answer every refusal of ``api`` as :class:`ErrorOut` JSON."""

    @api.exception_handler(FupinError)
    def on_fupin_error(request: HttpRequest, exc: FupinError) -> HttpResponse:
        if exc.code in NOT_FOUND_CODES:
            status = 404
        elif exc.code in FORBIDDEN_CODES:
            status = 403
        else:
            status = 400
        body = error_body(exc.code, exc.message, exc.details)
        return api.create_response(request, body, status=status)

    @api.exception_handler(ValidationError)
    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return api.create_response(request, validation_body(exc.errors), status=422)

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code, message = HTTP_CODES.get(exc.status_code, ("HTTP_ERROR", "请求无法处理"))
        text = str(exc)
        if exc.status_code == 403 and "CSRF" in text:
            code, message = "CSRF_FAILED", "CSRF 校验失败：网页中的调用须带 X-CSRFToken 请求头"
        elif exc.status_code == 400 and "parse request body" in text:
            code, message = "BODY_INVALID", "请求体不是有效的 JSON"
        response = api.create_response(request, error_body(code, message), status=exc.status_code)
        if isinstance(exc, AuthenticationError):
            response["WWW-Authenticate"] = 'Bearer realm="fupin"'
        return response

    @api.exception_handler(Http404)
    def on_404(request: HttpRequest, exc: Exception) -> HttpResponse:
        code, message = HTTP_CODES[404]
        return api.create_response(request, error_body(code, message), status=404)
