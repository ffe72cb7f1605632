//! The request layer (pure, no I/O): [`PreparedCall`], an encoded call
//! with everything needed to send it (and to send it again), and the
//! encoding of positional and keyword arguments (koji-xmlrpc does the XML).
//!
//! Everything above uses this layer: the engine sends a `PreparedCall`, the
//! session adds its credentials to one, the login layer builds the login
//! calls, and the facade prepares the caller's calls.

use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use koji_xmlrpc::{Struct, Value};
use serde::Serialize;

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
/// This is the seam between the layers: the session adds its headers
/// (marked sensitive, so they never show in `Debug`) and the call number,
/// the login layer chooses the endpoint and the timeout, and the engine
/// sends it (with retries).
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

    /// A `rawUpload` chunk: the bytes as an `application/octet-stream` body
    /// with the upload's arguments in `query` (already form-encoded). Sent
    /// through `Connection::run` like any call, so it carries the session.
    pub(crate) fn raw_upload(chunk: Bytes, query: String) -> PreparedCall {
        let mut call = PreparedCall {
            body: chunk,
            query: Some(query),
            ..PreparedCall::new("rawUpload", Vec::new())
        };
        call.headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        call
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

    /// Treats the call as made by a logged-in session, or not: transport
    /// failures of an authenticated call are retried without `anon_retry`,
    /// as koji does. By default a call counts as authenticated when it is
    /// sent with the connection's session credentials (see
    /// [`Connection::is_logged_in`](crate::Connection::is_logged_in)).
    pub fn logged_in(mut self, on: bool) -> Self {
        self.logged_in = Some(on);
        self
    }

    /// Sends the call over https even if the hub URL is http (certificate
    /// and Kerberos logins, as koji does).
    pub(crate) fn over_https(mut self) -> Self {
        self.force_https = true;
        self
    }

    /// Whether the call is authenticated, as far as the call itself says:
    /// marked with [`logged_in`](Self::logged_in) or carrying a session's
    /// credentials; `None` when nothing says so either way.
    pub(crate) fn authenticated(&self) -> Option<bool> {
        self.logged_in
    }
}

/// Encodes `method(*args)` (args: a tuple, array, `Vec` or `()`).
pub(crate) fn encode(method: &str, args: impl Serialize) -> Result<PreparedCall> {
    let body =
        koji_xmlrpc::encode_request_with(method, &args).map_err(|e| encode_error(method, e))?;
    Ok(PreparedCall::new(method, body))
}

/// Encodes `method(*args, **kwargs)` koji's way (the keyword arguments as a
/// trailing struct with `__starstar`). Argument errors name `method` and
/// the hub `url` they were meant for.
pub(crate) fn encode_with(
    method: &str,
    args: impl Serialize,
    kwargs: impl Serialize,
    url: &str,
) -> Result<PreparedCall> {
    let mut params = args_to_values(&args).map_err(|e| e.context(method, url))?;
    let kwargs = kwargs_to_struct(&kwargs).map_err(|e| e.context(method, url))?;
    if let Some(kw) = kwargs {
        params.push(koji_xmlrpc::kwargs_struct(kw));
    }
    let body = koji_xmlrpc::encode_request(method, &params).map_err(|e| encode_error(method, e))?;
    Ok(PreparedCall::new(method, body))
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
