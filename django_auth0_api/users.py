"""`request.user` for a verified token: stateless unless `USER_RESOLVER` says otherwise."""

from __future__ import annotations

from django.utils.module_loading import import_string


class TokenUser:
    """A user known only by its token: no database row behind it."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, token):
        self.token = token
        self.pk = self.id = self.username = token.sub

    def get_username(self) -> str:
        return self.username

    def has_perm(self, perm, obj=None) -> bool:
        return False

    def __str__(self) -> str:
        return self.username

    def __eq__(self, other) -> bool:
        return isinstance(other, TokenUser) and other.pk == self.pk

    def __hash__(self) -> int:
        return hash(self.pk)


def resolve_user(token, options):
    resolver = options.user_resolver
    if resolver is None:
        return TokenUser(token)
    if isinstance(resolver, str):
        resolver = import_string(resolver)
    return resolver(token)
