from django.urls import path

from . import views, views_accounts

app_name = "profiles"
urlpatterns = [
    path("", views.home, name="home"),
    path("researchers/<slug:slug>/", views.author_detail, name="detail"),
    path("researchers/<slug:slug>/follow/", views.follow, name="follow"),
    # accounts: claims, owner edits, direct collaboration, following (profiles/views_accounts.py)
    path("researchers/<slug:slug>/claim/", views_accounts.claim, name="claim"),
    path("researchers/<slug:slug>/edit/", views_accounts.author_edit, name="author_edit"),
    path(
        "researchers/<slug:slug>/visibility/",
        views_accounts.author_visibility,
        name="author_visibility",
    ),
    path(
        "researchers/<slug:slug>/works/<int:work_id>/not-mine/",
        views_accounts.work_not_mine,
        name="work_not_mine",
    ),
    path("researchers/<slug:slug>/invite/", views_accounts.invite, name="invite"),
    path("claims/<int:pk>/", views_accounts.claim_detail, name="claim_detail"),
    path("claims/<int:pk>/release/", views_accounts.claim_release, name="claim_release"),
    path("inbox/", views_accounts.inbox, name="inbox"),
    path(
        "invitations/<int:pk>/answer/",
        views_accounts.invitation_answer,
        name="invitation_answer",
    ),
    path("conversations/<int:pk>/", views_accounts.conversation, name="conversation"),
    path("following/", views_accounts.following, name="following"),
    path("following/digest/", views_accounts.following_digest, name="following_digest"),
]
