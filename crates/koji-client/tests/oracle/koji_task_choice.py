#!/usr/bin/env python3
"""Which files koji 1.36's `download-task` or `download-logs` would fetch,
and where to.

usage: koji_task_choice.py HUB_URL TOPURL download-task|download-logs [ARGS...]

Runs the real CLI handler against the hub with nothing fetched, and prints
one JSON line {"url": ..., "path": ...} per file koji would download (url
relative to TOPURL, path as koji would write it, relative to the current
directory):

- download-task and download-logs of a build fetch from the file tree
  through koji_cli's download_file, replaced by a recorder;
- download-logs of a task reads logs over XML-RPC (downloadTaskOutput):
  that call is answered with no bytes, and its file is named by the path
  koji announces ("Downloading: PATH") and by the tree URL the same file
  has below TOPURL (koji.PathInfo.work + taskrelpath).
Exits with koji's own status when the handler fails.
"""

import io
import json
import optparse
import os
import sys

import koji
from koji_cli import commands

hub, topurl, command = sys.argv[1], sys.argv[2].rstrip("/"), sys.argv[3]
args = sys.argv[4:]
out = sys.stdout
pathinfo = koji.PathInfo(topdir=topurl)


def emit(url, path):
    rel = url[len(topurl) + 1:] if url.startswith(topurl + "/") else url
    path = os.path.relpath(path) if os.path.isabs(path) else os.path.normpath(path)
    out.write(json.dumps({"url": rel, "path": path}) + "\n")
    out.flush()


def record(url, relpath, **_kw):
    emit(url, relpath)


commands.download_file = record


class Announced(io.StringIO):
    """koji's own messages; remembers the last file it announced."""
    last = None

    def write(self, text):
        for line in text.splitlines():
            for prefix in ("Downloading: ", "Continuing: "):
                if line.startswith(prefix):
                    Announced.last = line[len(prefix):]
        return len(text)


class Session(koji.ClientSession):
    def downloadTaskOutput(self, taskID, fileName, offset=0, size=-1, volume=None):
        if offset == 0:
            emit("%s/%s/%s" % (pathinfo.work(volume), pathinfo.taskrelpath(taskID), fileName),
                 Announced.last)
        return ""


options = optparse.Values({
    "topurl": topurl, "quiet": True, "force_auth": False, "debug": False,
    "poll_interval": 1,
})
session = Session(hub)
sys.stdout = Announced()
try:
    if command == "download-task":
        commands.anon_handle_download_task(options, session, args)
    elif command == "download-logs":
        commands.anon_handle_download_logs(options, session, args)
    else:
        sys.exit("unknown command " + command)
finally:
    sys.stdout = out
