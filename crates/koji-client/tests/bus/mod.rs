//! Shared pieces of the broker tests: the recorded messages, the Python
//! publishers and the broker (from koji-testenv, which rkoji's tests use
//! too), and an inbox that collects a consumer's events.
#![allow(dead_code, unused_imports, clippy::unwrap_used, unreachable_pub)]

pub use koji_testenv::bus::{
    Recorded, fedora_examples, messages_dir, proton_python, publish, recorded, venv_python,
};
pub use koji_testenv::rabbitmq;

use std::time::Duration;

use futures_util::{Stream, StreamExt};
use koji_client::messages::{ConsumerError, KojiEvent, parse};
use serde_json::Value;
use tokio::sync::mpsc;

pub const WEB: &str = "https://koji.example.com/koji";

/// The event a recorded message is, parsed directly.
pub trait RecordedExt {
    fn event(&self) -> KojiEvent;
}

impl RecordedExt for Recorded {
    fn event(&self) -> KojiEvent {
        parse(Some(&self.address), &self.properties, self.body.as_bytes()).unwrap()
    }
}

/// What two events must share to be "the same message": kind, the whole
/// decoded body, and what the typed fields say (through the summary).
pub fn fingerprint(event: &KojiEvent) -> (String, String, Value) {
    (
        event.kind_name().to_owned(),
        event.summary(Some(WEB)),
        event.meta().body.clone(),
    )
}

/// Collects a consumer's events in a background task.
pub struct Inbox {
    rx: mpsc::UnboundedReceiver<Result<KojiEvent, ConsumerError>>,
    task: tokio::task::JoinHandle<()>,
}

impl Inbox {
    pub fn new<S>(stream: S) -> Inbox
    where
        S: Stream<Item = Result<KojiEvent, ConsumerError>> + Send + 'static,
    {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            futures_util::pin_mut!(stream);
            while let Some(event) = stream.next().await {
                if tx.send(event).is_err() {
                    break;
                }
            }
        });
        Inbox { rx, task }
    }

    /// The next event, or `None` if none came within `wait`; a consumer
    /// that stopped with an error fails the test.
    pub async fn next(&mut self, wait: Duration) -> Option<KojiEvent> {
        let item = tokio::time::timeout(wait, self.rx.recv())
            .await
            .ok()
            .flatten()?;
        Some(item.unwrap_or_else(|e| panic!("the consumer stopped: {e}")))
    }

    /// The next `n` events that are not probes; fails (naming what did
    /// arrive) if they do not all come within `wait` each.
    pub async fn take(&mut self, n: usize, wait: Duration) -> Vec<KojiEvent> {
        let mut out = Vec::new();
        while out.len() < n {
            match self.next(wait).await {
                Some(e) if is_probe(&e) => {}
                Some(e) => out.push(e),
                None => panic!(
                    "only {} of {n} events arrived: {:?}",
                    out.len(),
                    out.iter().map(|e| e.summary(None)).collect::<Vec<_>>()
                ),
            }
        }
        out
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Probes are messages of kind `Probe` (an unknown kind to the parser).
pub fn is_probe(event: &KojiEvent) -> bool {
    matches!(event, KojiEvent::Unknown(u) if u.kind.as_deref() == Some("Probe")
        || u.meta.body.get("probe").is_some())
}

/// Publishes probes until one arrives: the consumer is then subscribed.
/// `send` publishes probe number `i`.
pub async fn wait_until_subscribed(inbox: &mut Inbox, mut send: impl FnMut(u32)) {
    for i in 0..300 {
        tokio::task::block_in_place(|| send(i));
        if let Some(event) = inbox.next(Duration::from_millis(500)).await {
            assert!(
                is_probe(&event),
                "unexpected event before the test: {event:?}"
            );
            // Drain probes that may still come.
            while let Some(e) = inbox.next(Duration::from_millis(300)).await {
                assert!(is_probe(&e), "unexpected event before the test: {e:?}");
            }
            return;
        }
    }
    panic!("the consumer never received a probe");
}
