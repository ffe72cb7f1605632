//! Chunk planning (pure): the queue cut into runs of consecutive calls
//! within both limits, the number of calls and the request size.

use std::collections::VecDeque;
use std::ops::Range;

use super::Queued;
use super::encode::envelope;
use super::handle::Slot;
use crate::error::{Error, Kind};

/// A run of consecutive calls sent as one request.
pub(crate) struct Chunk {
    pub(crate) number: usize,
    /// The calls' bytes in the arena.
    pub(crate) bytes: Range<usize>,
    pub(crate) slots: Vec<Box<dyn Slot>>,
    /// The calls' queue positions.
    pub(crate) indexes: Vec<usize>,
}

/// The chunks to send, and the calls too big to send at all (with their
/// error, which still needs the call's context).
pub(crate) struct Plan {
    pub(crate) chunks: VecDeque<Chunk>,
    pub(crate) too_big: Vec<(Queued, Error)>,
}

/// Cuts the queue into chunks of at most `max_calls` calls whose request
/// body is at most `max_request_size` bytes; calls keep their order.
pub(crate) fn plan(queued: Vec<Queued>, max_calls: usize, max_request_size: usize) -> Plan {
    let env = envelope();
    let room = max_request_size.saturating_sub(env.head.len() + env.foot.len());
    let mut chunks: VecDeque<Chunk> = VecDeque::new();
    let mut too_big = Vec::new();
    let mut current: Option<Chunk> = None;
    for q in queued {
        let size = q.bytes.len();
        if size > room {
            let e = Error::new(Kind::Encode).with_source(format!(
                "the call is {} bytes encoded, too big for a multicall request of at most {} bytes",
                size + env.head.len() + env.foot.len(),
                max_request_size
            ));
            too_big.push((q, e));
            if let Some(c) = current.take() {
                chunks.push_back(c);
            }
            continue;
        }
        if let Some(c) = current.as_ref() {
            if c.slots.len() >= max_calls || c.bytes.len() + size > room {
                chunks.extend(current.take());
            }
        }
        let c = current.get_or_insert_with(|| Chunk {
            number: 0,
            bytes: q.bytes.start..q.bytes.start,
            slots: Vec::new(),
            indexes: Vec::new(),
        });
        c.bytes.end = q.bytes.end;
        c.slots.push(q.slot);
        c.indexes.push(q.index);
    }
    chunks.extend(current.take());
    for (n, c) in chunks.iter_mut().enumerate() {
        c.number = n;
    }
    Plan { chunks, too_big }
}
