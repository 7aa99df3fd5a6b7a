"""Benchmark: the pure settlement engine, fee lines per second on one core.

    python bench/engine.py [--settlements 20000]

(`gongji bench` runs it too, beside everything else.) Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json

from gongji.benchmark.engine import engine_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--settlements", type=int, default=20000)
    args = parser.parse_args()
    print(json.dumps({"benchmark": "engine", **engine_rate(args.settlements)}))


if __name__ == "__main__":
    main()
