"""JSON API ``/api/v1/`` (django-ninja) with its OpenAPI document and docs page (``/api/v1/docs``).

Divisions are public reference data. Every other endpoint needs a user, signed in through the
web session or calling with an API token (``Authorization: Bearer <密钥>``, made with
``fupin token create``), and sees only the user's division subtree. Errors are JSON
``{code, message[, details]}`` with a stable code and a Chinese message.
"""

from __future__ import annotations

from ninja import NinjaAPI

from fupin.api import analysis, assessments, divisions, households, reports_tables
from fupin.api import village_facts as village_facts_api
from fupin.api.auth import AUTH
from fupin.api.errors import install_error_handlers

api = NinjaAPI(
    title="Fupin 扶贫 API",
    version="1",
    description=(
        "精准扶贫信息系统接口。除区划外均需登录（网页会话）或 API 令牌"
        "（请求头 `Authorization: Bearer <密钥>`，用 `fupin token create 用户名` 创建），"
        "且只能看到本人所属区划及其下级的数据。列表分页：`limit`（最多 200）与 `offset`。"
        "错误以 JSON 返回：稳定的 `code`、中文 `message`，以及可能的 `details`。"
    ),
    urls_namespace="api-v1",
    auth=AUTH,
)
install_error_handlers(api)

api.add_router("/divisions", divisions.router)
api.add_router("/households", households.router)
api.add_router("", assessments.router)
api.add_router("", analysis.router)
api.add_router("/villages", village_facts_api.router)
api.add_router("", reports_tables.router)
api.add_router("", "fupin.api.measures.router")
