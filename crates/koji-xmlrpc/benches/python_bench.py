"""Times the official Python codec on the inputs of koji-xmlrpc's Rust benchmarks.

Run `cargo bench -p koji-xmlrpc --bench codec` first (it writes the inputs to
target/koji-xmlrpc-bench/), then, with the venv of scripts/setup-venv:

    .venv/bin/python crates/koji-xmlrpc/benches/python_bench.py

With `--once PATH` (what `cargo bench --bench ratios` runs each round) it prints
only two CPU times in seconds, each the faster of two runs: `loads` of PATH (the
result's deallocation not counted) and `dumps` of the 10,000-call multicall.

Otherwise it reports the best CPU time (time.thread_time) of several runs of
  * xmlrpc.client.loads (as patched by koji.xmlrpcplus, i.e. what koji's client uses) on
    the 5,000-build listBuilds response, and
  * koji.xmlrpcplus.dumps of the same 10,000-call system.multicall request the Rust
    benchmark encodes (and checks that both encoders produce identical bytes).
"""
import os
import sys
import time
import xmlrpc.client

import koji
import koji.xmlrpcplus

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "target", "koji-xmlrpc-bench")


def best(fn, runs):
    """Best CPU time (like the Rust benchmarks: the machines are shared)."""
    times = []
    for _ in range(runs):
        t = time.thread_time()
        fn()
        times.append(time.thread_time() - t)
    return min(times)


def multicall_calls():
    """The 10,000 calls of the Rust multicall benchmark, as koji's client encodes them."""
    calls = []
    for i in range(10000):
        if i % 2 == 0:
            calls.append({"methodName": "getBuild", "params": koji.encode_args(i)})
        else:
            calls.append({"methodName": "getTaskInfo", "params": koji.encode_args(i, request=True)})
    return calls


def once(path):
    """CPU times in seconds, each the faster of two runs: `loads` of path (the drop of
    the result not counted), then `dumps` of the 10,000-call multicall."""
    with open(path, "rb") as f:
        doc = f.read()
    loads = []
    for _ in range(2):
        t = time.thread_time()
        result = xmlrpc.client.loads(doc)
        loads.append(time.thread_time() - t)
        del result
    calls = multicall_calls()
    dumps = []
    for _ in range(2):
        t = time.thread_time()
        body = koji.xmlrpcplus.dumps((calls,), "system.multicall", allow_none=1)
        dumps.append(time.thread_time() - t)
        del body
    print("%.6f %.6f" % (min(loads), min(dumps)))
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--once":
        return once(sys.argv[2])
    with open(os.path.join(DATA, "listbuilds-5000.xml"), "rb") as f:
        doc = f.read()
    t = best(lambda: xmlrpc.client.loads(doc), 5)
    (builds,), _ = xmlrpc.client.loads(doc)
    print("loads listBuilds-5000: %.1f ms (%d builds, %.1f MB, %.1f MB/s)"
          % (t * 1e3, len(builds), len(doc) / 1e6, len(doc) / 1e6 / t))

    calls = multicall_calls()
    t = best(lambda: koji.xmlrpcplus.dumps((calls,), "system.multicall", allow_none=1), 5)
    body = koji.xmlrpcplus.dumps((calls,), "system.multicall", allow_none=1).encode("utf-8")
    print("dumps multicall-10000: %.2f ms (%d bytes)" % (t * 1e3, len(body)))
    with open(os.path.join(DATA, "multicall-10000.xml"), "rb") as f:
        ours = f.read()
    same = ours == body
    print("Rust MulticallWriter output identical to koji.xmlrpcplus.dumps: %s" % same)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
