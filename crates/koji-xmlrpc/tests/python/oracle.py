"""Oracle for koji-xmlrpc's differential tests: the official koji client's codec.

Reads one JSON object from stdin:
  {"dumps": [value, ...], "loads": [document, ...], "json": [value, ...]}
where a value uses the tagged form below, and writes one JSON object to stdout:
  {"dumps": [document, ...], "loads": [value or {"error": str}, ...],
   "json": [[document, text], ...]}

`dumps` marshals each value as a methodResponse with koji.xmlrpcplus.dumps (what the hub
sends); `loads` parses each document (a methodCall) with xmlrpc.client.loads, as patched
by koji.xmlrpcplus (defusedxml), and returns its params as one array value; `json`
marshals each value as `dumps` does, reads the document back as koji's ClientSession
does (koji.xmlrpcplus.getparser) and prints the answer as `koji call --json-output`
does (koji_cli's json.dumps call, with its DatetimeJSONEncoder).

Tagged values: {"n": null}, {"b": bool}, {"i": "123"}, {"d": "repr"}, {"s": str},
{"x": base64}, {"t": "YYYYMMDDTHH:MM:SS"}, {"a": [v, ...]}, {"m": [[key, v], ...]}.
"""
import base64
import datetime
import json
import sys
import xmlrpc.client

import koji.xmlrpcplus


def to_py(v):
    (tag, x), = v.items()
    if tag == "n":
        return None
    if tag == "b":
        return x
    if tag == "i":
        return int(x)
    if tag == "d":
        return float(x)
    if tag == "s":
        return x
    if tag == "x":
        return base64.b64decode(x)
    if tag == "t":
        return datetime.datetime.strptime(x, "%Y%m%dT%H:%M:%S")
    if tag == "a":
        return [to_py(i) for i in x]
    if tag == "m":
        return {k: to_py(i) for k, i in x}
    raise ValueError(tag)


def from_py(v):
    if v is None:
        return {"n": None}
    if isinstance(v, bool):
        return {"b": v}
    if isinstance(v, int):
        return {"i": str(v)}
    if isinstance(v, float):
        return {"d": repr(v)}
    if isinstance(v, str):
        return {"s": v}
    if isinstance(v, (bytes, bytearray)):
        return {"x": base64.b64encode(bytes(v)).decode("ascii")}
    if isinstance(v, datetime.datetime):
        return {"t": "%04d%02d%02dT%02d:%02d:%02d" % (v.year, v.month, v.day, v.hour, v.minute, v.second)}
    if isinstance(v, (list, tuple)):
        return {"a": [from_py(i) for i in v]}
    if isinstance(v, dict):
        return {"m": [[k, from_py(i)] for k, i in v.items()]}
    raise TypeError(type(v))


def main():
    req = json.load(sys.stdin)
    out = {"dumps": [], "loads": []}
    for v in req.get("dumps", []):
        doc = koji.xmlrpcplus.dumps((to_py(v),), methodresponse=1, allow_none=1)
        out["dumps"].append(doc)
    for doc in req.get("loads", []):
        try:
            params, _method = xmlrpc.client.loads(doc.encode("utf-8"), use_builtin_types=True)
            out["loads"].append(from_py(list(params)))
        except Exception as e:  # reported to the Rust side, which decides
            out["loads"].append({"error": "%s: %s" % (type(e).__name__, e)})
    if req.get("json"):
        from koji_cli.lib import DatetimeJSONEncoder
        out["json"] = []
        for v in req["json"]:
            doc = koji.xmlrpcplus.dumps((to_py(v),), methodresponse=1, allow_none=1)
            parser, unmarshaller = koji.xmlrpcplus.getparser()
            parser.feed(doc.encode("utf-8"))
            parser.close()
            answer = unmarshaller.close()[0]
            text = json.dumps(answer, indent=2, separators=(',', ': '), cls=DatetimeJSONEncoder)
            out["json"].append([doc, text])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
