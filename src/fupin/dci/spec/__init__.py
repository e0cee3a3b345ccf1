"""The DCI specification files shipped with Fupin, and JSON-schema validators built from them."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
SOCIAL = HERE / "social_api_v1.0.0.yaml"
CORE = HERE / "registry_core_api_v1.0.0.yaml"


@cache
def load(path: Path = SOCIAL) -> dict[str, Any]:
    """Return the specification as a dict, with ``info.version`` restored when missing."""
    with path.open(encoding="utf-8") as f:
        spec: dict[str, Any] = yaml.safe_load(f)
    spec.setdefault("info", {}).setdefault("version", "1.0.0")
    return spec
