//! The transport-agnostic parser on arbitrary messages, and every helper a
//! consumer calls on the event: no panic, and parsing is deterministic.
//!
//! Input format (what `seed.py` writes): the topic line, the properties as
//! a JSON object on the next line, then the body bytes. An empty topic line
//! means "no topic"; properties that are not a JSON object are taken as
//! an empty map (and their bytes are still fed to the parser as a body of
//! their own, so mutations of either half are never wasted).
#![no_main]

use koji_client::messages::{KojiEvent, NoNames, parse};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

const WEB: &str = "https://koji.example.com/koji";

fn exercise(event: &KojiEvent) {
    let _ = event.summary(Some(WEB));
    let _ = event.summary(None);
    let _ = event.url(WEB);
    let _ = event.user();
    let _ = event.tag();
    let _ = event.build();
    let _ = event.task();
    let _ = event.kind_name();
    // The async helpers with a resolver that knows nothing: they complete
    // at once, so a trivial poll loop drives them.
    let mut copy = event.clone();
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut fut = std::pin::pin!(copy.resolve_names(&NoNames));
    assert!(
        fut.as_mut().poll(&mut cx).is_ready(),
        "resolve_names with NoNames must not wait"
    );
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |b| *b == b'\n');
    let topic_bytes = parts.next().unwrap_or_default();
    let props_bytes = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();
    let topic = std::str::from_utf8(topic_bytes)
        .ok()
        .filter(|t| !t.is_empty());
    let props: Map<String, Value> = serde_json::from_slice::<Value>(props_bytes)
        .ok()
        .and_then(|v| match v {
            Value::Object(m) => Some(m),
            _ => None,
        })
        .unwrap_or_default();
    let first = parse(topic, &props, body);
    let second = parse(topic, &props, body);
    assert_eq!(first.is_ok(), second.is_ok(), "parse is not deterministic");
    if let (Ok(a), Ok(b)) = (&first, &second) {
        assert_eq!(
            format!("{a:?}"),
            format!("{b:?}"),
            "parse is not deterministic"
        );
        exercise(a);
    }
    if let Ok(event) = parse(topic, &Map::new(), props_bytes) {
        exercise(&event);
    }
});
