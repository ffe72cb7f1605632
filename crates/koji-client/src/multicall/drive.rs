//! Driving a multicall: the chunks sent over the lanes (connections that
//! send one chunk at a time each), each answer handed to `decode`, and the
//! progress reported.

use std::collections::VecDeque;

use tokio::task::JoinSet;
use tracing::Instrument;

use super::decode::decode_chunk;
use super::encode::{chunk_body, envelope};
use super::handle::Slot;
use super::plan::Chunk;
use super::{METHOD, Progress, ProgressFn};
use crate::connection::Connection;
use crate::error::Error;
use crate::request::PreparedCall;

/// Everything the chunk scheduler needs, owned (so that the future of
/// [`Multicall::send`](super::Multicall::send) is `Send`).
pub(crate) struct Drive {
    pub(crate) chunks: VecDeque<Chunk>,
    /// Connections that send one chunk at a time each.
    pub(crate) lanes: Vec<Connection>,
    pub(crate) arena: Vec<u8>,
    pub(crate) strict: bool,
    pub(crate) hook: Option<ProgressFn>,
    pub(crate) progress: Progress,
}

/// What the scheduler saw.
pub(crate) struct Driven {
    pub(crate) failed_calls: usize,
    pub(crate) failed_chunks: usize,
    /// The first failed call in queue order (strict mode only).
    pub(crate) first_error: Option<(usize, Error)>,
}

/// Sends the chunks, each on a free lane, and gathers their reports.
pub(crate) async fn drive(d: Drive) -> Driven {
    let Drive {
        mut chunks,
        lanes: mut free,
        arena,
        strict,
        hook,
        mut progress,
    } = d;
    let report = |p: Progress| {
        if let Some(hook) = &hook {
            hook(p);
        }
    };
    report(progress);
    let env = envelope();
    // Lanes are taken from the end: reverse so the first lane starts first.
    free.reverse();
    let mut out = Driven {
        failed_calls: 0,
        failed_chunks: 0,
        first_error: None,
    };
    let mut running: JoinSet<(Connection, ChunkReport)> = JoinSet::new();
    loop {
        while !chunks.is_empty() {
            let Some(lane) = free.pop() else { break };
            let Some(chunk) = chunks.pop_front() else {
                free.push(lane);
                break;
            };
            let body = chunk_body(env, &arena, chunk.bytes.clone());
            let span = tracing::debug_span!("koji_multicall_chunk", chunk = chunk.number);
            running
                .spawn(run_chunk(lane, body, chunk.slots, chunk.indexes, strict).instrument(span));
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        let (lane, chunk) = match joined {
            Ok(done) => done,
            // A panic in a chunk (e.g. in a caller's Deserialize impl) is
            // the caller's panic.
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => continue,
        };
        free.push(lane);
        out.failed_calls += chunk.failed;
        out.failed_chunks += usize::from(chunk.chunk_failed);
        if let Some((index, e)) = chunk.first_error {
            if out.first_error.as_ref().is_none_or(|(i, _)| index < *i) {
                out.first_error = Some((index, e));
            }
        }
        progress.calls_done += chunk.calls;
        progress.chunks_done += 1;
        report(progress);
    }
    out
}

/// What became of one chunk.
struct ChunkReport {
    calls: usize,
    failed: usize,
    chunk_failed: bool,
    /// The first failed call (strict mode only).
    first_error: Option<(usize, Error)>,
}

/// Sends one chunk, with the connection's retries (and session, when
/// logged in), and delivers each call's result to its handle.
async fn run_chunk(
    conn: Connection,
    body: Vec<u8>,
    mut slots: Vec<Box<dyn Slot>>,
    indexes: Vec<usize>,
    strict: bool,
) -> (Connection, ChunkReport) {
    let calls = slots.len();
    tracing::debug!(calls, bytes = body.len(), "sending multicall chunk");
    let call = PreparedCall::new(METHOD, body);
    let url = conn.server_url().to_owned();
    let outcome = conn
        .execute_with(&call, |bytes, headers| {
            decode_chunk(bytes, headers, &mut slots, &url)
        })
        .await;
    let chunk_failed = match outcome {
        Ok(()) => false,
        Err(e) => {
            tracing::debug!(error = %e, "multicall chunk failed");
            for slot in &mut slots {
                slot.set_error(e.duplicate());
            }
            true
        }
    };
    let mut report = ChunkReport {
        calls,
        failed: 0,
        chunk_failed,
        first_error: None,
    };
    for (index, slot) in indexes.into_iter().zip(slots) {
        if let Some(e) = slot.error() {
            report.failed += 1;
            if strict && report.first_error.is_none() {
                report.first_error = Some((index, e.duplicate()));
            }
        }
        slot.deliver();
    }
    (conn, report)
}
