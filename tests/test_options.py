"""django_auth0_api.options: ApiClientOptions, validated once when built."""

import dataclasses

import pytest

from django_auth0_api import ApiClientOptions
from django_auth0_api.errors import BaseAuthError, ConfigurationError, MissingRequiredArgumentError
from django_auth0_api.options import SETTING_NAMES, issuer_for

BASE = {"domain": "tenant.example.auth0.com", "audience": "https://api.example.com"}


def build(**overrides):
    return ApiClientOptions(**{**BASE, **overrides})


def test_defaults():
    options = build()
    assert (options.issuer, options.audience, options.algorithms, options.dpop_algorithms, options.leeway,
            options.realm, options.dpop_mode, options.cache_alias, options.cache_ttl, options.timeout) == (
        "https://tenant.example.auth0.com/", ("https://api.example.com",), ("RS256",), ("ES256",), 0,
        "api", "allowed", "default", 600, 5)


def test_dpop_modes():
    assert [build(**kw).dpop_mode for kw in ({}, {"dpop_required": True}, {"dpop_enabled": False})] == [
        "allowed", "required", "off"]


def test_options_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        build().audience = "other"


def test_audience_list_is_kept_as_a_tuple():
    assert build(audience=["https://a", "https://b"]).audience == ("https://a", "https://b")


@pytest.mark.parametrize("audience", [None, "", [], ()])
def test_an_empty_audience_is_a_missing_required_argument(audience):
    with pytest.raises(MissingRequiredArgumentError) as caught:
        build(audience=audience)
    assert (caught.value.argument, caught.value.get_status_code()) == ("audience", 400)


def test_the_audience_is_checked_before_the_domain():
    with pytest.raises(MissingRequiredArgumentError):
        ApiClientOptions(domain="", audience="")


@pytest.mark.parametrize("overrides, message", [
    ({"domain": None}, "domain (or domains) is required"),
    ({"domain": ""}, "domain (or domains) is required"),
    ({"domain": None, "domains": ["t.example.com"], "client_id": "c"},
     "The 'domain' parameter is required when 'client_id' is configured (DOMAIN with CLIENT_ID)"),
    ({"audience": ["https://a", ""]}, "audience must be a string or a list of non-empty strings"),
    ({"audience": ["https://a", 5]}, "audience must be a string or a list of non-empty strings"),
    ({"audience": 5}, "audience must be a string or a list of strings"),
])
def test_domain_and_audience_are_required(overrides, message):
    with pytest.raises(ConfigurationError) as caught:
        build(**overrides)
    assert str(caught.value) == message


@pytest.mark.parametrize("algorithms", [["HS256"], ["RS256", "HS512"], ["none"], ["RS256", "None"], [], "HS256"])
def test_symmetric_and_none_algorithms_are_refused(algorithms):
    with pytest.raises(ConfigurationError):
        build(algorithms=algorithms)


def test_dpop_algorithms_are_asymmetric_only():
    with pytest.raises(ConfigurationError):
        build(dpop_algorithms=["HS256"])


def test_asymmetric_algorithms_are_kept():
    assert build(algorithms=["RS256", "PS256", "ES256"]).algorithms == ("RS256", "PS256", "ES256")


def test_http_domain_needs_allow_insecure_http():
    with pytest.raises(ConfigurationError) as caught:
        build(domain="http://127.0.0.1:8000")
    assert str(caught.value) == "http:// issuers need ALLOW_INSECURE_HTTP and a loopback host"


@pytest.mark.parametrize("domain", ["http://tenant.example.com", "http://10.0.0.1:8000"])
def test_http_domain_is_refused_off_loopback_even_with_allow_insecure_http(domain):
    with pytest.raises(ConfigurationError):
        build(domain=domain, allow_insecure_http=True)


@pytest.mark.parametrize("domain", ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"])
def test_http_loopback_domain_with_allow_insecure_http(domain):
    assert build(domain=domain, allow_insecure_http=True).issuer == domain + "/"


@pytest.mark.parametrize("name", ["leeway", "dpop_iat_leeway", "dpop_iat_offset", "cache_ttl",
                                  "jwks_refetch_cooldown", "timeout"])
@pytest.mark.parametrize("value", [-1, "5", True, float("nan"), float("inf"), None])
def test_numbers_must_be_finite_and_non_negative(name, value):
    with pytest.raises(ConfigurationError):
        build(**{name: value})


def test_timeout_must_be_positive():
    with pytest.raises(ConfigurationError):
        build(timeout=0)


def test_client_auth_method_is_one_of_three():
    with pytest.raises(ConfigurationError):
        build(client_auth_method="client_secret_jwt")


@pytest.mark.parametrize("realm", ["", None, 5])
def test_realm_is_a_non_empty_string(realm):
    with pytest.raises(ConfigurationError):
        build(realm=realm)


def test_required_claims_may_be_empty_but_not_hold_non_strings():
    assert build(required_claims=[]).required_claims == ()
    with pytest.raises(ConfigurationError):
        build(required_claims=["org_id", 1])


def test_domains_list_becomes_issuers():
    options = ApiClientOptions(domains=["a.example.com", "https://B.example.com/"], audience="x")
    assert (options.domains, options.issuer) == (("https://a.example.com/", "https://b.example.com/"), None)


def test_domains_may_be_a_callable_or_a_dotted_path():
    resolver = lambda context: []  # noqa: E731
    assert build(domains=resolver).domains is resolver
    assert build(domains="tests.resolvers.allowed").domains == "tests.resolvers.allowed"


def test_domains_of_another_type_are_refused():
    with pytest.raises(ConfigurationError):
        build(domains=5)


@pytest.mark.parametrize("domain, issuer", [
    ("tenant.auth0.com", "https://tenant.auth0.com/"),
    ("Tenant.Auth0.COM", "https://tenant.auth0.com/"),
    ("https://tenant.auth0.com", "https://tenant.auth0.com/"),
    ("https://tenant.auth0.com/", "https://tenant.auth0.com/"),
    (" tenant.auth0.com ", "https://tenant.auth0.com/"),
    ("login.example.com:8443", "https://login.example.com:8443/"),
])
def test_issuer_for(domain, issuer):
    assert issuer_for(domain) == issuer


@pytest.mark.parametrize("domain", ["", "   ", None, 5, "ftp://tenant.auth0.com", "https://", "https://t.com/?a=1",
                                    "https://t.com/#f"])
def test_issuer_for_refuses_non_domains(domain):
    with pytest.raises(ConfigurationError):
        issuer_for(domain)


def test_from_settings_maps_keys_and_http_timeout():
    options = ApiClientOptions.from_settings({"DOMAIN": "t.example.com", "AUDIENCE": "a", "HTTP_TIMEOUT": 2,
                                              "DPOP_REQUIRED": True, "UNKNOWN_KEY": 1})
    assert (options.timeout, options.dpop_mode) == (2, "required")


def test_setting_names_are_the_documented_keys():
    assert {"DOMAIN", "DOMAINS", "AUDIENCE", "ALGORITHMS", "LEEWAY", "REQUIRED_CLAIMS", "REALM", "DPOP_ENABLED",
            "DPOP_REQUIRED", "DPOP_ALGORITHMS", "DPOP_IAT_LEEWAY", "DPOP_IAT_OFFSET", "DPOP_REPLAY_CHECK",
            "DPOP_NONCE", "CLIENT_ID", "CLIENT_SECRET", "CLIENT_AUTH_METHOD", "CACHE_ALIAS", "CACHE_TTL",
            "JWKS_REFETCH_COOLDOWN", "HTTP_TIMEOUT", "ALLOW_INSECURE_HTTP", "USER_RESOLVER"} <= SETTING_NAMES
    assert "TIMEOUT" not in SETTING_NAMES


def test_repr_hides_the_client_secret():
    assert "s3cret" not in repr(build(client_id="id", client_secret="s3cret"))


def test_dpop_required_with_dpop_disabled_is_contradictory():
    with pytest.raises(ConfigurationError) as caught:
        build(dpop_required=True, dpop_enabled=False)
    assert str(caught.value) == "dpop_required needs dpop_enabled"


@pytest.mark.parametrize("domains", [[], (), ""])
def test_an_empty_domains_falls_back_to_domain(domains):
    assert build(domains=domains).domains is None


def test_an_empty_domains_without_domain_is_refused():
    with pytest.raises(ConfigurationError):
        ApiClientOptions(domains=[], audience="https://api.example.com")


# -- upstream's option names ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, closest", [
    ("cache_ttl_second", "cache_ttl_seconds"), ("dpop_require", "dpop_required"), ("audiance", "audience"),
    ("timeout_seconds", "timeout"),
])
def test_an_unknown_option_is_a_type_error_naming_the_closest_known_one(name, closest):
    with pytest.raises(TypeError) as caught:
        build(**{name: 1})
    assert str(caught.value) == f"ApiClientOptions has no option {name!r}; did you mean {closest!r}?"


def test_an_unknown_option_with_nothing_close_is_a_plain_type_error():
    with pytest.raises(TypeError) as caught:
        build(zzzzzz=1)
    assert str(caught.value) == "ApiClientOptions has no option 'zzzzzz'"


@pytest.mark.parametrize("ttl", [0, 60, 3600.5])
def test_cache_ttl_seconds_is_cache_ttl(ttl):
    assert build(cache_ttl_seconds=ttl).cache_ttl == ttl


@pytest.mark.parametrize("ttl", [-1, "600", True, float("nan")])
def test_cache_ttl_seconds_must_be_a_non_negative_number(ttl):
    with pytest.raises(ConfigurationError) as caught:
        build(cache_ttl_seconds=ttl)
    assert str(caught.value) == "cache_ttl_seconds must be a non-negative number"


@pytest.mark.parametrize("entries", [1, 0, -5, 2.5, True, "100"])
def test_cache_max_entries_must_be_an_integer_greater_than_one(entries):
    with pytest.raises(ConfigurationError) as caught:
        build(cache_max_entries=entries)
    assert str(caught.value) == "cache_max_entries must be an integer greater than 1"


def test_custom_fetch_must_be_callable():
    with pytest.raises(ConfigurationError):
        build(custom_fetch="https://example.com")


def test_upstreams_aliases_are_not_settings_but_cache_max_entries_is():
    assert {"CACHE_TTL_SECONDS", "CUSTOM_FETCH", "CACHE_MAX_ENTRIES"} & SETTING_NAMES == {"CACHE_MAX_ENTRIES"}


def test_configuration_errors_are_base_auth_errors_with_upstreams_status():
    with pytest.raises(BaseAuthError) as caught:
        build(domain=None)
    assert (caught.value.get_status_code(), caught.value.get_error_code()) == (500, "invalid_configuration")


@pytest.mark.parametrize("domain", ["user:pass@tenant.example.auth0.com", "https://user@tenant.example.auth0.com"])
def test_a_domain_with_credentials_is_refused(domain):
    with pytest.raises(ConfigurationError) as caught:
        issuer_for(domain)
    assert str(caught.value) == "a domain must be a host name or an https:// URL"


@pytest.mark.parametrize("keys", [["a.pem"], "a.pem", {"": "a.pem"}, {5: "a.pem"}])
def test_decryption_keys_must_map_key_ids(keys):
    with pytest.raises(ConfigurationError, match="decryption_keys must map key ids to PEM text or file paths"):
        ApiClientOptions(domain="tenant.example.auth0.com", audience="https://api.example.com", decryption_keys=keys)


def test_no_decryption_keys_is_an_empty_mapping():
    options = ApiClientOptions(domain="tenant.example.auth0.com", audience="https://api.example.com",
                               decryption_keys=None)
    assert options.decryption_keys == {}


def _resolver(request):
    return "acme"


@pytest.mark.parametrize("organization, stored, resolver", [
    (None, None, None), ("org_abc", ("org_abc",), None), (["org_abc", "acme"], ("org_abc", "acme"), None),
    ("app.orgs.resolve", "app.orgs.resolve", "app.orgs.resolve"), (_resolver, _resolver, _resolver),
])
def test_organization_is_a_list_or_a_resolver(organization, stored, resolver):
    built = ApiClientOptions(domain="t.auth0.com", audience="a", organization=organization)
    assert (built.organization, built.organization_resolver) == (stored, resolver)


def test_required_claim_values_become_rules():
    built = ApiClientOptions(domain="t.auth0.com", audience="a",
                             required_claim_values={"tier": ["gold", 1], "ok": True})
    assert built.required_claim_values == (("tier", ("gold", 1)), ("ok", (True,)))


@pytest.mark.parametrize("values", [["tier"], {"tier": []}, {"tier": None}, {"tier": [["gold"]]}, {5: "x"}])
def test_required_claim_values_that_make_no_rule_are_refused(values):
    with pytest.raises(ConfigurationError):
        ApiClientOptions(domain="t.auth0.com", audience="a", required_claim_values=values)


def test_replace_validates_the_normalized_options_again():
    # `dataclasses.replace` runs the checks on values already normalized (the
    # exchange command builds its cache-less client this way).
    import dataclasses

    options = ApiClientOptions(domain="tenant.example.auth0.com", audience=["https://api.example.com"],
                               required_claim_values={"tier": ["gold", "silver"], "verified": True},
                               organization=["org_abc", "Acme"])
    copy = dataclasses.replace(options, exchange_cache=False)
    assert (copy.required_claim_values, copy.organization, copy.exchange_cache) == (
        options.required_claim_values, options.organization, False)
