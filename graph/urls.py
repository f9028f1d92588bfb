from django.urls import path

from . import views

app_name = "graph"
urlpatterns = [
    path("researchers/<slug:slug>/graph/", views.author_graph, name="slice"),
    path("explore/", views.explore, name="explore"),
]
