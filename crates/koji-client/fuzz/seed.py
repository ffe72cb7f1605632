#!/usr/bin/env python3
"""Writes seed corpora for the fuzz targets from the recorded bus messages
and a real RPM.

usage: seed.py [CORPUS_DIR]   (default: corpus/, next to this script)

Reads the recorded messages in crates/koji-testenv/data/realhub/messages
(in this repository) and writes:

- corpus/frame/: the raw STOMP frames RabbitMQ delivered (raw_frame_b64),
  plus each frame re-rendered ActiveMQ-style (string headers, JSON body);
- corpus/amqp_value/: the AMQP 1.0 transfer payloads (raw_transfer_payload_b64),
  the AMQP-encoded STOMP bodies and the x-amqp-1.0-app-properties headers;
- corpus/parse/: "topic\\nproperties-json\\nbody" for every protonmsg message
  and every fedora-messaging example;
- corpus/rpm_signature/: the real RPM in koji-client's test fixtures
  (hello-1.3-1.fc40.x86_64.rpm, from Fedora 40), whole and cut after its
  signature header and after its main header's intro, plus the same file
  with SIGMD5 hidden (only the header digests left) and with a payload
  byte changed (SIGMD5 no longer matches).

Nothing here is committed: the corpora are generated on demand.
"""

import base64
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


# A real RPM, carried by koji-client's tests.
RPM = os.path.normpath(
    os.path.join(HERE, "..", "tests", "fixtures", "files", "hello-1.3-1.fc40.x86_64.rpm"))

# The recorded bus messages, carried by koji-testenv.
MESSAGES = os.path.normpath(
    os.path.join(HERE, "..", "..", "koji-testenv", "data", "realhub", "messages"))


def write(root, target, data):
    d = os.path.join(root, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def stomp_escape(text):
    return (text.replace("\\", "\\\\").replace("\n", "\\n")
            .replace("\r", "\\r").replace(":", "\\c"))


def py_str(v):
    if v is None:
        return "None"
    if v is True:
        return "True"
    if v is False:
        return "False"
    return v if isinstance(v, str) else json.dumps(v)


def rpm_seeds():
    """The fixture RPM and a few variants of it (see the module doc)."""
    with open(RPM, "rb") as f:
        rpm = f.read()
    lead = 96

    def extent(at):
        il = int.from_bytes(rpm[at + 8:at + 12], "big")
        dl = int.from_bytes(rpm[at + 12:at + 16], "big")
        return il, 16 + 16 * il + dl

    il, sig_len = extent(lead)
    end = lead + sig_len
    header_start = end + (8 - end % 8) % 8
    seeds = [rpm, rpm[:header_start], rpm[:header_start + 16]]
    # SIGMD5 (tag 1004) renamed to an unknown tag: only SHA1/SHA256 remain.
    no_md5 = bytearray(rpm)
    for i in range(il):
        e = lead + 16 + 16 * i
        if no_md5[e:e + 4] == (1004).to_bytes(4, "big"):
            no_md5[e:e + 4] = (1999).to_bytes(4, "big")
    seeds.append(bytes(no_md5))
    changed = bytearray(rpm)
    changed[-1] ^= 0xff
    seeds.append(bytes(changed))
    return seeds


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    messages = MESSAGES
    counts = {}

    def add(target, data):
        write(root, target, data)
        counts[target] = counts.get(target, 0) + 1

    for name in sorted(os.listdir(os.path.join(messages, "stomp"))):
        with open(os.path.join(messages, "stomp", name)) as f:
            m = json.load(f)
        add("frame", base64.b64decode(m["raw_frame_b64"]))
        add("amqp_value", base64.b64decode(m["body_b64"]))
        for header in m["headers"]:
            if header[0] == "x-amqp-1.0-app-properties":
                add("amqp_value", base64.b64decode(header[2]))
    for name in sorted(os.listdir(os.path.join(messages, "amqp"))):
        with open(os.path.join(messages, "amqp", name)) as f:
            m = json.load(f)
        add("amqp_value", base64.b64decode(m["raw_transfer_payload_b64"]))
        props = m["application_properties"]
        body = m["body"]
        topic = m["receiver_link_source_address"]
        add("parse", b"\n".join([topic.encode(), json.dumps(props).encode(), body.encode()]))
        # The same message as an ActiveMQ-style STOMP bridge delivers it.
        lines = ["MESSAGE", "destination:" + stomp_escape(topic)]
        lines += ["%s:%s" % (stomp_escape(k), stomp_escape(py_str(v))) for k, v in props.items()]
        raw = body.encode()
        lines.append("content-length:%d" % len(raw))
        add("frame", ("\n".join(lines) + "\n\n").encode() + raw + b"\0")
    fedora = os.path.join(messages, "fedora-messaging-examples")
    with open(os.path.join(fedora, "index.json")) as f:
        index = json.load(f)
    for entry in index:
        with open(os.path.join(fedora, entry["file"])) as f:
            wire = json.load(f)["wire"]
        add("parse", b"\n".join([
            wire["topic"].encode(),
            json.dumps(wire["headers"]).encode(),
            json.dumps(wire["body"]).encode(),
        ]))
    for data in rpm_seeds():
        add("rpm_signature", data)
    for target, n in sorted(counts.items()):
        print("%s: %d seeds" % (target, n))


if __name__ == "__main__":
    main()
