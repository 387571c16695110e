"""django_auth0_api.core.credentials: reading credentials (RFC 6750 §2.1, RFC 9449 §7.1)."""

import pytest

from django_auth0_api.core.credentials import (
    _AUTHORIZATIONS,
    header_values,
    parse_header_values,
    read_credentials,
    split_header,
)
from django_auth0_api.errors import (
    InvalidAuthSchemeError,
    InvalidDpopProofError,
    InvalidRequestError,
    MissingAuthorizationError,
)
from django_auth0_api.options import ApiClientOptions


def options(**kwargs):
    return ApiClientOptions(domain="tenant.example.auth0.com", audience="https://api.example.com", **kwargs)


ALLOWED, REQUIRED, OFF = options(), options(dpop_required=True), options(dpop_enabled=False)


def test_bearer_from_a_mapping():
    credentials = read_credentials({"Authorization": "Bearer abc"}, ALLOWED)
    assert (credentials.scheme, credentials.token, credentials.proofs) == ("Bearer", "abc", ())


def test_header_names_and_scheme_are_case_insensitive():
    credentials = read_credentials([("AUTHORIZATION", "bEaReR abc")], ALLOWED)
    assert (credentials.scheme, credentials.token) == ("Bearer", "abc")


def test_dpop_with_its_proof():
    credentials = read_credentials({"authorization": "DPoP abc", "DPoP": "proof"}, ALLOWED)
    assert (credentials.scheme, credentials.token, credentials.proofs) == ("DPoP", "abc", ("proof",))


def test_repr_shows_neither_token_nor_proof():
    credentials = read_credentials({"authorization": "DPoP secret-token", "DPoP": "secret-proof"}, ALLOWED)
    assert "secret" not in repr(credentials)


@pytest.mark.parametrize("headers", [{}, None, [], {"Authorization": ""}, {"Authorization": "  "}, {"Other": "x"}])
def test_no_credentials(headers):
    with pytest.raises(MissingAuthorizationError):
        read_credentials(headers, ALLOWED)


@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Token abc", "Bearerabc", "Bearer\tabc", "abc"])
def test_a_foreign_scheme_is_refused_as_foreign(value):
    with pytest.raises(InvalidAuthSchemeError):
        read_credentials({"Authorization": value}, ALLOWED)


@pytest.mark.parametrize("value", ["Bearer", "Bearer ", "Bearer a b", "DPoP"])
def test_a_scheme_without_exactly_one_token_is_invalid_request(value):
    with pytest.raises(InvalidRequestError) as caught:
        read_credentials({"Authorization": value, "DPoP": "proof"}, ALLOWED)
    assert caught.value.scheme == value.split()[0]


@pytest.mark.parametrize("headers", [
    {"Authorization": "Bearer a, Bearer b"},
    {"Authorization": ["Bearer a", "Bearer b"]},
    [("Authorization", "Bearer a"), ("authorization", "Bearer b")],
    {"Authorization": "Bearer a,"},
])
def test_several_authorization_values_are_invalid_request(headers):
    with pytest.raises(InvalidRequestError) as caught:
        read_credentials(headers, ALLOWED)
    assert caught.value.get_error_description() == "Several Authorization header values"


@pytest.mark.parametrize("headers", [
    "Bearer abc", b"Authorization: Bearer abc", 5, 1.5, object(), [None], [("Authorization",)],
    [("Authorization", "Bearer abc", "extra")], ["Authorization"], [{"Authorization": "Bearer abc"}],
    {"Authorization", "Bearer abc"},
], ids=["str", "bytes", "int", "float", "object", "list-of-none", "1-tuple", "3-tuple", "list-of-str",
        "list-of-dict", "set"])
def test_headers_that_are_neither_a_mapping_nor_pairs_are_invalid_request(headers):
    with pytest.raises(InvalidRequestError) as caught:
        read_credentials(headers, ALLOWED)
    assert caught.value.get_error_description() == "Headers must be a mapping or a list of (name, value) pairs"


def test_a_mapping_whose_items_is_not_a_method_is_invalid_request():
    class Odd:
        items = None

    with pytest.raises(InvalidRequestError):
        read_credentials(Odd(), ALLOWED)


@pytest.mark.parametrize("headers", [[("Authorization", "Bearer abc")], (["authorization", "Bearer abc"],)])
def test_pairs_may_be_tuples_or_lists(headers):
    assert read_credentials(headers, ALLOWED).token == "abc"


def test_verify_request_with_garbage_headers_is_a_clean_invalid_request():
    from django_auth0_api.client import ApiClient

    with pytest.raises(InvalidRequestError) as caught:
        ApiClient(ALLOWED).verify_request([None], "GET", "https://api.example.com/data")
    assert (caught.value.get_status_code(), caught.value.get_error_code()) == (400, "invalid_request")
    assert caught.value.get_headers()["WWW-Authenticate"].startswith('Bearer realm="api", error="invalid_request"')


@pytest.mark.parametrize("value", [b"Bearer abc", 1, None])
def test_non_string_header_values_are_invalid_request(value):
    with pytest.raises(InvalidRequestError):
        read_credentials({"Authorization": value}, ALLOWED)


@pytest.mark.parametrize("headers", [{"Authorization": "DPoP abc"}, {"Authorization": "DPoP abc", "DPoP": ""}])
def test_dpop_scheme_without_a_proof_is_invalid_request(headers):
    with pytest.raises(InvalidRequestError) as caught:
        read_credentials(headers, ALLOWED)
    assert (caught.value.scheme, caught.value.get_error_description()) == (
        "DPoP", "DPoP scheme without a DPoP proof header")


@pytest.mark.parametrize("headers", [
    {"Authorization": "DPoP abc", "DPoP": "p1, p2"},
    {"Authorization": "DPoP abc", "DPoP": ["p1", "p2"]},
    [("Authorization", "DPoP abc"), ("DPoP", "p1"), ("dpop", "p2")],
])
def test_several_proofs_are_an_invalid_proof(headers):
    with pytest.raises(InvalidDpopProofError) as caught:
        read_credentials(headers, ALLOWED)
    assert (caught.value.scheme, caught.value.get_status_code()) == ("DPoP", 401)


def test_bearer_request_keeps_a_dpop_header_for_the_binding_check():
    assert read_credentials({"Authorization": "Bearer abc", "DPoP": "proof"}, ALLOWED).proofs == ("proof",)


def test_required_mode_treats_bearer_as_foreign():
    with pytest.raises(InvalidAuthSchemeError):
        read_credentials({"Authorization": "Bearer abc"}, REQUIRED)


def test_off_mode_treats_dpop_as_foreign():
    with pytest.raises(InvalidAuthSchemeError):
        read_credentials({"Authorization": "DPoP abc", "DPoP": "proof"}, OFF)


def test_off_mode_ignores_a_dpop_header():
    assert read_credentials({"Authorization": "Bearer abc", "DPoP": "proof"}, OFF).proofs == ()


def test_header_values_splits_joined_values_and_strips():
    assert header_values([("X", " a , b"), ("x", ["c"])], "x") == ["a", "b", "c"]


# -- the client certificate header (RFC 8705 §3) ----------------------------------------------------------------

MTLS = options(mtls_client_cert_header="X-Client-Cert")


def test_the_certificate_header_is_read_when_configured():
    credentials = read_credentials({"Authorization": "Bearer abc", "x-client-cert": "PEM%0A"}, MTLS)
    assert credentials.certificate == "PEM%0A"


def test_the_certificate_header_is_not_read_when_not_configured():
    assert read_credentials({"Authorization": "Bearer abc", "X-Client-Cert": "PEM"}, ALLOWED).certificate is None


@pytest.mark.parametrize("headers", [
    [("Authorization", "Bearer abc"), ("X-Client-Cert", "one"), ("X-Client-Cert", "two")],
    [("Authorization", "Bearer abc"), ("X-Client-Cert", "one, two")],
    [("Authorization", "Bearer abc"), ("X-Client-Cert", "")],
])
def test_several_or_empty_certificate_values_are_no_certificate(headers):
    assert read_credentials(headers, MTLS).certificate is None


def test_the_repr_never_shows_the_certificate():
    assert repr(read_credentials({"Authorization": "Bearer abc", "X-Client-Cert": "PEM"}, MTLS)) == (
        "Credentials(scheme='Bearer')")


# -- the fast paths: one value without a comma, and the memo of Authorization values ---------------------------

@pytest.mark.parametrize(("value", "values"), [
    (None, []), ("", [""]), (" abc ", ["abc"]), ("a, b", ["a", "b"]), ("a,", ["a", ""]), (",", ["", ""]),
])
def test_split_header(value, values):
    assert split_header(value) == values


def test_a_remembered_value_is_still_read_for_each_api():
    assert read_credentials({"Authorization": "Bearer remembered"}, ALLOWED).token == "remembered"
    with pytest.raises(InvalidAuthSchemeError):
        read_credentials({"Authorization": "Bearer remembered"}, REQUIRED)
    assert read_credentials({"Authorization": "DPoP remembered", "DPoP": "proof"}, ALLOWED).proofs == ("proof",)
    with pytest.raises(InvalidAuthSchemeError):
        read_credentials({"Authorization": "DPoP remembered", "DPoP": "proof"}, OFF)


def test_a_remembered_value_takes_each_requests_proof_and_certificate():
    headers = {"Authorization": "Bearer again"}
    assert read_credentials(headers, ALLOWED) == ("Bearer", "again", (), None)
    assert read_credentials({**headers, "DPoP": "proof"}, ALLOWED).proofs == ("proof",)
    assert read_credentials({**headers, "X-Client-Cert": "PEM"}, MTLS).certificate == "PEM"
    assert read_credentials(headers, ALLOWED) == ("Bearer", "again", (), None)
    with pytest.raises(InvalidRequestError):
        read_credentials({"Authorization": "DPoP again"}, ALLOWED)  # and no proof


@pytest.mark.parametrize("value", ["Bearer a b", "Bearer ", "Basic abc", "Bearer " + "a" * 5000])
def test_only_well_formed_values_that_a_verifier_could_take_are_remembered(value):
    for _ in range(2):
        try:
            read_credentials({"Authorization": value}, ALLOWED)
        except (InvalidRequestError, InvalidAuthSchemeError):
            pass
    assert value not in _AUTHORIZATIONS


def test_the_memo_of_authorization_values_is_bounded():
    for index in range(_AUTHORIZATIONS.limit + 10):
        read_credentials({"Authorization": f"Bearer token-{index}"}, ALLOWED)
    assert len(_AUTHORIZATIONS) <= _AUTHORIZATIONS.limit


def test_a_foreign_scheme_is_refused_before_its_tokens_are_counted():
    with pytest.raises(InvalidAuthSchemeError):
        read_credentials({"Authorization": "Token a b"}, ALLOWED)
    read_credentials({"Authorization": "Bearer ab"}, ALLOWED)  # now remembered
    with pytest.raises(InvalidAuthSchemeError):
        read_credentials({"Authorization": "Bearer ab"}, REQUIRED)


def test_a_remembered_dpop_value_still_needs_exactly_one_proof():
    read_credentials({"Authorization": "DPoP once", "DPoP": "proof"}, ALLOWED)
    with pytest.raises(InvalidDpopProofError):
        read_credentials({"Authorization": "DPoP once", "DPoP": "p1, p2"}, ALLOWED)
    with pytest.raises(InvalidRequestError):
        read_credentials({"Authorization": "DPoP once", "DPoP": ""}, ALLOWED)


# -- one value per header (request.META) ------------------------------------------------------------

def test_header_values_read_as_a_server_hands_them_over():
    assert parse_header_values(" Bearer abc ", None, ALLOWED) == ("Bearer", "abc", (), None)
    assert parse_header_values("DPoP abc", "proof", ALLOWED) == ("DPoP", "abc", ("proof",), None)
    assert parse_header_values("Bearer abc", None, MTLS, "PEM") == ("Bearer", "abc", (), "PEM")


@pytest.mark.parametrize(("authorization", "error"), [
    (None, MissingAuthorizationError), ("", MissingAuthorizationError), ("Bearer a, Bearer b", InvalidRequestError)])
def test_header_values_refuse_as_the_lists_do(authorization, error):
    with pytest.raises(error):
        parse_header_values(authorization, None, ALLOWED)


def test_a_remembered_bearer_value_is_refused_by_an_api_that_requires_dpop():
    assert parse_header_values("Bearer known", None, ALLOWED).token == "known"  # now remembered
    with pytest.raises(InvalidAuthSchemeError):
        parse_header_values("Bearer known", None, REQUIRED)


def test_a_remembered_bearer_value_keeps_the_requests_proof_and_certificate():
    parse_header_values("Bearer kept", None, ALLOWED)
    assert (parse_header_values("Bearer kept", "proof", ALLOWED).proofs,
            parse_header_values("Bearer kept", None, MTLS, "PEM").certificate) == (("proof",), "PEM")


def test_a_remembered_dpop_value_without_its_proof_is_invalid_request():
    parse_header_values("DPoP twice", "proof", ALLOWED)
    with pytest.raises(InvalidRequestError):
        parse_header_values("DPoP twice", None, ALLOWED)
