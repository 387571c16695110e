"""adrf (async DRF): the authentication class for `adrf.views.APIView`
async views (docs/faces/adrf.md). Needs `pip install adrf`.

Statuses and challenges are DRF's `Auth0Authentication`'s; `TokenHasScope`
and `TokenHasPermission` work unchanged (they only read `request.auth`).
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from asgiref.sync import sync_to_async

from . import authentication
from .errors import BaseAuthError
from .permissions import TokenHasPermission, TokenHasScope
from .request_auth import aauthenticate_request
from .users import TokenUser

if TYPE_CHECKING:
    from rest_framework.request import Request

    from .verified_token import VerifiedToken

if importlib.util.find_spec("adrf") is None:  # pragma: no cover (adrf is in the test extra)
    raise ImportError("django_auth0_api.adrf needs adrf: pip install adrf")

__all__ = ["Auth0Authentication", "TokenHasPermission", "TokenHasScope"]


class Auth0Authentication(authentication.Auth0Authentication):
    """`authenticate` is a coroutine: the token is verified without blocking
    the event loop, once per request with the middleware and the other faces."""

    # adrf awaits the `authenticate` of an async view's classes.
    async def authenticate(self, request: Request) -> tuple[object, VerifiedToken] | None:  # type: ignore[override]
        client = self.get_api_client(request)
        try:
            token = await aauthenticate_request(request, client)
        except BaseAuthError as error:
            raise authentication.refusal_of(request, error, client) from None
        if token is None:
            return None
        return await self.aget_user(request, token), token

    async def aget_user(self, request: Request, token: VerifiedToken) -> object:
        """`get_user` off the event loop, unless it is the stateless default."""
        client = self.get_api_client(request)
        # The sync class's test: a `get_user` of a subclass or of the instance is its own.
        default = getattr(self.get_user, "__func__", None) is authentication._default_get_user
        if default and client.options.user_resolver is None:
            return TokenUser(token)
        return await sync_to_async(self.get_user)(request, token)
