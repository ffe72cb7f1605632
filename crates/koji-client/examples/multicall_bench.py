"""The official koji client's side of the multicall benchmark (BENCHMARKS.md,
"koji-client: multicall"): getBuild(1..N) with ClientSession.multicall(batch=B).

usage: python multicall_bench.py URL [N] [BATCH] [RUNS]
"""

import json
import sys
import time

import koji


def main():
    url = sys.argv[1]
    calls = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    session = koji.ClientSession(url)
    for _ in range(runs):
        started = time.perf_counter()
        with session.multicall(batch=batch) as m:
            pending = [m.getBuild(i) for i in range(1, calls + 1)]
        builds = [p.result for p in pending]
        seconds = time.perf_counter() - started
        if len(builds) != calls or any(b is None for b in builds):
            sys.exit("wrong result")
        print(json.dumps({"client": "koji.ClientSession",
                          "calls": calls, "batch": batch, "seconds": round(seconds, 4)}))


if __name__ == "__main__":
    main()
