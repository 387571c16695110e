"""`BoundedMemo`: the in-process memo of parsed headers, URLs and verified tokens."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable


class BoundedMemo(OrderedDict):
    """A dict that forgets its oldest entries past `limit`.

    An `OrderedDict`, so that forgetting the oldest entry costs the same at any
    size: a plain dict finds its first key by scanning past every slot deleted
    before it, which made each new token of a busy API (a full memo of
    verified tokens) several microseconds dearer.

    Thread-safe enough for a memo: two threads racing on an eviction can only
    cost a cache miss, never a wrong answer.
    """

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def put(self, key: Hashable, value: object) -> None:
        while len(self) >= self.limit:
            try:
                self.popitem(last=False)
            except KeyError:  # emptied by another thread meanwhile
                break
        self[key] = value
