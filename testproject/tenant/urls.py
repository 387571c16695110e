from django.urls import path

from . import views

urlpatterns = [
    path(".well-known/openid-configuration", views.discovery),
    path(".well-known/jwks.json", views.jwks),
    path("oauth/token", views.token),
    path("_tenant/rotate", views.admin_rotate),
    path("_tenant/jwks-delay", views.admin_jwks_delay),
]
