//! `to_value`: any `Serialize` into a [`Value`].

use serde::ser::{self, Impossible, Serialize};

use crate::error::{Error, ErrorKind};
use crate::value::{DATETIME_MARKER, DateTime, Struct, Value};

/// Converts any `Serialize` value into a [`Value`] (with the same mapping the encoder uses:
/// `None`/unit → nil, bytes → base64, maps and structs → struct, sequences → array).
///
/// ```
/// use koji_xmlrpc::{to_value, Value};
/// assert_eq!(to_value(&(1, "a")).unwrap(), Value::Array(vec![Value::Int(1), "a".into()]));
/// ```
pub fn to_value<T: Serialize + ?Sized>(v: &T) -> Result<Value, Error> {
    v.serialize(ValueSerializer).map_err(Error::normalize_path)
}

pub(crate) struct ValueSerializer;

fn overflow(v: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::IntegerOverflow,
        format!("integer {v} does not fit in XML-RPC's 64 signed bits"),
    )
}

/// An array being built.
pub(crate) struct SeqBuilder {
    items: Vec<Value>,
    variant: Option<&'static str>,
}

/// A struct being built.
pub(crate) struct MapBuilder {
    map: Struct,
    key: Option<String>,
    variant: Option<&'static str>,
}

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = SeqBuilder;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = MapBuilder;

    fn serialize_bool(self, v: bool) -> Result<Value, Error> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, Error> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, Error> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, Error> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, Error> {
        Ok(Value::Int(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Value, Error> {
        i64::try_from(v).map(Value::Int).map_err(|_| overflow(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Value, Error> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, Error> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, Error> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, Error> {
        i64::try_from(v).map(Value::Int).map_err(|_| overflow(v))
    }
    fn serialize_u128(self, v: u128) -> Result<Value, Error> {
        i64::try_from(v).map(Value::Int).map_err(|_| overflow(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Value, Error> {
        Ok(Value::Double(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, Error> {
        Ok(Value::Double(v))
    }
    fn serialize_char(self, v: char) -> Result<Value, Error> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, Error> {
        Ok(Value::String(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, Error> {
        Ok(Value::Base64(v.to_vec()))
    }
    fn serialize_none(self) -> Result<Value, Error> {
        Ok(Value::Nil)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Value, Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, Error> {
        Ok(Value::Nil)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Value, Error> {
        Ok(Value::Nil)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Value, Error> {
        Ok(Value::String(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        v: &T,
    ) -> Result<Value, Error> {
        if name == DATETIME_MARKER {
            match v.serialize(self)? {
                Value::String(s) => DateTime::new(s).map(Value::DateTime),
                _ => Err(Error::new(
                    ErrorKind::Unsupported,
                    "a dateTime must serialize as text",
                )),
            }
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
    ) -> Result<Value, Error> {
        let inner = v
            .serialize(ValueSerializer)
            .map_err(|e| e.prepend_key(variant))?;
        let mut s = Struct::with_capacity(1);
        s.insert(variant.to_owned(), inner);
        Ok(Value::Struct(s))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, Error> {
        Ok(SeqBuilder {
            items: Vec::with_capacity(len.unwrap_or(0).min(4096)),
            variant: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqBuilder, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqBuilder, Error> {
        Ok(SeqBuilder {
            items: Vec::with_capacity(len.min(4096)),
            variant: Some(variant),
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder, Error> {
        Ok(MapBuilder {
            map: Struct::with_capacity(len.unwrap_or(0).min(4096)),
            key: None,
            variant: None,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<MapBuilder, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<MapBuilder, Error> {
        Ok(MapBuilder {
            map: Struct::with_capacity(len.min(4096)),
            key: None,
            variant: Some(variant),
        })
    }
}

fn wrap_variant(variant: Option<&'static str>, v: Value) -> Value {
    match variant {
        Some(name) => {
            let mut s = Struct::with_capacity(1);
            s.insert(name.to_owned(), v);
            Value::Struct(s)
        }
        None => v,
    }
}

impl SeqBuilder {
    fn push<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        let index = self.items.len();
        let mut e = v
            .serialize(ValueSerializer)
            .map_err(|e| e.prepend_index(index));
        if let (Err(err), Some(variant)) = (&mut e, self.variant) {
            let taken = std::mem::replace(err, Error::new(ErrorKind::Unsupported, ""));
            *err = taken.prepend_key(variant);
        }
        self.items.push(e?);
        Ok(())
    }
    fn done(self) -> Value {
        wrap_variant(self.variant, Value::Array(self.items))
    }
}

impl ser::SerializeSeq for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.done())
    }
}
impl ser::SerializeTuple for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.done())
    }
}
impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.done())
    }
}
impl ser::SerializeTupleVariant for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.done())
    }
}

impl MapBuilder {
    fn field<T: Serialize + ?Sized>(&mut self, key: String, v: &T) -> Result<(), Error> {
        match v.serialize(ValueSerializer) {
            Ok(val) => {
                self.map.insert(key, val);
                Ok(())
            }
            Err(e) => {
                let e = e.prepend_key(&key);
                Err(match self.variant {
                    Some(variant) => e.prepend_key(variant),
                    None => e,
                })
            }
        }
    }
    fn done(self) -> Value {
        wrap_variant(self.variant, Value::Struct(self.map))
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key = Some(key.serialize(KeySerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        let key = self.key.take().unwrap_or_default();
        self.field(key, v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.done())
    }
}
impl ser::SerializeStruct for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.field(key.to_owned(), v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.done())
    }
}
impl ser::SerializeStructVariant for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.field(key.to_owned(), v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.done())
    }
}

fn key_must_be_string() -> Error {
    Error::new(
        ErrorKind::Unsupported,
        "struct member names must be strings (or integers, written as decimal text)",
    )
}

/// Member names: strings, or integers as decimal text.
struct KeySerializer;

macro_rules! key_int {
    ($($f:ident: $t:ty),*) => {$(
        fn $f(self, v: $t) -> Result<String, Error> { Ok(v.to_string()) }
    )*};
}

impl ser::Serializer for KeySerializer {
    type Ok = String;
    type Error = Error;
    type SerializeSeq = Impossible<String, Error>;
    type SerializeTuple = Impossible<String, Error>;
    type SerializeTupleStruct = Impossible<String, Error>;
    type SerializeTupleVariant = Impossible<String, Error>;
    type SerializeMap = Impossible<String, Error>;
    type SerializeStruct = Impossible<String, Error>;
    type SerializeStructVariant = Impossible<String, Error>;

    key_int!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
        serialize_i128: i128, serialize_u128: u128);
    reject_serialize!(key_must_be_string(); bool, f32, f64, bytes, none, some, unit, unit_struct, newtype_variant, seq, tuple, tuple_struct, tuple_variant, map, struct, struct_variant);

    fn serialize_str(self, v: &str) -> Result<String, Error> {
        Ok(v.to_owned())
    }
    fn serialize_char(self, v: char) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, Error> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<String, Error> {
        v.serialize(self)
    }
}
