"""txkoji's side of bench/compare (BENCHMARKS.md, "Side by side with the
Python peers"): each workload as txkoji's README and example scripts write
it. Prints one JSON line: the time the workload took inside the process
(interpreter start-up and imports excluded) and what it got.

usage:
  peer_txkoji.py decode URL                  call('listBuilds'), whole answer
  peer_txkoji.py sequential URL N            getBuild(1..N), one after another
  peer_txkoji.py many URL N [CONCURRENCY]    getBuild(1..N), CONCURRENCY calls
                                             in flight (txkoji has no multicall)
  peer_txkoji.py dashboard URL CHANNEL       estimate_completion() of every
                                             FREE or OPEN task of the channel

txkoji 0.10.0 reads the hub URL from a koji profile only (~/.koji/config.d or
/etc/koji.conf.d), so this script writes a profile "bench" into a temporary
HOME. txkoji imports twisted.web.xmlrpc._QueryFactory, which Twisted 21.2.0
renamed to QueryFactory (same class, same constructor); the last Twisted with
the old name, 20.3.0, does not build on Python 3.11. The alias below is the
only adaptation.
"""

import json
import os
import sys
import tempfile
import time
import warnings

warnings.simplefilter("ignore", DeprecationWarning)

import twisted.web.xmlrpc  # noqa: E402

if not hasattr(twisted.web.xmlrpc, "_QueryFactory"):
    twisted.web.xmlrpc._QueryFactory = twisted.web.xmlrpc.QueryFactory

from twisted.internet import defer  # noqa: E402
from twisted.internet.task import react  # noqa: E402

from txkoji import Connection, task_states  # noqa: E402


def profile(url):
    home = tempfile.mkdtemp(prefix="txkoji-bench-")
    os.makedirs(os.path.join(home, ".koji", "config.d"))
    with open(os.path.join(home, ".koji", "config.d", "bench.conf"), "w") as f:
        f.write("[bench]\nserver = %s\nweburl = http://127.0.0.1/koji\n" % url)
    os.environ["HOME"] = home
    os.environ["XDG_CACHE_HOME"] = os.path.join(home, ".cache")
    return Connection("bench")


def report(workload, started, items, **extra):
    out = {"client": "txkoji", "workload": workload,
           "seconds": round(time.perf_counter() - started, 6), "items": items}
    out.update(extra)
    print(json.dumps(out))


@defer.inlineCallbacks
def decode(koji):
    started = time.perf_counter()
    builds = yield koji.call("listBuilds")
    report("decode", started, len(builds))


@defer.inlineCallbacks
def sequential(koji, n):
    started = time.perf_counter()
    found = 0
    for i in range(1, n + 1):
        build = yield koji.getBuild(i)
        if build is not None:
            found += 1
    report("sequential", started, found)


@defer.inlineCallbacks
def many(koji, n, concurrency):
    started = time.perf_counter()
    sem = defer.DeferredSemaphore(concurrency)
    results = yield defer.gatherResults(
        [sem.run(koji.getBuild, i) for i in range(1, n + 1)], consumeErrors=True)
    found = sum(1 for b in results if b is not None)
    report("many", started, found, concurrency=concurrency)


@defer.inlineCallbacks
def dashboard(koji, channel_id):
    started = time.perf_counter()
    channel = yield koji.getChannel(channel_id)
    tasks = yield channel.tasks(state=[task_states.FREE, task_states.OPEN])

    class Failed(object):
        """A task txkoji could not estimate, and why (NotImplementedError
        for a FREE task in a full channel, NoDescendentsError, …)."""

        def __init__(self, failure):
            self.why = failure.value

    estimates = yield defer.gatherResults(
        [t.estimate_completion().addErrback(Failed) for t in tasks])
    estimated = sum(1 for e in estimates
                    if e is not None and not isinstance(e, Failed))
    report("dashboard", started, len(tasks), estimated=estimated)


def main(reactor):
    cmd, url = sys.argv[1], sys.argv[2]
    rest = sys.argv[3:]
    koji = profile(url)
    if cmd == "decode":
        return decode(koji)
    if cmd == "sequential":
        return sequential(koji, int(rest[0]))
    if cmd == "many":
        return many(koji, int(rest[0]), int(rest[1]) if len(rest) > 1 else 64)
    if cmd == "dashboard":
        return dashboard(koji, int(rest[0]))
    sys.exit(__doc__)


if __name__ == "__main__":
    react(main)
