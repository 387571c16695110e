from __future__ import annotations

from django.apps import AppConfig


class PrometheusConfig(AppConfig):
    name = "django_auth0_api.contrib.prometheus"
    label = "auth0_api_prometheus"
    verbose_name = "Auth0 API metrics (Prometheus)"

    def ready(self) -> None:
        from . import install

        install()
