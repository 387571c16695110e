"""django_auth0_api.core.access_tokens: every access-token rule of the README, each with a passing and a failing case.

Tokens are checked through the seed API (`ApiClient.verify_access_token`), with Auth0
mocked at the HTTP layer by the fake tenant.
"""

import hashlib
import hmac
import json
import time

import pytest
from cryptography.hazmat.primitives import serialization
from helpers import b64url, bearer, segment, sign_rs256, tenant_claims

from django_auth0_api.errors import DomainsResolverError, VerifyAccessTokenError
from django_auth0_api.testing import FakeTenant, calls_to, rsa_key


def refusal(api_client, token, **kwargs):
    with pytest.raises(VerifyAccessTokenError) as caught:
        api_client.verify_access_token(token, **kwargs)
    error = caught.value
    assert (error.get_status_code(), error.get_error_code()) == (401, "invalid_token")
    return error.get_error_description()


def network_calls(tenant) -> int:
    return len(tenant.responses.calls)


def header(tenant, **overrides):
    return {"alg": "RS256", "typ": "at+jwt", "kid": tenant.kid, **overrides}


def tenant_key(tenant):
    return tenant.keys[tenant.kid]


# -- a good token -------------------------------------------------------------------------------

def test_a_valid_token_gives_its_claims(auth0_tenant, api_client):
    claims = api_client.verify_access_token(auth0_tenant.mint_token(scope="read:messages"))
    assert (claims["sub"], claims["iss"], claims["aud"], claims["scope"]) == (
        "auth0|user-1", auth0_tenant.issuer, auth0_tenant.audience, "read:messages")


def test_the_claims_are_a_fresh_dict_each_time(auth0_tenant, api_client):
    token = auth0_tenant.mint_token()
    api_client.verify_access_token(token)["sub"] = "someone-else"
    assert api_client.verify_access_token(token)["sub"] == "auth0|user-1"


# -- shape and size, before any network call --------------------------------------------------------

@pytest.mark.parametrize("shape", [
    lambda t: t + ".extra",
    lambda t: t + ".a.b",
    lambda t: t.rsplit(".", 1)[0],
    lambda t: t.rsplit(".", 1)[0] + ".",
    lambda t: "." + t.split(".", 1)[1],
    lambda t: t.replace(".", ""),
    lambda t: t.replace(".", "..", 1),
])
def test_any_shape_but_three_segments_is_refused_offline(auth0_tenant, api_client, shape):
    assert refusal(api_client, shape(auth0_tenant.mint_token())) == "Access token is malformed"
    assert network_calls(auth0_tenant) == 0


def test_a_token_over_8_kib_is_refused_offline(auth0_tenant, api_client):
    token = auth0_tenant.mint_token(claims={"pad": "x" * 6200})
    assert len(token) > 8192
    assert refusal(api_client, token) == "Access token is too large"
    assert network_calls(auth0_tenant) == 0


def test_a_token_just_under_8_kib_is_accepted(auth0_tenant, api_client):
    base = len(auth0_tenant.mint_token(claims={"pad": ""}))
    token = auth0_tenant.mint_token(claims={"pad": "x" * ((8180 - base) * 3 // 4)})
    assert 8100 < len(token) <= 8192
    assert api_client.verify_access_token(token)["sub"] == "auth0|user-1"


@pytest.mark.parametrize("token", ["", None, 12, b"a.b.c"])
def test_a_missing_or_non_string_token_is_refused(auth0_tenant, api_client, token):
    assert refusal(api_client, token) == "Access token is missing"


# -- header, before any network call ------------------------------------------------------------------

@pytest.mark.parametrize("head", [
    "!!!",                              # not base64url
    b64url(b"not json"),
    b64url(b"\xff\xfe{}"),              # not UTF-8
    segment(["RS256"]),                 # JSON, not an object
    segment("RS256"),
    b64url(b'{"alg": "RS256", "kid": "key-0", "x": NaN}'),
    b64url(b"[" * 2500 + b"]" * 2500),  # RecursionError in the parser
])
def test_an_undecodable_header_is_refused_offline(auth0_tenant, api_client, head):
    _, payload, signature = auth0_tenant.mint_token().split(".")
    assert refusal(api_client, f"{head}.{payload}.{signature}") == "Access token is malformed"
    assert network_calls(auth0_tenant) == 0


def test_an_algorithm_not_in_algorithms_is_refused_offline(auth0_tenant, api_client):
    assert refusal(api_client, auth0_tenant.mint_token(alg="RS384")) == "Algorithm is not accepted"
    assert network_calls(auth0_tenant) == 0


def test_an_algorithm_listed_in_algorithms_is_accepted(auth0_tenant, settings):
    from django_auth0_api.conf import get_api_client

    settings.AUTH0_API = auth0_tenant.settings(ALGORITHMS=["RS384"])
    # The tenant's JWKS labels its key RS256: drop the label so the key may serve RS384.
    jwks = auth0_tenant.jwks()
    del jwks["keys"][0]["alg"]
    auth0_tenant.responses.replace("GET", auth0_tenant.jwks_url, json=jwks)
    assert get_api_client().verify_access_token(auth0_tenant.mint_token(alg="RS384"))["sub"] == "auth0|user-1"


def test_hs256_signed_with_the_public_key_is_refused_offline(auth0_tenant, api_client):
    # The classic confusion attack: HMAC keyed with the RSA public key everybody can fetch.
    public_pem = tenant_key(auth0_tenant).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = f"{segment(header(auth0_tenant, alg='HS256'))}.{segment(tenant_claims(auth0_tenant))}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert refusal(api_client, f"{signing_input}.{b64url(mac)}") == "Algorithm is not accepted"
    assert network_calls(auth0_tenant) == 0


@pytest.mark.parametrize("alg", ["none", "None", "NONE", None, ["RS256"], {"RS256": 1}])
def test_none_and_non_string_algorithms_are_refused_offline(auth0_tenant, api_client, alg):
    token = f"{segment(header(auth0_tenant, alg=alg))}.{segment(tenant_claims(auth0_tenant))}.AAAA"
    assert refusal(api_client, token) == "Algorithm is not accepted"
    assert network_calls(auth0_tenant) == 0


def test_an_unsecured_token_without_signature_is_refused_offline(auth0_tenant, api_client):
    token = f"{segment({'alg': 'none'})}.{segment(tenant_claims(auth0_tenant))}."
    assert refusal(api_client, token) == "Access token is malformed"
    assert network_calls(auth0_tenant) == 0


@pytest.mark.parametrize("crit", [["exp"], [], "b64"])
def test_a_crit_header_is_refused_offline(auth0_tenant, api_client, crit):
    token = auth0_tenant.mint_token(header={"crit": crit, "exp": 1})
    assert refusal(api_client, token) == "Critical header parameters are not supported"
    assert network_calls(auth0_tenant) == 0


@pytest.mark.parametrize("typ", [None, "JWT", "jwt", "at+jwt", "AT+JWT", "application/at+jwt"])
def test_typ_absent_jwt_or_at_jwt_is_accepted(auth0_tenant, api_client, typ):
    token = auth0_tenant.mint_token(drop=["typ"]) if typ is None else auth0_tenant.mint_token(header={"typ": typ})
    assert api_client.verify_access_token(token)["sub"] == "auth0|user-1"


@pytest.mark.parametrize("typ", ["dpop+jwt", "JOSE", "application/jwt", "id_token", "", 1, ["at+jwt"]])
def test_any_other_typ_is_refused_offline(auth0_tenant, api_client, typ):
    assert refusal(api_client, auth0_tenant.mint_token(header={"typ": typ})) == "Token type is not accepted"
    assert network_calls(auth0_tenant) == 0


@pytest.mark.parametrize("kid", [None, "", 5, ["key-0"]])
def test_a_token_without_a_string_kid_is_refused_offline(auth0_tenant, api_client, kid):
    token = sign_rs256(header(auth0_tenant, kid=kid), tenant_claims(auth0_tenant), tenant_key(auth0_tenant))
    assert refusal(api_client, token) == "Token has no key id"
    assert network_calls(auth0_tenant) == 0


# -- issuer, before any network call --------------------------------------------------------------------

@pytest.mark.parametrize("iss", [
    "https://tenant.example.auth0.com",          # no trailing slash: exact string
    "https://TENANT.example.auth0.com/",
    "http://tenant.example.auth0.com/",
    "https://tenant.example.auth0.com//",
    "https://attacker.example.com/",
    "tenant.example.auth0.com",
    None, 5, ["https://tenant.example.auth0.com/"],
])
def test_an_issuer_not_allowed_is_refused_before_any_network_call(auth0_tenant, api_client, iss):
    token = auth0_tenant.mint_token(claims={"iss": iss})
    assert refusal(api_client, token) == "Issuer is not accepted"
    assert network_calls(auth0_tenant) == 0


def test_a_token_without_iss_is_refused_offline(auth0_tenant, api_client):
    assert refusal(api_client, auth0_tenant.mint_token(drop=["iss"])) == "Issuer is not accepted"
    assert network_calls(auth0_tenant) == 0


# -- keys from the issuer's JWKS only ------------------------------------------------------------------------

def test_an_unknown_kid_is_refused(auth0_tenant, api_client):
    assert refusal(api_client, auth0_tenant.mint_token(kid="no-such-key")) == "Signing key not found"


def test_a_header_jwk_with_the_attackers_key_is_never_used(auth0_tenant, api_client):
    attacker = rsa_key(7)
    attacker_jwk = {k: v for k, v in json.loads(
        __import__("jwt").algorithms.RSAAlgorithm.to_jwk(attacker.public_key())).items()}
    token = sign_rs256(header(auth0_tenant, jwk=attacker_jwk), tenant_claims(auth0_tenant), attacker)
    assert refusal(api_client, token) == "Signature verification failed"


def test_a_header_jwk_with_its_own_kid_is_not_a_key_source(auth0_tenant, api_client):
    attacker = rsa_key(7)
    attacker_jwk = json.loads(__import__("jwt").algorithms.RSAAlgorithm.to_jwk(attacker.public_key()))
    token = sign_rs256(header(auth0_tenant, kid="attacker", jwk=dict(attacker_jwk, kid="attacker")),
                       tenant_claims(auth0_tenant), attacker)
    assert refusal(api_client, token) == "Signing key not found"


@pytest.mark.parametrize("member", ["jku", "x5u"])
def test_jku_and_x5u_are_never_fetched(auth0_tenant, api_client, member):
    attacker = rsa_key(7)
    url = "https://attacker.example.com/keys.json"
    auth0_tenant.responses.add("GET", url, json={"keys": []})
    token = sign_rs256(header(auth0_tenant, kid="attacker", **{member: url}), tenant_claims(auth0_tenant), attacker)
    assert refusal(api_client, token) == "Signing key not found"
    assert calls_to(auth0_tenant.responses, url) == 0


def test_x5c_with_the_attackers_certificate_is_never_used(auth0_tenant, api_client):
    attacker = rsa_key(7)
    der = attacker.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
    token = sign_rs256(header(auth0_tenant, x5c=[__import__("base64").b64encode(der).decode()]),
                       tenant_claims(auth0_tenant), attacker)
    assert refusal(api_client, token) == "Signature verification failed"


def test_a_token_signed_by_the_right_key_with_extra_key_headers_is_accepted(auth0_tenant, api_client):
    token = auth0_tenant.mint_token(header={"jku": "https://attacker.example.com/keys.json"})
    assert api_client.verify_access_token(token)["sub"] == "auth0|user-1"


# -- signature -----------------------------------------------------------------------------------------------

def test_a_tampered_payload_fails_the_signature(auth0_tenant, api_client):
    head, _, signature = auth0_tenant.mint_token().split(".")
    forged = segment(tenant_claims(auth0_tenant, sub="auth0|admin"))
    assert refusal(api_client, f"{head}.{forged}.{signature}") == "Signature verification failed"


def test_a_signature_by_another_key_under_the_tenants_kid_fails(auth0_tenant, api_client):
    assert refusal(api_client, auth0_tenant.mint_token(key=rsa_key(7))) == "Signature verification failed"


@pytest.mark.parametrize("signature", ["AAAA", "A" * 342, "!!!!"])
def test_a_garbage_signature_fails(auth0_tenant, api_client, signature):
    head, payload, _ = auth0_tenant.mint_token().split(".")
    description = refusal(api_client, f"{head}.{payload}.{signature}")
    assert description in ("Signature verification failed", "Access token is malformed")


# -- audience ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("aud", ["https://api.example.com", ["https://api.example.com"],
                                 ["https://other.example.com", "https://api.example.com"]])
def test_aud_string_or_list_containing_the_audience_is_accepted(auth0_tenant, api_client, aud):
    assert api_client.verify_access_token(auth0_tenant.mint_token(audience=aud))["aud"] == aud


@pytest.mark.parametrize("aud", ["https://other.example.com", ["https://other.example.com"], [], "",
                                 "https://api.example.com/", {"https://api.example.com": True}, None])
def test_aud_without_the_audience_is_refused(auth0_tenant, api_client, aud):
    assert refusal(api_client, auth0_tenant.mint_token(claims={"aud": aud})) == "Audience is not accepted"


def test_a_token_without_aud_is_refused(auth0_tenant, api_client):
    assert refusal(api_client, auth0_tenant.mint_token(drop=["aud"])) == "Audience is not accepted"


def test_an_audience_list_setting_accepts_any_of_them(auth0_tenant, settings):
    from django_auth0_api.conf import get_api_client

    settings.AUTH0_API = auth0_tenant.settings(AUDIENCE=["https://a.example.com", "https://b.example.com"])
    token = auth0_tenant.mint_token(audience="https://b.example.com")
    assert get_api_client().verify_access_token(token)["aud"] == "https://b.example.com"


# -- exp -----------------------------------------------------------------------------------------------------

def test_exp_is_required(auth0_tenant, api_client):
    assert refusal(api_client, auth0_tenant.mint_token(drop=["exp"])) == "Expiration time is missing or malformed"


@pytest.mark.parametrize("exp", [str(int(time.time()) + 3600), True, None, [int(time.time()) + 3600],
                                 {"t": 1}, 10 ** 400])
def test_exp_must_be_a_finite_json_number(auth0_tenant, api_client, exp):
    # pyjwt would accept the string form: this library does not.
    assert refusal(api_client, auth0_tenant.mint_token(claims={"exp": exp})) == (
        "Expiration time is missing or malformed")


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity"])
def test_exp_nan_or_infinity_literal_is_refused(auth0_tenant, api_client, literal):
    payload = json.dumps(tenant_claims(auth0_tenant, exp=0)).encode().replace(b'"exp": 0', b'"exp": ' + literal)
    token = sign_rs256(header(auth0_tenant), payload, tenant_key(auth0_tenant))
    assert refusal(api_client, token) == "Access token is malformed"


def test_an_expired_token_is_refused(auth0_tenant, api_client):
    assert refusal(api_client, auth0_tenant.mint_token(expires_in=-1)) == "Token has expired"


def test_exp_as_a_float_in_the_future_is_accepted(auth0_tenant, api_client):
    exp = time.time() + 60.5
    assert api_client.verify_access_token(auth0_tenant.mint_token(claims={"exp": exp}))["exp"] == exp


def test_leeway_accepts_a_token_just_expired(auth0_tenant, settings):
    from django_auth0_api.conf import get_api_client

    settings.AUTH0_API = auth0_tenant.settings(LEEWAY=30)
    assert get_api_client().verify_access_token(auth0_tenant.mint_token(expires_in=-10))["sub"] == "auth0|user-1"


def test_leeway_does_not_accept_a_token_expired_longer_ago(auth0_tenant, settings):
    from django_auth0_api.conf import get_api_client

    settings.AUTH0_API = auth0_tenant.settings(LEEWAY=30)
    assert refusal(get_api_client(), auth0_tenant.mint_token(expires_in=-60)) == "Token has expired"


# -- nbf and iat ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, problem", [("nbf", "Token is not yet valid"), ("iat", "Token is issued in the future")])
def test_nbf_and_iat_in_the_future_are_refused(auth0_tenant, api_client, name, problem):
    assert refusal(api_client, auth0_tenant.mint_token(claims={name: int(time.time()) + 60})) == problem


@pytest.mark.parametrize("name", ["nbf", "iat"])
def test_nbf_and_iat_in_the_past_are_accepted(auth0_tenant, api_client, name):
    assert api_client.verify_access_token(auth0_tenant.mint_token(claims={name: int(time.time()) - 60}))["sub"]


@pytest.mark.parametrize("name", ["nbf", "iat"])
def test_nbf_and_iat_in_the_future_within_leeway_are_accepted(auth0_tenant, settings, name):
    from django_auth0_api.conf import get_api_client

    settings.AUTH0_API = auth0_tenant.settings(LEEWAY=30)
    token = auth0_tenant.mint_token(claims={name: int(time.time()) + 10})
    assert get_api_client().verify_access_token(token)["sub"] == "auth0|user-1"


@pytest.mark.parametrize("name", ["nbf", "iat"])
@pytest.mark.parametrize("value", ["0", False, True, None, [0], 10 ** 400, -(10 ** 400)])
def test_nbf_and_iat_must_be_numbers(auth0_tenant, api_client, name, value):
    assert refusal(api_client, auth0_tenant.mint_token(claims={name: value})) == f"Claim {name} is malformed"


def test_a_token_without_iat_is_refused(auth0_tenant, api_client):
    # RFC 9068 §2.2: iat is required, as upstream requires it.
    assert refusal(api_client, auth0_tenant.mint_token(drop=["iat"])) == "Issued-at time is missing"


# -- sub, required claims, scope, cnf ------------------------------------------------------------------------

@pytest.mark.parametrize("sub", [None, 5, ["auth0|user-1"], {"id": 1}, True, ""])
def test_sub_must_be_a_string(auth0_tenant, api_client, sub):
    assert refusal(api_client, auth0_tenant.mint_token(claims={"sub": sub})) == "Subject is missing or malformed"


def test_a_token_without_sub_is_refused(auth0_tenant, api_client):
    assert refusal(api_client, auth0_tenant.mint_token(drop=["sub"])) == "Subject is missing or malformed"


def test_required_claims_setting_refuses_a_token_without_them(auth0_tenant, settings):
    from django_auth0_api.conf import get_api_client

    settings.AUTH0_API = auth0_tenant.settings(REQUIRED_CLAIMS=["org_id", "azp"])
    assert refusal(get_api_client(), auth0_tenant.mint_token(claims={"azp": "x"})) == (
        "Required claims are missing: org_id")


def test_required_claims_setting_accepts_a_token_with_them(auth0_tenant, settings):
    from django_auth0_api.conf import get_api_client

    settings.AUTH0_API = auth0_tenant.settings(REQUIRED_CLAIMS=["org_id"])
    token = auth0_tenant.mint_token(claims={"org_id": "org_1"})
    assert get_api_client().verify_access_token(token)["org_id"] == "org_1"


def test_required_claims_argument_of_the_seed_api(auth0_tenant, api_client):
    token = auth0_tenant.mint_token()
    assert refusal(api_client, token, required_claims=["org_id"]) == "Required claims are missing: org_id"
    assert api_client.verify_access_token(token, required_claims=["jti"])["sub"] == "auth0|user-1"


@pytest.mark.parametrize("scope", [["read:messages"], 5, None])
def test_a_non_string_scope_is_refused(auth0_tenant, api_client, scope):
    assert refusal(api_client, auth0_tenant.mint_token(claims={"scope": scope})) == "Claim scope is malformed"


@pytest.mark.parametrize("cnf", ["thumb", {}, {"jkt": ""}, {"jkt": 5}, [], None, 0, False])
def test_a_malformed_cnf_is_refused(auth0_tenant, api_client, cnf):
    assert refusal(api_client, auth0_tenant.mint_token(claims={"cnf": cnf})) == "Claim cnf is malformed"


# -- act -----------------------------------------------------------------------------------------------------

def chain(depth):
    act = None
    for level in range(depth, 0, -1):
        act = {"sub": f"svc-{level}", **({"act": act} if act else {})}
    return act


def test_a_nested_act_is_accepted(auth0_tenant, api_client):
    claims = api_client.verify_access_token(auth0_tenant.mint_token(act=chain(10)))
    assert claims["act"]["sub"] == "svc-1"


@pytest.mark.parametrize("act", [
    "svc", ["svc"], 5, None, {}, {"sub": ""}, {"sub": 5}, {"client_id": "svc"}, {"sub": "   "},
    {"sub": "svc-1", "act": {"sub": " \t"}},
    {"sub": "svc-1", "act": {"sub": ""}},
    {"sub": "svc-1", "act": {"sub": "svc-2", "act": "svc-3"}},
    {"sub": "svc-1", "act": {"sub": "svc-2", "act": {"no_sub": True}}},
    {"sub": "svc-1", "act": None},
    chain(11),
])
def test_a_malformed_act_is_invalid_token(auth0_tenant, api_client, act):
    assert refusal(api_client, auth0_tenant.mint_token(claims={"act": act})) == "Claim act is malformed"


# -- hostile payloads ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("payload", [b"[1, 2, 3]", b'"text"', b"null", b"[" * 2500 + b"]" * 2500,
                                     b"\xc3\x28", b'{"iss": "x", "exp": NaN}'])
def test_a_payload_that_is_not_a_json_object_is_malformed(auth0_tenant, api_client, payload):
    token = sign_rs256(header(auth0_tenant), payload, tenant_key(auth0_tenant))
    assert refusal(api_client, token) == "Access token is malformed"
    assert network_calls(auth0_tenant) == 0


@pytest.mark.parametrize("token", ["é" * 40, "\x00\x01\x02.\x03.\x04", "a.b.c\u2028", "ey\ud800.a.b"])
def test_binary_and_non_ascii_tokens_are_malformed(auth0_tenant, api_client, token):
    assert refusal(api_client, token) == "Access token is malformed"
    assert network_calls(auth0_tenant) == 0


# -- DOMAINS -------------------------------------------------------------------------------------------------

@pytest.fixture
def second_tenant(auth0_tenant):
    return FakeTenant(domain="login.example.com").mock(auth0_tenant.responses)


def test_domains_list_accepts_each_listed_issuer(auth0_tenant, second_tenant, settings):
    from django_auth0_api.conf import get_api_client

    settings.AUTH0_API = auth0_tenant.settings(DOMAINS=[auth0_tenant.domain, second_tenant.domain])
    client = get_api_client()
    assert [client.verify_access_token(t.mint_token())["iss"] for t in (auth0_tenant, second_tenant)] == [
        auth0_tenant.issuer, second_tenant.issuer]


def test_domains_list_refuses_an_unlisted_issuer_before_any_network_call(auth0_tenant, second_tenant, settings):
    from django_auth0_api.conf import get_api_client

    settings.AUTH0_API = auth0_tenant.settings(DOMAINS=[auth0_tenant.domain])
    assert refusal(get_api_client(), second_tenant.mint_token()) == "Issuer is not accepted"
    assert network_calls(auth0_tenant) == 0


def test_keys_of_one_issuer_never_verify_another_issuers_token(auth0_tenant, second_tenant, settings):
    from django_auth0_api.conf import get_api_client

    settings.AUTH0_API = auth0_tenant.settings(DOMAINS=[auth0_tenant.domain, second_tenant.domain])
    second_tenant.rotate(keep_old=False)  # second tenant now signs with key-1, which only it publishes
    token = auth0_tenant.mint_token(kid="key-1", key=second_tenant.keys["key-1"])
    assert refusal(get_api_client(), token) == "Signing key not found"


RESOLVER_CALLS = []


def resolver(context):
    RESOLVER_CALLS.append(context)
    return ["tenant.example.auth0.com"]


@pytest.fixture
def resolver_calls():
    RESOLVER_CALLS.clear()
    yield RESOLVER_CALLS
    RESOLVER_CALLS.clear()


@pytest.mark.parametrize("domains", [resolver, f"{__name__}.resolver"], ids=["callable", "dotted-path"])
def test_domains_resolver_accepts_what_it_lists(auth0_tenant, settings, resolver_calls, domains):
    from django_auth0_api.conf import get_api_client

    settings.AUTH0_API = auth0_tenant.settings(DOMAINS=domains)
    assert get_api_client().verify_access_token(auth0_tenant.mint_token())["iss"] == auth0_tenant.issuer
    assert resolver_calls[0]["unverified_iss"] == auth0_tenant.issuer


def test_domains_resolver_refuses_before_any_network_call(auth0_tenant, second_tenant, settings, resolver_calls):
    from django_auth0_api.conf import get_api_client

    settings.AUTH0_API = auth0_tenant.settings(DOMAINS=resolver)
    assert refusal(get_api_client(), second_tenant.mint_token()) == "Issuer is not accepted"
    assert (network_calls(auth0_tenant), resolver_calls[0]["unverified_iss"]) == (0, second_tenant.issuer)


def test_domains_resolver_context_of_a_django_request(auth0_tenant, settings, resolver_calls, client):
    settings.AUTH0_API = auth0_tenant.settings(DOMAINS=f"{__name__}.resolver")
    token = auth0_tenant.mint_token()
    assert client.get("/plain/me?x=1", **bearer(token)).status_code == 200
    context = resolver_calls[0]
    assert (context["request_url"], context["request_headers"]["Authorization"], context["unverified_iss"]) == (
        "http://testserver/plain/me?x=1", f"Bearer {token}", auth0_tenant.issuer)


def test_domains_resolver_context_of_the_seed_verify_request(auth0_tenant, settings, resolver_calls):
    from django_auth0_api.conf import get_api_client

    settings.AUTH0_API = auth0_tenant.settings(DOMAINS=resolver)
    headers = {"authorization": f"Bearer {auth0_tenant.mint_token()}"}
    get_api_client().verify_request(headers, "GET", "https://api.example.com/data")
    context = resolver_calls[0]
    assert (context["request_url"], context["request_headers"], context["unverified_iss"]) == (
        "https://api.example.com/data", headers, auth0_tenant.issuer)


def broken_resolver(context):
    raise KeyError(f"no tenant for {context['request_headers']}")


def test_a_failing_domains_resolver_is_a_500_logged_once_without_the_request(auth0_tenant, settings, client,
                                                                             caplog):
    from django_auth0_api import request_auth

    request_auth._logged.clear()
    settings.AUTH0_API = auth0_tenant.settings(DOMAINS=broken_resolver)
    token = auth0_tenant.mint_token()
    answers = [client.get("/plain/me", **bearer(token)) for _ in range(2)]
    assert [(r.status_code, r.json(), "WWW-Authenticate" in r) for r in answers] == [
        (500, {"error": "server_error", "error_description": "The server's authentication is misconfigured"},
         False)] * 2
    assert [r.getMessage() for r in caplog.records if r.name == "django_auth0_api"] == [
        "auth0: configuration error DomainsResolverError The DOMAINS resolver raised KeyError; "
        "answering 500 until it is fixed"]


@pytest.mark.parametrize("returned, description", [
    (5, "The DOMAINS resolver must return a list of domains"),
    (None, "The DOMAINS resolver must return a list of domains"),
    ("tenant.example.auth0.com", "The DOMAINS resolver must return a list of domains"),
    ([None], "The DOMAINS resolver must return a list of non-empty strings"),
    (["  "], "The DOMAINS resolver must return a list of non-empty strings"),
    (["ftp://tenant.example.auth0.com"],
     "The DOMAINS resolver returned a domain that is not a host name or an https URL"),
])
def test_a_domains_resolver_returning_garbage_is_a_domains_resolver_error(auth0_tenant, settings, returned,
                                                                          description):
    from django_auth0_api.conf import get_api_client

    settings.AUTH0_API = auth0_tenant.settings(DOMAINS=lambda context: returned)
    with pytest.raises(DomainsResolverError) as caught:
        get_api_client().verify_access_token(auth0_tenant.mint_token())
    error = caught.value
    assert (error.get_status_code(), error.get_error_code(), str(error)) == (
        500, "domains_resolver_error", description)
    assert network_calls(auth0_tenant) == 0


def test_a_domains_resolver_error_under_drf_is_a_500(auth0_tenant, settings, client, no_middleware):
    settings.AUTH0_API = auth0_tenant.settings(DOMAINS=broken_resolver)
    response = client.get("/api/me", **bearer(auth0_tenant.mint_token()))
    assert (response.status_code, response.json(), "WWW-Authenticate" in response) == (
        500, {"detail": "The server's authentication is misconfigured", "error": "server_error"}, False)


# -- the verified-token cache --------------------------------------------------------------------------------

def test_a_second_verification_of_a_token_makes_no_fetch_and_no_signature_work(auth0_tenant, settings):
    from django_auth0_api.conf import get_api_client

    # CACHE_TTL 0: every full verification has to go back to the JWKS.
    settings.AUTH0_API = auth0_tenant.settings(CACHE_TTL=0)
    client, token = get_api_client(), auth0_tenant.mint_token()
    client.verify_access_token(token)
    fetched = network_calls(auth0_tenant)
    auth0_tenant.rotate(keep_old=False)  # the JWKS no longer has the token's key
    assert client.verify_access_token(token)["sub"] == "auth0|user-1"
    assert network_calls(auth0_tenant) == fetched


def test_a_key_rotation_clears_the_verified_token_cache(auth0_tenant, settings):
    from django_auth0_api.conf import get_api_client

    settings.AUTH0_API = auth0_tenant.settings(CACHE_TTL=0)
    client, old = get_api_client(), auth0_tenant.mint_token()
    client.verify_access_token(old)
    auth0_tenant.rotate(keep_old=False)
    assert client.verify_access_token(auth0_tenant.mint_token())["sub"] == "auth0|user-1"  # new key: refetched
    assert refusal(client, old) == "Signing key not found"


def test_exp_is_checked_again_on_each_cache_hit(auth0_tenant, api_client):
    exp = time.time() + 1.0
    token = auth0_tenant.mint_token(claims={"exp": exp})
    assert api_client.verify_access_token(token)["sub"] == "auth0|user-1"
    time.sleep(max(0.0, exp - time.time()) + 0.05)
    assert refusal(api_client, token) == "Token has expired"


def test_a_cache_hit_is_held_to_exp_with_the_leeway(auth0_tenant, settings):
    from django_auth0_api.conf import get_api_client

    settings.AUTH0_API = auth0_tenant.settings(LEEWAY=0.5)
    exp = time.time() + 0.3
    client, token = get_api_client(), auth0_tenant.mint_token(claims={"exp": exp})
    client.verify_access_token(token)
    time.sleep(max(0.0, exp + 0.1 - time.time()))  # past exp, within the leeway: still served
    served = client.verify_access_token(token)["sub"]
    time.sleep(max(0.0, exp + 0.55 - time.time()))  # past both
    assert (served, refusal(client, token)) == ("auth0|user-1", "Token has expired")


def test_the_issuer_is_checked_again_on_each_cache_hit(auth0_tenant, settings):
    from django_auth0_api.conf import get_api_client

    allowed = {"domains": [auth0_tenant.domain]}
    settings.AUTH0_API = auth0_tenant.settings(DOMAINS=lambda context: allowed["domains"])
    client, token = get_api_client(), auth0_tenant.mint_token()
    client.verify_access_token(token)
    allowed["domains"] = []  # the resolver stops listing the tenant
    assert refusal(client, token) == "Issuer is not accepted"


def test_changing_returned_nested_claims_does_not_poison_the_cache(auth0_tenant, api_client):
    token = auth0_tenant.mint_token(claims={"permissions": ["read:x"]}, act={"sub": "svc"})
    claims = api_client.verify_access_token(token)
    claims["permissions"].append("admin:all")
    claims["act"]["sub"] = "attacker"
    again = api_client.verify_access_token(token)
    assert (again["permissions"], again["act"]) == (["read:x"], {"sub": "svc"})


def test_an_empty_domains_list_verifies_against_domain(auth0_tenant, settings):
    from django_auth0_api.conf import get_api_client

    settings.AUTH0_API = auth0_tenant.settings(DOMAINS=[])
    assert get_api_client().verify_access_token(auth0_tenant.mint_token())["iss"] == auth0_tenant.issuer


# -- REQUIRED_CLAIM_VALUES and ORGANIZATION (enforced while verifying: 401 invalid_token) ---------------------------

def client_with(settings, tenant, **overrides):
    from django_auth0_api.conf import get_api_client

    settings.AUTH0_API = tenant.settings(**overrides)
    return get_api_client()


@pytest.mark.parametrize("claims", [{"tier": "gold"}, {"tier": "platinum"}, {"tier": ["bronze", "gold"]},
                                    {"tier": "gold", "level": 3}])
def test_required_claim_values_pass(auth0_tenant, settings, claims):
    client = client_with(settings, auth0_tenant, REQUIRED_CLAIM_VALUES={"tier": ["gold", "platinum"]})
    assert client.verify_access_token(auth0_tenant.mint_token(claims=claims))["sub"] == "auth0|user-1"


@pytest.mark.parametrize("claims", [{}, {"tier": "bronze"}, {"tier": ["bronze"]}, {"tier": {"gold": True}},
                                    {"tier": "GOLD"}])
def test_required_claim_values_refuse_with_the_claim_name_only(auth0_tenant, settings, claims):
    client = client_with(settings, auth0_tenant, REQUIRED_CLAIM_VALUES={"tier": ["gold", "platinum"]})
    assert refusal(client, auth0_tenant.mint_token(claims=claims)) == "Claim tier has a value this API does not accept"


@pytest.mark.parametrize("value, wanted, passed", [(True, True, True), (1, True, False), (3, 3, True),
                                                   ("3", 3, False), (False, False, True), (0, False, False)])
def test_required_claim_values_compare_json_types(auth0_tenant, settings, value, wanted, passed):
    client = client_with(settings, auth0_tenant, REQUIRED_CLAIM_VALUES={"flag": wanted})
    token = auth0_tenant.mint_token(claims={"flag": value})
    if passed:
        assert client.verify_access_token(token)["flag"] == value
    else:
        assert refusal(client, token) == "Claim flag has a value this API does not accept"


@pytest.mark.parametrize("organization, claims", [("org_abc", {"org_id": "org_abc"}),
                                                  ("Acme", {"org_id": "org_x", "org_name": "acme"}),
                                                  (["org_zzz", "acme"], {"org_name": "acme"})])
def test_organization_passes(auth0_tenant, settings, organization, claims):
    client = client_with(settings, auth0_tenant, ORGANIZATION=organization)
    assert client.verify_access_token(auth0_tenant.mint_token(claims=claims))["sub"] == "auth0|user-1"


@pytest.mark.parametrize("organization, claims", [("org_abc", {}), ("org_abc", {"org_id": "org_ABC"}),
                                                  ("org_abc", {"org_name": "org_abc"}), ("acme", {"org_id": "acme"}),
                                                  ("acme", {"org_name": "acme-2"})])
def test_another_or_no_organization_is_invalid_token(auth0_tenant, settings, organization, claims):
    client = client_with(settings, auth0_tenant, ORGANIZATION=organization)
    assert refusal(client, auth0_tenant.mint_token(claims=claims)) == (
        "Token is not for an organization this API accepts")


def organization_of_host(request):
    """ORGANIZATION resolver for the tests: the first label of the host."""
    return request.get_host().split(".")[0] if request is not None else None


def test_organization_from_the_request_through_the_middleware(auth0_tenant, settings, client):
    settings.AUTH0_API = auth0_tenant.settings(ORGANIZATION=f"{__name__}.organization_of_host")
    settings.ALLOWED_HOSTS = ["acme.example.com", "beta.example.com"]
    token = auth0_tenant.mint_token(org_name="acme")
    statuses = [client.get("/api/me", HTTP_HOST=host, **bearer(token)).status_code
                for host in ("acme.example.com", "beta.example.com", "acme.example.com")]
    assert statuses == [200, 401, 200]  # the verified-token cache does not skip the per-request check


def test_the_refusal_through_the_middleware_is_401_invalid_token(auth0_tenant, settings, client):
    settings.AUTH0_API = auth0_tenant.settings(ORGANIZATION="org_abc")
    response = client.get("/api/me", **bearer(auth0_tenant.mint_token(org_id="org_def")))
    assert (response.status_code, response.json(), response["WWW-Authenticate"]) == (
        401, {"error": "invalid_token", "error_description": "Token is not for an organization this API accepts"},
        'Bearer realm="api", error="invalid_token", '
        'error_description="Token is not for an organization this API accepts", DPoP algs="ES256"')


def test_a_resolver_outside_a_request_gets_none(auth0_tenant, settings):
    client = client_with(settings, auth0_tenant, ORGANIZATION=f"{__name__}.organization_of_host")
    assert refusal(client, auth0_tenant.mint_token(org_name="acme")) == (
        "Token is not for an organization this API accepts")


def failing_resolver(request):
    raise RuntimeError("secret detail")


def test_a_failing_resolver_refuses_and_logs_only_its_type(auth0_tenant, settings, caplog):
    client = client_with(settings, auth0_tenant, ORGANIZATION=failing_resolver)
    assert (refusal(client, auth0_tenant.mint_token(org_name="acme")), caplog.messages) == (
        "Token is not for an organization this API accepts",
        ["auth0: the ORGANIZATION resolver raised RuntimeError; token refused"])
