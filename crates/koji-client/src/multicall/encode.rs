//! Encoding (pure): each call is encoded when it is queued, straight into
//! the bytes of a `system.multicall` entry; a chunk's body is those bytes
//! between the envelope.

use std::ops::Range;
use std::sync::OnceLock;

use koji_xmlrpc::MulticallWriter;
use serde::Serialize;

use crate::error::{Error, Kind, Result};

/// The `system.multicall` request around the calls.
pub(crate) struct Envelope {
    pub(crate) head: Vec<u8>,
    pub(crate) foot: Vec<u8>,
}

/// The envelope koji-xmlrpc's `MulticallWriter` writes, split where the
/// calls go.
pub(crate) fn envelope() -> &'static Envelope {
    static ENVELOPE: OnceLock<Envelope> = OnceLock::new();
    ENVELOPE.get_or_init(|| {
        let empty = MulticallWriter::new().finish();
        let marker = b"<array><data>\n";
        let split = empty
            .windows(marker.len())
            .position(|w| w == marker)
            .map_or(empty.len(), |p| p + marker.len());
        let (head, foot) = empty.split_at(split);
        Envelope {
            head: head.to_vec(),
            foot: foot.to_vec(),
        }
    })
}

/// One call encoded as a multicall entry (`<value><struct>…</struct></value>\n`),
/// byte for byte as koji's client writes it: the writer's whole document and
/// where the call is in it (saves copying it before it goes to the arena).
pub(crate) fn fragment<P: Serialize + ?Sized>(method: &str, params: &P) -> Result<Encoded> {
    let mut w = MulticallWriter::new();
    w.call(method, params)
        .map_err(|e| Error::new(Kind::Encode).with_source(e))?;
    let doc = w.finish();
    let env = envelope();
    let call = env.head.len()..doc.len().saturating_sub(env.foot.len());
    if call.start <= call.end && doc.starts_with(&env.head) && doc.ends_with(&env.foot) {
        Ok(Encoded { doc, call })
    } else {
        Err(Error::new(Kind::Encode)
            .with_source("the multicall writer's output has an unexpected layout"))
    }
}

/// A call encoded by [`fragment`].
pub(crate) struct Encoded {
    doc: Vec<u8>,
    call: Range<usize>,
}

impl Encoded {
    pub(crate) fn call(&self) -> &[u8] {
        self.doc.get(self.call.clone()).unwrap_or_default()
    }
}

/// The request body of a chunk: the envelope around its calls' bytes.
pub(crate) fn chunk_body(env: &Envelope, arena: &[u8], bytes: Range<usize>) -> Vec<u8> {
    let calls = arena.get(bytes).unwrap_or_default();
    let mut body = Vec::with_capacity(env.head.len() + calls.len() + env.foot.len());
    body.extend_from_slice(&env.head);
    body.extend_from_slice(calls);
    body.extend_from_slice(&env.foot);
    body
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn envelope_and_fragments_rebuild_the_writers_document() {
        let mut w = MulticallWriter::new();
        w.call("getBuild", &(3,)).unwrap();
        w.call("echo", &(1, "a<b", ())).unwrap();
        let whole = w.finish();
        let env = envelope();
        let mut mine = env.head.clone();
        mine.extend(fragment("getBuild", &(3,)).unwrap().call());
        mine.extend(fragment("echo", &(1, "a<b", ())).unwrap().call());
        mine.extend(&env.foot);
        assert_eq!(
            String::from_utf8(mine).unwrap(),
            String::from_utf8(whole).unwrap()
        );
        assert!(env.head.ends_with(b"<value><array><data>\n"));
        assert!(env.foot.starts_with(b"</data></array></value>\n</param>"));
    }
}
