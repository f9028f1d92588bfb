from django.urls import path

from .views import claims, collaboration, following, pages

app_name = "profiles"
urlpatterns = [
    path("", pages.home, name="home"),
    path("researchers/<slug:slug>/", pages.author_detail, name="detail"),
    path("researchers/<slug:slug>/follow/", following.follow, name="follow"),
    path("researchers/<slug:slug>/claim/", claims.claim, name="claim"),
    path("researchers/<slug:slug>/edit/", claims.author_edit, name="author_edit"),
    path(
        "researchers/<slug:slug>/visibility/",
        claims.author_visibility,
        name="author_visibility",
    ),
    path(
        "researchers/<slug:slug>/works/<int:work_id>/not-mine/",
        claims.work_not_mine,
        name="work_not_mine",
    ),
    path("researchers/<slug:slug>/invite/", collaboration.invite, name="invite"),
    path("claims/<int:pk>/", claims.claim_detail, name="claim_detail"),
    path("claims/<int:pk>/release/", claims.claim_release, name="claim_release"),
    path("inbox/", collaboration.inbox, name="inbox"),
    path(
        "invitations/<int:pk>/answer/",
        collaboration.invitation_answer,
        name="invitation_answer",
    ),
    path("conversations/<int:pk>/", collaboration.conversation, name="conversation"),
    path("following/", following.following, name="following"),
    path("following/digest/", following.following_digest, name="following_digest"),
]
