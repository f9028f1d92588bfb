"""Discovery: search, topic and institution pages, citations out, feeds and sitemaps."""

from django.urls import path

from . import discovery_views

app_name = "discovery"
urlpatterns = [
    path("search/", discovery_views.search_page, name="search"),
    path("topics/<int:pk>/", discovery_views.topic_detail, name="topic_by_id"),
    path("topics/<int:pk>-<slug:slug>/", discovery_views.topic_detail, name="topic"),
    path("institutions/<int:pk>/", discovery_views.institution_detail, name="institution_by_id"),
    path(
        "institutions/<int:pk>-<slug:slug>/",
        discovery_views.institution_detail,
        name="institution",
    ),
]
