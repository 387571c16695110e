"""Which scopes a view asks for, read from what it declares.

Two questions, two answers:

- `required_scopes(view)`: what every request to the view needs. A 401 on it
  names them (`scope="..."`), so a client asks for them the first time (the
  MCP authorization spec's scope selection).
- `supported_scopes()`: every scope any view of the URLconf may demand, for
  `scopes_supported` of the RFC 9728 metadata.

A view declares scopes through `TokenHasScope` (`required_scopes`), through
`auth0_required(scopes=...)`, or through any DRF permission class with the
hooks `scopes_required_by(view)` and `scopes_declared_by(view)` (for instance one
that asks more of some operations than of others, as an MCP tool may).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.permissions import AND, OperandHolder

# Set by `auth0_required` on the function it returns.
DECORATOR_SCOPES = "auth0_required_scopes"

_lock = threading.Lock()
_supported: dict[object, tuple[str, ...]] = {}


def view_instance(callback: Callable[..., Any]) -> object:
    """The DRF view a URL's callback would run (with its `as_view(...)`
    arguments), a plain function, or None."""
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return callback
    try:
        return view_class(**getattr(callback, "initkwargs", {}))
    except Exception:  # a view whose constructor needs more: read its class
        return view_class


def _flatten(permission: object) -> Iterator[type]:
    if isinstance(permission, type):
        yield permission
    # `A & B` needs both sides; `A | B` and `~A` may need neither, so they declare nothing.
    elif isinstance(permission, OperandHolder) and permission.operator_class is AND:
        yield from _flatten(permission.op1_class)
        yield from _flatten(permission.op2_class)


def _permission_classes(view: object) -> Iterator[type]:
    for permission in getattr(view, "permission_classes", None) or ():
        yield from _flatten(permission)


def _strings(values: str | Iterable[object] | None) -> tuple[str, ...]:
    if isinstance(values, str):
        return (values,)
    return tuple(value for value in values or () if isinstance(value, str) and value)


def required_scopes(view: object) -> tuple[str, ...]:
    """Scopes every request to `view` (a view instance, class or function) needs."""
    if view is None:
        return ()
    found = list(_strings(getattr(view, DECORATOR_SCOPES, ())))
    for permission in _permission_classes(view):
        hook = getattr(permission, "scopes_required_by", None)
        if callable(hook):
            found.extend(_strings(hook(view)))
    return tuple(dict.fromkeys(found))


def declared_scopes(view: object) -> tuple[str, ...]:
    """Every scope `view` may ask for (its required ones first)."""
    found = list(required_scopes(view))
    for permission in _permission_classes(view):
        hook = getattr(permission, "scopes_declared_by", None)
        if callable(hook):
            found.extend(_strings(hook(view)))
    return tuple(dict.fromkeys(found))


def _callbacks(resolver: URLResolver) -> Iterator[Callable[..., Any]]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _callbacks(pattern)
        elif isinstance(pattern, URLPattern):
            yield pattern.callback


def supported_scopes(urlconf: str | None = None) -> tuple[str, ...]:
    """The scopes declared anywhere in `urlconf` (the project's by default), sorted.
    Walked once per URLconf and settings."""
    resolver = get_resolver(urlconf)
    scopes = _supported.get(resolver)
    if scopes is None:
        found: set[str] = set()
        for callback in _callbacks(resolver):
            found.update(declared_scopes(view_instance(callback)))
        scopes = tuple(sorted(found))
        with _lock:
            _supported[resolver] = scopes
    return scopes


@receiver(setting_changed)
def _forget(*, setting: str, **kwargs: object) -> None:
    if setting in ("ROOT_URLCONF", "AUTH0_API", "INSTALLED_APPS"):
        with _lock:
            _supported.clear()
