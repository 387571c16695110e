"""The verification core: JWS, claims, issuers' documents and keys, access
tokens, DPoP proofs, nonces, challenges and credentials.

No DRF and no views here: the Django faces at the package's top level build on it.
"""
