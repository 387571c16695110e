"""django_auth0_api.testing.authorization_server: the fake tenant as the MCP
client's authorization server (RFC 8414, RFC 7591, RFC 6749 §4.1 + RFC 7636, RFC 8707)."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from django_auth0_api.conf import get_api_client
from django_auth0_api.testing.authorization_server import pkce_challenge

MCP = "https://api.example.com/mcp"
CALLBACK = "http://127.0.0.1:9/callback"
VERIFIER = "v" * 43


@pytest.fixture
def tenant(auth0_tenant, settings):
    settings.AUTH0_API = auth0_tenant.settings(AUDIENCE=[MCP], RESOURCE=MCP)
    return auth0_tenant


def register(tenant, **metadata):
    body = {"redirect_uris": [CALLBACK], "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none", **metadata}
    return requests.post(tenant.oauth.registration_endpoint, json=body, timeout=5)


def authorize(tenant, client_id, **params):
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK, "state": "s1",
             "code_challenge": pkce_challenge(VERIFIER), "code_challenge_method": "S256", "resource": MCP,
             "scope": "mcp:tools offline_access", **params}
    answer = requests.get(tenant.oauth.authorization_endpoint, params={k: v for k, v in query.items() if v is not None},
                          allow_redirects=False, timeout=5)
    return answer


def redirected(answer) -> dict:
    return {name: values[0] for name, values in parse_qs(urlsplit(answer.headers["Location"]).query).items()}


def token(tenant, **form):
    return requests.post(tenant.token_url, data=form, timeout=5)


def code_for(tenant, client_id, **params):
    return redirected(authorize(tenant, client_id, **params))["code"]


@pytest.fixture
def public_client(tenant):
    return register(tenant).json()["client_id"]


def test_rfc8414_metadata(tenant):
    document = requests.get(tenant.issuer + ".well-known/oauth-authorization-server", timeout=5).json()
    assert {key: document[key] for key in ("issuer", "authorization_endpoint", "token_endpoint",
                                           "registration_endpoint", "code_challenge_methods_supported",
                                           "response_types_supported")} == {
        "issuer": "https://tenant.example.auth0.com/",
        "authorization_endpoint": "https://tenant.example.auth0.com/authorize",
        "token_endpoint": "https://tenant.example.auth0.com/oauth/token",
        "registration_endpoint": "https://tenant.example.auth0.com/oidc/register",
        "code_challenge_methods_supported": ["S256"], "response_types_supported": ["code"]}


def test_openid_discovery_lists_the_same_endpoints(tenant):
    discovery = requests.get(tenant.discovery_url, timeout=5).json()
    assert discovery["registration_endpoint"] == tenant.oauth.registration_endpoint


def test_a_public_client_registers_without_a_secret(tenant):
    answer = register(tenant, client_name="Demo")
    body = answer.json()
    assert (answer.status_code, body["token_endpoint_auth_method"], "client_secret" in body, body["client_name"],
            body["redirect_uris"]) == (201, "none", False, "Demo", [CALLBACK])


def test_a_confidential_client_gets_a_secret_that_never_expires(tenant):
    body = register(tenant, token_endpoint_auth_method="client_secret_post").json()
    assert (len(body["client_secret"]) > 30, body["client_secret_expires_at"]) == (True, 0)


@pytest.mark.parametrize(("metadata", "error"), [
    ({"redirect_uris": ["not a uri"]}, "invalid_redirect_uri"),
    ({"redirect_uris": ["https://app.example.com/cb#frag"]}, "invalid_redirect_uri"),
    ({"redirect_uris": []}, "invalid_redirect_uri"),
    ({"token_endpoint_auth_method": "tls_client_auth"}, "invalid_client_metadata"),
    ({"grant_types": ["implicit"]}, "invalid_client_metadata"),
])
def test_bad_registrations_are_refused(tenant, metadata, error):
    answer = register(tenant, **metadata)
    assert (answer.status_code, answer.json()["error"]) == (400, error)


def test_authorize_redirects_with_code_state_and_issuer(tenant, public_client):
    answer = authorize(tenant, public_client)
    query = redirected(answer)
    assert (answer.status_code, answer.headers["Location"].startswith(CALLBACK + "?"), query["state"],
            query["iss"]) == (302, True, "s1", tenant.issuer)


@pytest.mark.parametrize(("params", "error"), [
    ({"code_challenge": None}, "invalid_request"),
    ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"resource": "https://api.example.com/mcp#x"}, "invalid_target"),
])
def test_authorize_errors_go_back_to_the_client(tenant, public_client, params, error):
    assert redirected(authorize(tenant, public_client, **params))["error"] == error


def test_an_unknown_resource_is_refused_when_the_tenant_lists_its_apis(tenant, public_client):
    tenant.oauth.resources = {MCP}
    assert redirected(authorize(tenant, public_client, resource="https://other.example.com"))["error"] == \
        "invalid_target"


@pytest.mark.parametrize(("client", "params"), [("nobody", {}), (None, {"redirect_uri": "https://evil.example.com/cb"})])
def test_an_unknown_client_or_redirect_uri_is_not_redirected_to(tenant, public_client, client, params):
    answer = authorize(tenant, client or public_client, **params)
    assert (answer.status_code, "Location" in answer.headers) == (400, False)


def test_the_code_grant_issues_a_token_whose_audience_is_the_resource(tenant, public_client):
    code = code_for(tenant, public_client)
    answer = token(tenant, grant_type="authorization_code", code=code, redirect_uri=CALLBACK,
                   client_id=public_client, code_verifier=VERIFIER, resource=MCP)
    body = answer.json()
    claims = get_api_client().verify_access_token(access_token=body["access_token"])
    assert (answer.status_code, claims["aud"], claims["sub"], claims["scope"], claims["azp"], body["scope"],
            "refresh_token" in body) == (200, MCP, "auth0|mcp-demo-user", "mcp:tools offline_access",
                                         public_client, "mcp:tools offline_access", True)


def test_no_refresh_token_without_offline_access(tenant, public_client):
    code = code_for(tenant, public_client, scope="mcp:tools")
    body = token(tenant, grant_type="authorization_code", code=code, redirect_uri=CALLBACK,
                 client_id=public_client, code_verifier=VERIFIER).json()
    assert "refresh_token" not in body


def test_a_wrong_verifier_is_refused(tenant, public_client):
    code = code_for(tenant, public_client)
    answer = token(tenant, grant_type="authorization_code", code=code, redirect_uri=CALLBACK,
                   client_id=public_client, code_verifier="w" * 43)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant")


def test_a_code_is_used_once(tenant, public_client):
    code = code_for(tenant, public_client)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "client_id": public_client,
            "code_verifier": VERIFIER}
    assert [token(tenant, **form).status_code for _ in range(2)] == [200, 400]


def test_a_code_is_for_its_resource_only(tenant, public_client):
    code = code_for(tenant, public_client)
    answer = token(tenant, grant_type="authorization_code", code=code, redirect_uri=CALLBACK,
                   client_id=public_client, code_verifier=VERIFIER, resource="https://other.example.com")
    assert answer.json()["error"] == "invalid_target"


def test_refresh_rotates_and_the_old_token_is_dead(tenant, public_client):
    code = code_for(tenant, public_client)
    first = token(tenant, grant_type="authorization_code", code=code, redirect_uri=CALLBACK,
                  client_id=public_client, code_verifier=VERIFIER).json()
    second = token(tenant, grant_type="refresh_token", refresh_token=first["refresh_token"], client_id=public_client)
    again = token(tenant, grant_type="refresh_token", refresh_token=first["refresh_token"], client_id=public_client)
    assert (second.status_code, second.json()["refresh_token"] != first["refresh_token"], again.status_code) == (
        200, True, 400)


def test_refresh_may_narrow_but_not_widen(tenant, public_client):
    code = code_for(tenant, public_client)
    refresh = token(tenant, grant_type="authorization_code", code=code, redirect_uri=CALLBACK,
                    client_id=public_client, code_verifier=VERIFIER).json()["refresh_token"]
    wider = token(tenant, grant_type="refresh_token", refresh_token=refresh, client_id=public_client,
                  scope="mcp:tools admin")
    assert (wider.status_code, wider.json()["error"]) == (400, "invalid_scope")


def test_client_credentials_for_a_confidential_client(tenant):
    client = register(tenant, grant_types=["client_credentials"], redirect_uris=[],
                      token_endpoint_auth_method="client_secret_basic").json()
    answer = requests.post(tenant.token_url, data={"grant_type": "client_credentials", "resource": MCP,
                                                   "scope": "mcp:tools"},
                           auth=(client["client_id"], client["client_secret"]), timeout=5)
    claims = get_api_client().verify_access_token(access_token=answer.json()["access_token"])
    assert (claims["sub"], claims["aud"], claims["gty"], "refresh_token" in answer.json()) == (
        f"{client['client_id']}@clients", MCP, "client-credentials", False)


def test_a_public_client_cannot_use_client_credentials(tenant, public_client):
    answer = token(tenant, grant_type="client_credentials", client_id=public_client, resource=MCP)
    assert (answer.status_code, answer.json()["error"]) == (400, "unauthorized_client")


def test_a_wrong_secret_is_refused(tenant):
    client = register(tenant, token_endpoint_auth_method="client_secret_post").json()
    code = code_for(tenant, client["client_id"])
    answer = token(tenant, grant_type="authorization_code", code=code, redirect_uri=CALLBACK, code_verifier=VERIFIER,
                   client_id=client["client_id"], client_secret="wrong")
    assert (answer.status_code, answer.json()["error"]) == (401, "invalid_client")


def test_token_exchange_still_works_beside_the_new_grants(tenant):
    subject = tenant.mint_token(audience=MCP)
    result = get_api_client().get_token_on_behalf_of(subject, audience="https://calendar-api.example.com")
    assert result["access_token"]
