//! What the hub received, for tests to assert on (request count, sizes,
//! methods, session ids and call numbers). Session keys and credentials are
//! never kept.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// One request as the hub received it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestRecord {
    /// The HTTP method.
    pub http_method: String,
    /// The URL path.
    pub path: String,
    /// The query string, with any `session-key` value replaced by `XXXXX`.
    pub query: Option<String>,
    /// The request headers in order (names lower-case), with
    /// `koji-session-key` and `authorization` values replaced by `XXXXX`.
    pub headers: Vec<(String, String)>,
    /// The body size in bytes (for a body over the limit, which is not read
    /// to its end, the announced `Content-Length`).
    pub body_len: usize,
    /// The XML-RPC method, if the body was a well-formed call.
    pub method: Option<String>,
    /// The session id presented with a valid key, if any.
    pub session_id: Option<i64>,
    /// The call number sent with it, if any.
    pub callnum: Option<i64>,
    /// The HTTP status answered (0 when the connection was dropped).
    pub status: u16,
    /// The fault code answered, if the answer was a fault.
    pub fault_code: Option<i64>,
}

/// Counters (always on) and the request list (when enabled).
#[derive(Debug)]
pub(crate) struct Log {
    enabled: bool,
    count: AtomicU64,
    max_body: AtomicUsize,
    total: AtomicU64,
    records: Mutex<Vec<RequestRecord>>,
}

impl Log {
    /// A log that keeps records if `enabled`.
    pub(crate) fn new(enabled: bool) -> Self {
        Log {
            enabled,
            count: AtomicU64::new(0),
            max_body: AtomicUsize::new(0),
            total: AtomicU64::new(0),
            records: Mutex::new(Vec::new()),
        }
    }

    /// Counts a request.
    pub(crate) fn count(&self, body_len: usize) {
        self.count.fetch_add(1, Ordering::AcqRel);
        self.max_body.fetch_max(body_len, Ordering::AcqRel);
        self.total.fetch_add(body_len as u64, Ordering::AcqRel);
    }

    /// Whether records are kept.
    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    /// Keeps a record.
    pub(crate) fn push(&self, r: RequestRecord) {
        if self.enabled {
            self.records
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(r);
        }
    }

    /// Requests received.
    pub(crate) fn request_count(&self) -> u64 {
        self.count.load(Ordering::Acquire)
    }

    /// The largest request body.
    pub(crate) fn max_body(&self) -> usize {
        self.max_body.load(Ordering::Acquire)
    }

    /// All request bodies, in bytes.
    pub(crate) fn total_bytes(&self) -> u64 {
        self.total.load(Ordering::Acquire)
    }

    /// A copy of the records.
    pub(crate) fn records(&self) -> Vec<RequestRecord> {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Forgets records and counters.
    pub(crate) fn clear(&self) {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.count.store(0, Ordering::Release);
        self.max_body.store(0, Ordering::Release);
        self.total.store(0, Ordering::Release);
    }
}

/// Replaces the value of `session-key` in a query string.
pub(crate) fn redact_query(q: &str) -> String {
    q.split('&')
        .map(|f| match f.split_once('=') {
            Some(("session-key", _)) => "session-key=XXXXX".to_owned(),
            _ => f.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_keys_are_redacted() {
        assert_eq!(
            redact_query("session-id=3&session-key=2-abc&callnum=4"),
            "session-id=3&session-key=XXXXX&callnum=4"
        );
    }
}
