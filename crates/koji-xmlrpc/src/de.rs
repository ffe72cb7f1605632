//! The fast decoder: a serde `Deserializer` driven directly by the [`Scanner`], from
//! bytes into the caller's types without an intermediate tree.

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, Visitor};

use crate::error::{Error, ErrorKind};
use crate::scan::{Next, Scanner, Tag, Text, show, starts, starts_end};
use crate::text::{self, Int};
use crate::value::{DATETIME_MARKER, Fault, Struct, VALUE_MARKER, Value, park};
use crate::{DecodeOptions, MethodCall};

/// XML-RPC value types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Int,
    Bool,
    Double,
    Str,
    Base64,
    DateTime,
    Nil,
    Array,
    Struct,
}

fn type_of(local: &[u8]) -> Option<Ty> {
    Some(match local {
        b"string" => Ty::Str,
        b"int" | b"i4" | b"i8" | b"i1" | b"i2" | b"biginteger" => Ty::Int,
        b"nil" => Ty::Nil,
        b"double" | b"float" => Ty::Double,
        b"struct" => Ty::Struct,
        b"array" => Ty::Array,
        b"boolean" => Ty::Bool,
        b"base64" => Ty::Base64,
        b"dateTime.iso8601" => Ty::DateTime,
        _ => return None,
    })
}

/// A value whose content has been looked at.
enum Kind<'s> {
    /// An untyped value: its text, already read through `</value>`.
    Untyped(Text),
    /// A typed value whose type start tag has been read.
    Typed(Ty, Tag<'s>),
}

/// The deserializer. Between values it sits right after a `<value>` start tag
/// (`vtag`).
pub(crate) struct Deserializer<'de, 's> {
    sc: Scanner<'s>,
    /// The same document with the lifetime of the caller's input, when strings can be
    /// borrowed from it (not after transcoding).
    de_src: Option<&'de str>,
    depth: usize,
    max_depth: usize,
    vtag: Tag<'s>,
    pending: Option<Kind<'s>>,
    /// Length of the last struct/array built at each depth: the capacity to reserve for
    /// the next one (siblings in an array tend to have the same shape).
    hints: Vec<usize>,
}

const NO_TAG: Tag<'static> = Tag {
    raw: b"value",
    prefix: 0,
    empty: true,
    at: 0,
};

impl<'de, 's> Deserializer<'de, 's> {
    pub(crate) fn new(src: &'s str, de_src: Option<&'de str>, opts: &DecodeOptions) -> Self {
        Deserializer {
            sc: Scanner::new(src),
            de_src,
            depth: 0,
            max_depth: opts.max_depth,
            vtag: NO_TAG,
            pending: None,
            hints: Vec::new(),
        }
    }

    fn hint(&self) -> usize {
        self.hints.get(self.depth).copied().unwrap_or(0).min(1024)
    }

    fn set_hint(&mut self, n: usize) {
        if self.hints.len() <= self.depth {
            self.hints.resize(self.depth + 1, 0);
        }
        if let Some(h) = self.hints.get_mut(self.depth) {
            *h = n;
        }
    }

    fn own(&self, t: Text) -> String {
        match t {
            Text::Range(a, b) => self.sc.slice(a, b).to_owned(),
            Text::Owned(s) => s,
        }
    }

    /// Builds the current value as a [`Value`], natively (no serde visitor per node).
    fn build(&mut self) -> Result<Value, Error> {
        let vraw = self.vtag.raw;
        match self.open()? {
            Kind::Untyped(t) => Ok(Value::String(self.own(t))),
            Kind::Typed(ty, tag) => {
                let v = match ty {
                    Ty::Str => {
                        let t = self.sc.leaf(&tag)?;
                        Value::String(self.own(t))
                    }
                    Ty::Int => match self.leaf_int(&tag)? {
                        Int::I64(i) => Value::Int(i),
                        Int::U64(u) => {
                            return Err(Error::at(
                                ErrorKind::IntegerOverflow,
                                format!("integer {u} does not fit in 64 signed bits"),
                                tag.at,
                            ));
                        }
                    },
                    Ty::Array => self.build_array(tag)?,
                    Ty::Struct => self.build_struct(tag)?,
                    Ty::DateTime => {
                        let t = self.sc.leaf(&tag)?;
                        let text = self.own(t);
                        Value::DateTime(
                            crate::value::DateTime::new(text).map_err(|e| e.relocate(tag.at))?,
                        )
                    }
                    other => self.typed(other, tag, crate::value::ValueVisitor)?,
                };
                self.close(vraw)?;
                Ok(v)
            }
        }
    }

    fn build_array(&mut self, tag: Tag<'s>) -> Result<Value, Error> {
        self.enter(tag.at)?;
        let r = self.build_array_inner(tag);
        self.depth -= 1;
        r
    }

    fn build_array_inner(&mut self, tag: Tag<'s>) -> Result<Value, Error> {
        let Some(data) = self.sc.open_data(&tag)? else {
            return Ok(Value::Array(Vec::new()));
        };
        let mut items = Vec::with_capacity(self.hint());
        if !data.empty {
            while let Some(vt) = self.sc.next_item(data.raw, items.len())? {
                let index = items.len();
                self.vtag = vt;
                self.pending = None;
                let v = self
                    .build()
                    .map_err(|e| e.with_offset(vt.at).prepend_index(index))?;
                items.push(v);
            }
        }
        self.sc.expect_end(tag.raw)?;
        self.set_hint(items.len());
        Ok(Value::Array(items))
    }

    fn build_struct(&mut self, tag: Tag<'s>) -> Result<Value, Error> {
        self.enter(tag.at)?;
        let r = self.build_struct_inner(tag);
        self.depth -= 1;
        r
    }

    fn build_struct_inner(&mut self, tag: Tag<'s>) -> Result<Value, Error> {
        let mut s = Struct::with_capacity(self.hint());
        if tag.empty {
            return Ok(Value::Struct(s));
        }
        while let Some((member_raw, name)) = self.sc.next_member(tag.raw)? {
            let key = self.sc.leaf(&name)?;
            let key = self.own(key);
            let v = (|| {
                let vt = self.sc.member_value()?;
                self.vtag = vt;
                self.pending = None;
                let v = self.build().map_err(|e| e.with_offset(vt.at))?;
                self.sc.member_end(member_raw)?;
                Ok(v)
            })()
            .map_err(|e: Error| e.prepend_key(&key))?;
            s.insert(key, v);
        }
        self.set_hint(s.len());
        Ok(Value::Struct(s))
    }

    /// Reads what is inside the current `<value>`.
    fn open(&mut self) -> Result<Kind<'s>, Error> {
        if let Some(k) = self.pending.take() {
            return Ok(k);
        }
        let vt = self.vtag;
        if vt.empty {
            return Ok(Kind::Untyped(Text::Range(self.sc.pos, self.sc.pos)));
        }
        let b = self.sc.b;
        let p = self.sc.pos;
        // Fast path: a type tag right after <value>.
        if b.get(p) == Some(&b'<') {
            if let Some(k) = self.fast_type(p) {
                return Ok(k);
            }
            if b.get(p + 1).is_some_and(u8::is_ascii_alphabetic) {
                return self.typed_tag();
            }
        }
        let text = self.sc.text()?;
        match (b.get(self.sc.pos), b.get(self.sc.pos + 1)) {
            (Some(b'<'), Some(b'/')) => {
                self.sc.expect_end(vt.raw)?;
                Ok(Kind::Untyped(text))
            }
            (Some(_), _) => {
                if !text::is_all_ws(self.sc.text_str(&text)) {
                    return Err(self
                        .sc
                        .err(ErrorKind::Structure, "text mixed with a typed value"));
                }
                self.typed_tag()
            }
            (None, _) => Err(self
                .sc
                .err(ErrorKind::Truncated, "document ends inside <value>")),
        }
    }

    /// Recognises the usual spellings of type tags (`<string>`, `<nil/>`…) at `p`.
    #[inline(always)]
    fn fast_type(&mut self, p: usize) -> Option<Kind<'s>> {
        let rest = self.sc.b.get(p + 1..)?;
        let (lit, ty, empty): (&'static [u8], Ty, bool) = match rest.first()? {
            b's' if starts(rest, b"string>") => (b"string", Ty::Str, false),
            b's' if starts(rest, b"struct>") => (b"struct", Ty::Struct, false),
            b'i' if starts(rest, b"int>") => (b"int", Ty::Int, false),
            b'i' if starts(rest, b"i8>") => (b"i8", Ty::Int, false),
            b'i' if starts(rest, b"i4>") => (b"i4", Ty::Int, false),
            b'n' if starts(rest, b"nil/>") => (b"nil", Ty::Nil, true),
            b'd' if starts(rest, b"double>") => (b"double", Ty::Double, false),
            b'd' if starts(rest, b"dateTime.iso8601>") => {
                (b"dateTime.iso8601", Ty::DateTime, false)
            }
            b'a' if starts(rest, b"array>") => (b"array", Ty::Array, false),
            b'b' if starts(rest, b"boolean>") => (b"boolean", Ty::Bool, false),
            b'b' if starts(rest, b"base64>") => (b"base64", Ty::Base64, false),
            _ => return None,
        };
        self.sc.pos = p + 1 + lit.len() + if empty { 2 } else { 1 };
        Some(Kind::Typed(
            ty,
            Tag {
                raw: lit,
                prefix: 0,
                empty,
                at: p,
            },
        ))
    }

    fn typed_tag(&mut self) -> Result<Kind<'s>, Error> {
        match self.sc.tag()? {
            Next::Start(t) => match type_of(t.local()) {
                Some(ty) => Ok(Kind::Typed(ty, t)),
                None => Err(Error::at(
                    ErrorKind::UnknownType,
                    format!("unknown type <{}>", show(t.local())),
                    t.at,
                )),
            },
            Next::End(_) => Err(self.sc.err(ErrorKind::Syntax, "mismatched end tag")),
            Next::Eof => Err(self
                .sc
                .err(ErrorKind::Truncated, "document ends inside <value>")),
        }
    }

    /// After a typed element: only whitespace, then `</value>`.
    #[inline]
    fn close(&mut self, vraw: &[u8]) -> Result<(), Error> {
        let rest = self.sc.b.get(self.sc.pos..).unwrap_or(&[]);
        if starts_end(rest, vraw) {
            self.sc.pos += vraw.len() + 3;
            return Ok(());
        }
        let at = self.sc.pos;
        let t = self.sc.text()?;
        if !text::is_all_ws(self.sc.text_str(&t)) {
            return Err(Error::at(
                ErrorKind::Structure,
                "more than one item in <value>",
                at,
            ));
        }
        match self.sc.tag()? {
            Next::End(r) if r == vraw => Ok(()),
            Next::End(_) => Err(self
                .sc
                .err(ErrorKind::Syntax, "mismatched end tag, expected </value>")),
            Next::Eof => Err(self
                .sc
                .err(ErrorKind::Truncated, "document ends inside <value>")),
            Next::Start(_) => Err(self
                .sc
                .err(ErrorKind::Structure, "more than one item in <value>")),
        }
    }

    fn visit_text<V: Visitor<'de>>(&self, t: Text, visitor: V) -> Result<V::Value, Error> {
        match t {
            Text::Range(a, b) => match self.de_src.and_then(|d| d.get(a..b)) {
                Some(s) => visitor.visit_borrowed_str(s),
                None => visitor.visit_str(self.sc.slice(a, b)),
            },
            Text::Owned(s) => visitor.visit_string(s),
        }
    }

    fn enter(&mut self, at: usize) -> Result<(), Error> {
        if self.depth >= self.max_depth {
            return Err(Error::at(
                ErrorKind::DepthLimit,
                format!("more than {} nested arrays/structs", self.max_depth),
                at,
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn leaf_int(&mut self, tag: &Tag<'s>) -> Result<Int, Error> {
        let t = self.sc.leaf(tag)?;
        text::parse_int(self.sc.text_str(&t)).map_err(|(k, m)| Error::at(k, m, tag.at))
    }

    /// Deserializes a typed value whose type tag was read; the caller closes `</value>`.
    fn typed<V: Visitor<'de>>(
        &mut self,
        ty: Ty,
        tag: Tag<'s>,
        visitor: V,
    ) -> Result<V::Value, Error> {
        match ty {
            Ty::Str => {
                let t = self.sc.leaf(&tag)?;
                self.visit_text(t, visitor)
            }
            Ty::Int => match self.leaf_int(&tag)? {
                Int::I64(i) => visitor.visit_i64(i),
                Int::U64(u) => visitor.visit_u64(u),
            },
            Ty::Nil => {
                let t = self.sc.leaf(&tag)?;
                if !text::is_all_ws(self.sc.text_str(&t)) {
                    return Err(Error::at(
                        ErrorKind::InvalidValue,
                        "<nil> with content",
                        tag.at,
                    ));
                }
                visitor.visit_none()
            }
            Ty::Double => {
                let t = self.sc.leaf(&tag)?;
                let d = text::parse_double(self.sc.text_str(&t))
                    .map_err(|(k, m)| Error::at(k, m, tag.at))?;
                visitor.visit_f64(d)
            }
            Ty::Bool => {
                let t = self.sc.leaf(&tag)?;
                let v = text::parse_bool(self.sc.text_str(&t))
                    .map_err(|(k, m)| Error::at(k, m, tag.at))?;
                visitor.visit_bool(v)
            }
            Ty::Base64 => {
                let t = self.sc.leaf(&tag)?;
                let v = text::decode_base64(self.sc.text_str(&t))
                    .map_err(|(k, m)| Error::at(k, m, tag.at))?;
                visitor.visit_byte_buf(v)
            }
            Ty::DateTime => {
                let t = self.datetime(&tag)?;
                self.visit_text(t, visitor)
            }
            Ty::Array => self.array(tag, visitor),
            Ty::Struct => self.structure(tag, visitor),
        }
    }

    fn datetime(&mut self, tag: &Tag<'s>) -> Result<Text, Error> {
        let t = self.sc.leaf(tag)?;
        crate::value::DateTime::new(self.sc.text_str(&t)).map_err(|e| e.relocate(tag.at))?;
        Ok(t)
    }

    fn array<V: Visitor<'de>>(&mut self, tag: Tag<'s>, visitor: V) -> Result<V::Value, Error> {
        self.enter(tag.at)?;
        let r = self.array_inner(tag, visitor);
        self.depth -= 1;
        r
    }

    fn array_inner<V: Visitor<'de>>(
        &mut self,
        tag: Tag<'s>,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let Some(data) = self.sc.open_data(&tag)? else {
            return visitor.visit_seq(EmptySeq);
        };
        let v = if data.empty {
            visitor.visit_seq(EmptySeq)?
        } else {
            let mut acc = SeqAcc {
                de: self,
                data_raw: data.raw,
                index: 0,
                done: false,
            };
            let v = visitor.visit_seq(&mut acc)?;
            let n = acc.index;
            acc.de.set_hint(n);
            if !acc.done && de::SeqAccess::next_element::<IgnoredAny>(&mut acc)?.is_some() {
                return Err(Error::at(
                    ErrorKind::Type,
                    "the array has more items than expected",
                    acc.de.sc.pos,
                ));
            }
            v
        };
        self.sc.expect_end(tag.raw)?;
        Ok(v)
    }

    fn structure<V: Visitor<'de>>(&mut self, tag: Tag<'s>, visitor: V) -> Result<V::Value, Error> {
        self.enter(tag.at)?;
        let r = if tag.empty {
            visitor.visit_map(EmptyMap)
        } else {
            let mut acc = MapAcc {
                de: self,
                sraw: tag.raw,
                done: false,
                key: Text::Range(0, 0),
                member_raw: b"member",
            };
            match visitor.visit_map(&mut acc) {
                Ok(v) => {
                    // A visitor that stopped early: the rest must still be valid.
                    while !acc.done && de::MapAccess::next_key::<IgnoredAny>(&mut acc)?.is_some() {
                        de::MapAccess::next_value::<IgnoredAny>(&mut acc)?;
                    }
                    Ok(v)
                }
                Err(e) => Err(e),
            }
        };
        self.depth -= 1;
        r
    }

    fn key_string(&self, t: &Text) -> String {
        self.sc.text_str(t).to_owned()
    }
}

struct EmptySeq;

impl<'de> de::SeqAccess<'de> for EmptySeq {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        _: T,
    ) -> Result<Option<T::Value>, Error> {
        Ok(None)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(0)
    }
}

struct EmptyMap;

impl<'de> de::MapAccess<'de> for EmptyMap {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, _: K) -> Result<Option<K::Value>, Error> {
        Ok(None)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, _: V) -> Result<V::Value, Error> {
        Err(Error::new(ErrorKind::Type, "no value"))
    }
    fn size_hint(&self) -> Option<usize> {
        Some(0)
    }
}

struct SeqAcc<'a, 'de, 's> {
    de: &'a mut Deserializer<'de, 's>,
    data_raw: &'s [u8],
    index: usize,
    done: bool,
}

impl<'de> de::SeqAccess<'de> for SeqAcc<'_, 'de, '_> {
    type Error = Error;

    fn size_hint(&self) -> Option<usize> {
        Some(self.de.hint())
    }

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.done {
            return Ok(None);
        }
        let index = self.index;
        let Some(vt) = self.de.sc.next_item(self.data_raw, index)? else {
            self.done = true;
            return Ok(None);
        };
        self.de.vtag = vt;
        self.de.pending = None;
        self.index += 1;
        match seed.deserialize(&mut *self.de) {
            Ok(v) => Ok(Some(v)),
            Err(e) => Err(e.with_offset(vt.at).prepend_index(index)),
        }
    }
}

struct MapAcc<'a, 'de, 's> {
    de: &'a mut Deserializer<'de, 's>,
    sraw: &'s [u8],
    done: bool,
    key: Text,
    member_raw: &'s [u8],
}

impl MapAcc<'_, '_, '_> {
    fn key_err(&self, e: Error) -> Error {
        let k = self.de.key_string(&self.key);
        e.prepend_key(&k)
    }
}

impl<'de> de::MapAccess<'de> for MapAcc<'_, 'de, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.done {
            return Ok(None);
        }
        let Some((member_raw, name)) = self.de.sc.next_member(self.sraw)? else {
            self.done = true;
            return Ok(None);
        };
        self.member_raw = member_raw;
        self.key(name, seed)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let vt = match self.de.sc.member_value() {
            Ok(t) => t,
            Err(e) => return Err(self.key_err(e)),
        };
        self.de.vtag = vt;
        self.de.pending = None;
        let v = match seed.deserialize(&mut *self.de) {
            Ok(v) => v,
            Err(e) => return Err(self.key_err(e.with_offset(vt.at))),
        };
        if let Err(e) = self.de.sc.member_end(self.member_raw) {
            return Err(self.key_err(e));
        }
        Ok(v)
    }
}

impl<'de> MapAcc<'_, 'de, '_> {
    /// Reads a member name whose `<name>` start tag was just read and deserializes it.
    #[inline(always)]
    fn key<K: DeserializeSeed<'de>>(
        &mut self,
        name: Tag<'_>,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let key = self.de.sc.leaf(&name)?;
        let de_src = self.de.de_src;
        let r = match &key {
            Text::Range(a, b) => match de_src.and_then(|d| d.get(*a..*b)) {
                Some(s) => seed.deserialize(KeyDe::Borrowed(s)),
                None => seed.deserialize(KeyDe::Transient(self.de.sc.slice(*a, *b))),
            },
            Text::Owned(s) => seed.deserialize(KeyDe::Transient(s)),
        };
        self.key = key;
        r.map(Some).map_err(|e| e.with_offset(name.at))
    }
}

/// A member name.
enum KeyDe<'de, 'a> {
    Borrowed(&'de str),
    Transient(&'a str),
}

impl KeyDe<'_, '_> {
    fn as_str(&self) -> &str {
        match self {
            KeyDe::Borrowed(s) => s,
            KeyDe::Transient(s) => s,
        }
    }
}

macro_rules! key_parse {
    ($($f:ident => $v:ident: $t:ty),*) => {$(
        fn $f<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.as_str().parse::<$t>() {
                Ok(n) => visitor.$v(n),
                Err(_) => self.deserialize_any(visitor),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for KeyDe<'de, '_> {
    type Error = Error;
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            KeyDe::Borrowed(s) => visitor.visit_borrowed_str(s),
            KeyDe::Transient(s) => visitor.visit_str(s),
        }
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
        visitor.visit_enum(de::value::StrDeserializer::<Error>::new(self.as_str()))
    }
    serde::forward_to_deserialize_any! {
        bool i128 u128 f32 f64 char str string bytes byte_buf option unit unit_struct
        seq tuple tuple_struct map struct identifier ignored_any
    }
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let vraw = self.vtag.raw;
        match self.open()? {
            Kind::Untyped(t) => self.visit_text(t, visitor),
            Kind::Typed(ty, tag) => {
                let v = self.typed(ty, tag, visitor)?;
                self.close(vraw)?;
                Ok(v)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let vraw = self.vtag.raw;
        match self.open()? {
            Kind::Typed(Ty::Nil, tag) => {
                let t = self.sc.leaf(&tag)?;
                if !text::is_all_ws(self.sc.text_str(&t)) {
                    return Err(Error::at(
                        ErrorKind::InvalidValue,
                        "<nil> with content",
                        tag.at,
                    ));
                }
                self.close(vraw)?;
                visitor.visit_none()
            }
            k => {
                self.pending = Some(k);
                visitor.visit_some(self)
            }
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let vraw = self.vtag.raw;
        match self.open()? {
            Kind::Typed(Ty::Nil, tag) => {
                self.typed(Ty::Nil, tag, IgnoredAny)?;
                self.close(vraw)?;
                visitor.visit_unit()
            }
            k => {
                self.pending = Some(k);
                self.deserialize_any(visitor)
            }
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
            let v = self.build()?;
            return park(v, visitor);
        }
        if name == DATETIME_MARKER {
            let vraw = self.vtag.raw;
            let k = self.open()?;
            if let Kind::Typed(Ty::DateTime, tag) = k {
                let t = self.datetime(&tag)?;
                let v = self.visit_text(t, visitor)?;
                self.close(vraw)?;
                return Ok(v);
            }
            self.pending = Some(k);
            return self.deserialize_str(visitor);
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let vraw = self.vtag.raw;
        match self.open()? {
            Kind::Typed(Ty::Base64, tag) => {
                let t = self.sc.leaf(&tag)?;
                let bytes = text::decode_base64(self.sc.text_str(&t))
                    .map_err(|(k, m)| Error::at(k, m, tag.at))?;
                let v = visitor.visit_seq(de::value::SeqDeserializer::<_, Error>::new(
                    bytes.into_iter(),
                ))?;
                self.close(vraw)?;
                Ok(v)
            }
            k => {
                self.pending = Some(k);
                self.deserialize_any(visitor)
            }
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
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // Enums are rare in XML-RPC: go through a Value.
        let v = Value::deserialize(&mut *self)?;
        de::Deserializer::deserialize_enum(
            crate::de_value::ValueDeserializer(v),
            name,
            variants,
            visitor,
        )
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_any(IgnoredAny)?;
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf map struct identifier
    }
}

/// Which document is expected.
#[derive(Clone, Copy)]
enum Mode {
    Call,
    Response,
}

/// Checks that UTF-8 input is valid, or gives an error naming where the bad byte is.
fn with_text<R>(
    bytes: &[u8],
    opts: &DecodeOptions,
    mode: Mode,
    f: impl FnOnce(&str) -> Result<R, Error>,
) -> Result<R, Error> {
    match std::str::from_utf8(bytes) {
        Ok(s) => f(s),
        Err(e) => {
            let good = e.valid_up_to();
            // The value path of the bad byte: where a parse of the valid prefix stops.
            let prefix = std::str::from_utf8(bytes.get(..good).unwrap_or(&[])).unwrap_or("");
            let path = locate(prefix, opts, mode);
            Err(Error::at(ErrorKind::InvalidUtf8, "invalid UTF-8", good).prepend_path(&path))
        }
    }
}

fn locate(prefix: &str, opts: &DecodeOptions, mode: Mode) -> String {
    let mut de = Deserializer::new(prefix, None, opts);
    let r = match mode {
        Mode::Call => call_doc(&mut de).map(|_| ()),
        Mode::Response => response_doc::<IgnoredAny>(&mut de).map(|_| ()),
    };
    match r {
        Err(e) => e.path().to_owned(),
        Ok(()) => String::new(),
    }
}

/// Decodes a `methodCall`.
pub(crate) fn decode_call(bytes: &[u8], opts: &DecodeOptions) -> Result<MethodCall, Error> {
    opts.check_size(bytes.len())?;
    let utf8 = text::to_utf8(bytes)?;
    with_text(&utf8, opts, Mode::Call, |s| {
        let mut de = Deserializer::new(s, None, opts);
        call_doc(&mut de)
    })
}

/// Decodes a `methodResponse` into `T`.
pub(crate) fn decode_response<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
    opts: &DecodeOptions,
) -> Result<Result<T, Fault>, Error> {
    opts.check_size(bytes.len())?;
    let utf8 = text::to_utf8(bytes)?;
    match utf8 {
        std::borrow::Cow::Borrowed(b) => match std::str::from_utf8(b) {
            Ok(s) => {
                let mut de = Deserializer::new(s, Some(s), opts);
                response_doc(&mut de)
            }
            Err(_) => with_text(b, opts, Mode::Response, |_| {
                Err(Error::new(ErrorKind::InvalidUtf8, ""))
            }),
        },
        std::borrow::Cow::Owned(o) => with_text(&o, opts, Mode::Response, |s| {
            let mut de = Deserializer::new(s, None, opts);
            response_doc(&mut de)
        }),
    }
}

fn root<'s>(de: &mut Deserializer<'_, 's>, want: &'static [u8]) -> Result<Tag<'s>, Error> {
    let sc = &mut de.sc;
    sc.prolog()?;
    sc.misc()?;
    match sc.tag()? {
        Next::Start(t) if t.local() == want => {
            sc.in_root = true;
            if t.empty {
                return Err(Error::at(
                    ErrorKind::Structure,
                    format!("empty <{}>", show(want)),
                    t.at,
                ));
            }
            Ok(t)
        }
        Next::Eof => Err(sc.err(ErrorKind::Truncated, "empty document")),
        _ => Err(sc.err(ErrorKind::Structure, format!("expected <{}>", show(want)))),
    }
}

fn call_doc(de: &mut Deserializer<'_, '_>) -> Result<MethodCall, Error> {
    let root = root(de, b"methodCall")?;
    let name = de.sc.expect_start(b"methodName")?;
    let t = de.sc.leaf(&name)?;
    let method = match t {
        Text::Range(a, b) => de.sc.slice(a, b).to_owned(),
        Text::Owned(s) => s,
    };
    let mut params = Vec::new();
    de.sc.misc()?;
    match de.sc.tag()? {
        Next::End(r) if r == root.raw => {
            de.sc.epilog()?;
            return Ok(MethodCall { method, params });
        }
        Next::Start(p) if p.local() == b"params" => {
            if !p.empty {
                loop {
                    let i = params.len();
                    de.sc.misc()?;
                    match de.sc.tag()? {
                        Next::End(r) if r == p.raw => break,
                        Next::Start(param) if param.local() == b"param" => {
                            let v = one_param::<Value>(de, param)
                                .map_err(|e| e.prepend_path(&format!("params[{i}]")))?;
                            params.push(v);
                        }
                        Next::Eof => {
                            return Err(de
                                .sc
                                .err(ErrorKind::Truncated, "document ends inside <params>"));
                        }
                        Next::End(_) => {
                            return Err(de.sc.err(ErrorKind::Syntax, "mismatched end tag"));
                        }
                        Next::Start(_) => {
                            return Err(de
                                .sc
                                .err(ErrorKind::Structure, "expected <param> or </params>"));
                        }
                    }
                }
            }
        }
        Next::Eof => {
            return Err(de
                .sc
                .err(ErrorKind::Truncated, "document ends inside <methodCall>"));
        }
        Next::End(_) => return Err(de.sc.err(ErrorKind::Syntax, "mismatched end tag")),
        Next::Start(_) => {
            return Err(de
                .sc
                .err(ErrorKind::Structure, "expected <params> or </methodCall>"));
        }
    }
    de.sc.expect_end(root.raw)?;
    de.sc.epilog()?;
    Ok(MethodCall { method, params })
}

/// Reads `<value>…</value></param>` after a `<param>` start tag.
fn one_param<'de, T: Deserialize<'de>>(
    de: &mut Deserializer<'de, '_>,
    param: Tag<'_>,
) -> Result<T, Error> {
    if param.empty {
        return Err(Error::at(
            ErrorKind::Structure,
            "<param> without <value>",
            param.at,
        ));
    }
    let vt = de.sc.expect_start(b"value")?;
    de.vtag = vt;
    de.pending = None;
    let v = T::deserialize(&mut *de).map_err(|e| e.with_offset(vt.at))?;
    de.sc.expect_end(param.raw)?;
    Ok(v)
}

fn response_doc<'de, T: Deserialize<'de>>(
    de: &mut Deserializer<'de, '_>,
) -> Result<Result<T, Fault>, Error> {
    let root = root(de, b"methodResponse")?;
    de.sc.misc()?;
    let out = match de.sc.tag()? {
        Next::Start(p) if p.local() == b"params" => {
            if p.empty {
                return Err(Error::at(
                    ErrorKind::Structure,
                    "a response must have exactly one param, found 0",
                    p.at,
                ));
            }
            de.sc.misc()?;
            let v = match de.sc.tag()? {
                Next::Start(param) if param.local() == b"param" => {
                    one_param::<T>(de, param).map_err(|e| e.prepend_path("params[0]"))?
                }
                Next::End(r) if r == p.raw => {
                    return Err(de.sc.err(
                        ErrorKind::Structure,
                        "a response must have exactly one param, found 0",
                    ));
                }
                Next::Eof => {
                    return Err(de
                        .sc
                        .err(ErrorKind::Truncated, "document ends inside <params>"));
                }
                Next::End(_) => return Err(de.sc.err(ErrorKind::Syntax, "mismatched end tag")),
                Next::Start(_) => return Err(de.sc.err(ErrorKind::Structure, "expected <param>")),
            };
            de.sc.misc()?;
            match de.sc.tag()? {
                Next::End(r) if r == p.raw => {}
                Next::Eof => {
                    return Err(de
                        .sc
                        .err(ErrorKind::Truncated, "document ends inside <params>"));
                }
                Next::End(_) => return Err(de.sc.err(ErrorKind::Syntax, "mismatched end tag")),
                Next::Start(_) => {
                    return Err(de.sc.err(
                        ErrorKind::Structure,
                        "a response must have exactly one param",
                    ));
                }
            }
            Ok(v)
        }
        Next::Start(f) if f.local() == b"fault" => {
            if f.empty {
                return Err(Error::at(
                    ErrorKind::Structure,
                    "<fault> without <value>",
                    f.at,
                ));
            }
            let fault = (|| {
                let vt = de.sc.expect_start(b"value")?;
                de.vtag = vt;
                de.pending = None;
                let v = Value::deserialize(&mut *de).map_err(|e| e.with_offset(vt.at))?;
                de.sc.expect_end(f.raw)?;
                match v {
                    Value::Struct(s) => Fault::from_struct(s).map_err(|e| e.with_offset(vt.at)),
                    _ => Err(Error::at(
                        ErrorKind::Structure,
                        "a fault must be a struct",
                        vt.at,
                    )),
                }
            })()
            .map_err(|e| e.prepend_path("fault"))?;
            Err(fault)
        }
        Next::Eof => {
            return Err(de.sc.err(
                ErrorKind::Truncated,
                "document ends inside <methodResponse>",
            ));
        }
        Next::End(_) => return Err(de.sc.err(ErrorKind::Syntax, "mismatched end tag")),
        Next::Start(_) => {
            return Err(de
                .sc
                .err(ErrorKind::Structure, "expected <params> or <fault>"));
        }
    };
    de.sc.expect_end(root.raw)?;
    de.sc.epilog()?;
    Ok(out)
}

/// Decodes the `<value>…</value>` at the start of `s` (a streamed array item) into `T`;
/// returns it and the number of bytes it took.
pub(crate) fn decode_item<T: de::DeserializeOwned>(
    s: &str,
    opts: &DecodeOptions,
) -> Result<(T, usize), Error> {
    let mut de = Deserializer::new(s, Some(s), opts);
    de.sc.in_root = true;
    let vt = de.sc.expect_start(b"value")?;
    de.vtag = vt;
    let v = T::deserialize(&mut de)?;
    Ok((v, de.sc.pos))
}
