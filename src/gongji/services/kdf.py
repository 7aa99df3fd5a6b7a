"""argon2id for PINs and institution secrets, with its concurrency bounded per process.

Each check takes 19 MiB and ~15 ms of one core (OWASP's minimum profile: time_cost 2,
memory 19 MiB, one lane). Run in more threads at once than there are cores, checks only add
memory, not speed: a burst of 40 parallel PIN checks once took 540-840 MB per worker. So at
most SLOTS checks run at a time in a process (the CPU count, at least 2), and the rest wait
their turn, which costs them no more than the cores were going to cost anyway.
"""

from __future__ import annotations

import os
import threading

from argon2 import PasswordHasher

SLOTS = max(2, os.cpu_count() or 1)
_slots = threading.BoundedSemaphore(SLOTS)


class BoundedHasher:
    """PasswordHasher's hash and verify, at most SLOTS at a time in this process."""

    def __init__(self, *, time_cost: int = 2, memory_cost: int = 19_456,
                 parallelism: int = 1) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost,
                                      parallelism=parallelism)

    def hash(self, secret: str) -> str:
        with _slots:
            return self._hasher.hash(secret)

    def verify(self, digest: str, secret: str) -> bool:
        """True, or argon2's VerificationError / InvalidHashError."""
        with _slots:
            return self._hasher.verify(digest, secret)
