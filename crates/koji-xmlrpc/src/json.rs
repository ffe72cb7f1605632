//! Streaming transcoding of a `methodResponse` into JSON, as it arrives.
//!
//! [`JsonTranscoder`] is push-based and I/O-free: feed it the body in chunks of any size
//! and it appends the JSON of the answer to an output buffer as soon as each piece is
//! known. It never builds the answer in memory: what it holds at any time is bounded by
//! the largest single scalar (a string, a member name, a base64 blob…) or piece of
//! markup, and [`JsonOptions::max_value_size`] bounds that (64 MiB by default), so a
//! hostile or broken hub cannot make it grow — a 4 GiB string is refused once its first
//! 64 MiB have gone by.
//!
//! It accepts the documents [`decode_response`](crate::decode_response) accepts and
//! rejects what that rejects (the same scanner reads the markup), with one exception:
//! a struct that repeats a member name is an error here (the JSON of its first occurrence
//! has already been written; Python, and so koji, would keep the last value).

use std::collections::HashSet;

use crate::error::{Error, ErrorKind};
use crate::scan::{Next, Scanner, Tag};
use crate::text::{self, Encoding, Int};
use crate::value::{DateTime, Value};

/// How the JSON is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum JsonStyle {
    /// Exactly what `koji call --json-output` prints (Python's
    /// `json.dumps(answer, indent=2, separators=(',', ': '))`): two-space indentation,
    /// every character outside printable ASCII escaped as `\uXXXX` (astral characters as
    /// a surrogate pair), doubles as Python's `repr()` (`1e+16`, `NaN`, `Infinity`),
    /// empty arrays and structs as `[]` and `{}`.
    #[default]
    Koji,
    /// One line, no spaces, non-ASCII characters written as they are (the layout of
    /// `serde_json::to_string`), doubles as in [`Koji`](Self::Koji).
    Compact,
    /// Exactly what `serde_json::to_string` writes for the answer decoded into a
    /// [`Value`]: [`Compact`](Self::Compact)'s layout, doubles in serde_json's shortest
    /// form (`1e+16`, `0.00001`, `-0.0`) and `null` for NaN and the infinities.
    SerdeJson,
}

/// Settings of a [`JsonTranscoder`].
///
/// ```
/// use koji_xmlrpc::{JsonOptions, JsonStyle};
/// let opts = JsonOptions::new().style(JsonStyle::Compact).max_value_size(1 << 20);
/// assert_eq!(opts.get_max_value_size(), 1 << 20);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonOptions {
    style: JsonStyle,
    max_value_size: usize,
    max_depth: usize,
}

impl Default for JsonOptions {
    fn default() -> Self {
        JsonOptions {
            style: JsonStyle::Koji,
            max_value_size: Self::DEFAULT_MAX_VALUE_SIZE,
            max_depth: crate::DecodeOptions::DEFAULT_MAX_DEPTH,
        }
    }
}

impl JsonOptions {
    /// Default limit of one scalar value or piece of markup: 64 MiB. Real hubs send far
    /// smaller single values (a build's `extra`, a task's `request`, a whole log read
    /// with `downloadTaskOutput` in one piece are kilobytes to a few MiB); whole answers
    /// of any size are fine, since they are never held.
    pub const DEFAULT_MAX_VALUE_SIZE: usize = 64 << 20;

    /// The defaults: [`JsonStyle::Koji`], 64 MiB per value, depth 128.
    pub fn new() -> Self {
        Self::default()
    }

    /// The layout of the output.
    pub fn style(mut self, style: JsonStyle) -> Self {
        self.style = style;
        self
    }

    /// The largest single value accepted, in bytes of text: a string, a member name, the
    /// text of any other scalar, a fault, or one piece of markup (tag, comment…).
    /// Anything larger is an error of kind [`ErrorKind::SizeLimit`]. This bounds the
    /// memory of the transcoder, whatever the size of the answer.
    pub fn max_value_size(mut self, bytes: usize) -> Self {
        self.max_value_size = bytes;
        self
    }

    /// How deeply arrays and structs may nest (default 128).
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// The layout.
    pub fn get_style(&self) -> JsonStyle {
        self.style
    }

    /// The limit of one value.
    pub fn get_max_value_size(&self) -> usize {
        self.max_value_size
    }

    /// The nesting limit.
    pub fn get_max_depth(&self) -> usize {
        self.max_depth
    }
}

/// Where the transcoder is outside the answer's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Doc {
    /// Before the root element.
    Prolog,
    /// After `<methodResponse>`.
    Root,
    /// After `<params>`.
    Params,
    /// After `<param>`.
    Param,
    /// Inside the value (see the stack).
    Value,
    /// After the value: `</param>`.
    AfterValue,
    /// After `</param>`: `</params>`.
    AfterParam,
    /// After `</params>`: `</methodResponse>`.
    AfterParams,
    /// After the root element.
    Epilog,
    /// A fault: kept whole (it is small) and decoded at the end.
    Fault,
}

/// Scalar types whose text is collected before it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leaf {
    Int,
    Bool,
    Double,
    Nil,
    Base64,
    DateTime,
}

#[derive(Debug)]
enum ArrayPhase {
    /// After `<array>`: `<data>` (or `</array>`).
    Data,
    /// Inside `<data>`.
    Items(Box<[u8]>),
    /// After `</data>`: `</array>`.
    End,
}

#[derive(Debug)]
enum StructPhase {
    /// `<member>` or `</struct>`.
    Member,
    /// Reading the member name (collected in `leaf`) up to `</name>`.
    Name { member: Box<[u8]>, name: Box<[u8]> },
    /// `<value>` of the member.
    Value { member: Box<[u8]> },
    /// After the member's value: `</member>`.
    End { member: Box<[u8]> },
}

/// One level of the value being transcoded.
#[derive(Debug)]
enum Frame {
    /// Right after a `<value>` start tag: whitespace read so far (an untyped value is
    /// a string; whitespace before a type tag is ignored).
    Open { raw: Box<[u8]>, ws: String },
    /// An untyped value's text, streamed up to `</value>`.
    Untyped { raw: Box<[u8]> },
    /// A typed value is done (or being read above): then `</value>`.
    Close { raw: Box<[u8]> },
    /// A `<string>`'s text, streamed up to its end tag.
    Str { raw: Box<[u8]> },
    /// Another scalar's text, collected in `leaf` up to its end tag.
    Scalar { ty: Leaf, raw: Box<[u8]>, at: usize },
    Array {
        raw: Box<[u8]>,
        count: usize,
        phase: ArrayPhase,
    },
    Struct {
        raw: Box<[u8]>,
        count: usize,
        /// Member names seen, to refuse repeats; their total length counts against the
        /// value limit.
        keys: HashSet<Box<str>>,
        key_bytes: usize,
        /// The current member's name, for error paths.
        key: Box<str>,
        phase: StructPhase,
    },
}

/// What one step did.
enum Step {
    /// Consumed this many bytes and/or changed state: go on.
    Go(usize),
    /// Needs more input (after consuming this many bytes).
    More(usize),
}

/// An I/O-free push transcoder from a `methodResponse` to JSON: feed it the body in
/// chunks of any size with [`feed`](Self::feed), then call [`finish`](Self::finish).
/// Each call appends to `out` the JSON that the input so far determines, so output
/// starts long before a large answer ends. The JSON has no trailing newline.
///
/// A fault response writes nothing and ends with an error of kind
/// [`ErrorKind::Fault`] carrying the [`Fault`](crate::Fault). Errors are final.
///
/// ```
/// use koji_xmlrpc::{JsonTranscoder, JsonOptions, Struct, Value, encode_response};
/// let mut s = Struct::new();
/// s.insert("nvr".into(), "hello-1.0-1".into());
/// s.insert("size".into(), Value::Int(3));
/// let body = encode_response(&Value::Array(vec![Value::Struct(s)])).unwrap();
/// let mut t = JsonTranscoder::new(JsonOptions::new());
/// let mut out = Vec::new();
/// for chunk in body.chunks(10) {
///     t.feed(chunk, &mut out).unwrap();
/// }
/// t.finish(&mut out).unwrap();
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "[\n  {\n    \"nvr\": \"hello-1.0-1\",\n    \"size\": 3\n  }\n]"
/// );
/// ```
#[derive(Debug)]
pub struct JsonTranscoder {
    opts: JsonOptions,
    /// Raw bytes before the encoding is known.
    head: Vec<u8>,
    enc: Option<Encoding>,
    /// The start of a UTF-8 sequence split by a chunk boundary.
    carry: Vec<u8>,
    /// Decoded input not consumed yet (from `pos`).
    buf: String,
    pos: usize,
    /// Absolute offset of `buf[0]` (in decoded text).
    base: usize,
    /// Pending bytes at the last step that needed more input.
    tried: usize,
    doc: Doc,
    in_root: bool,
    root: Box<[u8]>,
    params: Box<[u8]>,
    param: Box<[u8]>,
    stack: Vec<Frame>,
    /// Open JSON arrays and objects.
    depth: usize,
    /// Text of the scalar (or member name) being collected.
    leaf: String,
    /// Length of the string being streamed.
    str_len: usize,
    /// The document up to `<fault>` and after it, for a fault answer.
    fault_doc: String,
    eof: bool,
    failed: bool,
    done: bool,
    /// The most bytes held at once (input not consumed plus collected text).
    peak: usize,
}

impl JsonTranscoder {
    /// A transcoder with these settings.
    pub fn new(opts: JsonOptions) -> Self {
        JsonTranscoder {
            opts,
            head: Vec::new(),
            enc: None,
            carry: Vec::new(),
            buf: String::new(),
            pos: 0,
            base: 0,
            tried: 0,
            doc: Doc::Prolog,
            in_root: false,
            root: Box::default(),
            params: Box::default(),
            param: Box::default(),
            stack: Vec::new(),
            depth: 0,
            leaf: String::new(),
            str_len: 0,
            fault_doc: String::new(),
            eof: false,
            failed: false,
            done: false,
            peak: 0,
        }
    }

    /// Transcodes a whole body at once (a convenience for tests and small answers).
    ///
    /// ```
    /// let json = koji_xmlrpc::JsonTranscoder::transcode(
    ///     b"<methodResponse><params><param><value><i4>7</i4></value></param></params></methodResponse>",
    ///     koji_xmlrpc::JsonOptions::new(),
    /// ).unwrap();
    /// assert_eq!(json, b"7");
    /// ```
    pub fn transcode(body: &[u8], opts: JsonOptions) -> Result<Vec<u8>, Error> {
        let mut t = JsonTranscoder::new(opts);
        let mut out = Vec::new();
        t.feed(body, &mut out)?;
        t.finish(&mut out)?;
        Ok(out)
    }

    /// Whether the whole document has been read and checked (after [`finish`](Self::finish)).
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// How many bytes the transcoder holds now: input not consumed yet plus the text of
    /// the value being collected.
    pub fn buffered(&self) -> usize {
        self.head.len()
            + self.carry.len()
            + (self.buf.len() - self.pos.min(self.buf.len()))
            + self.leaf.len()
            + self.fault_doc.len()
            + self.open_ws()
    }

    /// The largest [`buffered`](Self::buffered) seen, measured after each chunk was
    /// processed (a chunk itself is held while it is processed).
    pub fn peak_buffered(&self) -> usize {
        self.peak
    }

    fn open_ws(&self) -> usize {
        match self.stack.last() {
            Some(Frame::Open { ws, .. }) => ws.len(),
            _ => 0,
        }
    }

    /// Appends a chunk of the body; appends to `out` the JSON it completes.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        self.guard(|t| {
            t.push_input(chunk)?;
            t.process(out)
        })
    }

    /// Signals the end of the body: checks that the document is complete and appends
    /// the rest of the JSON. A fault answer is reported here, as an error of kind
    /// [`ErrorKind::Fault`].
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        self.guard(|t| {
            t.eof = true;
            if t.enc.is_none() {
                t.push_input(&[])?;
            }
            if !t.carry.is_empty() {
                return Err(Error::at(
                    ErrorKind::InvalidUtf8,
                    "the body ends inside a UTF-8 sequence",
                    t.base + t.buf.len(),
                ));
            }
            t.tried = 0;
            t.process(out)?;
            if t.doc == Doc::Fault {
                let doc = std::mem::take(&mut t.fault_doc);
                let opts = crate::DecodeOptions::new()
                    .max_depth(t.opts.max_depth)
                    .max_size(Some(t.opts.max_value_size));
                return match crate::de::decode_response::<Value>(doc.as_bytes(), &opts)? {
                    Err(fault) => Err(Error::from_fault(fault)),
                    Ok(_) => Err(Error::new(ErrorKind::Structure, "a malformed fault")),
                };
            }
            t.done = true;
            Ok(())
        })
    }

    fn guard(&mut self, f: impl FnOnce(&mut Self) -> Result<(), Error>) -> Result<(), Error> {
        if self.failed {
            return Err(Error::new(
                ErrorKind::Syntax,
                "the transcoder already failed",
            ));
        }
        let r = f(self);
        if r.is_err() {
            self.failed = true;
            self.buf = String::new();
            self.leaf = String::new();
            self.fault_doc = String::new();
            self.stack.clear();
        }
        r
    }

    fn too_big(&self, what: &str, at: usize) -> Error {
        too_big(what, self.opts.max_value_size, at)
    }

    /// Decodes raw input into `buf`.
    fn push_input(&mut self, chunk: &[u8]) -> Result<(), Error> {
        let enc = match self.enc {
            Some(e) => e,
            None => {
                self.head.extend_from_slice(chunk);
                match text::sniff_encoding(&self.head, self.eof)? {
                    Some(e) => {
                        self.enc = Some(e);
                        let head = std::mem::take(&mut self.head);
                        return self.push_decoded(e, &head);
                    }
                    None if self.head.len() > self.opts.max_value_size => {
                        return Err(self.too_big("the XML declaration", 0));
                    }
                    None => return Ok(()),
                }
            }
        };
        self.push_decoded(enc, chunk)
    }

    fn push_decoded(&mut self, enc: Encoding, chunk: &[u8]) -> Result<(), Error> {
        // Drop what has been consumed before growing the buffer.
        if self.pos > 0 && self.pos >= self.buf.len() / 2 {
            self.buf.drain(..self.pos);
            self.base += self.pos;
            self.pos = 0;
        }
        match enc {
            Encoding::Latin1 => self.buf.extend(chunk.iter().map(|&b| char::from(b))),
            Encoding::Ascii => {
                if let Some(p) = chunk.iter().position(|&b| b >= 0x80) {
                    return Err(Error::at(
                        ErrorKind::InvalidUtf8,
                        "non-ASCII byte in a document declared US-ASCII",
                        self.base + self.buf.len() + p,
                    ));
                }
                self.buf
                    .push_str(std::str::from_utf8(chunk).unwrap_or_default());
            }
            Encoding::Utf8 => {
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
                        self.buf.push_str(
                            std::str::from_utf8(bytes.get(..good).unwrap_or_default())
                                .unwrap_or_default(),
                        );
                        match e.error_len() {
                            None => self.carry = bytes.get(good..).unwrap_or_default().to_vec(),
                            Some(_) => {
                                return Err(self.locate(Error::at(
                                    ErrorKind::InvalidUtf8,
                                    "invalid UTF-8",
                                    self.base + self.buf.len(),
                                )));
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Runs steps over the buffered input as far as it goes.
    fn process(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        if self.enc.is_none() {
            return Ok(());
        }
        let pending = self.buf.len() - self.pos;
        // A step that needed more input is retried once the input has doubled, so a
        // large piece arriving in many chunks costs linear time.
        if !self.eof && self.tried > 0 && pending < 2 * self.tried {
            return self.check_held();
        }
        let buf = std::mem::take(&mut self.buf);
        let r = self.run(&buf, out);
        self.buf = buf;
        r?;
        self.check_held()
    }

    fn check_held(&mut self) -> Result<(), Error> {
        let held = self.buffered();
        self.peak = self.peak.max(held);
        let pending = self.buf.len() - self.pos;
        if pending > self.opts.max_value_size {
            return Err(
                self.locate(self.too_big("a piece of markup or text", self.base + self.pos))
            );
        }
        Ok(())
    }

    fn run(&mut self, buf: &str, out: &mut Vec<u8>) -> Result<(), Error> {
        // Only up to the last '>' unless at the end: a cut there never splits a
        // reference, a CR LF pair or a UTF-8 sequence.
        let avail = buf.get(self.pos..).unwrap_or_default();
        let cut = if self.eof {
            avail.len()
        } else {
            memchr::memrchr(b'>', avail.as_bytes()).map_or(0, |i| i + 1)
        };
        let mut s = avail.get(..cut).unwrap_or_default();
        let last = self.eof;
        let mut idle = 0u32;
        loop {
            if self.doc == Doc::Epilog && s.is_empty() {
                self.tried = 0;
                return Ok(());
            }
            let at = self.base + self.pos;
            let step = match self.step(s, at, last, out) {
                Ok(step) => step,
                Err(e) if e.kind() == ErrorKind::Truncated && !last => Step::More(0),
                Err(e) => return Err(self.locate(e)),
            };
            let n = match step {
                Step::Go(n) | Step::More(n) => n,
            };
            self.pos += n;
            s = s.get(n..).unwrap_or_default();
            if let Step::More(_) = step {
                if last {
                    if (self.doc == Doc::Epilog && s.is_empty()) || self.doc == Doc::Fault {
                        return Ok(());
                    }
                    return Err(self.locate(self.truncated()));
                }
                self.tried = if n == 0 {
                    (buf.len() - self.pos).max(1)
                } else {
                    0
                };
                return Ok(());
            }
            // Every step consumes input or changes state; a run of steps doing neither
            // would be a bug: fail rather than spin.
            idle = if n == 0 { idle + 1 } else { 0 };
            if idle > 64 {
                return Err(Error::at(
                    ErrorKind::Syntax,
                    "the transcoder is stuck",
                    self.base + self.pos,
                ));
            }
        }
    }

    fn truncated(&self) -> Error {
        Error::at(
            ErrorKind::Truncated,
            "the response ends before it is complete",
            self.base + self.pos,
        )
    }

    /// Adds the value path (`params[0][3].nvr`) to an error.
    fn locate(&self, e: Error) -> Error {
        if self.doc != Doc::Value {
            return e;
        }
        let mut path = String::from("params[0]");
        let n = self.stack.len();
        for (i, f) in self.stack.iter().enumerate() {
            match f {
                // An item is open above the array.
                Frame::Array { count, .. } if *count > 0 && i + 1 < n => {
                    path.push_str(&format!("[{}]", count - 1));
                }
                Frame::Struct { key, phase, .. } if !matches!(phase, StructPhase::Member) => {
                    path.push('.');
                    path.push_str(key);
                }
                _ => {}
            }
        }
        e.prepend_path(&path)
    }

    fn scanner<'s>(&self, s: &'s str) -> Scanner<'s> {
        let mut sc = Scanner::new(s);
        sc.in_root = self.in_root;
        sc
    }

    /// One step at the start of `s` (absolute offset `at`).
    fn step(&mut self, s: &str, at: usize, last: bool, out: &mut Vec<u8>) -> Result<Step, Error> {
        let rel = |e: Error| {
            let off = e.offset().unwrap_or(0);
            e.relocate(at + off)
        };
        if self.doc == Doc::Value {
            return self.value_step(s, at, last, out).map_err(rel);
        }
        let mut sc = self.scanner(s);
        let r = match self.doc {
            Doc::Prolog => {
                sc.prolog().map_err(rel)?;
                sc.misc().map_err(rel)?;
                match sc.tag().map_err(rel)? {
                    Next::Start(t) if t.local() == b"methodResponse" => {
                        if t.empty {
                            return Err(rel(Error::at(
                                ErrorKind::Structure,
                                "empty <methodResponse>",
                                t.at,
                            )));
                        }
                        self.root = t.raw.into();
                        self.in_root = true;
                        self.doc = Doc::Root;
                        Step::Go(sc.pos)
                    }
                    Next::Eof => Step::More(0),
                    _ => {
                        return Err(rel(
                            sc.err(ErrorKind::Structure, "expected <methodResponse>")
                        ));
                    }
                }
            }
            Doc::Root => {
                sc.misc().map_err(rel)?;
                match sc.tag().map_err(rel)? {
                    Next::Start(p) if p.local() == b"params" => {
                        if p.empty {
                            return Err(rel(Error::at(
                                ErrorKind::Structure,
                                "a response must have exactly one param, found 0",
                                p.at,
                            )));
                        }
                        self.params = p.raw.into();
                        self.doc = Doc::Params;
                        Step::Go(sc.pos)
                    }
                    Next::Start(f) if f.local() == b"fault" => {
                        if f.empty {
                            return Err(rel(Error::at(
                                ErrorKind::Structure,
                                "<fault> without <value>",
                                f.at,
                            )));
                        }
                        // The fault is decoded whole at the end: from a document that
                        // starts like this one.
                        self.fault_doc = format!(
                            "<{0}>{1}",
                            String::from_utf8_lossy(&self.root),
                            s.get(..sc.pos).unwrap_or_default()
                        );
                        self.doc = Doc::Fault;
                        Step::Go(sc.pos)
                    }
                    Next::Eof => Step::More(sc.pos),
                    Next::End(_) => {
                        return Err(rel(sc.err(ErrorKind::Syntax, "mismatched end tag")));
                    }
                    Next::Start(_) => {
                        return Err(rel(
                            sc.err(ErrorKind::Structure, "expected <params> or <fault>")
                        ));
                    }
                }
            }
            Doc::Params => {
                sc.misc().map_err(rel)?;
                match sc.tag().map_err(rel)? {
                    Next::Start(p) if p.local() == b"param" => {
                        if p.empty {
                            return Err(rel(Error::at(
                                ErrorKind::Structure,
                                "<param> without <value>",
                                p.at,
                            )
                            .prepend_path("params[0]")));
                        }
                        self.param = p.raw.into();
                        self.doc = Doc::Param;
                        Step::Go(sc.pos)
                    }
                    Next::End(r) if *r == *self.params => {
                        return Err(rel(sc.err(
                            ErrorKind::Structure,
                            "a response must have exactly one param, found 0",
                        )));
                    }
                    Next::Eof => Step::More(sc.pos),
                    Next::End(_) => {
                        return Err(rel(sc.err(ErrorKind::Syntax, "mismatched end tag")));
                    }
                    Next::Start(_) => {
                        return Err(rel(sc.err(ErrorKind::Structure, "expected <param>")));
                    }
                }
            }
            Doc::Param => {
                let vt = sc
                    .expect_start(b"value")
                    .map_err(|e| rel(e).prepend_path("params[0]"))?;
                self.doc = Doc::Value;
                self.open_value(&vt, out);
                Step::Go(sc.pos)
            }
            Doc::AfterValue => {
                sc.expect_end(&self.param)
                    .map_err(|e| rel(e).prepend_path("params[0]"))?;
                self.doc = Doc::AfterParam;
                Step::Go(sc.pos)
            }
            Doc::AfterParam => {
                sc.misc().map_err(rel)?;
                match sc.tag().map_err(rel)? {
                    Next::End(r) if *r == *self.params => {
                        self.doc = Doc::AfterParams;
                        Step::Go(sc.pos)
                    }
                    Next::Eof => Step::More(sc.pos),
                    Next::End(_) => {
                        return Err(rel(sc.err(ErrorKind::Syntax, "mismatched end tag")));
                    }
                    Next::Start(_) => {
                        return Err(rel(sc.err(
                            ErrorKind::Structure,
                            "a response must have exactly one param",
                        )));
                    }
                }
            }
            Doc::AfterParams => {
                sc.expect_end(&self.root).map_err(rel)?;
                self.doc = Doc::Epilog;
                self.in_root = false;
                Step::Go(sc.pos)
            }
            Doc::Epilog => {
                sc.epilog().map_err(rel)?;
                Step::More(sc.pos)
            }
            Doc::Fault => {
                self.fault_doc.push_str(s);
                if self.fault_doc.len() > self.opts.max_value_size {
                    return Err(self.too_big("the fault", at));
                }
                Step::More(s.len())
            }
            Doc::Value => Step::More(0),
        };
        Ok(r)
    }

    /// After a `<value>` start tag `vt` (in an array, a member or the param).
    fn open_value(&mut self, vt: &Tag<'_>, out: &mut Vec<u8>) {
        if vt.empty {
            out.extend_from_slice(b"\"\"");
            self.after_value();
        } else {
            self.stack.push(Frame::Open {
                raw: vt.raw.into(),
                ws: String::new(),
            });
        }
    }

    /// A value is complete: back to its container.
    fn after_value(&mut self) {
        match self.stack.last_mut() {
            None => self.doc = Doc::AfterValue,
            Some(Frame::Struct { phase, .. }) => {
                if let StructPhase::Value { member } = phase {
                    let member = std::mem::take(member);
                    *phase = StructPhase::End { member };
                }
            }
            Some(_) => {}
        }
    }

    fn newline(&self, out: &mut Vec<u8>, depth: usize) {
        if self.opts.style == JsonStyle::Koji {
            out.push(b'\n');
            out.resize(out.len() + 2 * depth, b' ');
        }
    }

    /// Opens a JSON array or object.
    fn open_container(&mut self, at: usize) -> Result<(), Error> {
        if self.depth >= self.opts.max_depth {
            return Err(Error::at(
                ErrorKind::DepthLimit,
                format!("more than {} nested arrays/structs", self.opts.max_depth),
                at,
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn close_container(&mut self, count: usize, close: u8, out: &mut Vec<u8>) {
        self.depth -= 1;
        if count > 0 {
            self.newline(out, self.depth);
        }
        out.push(close);
    }

    fn value_step(
        &mut self,
        s: &str,
        at: usize,
        last: bool,
        out: &mut Vec<u8>,
    ) -> Result<Step, Error> {
        let mut sc = self.scanner(s);
        let max = self.opts.max_value_size;
        let Some(top) = self.stack.last_mut() else {
            self.doc = Doc::AfterValue;
            return Ok(Step::Go(0));
        };
        match top {
            Frame::Open { raw, ws } => {
                let b = s.as_bytes();
                match (b.first(), b.get(1)) {
                    (None, _) => Ok(Step::More(0)),
                    (Some(b'<'), Some(b'/')) => {
                        let Next::End(r) = sc.tag()? else {
                            return Ok(Step::More(0));
                        };
                        if *r != **raw {
                            return Err(
                                sc.err(ErrorKind::Syntax, "mismatched end tag, expected </value>")
                            );
                        }
                        let ws = std::mem::take(ws);
                        self.stack.pop();
                        self.write_str(&ws, out);
                        self.after_value();
                        Ok(Step::Go(sc.pos))
                    }
                    (Some(b'<'), c) if !matches!(c, Some(b'!' | b'?')) => {
                        let Next::Start(t) = sc.tag()? else {
                            return Ok(Step::More(0));
                        };
                        let Some(ty) = type_of(t.local()) else {
                            return Err(Error::at(
                                ErrorKind::UnknownType,
                                format!("unknown type <{}>", crate::scan::show(t.local())),
                                t.at,
                            ));
                        };
                        let raw = std::mem::take(raw);
                        self.stack.pop();
                        self.stack.push(Frame::Close { raw });
                        self.open_typed(ty, &t, at, out)?;
                        Ok(Step::Go(sc.pos))
                    }
                    _ => {
                        let t = sc.text()?;
                        if sc.pos == 0 {
                            // Markup that is neither a comment nor a PI nor CDATA.
                            sc.tag()?;
                            return Err(sc.err(ErrorKind::Syntax, "unexpected markup"));
                        }
                        let text = sc.text_str(&t);
                        if text::is_all_ws(text) {
                            ws.push_str(text);
                            if ws.len() > max {
                                return Err(too_big("a value", max, 0));
                            }
                            return Ok(if sc.at_eof() {
                                Step::More(sc.pos)
                            } else {
                                Step::Go(sc.pos)
                            });
                        }
                        // Text: an untyped value, a string.
                        let ws = std::mem::take(ws);
                        let raw = std::mem::take(raw);
                        self.stack.pop();
                        self.stack.push(Frame::Untyped { raw });
                        out.push(b'"');
                        self.str_len = ws.len() + text.len();
                        self.escape(&ws, out);
                        self.escape(text, out);
                        if self.str_len > max {
                            return Err(too_big("a string", max, 0));
                        }
                        Ok(Step::Go(sc.pos))
                    }
                }
            }
            Frame::Str { .. } | Frame::Untyped { .. } => {
                let untyped = matches!(top, Frame::Untyped { .. });
                let t = sc.text()?;
                let text = sc.text_str(&t);
                self.str_len += text.len();
                if self.str_len > max {
                    return Err(too_big("a string", max, 0));
                }
                self.escape(text, out);
                if sc.at_eof() {
                    return Ok(Step::More(sc.pos));
                }
                let Some(Frame::Str { raw } | Frame::Untyped { raw }) = self.stack.last() else {
                    return Ok(Step::Go(sc.pos));
                };
                match sc.tag()? {
                    Next::End(r) if *r == **raw => {
                        out.push(b'"');
                        self.stack.pop();
                        if untyped {
                            self.after_value();
                        }
                        Ok(Step::Go(sc.pos))
                    }
                    Next::End(_) => Err(sc.err(
                        ErrorKind::Syntax,
                        format!("mismatched end tag, expected </{}>", crate::scan::show(raw)),
                    )),
                    Next::Start(_) if untyped => {
                        Err(sc.err(ErrorKind::Structure, "text mixed with a typed value"))
                    }
                    Next::Start(_) => {
                        Err(sc.err(ErrorKind::Structure, "element inside a text value"))
                    }
                    Next::Eof => Ok(Step::More(0)),
                }
            }
            Frame::Scalar {
                ty,
                raw,
                at: tag_at,
            } => {
                let (ty, tag_at) = (*ty, *tag_at);
                let t = sc.text()?;
                self.leaf.push_str(sc.text_str(&t));
                if self.leaf.len() > max {
                    return Err(too_big("a value", max, 0));
                }
                if sc.at_eof() {
                    return Ok(Step::More(sc.pos));
                }
                match sc.tag()? {
                    Next::End(r) if *r == **raw => {}
                    Next::End(_) => {
                        return Err(sc.err(
                            ErrorKind::Syntax,
                            format!("mismatched end tag, expected </{}>", crate::scan::show(raw)),
                        ));
                    }
                    Next::Start(_) => {
                        return Err(sc.err(ErrorKind::Structure, "element inside a text value"));
                    }
                    Next::Eof => return Ok(Step::More(0)),
                }
                let leaf = std::mem::take(&mut self.leaf);
                self.stack.pop();
                self.write_scalar(ty, &leaf, out)
                    .map_err(|e| e.relocate(tag_at.saturating_sub(at)))?;
                Ok(Step::Go(sc.pos))
            }
            Frame::Close { raw } => {
                let rest = s.as_bytes();
                if crate::scan::starts_end(rest, raw) {
                    let n = raw.len() + 3;
                    self.stack.pop();
                    self.after_value();
                    return Ok(Step::Go(n));
                }
                let t = sc.text()?;
                if !text::is_all_ws(sc.text_str(&t)) {
                    return Err(Error::at(
                        ErrorKind::Structure,
                        "more than one item in <value>",
                        0,
                    ));
                }
                if sc.at_eof() {
                    return Ok(Step::More(sc.pos));
                }
                match sc.tag()? {
                    Next::End(r) if *r == **raw => {
                        self.stack.pop();
                        self.after_value();
                        Ok(Step::Go(sc.pos))
                    }
                    Next::End(_) => {
                        Err(sc.err(ErrorKind::Syntax, "mismatched end tag, expected </value>"))
                    }
                    Next::Start(_) => {
                        Err(sc.err(ErrorKind::Structure, "more than one item in <value>"))
                    }
                    Next::Eof => Ok(Step::More(0)),
                }
            }
            Frame::Array { raw, count, phase } => match phase {
                ArrayPhase::Data => {
                    sc.misc()?;
                    match sc.tag()? {
                        Next::End(r) if *r == **raw => {
                            let n = *count;
                            self.stack.pop();
                            self.close_container(n, b']', out);
                            Ok(Step::Go(sc.pos))
                        }
                        Next::Start(d) if d.local() == b"data" => {
                            *phase = if d.empty {
                                ArrayPhase::End
                            } else {
                                ArrayPhase::Items(d.raw.into())
                            };
                            Ok(Step::Go(sc.pos))
                        }
                        Next::Eof => Ok(Step::More(sc.pos)),
                        Next::End(_) => Err(sc.err(ErrorKind::Syntax, "mismatched end tag")),
                        Next::Start(_) => Err(sc.err(ErrorKind::Structure, "expected <data>")),
                    }
                }
                ArrayPhase::Items(data) => {
                    let index = *count;
                    match sc.next_item(data, index) {
                        Ok(Some(vt)) => {
                            *count += 1;
                            if index > 0 {
                                out.push(b',');
                            }
                            self.newline(out, self.depth);
                            self.open_value(&vt, out);
                            Ok(Step::Go(sc.pos))
                        }
                        Ok(None) => {
                            *phase = ArrayPhase::End;
                            Ok(Step::Go(sc.pos))
                        }
                        Err(e) if e.kind() == ErrorKind::Truncated && !last => Ok(Step::More(0)),
                        // The item's index is in the error's path already.
                        Err(e) => Err(e),
                    }
                }
                ArrayPhase::End => {
                    sc.expect_end(raw)?;
                    let n = *count;
                    self.stack.pop();
                    self.close_container(n, b']', out);
                    Ok(Step::Go(sc.pos))
                }
            },
            Frame::Struct {
                raw,
                count,
                keys,
                key_bytes,
                key,
                phase,
            } => match phase {
                StructPhase::Member => match sc.next_member(raw)? {
                    Some((member, name)) => {
                        self.leaf.clear();
                        if name.empty {
                            // <name/>: an empty name; its end is already read.
                            *phase = StructPhase::Name {
                                member: member.into(),
                                name: Box::default(),
                            };
                        } else {
                            *phase = StructPhase::Name {
                                member: member.into(),
                                name: name.raw.into(),
                            };
                        }
                        Ok(Step::Go(sc.pos))
                    }
                    None => {
                        let n = *count;
                        self.stack.pop();
                        self.close_container(n, b'}', out);
                        Ok(Step::Go(sc.pos))
                    }
                },
                StructPhase::Name { member, name } => {
                    if !name.is_empty() {
                        let t = sc.text()?;
                        self.leaf.push_str(sc.text_str(&t));
                        if self.leaf.len() > max {
                            return Err(too_big("a member name", max, 0));
                        }
                        if sc.at_eof() {
                            return Ok(Step::More(sc.pos));
                        }
                        match sc.tag()? {
                            Next::End(r) if *r == **name => {}
                            Next::End(_) => {
                                return Err(sc.err(
                                    ErrorKind::Syntax,
                                    "mismatched end tag, expected </name>",
                                ));
                            }
                            Next::Start(_) => {
                                return Err(
                                    sc.err(ErrorKind::Structure, "element inside a text value")
                                );
                            }
                            Next::Eof => return Ok(Step::More(0)),
                        }
                    }
                    let name_text = std::mem::take(&mut self.leaf);
                    *key_bytes += name_text.len();
                    if *key_bytes > max {
                        return Err(too_big("the member names of a struct", max, 0));
                    }
                    *key = name_text.as_str().into();
                    if !keys.insert(name_text.as_str().into()) {
                        return Err(Error::at(
                            ErrorKind::Structure,
                            format!(
                                "member {:?} appears twice in a struct (cannot be transcoded as it streams)",
                                crate::error::truncate(&name_text, 64)
                            ),
                            0,
                        ));
                    }
                    let member = std::mem::take(member);
                    *phase = StructPhase::Value { member };
                    let first = *count == 0;
                    *count += 1;
                    if !first {
                        out.push(b',');
                    }
                    self.newline(out, self.depth);
                    self.write_str(&name_text, out);
                    out.extend_from_slice(match self.opts.style {
                        JsonStyle::Koji => b": ",
                        JsonStyle::Compact | JsonStyle::SerdeJson => b":",
                    });
                    Ok(Step::Go(sc.pos))
                }
                StructPhase::Value { .. } => {
                    let vt = sc.member_value()?;
                    self.open_value(&vt, out);
                    Ok(Step::Go(sc.pos))
                }
                StructPhase::End { member } => {
                    sc.member_end(member)?;
                    *phase = StructPhase::Member;
                    Ok(Step::Go(sc.pos))
                }
            },
        }
    }

    /// After the type tag `t` of a value (whose `Close` frame is on the stack).
    fn open_typed(
        &mut self,
        ty: Ty,
        t: &Tag<'_>,
        at: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let raw: Box<[u8]> = t.raw.into();
        match ty {
            Ty::Str => {
                if t.empty {
                    out.extend_from_slice(b"\"\"");
                } else {
                    out.push(b'"');
                    self.str_len = 0;
                    self.stack.push(Frame::Str { raw });
                }
            }
            Ty::Array => {
                self.open_container(t.at)?;
                out.push(b'[');
                if t.empty {
                    self.close_container(0, b']', out);
                } else {
                    self.stack.push(Frame::Array {
                        raw,
                        count: 0,
                        phase: ArrayPhase::Data,
                    });
                }
            }
            Ty::Struct => {
                self.open_container(t.at)?;
                out.push(b'{');
                if t.empty {
                    self.close_container(0, b'}', out);
                } else {
                    self.stack.push(Frame::Struct {
                        raw,
                        count: 0,
                        keys: HashSet::new(),
                        key_bytes: 0,
                        key: Box::default(),
                        phase: StructPhase::Member,
                    });
                }
            }
            Ty::Leaf(leaf) => {
                if t.empty {
                    self.write_scalar(leaf, "", out)
                        .map_err(|e| e.relocate(t.at))?;
                } else {
                    self.leaf.clear();
                    self.stack.push(Frame::Scalar {
                        ty: leaf,
                        raw,
                        at: at + t.at,
                    });
                }
            }
        }
        Ok(())
    }

    fn write_scalar(&mut self, ty: Leaf, text: &str, out: &mut Vec<u8>) -> Result<(), Error> {
        let bad = |(k, m): (ErrorKind, String)| Error::new(k, m);
        match ty {
            Leaf::Int => match text::parse_int(text).map_err(bad)? {
                Int::I64(i) => out.extend_from_slice(i.to_string().as_bytes()),
                Int::U64(u) => out.extend_from_slice(u.to_string().as_bytes()),
            },
            Leaf::Bool => {
                let v = text::parse_bool(text).map_err(bad)?;
                out.extend_from_slice(if v { b"true" } else { b"false" });
            }
            Leaf::Double => {
                let d = text::parse_double(text).map_err(bad)?;
                write_json_double(out, d, self.opts.style);
            }
            Leaf::Nil => {
                if !text::is_all_ws(text) {
                    return Err(Error::new(ErrorKind::InvalidValue, "<nil> with content"));
                }
                out.extend_from_slice(b"null");
            }
            Leaf::Base64 => {
                let bytes = text::decode_base64(text).map_err(bad)?;
                // As serde_json writes bytes: an array of numbers.
                out.push(b'[');
                for (i, b) in bytes.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.newline(out, self.depth + 1);
                    out.extend_from_slice(b.to_string().as_bytes());
                }
                if !bytes.is_empty() {
                    self.newline(out, self.depth);
                }
                out.push(b']');
            }
            Leaf::DateTime => {
                let dt = DateTime::new(text)?;
                self.write_str(dt.as_str(), out);
            }
        }
        Ok(())
    }

    fn write_str(&self, s: &str, out: &mut Vec<u8>) {
        out.push(b'"');
        self.escape(s, out);
        out.push(b'"');
    }

    fn escape(&self, s: &str, out: &mut Vec<u8>) {
        match self.opts.style {
            JsonStyle::Koji => escape_ascii(s, out),
            JsonStyle::Compact | JsonStyle::SerdeJson => escape_utf8(s, out),
        }
    }
}

fn too_big(what: &str, max: usize, at: usize) -> Error {
    Error::at(
        ErrorKind::SizeLimit,
        format!("{what} is larger than the limit of {max} bytes for one value"),
        at,
    )
}

/// XML-RPC types, as the transcoder handles them.
#[derive(Debug, Clone, Copy)]
enum Ty {
    Str,
    Array,
    Struct,
    Leaf(Leaf),
}

fn type_of(local: &[u8]) -> Option<Ty> {
    Some(match local {
        b"string" => Ty::Str,
        b"int" | b"i4" | b"i8" | b"i1" | b"i2" | b"biginteger" => Ty::Leaf(Leaf::Int),
        b"nil" => Ty::Leaf(Leaf::Nil),
        b"double" | b"float" => Ty::Leaf(Leaf::Double),
        b"struct" => Ty::Struct,
        b"array" => Ty::Array,
        b"boolean" => Ty::Leaf(Leaf::Bool),
        b"base64" => Ty::Leaf(Leaf::Base64),
        b"dateTime.iso8601" => Ty::Leaf(Leaf::DateTime),
        _ => return None,
    })
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn push_u16_escape(out: &mut Vec<u8>, u: u16) {
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[usize::from((u >> shift) & 0xF)]);
    }
}

/// The escape of an ASCII byte both styles share, if it needs one.
fn short_escape(b: u8) -> Option<&'static [u8]> {
    Some(match b {
        b'"' => b"\\\"",
        b'\\' => b"\\\\",
        b'\n' => b"\\n",
        b'\r' => b"\\r",
        b'\t' => b"\\t",
        0x08 => b"\\b",
        0x0C => b"\\f",
        _ => return None,
    })
}

/// Python's `json.dumps` with `ensure_ascii=True`: only printable ASCII stays as is.
fn escape_ascii(s: &str, out: &mut Vec<u8>) {
    let b = s.as_bytes();
    let mut run = 0;
    for (i, c) in s.char_indices() {
        let plain = (' '..='~').contains(&c) && c != '"' && c != '\\';
        if plain {
            continue;
        }
        out.extend_from_slice(b.get(run..i).unwrap_or_default());
        run = i + c.len_utf8();
        let u = c as u32;
        if let Some(e) = u8::try_from(u).ok().and_then(short_escape) {
            out.extend_from_slice(e);
        } else if u < 0x10000 {
            push_u16_escape(out, u as u16);
        } else {
            let v = u - 0x10000;
            push_u16_escape(out, 0xD800 | (v >> 10) as u16);
            push_u16_escape(out, 0xDC00 | (v & 0x3FF) as u16);
        }
    }
    out.extend_from_slice(b.get(run..).unwrap_or_default());
}

/// serde_json's escaping: quotes, backslashes and control characters only.
fn escape_utf8(s: &str, out: &mut Vec<u8>) {
    let b = s.as_bytes();
    let mut run = 0;
    for (i, &c) in b.iter().enumerate() {
        if c >= 0x20 && c != b'"' && c != b'\\' {
            continue;
        }
        out.extend_from_slice(b.get(run..i).unwrap_or_default());
        run = i + 1;
        match short_escape(c) {
            Some(e) => out.extend_from_slice(e),
            None => push_u16_escape(out, u16::from(c)),
        }
    }
    out.extend_from_slice(b.get(run..).unwrap_or_default());
}

/// A double as Python's `json.dumps` writes it: `repr()`, and `NaN`, `Infinity`,
/// `-Infinity` for the values JSON has no number for; in [`JsonStyle::SerdeJson`], as
/// serde_json writes it (the same `zmij` shortest form, `null` if not finite).
fn write_json_double(out: &mut Vec<u8>, d: f64, style: JsonStyle) {
    if style == JsonStyle::SerdeJson {
        if d.is_finite() {
            out.extend_from_slice(zmij::Buffer::new().format_finite(d).as_bytes());
        } else {
            out.extend_from_slice(b"null");
        }
    } else if d.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if d.is_infinite() {
        out.extend_from_slice(if d < 0.0 { b"-Infinity" } else { b"Infinity" });
    } else {
        crate::encode::write_double(out, d);
    }
}

/// Writes `v` as [`JsonTranscoder`] would transcode it (the reference the transcoder is
/// tested against; it is also handy for a [`Value`] already in memory).
///
/// ```
/// use koji_xmlrpc::{JsonStyle, Value, value_to_json};
/// let v = Value::Array(vec![Value::Double(1e16), "é".into()]);
/// assert_eq!(value_to_json(&v, JsonStyle::Koji), "[\n  1e+16,\n  \"\\u00e9\"\n]");
/// assert_eq!(value_to_json(&v, JsonStyle::Compact), "[1e+16,\"é\"]");
/// ```
pub fn value_to_json(v: &Value, style: JsonStyle) -> String {
    let mut out = Vec::new();
    write_value(&mut out, v, style, 0);
    String::from_utf8(out).unwrap_or_default()
}

fn write_value(out: &mut Vec<u8>, v: &Value, style: JsonStyle, depth: usize) {
    let nl = |out: &mut Vec<u8>, d: usize| {
        if style == JsonStyle::Koji {
            out.push(b'\n');
            out.resize(out.len() + 2 * d, b' ');
        }
    };
    let esc = |out: &mut Vec<u8>, s: &str| {
        out.push(b'"');
        match style {
            JsonStyle::Koji => escape_ascii(s, out),
            JsonStyle::Compact | JsonStyle::SerdeJson => escape_utf8(s, out),
        }
        out.push(b'"');
    };
    match v {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Value::Double(d) => write_json_double(out, *d, style),
        Value::String(s) => esc(out, s),
        Value::DateTime(dt) => esc(out, dt.as_str()),
        Value::Base64(bytes) => {
            let items: Vec<Value> = bytes.iter().map(|&b| Value::Int(i64::from(b))).collect();
            write_value(out, &Value::Array(items), style, depth);
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                nl(out, depth + 1);
                write_value(out, item, style, depth + 1);
            }
            if !items.is_empty() {
                nl(out, depth);
            }
            out.push(b']');
        }
        Value::Struct(members) => {
            out.push(b'{');
            for (i, (k, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                nl(out, depth + 1);
                esc(out, k);
                out.extend_from_slice(match style {
                    JsonStyle::Koji => b": ",
                    JsonStyle::Compact | JsonStyle::SerdeJson => b":",
                });
                write_value(out, item, style, depth + 1);
            }
            if !members.is_empty() {
                nl(out, depth);
            }
            out.push(b'}');
        }
    }
}
