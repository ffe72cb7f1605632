//! A small decoder for the AMQP 1.0 type system and message sections.
//!
//! Koji's `protonmsg` plugin publishes AMQP 1.0 messages. Most consumers see
//! them already decoded by their AMQP 1.0 library, but a broker may also hand
//! the *encoded* form to other protocols: RabbitMQ 3.10's STOMP adapter
//! delivers the application properties as one binary header
//! (`x-amqp-1.0-app-properties`) and the body as the encoded `amqp-value`
//! section. This module decodes exactly that, without any I/O and without
//! panicking on hostile input (every read is bounds-checked, nesting is
//! limited).
//!
//! ```
//! use koji_client::messages::amqp_value::{decode_value, AmqpValue};
//!
//! // a str8 value "hi"
//! let (value, used) = decode_value(&[0xa1, 0x02, b'h', b'i']).unwrap();
//! assert_eq!(value, AmqpValue::String("hi".into()));
//! assert_eq!(used, 4);
//! ```

use serde_json::{Map, Number, Value};

/// How deeply lists, maps, arrays and described values may nest before the
/// input is rejected (protects the stack from hostile input).
pub const MAX_DEPTH: usize = 64;

/// One decoded AMQP 1.0 value.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AmqpValue {
    /// `null`.
    Null,
    /// `boolean`.
    Bool(bool),
    /// `ubyte`, `ushort`, `uint` or `ulong`.
    UInt(u64),
    /// `byte`, `short`, `int` or `long`.
    Int(i64),
    /// `float` (widened) or `double`.
    Double(f64),
    /// `decimal32`, `decimal64` or `decimal128`, kept as their raw bytes.
    Decimal(Vec<u8>),
    /// `char` (a UTF-32 code point).
    Char(char),
    /// `timestamp`: milliseconds since the Unix epoch.
    Timestamp(i64),
    /// `uuid`.
    Uuid([u8; 16]),
    /// `binary`.
    Binary(Vec<u8>),
    /// `string`.
    String(String),
    /// `symbol` (ASCII).
    Symbol(String),
    /// `list`.
    List(Vec<AmqpValue>),
    /// `map`, in wire order (keys may be of any type).
    Map(Vec<(AmqpValue, AmqpValue)>),
    /// `array` (elements of one type).
    Array(Vec<AmqpValue>),
    /// A described value: descriptor and value.
    Described(Box<AmqpValue>, Box<AmqpValue>),
}

/// What was wrong with an AMQP 1.0 encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid AMQP 1.0 encoding at byte {offset}: {reason}")]
pub struct AmqpDecodeError {
    /// Byte offset (from the start of the decoded buffer) where the problem was found.
    pub offset: usize,
    /// What was wrong.
    pub reason: String,
}

impl AmqpValue {
    /// The text of a `string` or `symbol`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AmqpValue::String(s) | AmqpValue::Symbol(s) => Some(s),
            _ => None,
        }
    }

    /// Converts the value to JSON, the shape Koji's publisher started from.
    ///
    /// Maps become objects when every key is a string or symbol (other keys
    /// are rendered with their JSON text), binaries become arrays of bytes,
    /// described values keep only their value, timestamps become
    /// milliseconds, decimals and non-finite doubles become `null`.
    pub fn to_json(&self) -> Value {
        match self {
            AmqpValue::Null => Value::Null,
            AmqpValue::Bool(b) => Value::Bool(*b),
            AmqpValue::UInt(u) => Value::Number((*u).into()),
            AmqpValue::Int(i) | AmqpValue::Timestamp(i) => Value::Number((*i).into()),
            AmqpValue::Double(d) => Number::from_f64(*d).map_or(Value::Null, Value::Number),
            AmqpValue::Decimal(_) => Value::Null,
            AmqpValue::Char(c) => Value::String(c.to_string()),
            AmqpValue::Uuid(u) => Value::String(format_uuid(u)),
            AmqpValue::Binary(b) => Value::Array(b.iter().map(|x| Value::from(*x)).collect()),
            AmqpValue::String(s) | AmqpValue::Symbol(s) => Value::String(s.clone()),
            AmqpValue::List(items) | AmqpValue::Array(items) => {
                Value::Array(items.iter().map(AmqpValue::to_json).collect())
            }
            AmqpValue::Map(pairs) => Value::Object(map_to_json(pairs)),
            AmqpValue::Described(_, value) => value.to_json(),
        }
    }
}

fn map_to_json(pairs: &[(AmqpValue, AmqpValue)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| {
            let key = match k.as_str() {
                Some(s) => s.to_owned(),
                None => k.to_json().to_string(),
            };
            (key, v.to_json())
        })
        .collect()
}

fn format_uuid(u: &[u8; 16]) -> String {
    let hex: String = u.iter().map(|b| format!("{b:02x}")).collect();
    // 8-4-4-4-12; `hex` is exactly 32 ASCII characters.
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Array elements left to decode, in units of their constructor's
    /// encoded length (see [`Reader::new`]).
    budget: usize,
}

/// The array elements a decode may produce beyond one per input byte: the
/// allowance for an array of zero-width elements (nulls, `true`…), which
/// take no bytes each.
const ARRAY_ALLOWANCE: usize = 4096;

impl<'a> Reader<'a> {
    /// A reader of `buf`. Array elements may take no bytes of their own
    /// (zero-width types, or a described constructor cloned into each), so
    /// a few bytes could otherwise decode into millions of values or
    /// copies of a large descriptor: every array element costs its
    /// constructor's encoded length, and all the arrays of one decode
    /// share a budget of twice the input plus [`ARRAY_ALLOWANCE`].
    fn new(buf: &'a [u8]) -> Self {
        Reader {
            buf,
            pos: 0,
            budget: buf.len().saturating_mul(2).saturating_add(ARRAY_ALLOWANCE),
        }
    }

    fn err(&self, reason: impl Into<String>) -> AmqpDecodeError {
        AmqpDecodeError {
            offset: self.pos,
            reason: reason.into(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], AmqpDecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.buf.len())
            .ok_or_else(|| {
                self.err(format!(
                    "needs {n} more bytes, only {} left",
                    self.buf.len() - self.pos
                ))
            })?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], AmqpDecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, AmqpDecodeError> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, AmqpDecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// Reads a size or count field of 1 or 4 bytes.
    fn len(&mut self, wide: bool) -> Result<usize, AmqpDecodeError> {
        let n = if wide {
            self.u32()? as usize
        } else {
            self.u8()? as usize
        };
        Ok(n)
    }

    fn constructor(&mut self, depth: usize) -> Result<Constructor, AmqpDecodeError> {
        if depth > MAX_DEPTH {
            return Err(self.err(format!("values nested deeper than {MAX_DEPTH}")));
        }
        let at = self.pos;
        let code = self.u8()?;
        if code == 0x00 {
            let descriptor = self.value(depth + 1)?;
            let inner = self.constructor(depth + 1)?;
            return Ok(Constructor::Described(
                Box::new(descriptor),
                Box::new(inner),
            ));
        }
        if !is_known_code(code) {
            return Err(AmqpDecodeError {
                offset: at,
                reason: format!("unknown format code 0x{code:02x}"),
            });
        }
        Ok(Constructor::Primitive(code))
    }

    fn value(&mut self, depth: usize) -> Result<AmqpValue, AmqpDecodeError> {
        if depth > MAX_DEPTH {
            return Err(self.err(format!("values nested deeper than {MAX_DEPTH}")));
        }
        let ctor = self.constructor(depth)?;
        self.with_constructor(&ctor, depth)
    }

    fn with_constructor(
        &mut self,
        ctor: &Constructor,
        depth: usize,
    ) -> Result<AmqpValue, AmqpDecodeError> {
        match ctor {
            Constructor::Described(descriptor, inner) => {
                let value = self.with_constructor(inner, depth + 1)?;
                Ok(AmqpValue::Described(descriptor.clone(), Box::new(value)))
            }
            Constructor::Primitive(code) => self.primitive(*code, depth),
        }
    }

    fn text(&mut self, n: usize, what: &str) -> Result<String, AmqpDecodeError> {
        let at = self.pos;
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec()).map_err(|e| AmqpDecodeError {
            offset: at + e.utf8_error().valid_up_to(),
            reason: format!("{what} is not valid UTF-8"),
        })
    }

    fn primitive(&mut self, code: u8, depth: usize) -> Result<AmqpValue, AmqpDecodeError> {
        use AmqpValue as V;
        Ok(match code {
            0x40 => V::Null,
            0x41 => V::Bool(true),
            0x42 => V::Bool(false),
            0x56 => match self.u8()? {
                0 => V::Bool(false),
                1 => V::Bool(true),
                other => return Err(self.err(format!("boolean byte {other} is not 0 or 1"))),
            },
            0x50 | 0x52 => V::UInt(u64::from(self.u8()?)),
            0x60 => V::UInt(u64::from(u16::from_be_bytes(self.array()?))),
            0x70 => V::UInt(u64::from(self.u32()?)),
            0x43 | 0x44 => V::UInt(0),
            0x53 => V::UInt(u64::from(self.u8()?)),
            0x80 => V::UInt(u64::from_be_bytes(self.array()?)),
            0x51 | 0x54 => V::Int(i64::from(i8::from_be_bytes(self.array()?))),
            0x61 => V::Int(i64::from(i16::from_be_bytes(self.array()?))),
            0x71 => V::Int(i64::from(i32::from_be_bytes(self.array()?))),
            0x55 => V::Int(i64::from(i8::from_be_bytes(self.array()?))),
            0x81 => V::Int(i64::from_be_bytes(self.array()?)),
            0x72 => V::Double(f64::from(f32::from_be_bytes(self.array()?))),
            0x82 => V::Double(f64::from_be_bytes(self.array()?)),
            0x74 => V::Decimal(self.take(4)?.to_vec()),
            0x84 => V::Decimal(self.take(8)?.to_vec()),
            0x94 => V::Decimal(self.take(16)?.to_vec()),
            0x73 => {
                let at = self.pos;
                let cp = self.u32()?;
                V::Char(char::from_u32(cp).ok_or(AmqpDecodeError {
                    offset: at,
                    reason: format!("char 0x{cp:x} is not a Unicode scalar value"),
                })?)
            }
            0x83 => V::Timestamp(i64::from_be_bytes(self.array()?)),
            0x98 => V::Uuid(self.array()?),
            0xa0 | 0xb0 => {
                let n = self.len(code == 0xb0)?;
                V::Binary(self.take(n)?.to_vec())
            }
            0xa1 | 0xb1 => {
                let n = self.len(code == 0xb1)?;
                V::String(self.text(n, "string")?)
            }
            0xa3 | 0xb3 => {
                let n = self.len(code == 0xb3)?;
                V::Symbol(self.text(n, "symbol")?)
            }
            0x45 => V::List(Vec::new()),
            0xc0 | 0xd0 => {
                let items = self.compound(code == 0xd0, depth, "list")?;
                V::List(items)
            }
            0xc1 | 0xd1 => {
                let items = self.compound(code == 0xd1, depth, "map")?;
                if items.len() % 2 != 0 {
                    return Err(self.err(format!("map has an odd element count {}", items.len())));
                }
                let mut pairs = Vec::with_capacity(items.len() / 2);
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    pairs.push((k, v));
                }
                V::Map(pairs)
            }
            0xe0 | 0xf0 => V::Array(self.array_body(code == 0xf0, depth)?),
            other => return Err(self.err(format!("unknown format code 0x{other:02x}"))),
        })
    }

    /// Reads the size/count header of a list or map and its elements, and
    /// checks that they fill exactly the announced size.
    fn compound(
        &mut self,
        wide: bool,
        depth: usize,
        what: &str,
    ) -> Result<Vec<AmqpValue>, AmqpDecodeError> {
        let size = self.len(wide)?;
        let start = self.pos;
        let count_width = if wide { 4 } else { 1 };
        if size < count_width {
            return Err(self.err(format!("{what} size {size} cannot hold its count")));
        }
        let end = start
            .checked_add(size)
            .filter(|e| *e <= self.buf.len())
            .ok_or_else(|| self.err(format!("{what} size {size} runs past the end")))?;
        let count = self.len(wide)?;
        // Every element needs at least one byte: reject absurd counts early.
        if count > end - self.pos {
            return Err(self.err(format!("{what} count {count} exceeds its size {size}")));
        }
        let mut items = Vec::with_capacity(count);
        for _ in 0..count {
            items.push(self.value(depth + 1)?);
            if self.pos > end {
                return Err(self.err(format!("{what} elements overrun its size {size}")));
            }
        }
        if self.pos != end {
            return Err(self.err(format!("{what} elements do not fill its size {size}")));
        }
        Ok(items)
    }

    fn array_body(&mut self, wide: bool, depth: usize) -> Result<Vec<AmqpValue>, AmqpDecodeError> {
        let size = self.len(wide)?;
        let start = self.pos;
        let end = start
            .checked_add(size)
            .filter(|e| *e <= self.buf.len())
            .ok_or_else(|| self.err(format!("array size {size} runs past the end")))?;
        let count = self.len(wide)?;
        let ctor_start = self.pos;
        let ctor = self.constructor(depth + 1)?;
        let cost = count.saturating_mul((self.pos - ctor_start).max(1));
        if cost > self.budget {
            return Err(self.err(format!(
                "array of {count} elements exceeds the decoding budget for {} input bytes",
                self.buf.len()
            )));
        }
        self.budget -= cost;
        let zero_width = matches!(ctor, Constructor::Primitive(0x40..=0x45));
        if !zero_width && count > end.saturating_sub(self.pos) {
            return Err(self.err(format!("array count {count} exceeds its size {size}")));
        }
        if zero_width && count > end - start + 4096 {
            // Zero-width elements still need a sane bound.
            return Err(self.err(format!("array count {count} is implausible")));
        }
        let mut items = Vec::with_capacity(count.min(4096));
        for _ in 0..count {
            items.push(self.with_constructor(&ctor, depth + 1)?);
            if self.pos > end {
                return Err(self.err(format!("array elements overrun its size {size}")));
            }
        }
        if self.pos != end {
            return Err(self.err(format!("array elements do not fill its size {size}")));
        }
        Ok(items)
    }
}

enum Constructor {
    Primitive(u8),
    Described(Box<AmqpValue>, Box<Constructor>),
}

fn is_known_code(code: u8) -> bool {
    matches!(
        code,
        0x40..=0x45
            | 0x50..=0x56
            | 0x60 | 0x61
            | 0x70..=0x74
            | 0x80..=0x84
            | 0x94 | 0x98
            | 0xa0 | 0xa1 | 0xa3
            | 0xb0 | 0xb1 | 0xb3
            | 0xc0 | 0xc1 | 0xd0 | 0xd1
            | 0xe0 | 0xf0
    )
}

/// Decodes one value from the start of `bytes`; returns it and the number of
/// bytes it used.
pub fn decode_value(bytes: &[u8]) -> Result<(AmqpValue, usize), AmqpDecodeError> {
    let mut r = Reader::new(bytes);
    let v = r.value(0)?;
    Ok((v, r.pos))
}

/// Decodes a sequence of values that must fill `bytes` exactly.
pub fn decode_all(bytes: &[u8]) -> Result<Vec<AmqpValue>, AmqpDecodeError> {
    let mut r = Reader::new(bytes);
    let mut out = Vec::new();
    while r.pos < bytes.len() {
        out.push(r.value(0)?);
    }
    Ok(out)
}

/// The body of an AMQP 1.0 message.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub enum AmqpBody {
    /// No body section at all.
    #[default]
    Empty,
    /// One or more `data` sections (binary), concatenated.
    Data(Vec<u8>),
    /// One or more `amqp-sequence` sections, concatenated.
    Sequence(Vec<AmqpValue>),
    /// An `amqp-value` section (what Koji's protonmsg sends: a string).
    Value(AmqpValue),
}

impl AmqpBody {
    /// The body as bytes of text where that is meaningful: the UTF-8 of an
    /// `amqp-value` string, or the bytes of `data` sections.
    pub fn text_bytes(&self) -> Option<&[u8]> {
        match self {
            AmqpBody::Value(AmqpValue::String(s)) => Some(s.as_bytes()),
            AmqpBody::Data(d) => Some(d),
            _ => None,
        }
    }
}

/// An AMQP 1.0 message decoded section by section (the bare message plus
/// annotations; unknown sections are an error).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AmqpMessage {
    /// The `header` section (a list: durable, priority, ttl, first-acquirer,
    /// delivery-count).
    pub header: Option<AmqpValue>,
    /// `delivery-annotations`.
    pub delivery_annotations: Option<AmqpValue>,
    /// `message-annotations`.
    pub message_annotations: Option<AmqpValue>,
    /// The `properties` section (a list: message-id, user-id, to, subject, …).
    pub properties: Option<AmqpValue>,
    /// `application-properties`: the map Koji fills with its `props`.
    pub application_properties: Vec<(AmqpValue, AmqpValue)>,
    /// The body.
    pub body: AmqpBody,
    /// `footer`.
    pub footer: Option<AmqpValue>,
}

impl AmqpMessage {
    /// The application properties as a JSON object (see [`AmqpValue::to_json`]).
    pub fn application_properties_json(&self) -> Map<String, Value> {
        map_to_json(&self.application_properties)
    }

    /// The `to` field of the properties section (the address), if any.
    pub fn to(&self) -> Option<&str> {
        self.property_field(2)
    }

    /// The `subject` field of the properties section, if any.
    pub fn subject(&self) -> Option<&str> {
        self.property_field(3)
    }

    fn property_field(&self, index: usize) -> Option<&str> {
        match self.properties.as_ref()? {
            AmqpValue::List(fields) => fields.get(index)?.as_str(),
            _ => None,
        }
    }
}

/// The descriptor codes of the message sections (AMQP 1.0 §3.2).
mod section {
    pub(super) const HEADER: u64 = 0x70;
    pub(super) const DELIVERY_ANNOTATIONS: u64 = 0x71;
    pub(super) const MESSAGE_ANNOTATIONS: u64 = 0x72;
    pub(super) const PROPERTIES: u64 = 0x73;
    pub(super) const APPLICATION_PROPERTIES: u64 = 0x74;
    pub(super) const DATA: u64 = 0x75;
    pub(super) const AMQP_SEQUENCE: u64 = 0x76;
    pub(super) const AMQP_VALUE: u64 = 0x77;
    pub(super) const FOOTER: u64 = 0x78;
}

/// The numeric descriptor of a section, accepting the symbolic form too.
fn section_code(descriptor: &AmqpValue) -> Option<u64> {
    match descriptor {
        AmqpValue::UInt(code) => Some(*code),
        AmqpValue::Symbol(name) => Some(match name.as_str() {
            "amqp:header:list" => section::HEADER,
            "amqp:delivery-annotations:map" => section::DELIVERY_ANNOTATIONS,
            "amqp:message-annotations:map" => section::MESSAGE_ANNOTATIONS,
            "amqp:properties:list" => section::PROPERTIES,
            "amqp:application-properties:map" => section::APPLICATION_PROPERTIES,
            "amqp:data:binary" => section::DATA,
            "amqp:amqp-sequence:list" => section::AMQP_SEQUENCE,
            "amqp:amqp-value:*" => section::AMQP_VALUE,
            "amqp:footer:map" => section::FOOTER,
            _ => return None,
        }),
        _ => None,
    }
}

/// Decodes a whole encoded message (the payload of AMQP 1.0 transfers, or
/// a concatenation of some of its sections, such as the STOMP rendering of
/// a RabbitMQ body).
pub fn decode_message(bytes: &[u8]) -> Result<AmqpMessage, AmqpDecodeError> {
    let mut r = Reader::new(bytes);
    let mut msg = AmqpMessage::default();
    let mut data = Vec::new();
    let mut seq = Vec::new();
    let mut kind: Option<u64> = None;
    while r.pos < bytes.len() {
        let at = r.pos;
        let value = r.value(0)?;
        let AmqpValue::Described(descriptor, inner) = value else {
            return Err(AmqpDecodeError {
                offset: at,
                reason: "expected a described message section".into(),
            });
        };
        let code = section_code(&descriptor).ok_or_else(|| AmqpDecodeError {
            offset: at,
            reason: format!("unknown message section descriptor {descriptor:?}"),
        })?;
        let inner = *inner;
        let wrong = |what: &str| AmqpDecodeError {
            offset: at,
            reason: format!("{what} section has the wrong type"),
        };
        match code {
            section::HEADER => msg.header = Some(inner),
            section::DELIVERY_ANNOTATIONS => msg.delivery_annotations = Some(inner),
            section::MESSAGE_ANNOTATIONS => msg.message_annotations = Some(inner),
            section::PROPERTIES => msg.properties = Some(inner),
            section::APPLICATION_PROPERTIES => match inner {
                AmqpValue::Map(pairs) => msg.application_properties = pairs,
                AmqpValue::Null => {}
                _ => return Err(wrong("application-properties")),
            },
            section::FOOTER => msg.footer = Some(inner),
            body_code @ (section::DATA | section::AMQP_SEQUENCE | section::AMQP_VALUE) => {
                if kind.is_some_and(|k| k != body_code || k == section::AMQP_VALUE) {
                    return Err(AmqpDecodeError {
                        offset: at,
                        reason: "body sections of different kinds, or two amqp-value sections"
                            .into(),
                    });
                }
                kind = Some(body_code);
                match (body_code, inner) {
                    (section::DATA, AmqpValue::Binary(b)) => data.extend(b),
                    (section::AMQP_SEQUENCE, AmqpValue::List(items)) => seq.extend(items),
                    (section::AMQP_VALUE, v) => msg.body = AmqpBody::Value(v),
                    (section::DATA, _) => return Err(wrong("data")),
                    _ => return Err(wrong("amqp-sequence")),
                }
            }
            other => {
                return Err(AmqpDecodeError {
                    offset: at,
                    reason: format!("unknown message section 0x{other:x}"),
                });
            }
        }
    }
    match kind {
        Some(section::DATA) => msg.body = AmqpBody::Data(data),
        Some(section::AMQP_SEQUENCE) => msg.body = AmqpBody::Sequence(seq),
        _ => {}
    }
    Ok(msg)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn decodes_scalars() {
        let cases: &[(&[u8], AmqpValue)] = &[
            (&[0x40], AmqpValue::Null),
            (&[0x41], AmqpValue::Bool(true)),
            (&[0x56, 0x00], AmqpValue::Bool(false)),
            (&[0x52, 0x07], AmqpValue::UInt(7)),
            (&[0x43], AmqpValue::UInt(0)),
            (&[0x70, 0, 0, 1, 0], AmqpValue::UInt(256)),
            (&[0x53, 0x77], AmqpValue::UInt(0x77)),
            (&[0x54, 0xff], AmqpValue::Int(-1)),
            (&[0x55, 0xfe], AmqpValue::Int(-2)),
            (&[0x71, 0xff, 0xff, 0xff, 0xfd], AmqpValue::Int(-3)),
            (&[0x81, 0, 0, 0, 0, 0, 0, 0, 39], AmqpValue::Int(39)),
            (
                &[0x82, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0],
                AmqpValue::Double(1.0),
            ),
            (&[0x73, 0, 0, 0, 0x41], AmqpValue::Char('A')),
            (&[0xa3, 0x01, b'x'], AmqpValue::Symbol("x".into())),
            (&[0xa0, 0x02, 0x00, 0xff], AmqpValue::Binary(vec![0, 255])),
            (&[0xb1, 0, 0, 0, 1, b'z'], AmqpValue::String("z".into())),
            (&[0x45], AmqpValue::List(vec![])),
        ];
        for (bytes, want) in cases {
            let (got, used) = decode_value(bytes).unwrap();
            assert_eq!(&got, want, "{bytes:02x?}");
            assert_eq!(used, bytes.len());
        }
    }

    #[test]
    fn decodes_compounds() {
        // map8 {"a": null, "b": [1]} with list8 [smalluint 1]
        let bytes = [
            0xc1, 0x0d, 0x04, 0xa1, 0x01, b'a', 0x40, 0xa1, 0x01, b'b', 0xc0, 0x03, 0x01, 0x52,
            0x01,
        ];
        // the size counts the bytes after itself: count (1) + elements (12)
        let (value, used) = decode_value(&bytes[..]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(used, bytes.len());
        assert_eq!(
            value.to_json(),
            serde_json::json!({"a": null, "b": [1]}),
            "{value:?}"
        );
        // array8 of 2 smalluints
        let (arr, _) = decode_value(&[0xe0, 0x04, 0x02, 0x52, 0x05, 0x06]).unwrap();
        assert_eq!(
            arr,
            AmqpValue::Array(vec![AmqpValue::UInt(5), AmqpValue::UInt(6)])
        );
    }

    #[test]
    fn decodes_protonmsg_style_message() {
        // properties (empty list), application-properties {"type": "X"}, amqp-value "{}"
        let mut bytes = vec![0x00, 0x53, 0x73, 0x45];
        bytes.extend([0x00, 0x53, 0x74, 0xc1, 0x0a, 0x02]);
        bytes.extend([0xa1, 0x04, b't', b'y', b'p', b'e', 0xa1, 0x01, b'X']);
        bytes.extend([0x00, 0x53, 0x77, 0xa1, 0x02, b'{', b'}']);
        let msg = decode_message(&bytes).unwrap();
        assert_eq!(msg.properties, Some(AmqpValue::List(vec![])));
        assert_eq!(
            msg.application_properties_json(),
            serde_json::json!({"type": "X"})
                .as_object()
                .unwrap()
                .clone()
        );
        assert_eq!(msg.body.text_bytes(), Some(&b"{}"[..]));
        assert_eq!(msg.to(), None);
    }

    #[test]
    fn rejects_bad_input_with_offsets() {
        let e = decode_value(&[0xa1, 0x05, b'a']).unwrap_err();
        assert_eq!(e.offset, 2);
        assert!(e.reason.contains("needs 5 more bytes"), "{e}");
        let e = decode_value(&[0x33]).unwrap_err();
        assert!(e.reason.contains("unknown format code 0x33"), "{e}");
        let e = decode_value(&[0xa1, 0x01, 0xff]).unwrap_err();
        assert!(e.reason.contains("not valid UTF-8"), "{e}");
        // list count larger than the size
        let e = decode_value(&[0xc0, 0x01, 0x09]).unwrap_err();
        assert!(e.reason.contains("exceeds its size"), "{e}");
        // map with an odd number of elements
        let e = decode_value(&[0xc1, 0x02, 0x01, 0x40]).unwrap_err();
        assert!(e.reason.contains("odd element count"), "{e}");
        // a value that is not a section
        let e = decode_message(&[0xa1, 0x00]).unwrap_err();
        assert!(e.reason.contains("described message section"), "{e}");
        // huge 32-bit size on a short buffer
        let e = decode_value(&[0xd0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1]).unwrap_err();
        assert!(e.reason.contains("runs past the end"), "{e}");
    }

    #[test]
    fn nesting_is_limited() {
        // 100 000 nested descriptors: must be an error, not a stack overflow
        let mut bytes = [0x00, 0x40].repeat(100_000);
        bytes.push(0x40);
        let e = decode_value(&bytes).unwrap_err();
        assert!(e.reason.contains("nested deeper than 64"), "{e}");
        // nested list32 headers
        let n: u32 = 1000;
        let mut bytes = Vec::new();
        for i in 0..n {
            // each list holds the rest: count + the inner lists + the final null
            let size = 4 + (n - i - 1) * 9 + 1;
            bytes.push(0xd0);
            bytes.extend(size.to_be_bytes());
            bytes.extend(1u32.to_be_bytes());
        }
        bytes.push(0x40);
        let e = decode_value(&bytes).unwrap_err();
        assert!(e.reason.contains("nested deeper than 64"), "{e}");
    }

    /// An array32 of `count` elements with constructor `ctor` and no
    /// element bytes beyond `padding`.
    fn array32(count: u32, ctor: &[u8], padding: usize) -> Vec<u8> {
        let size = 4 + ctor.len() + padding;
        let mut out = vec![0xf0];
        out.extend_from_slice(&u32::try_from(size).unwrap().to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        out.extend_from_slice(ctor);
        out.extend(std::iter::repeat_n(0x40, padding));
        out
    }

    #[test]
    fn arrays_of_zero_width_elements_cannot_multiply_memory() {
        // A list of 2000 arrays of 4096 nulls each: 20 KB of input that
        // would decode to 8 million values. The decoder's element budget
        // (proportional to the input) refuses it.
        let one = array32(4096, &[0x40], 0);
        let n = 2000;
        let mut items = Vec::new();
        for _ in 0..n {
            items.extend_from_slice(&one);
        }
        let mut list = vec![0xd0];
        list.extend_from_slice(&u32::try_from(items.len() + 4).unwrap().to_be_bytes());
        list.extend_from_slice(&u32::try_from(n).unwrap().to_be_bytes());
        list.extend_from_slice(&items);
        let err = decode_value(&list).unwrap_err();
        assert!(err.reason.contains("budget"), "{err}");
        // One such array alone is fine (the documented allowance).
        let (v, _) = decode_value(&one).unwrap();
        assert!(matches!(v, AmqpValue::Array(items) if items.len() == 4096));
    }

    #[test]
    fn described_array_constructors_cannot_multiply_a_big_descriptor() {
        // The descriptor is cloned into every element: a 10 KB descriptor
        // and 10,000 one-byte elements would make 100 MB.
        let mut ctor = vec![0x00, 0xb1];
        ctor.extend_from_slice(&10_000u32.to_be_bytes());
        ctor.extend(std::iter::repeat_n(b'd', 10_000));
        ctor.push(0x40);
        let bytes = array32(10_000, &ctor, 10_000);
        let err = decode_value(&bytes).unwrap_err();
        assert!(err.reason.contains("budget"), "{err}");
        // Small descriptors, as AMQP uses them, still decode.
        let bytes = array32(3, &[0x00, 0x53, 0x70, 0x50], 3);
        let (v, used) = decode_value(&bytes).unwrap();
        assert_eq!(used, bytes.len());
        let AmqpValue::Array(items) = v else {
            panic!("{v:?}")
        };
        assert_eq!(items.len(), 3);
        assert!(matches!(&items[0], AmqpValue::Described(d, v)
            if **d == AmqpValue::UInt(0x70) && **v == AmqpValue::UInt(0x40)));
    }
}
