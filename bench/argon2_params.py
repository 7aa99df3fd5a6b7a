"""argon2id settings for a 6-digit payment PIN: the time of one check at each memory and time
cost, and what that makes of an offline search of the whole PIN space (docs/PERFORMANCE.md,
"argon2 for a 6-digit PIN").

    python bench/argon2_params.py [--checks 15]
"""

from __future__ import annotations

import argparse
import statistics
import time

from argon2 import PasswordHasher

SPACE = 10**6
"""Six decimal digits."""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checks", type=int, default=15)
    args = ap.parse_args()
    print("memory  time  ms/check  whole space, one core")
    for memory in (7168, 12288, 19456, 47104, 65536):
        for t in (1, 2, 3):
            h = PasswordHasher(time_cost=t, memory_cost=memory, parallelism=1)
            digest = h.hash("123456")
            took = []
            for _ in range(args.checks):
                start = time.perf_counter()
                h.verify(digest, "123456")
                took.append(time.perf_counter() - start)
            median = statistics.median(took)
            print(f"{memory // 1024:>3} MiB  {t:>4}  {1000 * median:8.1f}  "
                  f"{SPACE * median / 3600:8.1f} h")


if __name__ == "__main__":
    main()
