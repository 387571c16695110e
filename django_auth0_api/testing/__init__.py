"""Test kit: a fake Auth0 tenant (keys, tokens, DPoP proofs, token endpoint)
served at the `requests` layer, and the pytest fixtures built on it.

See the docs/testing.md section.
"""

from .cache import clear_shared_cache
from .keys import rsa_key
from .mocking import calls_to
from .tenant import DEFAULT_AUDIENCE, DEFAULT_DOMAIN, ClientCertificate, DpopKey, FakeTenant

__all__ = ["DEFAULT_AUDIENCE", "DEFAULT_DOMAIN", "ClientCertificate", "DpopKey", "FakeTenant", "calls_to",
           "clear_shared_cache", "rsa_key"]
