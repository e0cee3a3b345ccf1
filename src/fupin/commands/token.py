"""``fupin token create USERNAME``: an API token for another system, its secret shown once."""

from __future__ import annotations

import argparse

from fupin.commands.base import console, fail, setup_django, stdout_write


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("token", help="管理 API 令牌（供其他系统调用 /api/v1/）")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create",
        help="为用户创建一个 API 令牌；密钥只显示这一次",
        description="令牌以该用户的身份、区划范围和角色调用接口："
        "请求头 Authorization: Bearer <密钥>。密钥单独一行输出到标准输出。",
    )
    create.add_argument("username", help="用户名")
    create.add_argument("--name", default="API 令牌", help="令牌名称，如对接系统的名称")
    create.add_argument("--days", type=int, default=None, help="有效天数；缺省为长期有效")
    create.set_defaults(func=run_create)


def run_create(args: argparse.Namespace) -> int:
    setup_django(migrate=True)  # a database made before tokens existed gets their table
    from django.contrib.auth import get_user_model

    from fupin.accounts.services import api_token_create
    from fupin.common.errors import FupinError

    User = get_user_model()
    user = User.objects.filter(**{User.USERNAME_FIELD: args.username}).first()
    if user is None:
        return fail("USER_UNKNOWN", f"没有用户名为 {args.username} 的用户")
    try:
        token, secret = api_token_create(user=user, name=args.name, days=args.days)
    except FupinError as exc:
        return fail(exc.code, exc.message)
    until = f"有效期至 {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else "长期有效"
    console.print(
        f"已为用户 {user.get_username()} 创建令牌“{token.name}”（编号 {token.pk}，{until}）。"
        "密钥只显示这一次，请立即保存："
    )
    stdout_write(secret)
    return 0
