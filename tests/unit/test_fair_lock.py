"""The SQLite writer lock of one process: writers get it in the order they asked, a wait can
run out without taking it, and forty writers at once never hold it together."""

from __future__ import annotations

import threading
import time

import pytest

from gongji.store.db import FairLock


def waiting(lock: FairLock) -> int:
    return len(lock._waiters)


def test_waiters_get_the_lock_in_the_order_they_came() -> None:
    lock = FairLock()
    assert lock.acquire()
    order: list[int] = []

    def writer(i: int) -> None:
        lock.acquire()
        order.append(i)
        lock.release()

    threads = []
    for i in range(12):
        t = threading.Thread(target=writer, args=(i,))
        t.start()
        threads.append(t)
        while waiting(lock) < i + 1:  # the next one asks only once this one is queued
            time.sleep(0.001)
    lock.release()
    for t in threads:
        t.join(timeout=10)
    assert order == list(range(12))


def test_a_wait_that_runs_out_leaves_the_queue() -> None:
    lock = FairLock()
    assert lock.acquire()
    started = time.monotonic()
    assert lock.acquire(timeout=0.05) is False
    assert time.monotonic() - started >= 0.05
    assert waiting(lock) == 0
    lock.release()
    assert lock.acquire(timeout=0)  # free again: taken at once
    lock.release()
    with pytest.raises(RuntimeError):
        lock.release()


@pytest.mark.parametrize("slots", [1, 3])
def test_forty_writers_at_once_never_exceed_the_slots(slots: int) -> None:
    lock = FairLock(slots)
    inside = 0
    most = 0
    count = 0
    start = threading.Barrier(40)
    guard = threading.Lock()

    def writer() -> None:
        nonlocal inside, most, count
        start.wait()
        for _ in range(50):
            lock.acquire()
            with guard:
                inside += 1
                most = max(most, inside)
            if slots == 1:
                n = count
                time.sleep(0)  # let another thread run while "holding" the counter
                count = n + 1
            else:
                time.sleep(0.001)  # long enough for the other slots to fill
                with guard:
                    count += 1
            with guard:
                inside -= 1
            lock.release()

    threads = [threading.Thread(target=writer) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert most == slots and count == 40 * 50
