"""django_auth0_api.client: the seed-compatible blocking API, Bearer path and the status table (the README)."""

import pytest

from django_auth0_api import ApiClient, ApiClientOptions, get_api_client
from django_auth0_api.errors import (
    BaseAuthError,
    InvalidAuthSchemeError,
    InvalidDpopProofError,
    InvalidRequestError,
    MissingAuthorizationError,
    MissingRequiredArgumentError,
    VerifyAccessTokenError,
)

URL = "https://api.example.com/data"


def answer(api_client, headers, method="GET", url=URL):
    """(status, error code, description, WWW-Authenticate) of a refused request."""
    with pytest.raises(BaseAuthError) as caught:
        api_client.verify_request(headers, method, url)
    error = caught.value
    return (error.get_status_code(), error.get_error_code(), error.get_error_description(),
            error.get_headers().get("WWW-Authenticate"))


def test_the_constructor_needs_options():
    with pytest.raises(TypeError):
        ApiClient({"domain": "tenant.example.auth0.com", "audience": "https://api.example.com"})


def test_an_explicit_client_verifies_a_token(auth0_tenant):
    client = ApiClient(ApiClientOptions(domain=auth0_tenant.domain, audience=auth0_tenant.audience))
    assert client.verify_access_token(access_token=auth0_tenant.mint_token())["sub"] == "auth0|user-1"


def test_get_api_client_is_built_from_the_settings(auth0_tenant):
    assert (get_api_client().options.issuer, get_api_client().options.audience) == (
        auth0_tenant.issuer, ("https://api.example.com", "https://calendar-api.example.com",
                               "https://api.example.com/mcp"))


def test_verify_request_bearer_gives_the_claims(auth0_tenant, api_client):
    token = auth0_tenant.mint_token(scope="read:messages")
    claims = api_client.verify_request(headers={"authorization": f"Bearer {token}"}, http_method="GET", http_url=URL)
    assert (claims["sub"], claims["scope"]) == ("auth0|user-1", "read:messages")


def test_verify_request_takes_a_list_of_header_pairs(auth0_tenant, api_client):
    claims = api_client.verify_request([("Authorization", f"Bearer {auth0_tenant.mint_token()}")])
    assert claims["sub"] == "auth0|user-1"


def test_verify_request_returns_a_fresh_dict(auth0_tenant, api_client):
    headers = {"authorization": f"Bearer {auth0_tenant.mint_token()}"}
    api_client.verify_request(headers)["sub"] = "changed"
    assert api_client.verify_request(headers)["sub"] == "auth0|user-1"


def test_authenticate_gives_a_verified_token(auth0_tenant, api_client):
    token = auth0_tenant.mint_token(act={"sub": "svc"})
    verified = api_client.authenticate({"authorization": f"Bearer {token}"})
    assert (verified.token, verified.scheme, verified.sub, verified.actor, verified.proof_claims) == (
        token, "Bearer", "auth0|user-1", "svc", None)


def test_a_bearer_request_never_builds_the_url(auth0_tenant, api_client):
    def url():
        raise AssertionError("the URL was built")

    assert api_client.authenticate({"authorization": f"Bearer {auth0_tenant.mint_token()}"}, "GET", url).sub


# -- the status table through the seed API ---------------------------------------------------------------

BARE = 'Bearer realm="api", DPoP algs="ES256"'


@pytest.mark.parametrize("headers", [{}, {"authorization": ""}, None])
def test_no_credentials_is_401_without_error(auth0_tenant, api_client, headers):
    assert answer(api_client, headers) == (401, None, "Authorization header is missing", BARE)
    assert len(auth0_tenant.responses.calls) == 0


def test_a_foreign_scheme_is_401_without_error(auth0_tenant, api_client):
    with pytest.raises(InvalidAuthSchemeError):
        api_client.verify_request({"authorization": "Basic dXNlcjpwYXNz"})
    assert answer(api_client, {"authorization": "Basic dXNlcjpwYXNz"}) == (
        401, None, "Authorization scheme is not accepted by this API", BARE)


def test_bearer_without_a_token_is_400_invalid_request(auth0_tenant, api_client):
    assert answer(api_client, {"authorization": "Bearer"}) == (
        400, "invalid_request", "Bearer scheme needs exactly one token",
        'Bearer realm="api", error="invalid_request", error_description="Bearer scheme needs exactly one token", '
        'DPoP algs="ES256"')


@pytest.mark.parametrize("headers", [
    {"authorization": ["Bearer a.b.c", "Bearer d.e.f"]},
    [("authorization", "Bearer a.b.c"), ("Authorization", "Bearer d.e.f")],
    {"authorization": "Bearer a.b.c, Bearer d.e.f"},
])
def test_several_authorization_values_are_400(auth0_tenant, api_client, headers):
    assert answer(api_client, headers)[:3] == (400, "invalid_request", "Several Authorization header values")
    assert len(auth0_tenant.responses.calls) == 0


def test_dpop_scheme_without_a_dpop_header_is_400(auth0_tenant, api_client):
    token = auth0_tenant.mint_token(jkt="thumbprint")
    assert answer(api_client, {"authorization": f"DPoP {token}"}) == (
        400, "invalid_request", "DPoP scheme without a DPoP proof header",
        'Bearer realm="api", DPoP algs="ES256", error="invalid_request", '
        'error_description="DPoP scheme without a DPoP proof header"')


def test_a_dpop_header_on_a_bearer_request_with_an_unbound_token_is_400(auth0_tenant, api_client):
    headers = {"authorization": f"Bearer {auth0_tenant.mint_token()}", "dpop": "a.b.c"}
    with pytest.raises(InvalidRequestError):
        api_client.verify_request(headers, "GET", URL)
    assert answer(api_client, headers) == (
        400, "invalid_request", "DPoP proof sent with an unbound Bearer token",
        'Bearer realm="api", error="invalid_request", error_description="DPoP proof sent with an unbound Bearer '
        'token", DPoP algs="ES256"')


def test_dpop_scheme_with_an_unbound_token_is_401_invalid_token_on_dpop(auth0_tenant, api_client):
    headers = {"authorization": f"DPoP {auth0_tenant.mint_token()}", "dpop": "a.b.c"}
    assert answer(api_client, headers) == (
        401, "invalid_token", "Access token is not DPoP-bound",
        'Bearer realm="api", DPoP algs="ES256", error="invalid_token", '
        'error_description="Access token is not DPoP-bound"')


def test_a_bound_token_sent_as_bearer_is_401_invalid_token(auth0_tenant, api_client):
    headers = {"authorization": f"Bearer {auth0_tenant.mint_token(jkt='thumbprint')}"}
    with pytest.raises(VerifyAccessTokenError):
        api_client.verify_request(headers)
    assert answer(api_client, headers) == (
        401, "invalid_token", "DPoP-bound token sent as a Bearer token",
        'Bearer realm="api", error="invalid_token", error_description="DPoP-bound token sent as a Bearer token", '
        'DPoP algs="ES256"')


def test_several_dpop_proofs_are_401_invalid_dpop_proof(auth0_tenant, api_client):
    headers = {"authorization": f"DPoP {auth0_tenant.mint_token(jkt='thumbprint')}", "dpop": ["a.b.c", "d.e.f"]}
    with pytest.raises(InvalidDpopProofError):
        api_client.verify_request(headers, "GET", URL)
    assert answer(api_client, headers)[:3] == (401, "invalid_dpop_proof", "Multiple DPoP proofs")


def test_a_dpop_request_without_method_or_url_is_a_missing_argument(auth0_tenant, api_client):
    headers = {"authorization": f"DPoP {auth0_tenant.mint_token(jkt='thumbprint')}", "dpop": "a.b.c"}
    with pytest.raises(MissingRequiredArgumentError) as caught:
        api_client.verify_request(headers)
    assert (caught.value.get_status_code(), caught.value.argument) == (400, "http_method")


def test_an_invalid_bearer_token_is_401_invalid_token(auth0_tenant, api_client):
    headers = {"authorization": f"Bearer {auth0_tenant.mint_token(expires_in=-5)}"}
    assert answer(api_client, headers) == (
        401, "invalid_token", "Token has expired",
        'Bearer realm="api", error="invalid_token", error_description="Token has expired", DPoP algs="ES256"')


def test_required_mode_refuses_bearer_as_a_foreign_scheme(auth0_tenant, settings):
    settings.AUTH0_API = auth0_tenant.settings(DPOP_REQUIRED=True)
    headers = {"authorization": f"Bearer {auth0_tenant.mint_token()}"}
    assert answer(get_api_client(), headers) == (
        401, None, "Authorization scheme is not accepted by this API", 'DPoP algs="ES256"')


def test_off_mode_refuses_dpop_as_a_foreign_scheme(auth0_tenant, settings):
    settings.AUTH0_API = auth0_tenant.settings(DPOP_ENABLED=False)
    headers = {"authorization": f"DPoP {auth0_tenant.mint_token(jkt='thumbprint')}", "dpop": "a.b.c"}
    assert answer(get_api_client(), headers) == (
        401, None, "Authorization scheme is not accepted by this API", 'Bearer realm="api"')


def test_off_mode_ignores_a_dpop_header_on_bearer(auth0_tenant, settings):
    settings.AUTH0_API = auth0_tenant.settings(DPOP_ENABLED=False)
    headers = {"authorization": f"Bearer {auth0_tenant.mint_token()}", "dpop": "a.b.c"}
    assert get_api_client().verify_request(headers)["sub"] == "auth0|user-1"


def test_missing_authorization_is_an_exception_class_of_its_own(auth0_tenant, api_client):
    with pytest.raises(MissingAuthorizationError):
        api_client.verify_request({})
