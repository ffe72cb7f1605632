//! The STOMP subscriber against a real RabbitMQ (rabbitmq_stomp), fed by
//! stomp.py with the recorded messages as an ActiveMQ-style bridge delivers
//! them (every property a string header, JSON body), and by qpid-proton the
//! way Koji's protonmsg publishes (which RabbitMQ hands to STOMP still
//! AMQP 1.0 encoded).
#![cfg(feature = "stomp")]
#![allow(clippy::unwrap_used)]

mod bus;

use std::time::Duration;

use bus::rabbitmq::{RabbitMq, TestCerts};
use bus::{
    Inbox, Recorded, RecordedExt, fingerprint, proton_python, publish, recorded, venv_python,
};
use koji_client::messages::stomp::{StompConfig, TlsConfig, subscribe};
use koji_client::messages::{Backoff, KojiEvent};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

fn probe(i: u32) -> Value {
    json!({"destination": "/topic/koji.probe", "headers": {"type": "Probe"},
           "body": json!({"probe": i}).to_string()})
}

fn malformed() -> Value {
    json!({"destination": "/topic/koji.build.complete",
           "headers": {"type": "BuildStateChange", "new": "COMPLETE", "old": "BUILDING"},
           "body": "{\"attribute\": \"state\", \"info\": {this is not JSON"})
}

fn config(broker: &RabbitMq) -> StompConfig {
    StompConfig::new("127.0.0.1", broker.stomp_port)
        .credentials("guest", "guest")
        .vhost("/")
        .destination("/topic/koji.#")
        .durable("koji-client-test")
        .heartbeat(Duration::from_secs(1))
        .backoff(Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
            factor: 2.0,
        })
}

fn assert_same(got: &[KojiEvent], want: &[Recorded]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert_eq!(fingerprint(g), fingerprint(&w.event()), "message {}", w.seq);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stomp_subscriber_gets_every_message_across_a_broker_restart() {
    let python = venv_python();
    let messages = recorded();
    let mut broker = RabbitMq::start();
    let port = broker.stomp_port.to_string();
    let mut inbox = Inbox::new(subscribe(config(&broker)).unwrap());
    bus::wait_until_subscribed(&mut inbox, |i| {
        publish(&python, "stomp", &port, &[probe(i)])
    })
    .await;

    // First half, with a malformed message in the middle: it is skipped and
    // the next one still arrives.
    let (first, second) = messages.split_at(messages.len() / 2);
    let mut batch: Vec<Value> = first.iter().map(Recorded::as_stomp).collect();
    batch.insert(first.len() / 2, malformed());
    tokio::task::block_in_place(|| publish(&python, "stomp", &port, &batch));
    let got = inbox.take(first.len(), WAIT).await;
    assert_same(&got, first);

    // Kill the broker, bring it back, publish at once: the durable
    // subscription keeps what arrives before the subscriber is back.
    tokio::task::block_in_place(|| broker.restart());
    let batch: Vec<Value> = second.iter().map(Recorded::as_stomp).collect();
    tokio::task::block_in_place(|| publish(&python, "stomp", &port, &batch));
    let got = inbox.take(second.len(), WAIT).await;
    assert_same(&got, second);

    // Nothing else is pending: no duplicate, no stray event.
    assert!(inbox.next(Duration::from_secs(2)).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stomp_subscriber_reads_protonmsg_messages_through_rabbitmq() {
    // Koji's plugin publishes over AMQP 1.0; RabbitMQ hands the message to
    // STOMP subscribers AMQP 1.0-encoded (binary header + encoded body).
    let python = proton_python();
    let messages = recorded();
    let broker = RabbitMq::start();
    let url = format!("amqp://127.0.0.1:{}", broker.amqp_port);
    let mut inbox = Inbox::new(subscribe(config(&broker)).unwrap());
    let proton_probe = |i: u32| {
        json!({"address": "/topic/koji.probe", "properties": {"type": "Probe"},
               "body": json!({"probe": i}).to_string()})
    };
    bus::wait_until_subscribed(&mut inbox, |i| {
        publish(&python, "proton", &url, &[proton_probe(i)]);
    })
    .await;
    let batch: Vec<Value> = messages
        .iter()
        .map(|m| json!({"address": m.address, "properties": m.properties, "body": m.body}))
        .collect();
    tokio::task::block_in_place(|| publish(&python, "proton", &url, &batch));
    let got = inbox.take(messages.len(), WAIT).await;
    for (g, w) in got.iter().zip(&messages) {
        // Identical to parsing the recorded message: properties included.
        let want = w.event();
        assert_eq!(fingerprint(g), fingerprint(&want), "message {}", w.seq);
        assert_eq!(
            g.meta().properties,
            want.meta().properties,
            "message {}",
            w.seq
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stomp_subscriber_logs_in_with_a_tls_client_certificate() {
    // The broker's TLS listener demands a client certificate signed by the
    // test CA; ours is one PEM file holding certificate and key, like
    // Koji's `cert` option.
    let python = venv_python();
    let certs = TestCerts::new();
    let broker = RabbitMq::start_with_tls(&certs);
    let port = broker.stomp_port.to_string();
    let config = StompConfig::new("127.0.0.1", broker.stomp_tls_port.unwrap())
        .tls(
            TlsConfig::new()
                .ca_file(&certs.ca)
                .cert_file(&certs.client)
                .server_name("localhost"),
        )
        .credentials("guest", "guest")
        .vhost("/")
        .destination("/topic/koji.#")
        .heartbeat(Duration::from_secs(1));
    let mut inbox = Inbox::new(subscribe(config).unwrap());
    bus::wait_until_subscribed(&mut inbox, |i| {
        publish(&python, "stomp", &port, &[probe(i)])
    })
    .await;
    let messages = recorded();
    let some = &messages[..10];
    let batch: Vec<Value> = some.iter().map(Recorded::as_stomp).collect();
    tokio::task::block_in_place(|| publish(&python, "stomp", &port, &batch));
    assert_same(&inbox.take(some.len(), WAIT).await, some);
}
