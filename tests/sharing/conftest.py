"""Fixtures: synthetic department files for the session's registry file, users at each level."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from fupin.accounts.models import Profile, Role
from fupin.synth.departments import DepartmentFiles, generate_departments


@pytest.fixture(scope="session")
def departments(tmp_path_factory: pytest.TempPathFactory, registry_file: Path) -> DepartmentFiles:
    out = tmp_path_factory.mktemp("departments")
    return generate_departments(registry=registry_file, out=out, seed=3)


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(username: str, role: Role, division: str | None) -> User:
        user = get_user_model().objects.create_user(username=username, password="x-pass-1234")
        Profile.objects.create(user=user, role=role, division_id=division)
        return user

    return make
