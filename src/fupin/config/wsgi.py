"""WSGI entry point (served by gunicorn through ``fupin serve``)."""

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

from fupin.common.errors import FupinError
from fupin.config.startup import dev_mode, secret_key_check

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.config.settings")
application = get_wsgi_application()
# gunicorn started by hand on this module gets the same refusal as ``fupin serve``.
try:
    secret_key_check(key=os.environ.get("FUPIN_SECRET_KEY", ""), dev=dev_mode() or settings.DEBUG)
except FupinError as exc:
    raise ImproperlyConfigured(str(exc)) from None
