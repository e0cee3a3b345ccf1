"""Settings for the test suite: a throwaway FUPIN_HOME, set before the settings are read."""

import os
import tempfile

os.environ.setdefault("FUPIN_HOME", tempfile.mkdtemp(prefix="fupin-test-"))
os.environ.setdefault("FUPIN_NO_PROGRESS", "1")

from fupin.config.settings import *  # noqa: F403  (the test settings extend the real ones)
from fupin.config.settings import STATIC_ROOT

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing

# Background tasks run at once in the test's thread; tests/jobs/test_worker.py runs one job
# through the database backend and the real worker command.
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend"},
}
