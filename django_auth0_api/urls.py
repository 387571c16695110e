"""`path("", include("django_auth0_api.urls"))`: the RFC 9728 metadata of this API.

One pattern takes every `/.well-known/oauth-protected-resource[/...]` URL; the
view answers the one built from the `RESOURCE` setting of the moment (404 for
the others), so the URLconf holds no settings.
"""

from django.urls import re_path

from .resource_metadata import protected_resource_metadata

app_name = "django_auth0_api"

urlpatterns = [
    re_path(r"^\.well-known/oauth-protected-resource(?P<suffix>/.*)?$", protected_resource_metadata,
            name="protected-resource-metadata"),
]
