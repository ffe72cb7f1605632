//! The AMQP 1.0 receiver against a real RabbitMQ (rabbitmq_amqp1_0), fed by
//! python3-qpid-proton exactly as Koji's protonmsg plugin sends (application
//! properties + JSON string body) with the 56 recorded messages.
#![cfg(feature = "amqp1")]
#![allow(clippy::unwrap_used)]

mod bus;

use std::time::Duration;

use bus::rabbitmq::RabbitMq;
use bus::{
    Inbox, Recorded, RecordedExt, fingerprint, proton_python, publish, recorded, venv_python,
};
use koji_client::messages::amqp1::{Amqp1Config, receive};
use koji_client::messages::{Backoff, Dialect};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);
const QUEUE: &str = "koji-client-amqp1-test";

fn probe(i: u32) -> Value {
    json!({"address": "/topic/koji.probe", "properties": {"type": "Probe"},
           "body": json!({"probe": i}).to_string()})
}

fn malformed() -> Value {
    json!({"address": "/topic/koji.task.open",
           "properties": {"type": "TaskStateChange", "old": "FREE", "new": "OPEN"},
           "body": "{\"attribute\": \"state\", \"info\": [unterminated"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amqp1_receiver_gets_every_protonmsg_message_across_a_broker_restart() {
    let proton = proton_python();
    let setup = venv_python();
    let messages = recorded();
    let mut broker = RabbitMq::start();
    // A durable queue bound to Koji's topics keeps messages while the
    // receiver is away (UMB consumers read such queues too).
    publish(
        &setup,
        "declare",
        &broker.amqp_url(),
        &[json!({"queue": QUEUE, "bindings": ["koji.#"]})],
    );
    let url = format!("amqp://guest:guest@127.0.0.1:{}", broker.amqp_port);
    let config = Amqp1Config::new(url.as_str(), format!("/amq/queue/{QUEUE}")).backoff(Backoff {
        initial: Duration::from_millis(100),
        max: Duration::from_secs(1),
        factor: 2.0,
    });
    let mut inbox = Inbox::new(receive(config).unwrap());
    bus::wait_until_subscribed(&mut inbox, |i| {
        publish(&proton, "proton", &url, &[probe(i)])
    })
    .await;

    let (first, second) = messages.split_at(messages.len() / 2);
    let mut batch: Vec<Value> = first.iter().map(Recorded::as_proton).collect();
    batch.insert(first.len() / 2, malformed());
    tokio::task::block_in_place(|| publish(&proton, "proton", &url, &batch));
    let got = inbox.take(first.len(), WAIT).await;
    for (g, w) in got.iter().zip(first) {
        let want = w.event();
        assert_eq!(g.meta().dialect, Dialect::Protonmsg);
        assert_eq!(fingerprint(g), fingerprint(&want), "message {}", w.seq);
        // Typed AMQP properties arrive as sent.
        assert_eq!(
            g.meta().properties,
            want.meta().properties,
            "message {}",
            w.seq
        );
    }

    tokio::task::block_in_place(|| broker.restart());
    let batch: Vec<Value> = second.iter().map(Recorded::as_proton).collect();
    tokio::task::block_in_place(|| publish(&proton, "proton", &url, &batch));
    let got = inbox.take(second.len(), WAIT).await;
    for (g, w) in got.iter().zip(second) {
        assert_eq!(fingerprint(g), fingerprint(&w.event()), "message {}", w.seq);
    }
    assert!(inbox.next(Duration::from_secs(2)).await.is_none());
}
