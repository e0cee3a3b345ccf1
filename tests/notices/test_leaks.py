"""The leak scanner finds what it must and leaves ordinary notice text alone."""

from __future__ import annotations

import numpy as np
import pytest

from tests.notices.leaks import find_leaks


def _valid_id() -> str:
    from fupin.policy.idnumber import make_ids

    return str(make_ids(np.array([513431]), np.array(["1990-01-01"]), np.array([123]))[0])


ID18 = _valid_id()
ID15 = ID18[:6] + ID18[8:17]  # the old 15-digit form of the same person


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"<td>{ID18}</td>", "id_number"),
        (f"身份证：{ID18[:6]} {ID18[6:14]} {ID18[14:]}", "id_number"),
        (f"号码 {ID18[:6]}-{ID18[6:14]}-{ID18[14:]}", "id_number"),
        (f"<input value='{ID18}'>", "id_number"),
        (f"旧证 {ID15}", "id_number"),
        (f"户编号后接号码 AB{ID18}", "id_number"),
        ("手机 13812345678", "phone"),
        ("138 1234 5678", "phone"),
        ("+86 138-1234-5678", "phone"),
        ("电话 0834-1234567", "phone"),
        ("（0834）12345678", "phone"),
        ("联系电话：6123456", "phone"),
        ("卡号 6222021234567890128", "bank_card"),
        ("6222 0212 3456 7890 128", "bank_card"),
        ("健康状况：残疾", "health"),
        ("长期慢性病", "health"),
        ("患有大病", "health"),
        ("１３８１２３４５６７８", "phone"),  # full-width digits
    ],
)
def test_scanner_finds_identifiers(text: str, kind: str) -> None:
    assert kind in {leak.kind for leak in find_leaks(text)}


def test_a_page_with_a_valid_id_number_fails_the_scan() -> None:
    page = f"<html><body><table><tr><td>张三</td><td>{ID18}</td></tr></table></body></html>"

    leaks = find_leaks(page, where="/notices/1/")

    assert [(leak.kind, leak.text) for leak in leaks if leak.kind == "id_number"] == [
        ("id_number", ID18)
    ]


def test_an_invalid_id_number_is_not_reported_as_one() -> None:
    wrong_check = ID18[:17] + ("0" if ID18[17] != "0" else "1")

    assert "id_number" not in {leak.kind for leak in find_leaks(wrong_check)}


def test_ordinary_notice_text_is_clean() -> None:
    text = (
        "昭觉县 竹核乡 俄尔古取村 第12组 家庭人口 5 公示期：2017年6月23日 至 2017年6月30日 "
        "区划 513431100201 监督电话 12317 第 2 页，共 3 页 /notices/17/?county=513431&page=2 "
        "健康 2017-06-23 10:00"
    )

    assert find_leaks(text) == []
