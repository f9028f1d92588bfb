"""Discovery: search, topic and institution pages, citations out, feeds and sitemaps."""

from django.contrib.sitemaps import views as sitemap_views
from django.urls import path

from . import discovery_views, export_views

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
    # citations out: .bib (BibTeX), .ris, .json (CSL-JSON)
    path("works/<int:pk>.<str:fmt>", export_views.work_citation, name="work_citation"),
    path(
        "researchers/<slug:slug>/works.<str:fmt>",
        export_views.author_citations,
        name="author_citations",
    ),
    path("researchers/<slug:slug>/feed/", export_views.author_feed, name="author_feed"),
    path(
        "sitemap.xml",
        sitemap_views.index,
        {"sitemaps": export_views.SITEMAPS, "sitemap_url_name": "discovery:sitemap_section"},
        name="sitemap_index",
    ),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": export_views.SITEMAPS},
        name="sitemap_section",
    ),
    path("robots.txt", export_views.robots_txt, name="robots"),
]
