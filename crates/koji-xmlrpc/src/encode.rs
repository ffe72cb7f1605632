//! Encoding: XML-RPC documents laid out exactly as Python's `xmlrpc.client` marshaller
//! (and `koji.xmlrpcplus.dumps`) writes them, straight from serde or from [`Value`]s.

use std::io::Write as _;

use base64::Engine as _;
use serde::ser::{self, Impossible, Serialize};

use crate::error::{Error, ErrorKind};
use crate::value::{DATETIME_MARKER, Fault, Struct, Value};

pub(crate) const XML_HEADER: &[u8] = b"<?xml version='1.0'?>\n";

/// Byte classes for escaping: 0 = copy, 1 = escape/check.
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = 1;
        i += 1;
    }
    t[b'\t' as usize] = 0;
    t[b'\n' as usize] = 0;
    t[b'&' as usize] = 1;
    t[b'<' as usize] = 1;
    t[b'>' as usize] = 1;
    t[0xEF] = 1; // U+FFFE / U+FFFF start with EF BF
    t
};

/// Appends `s` escaped like Python (`&`, `<`, `>`), plus `\r` as `&#13;`; characters that
/// XML 1.0 forbids are an error.
pub(crate) fn write_escaped(out: &mut Vec<u8>, s: &str) -> Result<(), Error> {
    let b = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if ESCAPE[c as usize] == 0 {
            i += 1;
            continue;
        }
        let rep: &[u8] = match c {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'\r' => b"&#13;",
            0xEF => {
                if b.get(i + 1) == Some(&0xBF) && matches!(b.get(i + 2), Some(0xBE) | Some(0xBF)) {
                    return Err(Error::new(
                        ErrorKind::InvalidChar,
                        "U+FFFE/U+FFFF cannot be carried by XML 1.0",
                    ));
                }
                i += 1;
                continue;
            }
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidChar,
                    format!("control character U+{c:04X} cannot be carried by XML 1.0"),
                ));
            }
        };
        out.extend_from_slice(&b[start..i]);
        out.extend_from_slice(rep);
        i += 1;
        start = i;
    }
    out.extend_from_slice(&b[start..]);
    Ok(())
}

/// Appends `v` the way Python's `repr()` prints a float (shortest round-trip digits,
/// exponent form below 1e-4 and from 1e16 on). `v` must be finite.
pub(crate) fn write_double(out: &mut Vec<u8>, v: f64) {
    if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() {
            b"-0.0"
        } else {
            b"0.0"
        });
        return;
    }
    let mut buf = [0u8; 48];
    let mut len = {
        let mut cur = std::io::Cursor::new(&mut buf[..]);
        // Rust's `{:e}` gives the shortest digits that round-trip, like Python's repr.
        let _ = write!(cur, "{:e}", v.abs());
        cur.position() as usize
    };
    // When two strings of that length round-trip equally well, Python's repr takes the
    // one the exact value rounds to (half to even), `{:e}` the upper one
    // (1792457928492239.25: Python `…239.2`, `{:e}` `…239.3`): round the exact value
    // to that many digits instead.
    let ndigits = buf[..len]
        .iter()
        .take_while(|&&c| c != b'e')
        .filter(|c| c.is_ascii_digit())
        .count();
    if ndigits > 1 {
        let mut cur = std::io::Cursor::new(&mut buf[..]);
        let _ = write!(cur, "{:.*e}", ndigits - 1, v.abs());
        len = cur.position() as usize;
    }
    let text = &buf[..len];
    let epos = text.iter().position(|&c| c == b'e').unwrap_or(len);
    let mut digits = [0u8; 24];
    let mut nd = 0;
    for &c in &text[..epos] {
        if c.is_ascii_digit() && nd < digits.len() {
            digits[nd] = c;
            nd += 1;
        }
    }
    let digits = &digits[..nd];
    let mut exp: i32 = 0;
    let mut neg_exp = false;
    for &c in text.get(epos + 1..).unwrap_or(&[]) {
        match c {
            b'-' => neg_exp = true,
            b'0'..=b'9' => exp = exp * 10 + i32::from(c - b'0'),
            _ => {}
        }
    }
    if neg_exp {
        exp = -exp;
    }
    let decpt = exp + 1;
    if v.is_sign_negative() {
        out.push(b'-');
    }
    if decpt > 16 || decpt <= -4 {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let a = exp.unsigned_abs();
        if a < 10 {
            out.push(b'0');
        }
        let _ = write!(out, "{a}");
    } else if decpt <= 0 {
        out.extend_from_slice(b"0.");
        for _ in 0..(-decpt) {
            out.push(b'0');
        }
        out.extend_from_slice(digits);
    } else {
        let d = decpt as usize;
        if d >= digits.len() {
            out.extend_from_slice(digits);
            for _ in digits.len()..d {
                out.push(b'0');
            }
            out.extend_from_slice(b".0");
        } else {
            out.extend_from_slice(&digits[..d]);
            out.push(b'.');
            out.extend_from_slice(&digits[d..]);
        }
    }
}

fn write_int(out: &mut Vec<u8>, v: i64) {
    if i32::try_from(v).is_ok() {
        out.extend_from_slice(b"<value><int>");
        let _ = write!(out, "{v}");
        out.extend_from_slice(b"</int></value>\n");
    } else {
        out.extend_from_slice(b"<value><i8>");
        let _ = write!(out, "{v}");
        out.extend_from_slice(b"</i8></value>\n");
    }
}

fn write_base64(out: &mut Vec<u8>, data: &[u8]) {
    // Python's base64.encodebytes: lines of 76 characters, each ending in "\n".
    out.extend_from_slice(b"<value><base64>\n");
    for chunk in data.chunks(57) {
        let start = out.len();
        out.resize(start + 76, 0);
        let n = base64::engine::general_purpose::STANDARD
            .encode_slice(chunk, &mut out[start..])
            .unwrap_or(0);
        out.truncate(start + n);
        out.push(b'\n');
    }
    out.extend_from_slice(b"</base64></value>\n");
}

fn write_string(out: &mut Vec<u8>, s: &str) -> Result<(), Error> {
    out.extend_from_slice(b"<value><string>");
    write_escaped(out, s)?;
    out.extend_from_slice(b"</string></value>\n");
    Ok(())
}

fn write_f64(out: &mut Vec<u8>, v: f64) -> Result<(), Error> {
    if !v.is_finite() {
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!("{v} is not a finite double (the hub would echo it, but it is not XML-RPC)"),
        ));
    }
    out.extend_from_slice(b"<value><double>");
    write_double(out, v);
    out.extend_from_slice(b"</double></value>\n");
    Ok(())
}

fn write_header(out: &mut Vec<u8>) {
    out.extend_from_slice(XML_HEADER);
}

fn write_method_call_start(out: &mut Vec<u8>, method: &str) -> Result<(), Error> {
    write_header(out);
    out.extend_from_slice(b"<methodCall>\n<methodName>");
    write_escaped(out, method).map_err(|e| e.prepend_path("methodName"))?;
    out.extend_from_slice(b"</methodName>\n<params>\n");
    Ok(())
}

const METHOD_CALL_END: &[u8] = b"</params>\n</methodCall>\n";

/// Serializes one value (any `Serialize`) as `<value>…</value>` into `out`.
pub(crate) fn write_value<T: Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) -> Result<(), Error> {
    v.serialize(&mut ValueWriter { out })
}

/// Encodes a `methodCall` whose params are `params`, byte-identical to
/// `koji.xmlrpcplus.dumps(tuple(params), method, allow_none=1)`.
///
/// ```
/// use koji_xmlrpc::{encode_request, Value};
/// let body = encode_request("getBuild", &[Value::Int(3)]).unwrap();
/// assert!(body.starts_with(b"<?xml version='1.0'?>\n<methodCall>\n<methodName>getBuild</methodName>"));
/// ```
pub fn encode_request(method: &str, params: &[Value]) -> Result<Vec<u8>, Error> {
    let mut w = RequestWriter::new(method)?;
    for p in params {
        w.param(p)?;
    }
    Ok(w.finish())
}

/// Encodes a `methodCall` from anything that serializes as a sequence (a tuple, a slice,
/// a `Vec`…): each element becomes one `<param>`.
///
/// ```
/// #[derive(serde::Serialize)]
/// struct Opts { limit: u32 }
/// let body = koji_xmlrpc::encode_request_with("listBuilds", &(7, Opts { limit: 5 })).unwrap();
/// assert!(std::str::from_utf8(&body).unwrap().contains("<name>limit</name>"));
/// ```
pub fn encode_request_with<P: Serialize + ?Sized>(
    method: &str,
    params: &P,
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(256);
    write_method_call_start(&mut out, method)?;
    params.serialize(SeqWriter::params(&mut out))?;
    out.extend_from_slice(METHOD_CALL_END);
    Ok(out)
}

/// Encodes a successful `methodResponse` carrying `value`, byte-identical to what a Koji hub
/// sends for the same value (except `\r`, which is written as `&#13;`).
pub fn encode_response(value: &Value) -> Result<Vec<u8>, Error> {
    encode_response_with(value)
}

/// Like [`encode_response`], from any `Serialize` value.
pub fn encode_response_with<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(256);
    write_header(&mut out);
    out.extend_from_slice(b"<methodResponse>\n<params>\n<param>\n");
    write_value(&mut out, value).map_err(|e| e.prepend_path("params[0]"))?;
    out.extend_from_slice(b"</param>\n</params>\n</methodResponse>\n");
    Ok(out)
}

/// Encodes a fault response. Extra members (e.g. `traceback`) follow `faultCode` and
/// `faultString`. Characters XML cannot carry in `faultString` are replaced by U+FFFD.
pub fn encode_fault(fault: &Fault) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_header(&mut out);
    out.extend_from_slice(b"<methodResponse>\n<fault>\n");
    let s = fault.to_struct();
    if write_value(&mut out, &s).is_err() {
        out.clear();
        let clean = sanitize_struct(s);
        write_header(&mut out);
        out.extend_from_slice(b"<methodResponse>\n<fault>\n");
        let _ = write_value(&mut out, &clean);
    }
    out.extend_from_slice(b"</fault>\n</methodResponse>\n");
    out
}

fn sanitize_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

fn sanitize_value(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(sanitize_text(&s)),
        Value::Double(d) if !d.is_finite() => Value::String(d.to_string()),
        Value::Array(a) => Value::Array(a.into_iter().map(sanitize_value).collect()),
        Value::Struct(s) => Value::Struct(sanitize_struct(s)),
        other => other,
    }
}

fn sanitize_struct(s: Struct) -> Struct {
    s.into_iter()
        .map(|(k, v)| (sanitize_text(&k), sanitize_value(v)))
        .collect()
}

/// Adds koji's keyword-argument marker `__starstar: true` to `kwargs` (koji's
/// `encode_args`): append the result as the last param.
///
/// ```
/// use koji_xmlrpc::{kwargs_struct, Struct, Value};
/// let mut kw = Struct::new();
/// kw.insert("strict".into(), Value::Bool(true));
/// let v = kwargs_struct(kw);
/// assert_eq!(v.get("__starstar"), Some(&Value::Bool(true)));
/// ```
pub fn kwargs_struct(mut kwargs: Struct) -> Value {
    kwargs.insert("__starstar".into(), Value::Bool(true));
    Value::Struct(kwargs)
}

/// The hub's `decode_args`: when the last param is a struct whose `__starstar` member is
/// truthy, it is removed from the params and returned (without `__starstar`) as kwargs.
pub fn split_kwargs(mut params: Vec<Value>) -> (Vec<Value>, Option<Struct>) {
    let is_kw = matches!(params.last(), Some(Value::Struct(s)) if s.get("__starstar").is_some_and(Value::is_truthy));
    if is_kw {
        if let Some(Value::Struct(mut s)) = params.pop() {
            s.shift_remove("__starstar");
            return (params, Some(s));
        }
    }
    (params, None)
}

/// Writes a `methodCall` param by param, straight into a buffer, without building
/// [`Value`]s.
///
/// ```
/// let mut w = koji_xmlrpc::RequestWriter::new("getTaskInfo").unwrap();
/// w.param(&42).unwrap();
/// w.param(&koji_xmlrpc::kwargs_struct([("request".to_string(), true.into())].into_iter().collect())).unwrap();
/// let body = w.finish();
/// assert_eq!(koji_xmlrpc::decode_call(&body).unwrap().params.len(), 2);
/// ```
#[derive(Debug)]
pub struct RequestWriter {
    out: Vec<u8>,
    count: usize,
}

impl RequestWriter {
    /// Starts a call of `method`.
    pub fn new(method: &str) -> Result<Self, Error> {
        Self::with_capacity(method, 256)
    }

    /// Starts a call of `method` with a buffer of `capacity` bytes.
    pub fn with_capacity(method: &str, capacity: usize) -> Result<Self, Error> {
        let mut out = Vec::with_capacity(capacity);
        write_method_call_start(&mut out, method)?;
        Ok(RequestWriter { out, count: 0 })
    }

    /// Appends one param. On error nothing is appended.
    pub fn param<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<&mut Self, Error> {
        let mark = self.out.len();
        self.out.extend_from_slice(b"<param>\n");
        if let Err(e) = write_value(&mut self.out, value) {
            self.out.truncate(mark);
            return Err(e.prepend_path(&format!("params[{}]", self.count)));
        }
        self.out.extend_from_slice(b"</param>\n");
        self.count += 1;
        Ok(self)
    }

    /// How many params have been written.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no param has been written yet.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Closes the document and returns it.
    pub fn finish(mut self) -> Vec<u8> {
        self.out.extend_from_slice(METHOD_CALL_END);
        self.out
    }
}

/// Writes a `system.multicall` request call by call, byte-identical to what koji's
/// `MultiCallSession` sends: one param, an array of `{methodName, params}` structs.
///
/// ```
/// use koji_xmlrpc::{MulticallWriter, Value};
/// let mut m = MulticallWriter::new();
/// m.call("getBuild", &(3,)).unwrap();
/// m.call_values("getTag", &[Value::from("f40")]).unwrap();
/// let call = koji_xmlrpc::decode_call(&m.finish()).unwrap();
/// assert_eq!(call.method, "system.multicall");
/// assert_eq!(call.params[0].as_array().unwrap().len(), 2);
/// ```
#[derive(Debug)]
pub struct MulticallWriter {
    out: Vec<u8>,
    count: usize,
}

impl Default for MulticallWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl MulticallWriter {
    /// Starts a `system.multicall` request.
    pub fn new() -> Self {
        Self::with_method("system.multicall")
    }

    /// Starts a multicall request sent as `method` (Koji also accepts `multiCall`).
    pub fn with_method(method: &str) -> Self {
        let mut out = Vec::with_capacity(1024);
        write_header(&mut out);
        out.extend_from_slice(b"<methodCall>\n<methodName>");
        if write_escaped(&mut out, method).is_err() {
            out.extend_from_slice(b"system.multicall");
        }
        out.extend_from_slice(b"</methodName>\n<params>\n<param>\n<value><array><data>\n");
        MulticallWriter { out, count: 0 }
    }

    /// Appends a call whose params are the elements of `params` (a tuple, slice or `Vec`;
    /// use [`kwargs_struct`] or a serde struct with `__starstar` for keyword arguments).
    /// On error nothing is appended.
    pub fn call<P: Serialize + ?Sized>(
        &mut self,
        method: &str,
        params: &P,
    ) -> Result<&mut Self, Error> {
        let mark = self.out.len();
        let r = (|| {
            self.out
                .extend_from_slice(b"<value><struct>\n<member>\n<name>methodName</name>\n");
            write_string(&mut self.out, method).map_err(|e| e.prepend_path(".methodName"))?;
            self.out.extend_from_slice(
                b"</member>\n<member>\n<name>params</name>\n<value><array><data>\n",
            );
            params
                .serialize(SeqWriter::elements(&mut self.out))
                .map_err(|e| e.prepend_path(".params"))?;
            self.out
                .extend_from_slice(b"</data></array></value>\n</member>\n</struct></value>\n");
            Ok(())
        })();
        match r {
            Ok(()) => {
                self.count += 1;
                Ok(self)
            }
            Err(e) => {
                self.out.truncate(mark);
                Err::<&mut Self, Error>(e)
                    .map_err(|e| e.prepend_path(&format!("params[0][{}]", self.count)))
            }
        }
    }

    /// Appends a call with already-built params.
    pub fn call_values(&mut self, method: &str, params: &[Value]) -> Result<&mut Self, Error> {
        self.call(method, params)
    }

    /// How many calls have been written.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no call has been written yet.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Closes the document and returns it.
    pub fn finish(mut self) -> Vec<u8> {
        self.out
            .extend_from_slice(b"</data></array></value>\n</param>\n</params>\n</methodCall>\n");
        self.out
    }
}

fn not_a_sequence() -> Error {
    Error::new(
        ErrorKind::Unsupported,
        "params must serialize as a sequence (tuple, slice, Vec)",
    )
}

/// Where the elements of a serialized sequence go.
#[derive(Clone, Copy)]
enum SeqMode {
    /// The params of a call: each element becomes a `<param>`.
    Params,
    /// The elements of an already open `<data>`: each becomes a `<value>`.
    Elements,
}

/// Serializer for a sequence whose elements are written as [`SeqMode`] says.
struct SeqWriter<'o> {
    out: &'o mut Vec<u8>,
    mode: SeqMode,
}

impl<'o> SeqWriter<'o> {
    fn params(out: &'o mut Vec<u8>) -> Self {
        SeqWriter {
            out,
            mode: SeqMode::Params,
        }
    }

    fn elements(out: &'o mut Vec<u8>) -> Self {
        SeqWriter {
            out,
            mode: SeqMode::Elements,
        }
    }

    fn open(self) -> SeqState<'o> {
        SeqState {
            out: self.out,
            mode: self.mode,
            index: 0,
        }
    }
}

struct SeqState<'o> {
    out: &'o mut Vec<u8>,
    mode: SeqMode,
    index: usize,
}

impl ser::SerializeSeq for SeqState<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        match self.mode {
            SeqMode::Params => {
                self.out.extend_from_slice(b"<param>\n");
                write_value(self.out, v)
                    .map_err(|e| e.prepend_path(&format!("params[{}]", self.index)))?;
                self.out.extend_from_slice(b"</param>\n");
            }
            SeqMode::Elements => {
                write_value(self.out, v).map_err(|e| e.prepend_index(self.index))?;
            }
        }
        self.index += 1;
        Ok(())
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl ser::SerializeTuple for SeqState<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for SeqState<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl<'o> ser::Serializer for SeqWriter<'o> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = SeqState<'o>;
    type SerializeTuple = SeqState<'o>;
    type SerializeTupleStruct = SeqState<'o>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    reject_serialize!(not_a_sequence(); bool, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, char, str, bytes, none, some, unit_struct, unit_variant, newtype_variant, tuple_variant, map, struct, struct_variant);

    fn serialize_unit(self) -> Result<(), Error> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<SeqState<'o>, Error> {
        Ok(self.open())
    }
    fn serialize_tuple(self, _: usize) -> Result<SeqState<'o>, Error> {
        Ok(self.open())
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<SeqState<'o>, Error> {
        Ok(self.open())
    }
}

/// The serde serializer that writes one `<value>…</value>`.
pub(crate) struct ValueWriter<'o> {
    pub(crate) out: &'o mut Vec<u8>,
}

/// State of an open `<array>`.
pub(crate) struct ArrayState<'a, 'o> {
    w: &'a mut ValueWriter<'o>,
    index: usize,
}

/// State of an open `<struct>`.
pub(crate) struct StructState<'a, 'o> {
    w: &'a mut ValueWriter<'o>,
    key: (usize, usize),
    /// For enum variants written as `{variant: …}`: how much to close at the end.
    close_variant: bool,
}

fn overflow(v: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::IntegerOverflow,
        format!("integer {v} does not fit in XML-RPC's 64 signed bits"),
    )
}

impl<'a, 'o> ser::Serializer for &'a mut ValueWriter<'o> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ArrayState<'a, 'o>;
    type SerializeTuple = ArrayState<'a, 'o>;
    type SerializeTupleStruct = ArrayState<'a, 'o>;
    type SerializeTupleVariant = ArrayState<'a, 'o>;
    type SerializeMap = StructState<'a, 'o>;
    type SerializeStruct = StructState<'a, 'o>;
    type SerializeStructVariant = StructState<'a, 'o>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out.extend_from_slice(if v {
            b"<value><boolean>1</boolean></value>\n"
        } else {
            b"<value><boolean>0</boolean></value>\n"
        });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        write_int(self.out, v.into());
        Ok(())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        write_int(self.out, v.into());
        Ok(())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        write_int(self.out, v.into());
        Ok(())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        write_int(self.out, v);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        write_int(self.out, i64::try_from(v).map_err(|_| overflow(v))?);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        write_int(self.out, v.into());
        Ok(())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        write_int(self.out, v.into());
        Ok(())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        write_int(self.out, v.into());
        Ok(())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        write_int(self.out, i64::try_from(v).map_err(|_| overflow(v))?);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        write_int(self.out, i64::try_from(v).map_err(|_| overflow(v))?);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        write_f64(self.out, f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        write_f64(self.out, v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        let mut b = [0u8; 4];
        write_string(self.out, v.encode_utf8(&mut b))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_string(self.out, v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        write_base64(self.out, v);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"<value><nil/></value>");
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        write_string(self.out, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        if name == DATETIME_MARKER {
            self.out.extend_from_slice(b"<value><dateTime.iso8601>");
            v.serialize(TextWriter { out: self.out })?;
            self.out.extend_from_slice(b"</dateTime.iso8601></value>\n");
            Ok(())
        } else {
            v.serialize(self)
        }
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.out
            .extend_from_slice(b"<value><struct>\n<member>\n<name>");
        write_escaped(self.out, variant)?;
        self.out.extend_from_slice(b"</name>\n");
        v.serialize(&mut *self)
            .map_err(|e| e.prepend_key(variant))?;
        self.out
            .extend_from_slice(b"</member>\n</struct></value>\n");
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<ArrayState<'a, 'o>, Error> {
        self.out.extend_from_slice(b"<value><array><data>\n");
        Ok(ArrayState { w: self, index: 0 })
    }
    fn serialize_tuple(self, len: usize) -> Result<ArrayState<'a, 'o>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<ArrayState<'a, 'o>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<ArrayState<'a, 'o>, Error> {
        self.out
            .extend_from_slice(b"<value><struct>\n<member>\n<name>");
        write_escaped(self.out, variant)?;
        self.out
            .extend_from_slice(b"</name>\n<value><array><data>\n");
        Ok(ArrayState { w: self, index: 0 })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<StructState<'a, 'o>, Error> {
        self.out.extend_from_slice(b"<value><struct>\n");
        Ok(StructState {
            w: self,
            key: (0, 0),
            close_variant: false,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<StructState<'a, 'o>, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<StructState<'a, 'o>, Error> {
        self.out
            .extend_from_slice(b"<value><struct>\n<member>\n<name>");
        write_escaped(self.out, variant)?;
        self.out.extend_from_slice(b"</name>\n<value><struct>\n");
        Ok(StructState {
            w: self,
            key: (0, 0),
            close_variant: true,
        })
    }
}

impl ser::SerializeSeq for ArrayState<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        v.serialize(&mut *self.w)
            .map_err(|e| e.prepend_index(self.index))?;
        self.index += 1;
        Ok(())
    }
    fn end(self) -> Result<(), Error> {
        self.w.out.extend_from_slice(b"</data></array></value>\n");
        Ok(())
    }
}
impl ser::SerializeTuple for ArrayState<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<(), Error> {
        ser::SerializeSeq::end(self)
    }
}
impl ser::SerializeTupleStruct for ArrayState<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<(), Error> {
        ser::SerializeSeq::end(self)
    }
}
impl ser::SerializeTupleVariant for ArrayState<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<(), Error> {
        self.w
            .out
            .extend_from_slice(b"</data></array></value>\n</member>\n</struct></value>\n");
        Ok(())
    }
}

impl StructState<'_, '_> {
    fn key_text(&self) -> String {
        let raw = self.w.out.get(self.key.0..self.key.1).unwrap_or(&[]);
        String::from_utf8_lossy(raw)
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#13;", "\r")
            .replace("&amp;", "&")
    }
}

impl ser::SerializeMap for StructState<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.w.out.extend_from_slice(b"<member>\n<name>");
        let start = self.w.out.len();
        key.serialize(KeyWriter { out: self.w.out })?;
        self.key = (start, self.w.out.len());
        self.w.out.extend_from_slice(b"</name>\n");
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        if let Err(e) = v.serialize(&mut *self.w) {
            let k = self.key_text();
            return Err(e.prepend_key(&k));
        }
        self.w.out.extend_from_slice(b"</member>\n");
        Ok(())
    }
    fn end(self) -> Result<(), Error> {
        self.w.out.extend_from_slice(b"</struct></value>\n");
        Ok(())
    }
}
impl ser::SerializeStruct for StructState<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.w.out.extend_from_slice(b"<member>\n<name>");
        write_escaped(self.w.out, key)?;
        self.w.out.extend_from_slice(b"</name>\n");
        v.serialize(&mut *self.w).map_err(|e| e.prepend_key(key))?;
        self.w.out.extend_from_slice(b"</member>\n");
        Ok(())
    }
    fn end(self) -> Result<(), Error> {
        self.w.out.extend_from_slice(b"</struct></value>\n");
        Ok(())
    }
}
impl ser::SerializeStructVariant for StructState<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        ser::SerializeStruct::serialize_field(self, key, v)
    }
    fn end(self) -> Result<(), Error> {
        if self.close_variant {
            self.w
                .out
                .extend_from_slice(b"</struct></value>\n</member>\n</struct></value>\n");
        } else {
            self.w.out.extend_from_slice(b"</struct></value>\n");
        }
        Ok(())
    }
}

fn key_must_be_string() -> Error {
    Error::new(
        ErrorKind::Unsupported,
        "struct member names must be strings (or integers, written as decimal text)",
    )
}

/// Writes a member name: strings as they are, integers as decimal text.
struct KeyWriter<'o> {
    out: &'o mut Vec<u8>,
}

macro_rules! key_int {
    ($($f:ident: $t:ty),*) => {$(
        fn $f(self, v: $t) -> Result<(), Error> {
            let _ = write!(self.out, "{v}");
            Ok(())
        }
    )*};
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    key_int!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
        serialize_i128: i128, serialize_u128: u128);
    reject_serialize!(key_must_be_string(); bool, f32, f64, bytes, none, some, unit, unit_struct, newtype_variant, seq, tuple, tuple_struct, tuple_variant, map, struct, struct_variant);

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_escaped(self.out, v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        let mut b = [0u8; 4];
        write_escaped(self.out, v.encode_utf8(&mut b))
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        write_escaped(self.out, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        v.serialize(self)
    }
}

/// Writes the text of a dateTime (only strings accepted).
struct TextWriter<'o> {
    out: &'o mut Vec<u8>,
}

fn datetime_must_be_text() -> Error {
    Error::new(ErrorKind::Unsupported, "a dateTime must serialize as text")
}

impl ser::Serializer for TextWriter<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_escaped(self.out, v)
    }
    reject_serialize!(datetime_must_be_text(); bool, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, char, bytes, none, some, unit, unit_struct, unit_variant, newtype_struct, newtype_variant, seq, tuple, tuple_struct, tuple_variant, map, struct, struct_variant);
}
