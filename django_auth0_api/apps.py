from __future__ import annotations

import importlib.util

from django.apps import AppConfig


class DjangoAuth0ApiConfig(AppConfig):
    name = "django_auth0_api"
    verbose_name = "Auth0 API"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)

        if importlib.util.find_spec("drf_spectacular") is not None:
            from . import spectacular  # noqa: F401  (registers the OpenAPI extension)
