"""A burst of PIN checks in many threads gives its memory back: argon2's 19 MiB blocks are
mapped and unmapped per check (services/kdf.py pins glibc's mmap threshold)."""

from __future__ import annotations

import subprocess
import sys

BURST = """
import threading
from gongji.services import kdf
h = kdf.BoundedHasher()
d = h.hash("123456")
def work():
    for _ in range(10):
        h.verify(d, "123456")
ts = [threading.Thread(target=work) for _ in range(16)]
[t.start() for t in ts]
[t.join() for t in ts]
rss = int(open("/proc/self/statm").read().split()[1]) * 4096 // 2**20
print(kdf.PINNED, rss)
"""


def test_a_burst_of_pin_checks_leaves_no_arena_behind() -> None:
    out = subprocess.run([sys.executable, "-c", BURST], capture_output=True, text=True,
                         check=True, timeout=120).stdout.split()
    pinned, rss = out[0] == "True", int(out[1])
    assert pinned
    assert rss < 120, f"{rss} MiB resident after the burst (unpinned: about 300)"
