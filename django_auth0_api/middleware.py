"""`Auth0Middleware`: Bearer and DPoP for plain Django views.

Place it after `AuthenticationMiddleware`: a verified token then wins over
the session user. A request without credentials passes with `request.auth`
None; a bad one is answered here with its status and challenge.
"""

from __future__ import annotations

from django.utils.cache import patch_vary_headers

from .conf import get_options
from .core.nonces import current_nonce
from .core.protected_resource import WELL_KNOWN_PREFIX
from .errors import ApiError, BaseAuthError, ConfigurationError
from .request_auth import (
    attach,
    authenticate_request,
    challenge_scopes,
    configuration_failure,
    error_response,
    exchange_failure_response,
    expose_challenge,
)


class Auth0Middleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(WELL_KNOWN_PREFIX):
            # RFC 9728 metadata is how a client learns to get a token: never refuse it over a bad one.
            request.auth = None
            return self.get_response(request)
        try:
            token = authenticate_request(request)
        except BaseAuthError as error:
            response = error_response(error, challenge_scopes(request, error))
        else:
            if token is None:
                request.auth = None
            else:
                attach(request, token)
            response = self.get_response(request)
            if token is not None and token.scheme == "DPoP" and get_options().dpop_nonce:
                # Hand out the next nonce before the client's one goes stale.
                response.headers.setdefault("DPoP-Nonce", current_nonce())
        patch_vary_headers(response, ("Authorization",))
        expose_challenge(response)
        return response

    def process_exception(self, request, exception):
        # A token exchange that failed inside a plain view: 502/503/504, as
        # `django_auth0_api.drf.exception_handler` answers for DRF views.
        if isinstance(exception, ApiError):
            return exchange_failure_response(exception)
        if isinstance(exception, ConfigurationError):  # e.g. get_api_client() in the view
            return error_response(configuration_failure(exception))
        return None
