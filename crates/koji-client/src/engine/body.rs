//! Reading a response body: the [`Consume`] step of one attempt, and the
//! ready-made consumers (the whole body decoded into a type, the whole body
//! handed to a function, an array answer decoded item by item, an answer
//! transcoded to JSON as it arrives).
//!
//! A consumer gets the response head and its streaming body
//! ([`hyper::body::Incoming`]); [`BodyReader`] undoes the content encoding
//! and enforces the size limit. New ways of reading an answer (transcoding
//! it as it streams, saving a download) are new consumers here.

use std::future::Future;
use std::time::Duration;

use http::Response;
use http::header::HeaderMap;
use hyper::body::Incoming;
use koji_xmlrpc::{ArrayStreamDecoder, JsonOptions, JsonTranscoder};
use serde::de::DeserializeOwned;

use super::Engine;
use super::transport::{BodyReader, content_type};
use crate::error::{Error, Kind, Result, TimeoutKind};

/// How the response of one successful attempt is consumed.
///
/// It runs inside the attempt: its errors are the attempt's errors, so
/// retries apply to them as to a failed request, and the attempt's timeout
/// bounds it. The response status was checked (2xx) before.
pub(crate) trait Consume: Send {
    type Output: Send;
    fn consume(
        &mut self,
        engine: &Engine,
        resp: Response<Incoming>,
    ) -> impl Future<Output = Result<Self::Output>> + Send;
}

/// Reads the whole body and decodes it into `T`.
pub(crate) struct Buffered<T>(pub(crate) std::marker::PhantomData<fn() -> T>);

impl<T: DeserializeOwned + Send> Consume for Buffered<T> {
    type Output = T;
    async fn consume(&mut self, engine: &Engine, resp: Response<Incoming>) -> Result<T> {
        let (parts, body) = resp.into_parts();
        let reader = BodyReader::new(&parts.headers, body, engine.max_response_size())?;
        let bytes = reader.read_to_end().await?;
        tracing::debug!(bytes = bytes.len(), "response received");
        decode_body::<T>(&bytes, &parts.headers)
    }
}

/// Reads the whole body and hands it to a decoding function (multicall
/// decodes its entries itself). An error from the function counts as the
/// attempt's error, so retries apply to it as to any decode error or fault.
pub(crate) struct BufferedWith<F>(pub(crate) F);

impl<O, F> Consume for BufferedWith<F>
where
    O: Send,
    F: FnMut(&[u8], &HeaderMap) -> Result<O> + Send,
{
    type Output = O;
    async fn consume(&mut self, engine: &Engine, resp: Response<Incoming>) -> Result<O> {
        let (parts, body) = resp.into_parts();
        let reader = BodyReader::new(&parts.headers, body, engine.max_response_size())?;
        let bytes = reader.read_to_end().await?;
        tracing::debug!(bytes = bytes.len(), "response received");
        (self.0)(&bytes, &parts.headers)
    }
}

/// Decodes a complete XML-RPC response body.
fn decode_body<T: DeserializeOwned>(bytes: &[u8], headers: &HeaderMap) -> Result<T> {
    match koji_xmlrpc::decode_response::<T>(bytes) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(fault)) => Err(Error::fault(fault.code, fault.string)),
        Err(e) => {
            if looks_like_xmlrpc(bytes) {
                Err(Error::decode(e))
            } else {
                Err(Error::not_xmlrpc(content_type(headers), bytes).with_source(e))
            }
        }
    }
}

/// Starts reading an array response: succeeds once the first item (or the
/// end of an empty array) has been decoded, so that faults such as
/// `ServerOffline` and early transport failures can still be retried.
pub(crate) struct StreamStart<T>(pub(crate) std::marker::PhantomData<fn() -> T>);

/// A streamed response body and its decoder.
pub(crate) struct StreamBody<T> {
    reader: BodyReader,
    decoder: ArrayStreamDecoder<T>,
    /// The first item, decoded while starting.
    pub(crate) first: Option<T>,
    /// The body has ended and the decoder was told so.
    ended: bool,
    /// The start of the body, for error messages about non-XML-RPC bodies.
    head: Vec<u8>,
    headers: HeaderMap,
}

/// How much of a streamed body is kept for error messages.
const STREAM_HEAD: usize = 1024;

impl<T: DeserializeOwned + Send> Consume for StreamStart<T> {
    type Output = StreamBody<T>;
    async fn consume(
        &mut self,
        _engine: &Engine,
        resp: Response<Incoming>,
    ) -> Result<StreamBody<T>> {
        let (parts, body) = resp.into_parts();
        let reader = BodyReader::streaming(&parts.headers, body)?;
        let mut body = StreamBody {
            reader,
            decoder: ArrayStreamDecoder::new(),
            first: None,
            ended: false,
            head: Vec::new(),
            headers: parts.headers,
        };
        // Within the attempt's timeout (see `Engine::send`).
        body.first = body.next_item(None).await?;
        Ok(body)
    }
}

impl<T: DeserializeOwned> StreamBody<T> {
    /// The next item of the array; `None` at its end. Waits for more of the
    /// body as needed, each wait bounded by `idle` when given.
    pub(crate) async fn next_item(&mut self, idle: Option<Duration>) -> Result<Option<T>> {
        if let Some(first) = self.first.take() {
            return Ok(Some(first));
        }
        loop {
            match self.decoder.next_item() {
                Ok(Some(item)) => return Ok(Some(item)),
                Ok(None) if self.decoder.is_done() => return Ok(None),
                Ok(None) if self.ended => {
                    return Err(Error::new(Kind::Disconnected)
                        .with_source("the response ended before the array was complete"));
                }
                Ok(None) => {}
                Err(e) => return Err(self.codec_error(e)),
            }
            let more = match idle {
                Some(limit) => tokio::time::timeout(limit, self.reader.fill())
                    .await
                    .map_err(|_| Error::timeout(TimeoutKind::Response, limit))??,
                None => self.reader.fill().await?,
            };
            // At the end of the body the decompressor may flush a last piece.
            let pending = self.reader.pending();
            if self.head.len() < STREAM_HEAD {
                let take = (STREAM_HEAD - self.head.len()).min(pending.len());
                self.head
                    .extend_from_slice(pending.get(..take).unwrap_or_default());
            }
            if !pending.is_empty() {
                self.decoder.feed(pending);
                pending.clear();
            }
            if !more {
                self.ended = true;
                self.decoder.finish().map_err(|e| self.codec_error(e))?;
            }
        }
    }

    fn codec_error(&self, e: koji_xmlrpc::Error) -> Error {
        if e.kind() == koji_xmlrpc::ErrorKind::Fault {
            return match e.into_fault() {
                Some(fault) => Error::fault(fault.code, fault.string),
                None => Error::new(Kind::Decode),
            };
        }
        if looks_like_xmlrpc(&self.head) {
            Error::decode(e)
        } else {
            Error::not_xmlrpc(content_type(&self.headers), &self.head).with_source(e)
        }
    }
}

/// Whether a body starts like an XML-RPC response (so a decode failure is
/// about its content, not about being some other document).
pub(crate) fn looks_like_xmlrpc(bytes: &[u8]) -> bool {
    let head = bytes.get(..bytes.len().min(1024)).unwrap_or_default();
    let head = String::from_utf8_lossy(head);
    head.contains("<methodResponse")
}

/// How much of a transcoded body is kept for error messages about
/// non-XML-RPC answers.
const JSON_HEAD: usize = 1024;

/// Starts transcoding an answer to JSON: succeeds once the first piece of
/// JSON is out (or the answer is complete), so that faults such as
/// `ServerOffline` and early transport failures can still be retried.
pub(crate) struct JsonStart(pub(crate) JsonOptions);

/// A body being transcoded to JSON.
pub(crate) struct JsonBody {
    reader: BodyReader,
    json: JsonTranscoder,
    /// JSON not handed out yet.
    pub(crate) out: Vec<u8>,
    done: bool,
    head: Vec<u8>,
    headers: HeaderMap,
}

impl Consume for JsonStart {
    type Output = JsonBody;
    async fn consume(&mut self, _engine: &Engine, resp: Response<Incoming>) -> Result<JsonBody> {
        let (parts, body) = resp.into_parts();
        // No limit on the whole answer: it is never held; the transcoder
        // limits each value.
        let reader = BodyReader::streaming(&parts.headers, body)?;
        let mut body = JsonBody {
            reader,
            json: JsonTranscoder::new(self.0.clone()),
            out: Vec::new(),
            done: false,
            head: Vec::new(),
            headers: parts.headers,
        };
        // Within the attempt's timeout.
        body.advance(None).await?;
        Ok(body)
    }
}

impl JsonBody {
    /// Reads until some JSON is out or the answer is complete, each wait for
    /// the body bounded by `idle` when given.
    async fn advance(&mut self, idle: Option<Duration>) -> Result<()> {
        while self.out.is_empty() && !self.done {
            let more = match idle {
                Some(limit) => tokio::time::timeout(limit, self.reader.fill())
                    .await
                    .map_err(|_| Error::timeout(TimeoutKind::Response, limit))??,
                None => self.reader.fill().await?,
            };
            let pending = self.reader.pending();
            if self.head.len() < JSON_HEAD {
                let take = (JSON_HEAD - self.head.len()).min(pending.len());
                self.head
                    .extend_from_slice(pending.get(..take).unwrap_or_default());
            }
            let fed = self.json.feed(pending, &mut self.out);
            pending.clear();
            if let Err(e) = fed {
                return Err(self.codec_error(e));
            }
            if !more {
                if let Err(e) = self.json.finish(&mut self.out) {
                    return Err(self.codec_error(e));
                }
                self.done = true;
            }
        }
        Ok(())
    }

    /// The next piece of JSON, `None` at the end; each wait for the body is
    /// bounded by `idle`.
    pub(crate) async fn next_piece(&mut self, idle: Duration) -> Result<Option<Vec<u8>>> {
        self.advance(Some(idle)).await?;
        if self.out.is_empty() {
            return Ok(None);
        }
        Ok(Some(std::mem::take(&mut self.out)))
    }

    fn codec_error(&self, e: koji_xmlrpc::Error) -> Error {
        if e.kind() == koji_xmlrpc::ErrorKind::Fault {
            return match e.into_fault() {
                Some(fault) => Error::fault(fault.code, fault.string),
                None => Error::new(Kind::Decode),
            };
        }
        if e.kind() == koji_xmlrpc::ErrorKind::SizeLimit || looks_like_xmlrpc(&self.head) {
            Error::decode(e)
        } else {
            Error::not_xmlrpc(content_type(&self.headers), &self.head).with_source(e)
        }
    }
}
