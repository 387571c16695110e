"""`request.user` for a verified token: stateless unless `USER_RESOLVER` says otherwise."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from django.db.models import Model

    from .options import ApiClientOptions
    from .verified_token import VerifiedToken


class TokenUser:
    """A user known only by its token: no database row behind it."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, token: VerifiedToken) -> None:
        self.token = token
        self.pk = self.id = self.username = token.sub

    def get_username(self) -> str:
        return self.username

    # Django permissions live in the database; a token user has none (its
    # rights are the token's scopes and permissions). Same API as AnonymousUser,
    # so `permission_required` and admin checks answer False instead of failing.
    def has_perm(self, perm: str, obj: Model | None = None) -> bool:
        return False

    def has_perms(self, perm_list: Iterable[str], obj: Model | None = None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, module: str) -> bool:
        return False

    def get_all_permissions(self, obj: Model | None = None) -> set[str]:
        return set()

    def __str__(self) -> str:
        return self.username

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TokenUser) and other.pk == self.pk

    def __hash__(self) -> int:
        return hash(self.pk)


def resolve_user(token: VerifiedToken, options: ApiClientOptions) -> object:
    resolver = options.user_resolver
    if resolver is None:
        return TokenUser(token)
    if isinstance(resolver, str):
        resolver = import_string(resolver)
    return resolver(token)
