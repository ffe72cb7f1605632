//! Multicall results as JSON, streamed in call order as the answers arrive
//! ([`Multicall::send_json`](super::Multicall::send_json)).
//!
//! Each chunk's answer is transcoded by koji-xmlrpc's
//! [`JsonTranscoder`](koji_xmlrpc::JsonTranscoder) (through
//! [`Connection::execute_json`]) into one-line JSON: `[[r1],{fault},[r2]…]`.
//! The [`Splitter`] here cuts that text into the calls' results (the bytes
//! between an entry's brackets) and faults (small objects, parsed whole),
//! without holding any result. Chunks are sent ahead over the lanes, but
//! each answer is read only as fast as its items are taken: a chunk waiting
//! for its turn holds at most [`AHEAD`] batches of items, and the rest waits
//! in the socket (TCP flow control), so memory stays bounded whatever the
//! size of the answers.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use futures_util::StreamExt as _;
use koji_xmlrpc::{JsonOptions, JsonStyle, Value};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::decode::split_entry;
use super::encode::{Envelope, chunk_body, envelope};
use super::entry::check_count;
use super::{METHOD, Progress, ProgressFn};
use crate::connection::Connection;
use crate::error::{Error, Kind, Result};
use crate::request::PreparedCall;

/// Batches of items a chunk may have ready before its turn comes.
pub(crate) const AHEAD: usize = 2;

/// One item of [`JsonResults`]: results come in queue order, each as one or
/// more [`Piece`](Self::Piece)s then [`End`](Self::End), or as one
/// [`Fault`](Self::Fault).
#[derive(Debug)]
#[non_exhaustive]
pub enum JsonItem {
    /// A piece of the JSON text of the current call's result.
    Piece(Vec<u8>),
    /// The current call's result is complete; the next item is about the
    /// next call.
    End,
    /// The current call failed with a hub fault: its error, as the call on
    /// its own would give it ([`Error::is_fault`], code, message, traceback).
    /// The next item is about the next call.
    Fault(Error),
}

/// A queued call that could not be sent (it failed to encode, or is too
/// big for a request): [`Multicall::send_json`](super::Multicall::send_json)
/// then sends nothing.
#[derive(Debug)]
#[non_exhaustive]
pub struct Unsendable {
    /// The call's position in the queue (from 0).
    pub index: usize,
    /// Why it cannot be sent.
    pub error: Error,
}

impl fmt::Display for Unsendable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "call {}: {}", self.index, self.error)
    }
}

impl std::error::Error for Unsendable {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// A chunk not sent yet: its calls' bytes in the arena and their methods.
pub(crate) struct PendingChunk {
    pub(crate) bytes: std::ops::Range<usize>,
    pub(crate) methods: Vec<String>,
}

/// The results of a multicall as JSON, in queue order, as they arrive (see
/// [`Multicall::send_json`](super::Multicall::send_json)). An `Err` item
/// means a chunk's request failed as a whole (or its answer is not a
/// multicall answer): it ends the stream, and the calls after it have no
/// result. Dropping the stream stops the chunks still running.
#[must_use = "streams do nothing unless polled"]
pub struct JsonResults {
    inner: Pin<Box<dyn Stream<Item = Result<JsonItem>> + Send>>,
}

impl fmt::Debug for JsonResults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonResults").finish_non_exhaustive()
    }
}

impl Stream for JsonResults {
    type Item = Result<JsonItem>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// A chunk being sent: its items, and the task that gives its lane back.
struct Running {
    items: mpsc::Receiver<Result<Vec<JsonItem>>>,
    task: JoinHandle<Connection>,
    calls: usize,
}

/// Sends the chunks in order over free lanes and hands out their items in
/// order.
pub(crate) struct Driver {
    pending: VecDeque<PendingChunk>,
    free: Vec<Connection>,
    running: VecDeque<Running>,
    ready: std::vec::IntoIter<JsonItem>,
    arena: Vec<u8>,
    env: &'static Envelope,
    opts: JsonOptions,
    hook: Option<ProgressFn>,
    progress: Progress,
    failed: bool,
}

impl Drop for Driver {
    fn drop(&mut self) {
        for r in &self.running {
            r.task.abort();
        }
    }
}

impl Driver {
    pub(crate) fn new(
        pending: VecDeque<PendingChunk>,
        mut lanes: Vec<Connection>,
        arena: Vec<u8>,
        opts: JsonOptions,
        hook: Option<ProgressFn>,
    ) -> Driver {
        let opts = match opts.get_style() {
            JsonStyle::Koji => opts.style(JsonStyle::Compact),
            _ => opts,
        };
        // Lanes are taken from the end: reverse so the first lane starts first.
        lanes.reverse();
        let progress = Progress {
            calls_done: 0,
            calls_total: pending.iter().map(|c| c.methods.len()).sum(),
            chunks_done: 0,
            chunks_total: pending.len(),
        };
        if let Some(hook) = &hook {
            hook(progress);
        }
        Driver {
            pending,
            free: lanes,
            running: VecDeque::new(),
            ready: Vec::new().into_iter(),
            arena,
            env: envelope(),
            opts,
            hook,
            progress,
            failed: false,
        }
    }

    pub(crate) fn into_stream(self) -> JsonResults {
        let stream = futures_util::stream::unfold(self, |mut d| async move {
            let item = d.next_item().await?;
            Some((item, d))
        });
        JsonResults {
            inner: Box::pin(stream),
        }
    }

    /// Starts pending chunks on the free lanes.
    fn start(&mut self) {
        while !self.pending.is_empty() {
            let Some(lane) = self.free.pop() else { return };
            let Some(chunk) = self.pending.pop_front() else {
                self.free.push(lane);
                return;
            };
            let body = chunk_body(self.env, &self.arena, chunk.bytes);
            let (tx, rx) = mpsc::channel(AHEAD);
            let calls = chunk.methods.len();
            let span = tracing::debug_span!(
                "koji_multicall_chunk",
                chunk = self.progress.chunks_total - self.pending.len() - 1
            );
            let task = tokio::spawn(tracing::Instrument::instrument(
                run_chunk(lane, body, chunk.methods, self.opts.clone(), tx),
                span,
            ));
            self.running.push_back(Running {
                items: rx,
                task,
                calls,
            });
        }
    }

    async fn next_item(&mut self) -> Option<Result<JsonItem>> {
        if self.failed {
            return None;
        }
        loop {
            if let Some(item) = self.ready.next() {
                return Some(Ok(item));
            }
            self.start();
            let front = self.running.front_mut()?;
            match front.items.recv().await {
                Some(Ok(items)) => self.ready = items.into_iter(),
                Some(Err(e)) => {
                    self.failed = true;
                    for r in self.running.drain(..) {
                        r.task.abort();
                    }
                    self.pending.clear();
                    return Some(Err(e));
                }
                None => {
                    let done = self.running.pop_front()?;
                    match done.task.await {
                        Ok(lane) => self.free.push(lane),
                        // A panic in a chunk is the caller's panic.
                        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                        Err(_) => {}
                    }
                    self.progress.calls_done += done.calls;
                    self.progress.chunks_done += 1;
                    if let Some(hook) = &self.hook {
                        hook(self.progress);
                    }
                }
            }
        }
    }
}

/// Sends one chunk and passes its items on, one batch per piece of JSON.
/// Returns the lane when the answer is done (or nobody listens any more).
async fn run_chunk(
    conn: Connection,
    body: Vec<u8>,
    methods: Vec<String>,
    opts: JsonOptions,
    tx: mpsc::Sender<Result<Vec<JsonItem>>>,
) -> Connection {
    tracing::debug!(
        calls = methods.len(),
        bytes = body.len(),
        "sending multicall chunk"
    );
    let call = PreparedCall::new(METHOD, body);
    let url = conn.server_url().to_owned();
    let mut split = Splitter::new(methods, opts.get_max_value_size(), url);
    let outcome = {
        let mut json = conn.execute_json(&call, opts);
        let mut outcome = Ok(());
        while let Some(piece) = json.next().await {
            let mut items = Vec::new();
            let step = piece.and_then(|p| split.feed(&p, &mut items));
            if !items.is_empty() && tx.send(Ok(items)).await.is_err() {
                return conn;
            }
            if let Err(e) = step {
                outcome = Err(e);
                break;
            }
        }
        outcome
    };
    let last = match outcome.and_then(|()| split.finish()) {
        Ok(()) => None,
        // A fault of the multicall itself before any entry: every call of
        // the chunk gets it, as with `Multicall::send`.
        Err(e) if e.is_fault() && split.entries == 0 => Some(Ok(split
            .methods
            .iter()
            .map(|_| JsonItem::Fault(e.duplicate()))
            .collect())),
        Err(e) => {
            tracing::debug!(error = %e, "multicall chunk failed");
            Some(Err(e))
        }
    };
    if let Some(last) = last {
        // Nobody listening any more is fine: the lane is free either way.
        let _ = tx.send(last).await;
    }
    conn
}

/// What the splitter is inside (at depth 2 and below).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inside {
    /// Between entries.
    Between,
    /// A result entry's array; `empty` until its value starts.
    Result { empty: bool },
    /// A fault entry's object, collected.
    Fault,
}

/// Cuts the one-line JSON of a multicall answer (`[[r1],{fault},…]`) into
/// the calls' items, piece by piece, holding nothing but a fault being read.
pub(crate) struct Splitter {
    methods: Vec<String>,
    url: String,
    limit: usize,
    depth: usize,
    root_done: bool,
    in_str: bool,
    escape: bool,
    inside: Inside,
    fault: Vec<u8>,
    /// Entries started.
    entries: usize,
}

fn malformed(detail: impl Into<String>) -> Error {
    Error::new(Kind::Decode).with_source(format!("malformed multicall entry: {}", detail.into()))
}

impl Splitter {
    pub(crate) fn new(methods: Vec<String>, limit: usize, url: String) -> Splitter {
        Splitter {
            methods,
            url,
            limit,
            depth: 0,
            root_done: false,
            in_str: false,
            escape: false,
            inside: Inside::Between,
            fault: Vec::new(),
            entries: 0,
        }
    }

    /// Reads one piece of the JSON, appending the items it completes.
    pub(crate) fn feed(&mut self, piece: &[u8], items: &mut Vec<JsonItem>) -> Result<()> {
        // Start of the current result's bytes (or fault's) in this piece.
        let mut run = 0;
        let mut i = 0;
        while i < piece.len() {
            if self.in_str {
                if self.escape {
                    self.escape = false;
                    i += 1;
                    continue;
                }
                match memchr::memchr2(b'"', b'\\', piece.get(i..).unwrap_or_default()) {
                    None => i = piece.len(),
                    Some(off) => {
                        i += off;
                        if piece.get(i) == Some(&b'\\') {
                            self.escape = true;
                        } else {
                            self.in_str = false;
                        }
                        i += 1;
                    }
                }
                continue;
            }
            let b = piece.get(i).copied().unwrap_or_default();
            match self.depth {
                0 if b == b'[' && !self.root_done => self.depth = 1,
                0 => {
                    return Err(Error::new(Kind::Decode)
                        .with_source("the answer to a multicall is not an array of results"));
                }
                1 => match b {
                    b'[' => {
                        self.entries += 1;
                        self.inside = Inside::Result { empty: true };
                        self.depth = 2;
                        run = i + 1;
                    }
                    b'{' => {
                        self.entries += 1;
                        self.inside = Inside::Fault;
                        self.fault.clear();
                        self.depth = 2;
                        run = i;
                    }
                    b',' => {}
                    b']' => {
                        self.depth = 0;
                        self.root_done = true;
                    }
                    _ => return Err(malformed("an entry must be an array or a fault struct")),
                },
                d => {
                    if d == 2 {
                        match (self.inside, b) {
                            (Inside::Result { empty: true }, b']') => {
                                return Err(malformed(
                                    "a result entry must hold one value, this one holds 0",
                                ));
                            }
                            (Inside::Result { .. }, b']') => {
                                push_piece(items, piece.get(run..i));
                                items.push(JsonItem::End);
                                self.inside = Inside::Between;
                                self.depth = 1;
                                i += 1;
                                continue;
                            }
                            (Inside::Result { .. }, b',') => {
                                return Err(malformed(
                                    "a result entry must hold one value, this one holds more",
                                ));
                            }
                            (Inside::Result { .. }, _) => {
                                self.inside = Inside::Result { empty: false };
                            }
                            (Inside::Fault, b'}') => {
                                self.fault
                                    .extend_from_slice(piece.get(run..=i).unwrap_or_default());
                                items.push(JsonItem::Fault(self.fault_error()?));
                                self.inside = Inside::Between;
                                self.depth = 1;
                                i += 1;
                                continue;
                            }
                            _ => {}
                        }
                    }
                    match b {
                        b'"' => self.in_str = true,
                        b'[' | b'{' => self.depth += 1,
                        b']' | b'}' => self.depth -= 1,
                        _ => {}
                    }
                }
            }
            i += 1;
        }
        match self.inside {
            Inside::Result { .. } => push_piece(items, piece.get(run..)),
            Inside::Fault => {
                self.fault
                    .extend_from_slice(piece.get(run..).unwrap_or_default());
                if self.fault.len() > self.limit {
                    return Err(Error::new(Kind::Decode).with_source(format!(
                        "a fault entry is larger than the limit of {} bytes for one value",
                        self.limit
                    )));
                }
            }
            Inside::Between => {}
        }
        Ok(())
    }

    /// Checks that the answer was complete and had one entry per call.
    pub(crate) fn finish(&self) -> Result<()> {
        if !self.root_done {
            return Err(Error::new(Kind::Decode).with_source("the multicall answer ended early"));
        }
        check_count(self.entries, self.methods.len())
    }

    /// The current fault entry as the call's error.
    fn fault_error(&mut self) -> Result<Error> {
        let value: Value = serde_json::from_slice(&self.fault)
            .map_err(|e| malformed(format!("a fault entry that is not JSON: {e}")))?;
        let method = self
            .methods
            .get(self.entries.saturating_sub(1))
            .map_or(METHOD, String::as_str);
        match split_entry(value) {
            Err(e) if e.is_fault() => Ok(e.context(method, &self.url)),
            Err(e) => Err(e),
            Ok(_) => Err(malformed("a fault entry without a fault")),
        }
    }
}

fn push_piece(items: &mut Vec<JsonItem>, bytes: Option<&[u8]>) {
    if let Some(b) = bytes.filter(|b| !b.is_empty()) {
        items.push(JsonItem::Piece(b.to_vec()));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Splits `json` fed in pieces of `n` bytes; results as strings, faults
    /// as `fault <code> <message>`.
    fn split(json: &str, calls: usize, n: usize) -> Result<Vec<String>> {
        let mut s = Splitter::new(vec!["m".into(); calls], 1 << 20, "u".into());
        let mut items = Vec::new();
        for piece in json.as_bytes().chunks(n) {
            s.feed(piece, &mut items)?;
        }
        s.finish()?;
        let mut out = Vec::new();
        let mut cur = Vec::new();
        for item in items {
            match item {
                JsonItem::Piece(p) => cur.extend(p),
                JsonItem::End => out.push(String::from_utf8(std::mem::take(&mut cur)).unwrap()),
                JsonItem::Fault(e) => out.push(format!(
                    "fault {} {}",
                    e.fault_code().unwrap(),
                    e.fault_string().unwrap()
                )),
            }
        }
        assert!(cur.is_empty());
        Ok(out)
    }

    #[test]
    fn entries_split_into_results_and_faults_whatever_the_pieces() {
        let json = r#"[[{"a":"x]\"},[","b":[1,[2]]}],{"faultCode":1000,"faultString":"No \"such\" ]build","traceback":["t\n"]},[null],[[]],["\\"]]"#;
        for n in [1, 2, 3, 7, json.len()] {
            assert_eq!(
                split(json, 5, n).unwrap(),
                [
                    r#"{"a":"x]\"},[","b":[1,[2]]}"#,
                    "fault 1000 No \"such\" ]build",
                    "null",
                    "[]",
                    r#""\\""#,
                ],
                "pieces of {n}"
            );
        }
    }

    #[test]
    fn malformed_answers_are_decode_errors() {
        for (json, calls, what) in [
            ("[[1,2]]", 1, "holds more"),
            ("[[]]", 1, "holds 0"),
            ("[3]", 1, "array or a fault struct"),
            ("{\"a\":1}", 1, "not an array"),
            ("[[1]]", 2, "2 calls"),
            ("[[1],[2]]", 1, "1 calls"),
            ("[[1]", 1, "ended early"),
            ("[{\"faultString\":\"x\"}]", 1, "faultCode"),
        ] {
            let e = split(json, calls, 2).unwrap_err();
            assert!(e.is_decode() && !e.is_fault(), "{json}: {e}");
            let shown = format!("{e} {e:?}");
            assert!(shown.contains(what), "{json}: {shown}");
        }
    }

    #[test]
    fn a_fault_larger_than_the_limit_is_refused() {
        let mut s = Splitter::new(vec!["m".into()], 16, "u".into());
        let mut items = Vec::new();
        let e = s
            .feed(br#"[{"faultCode":1,"faultString":"#, &mut items)
            .and_then(|()| s.feed(br#""far too long for sixteen bytes"}]"#, &mut items))
            .unwrap_err();
        assert!(e.to_string().contains("limit") || format!("{:?}", e).contains("limit"));
    }
}
