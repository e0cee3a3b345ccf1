"""Errors with a stable code and a Chinese message, shared by services, imports and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FupinError(Exception):
    """A refusal the user can act on: ``code`` is stable, ``message`` is in Chinese."""

    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.details}
