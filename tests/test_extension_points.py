"""Faces given a client of their own (two APIs, two audiences, one project),
and the small steps a subclass overrides."""

import json
from unittest import mock

import pytest
from django.http import JsonResponse
from django.test import RequestFactory
from helpers import BARE_CHALLENGE, answer, bearer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from django_auth0_api import ApiClient, ApiClientOptions, authenticate, get_api_client
from django_auth0_api.authentication import Auth0Authentication
from django_auth0_api.decorators import auth0_required
from django_auth0_api.middleware import Auth0Middleware
from django_auth0_api.permissions import TokenHasScope

SECOND_AUDIENCE = "https://second.example.com"
SECOND_BARE = 'Bearer realm="second"'


def second_challenge(description):
    return f'Bearer realm="second", error="invalid_token", error_description="{description}"'


@pytest.fixture
def second_api(auth0_tenant, no_middleware):
    """A second API of the same tenant: its own audience and realm, Bearer only."""
    return ApiClient(ApiClientOptions(domain=auth0_tenant.domain, audience=SECOND_AUDIENCE, realm="second",
                                      dpop_enabled=False))


def drf_call(view, **headers):
    response = view(APIRequestFactory().get("/second", **headers))
    response.render()
    return response.status_code, json.loads(response.content), response.get("WWW-Authenticate")


def echo_view(**attributes):
    class EchoView(APIView):
        authentication_classes = [Auth0Authentication]

        def get(self, request):
            return Response({"sub": request.auth.sub, "user": str(request.user)})

    for name, value in attributes.items():
        setattr(EchoView, name, value)
    return EchoView.as_view()


# -- DRF -----------------------------------------------------------------------------------------------------
def test_a_views_api_client_verifies_for_its_audience(auth0_tenant, second_api):
    view = echo_view(api_client=second_api)
    token = auth0_tenant.mint_token(audience=SECOND_AUDIENCE)
    assert drf_call(view, **bearer(token))[:2] == (200, {"sub": "auth0|user-1", "user": "auth0|user-1"})


def test_a_views_api_client_refuses_the_other_audience_with_its_own_challenge(auth0_tenant, second_api):
    view = echo_view(api_client=second_api)
    assert drf_call(view, **bearer(auth0_tenant.mint_token())) == (
        401, {"detail": "Audience is not accepted", "error": "invalid_token"},
        second_challenge("Audience is not accepted"))


def test_no_credentials_gets_the_bare_challenge_of_the_views_client(auth0_tenant, second_api):
    view = echo_view(api_client=second_api)
    assert drf_call(view) == (401, {"detail": "Authentication credentials were not provided."}, SECOND_BARE)


def test_an_authentication_subclass_with_an_api_client(auth0_tenant, second_api):
    class SecondAuthentication(Auth0Authentication):
        api_client = second_api

    view = echo_view(authentication_classes=[SecondAuthentication])
    assert drf_call(view, **bearer(auth0_tenant.mint_token(audience=SECOND_AUDIENCE)))[0] == 200


def test_get_user_chooses_request_user(auth0_tenant, no_middleware):
    class NamedUser:
        is_authenticated = True

        def __init__(self, token):
            self.name = f"user:{token.sub}"

        def __str__(self):
            return self.name

    class NamedAuthentication(Auth0Authentication):
        def get_user(self, request, token):
            return NamedUser(token)

    view = echo_view(authentication_classes=[NamedAuthentication])
    assert drf_call(view, **bearer(auth0_tenant.mint_token()))[1] == {"sub": "auth0|user-1",
                                                                       "user": "user:auth0|user-1"}


def test_get_required_scopes_per_request(auth0_tenant, no_middleware):
    class ScopeByMethod(TokenHasScope):
        def get_required_scopes(self, request, view):
            return ["read:x"] if request.method == "GET" else ["write:x"]

    view = echo_view(permission_classes=[ScopeByMethod])
    token = auth0_tenant.mint_token(scope="write:x")
    assert drf_call(view, **bearer(token)) == (
        403, {"detail": "Token lacks the required scope", "error": "insufficient_scope"},
        'Bearer realm="api", error="insufficient_scope", error_description="Token lacks the required scope", '
        'scope="read:x", DPoP algs="ES256"')


def test_a_missing_scope_answers_with_the_challenge_of_the_views_client(auth0_tenant, second_api):
    view = echo_view(api_client=second_api, permission_classes=[TokenHasScope], required_scopes=["read:x"])
    assert drf_call(view, **bearer(auth0_tenant.mint_token(audience=SECOND_AUDIENCE)))[2] == (
        'Bearer realm="second", error="insufficient_scope", error_description="Token lacks the required scope", '
        'scope="read:x"')


# -- the decorator and the middleware --------------------------------------------------------------------------
def test_auth0_required_with_a_client(auth0_tenant, second_api):
    @auth0_required(client=second_api)
    def view(request):
        return JsonResponse({"sub": request.auth.sub})

    factory = RequestFactory()
    accepted = view(factory.get("/", **bearer(auth0_tenant.mint_token(audience=SECOND_AUDIENCE))))
    refused = view(factory.get("/", **bearer(auth0_tenant.mint_token())))
    assert (accepted.status_code, answer(refused)) == (200, (
        401, {"error": "invalid_token", "error_description": "Audience is not accepted"},
        second_challenge("Audience is not accepted")))


def test_auth0_required_without_credentials_answers_with_its_clients_challenge(auth0_tenant, second_api):
    view = auth0_required(client=second_api)(lambda request: JsonResponse({}))
    assert answer(view(RequestFactory().get("/")))[2] == SECOND_BARE


def test_a_middleware_subclass_with_an_api_client(auth0_tenant, second_api):
    class SecondMiddleware(Auth0Middleware):
        api_client = second_api

    middleware = SecondMiddleware(lambda request: JsonResponse({"sub": request.auth.sub if request.auth else None}))
    factory = RequestFactory()
    accepted = middleware(factory.get("/", **bearer(auth0_tenant.mint_token(audience=SECOND_AUDIENCE))))
    refused = middleware(factory.get("/", **bearer(auth0_tenant.mint_token())))
    assert (json.loads(accepted.content), answer(refused)[2]) == (
        {"sub": "auth0|user-1"}, second_challenge("Audience is not accepted"))


# -- the once-per-request outcome, per client ----------------------------------------------------------------------
def test_two_clients_on_one_request_each_verify_once(auth0_tenant, second_api):
    token = auth0_tenant.mint_token(audience=[auth0_tenant.audience, SECOND_AUDIENCE])
    request = RequestFactory().get("/", **bearer(token))
    first, second = authenticate(request), authenticate(request, second_api)
    assert (first is not second, authenticate(request) is first, authenticate(request, second_api) is second) == (
        True, True, True)


def test_one_clients_refusal_is_not_the_others(auth0_tenant, second_api):
    request = RequestFactory().get("/", **bearer(auth0_tenant.mint_token()))
    first = authenticate(request)
    with pytest.raises(Exception, match="Audience is not accepted"):
        authenticate(request, second_api)
    assert authenticate(request) is first


def test_the_settings_client_is_the_default(auth0_tenant):
    request = RequestFactory().get("/", **bearer(auth0_tenant.mint_token()))
    assert authenticate(request) is authenticate(request, get_api_client())


def test_the_bare_challenge_of_the_settings_client_is_unchanged(auth0_tenant, no_middleware):
    assert drf_call(echo_view())[2] == BARE_CHALLENGE


def test_a_middleware_subclass_chooses_request_user(auth0_tenant):
    class NamedMiddleware(Auth0Middleware):
        def get_user(self, request, token):
            return f"user:{token.sub}"

    middleware = NamedMiddleware(lambda request: JsonResponse({"user": str(request.user)}))
    response = middleware(RequestFactory().get("/", **bearer(auth0_tenant.mint_token())))
    assert json.loads(response.content) == {"user": "user:auth0|user-1"}


# -- the default get_user, taken without a second client lookup ------------------------------------------------
class Named:
    is_authenticated = True

    def __init__(self, name):
        self.name = name

    def __str__(self):
        return self.name


def test_get_user_set_on_an_authentication_instance_chooses_request_user(auth0_tenant, no_middleware):
    authentication = Auth0Authentication()
    authentication.get_user = lambda request, token: f"instance:{token.sub}"
    request = Request(APIRequestFactory().get("/", **bearer(auth0_tenant.mint_token())))
    assert authentication.authenticate(request)[0] == "instance:auth0|user-1"  # DRF takes any object


def test_get_api_client_set_on_an_authentication_instance_chooses_the_api(auth0_tenant, second_api):
    authentication = Auth0Authentication()
    authentication.get_api_client = lambda request: second_api
    request = Request(APIRequestFactory().get("/", **bearer(auth0_tenant.mint_token(audience=SECOND_AUDIENCE))))
    assert authentication.authenticate(request)[1].claims["aud"] == SECOND_AUDIENCE  # the default API refuses it


def test_get_user_patched_on_the_class_chooses_request_user(auth0_tenant, no_middleware):
    with mock.patch.object(Auth0Authentication, "get_user", lambda self, request, token: Named(f"patched:{token.sub}")):
        assert drf_call(echo_view(), **bearer(auth0_tenant.mint_token()))[1]["user"] == "patched:auth0|user-1"


def test_the_default_get_user_resolves_with_the_client_that_verified(auth0_tenant, no_middleware):
    calls = []

    class CountingAuthentication(Auth0Authentication):
        def get_api_client(self, request):
            calls.append(request)
            return resolving_api

    resolving_api = ApiClient(ApiClientOptions(domain=auth0_tenant.domain, audience=SECOND_AUDIENCE,
                                               user_resolver=lambda token: Named(f"resolved:{token.sub}")))
    view = echo_view(authentication_classes=[CountingAuthentication])
    assert drf_call(view, **bearer(auth0_tenant.mint_token(audience=SECOND_AUDIENCE)))[1] == {
        "sub": "auth0|user-1", "user": "resolved:auth0|user-1"}
    assert len(calls) == 1  # one lookup: the user is resolved with the client that verified the token
