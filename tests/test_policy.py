"""django_auth0_api.policy: each rule with a passing and a failing token, and what the refusal says.

The rules read a `VerifiedToken` only, so these tests build one from claims; the faces
(DRF classes, the decorator, the settings) are tested with tenant-minted tokens in
test_permissions.py, test_decorators.py and core/test_access_tokens.py.
"""

import time

import pytest

from django_auth0_api import policy
from django_auth0_api.errors import InsufficientScopeError, InsufficientUserAuthenticationError
from django_auth0_api.verified_token import VerifiedToken


def token(scheme="Bearer", **claims):
    return VerifiedToken("raw", {"iss": "https://t/", "sub": "auth0|u", **claims}, scheme)


class Request:
    def __init__(self, method="GET"):
        self.method = method


def refusal(rule, verified, request=None):
    with pytest.raises((InsufficientScopeError, InsufficientUserAuthenticationError)) as caught:
        rule.check(verified, request)
    error = caught.value
    return (error.get_status_code(), error.get_error_code(), error.get_error_description(),
            getattr(error, "scopes", None), error.scheme)


def passes(rule, verified, request=None) -> bool:
    return rule.check(verified, request) is None


# -- scopes and permissions -------------------------------------------------------------------------

def test_all_of_passes_with_every_scope():
    assert passes(policy.all_of(["read", "write"]), token(scope="write read other"))


def test_all_of_refuses_a_missing_scope_naming_all_of_them():
    assert refusal(policy.all_of(["read", "write"]), token(scope="read")) == (
        403, "insufficient_scope", "Token lacks the required scope", ("read", "write"), "Bearer")


def test_any_of_passes_with_one_scope():
    assert passes(policy.any_of(["read", "admin"]), token(scope="admin"))


def test_any_of_refuses_with_none_and_names_the_first():
    assert refusal(policy.any_of(["read", "admin"]), token(scope="write")) == (
        403, "insufficient_scope", "Token lacks the required scope", ("read",), "Bearer")


def test_a_string_is_one_scope_not_its_characters():
    assert refusal(policy.any_of("read"), token(scope="r e a d"))[3] == ("read",)


def test_an_empty_list_requires_nothing():
    assert (policy.all_of([]), policy.any_of(())) == (policy.NOTHING, policy.NOTHING)


def test_permissions_read_the_permissions_claim_not_scope():
    rule = policy.all_of(["admin:all"], "permission")
    assert (passes(rule, token(permissions=["admin:all"])), refusal(rule, token(scope="admin:all"))) == (
        True, (403, "insufficient_scope", "Token lacks the required permission", ("admin:all",), "Bearer"))


def test_any_permission_passes_with_one():
    assert passes(policy.any_of(["read:x", "admin:all"], "permission"), token(permissions=["admin:all"]))


def test_the_refusal_goes_on_the_scheme_used():
    assert refusal(policy.all_of("read"), token("DPoP"))[4] == "DPoP"


ALTERNATES = {"GET": [["read"]], "POST": [["write"], ["admin"]]}


@pytest.mark.parametrize("method, scope", [("GET", "read"), ("POST", "write"), ("POST", "admin"), ("HEAD", "read"),
                                           ("post", "admin")])
def test_per_method_alternatives_pass(method, scope):
    assert passes(policy.PerMethod(ALTERNATES), token(scope=scope), Request(method))


@pytest.mark.parametrize("method, scope, named", [("GET", "write", ("read",)), ("POST", "read", ("write",)),
                                                  ("DELETE", "read write admin", ())])
def test_per_method_alternatives_refuse(method, scope, named):
    assert refusal(policy.PerMethod(ALTERNATES), token(scope=scope), Request(method))[:4] == (
        403, "insufficient_scope", "Token lacks the required scope", named)


def test_per_method_alternatives_with_scopes_every_alternative_needs():
    rule = policy.PerMethod(ALTERNATES, also=["api"])
    assert (passes(rule, token(scope="api admin"), Request("POST")),
            refusal(rule, token(scope="admin"), Request("POST"))[3]) == (True, ("api", "write"))


def test_per_method_permissions():
    rule = policy.PerMethod({"GET": [["read:x"]]}, "permission")
    assert (passes(rule, token(permissions=["read:x"]), Request("GET")),
            refusal(rule, token(scope="read:x"), Request("GET"))[2]) == (True, "Token lacks the required permission")


# -- claim rules ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, wanted, expected", [("gold", "gold", True), ("silver", "gold", False),
                                                     (1, True, False), (True, True, True), (1, 1.0, True),
                                                     (["a"], ["a"], True), (["a", "b"], ["a"], False),
                                                     ({"k": 1}, {"k": 1}, True), ({"k": True}, {"k": 1}, False),
                                                     (None, "gold", False)])
def test_claim_equals(value, wanted, expected):
    rule = policy.ClaimEquals("tier", wanted)
    claims = {} if value is None else {"tier": value}
    assert rule.matches(claims) is expected


def test_claim_equals_refusal_names_the_claim_not_the_value():
    assert refusal(policy.ClaimEquals("https://example.com/tier", "gold"), token(**{
        "https://example.com/tier": "silver-secret"})) == (
        403, "insufficient_scope", "Claim https://example.com/tier has a value this resource does not accept", (),
        "Bearer")


@pytest.mark.parametrize("value, expected", [(["editor", "viewer"], True), ("viewer editor", True),
                                             (["viewer"], False), ("editor", False), (None, False), (5, False)])
def test_claim_includes_every_value(value, expected):
    rule = policy.ClaimIncludes("roles", "editor", "viewer")
    assert rule.matches({} if value is None else {"roles": value}) is expected


@pytest.mark.parametrize("value, expected", [("gold", True), ("platinum", True), (["bronze", "gold"], True),
                                             ("bronze", False), (["bronze"], False), ([], False), (None, False),
                                             ({"gold": 1}, False)])
def test_claim_one_of(value, expected):
    rule = policy.ClaimOneOf("tier", ["gold", "platinum"])
    assert rule.matches({} if value is None else {"tier": value}) is expected


def test_claim_check_passes_and_refuses():
    rule = policy.ClaimCheck(lambda claims: claims.get("email_verified") is True)
    assert (passes(rule, token(email_verified=True)), refusal(rule, token(email_verified="true"))[2]) == (
        True, "Token claims are not accepted")


def test_claim_check_gets_a_copy_it_cannot_change():
    def meddle(claims):
        claims["permissions"].append("admin:all")
        return True

    verified = token(permissions=["read:x"])
    assert (passes(policy.ClaimCheck(meddle, claim="permissions"), verified), verified.permissions) == (
        True, frozenset({"read:x"}))


def test_a_claim_check_that_raises_refuses():
    assert refusal(policy.ClaimCheck(lambda claims: 1 / 0, claim="tier"), token())[2] == (
        "Claim tier has a value this resource does not accept")


def test_a_description_never_carries_quotes():
    assert refusal(policy.ClaimEquals('x"y\\z', 1), token())[2] == "Claim xyz has a value this resource does not accept"


# -- organizations ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("accepted, claims", [("org_abc", {"org_id": "org_abc"}),
                                              ("acme", {"org_id": "org_x", "org_name": "acme"}),
                                              ("ACME", {"org_name": "acme"}),
                                              (["org_other", "acme"], {"org_name": "Acme"})])
def test_organization_passes(accepted, claims):
    assert passes(policy.Organization(accepted), token(**claims))


@pytest.mark.parametrize("accepted, claims", [("org_abc", {"org_id": "org_ABC"}), ("org_abc", {"org_name": "org_abc"}),
                                              ("acme", {"org_id": "acme"}), ("acme", {}),
                                              ("acme", {"org_name": ["acme"]}), (["org_a", "b"], {"org_id": "org_b"})])
def test_organization_refuses(accepted, claims):
    assert refusal(policy.Organization(accepted), token(**claims))[:3] == (
        403, "insufficient_scope", "Token is not for an organization this resource accepts")


def test_organization_from_the_request():
    rule = policy.Organization(lambda request: request.method.lower())
    assert (passes(rule, token(org_name="get"), Request("GET")), refusal(rule, token(org_name="get"),
                                                                         Request("POST"))[0]) == (True, 403)


@pytest.mark.parametrize("resolver", [lambda request: None, lambda request: [], lambda request: 1 / 0,
                                      lambda request: 5, lambda request: [5, ""]])
def test_a_resolver_that_names_none_or_fails_refuses(resolver):
    assert refusal(policy.Organization(resolver), token(org_name="acme"))[0] == 403


def test_organization_from_a_dotted_path():
    assert passes(policy.Organization(f"{__name__}.acme_resolver"), token(org_name="acme"))


def acme_resolver(request):
    return "acme"


# -- step-up ------------------------------------------------------------------------------------------------------

MFA = policy.MFA_POLICY


def test_acr_passes_with_one_of_the_values():
    assert passes(policy.StepUp(["urn:a", "urn:b"]), token(acr="urn:b"))


@pytest.mark.parametrize("claims", [{}, {"acr": "urn:c"}, {"acr": ["urn:a"]}, {"amr": ["mfa"]}])
def test_acr_refuses_other_values(claims):
    with pytest.raises(InsufficientUserAuthenticationError) as caught:
        policy.StepUp(["urn:a", "urn:b"]).check(token(**claims))
    error = caught.value
    assert (error.get_status_code(), error.get_error_code(), error.get_error_description(), error.acr_values,
            error.max_age) == (401, "insufficient_user_authentication", "A stronger authentication is required",
                               ("urn:a", "urn:b"), None)


@pytest.mark.parametrize("claims", [{"acr": MFA}, {"amr": ["pwd", "mfa"]}])
def test_auth0_mfa_is_met_by_the_acr_or_by_amr(claims):
    assert passes(policy.StepUp([MFA]), token(**claims))


@pytest.mark.parametrize("claims", [{"amr": ["pwd"]}, {"amr": "mfa"}, {"acr": "mfa"}])
def test_auth0_mfa_refused_without_it(claims):
    assert refusal(policy.StepUp([MFA]), token(**claims))[:2] == (401, "insufficient_user_authentication")


def test_max_age_passes_a_recent_login():
    assert passes(policy.StepUp(max_age=300), token(auth_time=int(time.time()) - 200))


@pytest.mark.parametrize("auth_time", [None, "1700000000", True, float("nan"), int(time.time()) - 400])
def test_max_age_refuses_an_old_or_missing_auth_time(auth_time):
    claims = {} if auth_time is None else {"auth_time": auth_time}
    with pytest.raises(InsufficientUserAuthenticationError) as caught:
        policy.StepUp(max_age=300).check(token(**claims))
    assert (caught.value.get_error_description(), caught.value.acr_values, caught.value.max_age) == (
        "A more recent authentication is required", (), 300)


def test_a_refusal_carries_both_parameters_of_the_rule():
    with pytest.raises(InsufficientUserAuthenticationError) as caught:
        policy.StepUp([MFA], 60).check(token("DPoP", amr=["mfa"], auth_time=int(time.time()) - 61))
    assert (caught.value.acr_values, caught.value.max_age, caught.value.scheme) == ((MFA,), 60, "DPoP")


@pytest.mark.parametrize("max_age", [-1, "300", True, 1.5])
def test_max_age_must_be_whole_seconds(max_age):
    with pytest.raises(TypeError):
        policy.StepUp(max_age=max_age)


# -- the combination -----------------------------------------------------------------------------------------------

def test_requirement_of_nothing_is_nothing():
    assert policy.requirement() is policy.NOTHING


def test_requirement_of_one_rule_is_that_rule():
    assert isinstance(policy.requirement(scopes=["read"]), policy.Grants)


def test_requirement_checks_organization_then_scopes_then_step_up():
    rule = policy.requirement(scopes=["read"], acr_values=[MFA], organization="acme")
    assert [refusal(rule, token(**claims))[2] for claims in (
        {"scope": "read", "amr": ["mfa"]}, {"org_name": "acme", "amr": ["mfa"]}, {"org_name": "acme", "scope": "read"},
    )] == ["Token is not for an organization this resource accepts", "Token lacks the required scope",
           "A stronger authentication is required"]


def test_requirement_passes_when_every_rule_does():
    rule = policy.requirement(scopes="read", any_scopes=["a", "b"], permissions=["p"], any_permissions=["q", "r"],
                              claims={"tier": "gold"}, check=lambda claims: claims["sub"] == "auth0|u",
                              organization="org_1", acr_values=MFA, max_age=60)
    assert passes(rule, token(scope="read b", permissions=["p", "r"], tier="gold", org_id="org_1",
                              acr=MFA, auth_time=int(time.time())))


@pytest.mark.parametrize("claims, refused", [
    ({"scope": "b", "permissions": ["p", "r"]}, "Token lacks the required scope"),
    ({"scope": "read", "permissions": ["p", "r"]}, "Token lacks the required scope"),
    ({"scope": "read b", "permissions": ["r"]}, "Token lacks the required permission"),
    ({"scope": "read b", "permissions": ["p"]}, "Token lacks the required permission"),
])
def test_requirement_refuses_each_missing_grant(claims, refused):
    rule = policy.requirement(scopes="read", any_scopes=["a", "b"], permissions=["p"], any_permissions=["q", "r"])
    assert refusal(rule, token(**claims))[2] == refused


def test_requirement_per_method():
    rule = policy.requirement(alternate_scopes=ALTERNATES)
    assert (passes(rule, token(scope="admin"), Request("POST")), refusal(rule, token(scope="admin"),
                                                                         Request("GET"))[3]) == (True, ("read",))


def test_an_unknown_rule_is_a_type_error():
    with pytest.raises(TypeError):
        policy.requirement(scope=["read"])  # a typo of `scopes`: loud, not silently open


@pytest.mark.parametrize("acr_values", [["urn:a b"], [""], [5]])
def test_acr_values_must_be_single_words(acr_values):
    with pytest.raises(TypeError):
        policy.StepUp(acr_values)
