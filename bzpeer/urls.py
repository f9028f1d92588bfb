from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

# The admin has no login page of its own: it sends people to the site's login (allauth),
# whose failed-login rate limits and verified-email rule then apply to admins too.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", include("profiles.urls")),
    path("works/", include("works.urls")),
    path("", include("works.discovery_urls")),
    path("", include("graph.urls")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
]

if settings.BENCH_REFERENCE_VIEW:  # bench/ only (bzpeer/bench_views.py); never in production
    from bzpeer.bench_views import reference

    urlpatterns.append(path("_bench/reference/", reference, name="bench-reference"))
    from bzpeer.bench_discovery import json_reference, search_reference

    urlpatterns += [
        path("_bench/search-reference/", search_reference, name="bench-search-reference"),
        path("_bench/json-reference/", json_reference, name="bench-json-reference"),
    ]
