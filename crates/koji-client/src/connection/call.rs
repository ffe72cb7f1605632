//! The facade's calls: [`Connection::call`] and friends, [`CallBuilder`]
//! (a call built argument by argument) and [`CallStream`] (the items of an
//! array answer as they arrive).

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use futures_util::Stream;
use koji_xmlrpc::{JsonOptions, RequestWriter, Struct, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use super::Connection;
use crate::engine::{Buffered, JsonBody, JsonStart, StreamBody, StreamStart};
use crate::error::{Error, Kind, Result};
use crate::request::{self, PreparedCall, args_to_values, encode_error, kwargs_to_struct};

impl Connection {
    /// Calls `method` with positional `args` (a tuple, array, `Vec` or `()`)
    /// and returns the hub's answer as a [`Value`].
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let version = koji.call("getKojiVersion", ()).await?;
    /// let build = koji.call("getBuild", (3,)).await?;
    /// let missing = koji.call("getBuild", ("no-such-1.0-1", true)).await;
    /// assert!(missing.is_err());
    /// # Ok(()) }
    /// ```
    pub async fn call(&self, method: &str, args: impl Serialize) -> Result<Value> {
        self.call_as(method, args).await
    }

    /// Like [`call`](Self::call), but decodes the answer straight into `T`
    /// (no [`Value`] tree in between).
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// #[derive(serde::Deserialize)]
    /// struct Build { build_id: i64, nvr: String }
    ///
    /// let build: Option<Build> = koji.call_as("getBuild", (3,)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn call_as<T: DeserializeOwned + Send>(
        &self,
        method: &str,
        args: impl Serialize,
    ) -> Result<T> {
        let call = self.prepare(method, args)?;
        self.execute_as(&call).await
    }

    /// Calls `method` with positional `args` and keyword arguments `kwargs`
    /// (anything that serializes as a struct or map; sent koji's way, as a
    /// trailing struct with `__starstar`).
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// use std::collections::BTreeMap;
    /// use koji_client::Value;
    ///
    /// #[derive(serde::Serialize)]
    /// #[serde(rename_all = "camelCase")]
    /// struct ListBuilds { package_id: i64, query_opts: BTreeMap<&'static str, Value> }
    ///
    /// let opts = BTreeMap::from([("limit", Value::Int(5)), ("order", "-build_id".into())]);
    /// let builds = koji
    ///     .call_with("listBuilds", (), ListBuilds { package_id: 7, query_opts: opts })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn call_with(
        &self,
        method: &str,
        args: impl Serialize,
        kwargs: impl Serialize,
    ) -> Result<Value> {
        let call = self.prepare_with(method, args, kwargs)?;
        self.execute_as(&call).await
    }

    /// Starts a call built argument by argument.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// use std::collections::BTreeMap;
    ///
    /// // Await it for a Value...
    /// let task = koji.request("getTaskInfo").arg(42).kwarg("request", true).await?;
    ///
    /// // ...or decode into your own type.
    /// #[derive(serde::Deserialize)]
    /// struct Task { id: i64, method: String }
    /// let tasks: Vec<Task> = koji
    ///     .request("listTasks")
    ///     .kwarg("queryOpts", BTreeMap::from([("limit", 10)]))
    ///     .typed()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn request(&self, method: &str) -> CallBuilder<'_> {
        CallBuilder::new(self, method)
    }

    /// Encodes a call without sending it (see [`PreparedCall`]).
    pub fn prepare(&self, method: &str, args: impl Serialize) -> Result<PreparedCall> {
        request::encode(method, args)
    }

    /// Encodes a call with keyword arguments without sending it.
    pub fn prepare_with(
        &self,
        method: &str,
        args: impl Serialize,
        kwargs: impl Serialize,
    ) -> Result<PreparedCall> {
        request::encode_with(method, args, kwargs, self.server_url())
    }

    /// Sends a prepared call and returns the answer as a [`Value`].
    pub async fn execute(&self, call: &PreparedCall) -> Result<Value> {
        self.execute_as(call).await
    }

    /// Sends a prepared call and decodes the answer into `T`.
    pub async fn execute_as<T: DeserializeOwned + Send>(&self, call: &PreparedCall) -> Result<T> {
        self.run(call, Buffered::<T>(std::marker::PhantomData))
            .await
    }

    /// Calls a method whose answer is an array and yields its items one by
    /// one as they arrive, decoded straight into `T`, in constant memory
    /// whatever the length of the array (no [`max_response_size`](crate::ConnectionBuilder::max_response_size) applies).
    ///
    /// Retries (and the deadline) apply until the first item arrives; a
    /// failure after that ends the stream with an error. The per-attempt
    /// timeout bounds the wait for the response and for each piece of the body.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// use futures_util::StreamExt;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Rpm { id: i64, name: String, arch: String }
    ///
    /// let mut rpms = koji.call_stream::<Rpm>("listRPMs", ());
    /// while let Some(rpm) = rpms.next().await {
    ///     let rpm = rpm?;
    ///     println!("{} {}", rpm.name, rpm.arch);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn call_stream<T>(&self, method: &str, args: impl Serialize) -> CallStream<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let call = self.prepare(method, args);
        self.stream_prepared(call)
    }

    /// Streams the items of a prepared call's array answer (see [`call_stream`](Self::call_stream)).
    pub fn execute_stream<T>(&self, call: &PreparedCall) -> CallStream<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.stream_prepared(Ok(call.clone()))
    }

    pub(crate) fn stream_prepared<T>(&self, call: Result<PreparedCall>) -> CallStream<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        enum State<T> {
            Start(Connection, Result<PreparedCall>),
            Body(Connection, PreparedCall, Box<StreamBody<T>>),
            Done,
        }
        let start = State::Start(self.clone(), call);
        let stream = futures_util::stream::unfold(start, |state| async move {
            match state {
                State::Done => None,
                State::Start(conn, call) => {
                    let call = match call {
                        Ok(call) => call,
                        Err(e) => return Some((Err(e), State::Done)),
                    };
                    match conn
                        .run(&call, StreamStart::<T>(std::marker::PhantomData))
                        .await
                    {
                        Err(e) => Some((Err(e), State::Done)),
                        Ok(mut body) => body
                            .first
                            .take()
                            .map(|item| (Ok(item), State::Body(conn, call, Box::new(body)))),
                    }
                }
                State::Body(conn, call, mut body) => {
                    let idle = call.timeout.unwrap_or(conn.timeout());
                    let span = tracing::debug_span!("koji_stream", method = %call.method, call_number = call.call_number);
                    match body.next_item(Some(idle)).instrument(span).await {
                        Ok(Some(item)) => Some((Ok(item), State::Body(conn, call, body))),
                        Ok(None) => None,
                        Err(e) => {
                            let url = conn.engine().display_url(&call);
                            Some((Err(e.context(&call.method, &url)), State::Done))
                        }
                    }
                }
            }
        });
        CallStream {
            inner: Box::pin(stream),
        }
    }

    /// Streams the items of an array answer, with keyword arguments.
    pub fn call_stream_with<T>(
        &self,
        method: &str,
        args: impl Serialize,
        kwargs: impl Serialize,
    ) -> CallStream<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let call = self.prepare_with(method, args, kwargs);
        self.stream_prepared(call)
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

/// The JSON of an answer, in pieces as the answer arrives (see
/// [`Connection::execute_json`]). Each item is a piece of the JSON text;
/// concatenated, they are the whole JSON (without a trailing newline). An
/// error ends the stream.
#[must_use = "streams do nothing unless polled"]
pub struct JsonStream {
    inner: Pin<Box<dyn Stream<Item = Result<Vec<u8>>> + Send>>,
}

impl std::fmt::Debug for JsonStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonStream").finish_non_exhaustive()
    }
}

impl Stream for JsonStream {
    type Item = Result<Vec<u8>>;
    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl Connection {
    /// Sends a prepared call and transcodes its answer into JSON as it
    /// arrives: by default exactly what `koji call --json-output` prints
    /// (see [`JsonOptions`] and [`JsonStyle`](koji_xmlrpc::JsonStyle)).
    ///
    /// Memory stays bounded whatever the answer's size: the answer is never
    /// held, [`max_response_size`](crate::ConnectionBuilder::max_response_size)
    /// does not apply, and a single value larger than
    /// [`JsonOptions::max_value_size`] (64 MiB by default) ends the stream
    /// with a decode error saying so. A fault answer is an error of kind
    /// fault, as for [`execute`](Self::execute). Retries (and the deadline)
    /// apply until the first piece of JSON is out; a failure after that ends
    /// the stream with an error. The per-attempt timeout bounds the wait for
    /// the response and for each piece of the body.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// use std::io::Write;
    /// use futures_util::StreamExt;
    /// use koji_client::JsonOptions;
    ///
    /// let call = koji.prepare("listBuilds", ())?;
    /// let mut json = koji.execute_json(&call, JsonOptions::new());
    /// let mut stdout = std::io::stdout();
    /// while let Some(piece) = json.next().await {
    ///     stdout.write_all(&piece?).ok();
    /// }
    /// # Ok(()) }
    /// ```
    pub fn execute_json(&self, call: &PreparedCall, opts: JsonOptions) -> JsonStream {
        enum State {
            Start(Connection, PreparedCall, JsonOptions),
            Body(Connection, PreparedCall, Box<JsonBody>),
            Done,
        }
        let start = State::Start(self.clone(), call.clone(), opts);
        let stream = futures_util::stream::unfold(start, |state| async move {
            match state {
                State::Done => None,
                State::Start(conn, call, opts) => match conn.run(&call, JsonStart(opts)).await {
                    Err(e) => Some((Err(e), State::Done)),
                    Ok(mut body) => {
                        let first = std::mem::take(&mut body.out);
                        if first.is_empty() {
                            // A complete answer with no JSON cannot happen:
                            // every answer has a value.
                            None
                        } else {
                            Some((Ok(first), State::Body(conn, call, Box::new(body))))
                        }
                    }
                },
                State::Body(conn, call, mut body) => {
                    let idle = call.timeout.unwrap_or(conn.timeout());
                    let span = tracing::debug_span!("koji_json", method = %call.method, call_number = call.call_number);
                    match body.next_piece(idle).instrument(span).await {
                        Ok(Some(piece)) => Some((Ok(piece), State::Body(conn, call, body))),
                        Ok(None) => None,
                        Err(e) => {
                            let url = conn.engine().display_url(&call);
                            Some((Err(e.context(&call.method, &url)), State::Done))
                        }
                    }
                }
            }
        });
        JsonStream {
            inner: Box::pin(stream),
        }
    }
}
