//! `Multicall::send_json`: every call's result as JSON, in call order across
//! chunks, as the answers arrive, in bounded memory. Against koji-testhub in
//! process (the real hub's data set, and a generated one for large answers).
//!
//! The memory bound is measured by counting the bytes the client's thread
//! holds on the heap (a counting global allocator, enabled only on the test's
//! own thread, where the client's runtime runs; the hub runs on threads of
//! its own). A control measurement of the collecting path on the same answer
//! shows that the counter sees what a result costs.
#![allow(clippy::unwrap_used)]
// A global allocator is an `unsafe impl`; it only forwards to the system's.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, Ordering};

use futures_util::StreamExt as _;
use koji_client::{Connection, JsonItem, JsonOptions, JsonStyle, Value};
use koji_testhub::{GenerateOptions, RunningHub, TestHub, TestHubBuilder};

struct Counting;

static HELD: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

fn counted() -> bool {
    COUNTED.try_with(Cell::get).unwrap_or(false)
}

fn add(n: isize) {
    let now = HELD.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() && counted() {
            add(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        if counted() {
            add(-(layout.size() as isize));
        }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() && counted() {
            add(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs `f` on a single-threaded runtime on this thread and returns its
/// output and the most bytes this thread held on the heap meanwhile, above
/// what it held when `f` started.
fn measured<T>(f: impl std::future::Future<Output = T>) -> (T, usize) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let start = HELD.load(Ordering::Relaxed);
    PEAK.store(start, Ordering::Relaxed);
    COUNTED.with(|c| c.set(true));
    let out = rt.block_on(f);
    COUNTED.with(|c| c.set(false));
    let peak = PEAK.load(Ordering::Relaxed) - start;
    drop(rt);
    (out, usize::try_from(peak).unwrap_or(0))
}

/// A hub on a runtime (and threads) of its own.
struct Hub {
    rt: tokio::runtime::Runtime,
    hub: Option<RunningHub>,
}

impl Hub {
    fn start(builder: TestHubBuilder) -> Hub {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let hub = rt.block_on(builder.start()).unwrap();
        Hub { rt, hub: Some(hub) }
    }
    fn url(&self) -> String {
        self.hub.as_ref().unwrap().url()
    }
    fn requests(&self) -> usize {
        usize::try_from(self.hub.as_ref().unwrap().request_count()).unwrap()
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.take() {
            self.rt.block_on(hub.shutdown());
        }
    }
}

/// A result line as `rkoji multicall` prints it: the JSON of the result, or
/// the fault's code and message.
fn fault_line(e: &koji_client::Error) -> String {
    serde_json::json!({"fault": {"code": e.fault_code(), "message": e.fault_string()}}).to_string()
}

/// The calls both paths are given: results, faults, doubles, non-ASCII.
fn queue(m: &mut koji_client::Multicall) -> usize {
    let calls: Vec<(&str, Vec<Value>)> = vec![
        ("getBuild", vec![Value::Int(3)]),
        ("getBuild", vec!["nosuch-1-1".into(), Value::Bool(true)]),
        (
            "echo",
            vec![
                "Zoë 😀 \"q\" \\ \t \u{2028}".into(),
                Value::Double(1e16),
                Value::Double(1e-5),
                Value::Double(-0.0),
                Value::Double(0.1),
                Value::Array(vec![]),
                Value::Nil,
            ],
        ),
        ("getTaskInfo", vec![Value::Int(2)]),
        ("noSuchMethod", vec![]),
        ("listTags", vec![]),
        ("getBuild", vec!["nosuch-2-2".into(), Value::Bool(true)]),
    ];
    for (method, args) in &calls {
        m.push(method, args);
    }
    calls.len()
}

/// The lines `send_json` gives, one per call.
async fn json_lines(m: koji_client::Multicall) -> Vec<String> {
    let mut results = m
        .send_json(JsonOptions::new().style(JsonStyle::SerdeJson))
        .unwrap();
    let mut lines = Vec::new();
    let mut cur = Vec::new();
    while let Some(item) = results.next().await {
        match item.unwrap() {
            JsonItem::Piece(p) => cur.extend(p),
            JsonItem::End => lines.push(String::from_utf8(std::mem::take(&mut cur)).unwrap()),
            JsonItem::Fault(e) => {
                assert!(cur.is_empty());
                assert!(e.is_fault(), "{e}");
                lines.push(fault_line(&e));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(cur.is_empty(), "a result without its end");
    lines
}

#[test]
fn results_in_call_order_as_serde_json_writes_the_collected_values() {
    let hub = Hub::start(TestHub::builder());
    let koji = Connection::new(hub.url()).unwrap();
    let (want, _) = measured(async {
        let mut m = koji.multicall();
        let n = queue(&mut m);
        let values = m.send_values().await.unwrap();
        assert_eq!(values.len(), n);
        values
            .iter()
            .map(|r| match r {
                Ok(v) => serde_json::to_string(v).unwrap(),
                Err(e) => fault_line(e),
            })
            .collect::<Vec<_>>()
    });
    assert!(want.iter().filter(|l| l.starts_with("{\"fault\"")).count() == 3);
    for (max_calls, concurrency) in [(500, 4), (1, 4), (2, 1), (3, 2)] {
        let before = hub.requests();
        let (got, _) = measured(async {
            let mut m = koji
                .multicall()
                .max_calls(max_calls)
                .concurrency(concurrency);
            queue(&mut m);
            json_lines(m).await
        });
        assert_eq!(
            got, want,
            "max_calls {max_calls}, concurrency {concurrency}"
        );
        assert_eq!(hub.requests() - before, want.len().div_ceil(max_calls));
    }
}

#[test]
fn calls_that_cannot_be_sent_send_nothing() {
    let hub = Hub::start(TestHub::builder());
    let koji = Connection::new(hub.url()).unwrap();
    let mut m = koji.multicall().max_request_size(1000);
    m.push("echo", (1,));
    m.push("echo", ("x".repeat(2000),));
    let e = m.send_json(JsonOptions::new()).unwrap_err();
    assert_eq!(e.index, 1);
    assert!(e.error.is_encode(), "{e}");
    assert_eq!(hub.requests(), 0);
}

/// The most bytes the client may hold while streaming the results: a few
/// MiB per chunk in flight (the transcoder's input buffer, hyper's read
/// buffer, the items sent ahead), whatever the size of the answers.
const BOUND: usize = 12 << 20;

#[test]
fn large_answers_stream_in_bounded_memory() {
    let hub = Hub::start(TestHub::builder().generate(GenerateOptions {
        builds: 4000,
        tasks: 10,
        ..GenerateOptions::default()
    }));
    let koji = Connection::new(hub.url()).unwrap();
    // Control: one listBuilds answer collected costs more than the bound.
    let (one, collected_peak) = measured(async {
        let mut m = koji.multicall();
        m.push("listBuilds", ());
        let mut values = m.send_values().await.unwrap();
        serde_json::to_string(&values.pop().unwrap().unwrap())
            .unwrap()
            .len()
    });
    assert!(one > 2 << 20, "one answer is {one} bytes of JSON");
    assert!(
        collected_peak > BOUND,
        "collecting one answer peaked at {collected_peak} bytes"
    );
    // Six of them, two per request, all requests in flight at once.
    let ((bytes, ends), peak) = measured(async {
        let mut m = koji.multicall().max_calls(2).concurrency(3);
        for _ in 0..6 {
            m.push("listBuilds", ());
        }
        let mut results = m
            .send_json(
                JsonOptions::new()
                    .style(JsonStyle::SerdeJson)
                    .max_value_size(1 << 20),
            )
            .unwrap();
        let (mut bytes, mut ends) = (0, 0);
        while let Some(item) = results.next().await {
            match item.unwrap() {
                JsonItem::Piece(p) => bytes += p.len(),
                JsonItem::End => ends += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        (bytes, ends)
    });
    assert_eq!(ends, 6);
    assert_eq!(bytes, 6 * one);
    assert!(
        peak < BOUND,
        "streaming {bytes} bytes of results peaked at {peak} bytes (collecting one: {collected_peak})"
    );
}

#[test]
fn a_value_over_the_limit_ends_the_stream_with_an_error() {
    let hub = Hub::start(TestHub::builder());
    let koji = Connection::new(hub.url()).unwrap();
    let (items, _) = measured(async {
        let mut m = koji.multicall().max_calls(1);
        m.push("echo", (1,));
        m.push("echo", ("x".repeat(100_000),));
        m.push("echo", (2,));
        let mut results = m
            .send_json(JsonOptions::new().max_value_size(10_000))
            .unwrap();
        let mut items = Vec::new();
        while let Some(item) = results.next().await {
            items.push(item);
        }
        items
    });
    assert!(matches!(&items[0], Ok(JsonItem::Piece(p)) if p == b"[1]"));
    assert!(matches!(items[1], Ok(JsonItem::End)));
    let e = items.last().unwrap().as_ref().unwrap_err();
    assert!(e.is_decode(), "{e}");
    let shown = format!("{e} {:?}", std::error::Error::source(e));
    assert!(shown.contains("limit"), "{shown}");
    // The second result may have begun (strings are streamed) but never ends,
    // and the third call has no result.
    let ends = items
        .iter()
        .filter(|i| matches!(i, Ok(JsonItem::End)))
        .count();
    assert_eq!(ends, 1, "{items:?}");
    assert_eq!(items.iter().filter(|i| i.is_err()).count(), 1);
}
