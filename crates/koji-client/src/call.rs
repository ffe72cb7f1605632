//! Calls: [`PreparedCall`] (an encoded call, the session layer's seam),
//! [`CallBuilder`] (a call built argument by argument) and [`CallStream`]
//! (the items of an array answer as they arrive).

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use koji_xmlrpc::{RequestWriter, Struct, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::connection::Connection;
use crate::error::{Error, Kind, Result};

/// Which hub URL a call goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Endpoint {
    /// The hub URL itself (`server`).
    #[default]
    Hub,
    /// `<server>/ssllogin`, where Apache asks for a client certificate or
    /// Kerberos (`sslLogin`).
    SslLogin,
}

/// An encoded call with everything needed to send it, and to send it again:
/// a retried call resends exactly the same bytes and headers.
///
/// This is the seam for the session layer: it adds the session headers
/// (marked sensitive, so they never show in `Debug`), the call number, and
/// chooses the endpoint and the timeout.
///
/// ```
/// # fn demo(koji: &koji_client::Connection) -> koji_client::Result<()> {
/// let call = koji
///     .prepare("getLoggedInUser", ())?
///     .header("Koji-Session-Callnum", "7")?
///     .call_number(7);
/// assert_eq!(call.method(), "getLoggedInUser");
/// # Ok(()) }
/// ```
#[derive(Clone)]
#[must_use]
pub struct PreparedCall {
    pub(crate) method: String,
    pub(crate) body: Bytes,
    pub(crate) headers: HeaderMap,
    pub(crate) endpoint: Endpoint,
    pub(crate) query: Option<String>,
    pub(crate) call_number: Option<u64>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) retry: bool,
    pub(crate) logged_in: Option<bool>,
    /// Sent as it is, without the connection's session credentials (login
    /// calls, or a caller that added credentials itself).
    pub(crate) bypass_session: bool,
    /// Sent over https even if the hub URL is http (certificate and
    /// Kerberos logins, as koji does).
    pub(crate) force_https: bool,
}

impl std::fmt::Debug for PreparedCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedCall")
            .field("method", &self.method)
            .field("body_len", &self.body.len())
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("endpoint", &self.endpoint)
            .field("has_query", &self.query.is_some())
            .field("call_number", &self.call_number)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

impl PreparedCall {
    pub(crate) fn new(method: &str, body: Vec<u8>) -> PreparedCall {
        PreparedCall {
            method: method.to_owned(),
            body: Bytes::from(body),
            headers: HeaderMap::new(),
            endpoint: Endpoint::Hub,
            query: None,
            call_number: None,
            timeout: None,
            retry: true,
            logged_in: None,
            bypass_session: false,
            force_https: false,
        }
    }

    /// The RPC method name.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The encoded request body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Adds a header to the request. Header values are marked sensitive:
    /// they never show in `Debug` output or logs.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self> {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| Error::builder(format!("invalid header name {name:?}")).with_source(e))?;
        let mut value = HeaderValue::from_str(value).map_err(|e| {
            Error::builder(format!("invalid value for header {name}")).with_source(e)
        })?;
        value.set_sensitive(true);
        self.headers.append(name, value);
        Ok(self)
    }

    /// The headers added with [`header`](Self::header).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Sends the call to another endpoint (e.g. `/ssllogin` for `sslLogin`).
    pub fn endpoint(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = endpoint;
        self
    }

    /// Appends a query string to the URL (session credentials for hubs older
    /// than 1.31). It is never shown in errors or logs.
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.query = Some(query.into());
        self
    }

    /// The session call number, for tracing (the session layer sends it in
    /// headers or the query string).
    pub fn call_number(mut self, n: u64) -> Self {
        self.call_number = Some(n);
        self
    }

    /// Overrides the connection's per-attempt timeout for this call.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Uses the connection's `auth_timeout` for this call (login calls).
    pub fn auth_timeout(self, koji: &Connection) -> Self {
        let t = koji.auth_timeout();
        self.timeout(t)
    }

    /// Whether transport failures may be retried at all (koji's `retry`
    /// argument; default true). The immediate resend of a dropped connection
    /// and `offline_retry` are not affected.
    pub fn retry(mut self, on: bool) -> Self {
        self.retry = on;
        self
    }

    /// Sends the call exactly as prepared, without the connection's session
    /// credentials (for calls that carry credentials of their own).
    pub fn without_session(mut self) -> Self {
        self.bypass_session = true;
        self
    }

    /// Adds session credentials: their headers (sensitive) or query string.
    pub(crate) fn with_credentials(&self, creds: &crate::session::Credentials) -> Result<Self> {
        let mut call = self.clone();
        for (name, value) in &creds.headers {
            call = call.header(name, value)?;
        }
        if let Some(query) = &creds.query {
            call = call.query(query.clone());
        }
        Ok(call.call_number(creds.callnum).logged_in(true))
    }

    /// Treats the call as made by a logged-in session (transport failures are
    /// then retried without `anon_retry`), overriding
    /// [`Connection::set_logged_in`].
    pub fn logged_in(mut self, on: bool) -> Self {
        self.logged_in = Some(on);
        self
    }
}

/// The items of an array answer, decoded one by one as they arrive (see
/// [`Connection::call_stream`]). Ends after the last item, or after the first
/// error.
#[must_use = "streams do nothing unless polled"]
pub struct CallStream<T> {
    pub(crate) inner: Pin<Box<dyn Stream<Item = Result<T>> + Send>>,
}

impl<T> std::fmt::Debug for CallStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallStream").finish_non_exhaustive()
    }
}

impl<T> Stream for CallStream<T> {
    type Item = Result<T>;

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<T>>> {
        self.inner.as_mut().poll_next(cx)
    }
}

pub(crate) fn encode_error(method: &str, e: koji_xmlrpc::Error) -> Error {
    let mut err = Error::new(Kind::Encode).with_source(e);
    err = err.context(method, "");
    err
}

/// Positional arguments as values: a sequence gives its elements, `()` none.
pub(crate) fn args_to_values(args: &impl Serialize) -> Result<Vec<Value>> {
    match koji_xmlrpc::to_value(args) {
        Ok(Value::Array(items)) => Ok(items),
        Ok(Value::Nil) => Ok(Vec::new()),
        Ok(_) => Err(Error::new(Kind::Encode).with_source(
            "positional arguments must be a tuple, array, Vec or () (wrap one argument as `(x,)`)",
        )),
        Err(e) => Err(Error::new(Kind::Encode).with_source(e)),
    }
}

/// Keyword arguments as a struct: a struct or map gives its members, `()` none.
pub(crate) fn kwargs_to_struct(kwargs: &impl Serialize) -> Result<Option<Struct>> {
    match koji_xmlrpc::to_value(kwargs) {
        Ok(Value::Struct(s)) if s.is_empty() => Ok(None),
        Ok(Value::Struct(s)) => Ok(Some(s)),
        Ok(Value::Nil) => Ok(None),
        Ok(_) => Err(Error::new(Kind::Encode)
            .with_source("keyword arguments must serialize as a struct or map")),
        Err(e) => Err(Error::new(Kind::Encode).with_source(e)),
    }
}

/// A call under construction: positional arguments, keyword arguments and
/// per-call options. Await it for a [`Value`], or use [`typed`](Self::typed)
/// or [`stream`](Self::stream).
#[must_use = "a call does nothing until it is awaited"]
pub struct CallBuilder<'c> {
    conn: &'c Connection,
    method: String,
    writer: Option<RequestWriter>,
    kwargs: Struct,
    error: Option<Error>,
    timeout: Option<Duration>,
    retry: bool,
    logged_in: Option<bool>,
}

impl std::fmt::Debug for CallBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallBuilder")
            .field("method", &self.method)
            .field("kwargs", &self.kwargs.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl<'c> CallBuilder<'c> {
    pub(crate) fn new(conn: &'c Connection, method: &str) -> CallBuilder<'c> {
        let (writer, error) = match RequestWriter::new(method) {
            Ok(w) => (Some(w), None),
            Err(e) => (None, Some(encode_error(method, e))),
        };
        CallBuilder {
            conn,
            method: method.to_owned(),
            writer,
            kwargs: Struct::new(),
            error,
            timeout: None,
            retry: true,
            logged_in: None,
        }
    }

    fn fail(&mut self, e: Error) {
        if self.error.is_none() {
            self.error = Some(e.context(&self.method, ""));
        }
    }

    /// Appends one positional argument (encoded right away).
    pub fn arg(mut self, value: impl Serialize) -> Self {
        if let Some(w) = self.writer.as_mut() {
            if let Err(e) = w.param(&value) {
                self.fail(Error::new(Kind::Encode).with_source(e));
            }
        }
        self
    }

    /// Appends several positional arguments (a tuple, array or `Vec`).
    pub fn args(mut self, values: impl Serialize) -> Self {
        match args_to_values(&values) {
            Ok(values) => {
                for v in values {
                    self = self.arg(v);
                }
            }
            Err(e) => self.fail(e),
        }
        self
    }

    /// Sets one keyword argument.
    pub fn kwarg(mut self, name: &str, value: impl Serialize) -> Self {
        match koji_xmlrpc::to_value(&value) {
            Ok(v) => {
                self.kwargs.insert(name.to_owned(), v);
            }
            Err(e) => self.fail(Error::new(Kind::Encode).with_source(e)),
        }
        self
    }

    /// Sets keyword arguments from a struct or map.
    pub fn kwargs(mut self, values: impl Serialize) -> Self {
        match kwargs_to_struct(&values) {
            Ok(Some(s)) => self.kwargs.extend(s),
            Ok(None) => {}
            Err(e) => self.fail(e),
        }
        self
    }

    /// Overrides the per-attempt timeout for this call.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Never retry transport failures of this call (see [`PreparedCall::retry`]).
    pub fn no_retry(mut self) -> Self {
        self.retry = false;
        self
    }

    /// Retry as a logged-in call would be (see [`PreparedCall::logged_in`]).
    pub fn logged_in(mut self, on: bool) -> Self {
        self.logged_in = Some(on);
        self
    }

    /// Encodes the call without sending it.
    pub fn prepare(self) -> Result<PreparedCall> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let Some(mut writer) = self.writer else {
            return Err(Error::new(Kind::Encode).context(&self.method, ""));
        };
        if !self.kwargs.is_empty() {
            let kw = koji_xmlrpc::kwargs_struct(self.kwargs);
            writer.param(&kw).map_err(|e| {
                Error::new(Kind::Encode)
                    .with_source(e)
                    .context(&self.method, "")
            })?;
        }
        let mut call = PreparedCall::new(&self.method, writer.finish()).retry(self.retry);
        if let Some(t) = self.timeout {
            call = call.timeout(t);
        }
        if let Some(l) = self.logged_in {
            call = call.logged_in(l);
        }
        Ok(call)
    }

    /// Sends the call and decodes the answer into `T`.
    pub async fn typed<T: DeserializeOwned + Send>(self) -> Result<T> {
        let conn = self.conn;
        let call = self.prepare()?;
        conn.execute_as(&call).await
    }

    /// Sends the call and streams the items of its array answer (see
    /// [`Connection::call_stream`]).
    pub fn stream<T>(self) -> CallStream<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let conn = self.conn.clone();
        conn.stream_prepared(self.prepare())
    }

    /// Sends the call and returns the answer as a [`Value`] (same as awaiting
    /// the builder).
    pub async fn send(self) -> Result<Value> {
        self.typed().await
    }
}

impl<'c> IntoFuture for CallBuilder<'c> {
    type Output = Result<Value>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Value>> + Send + 'c>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
