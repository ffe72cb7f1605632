//! Koji's XML-RPC dialect, without I/O.
//!
//! This crate reads and writes the XML-RPC documents a Koji hub and its clients exchange:
//!
//! * **Encoding** lays documents out byte for byte as Python's `xmlrpc.client` (and so
//!   `koji.xmlrpcplus.dumps` and the hub) does — `<?xml version='1.0'?>` header, newlines
//!   where the marshaller puts them, `<int>`/`<i8>` by magnitude, doubles as Python's
//!   `repr()` — except that a carriage return is written as `&#13;` (Python writes it raw
//!   and the receiving parser turns it into a newline), and values XML-RPC cannot carry
//!   (NaN, infinities, characters XML 1.0 forbids) are errors instead of broken documents.
//! * **Decoding** goes straight from bytes into your serde types (borrowing strings from
//!   the input where no escape was needed) or into the dynamic [`Value`], accepting
//!   everything the hub's parser accepts (`<i4>`, `<i8>`, `<ex:nil/>`, untyped values,
//!   comments, CDATA, ISO-8859-1 documents…) and rejecting what it rejects — without
//!   ever expanding entities or following a DTD, with limits on depth and size, and with
//!   errors that name the value path and byte offset.
//! * **Streaming**: [`ArrayStreamDecoder`] decodes a huge array response item by item from
//!   chunks in constant memory (and, with the default `stream` feature,
//!   [`decode_array_stream`] does it for a `futures` byte stream).
//! * **Transcoding to JSON**: [`JsonTranscoder`] turns a response into the JSON that
//!   `koji call --json-output` prints, byte for byte, as the body arrives and in bounded
//!   memory whatever its size.
//! * Koji's keyword-argument convention ([`kwargs_struct`], [`split_kwargs`]) and
//!   multicall encoding ([`MulticallWriter`]).
//!
//! ```
//! use serde::Deserialize;
//! use koji_xmlrpc::{decode_response, encode_request, kwargs_struct, Struct, Value};
//!
//! // A request as koji's ClientSession would send it: getBuild(3, strict=True).
//! let mut kw = Struct::new();
//! kw.insert("strict".into(), Value::Bool(true));
//! let body = encode_request("getBuild", &[Value::Int(3), kwargs_struct(kw)])?;
//! assert!(body.starts_with(b"<?xml version='1.0'?>\n<methodCall>\n"));
//!
//! // The hub's answer, decoded into a struct (unknown members are ignored).
//! #[derive(Deserialize)]
//! struct Build<'a> { build_id: i64, nvr: &'a str, completion_ts: Option<f64> }
//! let reply = b"<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n\
//!     <value><struct>\n<member>\n<name>build_id</name>\n<value><int>3</int></value>\n</member>\n\
//!     <member>\n<name>nvr</name>\n<value><string>hello-1.2-1.fc40</string></value>\n</member>\n\
//!     <member>\n<name>completion_ts</name>\n<value><nil/></value></member>\n\
//!     </struct></value>\n</param>\n</params>\n</methodResponse>\n";
//! let build: Build = decode_response(reply)?.expect("not a fault");
//! assert_eq!((build.build_id, build.nvr, build.completion_ts), (3, "hello-1.2-1.fc40", None));
//! # Ok::<(), koji_xmlrpc::Error>(())
//! ```

#[macro_use]
mod reject;
mod de;
mod de_value;
mod encode;
mod error;
mod json;
mod scan;
mod ser_value;
mod stream;
mod text;
mod value;

/// The reference decoder the tests and fuzz targets compare the fast one
/// with (feature `reference`; not for production use).
#[cfg(feature = "reference")]
#[doc(hidden)]
pub mod reference;

pub use de_value::from_value;
pub use encode::{
    MulticallWriter, RequestWriter, encode_fault, encode_request, encode_request_with,
    encode_response, encode_response_with, kwargs_struct, split_kwargs,
};
pub use error::{Error, ErrorKind};
pub use json::{JsonOptions, JsonStyle, JsonTranscoder, value_to_json};
pub use ser_value::to_value;
pub use stream::ArrayStreamDecoder;
#[cfg(feature = "stream")]
pub use stream::decode_array_stream;
pub use value::{DateTime, DateTimeParts, Fault, Struct, Value};

use serde::Deserialize;

/// Limits applied while decoding.
///
/// ```
/// let opts = koji_xmlrpc::DecodeOptions::new().max_depth(16).max_size(Some(1 << 20));
/// assert_eq!(opts.get_max_depth(), 16);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeOptions {
    pub(crate) max_depth: usize,
    pub(crate) max_size: Option<usize>,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            max_depth: Self::DEFAULT_MAX_DEPTH,
            max_size: Some(Self::DEFAULT_MAX_SIZE),
        }
    }
}

impl DecodeOptions {
    /// Default nesting limit of arrays and structs.
    pub const DEFAULT_MAX_DEPTH: usize = 128;
    /// Default size limit: 1 GiB.
    pub const DEFAULT_MAX_SIZE: usize = 1 << 30;

    /// The defaults: depth 128, size 1 GiB.
    pub fn new() -> Self {
        Self::default()
    }

    /// How deeply arrays and structs may nest (the outermost one is level 1). Decoding
    /// recurses once per level, so very large limits need a correspondingly large stack.
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// The largest document accepted, in bytes (`None`: no limit). For
    /// [`ArrayStreamDecoder`] it bounds each buffered array item instead, since a stream
    /// is never held in memory as a whole.
    pub fn max_size(mut self, size: Option<usize>) -> Self {
        self.max_size = size;
        self
    }

    /// The nesting limit.
    pub fn get_max_depth(&self) -> usize {
        self.max_depth
    }

    /// The size limit.
    pub fn get_max_size(&self) -> Option<usize> {
        self.max_size
    }

    pub(crate) fn check_size(&self, len: usize) -> Result<(), Error> {
        match self.max_size {
            Some(max) if len > max => Err(Error::at(
                ErrorKind::SizeLimit,
                format!("{len} bytes, more than the limit of {max}"),
                max,
            )),
            _ => Ok(()),
        }
    }
}

/// A decoded `methodCall`: what a hub receives (and what a task's `request` holds).
#[derive(Debug, Clone, PartialEq)]
pub struct MethodCall {
    /// `methodName`.
    pub method: String,
    /// The params (empty when `<params>` is missing). Use [`split_kwargs`] to separate
    /// koji's keyword arguments.
    pub params: Vec<Value>,
}

/// Decodes a `methodCall` document with the default [`DecodeOptions`].
///
/// ```
/// let call = koji_xmlrpc::decode_call(b"<methodCall><methodName>echo</methodName></methodCall>").unwrap();
/// assert_eq!(call.method, "echo");
/// assert!(call.params.is_empty());
/// ```
pub fn decode_call(bytes: &[u8]) -> Result<MethodCall, Error> {
    decode_call_with(bytes, &DecodeOptions::default())
}

/// Decodes a `methodCall` document.
pub fn decode_call_with(bytes: &[u8], opts: &DecodeOptions) -> Result<MethodCall, Error> {
    de::decode_call(bytes, opts)
}

/// Decodes a `methodResponse` into `T` (or the fault it carries) with the default
/// [`DecodeOptions`].
pub fn decode_response<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
) -> Result<Result<T, Fault>, Error> {
    decode_response_with(bytes, &DecodeOptions::default())
}

/// Decodes a `methodResponse` into `T` (or the fault it carries).
pub fn decode_response_with<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
    opts: &DecodeOptions,
) -> Result<Result<T, Fault>, Error> {
    de::decode_response(bytes, opts)
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
