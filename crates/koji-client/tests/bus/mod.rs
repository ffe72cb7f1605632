//! Shared pieces of the broker tests: the recorded messages, the Python
//! publishers, and an inbox that collects a consumer's events.
#![allow(dead_code, clippy::unwrap_used, unreachable_pub)]

pub mod rabbitmq;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use koji_client::messages::{KojiEvent, parse};
use serde_json::{Map, Value};
use tokio::sync::mpsc;

pub const WEB: &str = "https://koji.example.com/koji";

pub fn shared_dir() -> PathBuf {
    match std::env::var_os("KOJI_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

pub fn messages_dir() -> PathBuf {
    shared_dir().join("fixtures/realhub/messages")
}

fn load(path: &Path) -> Value {
    let text = std::fs::read(path)
        .unwrap_or_else(|e| panic!("cannot read {} (set KOJI_SHARED_DIR?): {e}", path.display()));
    serde_json::from_slice(&text).unwrap()
}

/// One message recorded from the realhub hub (protonmsg).
#[derive(Clone, Debug)]
pub struct Recorded {
    pub seq: u64,
    /// `/topic/koji.…`
    pub address: String,
    pub properties: Map<String, Value>,
    pub body: String,
}

impl Recorded {
    /// The event the message is, parsed directly.
    pub fn event(&self) -> KojiEvent {
        parse(Some(&self.address), &self.properties, self.body.as_bytes()).unwrap()
    }
}

/// All 56 recorded messages in publish order.
pub fn recorded() -> Vec<Recorded> {
    let dir = messages_dir();
    let index = load(&dir.join("index.json"));
    index["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            let amqp = load(&dir.join(entry["amqp_file"].as_str().unwrap()));
            Recorded {
                seq: entry["seq"].as_u64().unwrap(),
                address: amqp["receiver_link_source_address"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                properties: amqp["application_properties"].as_object().unwrap().clone(),
                body: amqp["body"].as_str().unwrap().to_owned(),
            }
        })
        .collect()
}

/// The 26 fedora-messaging examples' wire dicts, in file order.
pub fn fedora_examples() -> Vec<Value> {
    let dir = messages_dir().join("fedora-messaging-examples");
    let index = load(&dir.join("index.json"));
    index
        .as_array()
        .unwrap()
        .iter()
        .map(|e| load(&dir.join(e["file"].as_str().unwrap()))["wire"].clone())
        .collect()
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

/// The venv interpreter with the Python peers (stomp.py, fedora-messaging).
pub fn venv_python() -> PathBuf {
    let path = match std::env::var_os("KOJI_TEST_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"),
    };
    assert!(
        path.exists(),
        "{} is missing: run scripts/setup-venv (or set KOJI_TEST_PYTHON)",
        path.display()
    );
    path
}

/// An interpreter with python3-qpid-proton (Debian's package lives in the
/// system Python, not in the venv).
pub fn proton_python() -> PathBuf {
    let path = std::env::var_os("KOJI_TEST_PROTON_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/python3"));
    let ok = Command::new(&path)
        .args(["-c", "import proton"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "{} cannot import proton: run scripts/install-messagebus-deps \
         (python3-qpid-proton) or set KOJI_TEST_PROTON_PYTHON",
        path.display()
    );
    path
}

/// Runs tests/bus/publish.py.
pub fn publish(python: &Path, kind: &str, target: &str, messages: &[Value]) {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    serde_json::to_writer(&mut file, messages).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/bus/publish.py");
    let out = Command::new(python)
        .arg(&script)
        .args([kind, target])
        .arg(file.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "publish.py {kind} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let want = format!("sent {}", messages.len());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&want),
        "publish.py {kind}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Collects a consumer's events in a background task.
pub struct Inbox {
    rx: mpsc::UnboundedReceiver<KojiEvent>,
    task: tokio::task::JoinHandle<()>,
}

impl Inbox {
    pub fn new<S>(stream: S) -> Inbox
    where
        S: Stream<Item = KojiEvent> + Send + 'static,
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

    /// The next event, or `None` if none came within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<KojiEvent> {
        tokio::time::timeout(wait, self.rx.recv())
            .await
            .ok()
            .flatten()
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
