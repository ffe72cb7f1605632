//! koji-testhub's simulated builder publishing to a real RabbitMQ: a build
//! submitted to the test hub runs to its end and koji-client's STOMP and
//! AMQP 1.0 consumers receive every state change, in the order the hub
//! published it, with the body it published.
#![cfg(all(feature = "stomp", feature = "amqp1"))]
#![allow(clippy::unwrap_used)]

mod bus;

use std::time::Duration;

use bus::Inbox;
use bus::rabbitmq::RabbitMq;
use koji_client::Connection;
use koji_client::messages::KojiEvent;
use koji_client::messages::amqp1::{Amqp1Config, receive};
use koji_client::messages::stomp::{StompConfig, subscribe};
use koji_testhub::{Published, RunningHub, TestHub};

const WAIT: Duration = Duration::from_secs(30);
const SCM: &str = "git+https://git.example.org/rpms/hello.git#0123456789abcdef";

async fn submit(koji: &Connection) -> i64 {
    koji.build(SCM, "f40-candidate")
        .send()
        .await
        .unwrap()
        .task_id
}

/// Submits builds (each publishes `task.free`) until the consumer gets
/// one: it is then subscribed. Drains what follows.
async fn wait_until_subscribed(inbox: &mut Inbox, koji: &Connection) {
    for _ in 0..120 {
        submit(koji).await;
        if inbox.next(Duration::from_millis(500)).await.is_some() {
            while inbox.next(Duration::from_millis(500)).await.is_some() {}
            return;
        }
    }
    panic!("the consumer never received a message");
}

fn same(got: &KojiEvent, want: &Published) {
    let body: serde_json::Value = serde_json::from_str(&want.body).unwrap();
    assert_eq!(got.meta().body, body, "{}", want.topic);
    // STOMP gives the destination; AMQP 1.0 messages carry no address (as
    // protonmsg's do not), so the consumer reports its source pattern
    let topic = got.meta().topic.clone().unwrap_or_default();
    assert!(
        topic.ends_with(&want.topic) || topic == "/topic/koji.#",
        "{topic} vs {}",
        want.topic
    );
}

async fn run_and_compare(hub: &RunningHub, inbox: &mut Inbox, koji: &Connection) {
    wait_until_subscribed(inbox, koji).await;
    // the probe builds run too: only what follows this point is compared
    let before = hub.published().len();
    let root = submit(koji).await;
    let mut steps = 0;
    while hub.step_builder() {
        steps += 1;
    }
    assert!(steps > 3);
    let sent: Vec<Published> = hub.published().split_off(before);
    let got = inbox.take(sent.len(), WAIT).await;
    for (g, w) in got.iter().zip(&sent) {
        same(g, w);
    }
    // the root's own changes, in order
    let states: Vec<String> = got
        .iter()
        .filter_map(|e| match e {
            KojiEvent::TaskStateChange(t) if t.task.id == Some(root) => {
                t.new.as_str().map(str::to_owned)
            }
            _ => None,
        })
        .collect();
    assert_eq!(states, ["FREE", "OPEN", "CLOSED"]);
    let builds: Vec<&str> = got
        .iter()
        .map(|e| e.kind_name())
        .filter(|k| k.starts_with("Build"))
        .collect();
    assert!(builds.len() >= 2, "{builds:?}");
    assert!(inbox.next(Duration::from_millis(500)).await.is_none());
}

async fn hub(broker: &RabbitMq) -> RunningHub {
    TestHub::builder()
        .password("alice", "pw")
        .broker(&broker.amqp_url())
        .start()
        .await
        .unwrap()
}

async fn alice(hub: &RunningHub) -> Connection {
    let koji = Connection::builder(hub.url()).no_proxy().build().unwrap();
    koji.login_password("alice", "pw").await.unwrap();
    koji
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stomp_consumer_receives_a_simulated_build_in_order() {
    let broker = RabbitMq::start();
    let hub = hub(&broker).await;
    let koji = alice(&hub).await;
    let config = StompConfig::new("127.0.0.1", broker.stomp_port)
        .credentials("guest", "guest")
        .vhost("/")
        .destination("/topic/koji.#");
    let mut inbox = Inbox::new(subscribe(config).unwrap());
    run_and_compare(&hub, &mut inbox, &koji).await;
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amqp1_consumer_receives_a_simulated_build_in_order() {
    let broker = RabbitMq::start();
    let hub = hub(&broker).await;
    let koji = alice(&hub).await;
    let url = format!("amqp://guest:guest@127.0.0.1:{}", broker.amqp_port);
    let config = Amqp1Config::new(url, "/topic/koji.#");
    let mut inbox = Inbox::new(receive(config).unwrap());
    run_and_compare(&hub, &mut inbox, &koji).await;
    hub.shutdown().await;
}
