from django.urls import path

from . import views

app_name = "profiles"
urlpatterns = [
    path("", views.home, name="home"),
    path("researchers/<slug:slug>/", views.author_detail, name="detail"),
    path("researchers/<slug:slug>/follow/", views.follow, name="follow"),
]
