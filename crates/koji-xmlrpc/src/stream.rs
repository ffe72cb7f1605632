//! Incremental decoding of array responses.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorKind};
use crate::scan::Scanner;
use crate::text;
use crate::{DecodeOptions, Value};

/// Where the decoder is in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Expecting the given step of the path `methodResponse > params > param > value > array > data`.
    Prolog(u8),
    /// Between items (or inside one, see `item_start`).
    Items,
    /// After `</data>`: the rest is checked at [`ArrayStreamDecoder::finish`].
    Epilog,
    /// A fault response: buffered whole, decoded at the end.
    Fault,
    /// Finished or failed.
    Done,
}

/// An I/O-free push decoder for a `methodResponse` whose value is an array: feed it the
/// body in chunks of any size, pull each item as soon as it is complete, call
/// [`finish`](Self::finish) at the end of the body.
///
/// Memory stays bounded by the largest item (plus one chunk), whatever the length of
/// the array. A fault response is reported as an error of kind
/// [`ErrorKind::Fault`](crate::ErrorKind::Fault) carrying the [`Fault`](crate::Fault).
///
/// ```
/// use koji_xmlrpc::{ArrayStreamDecoder, Value, encode_response};
/// let body = encode_response(&Value::Array((0..100).map(Value::Int).collect())).unwrap();
/// let mut d = ArrayStreamDecoder::<i64>::new();
/// let mut got = Vec::new();
/// for chunk in body.chunks(7) {
///     d.feed(chunk);
///     while let Some(item) = d.next_item().unwrap() {
///         got.push(item);
///     }
/// }
/// d.finish().unwrap();
/// while let Some(item) = d.next_item().unwrap() { got.push(item); }
/// assert_eq!(got, (0..100).collect::<Vec<_>>());
/// ```
pub struct ArrayStreamDecoder<T> {
    opts: DecodeOptions,
    /// The unconsumed input, already checked to be UTF-8.
    buf: String,
    /// The start of a UTF-8 sequence split by a chunk boundary.
    carry: Vec<u8>,
    /// Absolute offset of invalid UTF-8, once seen.
    bad_utf8: Option<usize>,
    /// Bytes available at the last attempt to decode the current item (which needed more).
    tried: usize,
    /// Absolute offset of `buf[0]` in the document.
    base: usize,
    /// Scan position in `buf`.
    pos: usize,
    phase: Phase,
    /// Start (in `buf`) of an item waiting for more input.
    item_start: Option<usize>,
    /// Index of the next item.
    index: usize,
    /// The document with the items cut out: checked as a whole at the end.
    frame: Vec<u8>,
    eof: bool,
    failed: bool,
    _t: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for ArrayStreamDecoder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArrayStreamDecoder")
            .field("offset", &(self.base + self.pos))
            .field("items", &self.index)
            .field("buffered", &self.buf.len())
            .finish()
    }
}

impl<T: DeserializeOwned> Default for ArrayStreamDecoder<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// A token found by the skimmer.
enum Tok<'b> {
    /// Character data (possibly only part of a run).
    Text,
    /// Start tag: local name, whether self-closing.
    Start(&'b [u8], bool),
    End(&'b [u8]),
    /// Comment, PI, CDATA: skipped (validated later by the real parser).
    Misc,
}

impl<T: DeserializeOwned> ArrayStreamDecoder<T> {
    /// A decoder with the default [`DecodeOptions`].
    pub fn new() -> Self {
        Self::with_options(DecodeOptions::default())
    }

    /// A decoder with the given limits (`max_size` bounds each item).
    pub fn with_options(opts: DecodeOptions) -> Self {
        ArrayStreamDecoder {
            opts,
            buf: String::new(),
            carry: Vec::new(),
            bad_utf8: None,
            tried: 0,
            base: 0,
            pos: 0,
            phase: Phase::Prolog(0),
            item_start: None,
            index: 0,
            frame: Vec::new(),
            eof: false,
            failed: false,
            _t: PhantomData,
        }
    }

    /// Appends a chunk of the body.
    pub fn feed(&mut self, chunk: &[u8]) {
        // Drop what has been consumed before growing the buffer.
        let keep_from = self.item_start.unwrap_or(self.pos);
        if keep_from > 0 && keep_from >= self.buf.len() / 2 && self.buf.is_char_boundary(keep_from)
        {
            self.buf.drain(..keep_from);
            self.base += keep_from;
            self.pos -= keep_from;
            if let Some(s) = self.item_start.as_mut() {
                *s -= keep_from;
            }
        }
        if self.bad_utf8.is_some() {
            return;
        }
        let joined;
        let bytes = if self.carry.is_empty() {
            chunk
        } else {
            let mut j = std::mem::take(&mut self.carry);
            j.extend_from_slice(chunk);
            joined = j;
            &joined[..]
        };
        match std::str::from_utf8(bytes) {
            Ok(s) => self.buf.push_str(s),
            Err(e) => {
                let good = e.valid_up_to();
                self.buf
                    .push_str(std::str::from_utf8(bytes.get(..good).unwrap_or(&[])).unwrap_or(""));
                match e.error_len() {
                    // An incomplete sequence at the end: wait for the rest.
                    None => self.carry = bytes.get(good..).unwrap_or(&[]).to_vec(),
                    Some(_) => self.bad_utf8 = Some(self.base + self.buf.len()),
                }
            }
        }
    }

    /// How many items have been returned so far.
    pub fn items_decoded(&self) -> usize {
        self.index
    }

    /// Whether the whole document has been decoded (after [`finish`](Self::finish)).
    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done && !self.failed
    }

    /// The next complete item, or `None` when more input is needed (or all items were
    /// returned). Errors are final.
    pub fn next_item(&mut self) -> Result<Option<T>, Error> {
        if self.failed {
            return Err(Error::new(ErrorKind::Syntax, "the stream already failed"));
        }
        match self.step() {
            Ok(v) => Ok(v),
            Err(e) => {
                self.failed = true;
                self.phase = Phase::Done;
                Err(e)
            }
        }
    }

    /// Signals the end of the body. After this, [`next_item`](Self::next_item) returns the
    /// remaining items and then reports an incomplete (truncated) or malformed end of the
    /// document as an error; it returns `Ok(None)` once everything has been checked, when
    /// [`is_done`](Self::is_done) becomes true. Fails only if the decoder already failed.
    pub fn finish(&mut self) -> Result<(), Error> {
        self.eof = true;
        if self.failed {
            return Err(Error::new(ErrorKind::Syntax, "the stream already failed"));
        }
        Ok(())
    }

    fn abs(&self, p: usize) -> usize {
        self.base + p
    }

    /// Reads the next token at `self.pos` (None: need more input).
    fn token(&self) -> Result<Option<(Tok<'_>, usize)>, Error> {
        let b = self.buf.as_bytes();
        let p = self.pos;
        let Some(&first) = b.get(p) else {
            return Ok(None);
        };
        if first != b'<' {
            let end = memchr::memchr(b'<', b.get(p..).unwrap_or(&[])).map_or(b.len(), |i| p + i);
            return Ok(Some((Tok::Text, end)));
        }
        let rest = b.get(p..).unwrap_or(&[]);
        let find = |pat: &[u8], from: usize| {
            memchr::memmem::find(rest.get(from..).unwrap_or(&[]), pat).map(|i| from + i + pat.len())
        };
        if rest.starts_with(b"<!--") {
            return Ok(find(b"-->", 4).map(|n| (Tok::Misc, p + n)));
        }
        if rest.starts_with(b"<![CDATA[") {
            return Ok(find(b"]]>", 9).map(|n| (Tok::Misc, p + n)));
        }
        if rest.starts_with(b"<?") {
            return Ok(find(b"?>", 2).map(|n| (Tok::Misc, p + n)));
        }
        if rest.starts_with(b"<!") {
            if rest.len() < 9 && b"<!DOCTYPE".starts_with(rest)
                || rest.len() < 4 && b"<!--".starts_with(rest)
            {
                return Ok(None);
            }
            let kind = if rest.starts_with(b"<!DOCTYPE") {
                ErrorKind::Dtd
            } else {
                ErrorKind::Syntax
            };
            return Err(Error::at(
                kind,
                "markup declarations are not allowed",
                self.abs(p),
            ));
        }
        // A tag: find its '>' outside quoted attribute values.
        let mut q = 0u8;
        let mut i = 1;
        while let Some(&c) = rest.get(i) {
            if q != 0 {
                if c == q {
                    q = 0;
                }
            } else if c == b'"' || c == b'\'' {
                q = c;
            } else if c == b'>' {
                let end = i + 1;
                let (is_end, name_from) = if rest.get(1) == Some(&b'/') {
                    (true, 2)
                } else {
                    (false, 1)
                };
                let mut ne = name_from;
                while rest
                    .get(ne)
                    .is_some_and(|&c| !text::is_ws(c) && c != b'/' && c != b'>')
                {
                    ne += 1;
                }
                let raw = rest.get(name_from..ne).unwrap_or(&[]);
                let Some(name) = text::local_name(raw) else {
                    return Err(Error::at(
                        ErrorKind::Syntax,
                        "invalid element name",
                        self.abs(p),
                    ));
                };
                let tok = if is_end {
                    Tok::End(name)
                } else {
                    Tok::Start(name, rest.get(i - 1) == Some(&b'/'))
                };
                return Ok(Some((tok, p + end)));
            }
            i += 1;
        }
        Ok(None)
    }

    fn too_big(&self) -> Result<(), Error> {
        let start = self.item_start.unwrap_or(self.pos);
        let pending = self.buf.len() - start.min(self.buf.len());
        if let Some(max) = self.opts.max_size {
            if pending > max || self.frame.len() > max {
                return Err(Error::at(
                    ErrorKind::SizeLimit,
                    format!(
                        "a streamed item (or the frame around the items) is larger than {max} bytes"
                    ),
                    self.abs(start),
                ));
            }
        }
        Ok(())
    }

    fn truncated(&self) -> Error {
        Error::at(
            ErrorKind::Truncated,
            "the response ends before the array is complete",
            self.abs(self.buf.len()),
        )
        .prepend_path(&format!("params[0][{}]", self.index))
    }

    fn step(&mut self) -> Result<Option<T>, Error> {
        const PATH: [&[u8]; 6] = [
            b"methodResponse",
            b"params",
            b"param",
            b"value",
            b"array",
            b"data",
        ];
        loop {
            match self.phase {
                Phase::Done => return Ok(None),
                Phase::Fault | Phase::Epilog => {
                    let rest = self.buf.as_bytes().get(self.pos..).unwrap_or(&[]).to_vec();
                    self.frame.extend_from_slice(&rest);
                    self.pos = self.buf.len();
                    self.too_big()?;
                    if !self.eof {
                        return Ok(None);
                    }
                    let fault_mode = self.phase == Phase::Fault;
                    self.phase = Phase::Done;
                    let frame = std::mem::take(&mut self.frame);
                    return match crate::de::decode_response::<Value>(&frame, &self.opts)? {
                        Err(f) => Err(Error::from_fault(f)),
                        Ok(Value::Array(a)) if a.is_empty() && !fault_mode => Ok(None),
                        Ok(_) => Err(Error::new(
                            ErrorKind::Structure,
                            "the response is not an array",
                        )
                        .prepend_path("params[0]")),
                    };
                }
                Phase::Prolog(step) => {
                    self.too_big()?;
                    let Some((tok, next)) = self.token()? else {
                        if self.eof {
                            return Err(Error::at(
                                ErrorKind::Truncated,
                                "the response ends before its array",
                                self.abs(self.buf.len()),
                            ));
                        }
                        return Ok(None);
                    };
                    let start = self.pos;
                    let mut to_phase = None;
                    match tok {
                        Tok::Text | Tok::Misc => {}
                        Tok::Start(name, empty) => {
                            let want = PATH.get(usize::from(step)).copied().unwrap_or(b"");
                            if step == 1 && name == b"fault" {
                                to_phase = Some(Phase::Fault);
                            } else if name != want {
                                return Err(Error::at(
                                    ErrorKind::Structure,
                                    if step >= 4 {
                                        "the response is not an array".to_string()
                                    } else {
                                        format!("expected <{}>", String::from_utf8_lossy(want))
                                    },
                                    self.abs(start),
                                ));
                            } else if empty {
                                if step == 4 || step == 5 {
                                    // <array/> or <data/>: an empty array; the frame check
                                    // validates the rest.
                                    to_phase = Some(Phase::Epilog);
                                } else {
                                    return Err(Error::at(
                                        ErrorKind::Structure,
                                        "the response has no array",
                                        self.abs(start),
                                    ));
                                }
                            } else if step == 5 {
                                to_phase = Some(Phase::Items);
                            } else {
                                self.phase = Phase::Prolog(step + 1);
                            }
                        }
                        Tok::End(_) => {
                            return Err(Error::at(
                                ErrorKind::Structure,
                                "the response is not an array",
                                self.abs(start),
                            ));
                        }
                    }
                    let bytes = self.buf.as_bytes().get(start..next).unwrap_or(&[]).to_vec();
                    self.frame.extend_from_slice(&bytes);
                    self.pos = next;
                    if let Some(ph) = to_phase {
                        self.phase = ph;
                    }
                }
                Phase::Items => {
                    self.too_big()?;
                    if let Some(at) = self.bad_utf8 {
                        if self.base + self.buf.len() <= at {
                            return Err(Error::at(ErrorKind::InvalidUtf8, "invalid UTF-8", at)
                                .prepend_path(&format!("params[0][{}]", self.index)));
                        }
                    }
                    // Whitespace and comments between items (checked like anywhere else).
                    let rest = self.buf.get(self.pos..).unwrap_or("");
                    let mut sc = Scanner::new(rest);
                    sc.in_root = true;
                    match sc.misc() {
                        Ok(()) => {}
                        Err(e) if e.kind() == ErrorKind::Truncated && !self.eof => return Ok(None),
                        Err(e) => return Err(self.item_error(e)),
                    }
                    self.pos += sc.pos;
                    let rest = self.buf.get(self.pos..).unwrap_or("");
                    if rest.is_empty() {
                        if self.eof {
                            return Err(self.truncated());
                        }
                        return Ok(None);
                    }
                    if rest.starts_with("</") {
                        let start = self.pos;
                        match self.token()? {
                            None if self.eof => return Err(self.truncated()),
                            None => return Ok(None),
                            Some((Tok::End(name), next)) if name == b"data" => {
                                let bytes =
                                    self.buf.as_bytes().get(start..next).unwrap_or(&[]).to_vec();
                                self.frame.extend_from_slice(&bytes);
                                self.pos = next;
                                self.phase = Phase::Epilog;
                            }
                            Some(_) => {
                                return Err(Error::at(
                                    ErrorKind::Structure,
                                    "expected <value> or </data>",
                                    self.abs(start),
                                )
                                .prepend_path(&format!("params[0][{}]", self.index)));
                            }
                        }
                        continue;
                    }
                    // An item: decode it from the buffer; if it is not all there yet, wait
                    // until the buffer has doubled (so a huge item costs linear time).
                    let avail = rest.len();
                    if !self.eof && self.tried > 0 && avail < 2 * self.tried {
                        return Ok(None);
                    }
                    match crate::de::decode_item::<T>(rest, &self.opts) {
                        Ok((item, used)) => {
                            self.pos += used;
                            self.index += 1;
                            self.tried = 0;
                            self.item_start = None;
                            return Ok(Some(item));
                        }
                        Err(e) if e.kind() == ErrorKind::Truncated && !self.eof => {
                            self.tried = avail;
                            self.item_start = Some(self.pos);
                            return Ok(None);
                        }
                        Err(e) => return Err(self.item_error(e)),
                    }
                }
            }
        }
    }

    fn item_error(&self, e: Error) -> Error {
        let off = e.offset().unwrap_or(0);
        let abs = self.abs(self.pos) + off;
        e.relocate(abs)
            .prepend_path(&format!("params[0][{}]", self.index))
    }
}
#[cfg(feature = "stream")]
mod futures_adapter {
    use futures_core::Stream;
    use futures_util::StreamExt as _;
    use serde::de::DeserializeOwned;

    use super::ArrayStreamDecoder;
    use crate::{DecodeOptions, Error};

    /// Turns a stream of body chunks (e.g. `reqwest::Response::bytes_stream()`) into a
    /// stream of the response array's items, decoded one by one in constant memory.
    ///
    /// A transport error ends the stream with an error of kind
    /// [`ErrorKind::Transport`](crate::ErrorKind::Transport) (its `source()` is the
    /// original error); a fault response with one of kind
    /// [`ErrorKind::Fault`](crate::ErrorKind::Fault).
    ///
    /// ```
    /// use futures_util::{stream, StreamExt};
    /// use koji_xmlrpc::{decode_array_stream, encode_response, DecodeOptions, Value};
    /// let body = encode_response(&Value::Array(vec![Value::Int(1), Value::Int(2)])).unwrap();
    /// let chunks = stream::iter(body.chunks(5).map(|c| Ok::<_, std::io::Error>(c.to_vec())).collect::<Vec<_>>());
    /// let items: Vec<i32> = futures_executor::block_on(
    ///     decode_array_stream::<_, _, _, i32>(chunks, DecodeOptions::default()).map(|r| r.unwrap()).collect(),
    /// );
    /// assert_eq!(items, [1, 2]);
    /// ```
    pub fn decode_array_stream<S, B, E, T>(
        stream: S,
        opts: DecodeOptions,
    ) -> impl Stream<Item = Result<T, Error>>
    where
        S: Stream<Item = Result<B, E>>,
        B: AsRef<[u8]>,
        E: std::error::Error + Send + Sync + 'static,
        T: DeserializeOwned,
    {
        struct State<S, T> {
            input: std::pin::Pin<Box<S>>,
            dec: ArrayStreamDecoder<T>,
            done: bool,
        }
        let state = State {
            input: Box::pin(stream),
            dec: ArrayStreamDecoder::<T>::with_options(opts),
            done: false,
        };
        futures_util::stream::unfold(state, |mut st| async move {
            if st.done {
                return None;
            }
            loop {
                match st.dec.next_item() {
                    Ok(Some(item)) => return Some((Ok(item), st)),
                    Ok(None) if st.dec.is_done() => return None,
                    Ok(None) => {}
                    Err(e) => {
                        st.done = true;
                        return Some((Err(e), st));
                    }
                }
                match st.input.next().await {
                    Some(Ok(chunk)) => st.dec.feed(chunk.as_ref()),
                    Some(Err(e)) => {
                        st.done = true;
                        return Some((Err(Error::transport(Box::new(e))), st));
                    }
                    None => {
                        if let Err(e) = st.dec.finish() {
                            st.done = true;
                            return Some((Err(e), st));
                        }
                    }
                }
            }
        })
    }
}

#[cfg(feature = "stream")]
pub use futures_adapter::decode_array_stream;
