#!/usr/bin/env python3
"""Replays the real hub's recorded anonymous exchanges against another hub
with the official koji client, and compares what the client gets from it
with what the recorded answer decodes to.

Usage: replay.py HUB_URL EXCHANGES_DIR

Requests that koji's own encoder produces byte for byte are sent through
koji.ClientSession (so the client's decoding, fault conversion and
unwrapping apply); the others (hand-crafted bodies, odd paths, headers or
HTTP methods) are sent raw with the recorded method, path and headers.
Answers are decoded with xmlrpc.client and compared in member order.
Multicall tracebacks are compared by their last line only (the rest names
files and lines of the recording hub's installation).

Prints a JSON summary on stdout; exits 1 if anything differs.
"""

import http.client
import json
import os
import sys
import urllib.parse
import xmlrpc.client

import koji
import koji.xmlrpcplus

GROUPS = {
    "basics", "echo", "builds", "listBuilds", "tasks", "listTasks", "tags", "targets",
    "channels-hosts", "packages-users", "faults", "multicall", "http", "login (appended)",
}

EXCLUDED = {
    "010-system.listMethods":
        "lists the real hub's 321 methods; the test hub lists the ones it serves",
    "011-_listapi": "the real hub's API description with docstrings; not served",
    "013-system.methodHelp":
        "the answer quotes the hub's docstring; the test hub gives the signature line only",
    "148-getTag-event-before": "the data set has no tag creation events",
    "171-getFullInheritance-event": "the data set has no inheritance history",
    "267-http-path-ssllogin-anon-http":
        "an Apache mod_auth_gssapi 401 page, not a hub answer",
}


def norm(v):
    """A comparable form that keeps types, float reprs and member order."""
    if isinstance(v, bool):
        return ["bool", v]
    if isinstance(v, int):
        return ["int", v]
    if isinstance(v, float):
        return ["float", repr(v)]
    if isinstance(v, xmlrpc.client.Binary):
        return ["binary", v.data.hex()]
    if isinstance(v, xmlrpc.client.DateTime):
        return ["datetime", v.value]
    if isinstance(v, (list, tuple)):
        return ["list", [norm(x) for x in v]]
    if isinstance(v, dict):
        items = []
        for k, x in v.items():
            if k == "traceback" and isinstance(x, list):
                x = x[-1:]
            items.append([k, norm(x)])
        return ["dict", items]
    if v is None:
        return ["none"]
    return ["str", v]


def decode_body(status, ctype, body):
    if status == 200 and ctype.startswith("text/xml"):
        try:
            result, _ = xmlrpc.client.loads(body)
            return {"ok": norm(result[0])}
        except xmlrpc.client.Fault as f:
            return {"fault": [f.faultCode, f.faultString]}
    return {"http": [status, body.decode("utf-8", "replace")]}


def read_head(path):
    with open(path, "rb") as f:
        lines = f.read().decode("iso-8859-1").split("\r\n")
    return lines[0], [tuple(h.split(": ", 1)) for h in lines[1:] if h]


def raw(url, method, target, headers, body):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", u.netloc)
    for k, v in headers:
        if k.lower() != "host":
            conn.putheader(k, v)
    conn.endheaders(body if body else None)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return decode_body(r.status, r.getheader("Content-Type") or "", data)


def through_client(url, body):
    params, method = xmlrpc.client.loads(body)
    args, kwargs = koji.decode_args(*params)
    session = koji.ClientSession(url, opts={"max_retries": 0, "anon_retry": False,
                                            "timeout": 120})
    try:
        result = session._callMethod(method, args, kwargs)
        return {"ok": norm(result)}
    except koji.GenericError as e:
        return {"fault": [e.faultCode, str(e)]}
    except xmlrpc.client.Fault as f:
        return {"fault": [f.faultCode, f.faultString]}


def main():
    url, exdir = sys.argv[1], sys.argv[2]
    with open(os.path.join(exdir, "index.json")) as f:
        index = json.load(f)["exchanges"]
    compared, via_client, diffs, excluded = 0, 0, [], []
    for e in index:
        if e["auth"] != "anonymous" or e["group"] not in GROUPS:
            continue
        p = e["prefix"]
        if p in EXCLUDED:
            excluded.append({"prefix": p, "reason": EXCLUDED[p]})
            continue
        base = os.path.join(exdir, p)
        with open(base + ".request.xml", "rb") as f:
            body = f.read()
        with open(base + ".response.xml", "rb") as f:
            recorded_body = f.read()
        line, headers = read_head(base + ".request-headers.txt")
        _, rheaders = read_head(base + ".response-headers.txt")
        rstatus = int(open(base + ".response-headers.txt", "rb").read().split(b" ")[1])
        rctype = dict((k.lower(), v) for k, v in rheaders).get("content-type", "")
        want = decode_body(rstatus, rctype, recorded_body)
        method, target, _ = line.split(" ")
        standard = (
            method == "POST" and target == "/kojihub" and rstatus == 200
            and dict((k.lower(), v) for k, v in headers).get("content-type") == "text/xml"
            and not any(k.lower().startswith("koji-") for k, _ in headers)
        )
        if standard:
            try:
                params, name = xmlrpc.client.loads(body)
                standard = koji.xmlrpcplus.dumps(params, name, allow_none=1).encode() == body
            except Exception:
                standard = False
        if standard:
            got = through_client(url, body)
            via_client += 1
        else:
            got = raw(url, method, target, headers, body)
        compared += 1
        if got != want:
            diffs.append({"prefix": p, "got": got, "want": want})
    print(json.dumps({"compared": compared, "through_client": via_client,
                      "diffs": diffs, "excluded": excluded}, indent=1))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
