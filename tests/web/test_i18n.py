"""English as the second UI language: the catalog is complete, compiled, and switchable.

The pages' msgids are the Chinese UI text; ``locale/en/LC_MESSAGES/django.po`` holds the
English. It is regenerated with ``makemessages -l en`` and compiled with ``compilemessages``;
both files are committed (a fresh machine may lack gettext's msgfmt).
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import polib
import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

from fupin.accounts.models import Role
from fupin.web.context import NAV

SRC = Path(__file__).resolve().parents[2] / "src" / "fupin"
LC = SRC / "locale" / "en" / "LC_MESSAGES"
PO = LC / "django.po"
MO = LC / "django.mo"
COUNTY = "513431"
SignIn = Callable[[AbstractUser], Client]

PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[sd]|%%")


def entries() -> list[polib.POEntry]:
    return [e for e in polib.pofile(str(PO)) if not e.obsolete]


def msgstrs(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


# --- the catalog ---------------------------------------------------------------------------


def test_every_entry_has_an_english_translation_and_none_is_fuzzy() -> None:
    po = polib.pofile(str(PO))
    found = entries()

    assert len(found) > 400
    assert not po.metadata_is_fuzzy
    assert po.metadata["Language"] == "en"
    assert "nplurals=2" in po.metadata["Plural-Forms"]
    untranslated = [e.msgid for e in found if not all(s.strip() for s in msgstrs(e))]
    assert untranslated == []
    assert [e.msgid for e in found if "fuzzy" in e.flags] == []
    plurals = [e for e in found if e.msgid_plural]
    assert plurals and all(len(e.msgstr_plural) == 2 for e in plurals)


def test_translations_keep_the_placeholders_and_leave_no_chinese_but_quoted_terms() -> None:
    for e in entries():
        for s in msgstrs(e):
            assert sorted(PLACEHOLDER.findall(s)) == sorted(PLACEHOLDER.findall(e.msgid)), e.msgid
            # Chinese may remain only as a policy term in parentheses, e.g. (两不愁三保障).
            outside = re.sub(r"（[^）]*）|\([^)]*\)", "", s)
            assert not re.search(r"[\u4e00-\u9fff]", outside), (e.msgid, s)


def test_compiled_catalog_is_in_sync_with_the_po(tmp_path: Path) -> None:
    fresh = tmp_path / "django.mo"
    polib.pofile(str(PO)).save_as_mofile(str(fresh))

    def catalog(path: Path) -> dict[object, str]:
        with path.open("rb") as f:
            cat = dict(gettext.GNUTranslations(f)._catalog)  # type: ignore[attr-defined]
        cat.pop("", None)  # the header: polib and msgfmt order its fields differently
        return cat

    committed = catalog(MO)
    assert committed, "django.mo is empty"
    assert committed == catalog(fresh), "run: django-admin compilemessages -l en"


# --- every template literal is in the catalog ----------------------------------------------

TRANSLATE = re.compile(
    r"""\{%\s*(?:translate|trans)\s+(?P<q>["'])(?P<msg>.*?)(?P=q)"""
    r"""(?:\s+context\s+(?P<cq>["'])(?P<ctx>.*?)(?P=cq))?[^%]*%\}""",
    re.S,
)
BLOCK = re.compile(
    r"\{%\s*(?:blocktranslate|blocktrans)(?P<args>[^%]*)%\}(?P<body>.*?)"
    r"\{%\s*(?:endblocktranslate|endblocktrans)\s*%\}",
    re.S,
)
VAR = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")


def templates() -> Iterator[Path]:
    yield from sorted(p for p in SRC.glob("**/templates/**/*") if p.suffix in {".html", ".txt"})


def literals(text: str) -> Iterator[tuple[str, str]]:
    """The (context, msgid) pairs makemessages extracts from a template, as it escapes them."""
    for m in TRANSLATE.finditer(text):
        yield m["ctx"] or "", m["msg"].replace("%", "%%")
    for m in BLOCK.finditer(text):
        ctx = re.search(r"""context\s+(["'])(.*?)\1""", m["args"])
        body = m["body"].split("{% plural %}")[0]
        if "trimmed" in m["args"].split():
            body = " ".join(line.strip() for line in body.strip().splitlines() if line.strip())
        yield (ctx[2] if ctx else ""), VAR.sub(r"%(\1)s", body.replace("%", "%%"))


def test_the_literal_extractor_reads_what_makemessages_reads() -> None:
    text = (
        '{% translate "户编号" %}{% trans \'95% 区间\' %}{% translate "村" context "表头" %}'
        "{% blocktranslate with n=total %}共 {{ n }} 户{% endblocktranslate %}"
        "{% blocktranslate count n=x %}共 {{ n }} 条{% plural %}共 {{ n }} 条"
        "{% endblocktranslate %}"
    )
    assert list(literals(text)) == [
        ("", "户编号"),
        ("", "95%% 区间"),
        ("表头", "村"),
        ("", "共 %(n)s 户"),
        ("", "共 %(n)s 条"),
    ]


def test_every_template_literal_is_in_the_english_catalog() -> None:
    known = {(e.msgctxt or "", e.msgid) for e in entries()}
    missing = [
        f"{path.relative_to(SRC)}: {msg!r}"
        for path in templates()
        for ctx, msg in literals(path.read_text(encoding="utf-8"))
        if (ctx, msg) not in known
    ]
    assert missing == [], "run makemessages -l en and translate:\n" + "\n".join(missing)


def test_navigation_labels_are_translated() -> None:
    """The NAV labels reach the templates as variables (``{% translate item.label %}``), which
    makemessages cannot see: each must already be a msgid of some template."""
    translated = {e.msgid for e in entries() if e.msgstr}
    assert [label for _, label, _, _ in NAV if label not in translated] == []


# --- switching language --------------------------------------------------------------------


def switch(client: Client, language: str, next_url: str = "/") -> None:
    response = client.post("/i18n/setlang/", {"language": language, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url


def test_sign_in_page_switches_to_english_and_back(client: Client) -> None:
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="zh-hans"' in html and "用户名" in html

    switch(client, "en", "/accounts/login/")
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="en"' in html
    assert "User name" in html and "Password" in html and ">Sign in</button>" in html
    assert "用户名" not in html

    switch(client, "zh-hans", "/accounts/login/")
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="zh-hans"' in html and "用户名" in html and "User name" not in html


@pytest.fixture
def county(registry: Path, make_user: Callable[..., AbstractUser]) -> AbstractUser:
    return make_user("county", Role.COUNTY_OFFICE, COUNTY)


def test_home_and_household_list_switch_to_english_and_back(
    signed_in: SignIn, county: AbstractUser
) -> None:
    client = signed_in(county)
    assert "户列表" in client.get("/").content.decode()

    switch(client, "en")
    home = client.get("/").content.decode()
    assert '<html lang="en"' in home
    for text in ("Households", "Sign out", "Change password", "Home"):
        assert f">{text}<" in home, text
    households = client.get("/households/").content.decode()
    assert '<html lang="en"' in households
    for text in ("Household no.", "Head of household", "Register a household", "Search"):
        assert text in households, text
    assert re.search(r"\b\d+ households\b", households)
    # The table is English; the filter form's labels come from a Python form and stay Chinese.
    assert "<th>户编号</th>" not in households and "户列表" not in households

    switch(client, "zh-hans", "/households/")
    households = client.get("/households/").content.decode()
    assert '<html lang="zh-hans"' in households and "户编号" in households
    assert "Household no." not in households
