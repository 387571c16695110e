"""The fake tenant's token endpoint refuses the On-Behalf-Of subject tokens Auth0 refuses."""

import pytest

from django_auth0_api import get_api_client
from django_auth0_api.errors import GetTokenByExchangeProfileError
from django_auth0_api.testing import rsa_key

CALENDAR = "https://calendar-api.example.com"


def refusal(token):
    with pytest.raises(GetTokenByExchangeProfileError) as refused:
        get_api_client().get_token_on_behalf_of(token, audience=CALENDAR)
    return refused.value.get_status_code(), refused.value.get_error_code(), refused.value.get_error_description()


@pytest.mark.parametrize("mint", [
    pytest.param(lambda tenant: tenant.mint_token(expires_in=-60), id="expired"),
    pytest.param(lambda tenant: tenant.mint_token(audience="https://elsewhere.example.com"), id="foreign-audience"),
    pytest.param(lambda tenant: tenant.mint_token(key=rsa_key(7)), id="badly-signed"),
    pytest.param(lambda tenant: tenant.mint_token(claims={"iss": "https://other.auth0.com/"}), id="other-issuer"),
])
def test_a_subject_token_auth0_would_refuse_is_refused(auth0_tenant, mint):
    assert refusal(mint(auth0_tenant)) == (400, "invalid_grant", "Invalid subject token")


def test_a_subject_token_for_any_of_the_projects_apis_is_accepted(auth0_tenant):
    token = auth0_tenant.mint_token("auth0|alice", audience=CALENDAR)  # the test project's second AUDIENCE
    assert get_api_client().get_token_on_behalf_of(token, audience=CALENDAR)["expires_in"] == 3600
