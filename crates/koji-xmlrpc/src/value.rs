//! The dynamic XML-RPC value, dateTime and fault types.

use std::fmt;

use serde::de::{
    self, Deserialize, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::error::{Error, ErrorKind};

/// An XML-RPC struct: member names to values, in the order they were sent.
pub type Struct = indexmap::IndexMap<String, Value>;

/// Newtype-struct name through which [`DateTime`] travels in serde.
pub(crate) const DATETIME_MARKER: &str = "$koji_xmlrpc::DateTime";
/// Newtype-struct name through which [`Value`] asks this crate's deserializers for dateTimes.
pub(crate) const VALUE_MARKER: &str = "$koji_xmlrpc::Value";
/// Enum variant name through which this crate's XML deserializer hands over a [`Value`] it
/// built directly (see [`park`]).
pub(crate) const PARKED_MARKER: &str = "$koji_xmlrpc::Parked";

thread_local! {
    static PARKED: std::cell::Cell<Option<Value>> = const { std::cell::Cell::new(None) };
}

/// Hands `v` to [`ValueVisitor`] through `visit_enum` with the [`PARKED_MARKER`] variant.
///
/// The XML decoder builds `Value` trees natively (much faster than value-by-value through
/// serde); serde can only pass data to a visitor by deserializing it again, so the tree is
/// left in a thread-local slot for the duration of the `visit_enum` call and taken by
/// `ValueVisitor`. The slot is always emptied afterwards.
pub(crate) fn park<'de, V: Visitor<'de>>(v: Value, visitor: V) -> Result<V::Value, Error> {
    PARKED.with(|p| p.set(Some(v)));
    let r = visitor.visit_enum(ParkedEnum);
    PARKED.with(|p| drop(p.take()));
    r
}

struct ParkedEnum;

impl<'de> EnumAccess<'de> for ParkedEnum {
    type Error = Error;
    type Variant = Self;
    fn variant_seed<V: de::DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let tag = seed.deserialize(de::value::BorrowedStrDeserializer::<Error>::new(
            PARKED_MARKER,
        ))?;
        Ok((tag, self))
    }
}

impl<'de> VariantAccess<'de> for ParkedEnum {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }
    fn newtype_variant_seed<T: de::DeserializeSeed<'de>>(self, _: T) -> Result<T::Value, Error> {
        Err(de::Error::custom("expected a Value"))
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _v: V) -> Result<V::Value, Error> {
        Err(de::Error::custom("expected a Value"))
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _f: &'static [&'static str],
        _v: V,
    ) -> Result<V::Value, Error> {
        Err(de::Error::custom("expected a Value"))
    }
}

/// Any XML-RPC value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `<nil/>` (Python `None`).
    Nil,
    /// `<boolean>`.
    Bool(bool),
    /// `<int>`, `<i4>` or `<i8>`.
    Int(i64),
    /// `<double>`.
    Double(f64),
    /// `<string>` or an untyped `<value>`.
    String(String),
    /// `<base64>`.
    Base64(Vec<u8>),
    /// `<dateTime.iso8601>`.
    DateTime(DateTime),
    /// `<array>`.
    Array(Vec<Value>),
    /// `<struct>`.
    Struct(Struct),
}

impl Value {
    /// The string, if this is a [`Value::String`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is a [`Value::Int`].
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The number as a float, if this is a [`Value::Double`] or a [`Value::Int`].
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Double(d) => Some(*d),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// The boolean, if this is a [`Value::Bool`].
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The items, if this is a [`Value::Array`].
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The members, if this is a [`Value::Struct`].
    pub fn as_struct(&self) -> Option<&Struct> {
        match self {
            Value::Struct(s) => Some(s),
            _ => None,
        }
    }

    /// A struct member by name (`None` for non-structs and missing members).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_struct().and_then(|s| s.get(key))
    }

    /// Whether this is [`Value::Nil`].
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// Python truthiness, as koji's `decode_args` applies it to `__starstar`.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Double(d) => *d != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::Base64(b) => !b.is_empty(),
            Value::DateTime(_) => true,
            Value::Array(a) => !a.is_empty(),
            Value::Struct(s) => !s.is_empty(),
        }
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self { Value::Int(i64::from(v)) }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Double(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v)
    }
}
impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::Array(v)
    }
}
impl From<Struct> for Value {
    fn from(v: Struct) -> Self {
        Value::Struct(v)
    }
}
impl From<DateTime> for Value {
    fn from(v: DateTime) -> Self {
        Value::DateTime(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Nil, Into::into)
    }
}

/// The text of a `<dateTime.iso8601>` value, kept exactly as sent
/// (Python writes `20261125T12:34:56`: no zone, no fraction).
///
/// Koji hubs never send this type (their datetimes are strings), but they accept it and
/// `echo` returns it. Accepted forms: `YYYYMMDDTHH:MM:SS` or `YYYY-MM-DDTHH:MM:SS`,
/// optionally with `HHMMSS` time digits, a fraction of a second and a `Z` or `±HH:MM` zone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateTime(String);

/// The calendar parts of a [`DateTime`] (zone and fraction, if any, are not included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTimeParts {
    /// Year (0–9999).
    pub year: u16,
    /// Month (1–12).
    pub month: u8,
    /// Day of the month (1–31).
    pub day: u8,
    /// Hour (0–23).
    pub hour: u8,
    /// Minute (0–59).
    pub minute: u8,
    /// Second (0–60, a leap second is let through).
    pub second: u8,
}

impl DateTime {
    /// Validates `text` (see the type docs for the accepted forms) and keeps it as is.
    ///
    /// ```
    /// let dt = koji_xmlrpc::DateTime::new("20261125T12:34:56").unwrap();
    /// assert_eq!(dt.parts().hour, 12);
    /// assert!(koji_xmlrpc::DateTime::new("yesterday").is_err());
    /// ```
    pub fn new(text: impl Into<String>) -> Result<Self, Error> {
        let text = text.into();
        match parse_datetime(&text) {
            Some(_) => Ok(DateTime(text)),
            None => Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "invalid dateTime.iso8601 {:?}",
                    crate::error::truncate(&text, 64)
                ),
            )),
        }
    }

    /// Builds the Python form `YYYYMMDDTHH:MM:SS` from its parts (validated).
    pub fn from_parts(p: DateTimeParts) -> Result<Self, Error> {
        DateTime::new(format!(
            "{:04}{:02}{:02}T{:02}:{:02}:{:02}",
            p.year, p.month, p.day, p.hour, p.minute, p.second
        ))
    }

    /// The text as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The calendar parts.
    pub fn parts(&self) -> DateTimeParts {
        // Validated on construction.
        parse_datetime(&self.0).unwrap_or(DateTimeParts {
            year: 0,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
        })
    }

    /// The text.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for DateTime {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        DateTime::new(s)
    }
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

fn parse_datetime(text: &str) -> Option<DateTimeParts> {
    let b = text.as_bytes();
    let year = digits(b, 0, 4)?;
    let mut i = 4;
    let dashed = b.get(i) == Some(&b'-');
    if dashed {
        i += 1;
    }
    let month = digits(b, i, 2)?;
    i += 2;
    if dashed {
        if b.get(i) != Some(&b'-') {
            return None;
        }
        i += 1;
    }
    let day = digits(b, i, 2)?;
    i += 2;
    if b.get(i) != Some(&b'T') {
        return None;
    }
    i += 1;
    let hour = digits(b, i, 2)?;
    i += 2;
    let colon = b.get(i) == Some(&b':');
    if colon {
        i += 1;
    }
    let minute = digits(b, i, 2)?;
    i += 2;
    if colon {
        if b.get(i) != Some(&b':') {
            return None;
        }
        i += 1;
    }
    let second = digits(b, i, 2)?;
    i += 2;
    if b.get(i) == Some(&b'.') || b.get(i) == Some(&b',') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    match b.get(i) {
        None => {}
        Some(b'Z') => i += 1,
        Some(b'+') | Some(b'-') => {
            i += 1;
            let zh = digits(b, i, 2)?;
            i += 2;
            if b.get(i) == Some(&b':') {
                i += 1;
            }
            let zm = digits(b, i, 2)?;
            i += 2;
            if zh > 23 || zm > 59 {
                return None;
            }
        }
        Some(_) => return None,
    }
    if i != b.len() {
        return None;
    }
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    Some(DateTimeParts {
        year: year as u16,
        month: month as u8,
        day: day as u8,
        hour: hour as u8,
        minute: minute as u8,
        second: second as u8,
    })
}

impl Serialize for DateTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(DATETIME_MARKER, self.as_str())
    }
}

struct DateTimeVisitor;

impl<'de> Visitor<'de> for DateTimeVisitor {
    type Value = DateTime;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a dateTime.iso8601 text")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<DateTime, E> {
        DateTime::new(v).map_err(E::custom)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<DateTime, D::Error> {
        let s = String::deserialize(d)?;
        DateTime::new(s).map_err(de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for DateTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_newtype_struct(DATETIME_MARKER, DateTimeVisitor)
    }
}

/// An XML-RPC fault: the hub's error answer (`<fault>` in a response, or a fault struct
/// inside a multicall result).
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// `faultCode` (Koji: 1000–1024 for its own errors, 1 for unexpected exceptions).
    pub code: i64,
    /// `faultString`.
    pub string: String,
    /// Any other members, in order (the hub adds `traceback` to multicall faults).
    pub extra: Struct,
}

impl Fault {
    /// A fault without extra members.
    pub fn new(code: i64, string: impl Into<String>) -> Self {
        Fault {
            code,
            string: string.into(),
            extra: Struct::new(),
        }
    }

    /// Reads a fault out of a struct with `faultCode` (int) and `faultString` (string).
    pub fn from_struct(mut s: Struct) -> Result<Self, Error> {
        let code = match s.shift_remove("faultCode") {
            Some(Value::Int(c)) => c,
            Some(_) => {
                return Err(
                    Error::new(ErrorKind::Structure, "faultCode is not an integer")
                        .prepend_key("faultCode"),
                );
            }
            None => return Err(Error::new(ErrorKind::Structure, "fault without faultCode")),
        };
        let string = match s.shift_remove("faultString") {
            Some(Value::String(c)) => c,
            Some(_) => {
                return Err(
                    Error::new(ErrorKind::Structure, "faultString is not a string")
                        .prepend_key("faultString"),
                );
            }
            None => {
                return Err(Error::new(
                    ErrorKind::Structure,
                    "fault without faultString",
                ));
            }
        };
        Ok(Fault {
            code,
            string,
            extra: s,
        })
    }

    /// The fault as a struct (`faultCode`, `faultString`, then the extra members).
    pub fn to_struct(&self) -> Struct {
        let mut s = Struct::with_capacity(2 + self.extra.len());
        s.insert("faultCode".into(), Value::Int(self.code));
        s.insert("faultString".into(), Value::String(self.string.clone()));
        for (k, v) in &self.extra {
            if k != "faultCode" && k != "faultString" {
                s.insert(k.clone(), v.clone());
            }
        }
        s
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fault {}: {}", self.code, self.string)
    }
}

impl std::error::Error for Fault {}

impl Serialize for Fault {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2 + self.extra.len()))?;
        m.serialize_entry("faultCode", &self.code)?;
        m.serialize_entry("faultString", &self.string)?;
        for (k, v) in &self.extra {
            if k != "faultCode" && k != "faultString" {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Fault {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Struct::deserialize(d)?;
        Fault::from_struct(s).map_err(|e| de::Error::custom(e.message()))
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Nil => s.serialize_none(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Double(d) => s.serialize_f64(*d),
            Value::String(v) => s.serialize_str(v),
            Value::Base64(b) => s.serialize_bytes(b),
            Value::DateTime(dt) => dt.serialize(s),
            Value::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Value::Struct(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

pub(crate) struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any XML-RPC value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Int)
            .map_err(|_| E::custom(format!("integer {v} does not fit in 64 signed bits")))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Int)
            .map_err(|_| E::custom(format!("integer {v} does not fit in 64 signed bits")))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Int)
            .map_err(|_| E::custom(format!("integer {v} does not fit in 64 signed bits")))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Double(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Base64(v.to_vec()))
    }
    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Base64(v))
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element::<Value>()? {
            v.push(item);
        }
        Ok(Value::Array(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut s = Struct::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value::<Value>()?;
            s.insert(k, v);
        }
        Ok(Value::Struct(s))
    }
    /// Only this crate's deserializers call this, for a `<dateTime.iso8601>` value.
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let (tag, variant): (String, _) = data.variant()?;
        if tag == PARKED_MARKER {
            variant.unit_variant()?;
            return PARKED
                .with(|p| p.take())
                .ok_or_else(|| de::Error::custom("no value was handed over"));
        }
        if tag == DATETIME_MARKER {
            let text: String = variant.newtype_variant()?;
            DateTime::new(text)
                .map(Value::DateTime)
                .map_err(|e| de::Error::custom(e.message()))
        } else {
            Err(de::Error::custom(
                "enums cannot be represented as XML-RPC values",
            ))
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // This crate's deserializers recognise the marker and report dateTimes through
        // `visit_enum`; every other deserializer treats it as a plain newtype.
        d.deserialize_newtype_struct(VALUE_MARKER, ValueVisitor)
    }
}

/// `EnumAccess` handing a dateTime text to [`ValueVisitor::visit_enum`].
pub(crate) struct DateTimeEnum<'a>(pub(crate) std::borrow::Cow<'a, str>);

impl<'de, 'a> EnumAccess<'de> for DateTimeEnum<'a> {
    type Error = Error;
    type Variant = Self;
    fn variant_seed<V: de::DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let tag = seed.deserialize(de::value::BorrowedStrDeserializer::<Error>::new(
            DATETIME_MARKER,
        ))?;
        Ok((tag, self))
    }
}

impl<'de, 'a> VariantAccess<'de> for DateTimeEnum<'a> {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        Err(de::Error::custom("expected a dateTime text"))
    }
    fn newtype_variant_seed<T: de::DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(de::value::StringDeserializer::<Error>::new(
            self.0.into_owned(),
        ))
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _v: V) -> Result<V::Value, Error> {
        Err(de::Error::custom("expected a dateTime text"))
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _f: &'static [&'static str],
        _v: V,
    ) -> Result<V::Value, Error> {
        Err(de::Error::custom("expected a dateTime text"))
    }
}
