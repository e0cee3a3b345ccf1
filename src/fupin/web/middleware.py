"""Every page needs a signed-in user, except the ones that are public by design."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils import translation
from django.utils.cache import patch_vary_headers

#: Path prefixes anyone may open: sign-in, public notices, static files, the API (which
#: answers 401 in JSON itself), the admin (its own login), language switching.
PUBLIC_PREFIXES = (
    "/accounts/login/",
    "/notices/",
    "/static/",
    "/api/",
    "/dci/",
    "/admin/",
    "/i18n/",
    "/healthz",
)


#: Paths under a public prefix that are not public: the cadres' notice pages.
PRIVATE_UNDER_PUBLIC = ("/notices/manage/",)


def is_public(path: str) -> bool:
    return path.startswith(PUBLIC_PREFIXES) and not path.startswith(PRIVATE_UNDER_PUBLIC)


class LoginRequiredMiddleware:
    """Send anonymous visitors of non-public pages to the sign-in page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated and not is_public(request.path):
            if getattr(request, "htmx", False):
                # htmx follows a redirect inside the page; make it load the sign-in page whole.
                response = HttpResponse(status=401)
                response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
                return response
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class ChosenLanguageMiddleware:
    """Speak zh-Hans unless the user chose another language with the switch in the footer.

    Django's LocaleMiddleware would also follow the browser's Accept-Language, so a cadre whose
    phone is set to English would get English pages unasked. Here only the language cookie
    that ``/i18n/setlang/`` sets counts; everything else gets ``settings.LANGUAGE_CODE``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
