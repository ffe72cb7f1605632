//! What a call logs through `tracing`: one span per call and per attempt,
//! and never a secret or a body.
//!
//! Alone in its test binary: tracing caches per call site whether anyone
//! listens, so a thread-local subscriber set while other tests run in the
//! same process can miss call sites those tests reached first.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use koji_client::Connection;
use support::{Action, Exchange, Server};

/// Captures everything `tracing` emits (all levels) as text.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn one_span_per_call_and_no_secret_in_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let bad_gateway = support::http_response(
        "502 Bad Gateway",
        &[("Content-Type", "text/html")],
        b"<h1>down</h1>",
    );
    let server = Server::start(vec![
        Action::Respond(bad_gateway),
        Action::Respond(Exchange::load("001-getAPIVersion").response_bytes()),
    ])
    .await;
    let koji = Connection::builder(server.url())
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .anon_retry(true)
        .build()
        .unwrap();
    let call = koji
        .prepare("getAPIVersion", ())
        .unwrap()
        .header("Koji-Session-Key", "7-TOPSECRET")
        .unwrap()
        .query("session-id=7&session-key=TOPSECRET&callnum=5")
        .call_number(5);
    koji.execute(&call).await.unwrap();
    drop(_guard);

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(!text.contains("TOPSECRET"), "{text}");
    assert!(
        text.contains("koji_call{method=getAPIVersion call_number=5}:attempt{n=2}"),
        "{text}"
    );
    assert!(text.contains("retrying koji call"), "{text}");
    assert!(
        !text.contains("<methodResponse"),
        "no bodies in logs: {text}"
    );
}
