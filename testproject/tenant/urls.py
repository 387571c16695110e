from django.urls import path

from . import views

urlpatterns = [
    path(".well-known/openid-configuration", views.discovery),
    path(".well-known/jwks.json", views.jwks),
    path("oauth/token", views.token),
]
