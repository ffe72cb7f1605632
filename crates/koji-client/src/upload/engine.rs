//! The small interface the upload logic needs from the hub: one raw
//! `rawUpload` POST (the chunk as the body, the arguments in the query
//! string) and ordinary XML-RPC calls (`checkUpload`, `uploadFile`).
//!
//! The upload algorithms in [`super::fast`] and [`super::legacy`] are
//! written against [`UploadHub`] only, so they are tested against an
//! in-memory hub with injected failures, and [`Connection`] implements it
//! through its call engine (retries, session credentials, call numbers).

use std::future::Future;

use bytes::Bytes;
use koji_xmlrpc::{Struct, Value};

use crate::connection::Connection;
use crate::error::Result;

/// What the upload logic sends to a hub. Implemented by [`Connection`];
/// sealed (the crate's tests implement it with an in-memory hub).
pub trait UploadHub: sealed::Sealed + Send + Sync {
    /// One `rawUpload` chunk: an `application/octet-stream` POST to the hub
    /// URL with `query` (already form-encoded) and `body`; the answer is the
    /// hub's XML-RPC response.
    fn raw_upload(&self, query: String, body: Bytes) -> impl Future<Output = Result<Value>> + Send;

    /// Whether calls go out with a session (uploads need one).
    fn is_logged_in(&self) -> bool;

    /// Whether the hub is known to take `rawUpload` without asking it: it
    /// sent a `Koji-Version` header (koji 1.35 and later; `rawUpload` came
    /// in 1.7.1). When false, an upload probes with `checkUpload` first.
    fn has_raw_upload(&self) -> bool {
        false
    }

    /// An ordinary XML-RPC call with positional and keyword arguments.
    fn call(
        &self,
        method: &'static str,
        args: Vec<Value>,
        kwargs: Struct,
    ) -> impl Future<Output = Result<Value>> + Send;
}

pub(crate) mod sealed {
    /// Keeps [`super::UploadHub`] to this crate's types.
    pub trait Sealed {}
    impl Sealed for crate::Connection {}
}

impl UploadHub for Connection {
    fn is_logged_in(&self) -> bool {
        Connection::is_logged_in(self)
    }

    fn has_raw_upload(&self) -> bool {
        self.version_header().is_some()
    }

    async fn raw_upload(&self, query: String, body: Bytes) -> Result<Value> {
        let call = crate::request::PreparedCall::raw_upload(body, query);
        self.execute(&call).await
    }

    async fn call(&self, method: &'static str, args: Vec<Value>, kwargs: Struct) -> Result<Value> {
        if kwargs.is_empty() {
            Connection::call(self, method, args).await
        } else {
            self.call_with(method, args, kwargs).await
        }
    }
}
