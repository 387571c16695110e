"""Key pairs for the fake tenant and its clients."""

from __future__ import annotations

import functools
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric import ec, rsa


@functools.cache
def rsa_key(index: int) -> rsa.RSAPrivateKey:
    # Generating RSA keys is slow; a test run needs only a few.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


CURVES: dict[str, Callable[[], ec.EllipticCurve]] = {
    "ES256": ec.SECP256R1, "ES384": ec.SECP384R1, "ES512": ec.SECP521R1}
