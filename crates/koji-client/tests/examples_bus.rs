//! The `watch_bus` example against a real RabbitMQ (its STOMP adapter),
//! fed by stomp.py with the recorded realhub messages, and koji-testhub for
//! the names: every message must come out as the chat line the library
//! makes of it, with the owners and tags the messages only carry as ids
//! named through the hub.
#![cfg(all(
    feature = "real-services",
    feature = "python-oracle",
    feature = "stomp"
))]
#![allow(clippy::unwrap_used)]

#[path = "examples_support/mod.rs"]
mod examples_support;

mod bus;

use std::time::Duration;

use bus::rabbitmq::RabbitMq;
use bus::{Recorded, RecordedExt, WEB, publish, recorded, venv_python};
use examples_support::examples;
use koji_client::Connection;
use koji_client::cache::NameCache;
use koji_testhub::TestHub;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_bus_prints_each_message_with_names_from_the_hub() {
    let python = venv_python();
    let messages = recorded();
    let broker = tokio::task::block_in_place(RabbitMq::start);
    let hub = TestHub::builder().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("koji.conf");
    // The links in the lines come from the profile's weburl.
    std::fs::write(
        &config,
        format!("[testhub]\nserver = {}\nweburl = {WEB}\n", hub.url()),
    )
    .unwrap();

    // What the library makes of each message, names resolved on the hub.
    let koji = Connection::builder(hub.url()).no_proxy().build().unwrap();
    let names = NameCache::with_dir(dir.path().join("expected-names"), "testhub").unwrap();
    let mut want = Vec::new();
    let mut resolved_some = false;
    for message in &messages {
        let mut event = message.event();
        let bare = event.summary(Some(WEB));
        event.resolve_names(&names.resolver(&koji)).await.unwrap();
        let line = event.summary(Some(WEB));
        resolved_some |= line != bare;
        want.push(line);
    }
    assert!(
        resolved_some,
        "no recorded message names a user or tag by id"
    );

    let exe = tokio::task::spawn_blocking(|| examples().get("watch_bus").cloned())
        .await
        .unwrap()
        .expect("example watch_bus was not built");
    let port = broker.stomp_port.to_string();
    let mut child = tokio::process::Command::new(exe)
        .arg("-c")
        .arg(&config)
        .args(["-p", "testhub", "--broker"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["--login", "guest", "--vhost", "/"])
        .arg("--cache-dir")
        .arg(dir.path().join("names"))
        .env("STOMP_PASSCODE", "guest")
        .env("HOME", dir.path())
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("all_proxy")
        .env_remove("ALL_PROXY")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();

    // Probe until the example is subscribed (it prints the probe's line).
    let mut subscribed = false;
    for i in 0..120 {
        let probe = json!({"destination": "/topic/koji.probe", "headers": {"type": "Probe"},
                           "body": json!({"probe": i}).to_string()});
        tokio::task::block_in_place(|| publish(&python, "stomp", &port, &[probe]));
        if let Ok(Ok(Some(_))) =
            tokio::time::timeout(Duration::from_millis(500), lines.next_line()).await
        {
            subscribed = true;
            break;
        }
    }
    assert!(subscribed, "watch_bus never printed a probe's line");

    let batch: Vec<_> = messages.iter().map(Recorded::as_stomp).collect();
    tokio::task::block_in_place(|| publish(&python, "stomp", &port, &batch));
    // Late probes' lines come first; then every message, in order.
    let mut got = Vec::new();
    while got.len() < want.len() {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("watch_bus stopped printing")
            .unwrap()
            .expect("watch_bus exited");
        if got.is_empty() && line != want[0] {
            continue;
        }
        got.push(line);
    }
    assert_eq!(got, want);
    child.kill().await.unwrap();
}
