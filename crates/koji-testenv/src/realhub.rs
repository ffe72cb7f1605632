//! The traffic recorded from a real Koji 1.35.3 hub, carried in this crate's
//! `data/realhub/` (see its `README.md`): the raw HTTP exchanges the tests
//! replay and the message-bus messages they publish or parse. The data set
//! that hub held belongs to koji-testhub (`koji_testhub::realhub`).

use std::path::{Path, PathBuf};

/// `data/realhub/` of this crate.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/realhub")
}

/// The recorded HTTP exchanges: `NNN-name.{request,response}.xml`,
/// `NNN-name.{request,response}-headers.txt` and `index.json`.
pub fn exchanges_dir() -> PathBuf {
    dir().join("exchanges")
}

/// One file of a recorded exchange, e.g.
/// `exchange_file("246-system.multicall-mixed", "response.xml")`.
///
/// Test support: panics, naming the file, when it cannot be read.
pub fn exchange_file(prefix: &str, suffix: &str) -> Vec<u8> {
    let path = exchanges_dir().join(format!("{prefix}.{suffix}"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The recorded bus messages: `amqp/`, `stomp/`,
/// `fedora-messaging-examples/` and `index.json`.
pub fn messages_dir() -> PathBuf {
    dir().join("messages")
}
