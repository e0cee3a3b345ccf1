"""Notice policy: kinds, periods, owners and what a public text may hold."""

from __future__ import annotations

import pytest

from fupin.notices.models import NoticeKind
from fupin.policy import notices


def test_kinds_match_the_model_choices() -> None:
    assert tuple(NoticeKind.choices) == notices.KINDS


@pytest.mark.parametrize(
    ("kind", "chosen", "days"),
    [
        ("identification_first", None, 7),
        ("exit", None, 7),
        ("monitoring", None, 5),
        ("exit", 10, 10),
    ],
)
def test_period_days_defaults_by_kind(kind: str, chosen: int | None, days: int) -> None:
    assert notices.period_days(kind, chosen) == days


def test_period_days_follows_a_parameters_file() -> None:
    assert notices.period_days("exit", parameters={"default": 5}) == 5


@pytest.mark.parametrize("chosen", [0, 31])
def test_period_days_out_of_bounds_is_refused(chosen: int) -> None:
    with pytest.raises(ValueError):
        notices.period_days("exit", chosen)


@pytest.mark.parametrize(
    ("kind", "code", "owner"),
    [
        ("identification_first", "513431100201", "513431100201"),
        ("identification_second", "513431100201", "513431100"),
        ("announcement", "513431100201", "513431"),
        ("announcement", "513431", "513431"),
        ("monitoring", "513431100", "513431100"),
    ],
)
def test_owner_code_is_the_posting_office(kind: str, code: str, owner: str) -> None:
    assert notices.owner_code(kind, code) == owner


@pytest.mark.parametrize(
    ("text", "public"),
    [
        ("第3组", "第3组"),
        ("第12组 13812345678", "第12组"),
        ("阿木 5134 3119 9001 0112 39", "阿木"),
        ("第2组（残疾）", "第2组"),
        ("吉克 0834-1234567", "吉克"),
        ("张三", "张三"),
    ],
)
def test_public_text_drops_long_numbers_and_health_terms(text: str, public: str) -> None:
    assert notices.public_text(text) == public
