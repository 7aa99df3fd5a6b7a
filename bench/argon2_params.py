"""argon2id settings for a 6-digit payment PIN: for each memory and time cost, the time of one
check (median and p99 wall time, median CPU time), the resident memory each check running at
once adds, the checks a second two threads make, and what the median CPU time makes of an
offline search of the whole PIN space (docs/PERFORMANCE.md, "argon2 for a 6-digit PIN").

    python bench/argon2_params.py [--checks 200] [--threads 2] [--seconds 3] [--json]
                                  [--owasp] [--unpinned]

Each setting runs in a fresh interpreter, so its memory peak (VmHWM) is its own. The process
pins glibc's mmap threshold as the server does (services/kdf.py), so each check maps its
memory afresh, faults it in and gives it back at the end; --unpinned leaves the threshold
dynamic, so after the first check the memory is reused from malloc's arenas: the difference
is what the pinning costs a check. It reads its VmHWM, verifies once (the rise is what one
check adds), then verifies in --threads threads at once, meeting at a barrier (argon2-cffi
lets go of the GIL while it hashes): the rise from the start is what that many checks at
once add. The default is the server's own bound, SLOTS checks at once per process (the CPU
count, at least 2). Then --checks checks one after another, each timed (wall and thread CPU
time: the CPU time holds on a busy machine, the wall time does not), and two threads checking
for --seconds. The hash is made by the parent and handed over, so making it costs the
measured process nothing. Prints a markdown table (or, with --json, one object a line).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

from argon2 import PasswordHasher

SPACE = 10**6
"""Six decimal digits."""
PIN = "402917"
MEMORY_KIB = (7168, 12288, 19456, 47104, 65536)
TIME_COSTS = (1, 2, 3)
OWASP = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))
"""OWASP's Password Storage Cheat Sheet: the argon2id settings it counts as equally strong
(one lane). Measured beside the grid; --owasp measures only these."""
SLOTS = max(2, os.cpu_count() or 1)
"""As services/kdf.py."""
PINS = (7168, 5, 1)
"""services/pins/service.py (bold in the table)."""
SECRETS = (19456, 2, 1)
"""services/transport/service.py, and the PINs' before (italic in the table)."""


def _status(field: str) -> int:
    """A /proc/self/status field in KiB (VmHWM: the resident peak; VmRSS: now)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def one(memory: int, time_cost: int, lanes: int, digest: str, *, checks: int, threads: int,
        seconds: float, pin: bool) -> dict[str, Any]:
    """Measure one setting in this (fresh) process."""
    pinned = False
    if pin:
        from gongji.services.kdf import PINNED as pinned  # the mmap threshold, as the server

    h = PasswordHasher(time_cost=time_cost, memory_cost=memory, parallelism=lanes)
    base = _status("VmHWM")
    h.verify(digest, PIN)
    alone = _status("VmHWM")
    gate = threading.Barrier(threads)

    def burst() -> None:
        gate.wait()
        h.verify(digest, PIN)

    workers = [threading.Thread(target=burst) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    peak = _status("VmHWM")
    after = _status("VmRSS")

    took, cpu = [], []
    for _ in range(checks):
        start, start_cpu = time.perf_counter(), time.thread_time()
        h.verify(digest, PIN)
        took.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
    took.sort()

    done = [0, 0]
    stop = time.perf_counter() + seconds

    def loop(i: int) -> None:
        while time.perf_counter() < stop:
            h.verify(digest, PIN)
            done[i] += 1

    began = time.perf_counter()
    pair = [threading.Thread(target=loop, args=(i,)) for i in range(2)]
    for w in pair:
        w.start()
    for w in pair:
        w.join()
    elapsed = time.perf_counter() - began

    median = statistics.median(took)
    return {
        "memory_kib": memory, "time_cost": time_cost, "parallelism": lanes,
        "mmap_threshold_pinned": pinned,
        "checks": checks, "median_ms": round(1000 * median, 2),
        "p99_ms": round(1000 * took[min(len(took) - 1, int(0.99 * len(took)))], 2),
        "cpu_ms": round(1000 * statistics.median(cpu), 2),
        "threads": threads, "base_hwm_mib": round(base / 1024, 1),
        "peak_one_check_mib": round((alone - base) / 1024, 1),
        "peak_at_once_mib": round((peak - base) / 1024, 1),
        "peak_per_check_mib": round((peak - base) / 1024 / threads, 1),
        "rss_after_mib": round(after / 1024, 1),
        "two_threads_per_s": round(sum(done) / elapsed, 1),
        "space_one_core_h": round(SPACE * statistics.median(cpu) / 3600, 2),
    }


def table(rows: list[dict[str, Any]], threads: int) -> str:
    lines = [
        "| memory | time cost | median ms | p99 ms | CPU ms | MiB, one check "
        f"| MiB, {threads} at once | checks/s, 2 threads | 10^6 PINs, one core |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cells = [f"{r['memory_kib'] / 1024:.0f} MiB", str(r["time_cost"]),
                 f"{r['median_ms']:.1f}", f"{r['p99_ms']:.1f}", f"{r['cpu_ms']:.1f}",
                 f"{r['peak_one_check_mib']:.1f}", f"{r['peak_at_once_mib']:.1f}",
                 f"{r['two_threads_per_s']:.0f}",
                 f"{r['space_one_core_h']:.1f} h"]
        setting = (r["memory_kib"], r["time_cost"], r["parallelism"])
        if setting == PINS:
            cells = [f"**{c}**" for c in cells]
        elif setting == SECRETS:
            cells = [f"*{c}*" for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--checks", type=int, default=200, help="timed checks per setting")
    ap.add_argument("--threads", type=int, default=SLOTS,
                    help="checks at once for the memory (default: the server's SLOTS)")
    ap.add_argument("--seconds", type=float, default=3.0, help="of the two-thread run")
    ap.add_argument("--memory", type=int, nargs="*", default=list(MEMORY_KIB), help="KiB")
    ap.add_argument("--time-cost", type=int, nargs="*", default=list(TIME_COSTS))
    ap.add_argument("--parallelism", type=int, default=1)
    ap.add_argument("--owasp", action="store_true",
                    help="only OWASP's five equally strong settings, not the grid")
    ap.add_argument("--unpinned", action="store_true",
                    help="leave glibc's mmap threshold dynamic (gongji pins it, kdf.py)")
    ap.add_argument("--json", action="store_true", help="one JSON object a line")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # "memory,time,lanes,digest": a child
    args = ap.parse_args()
    if args.one:
        memory, time_cost, lanes, digest = args.one.split(",", 3)
        print(json.dumps(one(int(memory), int(time_cost), int(lanes), digest,
                             checks=args.checks, threads=args.threads,
                             seconds=args.seconds, pin=not args.unpinned)))
        return
    grid = {(m, t) for m in args.memory for t in args.time_cost}
    if (args.memory, args.time_cost) == (list(MEMORY_KIB), list(TIME_COSTS)):
        grid |= set(OWASP)  # the default grid, and OWASP's two settings it lacks
    grid = set(OWASP) if args.owasp else grid
    rows = []
    for memory, time_cost in sorted(grid):
        digest = PasswordHasher(time_cost=time_cost, memory_cost=memory,
                                parallelism=args.parallelism).hash(PIN)
        out = subprocess.run(
            [sys.executable, __file__, "--one",
             f"{memory},{time_cost},{args.parallelism},{digest}",
             "--checks", str(args.checks), "--threads", str(args.threads),
             "--seconds", str(args.seconds), *(["--unpinned"] if args.unpinned else [])],
            check=True, capture_output=True, text=True).stdout
        row = json.loads(out)
        rows.append(row)
        print(json.dumps(row) if args.json else
              f"{memory // 1024} MiB t={time_cost}: {row['median_ms']} ms",
              file=sys.stdout if args.json else sys.stderr, flush=True)
    if not args.json:
        print(table(rows, args.threads))


if __name__ == "__main__":
    main()
