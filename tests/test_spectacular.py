"""The drf-spectacular extension: the test project's OpenAPI schema declares the
Bearer, DPoP and Auth0 login schemes and, per operation, the scopes `TokenHasScope`
and the permissions `TokenHasPermission` require; the schema validates."""

import pytest

pytest.importorskip("drf_spectacular", reason="drf-spectacular is not installed (pip install drf-spectacular)")

from drf_spectacular.generators import SchemaGenerator  # noqa: E402

BEARER = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
          "description": "An Auth0 access token: `Authorization: Bearer <token>` (RFC 6750)."}
DPOP = {"type": "http", "scheme": "DPoP",
        "description": "A DPoP-bound Auth0 access token: `Authorization: DPoP <token>`, with a proof "
                       "for each request in the `DPoP` header (RFC 9449)."}
LOGIN = {"type": "openIdConnect",
         "openIdConnectUrl": "https://tenant.example.auth0.com/.well-known/openid-configuration",
         "description": "Log in through the Auth0 tenant (authorization code with PKCE); ask for this API's "
                        "audience to get an access token for it."}


@pytest.fixture
def schema(settings):
    """The test project's schema, built for the current `AUTH0_API`."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}

    def generate():
        return SchemaGenerator().get_schema(request=None, public=True)

    return generate


def test_bearer_and_dpop_schemes_are_declared(schema):
    assert schema()["components"]["securitySchemes"] == {
        "Auth0Bearer": BEARER, "Auth0DPoP": DPOP, "Auth0Login": LOGIN}


def test_messages_requires_its_scope_under_either_scheme(schema):
    assert schema()["paths"]["/api/messages"]["get"]["security"] == [
        {"Auth0Bearer": ["read:messages"]}, {"Auth0DPoP": ["read:messages"]}, {"Auth0Login": ["read:messages"]}]


def test_admin_requires_its_permission(schema):
    assert schema()["paths"]["/api/admin"]["get"]["security"] == [
        {"Auth0Bearer": ["admin:all"]}, {"Auth0DPoP": ["admin:all"]}, {"Auth0Login": ["admin:all"]}]


def test_manage_py_spectacular_validate_passes():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("spectacular", "--validate", stdout=out, stderr=StringIO())  # raises on an invalid schema
    assert "Auth0DPoP:" in out.getvalue()


def test_no_login_scheme_without_a_single_domain(schema, settings):
    settings.AUTH0_API = {**settings.AUTH0_API, "DOMAIN": None, "DOMAINS": ["tenant.example.auth0.com"],
                          "CLIENT_ID": None}  # exchanges need DOMAIN
    assert sorted(schema()["components"]["securitySchemes"]) == ["Auth0Bearer", "Auth0DPoP"]


def test_a_view_without_token_has_scope_requires_no_scope(schema):
    assert schema()["paths"]["/api/me"]["get"]["security"] == [
        {"Auth0Bearer": []}, {"Auth0DPoP": []}, {"Auth0Login": []}]


def test_a_view_without_authentication_has_no_requirement(schema):
    assert "security" not in schema()["paths"]["/api/public"]["get"]


def test_dpop_required_mode_declares_only_dpop(schema, settings):
    settings.AUTH0_API = {**settings.AUTH0_API, "DPOP_REQUIRED": True}
    generated = schema()
    assert (generated["components"]["securitySchemes"], generated["paths"]["/api/messages"]["get"]["security"]) == (
        {"Auth0DPoP": DPOP}, [{"Auth0DPoP": ["read:messages"]}])


def test_dpop_off_declares_only_bearer(schema, settings):
    settings.AUTH0_API = {**settings.AUTH0_API, "DPOP_ENABLED": False}
    generated = schema()
    assert (generated["components"]["securitySchemes"], generated["paths"]["/api/messages"]["get"]["security"]) == (
        {"Auth0Bearer": BEARER, "Auth0Login": LOGIN},
        [{"Auth0Bearer": ["read:messages"]}, {"Auth0Login": ["read:messages"]}])


def test_scopes_behind_a_composed_permission_are_required():
    from rest_framework.permissions import IsAuthenticated
    from rest_framework.views import APIView

    from django_auth0_api.permissions import TokenHasScope
    from django_auth0_api.spectacular import required_scopes

    class Composed(APIView):
        permission_classes = [IsAuthenticated & TokenHasScope]
        required_scopes = ["write:messages", "read:messages"]

    assert required_scopes(Composed()) == ["write:messages", "read:messages"]


def alternatives(*scopes):
    """One security requirement per scheme for each alternative scope."""
    return [{name: [scope]} for scope in scopes for name in ("Auth0Bearer", "Auth0DPoP", "Auth0Login")]


def test_per_method_alternatives_are_alternative_requirements(schema):
    paths = schema()["paths"]["/api/documents"]
    assert (paths["get"]["security"], paths["post"]["security"]) == (
        alternatives("read:documents"),
        alternatives("write:documents", "admin"))


def test_any_scope_lists_each_scope_as_an_alternative(schema):
    assert schema()["paths"]["/api/reports"]["get"]["security"] == alternatives("read:reports", "admin")


def test_alternatives_with_common_scopes_list_both():
    from rest_framework.views import APIView

    from django_auth0_api.permissions import TokenHasScope
    from django_auth0_api.spectacular import scope_alternatives

    class Both(APIView):
        permission_classes = [TokenHasScope]
        required_scopes = ["api"]
        required_alternate_scopes = {"POST": [["write"], ["admin"]]}

    assert scope_alternatives(Both(), "POST") == [("api", "write"), ("api", "admin")]
