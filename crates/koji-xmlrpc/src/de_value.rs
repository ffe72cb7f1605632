//! `from_value`: a [`Value`] into any `Deserialize` type.

use serde::de::{self, DeserializeOwned, DeserializeSeed, Visitor};

use crate::error::{Error, ErrorKind};
use crate::value::{DATETIME_MARKER, DateTimeEnum, Struct, VALUE_MARKER, Value};

/// Converts a [`Value`] into any type that implements `Deserialize` (same rules as decoding
/// from XML: nil → `None`, base64 → bytes, struct → struct/map; integers must fit).
///
/// ```
/// use koji_xmlrpc::{from_value, Value};
/// let v: Vec<Option<i32>> = from_value(Value::Array(vec![Value::Int(1), Value::Nil])).unwrap();
/// assert_eq!(v, [Some(1), None]);
/// ```
pub fn from_value<T: DeserializeOwned>(v: Value) -> Result<T, Error> {
    T::deserialize(ValueDeserializer(v)).map_err(Error::normalize_path)
}

/// A serde `Deserializer` over an owned [`Value`].
pub(crate) struct ValueDeserializer(pub(crate) Value);

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Bool(_) => "boolean",
        Value::Int(_) => "integer",
        Value::Double(_) => "double",
        Value::String(_) => "string",
        Value::Base64(_) => "base64",
        Value::DateTime(_) => "dateTime",
        Value::Array(_) => "array",
        Value::Struct(_) => "struct",
    }
}

struct SeqDe {
    iter: std::vec::IntoIter<Value>,
    index: usize,
}

impl<'de> de::SeqAccess<'de> for SeqDe {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.iter.next() {
            Some(v) => {
                let i = self.index;
                self.index += 1;
                seed.deserialize(ValueDeserializer(v))
                    .map(Some)
                    .map_err(|e| e.prepend_index(i))
            }
            None => Ok(None),
        }
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

struct MapDe {
    iter: indexmap::map::IntoIter<String, Value>,
    pending: Option<(String, Value)>,
}

impl<'de> de::MapAccess<'de> for MapDe {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.iter.next() {
            Some((k, v)) => {
                let key = seed.deserialize(KeyDe(k.as_str()))?;
                self.pending = Some((k, v));
                Ok(Some(key))
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some((k, v)) = self.pending.take() else {
            return Err(Error::new(
                ErrorKind::Type,
                "value requested before its key",
            ));
        };
        seed.deserialize(ValueDeserializer(v))
            .map_err(|e| e.prepend_key(&k))
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// Member names: strings, which also parse into integer keys.
pub(crate) struct KeyDe<'a>(pub(crate) &'a str);

macro_rules! key_parse {
    ($($f:ident => $v:ident: $t:ty),*) => {$(
        fn $f<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.0.parse::<$t>() {
                Ok(n) => visitor.$v(n),
                Err(_) => visitor.visit_str(self.0),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for KeyDe<'_> {
    type Error = Error;
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_str(self.0)
    }
    key_parse!(deserialize_i8 => visit_i8: i8, deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32, deserialize_i64 => visit_i64: i64,
        deserialize_u8 => visit_u8: u8, deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32, deserialize_u64 => visit_u64: u64);
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_enum(de::value::StrDeserializer::<Error>::new(self.0))
    }
    serde::forward_to_deserialize_any! {
        bool i128 u128 f32 f64 char str string bytes byte_buf option unit unit_struct
        seq tuple tuple_struct map struct identifier ignored_any
    }
}

struct EnumDe {
    variant: String,
    value: Option<Value>,
}

impl<'de> de::EnumAccess<'de> for EnumDe {
    type Error = Error;
    type Variant = VariantDe;
    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, VariantDe), Error> {
        let v = seed.deserialize(KeyDe(&self.variant))?;
        Ok((
            v,
            VariantDe {
                variant: self.variant,
                value: self.value,
            },
        ))
    }
}

struct VariantDe {
    variant: String,
    value: Option<Value>,
}

impl<'de> de::VariantAccess<'de> for VariantDe {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        match self.value {
            None | Some(Value::Nil) => Ok(()),
            Some(_) => Err(Error::new(ErrorKind::Type, "unit variant with a value")),
        }
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        let v = self.value.unwrap_or(Value::Nil);
        seed.deserialize(ValueDeserializer(v))
            .map_err(|e| e.prepend_key(&self.variant))
    }
    fn tuple_variant<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        let v = self.value.unwrap_or(Value::Nil);
        de::Deserializer::deserialize_seq(ValueDeserializer(v), visitor)
            .map_err(|e| e.prepend_key(&self.variant))
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let v = self.value.unwrap_or(Value::Nil);
        de::Deserializer::deserialize_map(ValueDeserializer(v), visitor)
            .map_err(|e| e.prepend_key(&self.variant))
    }
}

fn visit_struct<'de, V: Visitor<'de>>(s: Struct, visitor: V) -> Result<V::Value, Error> {
    visitor.visit_map(MapDe {
        iter: s.into_iter(),
        pending: None,
    })
}

impl ValueDeserializer {
    fn invalid(&self, expected: &str) -> Error {
        Error::new(
            ErrorKind::Type,
            format!("expected {expected}, found {}", kind_name(&self.0)),
        )
    }
}

impl<'de> de::Deserializer<'de> for ValueDeserializer {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Nil => visitor.visit_none(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Int(i) => visitor.visit_i64(i),
            Value::Double(d) => visitor.visit_f64(d),
            Value::String(s) => visitor.visit_string(s),
            Value::Base64(b) => visitor.visit_byte_buf(b),
            Value::DateTime(dt) => visitor.visit_string(dt.into_string()),
            Value::Array(a) => visitor.visit_seq(SeqDe {
                iter: a.into_iter(),
                index: 0,
            }),
            Value::Struct(s) => visit_struct(s, visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Nil => visitor.visit_none(),
            v => visitor.visit_some(ValueDeserializer(v)),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Nil => visitor.visit_unit(),
            _ => Err(self.invalid("nil")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == VALUE_MARKER {
            if let Value::DateTime(dt) = self.0 {
                return visitor.visit_enum(DateTimeEnum(dt.into_string().into()));
            }
            return self.deserialize_any(visitor);
        }
        if name == DATETIME_MARKER {
            return match self.0 {
                Value::DateTime(dt) => visitor.visit_string(dt.into_string()),
                Value::String(s) => visitor.visit_string(s),
                _ => Err(self.invalid("a dateTime")),
            };
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(a) => visitor.visit_seq(SeqDe {
                iter: a.into_iter(),
                index: 0,
            }),
            Value::Base64(b) => {
                visitor.visit_seq(de::value::SeqDeserializer::<_, Error>::new(b.into_iter()))
            }
            _ => Err(self.invalid("an array")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::String(s) => visitor.visit_enum(EnumDe {
                variant: s,
                value: None,
            }),
            Value::Struct(s) if s.len() == 1 => {
                let Some((k, v)) = s.into_iter().next() else {
                    return Err(Error::new(ErrorKind::Type, "empty struct for an enum"));
                };
                visitor.visit_enum(EnumDe {
                    variant: k,
                    value: Some(v),
                })
            }
            other => {
                Err(ValueDeserializer(other).invalid("a string or a one-member struct (enum)"))
            }
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Base64(b) => visitor.visit_byte_buf(b),
            Value::String(s) => visitor.visit_string(s),
            Value::Array(a) => visitor.visit_seq(SeqDe {
                iter: a.into_iter(),
                index: 0,
            }),
            _ => Err(self.invalid("base64")),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        map struct identifier
    }
}
