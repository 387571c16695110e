"""`BoundedMemo`: the in-process memo of parsed headers, URLs and verified tokens."""

from __future__ import annotations

from collections.abc import Hashable


class BoundedMemo(dict):
    """A dict that forgets its oldest entries past `limit`.

    Thread-safe enough for a memo: two threads racing on an eviction can only
    cost a cache miss, never a wrong answer.
    """

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def put(self, key: Hashable, value: object) -> None:
        while len(self) >= self.limit:
            try:
                del self[next(iter(self))]
            except (KeyError, RuntimeError, StopIteration):
                break
        self[key] = value
