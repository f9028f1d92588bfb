from functools import wraps

from allauth.account.decorators import secure_admin_login
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.providers.orcid.views import oauth2_callback, oauth2_login
from django.conf import settings
from django.contrib import admin
from django.http import Http404
from django.urls import include, path

from bzpeer.views import healthz

# The admin has no login page of its own: it sends people to the site's login (allauth),
# whose failed-login rate limits and verified-email rule then apply to admins too.
admin.site.login = secure_admin_login(admin.site.login)

# allauth's rate limits answer with ROOT_URLCONF.handler429: our page, with Retry-After.
handler429 = "bzpeer.views.too_many_requests"


def _when_configured(provider: str, view):
    """A provider's sign-in pages exist only once it is configured (allauth fails with a
    500 on an unconfigured one): a 404 until then."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not get_social_adapter().list_apps(request, provider=provider):
            raise Http404(f"Sign-in with {provider} is not configured on this site.")
        return view(request, *args, **kwargs)

    return guarded


urlpatterns = [
    path("", include("profiles.urls")),
    path("works/", include("works.urls")),
    path("", include("works.discovery_urls")),
    path("", include("graph.urls")),
    path("healthz", healthz, name="healthz"),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
    # Before allauth's own routes for the same paths (the first match wins).
    path("accounts/orcid/login/", _when_configured("orcid", oauth2_login), name="orcid_login"),
    path(
        "accounts/orcid/login/callback/",
        _when_configured("orcid", oauth2_callback),
        name="orcid_callback",
    ),
    path("accounts/", include("allauth.urls")),
]

if settings.BENCH_REFERENCE_VIEW:  # set by bench/ only, never in production
    from bench.reference_view import reference

    urlpatterns.append(path("_bench/reference/", reference, name="bench-reference"))
    from bench.discovery_reference import json_reference, search_reference

    urlpatterns += [
        path("_bench/search-reference/", search_reference, name="bench-search-reference"),
        path("_bench/json-reference/", json_reference, name="bench-json-reference"),
    ]
