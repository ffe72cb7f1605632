//! The reference decoder: a straightforward XML-RPC reader on top of quick-xml's event
//! reader, building [`Value`]s.
//!
//! It accepts and rejects exactly what the fast scanner does and exists to check it
//! (differential tests and fuzzing). It is not meant for production use: it is several
//! times slower and always builds a value tree.

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use crate::error::{Error, ErrorKind};
use crate::text::{self, Int};
use crate::value::{DateTime, Fault, Struct, Value};
use crate::{DecodeOptions, MethodCall};

/// A decoded document.
#[derive(Debug, Clone, PartialEq)]
pub enum Document {
    /// A `methodCall`.
    Call(MethodCall),
    /// A `methodResponse` with one param.
    Response(Value),
    /// A `methodResponse` with a fault.
    Fault(Fault),
}

/// Decodes a `methodCall` or `methodResponse` document.
pub fn decode_document(bytes: &[u8], opts: &DecodeOptions) -> Result<Document, Error> {
    opts.check_size(bytes.len())?;
    let utf8 = text::to_utf8(bytes)?;
    let mut r = Ref::new(&utf8, opts);
    r.document()
}

/// Decodes a `methodCall`.
pub fn decode_call(bytes: &[u8], opts: &DecodeOptions) -> Result<MethodCall, Error> {
    match decode_document(bytes, opts)? {
        Document::Call(c) => Ok(c),
        _ => Err(Error::at(
            ErrorKind::Structure,
            "expected <methodCall>, found <methodResponse>",
            0,
        )),
    }
}

/// Decodes a `methodResponse`.
pub fn decode_response(bytes: &[u8], opts: &DecodeOptions) -> Result<Result<Value, Fault>, Error> {
    match decode_document(bytes, opts)? {
        Document::Response(v) => Ok(Ok(v)),
        Document::Fault(f) => Ok(Err(f)),
        Document::Call(_) => Err(Error::at(
            ErrorKind::Structure,
            "expected <methodResponse>, found <methodCall>",
            0,
        )),
    }
}

/// Decodes a lone `<value>…</value>` fragment (what a streamed array item is).
pub fn decode_value_fragment(bytes: &[u8], opts: &DecodeOptions) -> Result<Value, Error> {
    let mut r = Ref::new(bytes, opts);
    let ev = r.next_significant()?;
    let v = match ev {
        Ev::Start(name, empty) if name == b"value" => r.value(empty, 0)?,
        _ => return Err(r.err(ErrorKind::Structure, "expected <value>")),
    };
    match r.next_significant()? {
        Ev::Eof => Ok(v),
        _ => Err(r.err(ErrorKind::Syntax, "content after the value")),
    }
}

/// A simplified event: element names are local names; text already decoded.
enum Ev {
    /// Start tag (local name, whether it is an empty-element tag).
    Start(Vec<u8>, bool),
    End(Vec<u8>),
    /// Character data (text, CDATA or a resolved reference), decoded.
    Text(String),
    Eof,
}

struct Ref<'a> {
    reader: Reader<&'a [u8]>,
    opts: &'a DecodeOptions,
    /// Whether the first event has been read (the XML declaration must be first).
    started: bool,
}

impl<'a> Ref<'a> {
    fn new(bytes: &'a [u8], opts: &'a DecodeOptions) -> Self {
        let mut reader = Reader::from_reader(bytes);
        let c = reader.config_mut();
        c.check_comments = true;
        c.check_end_names = true;
        c.expand_empty_elements = false;
        c.trim_text_start = false;
        c.trim_text_end = false;
        c.allow_unmatched_ends = false;
        c.allow_dangling_amp = false;
        Ref {
            reader,
            opts,
            started: false,
        }
    }

    fn pos(&self) -> usize {
        self.reader.buffer_position() as usize
    }

    fn err(&self, kind: ErrorKind, msg: impl Into<String>) -> Error {
        Error::at(kind, msg, self.pos())
    }

    fn raw_event(&mut self) -> Result<Event<'a>, Error> {
        match self.reader.read_event() {
            Ok(e) => Ok(e),
            Err(e) => {
                let pos = self.reader.error_position() as usize;
                let msg = e.to_string();
                let kind = if msg.contains("unexpected end")
                    || msg.contains("Unexpected EOF")
                    || msg.contains("not closed")
                {
                    ErrorKind::Truncated
                } else {
                    ErrorKind::Syntax
                };
                Err(Error::at(
                    kind,
                    crate::error::truncate(&msg, 120).to_string(),
                    pos,
                ))
            }
        }
    }

    /// The next event with comments and PIs skipped, text validated and decoded.
    fn next_event(&mut self) -> Result<Ev, Error> {
        loop {
            let first = !self.started;
            self.started = true;
            let ev = self.raw_event()?;
            match ev {
                Event::Decl(d) => {
                    if !first {
                        return Err(self.err(ErrorKind::Syntax, "XML declaration not at the start"));
                    }
                    let raw: &[u8] = &d;
                    // `raw` is "xml version=..." without "<?" and "?>".
                    let content = raw.strip_prefix(b"xml").unwrap_or(raw);
                    if let Err((k, m)) = text::check_decl(content) {
                        return Err(self.err(k, m));
                    }
                }
                Event::PI(pi) => {
                    let target = pi.target();
                    if target.eq_ignore_ascii_case(b"xml") {
                        return Err(self.err(ErrorKind::Syntax, "XML declaration not at the start"));
                    }
                    if text::local_name(target).is_none() || target.contains(&b':') {
                        return Err(
                            self.err(ErrorKind::Syntax, "invalid processing instruction target")
                        );
                    }
                    self.check_chars(&pi)?;
                }
                Event::Comment(c) => {
                    let raw: &[u8] = &c;
                    if raw.ends_with(b"-") {
                        return Err(self.err(ErrorKind::Syntax, "comment ends with ---"));
                    }
                    self.check_chars(raw)?;
                }
                Event::DocType(_) => {
                    return Err(
                        self.err(ErrorKind::Dtd, "document type declarations are not allowed")
                    );
                }
                Event::Start(s) => {
                    self.check_attrs(&s)?;
                    let name = self.local(s.name().as_ref())?;
                    return Ok(Ev::Start(name, false));
                }
                Event::Empty(s) => {
                    self.check_attrs(&s)?;
                    let name = self.local(s.name().as_ref())?;
                    return Ok(Ev::Start(name, true));
                }
                Event::End(e) => {
                    let name = self.local(e.name().as_ref())?;
                    return Ok(Ev::End(name));
                }
                Event::Text(t) => {
                    let raw: &[u8] = &t;
                    if memchr::memmem::find(raw, b"]]>").is_some() {
                        return Err(self.err(ErrorKind::Syntax, "']]>' in character data"));
                    }
                    let s = self.decode_chars(raw)?;
                    return Ok(Ev::Text(s));
                }
                Event::CData(c) => {
                    let s = self.decode_chars(&c)?;
                    return Ok(Ev::Text(s));
                }
                Event::GeneralRef(r) => {
                    let raw: &[u8] = &r;
                    match text::resolve_reference(raw) {
                        Ok(c) => return Ok(Ev::Text(c.to_string())),
                        Err((k, m)) => return Err(self.err(k, m)),
                    }
                }
                Event::Eof => return Ok(Ev::Eof),
            }
        }
    }

    fn local(&self, raw: &[u8]) -> Result<Vec<u8>, Error> {
        match text::local_name(raw) {
            Some(l) => Ok(l.to_vec()),
            None => Err(self.err(ErrorKind::Syntax, "invalid element name")),
        }
    }

    fn check_chars(&self, raw: &[u8]) -> Result<(), Error> {
        let s = std::str::from_utf8(raw).map_err(|e| {
            Error::at(
                ErrorKind::InvalidUtf8,
                "invalid UTF-8",
                self.pos().saturating_sub(raw.len()) + e.valid_up_to(),
            )
        })?;
        if let Some(c) = s.chars().find(|&c| !text::is_xml_char(c)) {
            return Err(self.err(
                ErrorKind::InvalidChar,
                format!("character U+{:04X} is not allowed in XML", c as u32),
            ));
        }
        Ok(())
    }

    /// Validates raw character data and normalises line ends.
    fn decode_chars(&self, raw: &[u8]) -> Result<String, Error> {
        self.check_chars(raw)?;
        let s = String::from_utf8_lossy(raw);
        Ok(s.replace("\r\n", "\n").replace('\r', "\n"))
    }

    fn check_attrs(&self, s: &quick_xml::events::BytesStart<'_>) -> Result<(), Error> {
        for a in s.attributes().with_checks(true) {
            let a = a.map_err(|e| self.err(ErrorKind::Syntax, format!("bad attribute: {e}")))?;
            if text::local_name(a.key.as_ref()).is_none() {
                return Err(self.err(ErrorKind::Syntax, "invalid attribute name"));
            }
            let v: &[u8] = &a.value;
            if v.contains(&b'<') {
                return Err(self.err(ErrorKind::Syntax, "'<' in an attribute value"));
            }
            self.check_chars(v)?;
            let mut rest = v;
            while let Some(p) = memchr::memchr(b'&', rest) {
                let after = rest.get(p + 1..).unwrap_or(&[]);
                let Some(semi) = memchr::memchr(b';', after) else {
                    return Err(self.err(
                        ErrorKind::Syntax,
                        "unterminated reference in an attribute value",
                    ));
                };
                if let Err((k, m)) = text::resolve_reference(after.get(..semi).unwrap_or(&[])) {
                    return Err(self.err(k, m));
                }
                rest = after.get(semi + 1..).unwrap_or(&[]);
            }
        }
        Ok(())
    }

    /// Next event that is not whitespace text; other text is an error.
    fn next_significant(&mut self) -> Result<Ev, Error> {
        loop {
            match self.next_event()? {
                Ev::Text(t) if text::is_all_ws(&t) => continue,
                Ev::Text(_) => {
                    return Err(self.err(ErrorKind::Syntax, "unexpected text between elements"));
                }
                ev => return Ok(ev),
            }
        }
    }

    fn expect_start(&mut self, want: &[u8]) -> Result<bool, Error> {
        match self.next_significant()? {
            Ev::Start(n, empty) if n == want => Ok(empty),
            Ev::Eof => Err(self.err(
                ErrorKind::Truncated,
                format!("expected <{}>", String::from_utf8_lossy(want)),
            )),
            _ => Err(self.err(
                ErrorKind::Structure,
                format!("expected <{}>", String::from_utf8_lossy(want)),
            )),
        }
    }

    fn expect_end(&mut self, want: &[u8]) -> Result<(), Error> {
        match self.next_significant()? {
            Ev::End(n) if n == want => Ok(()),
            Ev::Eof => Err(self.err(
                ErrorKind::Truncated,
                format!("expected </{}>", String::from_utf8_lossy(want)),
            )),
            _ => Err(self.err(
                ErrorKind::Structure,
                format!("expected </{}>", String::from_utf8_lossy(want)),
            )),
        }
    }

    /// Reads the text content of a leaf element up to its end tag.
    fn leaf_text(&mut self, empty: bool) -> Result<String, Error> {
        let mut s = String::new();
        if empty {
            return Ok(s);
        }
        loop {
            match self.next_event()? {
                Ev::Text(t) => s.push_str(&t),
                Ev::End(_) => return Ok(s),
                Ev::Start(..) => {
                    return Err(self.err(ErrorKind::Structure, "element inside a text value"));
                }
                Ev::Eof => {
                    return Err(self.err(ErrorKind::Truncated, "document ends inside a value"));
                }
            }
        }
    }

    fn document(&mut self) -> Result<Document, Error> {
        let doc = match self.next_significant()? {
            Ev::Start(n, empty) if n == b"methodCall" => Document::Call(self.method_call(empty)?),
            Ev::Start(n, empty) if n == b"methodResponse" => self.method_response(empty)?,
            Ev::Eof => return Err(self.err(ErrorKind::Truncated, "empty document")),
            _ => {
                return Err(self.err(
                    ErrorKind::Structure,
                    "expected <methodCall> or <methodResponse>",
                ));
            }
        };
        match self.next_significant()? {
            Ev::Eof => Ok(doc),
            _ => Err(self.err(ErrorKind::Syntax, "content after the root element")),
        }
    }

    fn method_call(&mut self, empty: bool) -> Result<MethodCall, Error> {
        if empty {
            return Err(self.err(ErrorKind::Structure, "<methodCall> without <methodName>"));
        }
        let e = self.expect_start(b"methodName")?;
        let method = self.leaf_text(e)?;
        let mut params = Vec::new();
        match self.next_significant()? {
            Ev::End(n) if n == b"methodCall" => return Ok(MethodCall { method, params }),
            Ev::Start(n, empty) if n == b"params" => {
                if !empty {
                    self.params(&mut params, "params")?;
                }
            }
            Ev::Eof => {
                return Err(self.err(ErrorKind::Truncated, "document ends inside <methodCall>"));
            }
            _ => return Err(self.err(ErrorKind::Structure, "expected <params> or </methodCall>")),
        }
        self.expect_end(b"methodCall")?;
        Ok(MethodCall { method, params })
    }

    /// Reads `<param>`s up to `</params>`.
    fn params(&mut self, out: &mut Vec<Value>, prefix: &str) -> Result<(), Error> {
        loop {
            match self.next_significant()? {
                Ev::End(n) if n == b"params" => return Ok(()),
                Ev::Start(n, empty) if n == b"param" => {
                    let i = out.len();
                    if empty {
                        return Err(self.err(ErrorKind::Structure, "<param> without <value>"))
                            .map_err(|e| e.prepend_path(&format!("{prefix}[{i}]")));
                    }
                    let v = (|| {
                        let e = self.expect_start(b"value")?;
                        let v = self.value(e, 0)?;
                        self.expect_end(b"param")?;
                        Ok(v)
                    })()
                    .map_err(|e: Error| e.prepend_path(&format!("{prefix}[{i}]")))?;
                    out.push(v);
                }
                Ev::Eof => {
                    return Err(self.err(ErrorKind::Truncated, "document ends inside <params>"));
                }
                _ => return Err(self.err(ErrorKind::Structure, "expected <param> or </params>")),
            }
        }
    }

    fn method_response(&mut self, empty: bool) -> Result<Document, Error> {
        if empty {
            return Err(self.err(ErrorKind::Structure, "empty <methodResponse>"));
        }
        let doc = match self.next_significant()? {
            Ev::Start(n, empty) if n == b"params" => {
                let mut params = Vec::new();
                if !empty {
                    self.params(&mut params, "params")?;
                }
                if params.len() != 1 {
                    return Err(self.err(
                        ErrorKind::Structure,
                        format!(
                            "a response must have exactly one param, found {}",
                            params.len()
                        ),
                    ));
                }
                Document::Response(params.pop().unwrap_or(Value::Nil))
            }
            Ev::Start(n, empty) if n == b"fault" => {
                if empty {
                    return Err(self.err(ErrorKind::Structure, "<fault> without <value>"));
                }
                let v = (|| {
                    let e = self.expect_start(b"value")?;
                    let v = self.value(e, 0)?;
                    self.expect_end(b"fault")?;
                    Ok(v)
                })()
                .map_err(|e: Error| e.prepend_path("fault"))?;
                let pos = self.pos();
                match v {
                    Value::Struct(s) => Document::Fault(
                        Fault::from_struct(s)
                            .map_err(|e| e.prepend_path("fault").with_offset(pos))?,
                    ),
                    _ => {
                        return Err(self
                            .err(ErrorKind::Structure, "a fault must be a struct")
                            .prepend_path("fault"));
                    }
                }
            }
            Ev::Eof => {
                return Err(self.err(
                    ErrorKind::Truncated,
                    "document ends inside <methodResponse>",
                ));
            }
            _ => return Err(self.err(ErrorKind::Structure, "expected <params> or <fault>")),
        };
        self.expect_end(b"methodResponse")?;
        Ok(doc)
    }

    /// Reads a value whose `<value>` start tag was just read.
    fn value(&mut self, empty: bool, depth: usize) -> Result<Value, Error> {
        if empty {
            return Ok(Value::String(String::new()));
        }
        let mut pending = String::new();
        loop {
            match self.next_event()? {
                Ev::Text(t) => pending.push_str(&t),
                Ev::End(n) if n == b"value" => return Ok(Value::String(pending)),
                Ev::End(_) => return Err(self.err(ErrorKind::Syntax, "mismatched end tag")),
                Ev::Eof => {
                    return Err(self.err(ErrorKind::Truncated, "document ends inside <value>"));
                }
                Ev::Start(name, empty) => {
                    if !text::is_all_ws(&pending) {
                        return Err(self.err(ErrorKind::Structure, "text mixed with a typed value"));
                    }
                    let v = self.typed(&name, empty, depth)?;
                    // Only whitespace (and comments) may follow, then </value>.
                    loop {
                        match self.next_event()? {
                            Ev::Text(t) if text::is_all_ws(&t) => {}
                            Ev::End(n) if n == b"value" => return Ok(v),
                            Ev::Eof => {
                                return Err(
                                    self.err(ErrorKind::Truncated, "document ends inside <value>")
                                );
                            }
                            _ => {
                                return Err(
                                    self.err(ErrorKind::Structure, "more than one item in <value>")
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    fn typed(&mut self, name: &[u8], empty: bool, depth: usize) -> Result<Value, Error> {
        match name {
            b"int" | b"i4" | b"i8" | b"i1" | b"i2" | b"biginteger" => {
                let start = self.pos();
                let t = self.leaf_text(empty)?;
                match text::parse_int(&t) {
                    Ok(Int::I64(i)) => Ok(Value::Int(i)),
                    Ok(Int::U64(_)) => Err(Error::at(
                        ErrorKind::IntegerOverflow,
                        format!("integer {} does not fit in 64 signed bits", t.trim()),
                        start,
                    )),
                    Err((k, m)) => Err(Error::at(k, m, start)),
                }
            }
            b"boolean" => {
                let start = self.pos();
                let t = self.leaf_text(empty)?;
                text::parse_bool(&t)
                    .map(Value::Bool)
                    .map_err(|(k, m)| Error::at(k, m, start))
            }
            b"double" | b"float" => {
                let start = self.pos();
                let t = self.leaf_text(empty)?;
                text::parse_double(&t)
                    .map(Value::Double)
                    .map_err(|(k, m)| Error::at(k, m, start))
            }
            b"string" => Ok(Value::String(self.leaf_text(empty)?)),
            b"base64" => {
                let start = self.pos();
                let t = self.leaf_text(empty)?;
                text::decode_base64(&t)
                    .map(Value::Base64)
                    .map_err(|(k, m)| Error::at(k, m, start))
            }
            b"dateTime.iso8601" => {
                let start = self.pos();
                let t = self.leaf_text(empty)?;
                DateTime::new(t)
                    .map(Value::DateTime)
                    .map_err(|e| e.with_offset(start))
            }
            b"nil" => {
                let t = self.leaf_text(empty)?;
                if !text::is_all_ws(&t) {
                    return Err(self.err(ErrorKind::InvalidValue, "<nil> with content"));
                }
                Ok(Value::Nil)
            }
            b"array" => {
                if depth + 1 > self.opts.max_depth {
                    return Err(self.err(
                        ErrorKind::DepthLimit,
                        format!("more than {} nested arrays/structs", self.opts.max_depth),
                    ));
                }
                let mut items = Vec::new();
                if empty {
                    return Ok(Value::Array(items));
                }
                match self.next_significant()? {
                    Ev::End(n) if n == b"array" => return Ok(Value::Array(items)),
                    Ev::Start(n, e) if n == b"data" => {
                        if !e {
                            loop {
                                match self.next_significant()? {
                                    Ev::End(n) if n == b"data" => break,
                                    Ev::Start(n, e) if n == b"value" => {
                                        let i = items.len();
                                        let v = self
                                            .value(e, depth + 1)
                                            .map_err(|e| e.prepend_index(i))?;
                                        items.push(v);
                                    }
                                    Ev::Eof => {
                                        return Err(self.err(
                                            ErrorKind::Truncated,
                                            "document ends inside <data>",
                                        ));
                                    }
                                    _ => {
                                        return Err(self.err(
                                            ErrorKind::Structure,
                                            "expected <value> or </data>",
                                        ))
                                        .map_err(|e| e.prepend_index(items.len()));
                                    }
                                }
                            }
                        }
                    }
                    Ev::Eof => {
                        return Err(self.err(ErrorKind::Truncated, "document ends inside <array>"));
                    }
                    _ => return Err(self.err(ErrorKind::Structure, "expected <data>")),
                }
                self.expect_end(b"array")?;
                Ok(Value::Array(items))
            }
            b"struct" => {
                if depth + 1 > self.opts.max_depth {
                    return Err(self.err(
                        ErrorKind::DepthLimit,
                        format!("more than {} nested arrays/structs", self.opts.max_depth),
                    ));
                }
                let mut s = Struct::new();
                if empty {
                    return Ok(Value::Struct(s));
                }
                loop {
                    match self.next_significant()? {
                        Ev::End(n) if n == b"struct" => return Ok(Value::Struct(s)),
                        Ev::Start(n, e) if n == b"member" => {
                            if e {
                                return Err(
                                    self.err(ErrorKind::Structure, "<member> without <name>")
                                );
                            }
                            let ne = self.expect_start(b"name")?;
                            let key = self.leaf_text(ne)?;
                            let v = (|| {
                                let ve = self.expect_start(b"value")?;
                                let v = self.value(ve, depth + 1)?;
                                self.expect_end(b"member")?;
                                Ok(v)
                            })()
                            .map_err(|e: Error| e.prepend_key(&key))?;
                            s.insert(key, v);
                        }
                        Ev::Eof => {
                            return Err(
                                self.err(ErrorKind::Truncated, "document ends inside <struct>")
                            );
                        }
                        _ => {
                            return Err(
                                self.err(ErrorKind::Structure, "expected <member> or </struct>")
                            );
                        }
                    }
                }
            }
            other => Err(self.err(
                ErrorKind::UnknownType,
                format!(
                    "unknown type <{}>",
                    String::from_utf8_lossy(other.get(..32.min(other.len())).unwrap_or(&[]))
                ),
            )),
        }
    }
}
