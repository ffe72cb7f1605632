"""Publishes test messages with the libraries real publishers use.

usage: publish.py (stomp PORT | fedora AMQP_URL | proton URL | declare AMQP_URL) MESSAGES.json

MESSAGES.json is a list; what each entry holds depends on the transport:

- stomp: {"destination", "headers": {name: str}, "body": str}, sent with
  stomp.py as a STOMP 1.2 SEND (persistent);
- fedora: either {"wire": <fedora-messaging message dict>}, sent through
  fedora_messaging.api.publish after fedora_messaging.message.loads (so the
  schema classes of koji-fedoramessaging-messages are used), or
  {"raw": {"routing_key", "headers", "body"}}, sent with pika (the library
  fedora-messaging publishes through) to amq.topic, for messages the schema
  classes would refuse (a malformed body);
- proton: {"address", "properties": {...}, "body": str}, sent as an AMQP
  1.0 message with application properties and an amqp-value string body,
  as Koji's protonmsg plugin does (python3-qpid-proton).

- declare: {"queue", "bindings": [routing keys]}: declares a durable queue
  bound to amq.topic with pika (set-up, not a message).

Prints "sent N" when every entry was handled.
"""

import json
import os
import sys
import tempfile


def publish_stomp(port, messages):
    import stomp

    # RabbitMQ reads the CONNECT host header as the virtual host.
    conn = stomp.Connection12([("127.0.0.1", int(port))], heartbeats=(0, 0), vhost="/")
    conn.connect("guest", "guest", wait=True)
    for m in messages:
        headers = dict(m["headers"])
        headers["persistent"] = "true"
        conn.send(m["destination"], m["body"], headers=headers)
    # A receipt makes sure the broker has taken everything before we go.
    conn.disconnect(receipt="bye")


def publish_fedora(url, messages):
    from fedora_messaging import api, config, message
    import pika

    conf_dir = tempfile.mkdtemp(prefix="fedmsg-conf-")
    conf = os.path.join(conf_dir, "config.toml")
    with open(conf, "w") as f:
        f.write('amqp_url = "%s"\n' % url)
        f.write('publish_exchange = "amq.topic"\n')
        f.write('topic_prefix = ""\n')
        f.write("[tls]\nca_cert = \"\"\nkeyfile = \"\"\ncertfile = \"\"\n")
    os.environ["FEDORA_MESSAGING_CONF"] = conf
    config.conf.load_config(conf)
    raw_conn = None
    for m in messages:
        if "wire" in m:
            # One JSON object per line is fedora-messaging's file format.
            (msg,) = message.loads(json.dumps(m["wire"]))
            api.publish(msg)
        else:
            raw = m["raw"]
            if raw_conn is None:
                raw_conn = pika.BlockingConnection(pika.URLParameters(url))
                channel = raw_conn.channel()
                channel.confirm_delivery()
            channel.basic_publish(
                exchange="amq.topic",
                routing_key=raw["routing_key"],
                body=raw["body"].encode("utf-8"),
                properties=pika.BasicProperties(
                    content_type="application/json",
                    content_encoding="utf-8",
                    delivery_mode=2,
                    headers=raw["headers"],
                ),
            )
    if raw_conn is not None:
        raw_conn.close()


def publish_proton(url, messages):
    from proton import Message
    from proton.utils import BlockingConnection

    conn = BlockingConnection(url)
    senders = {}
    for m in messages:
        address = m["address"]
        if address not in senders:
            senders[address] = conn.create_sender(address)
        # Like protonmsg: properties=props, body=the JSON text.
        senders[address].send(Message(properties=m["properties"], body=m["body"]))
    conn.close()


def declare(url, queues):
    import pika

    conn = pika.BlockingConnection(pika.URLParameters(url))
    channel = conn.channel()
    for q in queues:
        channel.queue_declare(queue=q["queue"], durable=True)
        for key in q["bindings"]:
            channel.queue_bind(queue=q["queue"], exchange="amq.topic", routing_key=key)
    conn.close()


def main():
    kind, where, path = sys.argv[1:4]
    with open(path) as f:
        messages = json.load(f)
    actions = {
        "stomp": publish_stomp,
        "fedora": publish_fedora,
        "proton": publish_proton,
        "declare": declare,
    }
    actions[kind](
        where, messages
    )
    print("sent %d" % len(messages))


if __name__ == "__main__":
    main()
