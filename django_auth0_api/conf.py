"""`settings.AUTH0_API`, read on first use and forgotten when it changes.

Nothing here runs at import: the options and the client are built on first
use and dropped on `setting_changed`, so `override_settings` just works.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, TypedDict

from django.core.signals import setting_changed
from django.dispatch import receiver

from .options import ApiClientOptions

if TYPE_CHECKING:
    from .client import ApiClient


class _State(TypedDict, total=False):
    options: ApiClientOptions
    client: ApiClient


_lock = threading.Lock()
_state: _State = {}


def get_settings() -> dict[str, Any]:
    from django.conf import settings

    return dict(getattr(settings, "AUTH0_API", None) or {})


def in_settings_words(text: str) -> str:
    """An options message (`ApiClientOptions` speaks in its own argument names)
    in the words of `AUTH0_API`: `dpop_required needs dpop_enabled` becomes
    `DPOP_REQUIRED needs DPOP_ENABLED`, `audience is required` `AUDIENCE is required`."""
    from .options import OPTION_TO_SETTING

    text = text.replace("(or domains)", "(or DOMAINS)")
    if text.startswith("a domain "):  # issuer_for() speaks of DOMAIN and of each entry of DOMAINS
        text = "DOMAIN (and each of DOMAINS) " + text[len("a domain "):]
    words = text.split(" ")
    return " ".join(OPTION_TO_SETTING.get(word, word) if index == 0 or "_" in word else word
                    for index, word in enumerate(words))


def settings_problem(exc: BaseException) -> str:
    """Why AUTH0_API makes no client, in its own words; an empty AUDIENCE is
    upstream's `MissingRequiredArgumentError`, said as `AUDIENCE is required`."""
    argument = getattr(exc, "argument", None)
    if isinstance(argument, str):
        return in_settings_words(f"{argument} is required")
    return in_settings_words(str(exc))


def get_options() -> ApiClientOptions:
    options = _state.get("options")
    if options is None:
        with _lock:
            options = _state.get("options")
            if options is None:
                options = _state["options"] = ApiClientOptions.from_settings(get_settings())
    return options


def get_api_client() -> ApiClient:
    """The process's `ApiClient` for `settings.AUTH0_API` (built once)."""
    client = _state.get("client")
    if client is None:
        from .client import ApiClient

        options = get_options()
        with _lock:
            client = _state.get("client")
            if client is None:
                client = _state["client"] = ApiClient(options)
    return client


def reset() -> None:
    with _lock:
        _state.pop("options", None)
        _state.pop("client", None)


@receiver(setting_changed)
def _on_setting_changed(*, setting: str, **kwargs: object) -> None:
    # The client's caches hold keys and verified tokens of the old settings;
    # a changed cache backend or SECRET_KEY invalidates them as well.
    if setting in ("AUTH0_API", "CACHES", "SECRET_KEY"):
        reset()
