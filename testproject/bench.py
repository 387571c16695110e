"""`make bench`: each figure a ratio against pyjwt (or DRF without auth) on the same keys.

    verify_repeated      verify_access_token, one token again and again / jwt.decode   (lower is better)
    verify_fresh         verify_access_token, a new token each time / jwt.decode        (lower is better)
    drf_auth_throughput  DRF requests/s with Bearer auth / the same view without auth   (higher is better)
    dpop_verify_request  verify_request with a fresh DPoP proof / jwt.decode of token and proof (lower is better)
    jwe_verify_fresh     verify_access_token, a new encrypted token (RSA-OAEP-256 + A256GCM) each time /
                         jwt.decode of the signed token it nests                          (lower is better)
    asgi_auth_throughput requests/s through Django's ASGI handler to an async view with
                         `auth0_required` / the same view without auth            (higher is better)
    signals_listened     verify_request with a receiver on token_verified / with none          (lower is better)

Runs in one process against the fake tenant (mocked with `responses`). `BENCH_N` sets the
pool size; `BENCH_ONLY=verify_fresh,dpop_verify_request` runs only the figures named.
"""

import asyncio
import gc
import os
import statistics
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
from django_auth0_api.testing.cache import remember_replays_from_the_start  # noqa: E402

N = int(os.environ.get("BENCH_N", "2000"))
ROUNDS = 9
# A LocMem cache with room for every proof of the replay window (docs/deployment.md): Django's
# default of 300 entries would forget the bench's proofs, and the replay watermark with them.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "bench",
                      "OPTIONS": {"MAX_ENTRIES": 1_000_000}}}


def compare(ours, theirs, pools) -> float:
    """Time spent in `ours` over time spent in `theirs`, the two called in
    turns on each item so that both meet the same machine noise; the median
    of one ratio per pool, with the GC held off while timing."""
    clock = time.perf_counter
    ratios = []
    for pool in pools:
        spent_ours = spent_theirs = 0.0
        gc.collect()
        gc.disable()
        try:
            for item in pool:
                start = clock()
                ours(item)
                middle = clock()
                theirs(item)
                spent_ours += middle - start
                spent_theirs += clock() - middle
        finally:
            gc.enable()
        ratios.append(spent_ours / spent_theirs)
    return statistics.median(ratios)


def main():
    tenant = FakeTenant()
    public_key = tenant.keys[tenant.kid].public_key()
    options = dict(algorithms=["RS256"], audience=tenant.audience, issuer=tenant.issuer)

    def pyjwt_decode(token):
        return jwt.decode(token, public_key, **options)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps, \
            override_settings(AUTH0_API=tenant.settings(), MIDDLEWARE=[], CACHES=CACHES):
        tenant.mock(rsps)
        client = get_api_client()
        token = tenant.mint_token(scope="read:messages")
        client.verify_access_token(token)  # warm the keys

        def fresh_ratio():
            # Fresh tokens: each round brings tokens this process has never seen.
            pools = [[tenant.mint_token(sub=f"user-{r}-{i}") for i in range(N // 4)] for r in range(ROUNDS)]
            return compare(client.verify_access_token, pyjwt_decode, pools)

        benches = {
            "verify_repeated": lambda: compare(client.verify_access_token, pyjwt_decode, [[token] * N] * ROUNDS),
            "verify_fresh": fresh_ratio,
            "drf_auth_throughput": lambda: drf_ratio(tenant),
            "dpop_verify_request": lambda: dpop_ratio(tenant, client, public_key, options),
            "jwe_verify_fresh": lambda: jwe_ratio(tenant, public_key, options),
            "asgi_auth_throughput": lambda: asgi_ratio(tenant),
            "signals_listened": lambda: signals_ratio(tenant, client),
        }
        # BENCH_ONLY=verify_fresh,dpop_verify_request runs just those figures.
        only = [name for name in os.environ.get("BENCH_ONLY", "").split(",") if name]
        unknown = set(only) - benches.keys()
        if unknown:
            raise SystemExit(f"unknown BENCH_ONLY figures: {', '.join(sorted(unknown))}")
        figures = {name: run() for name, run in benches.items() if not only or name in only}

    for name, value in figures.items():
        print(f"{name:22s} {value:6.3f}")
    print("bench: " + " ".join(f"{name}={value:.3f}" for name, value in figures.items()))


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
    headers = [{"HTTP_AUTHORIZATION": f"Bearer {tokens[i % 50]}"} for i in range(N)]
    # Throughput with auth over throughput without = time without / time with.
    return 1 / compare(lambda h: call(with_auth, h), lambda h: call(without_auth, {}), [headers] * ROUNDS)


def dpop_ratio(tenant, client, public_key, options):
    key = DpopKey()
    token = tenant.mint_token(jkt=key.jkt)
    url = "https://api.example.com/data"
    client.verify_access_token(token)
    # The proofs are minted before the first is verified: an empty replay store would refuse
    # them as older than itself (docs/deployment.md, "When the cache fails"), so it remembers from the start.
    remember_replays_from_the_start()
    pools = [[tenant.mint_dpop_proof(key, htm="GET", htu=url, access_token=token) for _ in range(N // 4)]
             for _ in range(ROUNDS)]
    proof_key = jwt.PyJWK(key.jwk, "ES256").key

    def ours(proof):
        client.verify_request({"authorization": f"DPoP {token}", "dpop": proof}, "GET", url)

    def theirs(proof):
        jwt.decode(token, public_key, **options)
        jwt.decode(proof, proof_key, algorithms=["ES256"])

    return compare(ours, theirs, pools)


async def acompare(ours, theirs, pools) -> float:
    """`compare` for coroutines, timed inside one running event loop."""
    clock = time.perf_counter
    ratios = []
    for pool in pools:
        spent_ours = spent_theirs = 0.0
        gc.collect()
        gc.disable()
        try:
            for item in pool:
                start = clock()
                await ours(item)
                middle = clock()
                await theirs(item)
                spent_ours += middle - start
                spent_theirs += clock() - middle
        finally:
            gc.enable()
        ratios.append(spent_ours / spent_theirs)
    return statistics.median(ratios)


def asgi_ratio(tenant):
    from django.core.handlers.asgi import ASGIHandler

    handler = ASGIHandler()  # MIDDLEWARE is empty here: the decorator alone verifies
    never = asyncio.Event()

    async def call(path, headers):
        answers = []
        received = []

        async def receive():
            if received:
                await never.wait()  # the handler listens for a disconnect that never comes
            received.append(1)
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                answers.append(message["status"])

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": headers, "client": ("127.0.0.1", 50000), "server": ("testserver", 80)}
        await handler(scope, receive, send)
        if answers != [200]:
            raise RuntimeError(f"the bench view answered {answers}")

    tokens = [tenant.mint_token(sub=f"asgi-{i}") for i in range(50)]
    headers = [[(b"host", b"testserver"), (b"authorization", f"Bearer {tokens[i % 50]}".encode())] for i in range(N)]
    plain = [(b"host", b"testserver")]

    async def run():
        for item in headers[:50]:  # clients reuse their tokens: warm them once
            await call("/async/echo", item)
        return await acompare(lambda h: call("/async/echo", h), lambda h: call("/async/open", plain),
                              [headers] * ROUNDS)

    return 1 / asyncio.run(run())


def jwe_ratio(tenant, public_key, options):
    """Decryption is an RSA private-key operation, so this ratio is mostly
    its cost over that of one signature check: what encryption costs a fresh
    token (a repeated one is served from the verified-token cache)."""
    kid = "bench-encryption-key"
    pem = tenant.encryption_key(kid)
    with override_settings(AUTH0_API=tenant.settings(DECRYPTION_KEYS={kid: pem}), MIDDLEWARE=[]):
        client = get_api_client()
        client.verify_access_token(tenant.mint_token(encrypt_for=kid))  # warm the keys
        pools = []
        for r in range(ROUNDS):
            signed = [tenant.mint_token(sub=f"jwe-{r}-{i}") for i in range(N // 8)]
            pools.append([(tenant.encrypt(token, kid), token) for token in signed])
        return compare(lambda pair: client.verify_access_token(pair[0]),
                       lambda pair: jwt.decode(pair[1], public_key, **options), pools)


def signals_ratio(tenant, client):
    """What a listener costs a warm Bearer request (nobody listening is the default): rounds
    with and without a receiver on token_verified, alternating; the median ratio."""
    from django_auth0_api import signals

    headers = {"authorization": f"Bearer {tenant.mint_token(sub='signals')}"}
    client.verify_request(headers)

    def listener(sender, **kwargs):
        pass

    def timed(listening: bool) -> float:
        if listening:
            signals.token_verified.connect(listener)
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            for _ in range(N):
                client.verify_request(headers)
            return time.perf_counter() - start
        finally:
            gc.enable()
            signals.token_verified.disconnect(listener)

    return statistics.median(timed(True) / timed(False) for _ in range(ROUNDS))


if __name__ == "__main__":
    main()
