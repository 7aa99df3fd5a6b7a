"""argon2id for PINs and institution secrets, with its concurrency bounded per process.

Each check takes its memory cost in resident memory for as long as it runs, and one core
(PINs: 7 MiB, 5 passes, ~15 ms; institution secrets: 19 MiB, 2 passes, ~21 ms; both OWASP
minimum profiles, docs/PERFORMANCE.md "argon2 for a 6-digit PIN"). Run in more threads at
once than there are cores, checks only add memory, not speed: a burst of 40 parallel PIN
checks once took 540-840 MB per worker. So at most SLOTS checks run at a time in a process
(the CPU count, at least 2), and the rest wait their turn, which costs them no more than the
cores were going to cost anyway.

That alone was not enough: glibc raises its mmap threshold each time a large block mapped
with mmap is freed, so after the first check argon2's 19 MiB blocks come from per-thread
malloc arenas, which keep them. A worker held 320 MiB after a burst of 320 checks in 16
threads; with the threshold pinned at 1 MiB (mallopt, once per process) every block goes
back to the kernel when the check ends: 54 MiB peak, 16 MiB after. The price is that each
check maps its memory afresh and faults it in: about 0.35 ms a MiB (19 MiB: 21 ms a check
instead of 14.6), which is why the PINs take the 7 MiB profile, not the 19 MiB one.
"""

from __future__ import annotations

import ctypes
import os
import threading

from argon2 import PasswordHasher

M_MMAP_THRESHOLD = -3
"""mallopt's parameter number (malloc.h); setting it also turns the dynamic threshold off."""


def _pin_mmap_threshold() -> bool:
    """Large blocks always by mmap, given back at free (glibc only; elsewhere nothing)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, 1 << 20))
    except (OSError, AttributeError):
        return False


PINNED = _pin_mmap_threshold()
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
        """True, or argon2's VerificationError / InvalidHashError. A digest made with other
        parameters still verifies (they are written in it), at its own cost."""
        with _slots:
            return self._hasher.verify(digest, secret)

    def check_needs_rehash(self, digest: str) -> bool:
        """Was this (valid) digest made with other parameters than this hasher's?"""
        return self._hasher.check_needs_rehash(digest)
