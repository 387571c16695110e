"""django_auth0_api.checks: system checks for settings.AUTH0_API (ids django_auth0_api.E0xx/W0xx)."""

import pytest
from django.core.checks import run_checks

from django_auth0_api.checks import check_deploy, check_settings

GOOD = {"DOMAIN": "tenant.example.auth0.com", "AUDIENCE": "https://api.example.com"}
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def ids(messages):
    return [m.id for m in messages]


def resolver(context):
    return []


@pytest.fixture
def conf(settings):
    settings.AUTH0_API = dict(GOOD)
    settings.CACHES = LOCMEM
    settings.DEBUG = True
    return settings


def test_a_good_configuration_passes(conf):
    assert check_settings() == []


def test_the_test_project_passes_in_development(settings):
    settings.DEBUG = True  # pytest-django runs with DEBUG off, which W002 is about
    assert check_settings() == []


def test_the_checks_are_registered(settings):
    del settings.AUTH0_API
    assert "django_auth0_api.E001" in ids(run_checks())


@pytest.mark.parametrize("value", [None, "tenant.example.auth0.com", ["DOMAIN"], 5])
def test_e001_auth0_api_is_not_a_dict(settings, value):
    settings.AUTH0_API = value
    assert ids(check_settings()) == ["django_auth0_api.E001"]


def test_e001_auth0_api_is_missing(settings):
    del settings.AUTH0_API
    assert ids(check_settings()) == ["django_auth0_api.E001"]


def test_w001_unknown_key_with_a_did_you_mean_hint(conf):
    conf.AUTH0_API = dict(GOOD, AUDIANCE="x")
    [message] = check_settings()
    assert (message.id, message.msg, message.hint) == (
        "django_auth0_api.W001", "AUTH0_API has an unknown key 'AUDIANCE'.", "Did you mean AUDIENCE?")


def test_w001_unknown_key_without_a_close_match(conf):
    conf.AUTH0_API = dict(GOOD, XYZZY=1)
    [message] = check_settings()
    assert (message.id, message.hint) == ("django_auth0_api.W001",
                                          "Remove it; see the settings reference (docs/settings.md).")


def test_w001_timeout_is_http_timeout(conf):
    conf.AUTH0_API = dict(GOOD, TIMEOUT=5)
    [message] = check_settings()
    assert (message.id, message.hint) == ("django_auth0_api.W001", "Did you mean HTTP_TIMEOUT?")


@pytest.mark.parametrize("key, value", [("LEEWAY", "5"), ("LEEWAY", True), ("DPOP_ENABLED", 1), ("AUDIENCE", 5),
                                        ("AUDIENCE", None), ("ALGORITHMS", 256), ("HTTP_TIMEOUT", "5"),
                                        ("DOMAINS", 5), ("USER_RESOLVER", 5), ("REALM", ["api"])])
def test_e002_wrong_type(conf, key, value):
    conf.AUTH0_API = dict(GOOD, **{key: value})
    [message] = check_settings()
    assert (message.id, message.msg) == ("django_auth0_api.E002", f"AUTH0_API[{key!r}] has the wrong type.")


@pytest.mark.parametrize("overrides", [{"ALGORITHMS": ["HS256"]}, {"ALGORITHMS": ["none"]}, {"AUDIENCE": ""},
                                       {"DOMAIN": "http://tenant.example.com"}, {"LEEWAY": -1},
                                       {"CLIENT_AUTH_METHOD": "magic"}, {"DOMAIN": None}])
def test_e003_invalid_configuration(conf, overrides):
    conf.AUTH0_API = dict(GOOD, **overrides)
    [message] = check_settings()
    assert (message.id, message.msg.startswith("AUTH0_API is invalid: ")) == ("django_auth0_api.E003", True)


def test_e004_unknown_cache_alias(conf):
    conf.AUTH0_API = dict(GOOD, CACHE_ALIAS="shared")
    assert ids(check_settings()) == ["django_auth0_api.E004"]


def test_e005_dummy_cache_with_replay_check(conf):
    conf.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert ids(check_settings()) == ["django_auth0_api.E005"]


@pytest.mark.parametrize("overrides", [{"DPOP_REPLAY_CHECK": False}, {"DPOP_ENABLED": False}])
def test_dummy_cache_without_replay_check_is_fine(conf, overrides):
    conf.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    conf.AUTH0_API = dict(GOOD, **overrides)
    assert check_settings() == []


def test_w002_locmem_cache_with_debug_off(conf):
    conf.DEBUG = False
    assert ids(check_settings()) == ["django_auth0_api.W002"]


def test_w003_nonce_without_anything_sending_it(conf):
    conf.AUTH0_API = dict(GOOD, DPOP_NONCE=True)
    conf.MIDDLEWARE = []
    conf.REST_FRAMEWORK = {}
    assert ids(check_settings()) == ["django_auth0_api.W003"]


@pytest.mark.parametrize("middleware, handler", [
    (["django_auth0_api.middleware.Auth0Middleware"], None),
    ([], "django_auth0_api.drf.exception_handler"),
])
def test_nonce_with_the_middleware_or_the_handler_is_fine(conf, middleware, handler):
    conf.AUTH0_API = dict(GOOD, DPOP_NONCE=True)
    conf.MIDDLEWARE = middleware
    conf.REST_FRAMEWORK = {"EXCEPTION_HANDLER": handler} if handler else {}
    assert check_settings() == []


@pytest.mark.parametrize("key", ["USER_RESOLVER", "DOMAINS"])
@pytest.mark.parametrize("path", ["no.such.module.function", "nodots", f"{__name__}.no_such_function"])
def test_e006_unimportable_dotted_path(conf, key, path):
    conf.AUTH0_API = dict(GOOD, **{key: path})
    [message] = check_settings()
    assert (message.id, message.msg) == ("django_auth0_api.E006", f"AUTH0_API[{key!r}] cannot be imported.")


@pytest.mark.parametrize("key", ["USER_RESOLVER", "DOMAINS"])
def test_an_importable_dotted_path_or_a_callable_is_fine(conf, key):
    conf.AUTH0_API = dict(GOOD, **{key: f"{__name__}.resolver"})
    assert check_settings() == []
    conf.AUTH0_API = dict(GOOD, **{key: resolver})
    assert check_settings() == []


def test_w004_allow_insecure_http_at_deploy(conf):
    conf.AUTH0_API = dict(GOOD, ALLOW_INSECURE_HTTP=True)
    assert ids(check_deploy()) == ["django_auth0_api.W004"]


def test_deploy_check_is_quiet_without_insecure_http(conf):
    assert check_deploy() == []


@pytest.mark.parametrize("value", [None, "tenant", ["ALLOW_INSECURE_HTTP"]])
def test_deploy_check_leaves_a_non_dict_to_e001(settings, value):
    settings.AUTH0_API = value
    assert check_deploy() == []


def test_checks_never_build_the_client(conf):
    from django_auth0_api import conf as conf_module

    conf_module.reset()
    check_settings()
    assert conf_module._state == {}


def test_e003_dpop_required_with_dpop_disabled(conf):
    conf.AUTH0_API = dict(GOOD, DPOP_REQUIRED=True, DPOP_ENABLED=False)
    [message] = check_settings()
    assert (message.id, message.msg) == (
        "django_auth0_api.E003", "AUTH0_API is invalid: DPOP_REQUIRED needs DPOP_ENABLED")


def test_a_key_that_is_not_a_string_is_reported_as_unknown(settings):
    settings.AUTH0_API = {"DOMAIN": "tenant.example.auth0.com", "AUDIENCE": "https://api.example.com", 7: "x"}
    assert [(m.id, m.msg) for m in check_settings() if m.id.endswith("W001")] == [
        ("django_auth0_api.W001", "AUTH0_API has an unknown key 7.")]


def test_an_exchange_client_without_a_secret_is_an_error(settings):
    settings.AUTH0_API = {"DOMAIN": "tenant.example.auth0.com", "AUDIENCE": "https://api.example.com",
                          "CLIENT_ID": "my-client"}
    assert [(m.id, m.msg) for m in check_settings() if m.id.endswith("E007")] == [
        ("django_auth0_api.E007", "AUTH0_API cannot authenticate at the token endpoint: Client credentials are "
                                  "required for token exchange: CLIENT_AUTH_METHOD client_secret_basic needs "
                                  "client_id and client_secret (CLIENT_SECRET), or use private_key_jwt with "
                                  "CLIENT_ASSERTION_KEY")]


def test_private_key_jwt_without_a_key_is_an_error(settings):
    settings.AUTH0_API = {"DOMAIN": "tenant.example.auth0.com", "AUDIENCE": "https://api.example.com",
                          "CLIENT_ID": "my-client", "CLIENT_AUTH_METHOD": "private_key_jwt"}
    assert [m.msg for m in check_settings() if m.id.endswith("E007")] == [
        "AUTH0_API cannot authenticate at the token endpoint: CLIENT_AUTH_METHOD private_key_jwt needs "
        "CLIENT_ASSERTION_KEY"]


def test_a_verify_only_api_needs_no_exchange_client(settings):
    settings.AUTH0_API = {"DOMAIN": "tenant.example.auth0.com", "AUDIENCE": "https://api.example.com"}
    assert [m.id for m in check_settings() if m.id.endswith("E007")] == []


REDIS = "django.core.cache.backends.redis.RedisCache"
PYMEMCACHE = "django.core.cache.backends.memcached.PyMemcacheCache"


@pytest.mark.parametrize("backend, options, missing", [
    (REDIS, {}, "socket_connect_timeout or socket_timeout"),
    (REDIS, {"socket_timeout": 0.5}, "socket_connect_timeout"),
    (PYMEMCACHE, {}, "connect_timeout or timeout"),
    (PYMEMCACHE, {"connect_timeout": 0.5}, "timeout"),
    ("django_redis.cache.RedisCache", {"SOCKET_TIMEOUT": 0.5}, "SOCKET_CONNECT_TIMEOUT"),
])
def test_w007_a_replay_cache_without_timeouts(conf, backend, options, missing):
    conf.CACHES = {"default": {"BACKEND": backend, "LOCATION": "127.0.0.1:1", "OPTIONS": options}}
    [message] = check_settings()
    assert (message.id, message.msg) == ("django_auth0_api.W007", (
        f"The cache 'default' holds the DPoP replay state but sets no {missing}: a cache server that stalls "
        "holds every request waiting on it."))


def test_w007_names_the_exchange_cache_too(conf):
    conf.AUTH0_API = dict(GOOD, CLIENT_ID="id", CLIENT_SECRET="secret", CACHE_ALIAS="shared")
    conf.CACHES = {**LOCMEM, "shared": {"BACKEND": REDIS, "LOCATION": "redis://127.0.0.1:1"}}
    [message] = check_settings()
    assert message.msg.startswith("The cache 'shared' holds the DPoP replay state and exchanged tokens but sets no ")


@pytest.mark.parametrize("backend, options", [
    (REDIS, {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}),
    (PYMEMCACHE, {"connect_timeout": 0.5, "timeout": 0.5}),
])
def test_a_replay_cache_with_timeouts_is_fine(conf, backend, options):
    conf.CACHES = {"default": {"BACKEND": backend, "LOCATION": "127.0.0.1:1", "OPTIONS": options}}
    assert check_settings() == []


def test_a_cache_that_holds_neither_needs_no_timeouts(conf):
    conf.AUTH0_API = dict(GOOD, DPOP_ENABLED=False)
    conf.CACHES = {"default": {"BACKEND": REDIS, "LOCATION": "redis://127.0.0.1:1"}}
    assert check_settings() == []


# -- in the settings' own words ------------------------------------------------------------------

@pytest.mark.parametrize("value, message, hint", [
    ({"DOMAIN": "tenant.example.auth0.com"}, "AUTH0_API is invalid: AUDIENCE is required",
     "Write 'AUDIENCE': 'https://api.example.com': the Identifier of your API in the Auth0 dashboard "
     "(APIs > your API > Settings)."),
    ({"AUDIENCE": "https://api.example.com"}, "AUTH0_API is invalid: DOMAIN (or DOMAINS) is required",
     "Write 'DOMAIN': 'your-tenant.us.auth0.com': the host name of your tenant (or of its custom domain), "
     "without https:// or a path."),
    (dict(GOOD, DPOP_REQUIRED=True, DPOP_ENABLED=False), "AUTH0_API is invalid: DPOP_REQUIRED needs DPOP_ENABLED",
     "Remove 'DPOP_ENABLED': False (DPoP is on by default) or set 'DPOP_REQUIRED': False."),
    (dict(GOOD, ALGORITHMS=["HS256"]), "AUTH0_API is invalid: ALGORITHMS may list only asymmetric algorithms: "
     "ES256, ES384, ES512, Ed25519, EdDSA, PS256, PS384, PS512, RS256, RS384, RS512",
     "Write 'ALGORITHMS': ['RS256'] (what Auth0 signs access tokens with); only asymmetric algorithms are accepted."),
    (dict(GOOD, HTTP_TIMEOUT=0), "AUTH0_API is invalid: HTTP_TIMEOUT must be positive",
     "Write 'HTTP_TIMEOUT': 5 (seconds, more than 0)."),
    (dict(GOOD, LEEWAY=-1), "AUTH0_API is invalid: LEEWAY must be a non-negative number", "Write 'LEEWAY': 30."),
    (dict(GOOD, DOMAIN="tenant.example.auth0.com/api/v2"),
     "AUTH0_API is invalid: DOMAIN (and each of DOMAINS) must be a host name, without a path",
     "Write 'DOMAIN': 'your-tenant.us.auth0.com': the host name of your tenant (or of its custom domain), "
     "without https:// or a path."),
    (dict(GOOD, DOMAIN="http://tenant.example.auth0.com"),
     "AUTH0_API is invalid: http:// issuers need ALLOW_INSECURE_HTTP and a loopback host",
     "Use https://; for a tenant on this machine (127.0.0.1, localhost) set 'ALLOW_INSECURE_HTTP': True."),
])
def test_e003_names_settings_keys_and_says_what_to_write(conf, value, message, hint):
    conf.AUTH0_API = value
    [error] = check_settings()
    assert (error.id, error.msg, error.hint) == ("django_auth0_api.E003", message, hint)


def test_e002_says_what_to_write(conf):
    conf.AUTH0_API = dict(GOOD, DPOP_REQUIRED="yes")
    [error] = check_settings()
    assert (error.id, error.hint) == ("django_auth0_api.E002", "Use bool: 'DPOP_REQUIRED': False.")


def test_a_lower_case_key_gets_did_you_mean(conf):
    conf.AUTH0_API = {"domain": "tenant.example.auth0.com", "AUDIENCE": "https://api.example.com"}
    warning = check_settings()[0]
    assert (warning.id, warning.msg, warning.hint) == (
        "django_auth0_api.W001", "AUTH0_API has an unknown key 'domain'.", "Did you mean DOMAIN?")


@pytest.mark.parametrize("key", ["ALGORITHMS", "DPOP_ALGORITHMS"])
def test_a_string_of_algorithms_is_accepted_by_the_checks_as_by_the_runtime(conf, key):
    from django_auth0_api.conf import get_options

    conf.AUTH0_API = dict(GOOD, **{key: "ES256"})
    assert (check_settings(), getattr(get_options(), key.lower())) == ([], ("ES256",))


def test_a_domain_with_a_path_is_refused_at_runtime_too():
    from django_auth0_api.errors import ConfigurationError
    from django_auth0_api.options import ApiClientOptions

    with pytest.raises(ConfigurationError):
        ApiClientOptions(domain="tenant.example.auth0.com/api/v2", audience="https://api.example.com")


def test_e009_a_decryption_key_that_does_not_load(settings, auth0_tenant):
    settings.DEBUG = True
    settings.AUTH0_API = auth0_tenant.settings(DECRYPTION_KEYS={"enc-0": auth0_tenant.encryption_key("enc-0"),
                                                                "bad": "/nonexistent.pem"})
    assert [(m.id, m.msg) for m in check_settings()] == [
        ("django_auth0_api.E009", "DECRYPTION_KEYS['bad'] is neither PEM text nor a readable file")]


def test_decryption_keys_that_load_pass(settings, auth0_tenant):
    settings.DEBUG = True
    settings.AUTH0_API = auth0_tenant.settings(DECRYPTION_KEYS={"enc-0": auth0_tenant.encryption_key("enc-0")})
    assert check_settings() == []


@pytest.mark.parametrize(("key", "value"), [("DECRYPTION_KEYS", ["a.pem"]), ("MTLS_CLIENT_CERT_HEADER", 5),
                                            ("MTLS_REQUIRED", "yes"), ("DECRYPTION_ALGORITHMS", "RSA-OAEP-256"),
                                            ("REQUIRE_ENCRYPTION", 1)])
def test_e002_for_the_mtls_and_decryption_settings(conf, key, value):
    conf.AUTH0_API = dict(GOOD, **{key: value})
    assert ids(check_settings()) == ["django_auth0_api.E002"]


# -- RESOURCE (RFC 9728; Auth0's Resource Parameter Compatibility Profile) ---------------------

MCP = "https://api.example.com/mcp"


def test_e008_resource_not_in_audience(conf):
    conf.AUTH0_API = dict(GOOD, RESOURCE=MCP + "/")
    assert ids(check_settings()) == ["django_auth0_api.E008"]


def test_resource_listed_in_audience_passes(conf):
    conf.AUTH0_API = dict(GOOD, RESOURCE=MCP, AUDIENCE=["https://api.example.com", MCP])
    assert check_settings() == []


@pytest.mark.parametrize("value", ["http://api.example.com/mcp", "https://api.example.com/mcp#x",
                                   "https://api.example.com/mcp?x=1", "/mcp", 'https://api.example.com/"'])
def test_e003_resource_that_is_no_https_url(conf, value):
    conf.AUTH0_API = dict(GOOD, RESOURCE=value, AUDIENCE=[value])
    assert ids(check_settings()) == ["django_auth0_api.E003"]


@pytest.mark.parametrize("extra", [{"resource": MCP}, {"scopes_supported": "read"}, {1: "x"}])
def test_e003_resource_metadata_that_cannot_be_merged(conf, extra):
    conf.AUTH0_API = dict(GOOD, RESOURCE_METADATA=extra)
    assert ids(check_settings()) == ["django_auth0_api.E003"]


def test_w005_mcp_endpoint_protected_without_resource(conf):
    from django_auth0_api.checks import check_protected_resource

    assert ids(check_protected_resource()) == ["django_auth0_api.W005"]


def test_w005_also_from_a_url_named_mcp(conf):
    from django_auth0_api.checks import check_protected_resource

    del conf.DJANGO_MCP_AUTHENTICATION_CLASSES
    assert ids(check_protected_resource()) == ["django_auth0_api.W005"]


def test_no_w005_without_an_mcp_endpoint(conf):
    from django_auth0_api.checks import check_protected_resource

    del conf.DJANGO_MCP_AUTHENTICATION_CLASSES
    conf.ROOT_URLCONF = "tests.urls_scopes"
    assert check_protected_resource() == []


def test_w006_resource_without_the_metadata_urls(conf):
    from django_auth0_api.checks import check_protected_resource

    conf.AUTH0_API = dict(GOOD, RESOURCE=MCP, AUDIENCE=[MCP])
    conf.ROOT_URLCONF = "testproject.tenant.urls"
    assert ids(check_protected_resource()) == ["django_auth0_api.W006"]


def test_resource_with_the_metadata_urls_passes(conf):
    from django_auth0_api.checks import check_protected_resource

    conf.AUTH0_API = dict(GOOD, RESOURCE=MCP, AUDIENCE=[MCP])
    assert check_protected_resource() == []


# -- REQUIRED_CLAIM_VALUES and ORGANIZATION ------------------------------------------------------------

@pytest.mark.parametrize("key, value", [("REQUIRED_CLAIM_VALUES", ["tier"]), ("REQUIRED_CLAIM_VALUES", "tier=gold"),
                                        ("ORGANIZATION", 5), ("ORGANIZATION", {"org_abc": True})])
def test_e002_wrong_type_of_the_policy_settings(conf, key, value):
    conf.AUTH0_API = dict(GOOD, **{key: value})
    [message] = check_settings()
    assert (message.id, message.msg) == ("django_auth0_api.E002", f"AUTH0_API[{key!r}] has the wrong type.")


@pytest.mark.parametrize("overrides", [{"REQUIRED_CLAIM_VALUES": {"tier": []}},
                                       {"REQUIRED_CLAIM_VALUES": {"tier": {"gold": 1}}},
                                       {"REQUIRED_CLAIM_VALUES": {"tier": float("nan")}},
                                       {"REQUIRED_CLAIM_VALUES": {"": "gold"}},
                                       {"ORGANIZATION": []}, {"ORGANIZATION": ["org_abc", ""]}])
def test_e003_policy_settings_that_make_no_rule(conf, overrides):
    conf.AUTH0_API = dict(GOOD, **overrides)
    [message] = check_settings()
    assert message.id == "django_auth0_api.E003"


def test_e006_an_organization_resolver_that_does_not_import(conf):
    conf.AUTH0_API = dict(GOOD, ORGANIZATION="no.such.module.resolve")
    [message] = check_settings()
    assert (message.id, message.msg) == ("django_auth0_api.E006", "AUTH0_API['ORGANIZATION'] cannot be imported.")


@pytest.mark.parametrize("organization", ["org_abc", "acme", ["org_abc", "acme"], f"{__name__}.resolver", resolver])
def test_organizations_and_resolvers_are_fine(conf, organization):
    conf.AUTH0_API = dict(GOOD, ORGANIZATION=organization, REQUIRED_CLAIM_VALUES={"tier": ["gold", 1, True]})
    assert check_settings() == []
