#!/usr/bin/env python3
"""Which files koji 1.36's `download-build` would fetch, and where to.

usage: koji_download_choice.py HUB_URL TOPURL [download-build ARGS...]

Runs the real CLI handler (koji_cli.commands.anon_handle_download_build)
against the hub, with koji_cli.lib.download_file replaced by a recorder, so
nothing is fetched: each file koji would download is printed as one JSON
line {"url": ..., "path": ...} (url relative to TOPURL, path as koji would
write it). Exits with koji's own status when the handler fails.
"""

import json
import optparse
import sys

import koji
from koji_cli import commands, lib

hub, topurl = sys.argv[1], sys.argv[2].rstrip("/")
args = sys.argv[3:]


class Recorded(Exception):
    pass


def record(url, relpath, **_kw):
    rel = url[len(topurl) + 1:] if url.startswith(topurl + "/") else url
    print(json.dumps({"url": rel, "path": relpath}), flush=True)
    raise Recorded()


lib.download_file = record
commands.download_file = record


def wrap(real):
    def run(*a, **kw):
        try:
            real(*a, **kw)
        except Recorded:
            pass
    return run


commands.download_rpm = wrap(lib.download_rpm)
commands.download_archive = wrap(lib.download_archive)

options = optparse.Values({
    "topurl": topurl, "quiet": True, "force_auth": False, "debug": False,
    "poll_interval": 1,
})
session = koji.ClientSession(hub)
commands.anon_handle_download_build(options, session, args)
