from django.urls import path

from testproject.api import views

urlpatterns = [
    path("api/me", views.MeView.as_view()),
    path("api/messages", views.MessagesView.as_view()),
    path("api/admin", views.AdminView.as_view()),
    path("api/public", views.PublicView.as_view()),
    path("plain/me", views.plain_me),
    path("plain/messages", views.plain_messages),
    path("plain/optional", views.plain_optional),
]
