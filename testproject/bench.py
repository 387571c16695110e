"""`make bench`: each figure a ratio against pyjwt (or DRF without auth) on the same keys.

    verify_repeated      verify_access_token, one token again and again / jwt.decode   (lower is better)
    verify_fresh         verify_access_token, a new token each time / jwt.decode        (lower is better)
    drf_auth_throughput  DRF requests/s with Bearer auth / the same view without auth   (higher is better)
    dpop_verify_request  verify_request with a fresh DPoP proof / jwt.decode of token and proof (lower is better)

Runs in one process against the fake tenant (mocked with `responses`).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testproject.settings")

import django  # noqa: E402

django.setup()

import jwt  # noqa: E402
import responses  # noqa: E402
from django.test import override_settings  # noqa: E402
from rest_framework.permissions import AllowAny, IsAuthenticated  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.test import APIRequestFactory  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from django_auth0_api import get_api_client  # noqa: E402
from django_auth0_api.authentication import Auth0Authentication  # noqa: E402
from django_auth0_api.testing import DpopKey, FakeTenant  # noqa: E402

N = int(os.environ.get("BENCH_N", "2000"))
ROUNDS = 5


def per_call(func, items):
    """Best-of-ROUNDS seconds per call of func over items."""
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for item in items:
            func(item)
        best = min(best, (time.perf_counter() - start) / len(items))
    return best


def main():
    tenant = FakeTenant()
    public_key = tenant.keys[tenant.kid].public_key()
    options = dict(algorithms=["RS256"], audience=tenant.audience, issuer=tenant.issuer)

    def pyjwt_decode(token):
        return jwt.decode(token, public_key, **options)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps, \
            override_settings(AUTH0_API=tenant.settings(), MIDDLEWARE=[]):
        tenant.mock(rsps)
        client = get_api_client()
        token = tenant.mint_token(scope="read:messages")
        client.verify_access_token(token)  # warm the keys

        figures = {}
        repeated = [token] * N
        figures["verify_repeated"] = per_call(client.verify_access_token, repeated) / per_call(pyjwt_decode, repeated)

        # Fresh tokens: each round needs tokens this process has never seen.
        pools = [[tenant.mint_token(sub=f"user-{r}-{i}") for i in range(N // 4)] for r in range(ROUNDS + 1)]
        ours = min(per_call_once(client.verify_access_token, pool) for pool in pools[:ROUNDS])
        theirs = min(per_call_once(pyjwt_decode, pool) for pool in pools[:ROUNDS])
        figures["verify_fresh"] = ours / theirs

        figures["drf_auth_throughput"] = drf_ratio(tenant)
        figures["dpop_verify_request"] = dpop_ratio(tenant, client, public_key, options)

    for name, value in figures.items():
        print(f"{name:22s} {value:6.3f}")
    print("bench: " + " ".join(f"{name}={value:.3f}" for name, value in figures.items()))


def per_call_once(func, items):
    start = time.perf_counter()
    for item in items:
        func(item)
    return (time.perf_counter() - start) / len(items)


class EchoView(APIView):
    def get(self, request):
        return Response({"sub": getattr(request.auth, "sub", None)})


def drf_ratio(tenant):
    factory = APIRequestFactory()
    tokens = [tenant.mint_token(sub=f"drf-{i}") for i in range(50)]
    with_auth = EchoView.as_view(authentication_classes=[Auth0Authentication], permission_classes=[IsAuthenticated])
    without_auth = EchoView.as_view(authentication_classes=[], permission_classes=[AllowAny])

    def call(view, headers):
        response = view(factory.get("/api/echo", **headers)).render()
        if response.status_code != 200:
            raise RuntimeError(f"the bench view answered {response.status_code}")

    for token in tokens:  # clients reuse their tokens: warm them once
        call(with_auth, {"HTTP_AUTHORIZATION": f"Bearer {token}"})
    t_with = per_call(lambda i: call(with_auth, {"HTTP_AUTHORIZATION": f"Bearer {tokens[i % 50]}"}), range(N))
    t_without = per_call(lambda i: call(without_auth, {}), range(N))
    return t_without / t_with


def dpop_ratio(tenant, client, public_key, options):
    key = DpopKey()
    token = tenant.mint_token(jkt=key.jkt)
    url = "https://api.example.com/data"
    client.verify_access_token(token)
    pools = [[tenant.mint_dpop_proof(key, htm="GET", htu=url, access_token=token) for _ in range(N // 4)]
             for _ in range(ROUNDS)]
    proof_key = jwt.PyJWK(key.jwk, "ES256").key

    def ours(proof):
        client.verify_request({"authorization": f"DPoP {token}", "dpop": proof}, "GET", url)

    def theirs(proof):
        jwt.decode(token, public_key, **options)
        jwt.decode(proof, proof_key, algorithms=["ES256"])

    t_ours = min(per_call_once(ours, pool) for pool in pools)
    t_theirs = min(per_call_once(theirs, pool) for pool in pools)
    return t_ours / t_theirs


if __name__ == "__main__":
    main()
