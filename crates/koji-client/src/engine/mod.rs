//! The engine: sends a [`PreparedCall`] to the hub and hands its response
//! to a [`Consume`]r, with the transport (hyper, the keep-alive pool, the
//! TLS context from `tls.rs`, proxies), the URL policy ([`urls`]), the
//! per-attempt timeout, the deadline and the retry loop ([`retry`]).
//!
//! It knows nothing of sessions or logins: whether a call is authenticated
//! (which changes what is retried) travels with the call
//! ([`PreparedCall::logged_in`]). Everything that talks HTTP to the hub goes
//! through here: XML-RPC calls, login calls, and — as new consumers or
//! requests — raw uploads (a body POSTed to `<server>?…`, which a
//! `PreparedCall` with a query string already describes) and downloads.

pub(crate) mod body;
pub(crate) mod retry;
pub(crate) mod transport;
pub(crate) mod urls;

use std::sync::OnceLock;
use std::time::Duration;

use http::Uri;
use http::header::HeaderName;
use tokio::time::Instant;
use tracing::Instrument;

use crate::error::{Error, Result, TimeoutKind};
use crate::request::PreparedCall;
use crate::tls::TlsContext;

pub(crate) use body::{
    Buffered, BufferedWith, Consume, JsonBody, JsonStart, StreamBody, StreamStart,
    looks_like_xmlrpc,
};
use retry::{RetryPolicy, RetryState};
use transport::{HttpSettings, Transport, status_error};
use urls::HubUrls;

/// The response header of hubs ≥ 1.35 that names their version.
static KOJI_VERSION: HeaderName = HeaderName::from_static("koji-version");

/// What the engine is built from (the connection builder's settings).
pub(crate) struct EngineSettings {
    pub(crate) urls: HubUrls,
    pub(crate) http: HttpSettings,
    pub(crate) tls: TlsContext,
    /// A client certificate is configured (certificate login is possible).
    pub(crate) has_cert: bool,
    pub(crate) timeout: Duration,
    pub(crate) auth_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_size: usize,
}

/// Sends calls to one hub. Shared by a connection, its clones and its
/// subsessions.
pub(crate) struct Engine {
    urls: HubUrls,
    transport: Transport,
    has_cert: bool,
    timeout: Duration,
    auth_timeout: Duration,
    retry: RetryPolicy,
    deadline: Duration,
    max_response_size: usize,
    version_header: OnceLock<String>,
}

impl Engine {
    /// Builds the connection pool; no connection is opened yet.
    pub(crate) fn new(settings: EngineSettings) -> Engine {
        let deadline = settings.retry.effective_deadline(settings.timeout);
        Engine {
            urls: settings.urls,
            transport: Transport::new(&settings.http, settings.tls),
            has_cert: settings.has_cert,
            timeout: settings.timeout,
            auth_timeout: settings.auth_timeout,
            retry: settings.retry,
            deadline,
            max_response_size: settings.max_response_size,
            version_header: OnceLock::new(),
        }
    }

    /// The pooled HTTP transport, for plain GETs of files under `topurl`
    /// (`crate::download`): same pool, TLS context and proxies as calls.
    pub(crate) fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The hub URL (without trailing slash).
    pub(crate) fn server(&self) -> &str {
        self.urls.server()
    }

    /// `<server>/ssllogin`.
    pub(crate) fn login_url(&self) -> String {
        self.urls.login_url()
    }

    /// Keeps calls on https from now on (after a certificate or Kerberos
    /// login, as koji does).
    pub(crate) fn force_https(&self) {
        self.urls.force_https();
    }

    /// The URL of a call as it may be shown in errors and logs.
    pub(crate) fn display_url(&self, call: &PreparedCall) -> String {
        self.urls.display(call)
    }

    pub(crate) fn has_cert(&self) -> bool {
        self.has_cert
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    pub(crate) fn auth_timeout(&self) -> Duration {
        self.auth_timeout
    }

    pub(crate) fn deadline(&self) -> Duration {
        self.deadline
    }

    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    pub(crate) fn max_response_size(&self) -> usize {
        self.max_response_size
    }

    /// The `Koji-Version` header seen on a response, if any.
    pub(crate) fn version_header(&self) -> Option<&str> {
        self.version_header.get().map(String::as_str)
    }

    /// Sends `call` exactly as prepared and lets `consume` read the answer,
    /// with the retry loop around the attempts: the same bytes and headers
    /// each time, each attempt within the call's timeout, all of them
    /// within the deadline. Transport failures are retried for
    /// authenticated calls ([`PreparedCall::logged_in`]) or with
    /// `anon_retry`, as the [`RetryPolicy`] says.
    pub(crate) async fn send<C: Consume>(
        &self,
        call: &PreparedCall,
        consume: &mut C,
    ) -> Result<C::Output> {
        let span = tracing::debug_span!(
            "koji_call",
            method = %call.method,
            call_number = call.call_number,
        );
        async {
            let uri = self
                .urls
                .target(call)
                .map_err(|e| e.context(&call.method, &self.display_url(call)))?;
            let timeout = call.timeout.unwrap_or(self.timeout);
            let started = Instant::now();
            let deadline = started + self.deadline;
            let retry_transport = call.retry
                && (call.authenticated().unwrap_or(false) || self.retry.get_anon_retry());
            let mut state = RetryState::default();
            let mut attempt: u32 = 0;
            let mut previous: Option<Error> = None;
            loop {
                attempt += 1;
                // The first attempt starts with the whole deadline left; measuring
                // it again would leave it a few nanoseconds short of a deadline
                // equal to the timeout, and a plain response timeout would read as
                // an expired deadline.
                let remaining = if attempt == 1 {
                    self.deadline
                } else {
                    deadline.saturating_duration_since(Instant::now())
                };
                let limit = timeout.min(remaining);
                let result = tokio::time::timeout(limit, self.attempt(&uri, call, &mut *consume))
                    .instrument(tracing::debug_span!("attempt", n = attempt))
                    .await;
                let err = match result {
                    Ok(Ok(out)) => return Ok(out),
                    Ok(Err(e)) => e,
                    Err(_) if limit < timeout => {
                        let e = Error::timeout(TimeoutKind::Deadline, self.deadline);
                        match previous.take() {
                            Some(prev) => e.with_source(prev),
                            None => e,
                        }
                    }
                    Err(_) => Error::timeout(TimeoutKind::Response, timeout),
                };
                let mut err = err.context(&call.method, &self.display_url(call));
                err.set_attempts(attempt);
                let Some(wait) = self.retry.next(&err, &mut state, retry_transport) else {
                    tracing::debug!(error = %err, "call failed");
                    return Err(err);
                };
                if Instant::now() + wait >= deadline {
                    tracing::debug!(error = %err, "no time left for another attempt before the deadline");
                    return Err(err);
                }
                tracing::info!(error = %err, wait = ?wait, "retrying koji call");
                previous = Some(err);
                tokio::time::sleep(wait).await;
            }
        }
        .instrument(span)
        .await
    }

    /// One attempt: send, note the hub's version, check the status, consume
    /// the body.
    async fn attempt<C: Consume>(
        &self,
        uri: &Uri,
        call: &PreparedCall,
        consume: &mut C,
    ) -> Result<C::Output> {
        let resp = self
            .transport
            .post(uri, call.body.clone(), &call.headers)
            .await?;
        if let Some(v) = resp
            .headers()
            .get(&KOJI_VERSION)
            .and_then(|v| v.to_str().ok())
        {
            if self.version_header.get().is_none() {
                let _ = self.version_header.set(v.trim().to_owned());
            }
        }
        if !resp.status().is_success() {
            return Err(status_error(resp, self.max_response_size).await);
        }
        consume.consume(self, resp).await
    }
}
