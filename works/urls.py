from django.urls import path

from . import views

app_name = "works"
urlpatterns = [
    path("<int:pk>/", views.work_detail, name="detail"),
]
