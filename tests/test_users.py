"""django_auth0_api.users: `request.user` for a verified token, and USER_RESOLVER."""

import pytest
from django.http import JsonResponse
from django.urls import path
from helpers import bearer
from rest_framework.response import Response
from rest_framework.views import APIView

from django_auth0_api import TokenUser, VerifiedToken
from django_auth0_api.options import ApiClientOptions
from django_auth0_api.users import resolve_user


class AppUser:
    """What a project's resolver might return (a database user, say)."""

    is_authenticated = True

    def __init__(self, name):
        self.username = name


RESOLVED = []


def resolver(token):
    RESOLVED.append(token.sub)
    return AppUser(f"app:{token.sub}")


def whoami(request):
    user = request.user
    return JsonResponse({"type": user.__class__.__name__, "username": user.username})  # __class__: past the lazy proxy


class DrfWhoAmI(APIView):
    def get(self, request):
        return Response({"type": type(request.user).__name__, "username": request.user.username})


urlpatterns = [path("whoami", whoami), path("drf/whoami", DrfWhoAmI.as_view())]

TOKEN = VerifiedToken("raw", {"sub": "auth0|user-1", "iss": "https://tenant.example.auth0.com/"})


def options(**kwargs):
    return ApiClientOptions(domain="tenant.example.auth0.com", audience="https://api.example.com", **kwargs)


# -- TokenUser ---------------------------------------------------------------------------------------------

def test_token_user_is_authenticated_and_named_by_sub():
    user = TokenUser(TOKEN)
    assert (user.is_authenticated, user.is_anonymous, user.is_active, user.is_staff, user.is_superuser) == (
        True, False, True, False, False)
    assert (user.pk, user.id, user.username, user.get_username(), str(user)) == ("auth0|user-1",) * 5


def test_token_user_keeps_its_token():
    assert TokenUser(TOKEN).token is TOKEN


def test_token_user_has_no_django_permissions():
    user = TokenUser(TOKEN)
    assert (user.has_perm("auth.add_user"), user.has_perms(["auth.add_user"]), user.has_module_perms("auth"),
            user.get_all_permissions()) == (False, False, False, set())


def test_permission_required_refuses_a_token_user(auth0_tenant):
    from django.contrib.auth.decorators import permission_required
    from django.core.exceptions import PermissionDenied
    from django.test import RequestFactory

    view = permission_required("auth.add_user", raise_exception=True)(lambda request: JsonResponse({}))
    request = RequestFactory().get("/")
    request.user = TokenUser(TOKEN)
    with pytest.raises(PermissionDenied):
        view(request)


def test_token_users_are_equal_by_sub():
    other = VerifiedToken("other-raw", {"sub": "auth0|user-1", "iss": "x"})
    assert (TokenUser(TOKEN) == TokenUser(other), hash(TokenUser(TOKEN)) == hash(TokenUser(other))) == (True, True)
    assert TokenUser(TOKEN) != TokenUser(VerifiedToken("t", {"sub": "auth0|user-2", "iss": "x"}))


# -- resolve_user ------------------------------------------------------------------------------------------------

def test_without_a_resolver_the_user_is_a_token_user():
    assert type(resolve_user(TOKEN, options())) is TokenUser


@pytest.mark.parametrize("user_resolver", [resolver, f"{__name__}.resolver"], ids=["callable", "dotted-path"])
def test_user_resolver_maps_the_token_to_a_user(user_resolver):
    assert resolve_user(TOKEN, options(user_resolver=user_resolver)).username == "app:auth0|user-1"


# -- through the faces ---------------------------------------------------------------------------------------------

@pytest.mark.urls(__name__)
def test_the_middleware_sets_a_token_user(auth0_tenant, client):
    assert client.get("/whoami", **bearer(auth0_tenant.mint_token())).json() == {
        "type": "TokenUser", "username": "auth0|user-1"}


@pytest.mark.urls(__name__)
def test_the_middleware_uses_user_resolver(auth0_tenant, client, settings):
    settings.AUTH0_API = auth0_tenant.settings(USER_RESOLVER=f"{__name__}.resolver")
    assert client.get("/whoami", **bearer(auth0_tenant.mint_token())).json() == {
        "type": "AppUser", "username": "app:auth0|user-1"}


@pytest.mark.urls(__name__)
def test_drf_uses_user_resolver(auth0_tenant, client, settings, no_middleware):
    settings.AUTH0_API = auth0_tenant.settings(USER_RESOLVER=f"{__name__}.resolver")
    assert client.get("/drf/whoami", **bearer(auth0_tenant.mint_token())).json() == {
        "type": "AppUser", "username": "app:auth0|user-1"}


@pytest.mark.urls(__name__)
def test_drf_sets_a_token_user(auth0_tenant, client, no_middleware):
    assert client.get("/drf/whoami", **bearer(auth0_tenant.mint_token())).json() == {
        "type": "TokenUser", "username": "auth0|user-1"}


def touch_user(get_response):
    """A middleware after Auth0Middleware that reads the user (as logging or auditing might)."""
    def middleware(request):
        request.audit_name = request.user.username
        return get_response(request)
    return middleware


@pytest.mark.urls(__name__)
def test_with_middleware_and_drf_the_resolver_runs_once(auth0_tenant, client, settings):
    settings.AUTH0_API = auth0_tenant.settings(USER_RESOLVER=f"{__name__}.resolver")
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.touch_user"]
    RESOLVED.clear()
    client.get("/drf/whoami", **bearer(auth0_tenant.mint_token()))
    assert RESOLVED == ["auth0|user-1"]
