//! Message-bus test material: the messages recorded from the realhub hub,
//! the Python interpreters with the real publishers (stomp.py,
//! fedora-messaging and pika in the venv, qpid-proton in the system
//! Python), and [`publish`], which sends messages with them (see
//! `publish.py` beside this file). Use with [`crate::rabbitmq::RabbitMq`].
//!
//! Test support: a missing fixture or interpreter, or a failed publish,
//! panics with a message that says what to do.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

/// The recorded bus messages (see [`crate::realhub::messages_dir`]).
pub fn messages_dir() -> PathBuf {
    crate::realhub::messages_dir()
}

fn load(path: &Path) -> Value {
    let text =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_slice(&text).unwrap()
}

/// One message recorded from the realhub hub (Koji's protonmsg plugin).
#[derive(Clone, Debug)]
pub struct Recorded {
    /// Publish order (1-based).
    pub seq: u64,
    /// The address it was received from: `/topic/koji.…`.
    pub address: String,
    /// Its application properties, typed as sent.
    pub properties: Map<String, Value>,
    /// The body: the JSON text, exactly.
    pub body: String,
}

impl Recorded {
    /// The message as `publish.py proton` sends it (address, typed
    /// application properties, body).
    pub fn as_proton(&self) -> Value {
        serde_json::json!({"address": self.address, "properties": self.properties, "body": self.body})
    }

    /// The message as `publish.py stomp` sends it: the properties as string
    /// headers, as an ActiveMQ-style bridge renders them (Python's `str()`).
    pub fn as_stomp(&self) -> Value {
        let headers: Map<String, Value> = self
            .properties
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(header_text(v))))
            .collect();
        serde_json::json!({"destination": self.address, "headers": headers, "body": self.body})
    }
}

/// Python's `str()` of a property value.
fn header_text(v: &Value) -> String {
    match v {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
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

/// The 26 fedora-messaging examples' wire dicts (`topic`, `headers`,
/// `body`, …), in file order.
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

/// The venv interpreter with the Python peers (stomp.py,
/// fedora-messaging): `$KOJI_TEST_PYTHON`, else `<workspace>/.venv`.
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
/// system Python, not in the venv): `$KOJI_TEST_PROTON_PYTHON`, else
/// `/usr/bin/python3`.
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

/// Publishes `messages` with `publish.py`: `kind` is `stomp` (target: the
/// STOMP port), `fedora`, `declare` (target: an `amqp://` URL) or `proton`
/// (target: an AMQP 1.0 URL); the shape of each message is described in
/// `publish.py`. Panics unless every message was sent.
pub fn publish(python: &Path, kind: &str, target: &str, messages: &[Value]) {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    serde_json::to_writer(&mut file, messages).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/publish.py");
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
