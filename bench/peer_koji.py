"""The official koji client's side of bench/compare (BENCHMARKS.md, "Side by
side with the Python peers"): each workload as a koji user writes it.
Prints one JSON line: the time the workload took inside the process
(interpreter start-up and imports excluded) and what it got.

usage:
  peer_koji.py decode URL                    listBuilds(), whole answer
  peer_koji.py sequential URL N              getBuild(1..N), one after another
  peer_koji.py many URL N                    getBuild(1..N), multicall(batch=500)
  peer_koji.py login URL USER PASSWORD N     password login, N getLoggedInUser
  peer_koji.py upload URL USER PASSWORD FILE BLOCKSIZE
                                             password login, uploadWrapper (fastUpload)
"""

import json
import os
import sys
import time

import koji


def report(workload, started, items, **extra):
    out = {"client": "koji", "workload": workload,
           "seconds": round(time.perf_counter() - started, 6), "items": items}
    out.update(extra)
    print(json.dumps(out))


def decode(url):
    session = koji.ClientSession(url)
    started = time.perf_counter()
    builds = session.listBuilds()
    report("decode", started, len(builds))


def sequential(url, n):
    session = koji.ClientSession(url)
    started = time.perf_counter()
    found = sum(1 for i in range(1, n + 1) if session.getBuild(i) is not None)
    report("sequential", started, found)


def many(url, n):
    session = koji.ClientSession(url)
    started = time.perf_counter()
    with session.multicall(batch=500) as m:
        pending = [m.getBuild(i) for i in range(1, n + 1)]
    found = sum(1 for p in pending if p.result is not None)
    report("many", started, found)


def login(url, user, password, n):
    session = koji.ClientSession(url, opts={"user": user, "password": password})
    started = time.perf_counter()
    session.login()
    ok = sum(1 for _ in range(n) if session.getLoggedInUser()["name"] == user)
    session.logout()
    report("login", started, ok)


def upload(url, user, password, path, blocksize):
    from koji_cli.lib import unique_path
    session = koji.ClientSession(url, opts={"user": user, "password": password})
    started = time.perf_counter()
    session.login()
    session.uploadWrapper(path, unique_path("bench-upload"), blocksize=blocksize)
    report("upload", started, os.path.getsize(path))


def main():
    cmd, url = sys.argv[1], sys.argv[2]
    rest = sys.argv[3:]
    if cmd == "decode":
        decode(url)
    elif cmd == "sequential":
        sequential(url, int(rest[0]))
    elif cmd == "many":
        many(url, int(rest[0]))
    elif cmd == "login":
        login(url, rest[0], rest[1], int(rest[2]))
    elif cmd == "upload":
        upload(url, rest[0], rest[1], rest[2], int(rest[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
