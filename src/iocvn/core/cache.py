"""Values built from the database and reused between requests: a calendar, a routing table, a
category tree. Each is kept with the *version* it was built from (e.g. a row count and the
latest ``updated_at``); the version is read again at most every ``seconds``, so a change made
by another server process shows within that time, and a change made by this process is seen
at once when its writer calls :meth:`Rechecked.clear`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Rechecked(Generic[T]):
    """A small keyed cache whose entries are revalidated by version every ``seconds``."""

    def __init__(self, seconds: float = 5.0, size: int = 16) -> None:
        self.seconds, self.size = seconds, size
        self._entries: dict[Hashable, tuple[T, object, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: Callable[[], object], build: Callable[[], T]) -> T:
        """The value for ``key``: reused while fresh, rebuilt when its version changed."""
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(key)
        if found is not None and now - found[2] < self.seconds:
            return found[0]
        current = version()
        value = found[0] if found is not None and found[1] == current else build()
        with self._lock:
            if len(self._entries) >= self.size and key not in self._entries:
                self._entries.clear()
            self._entries[key] = (value, current, now)
        return value

    def read(self, key: Hashable, read: Callable[[], T]) -> T:
        """For a small value that is its own version (a code, an id): kept, and ``read()``
        again once it is ``seconds`` old — one query, not a version and then a build."""
        answers: list[T] = []

        def version() -> T:
            answers.append(read())
            return answers[-1]

        return self.get(key, version, lambda: answers[-1])

    def clear(self) -> None:
        """Forget everything (this process changed what the values are built from)."""
        with self._lock:
            self._entries.clear()
