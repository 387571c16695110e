from django.urls import path

from . import oauth, views

# The MCP client's authorization-server endpoints: testproject/tenant/oauth.py.
urlpatterns = [
    path(".well-known/openid-configuration", views.discovery),
    path(".well-known/oauth-authorization-server", oauth.metadata),
    path("oidc/register", oauth.register),
    path("authorize", oauth.authorize),
    path(".well-known/jwks.json", views.jwks),
    path("oauth/token", views.token),
    path("_tenant/rotate", views.admin_rotate),
    path("_tenant/jwks-delay", views.admin_jwks_delay),
]
