"""Private keys from settings: PEM text, or the path of a PEM file.

The callers raise their own `ConfigurationError`, naming their setting; nothing
here ever quotes the input (a key's text must not reach a message or a log).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

MAX_PEM_FILE = 64 * 1024


def pem_bytes(source: str) -> bytes | None:
    """The PEM of `source` (the text itself, or the file it names); None when unreadable."""
    if "-----BEGIN" in source:
        return source.encode("utf-8")
    try:
        with open(source, "rb") as handle:
            return handle.read(MAX_PEM_FILE)
    except OSError:
        return None


def private_key(data: bytes) -> PrivateKeyTypes | None:
    """The unencrypted private key in `data`; None when it is not one."""
    try:
        return serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None
