//! The two macros behind every model: `koji_model!` for hub structs and
//! `koji_enum!` for the number-coded enums.
//!
//! Serde's derive cannot tell "the hub did not send this member" from "the
//! hub sent nil", and its `#[serde(flatten)]` catch-all buffers the whole
//! struct before decoding it. These macros write the serde impls by hand so
//! that a model
//!
//! - decodes every member it names into an `Option` field and keeps every
//!   other member in `other`;
//! - remembers which named members were sent (even as nil), so that
//!   serialising it again gives back exactly the members the hub sent;
//! - decodes in one pass, without buffering;
//! - reads free-form members (`other`, and fields marked `as lenient`)
//!   with [`LenientValue`], which also takes what JSON has no word for
//!   (XML-RPC `<base64>`, `<dateTime.iso8601>`), where
//!   `serde_json::Value`'s own `Deserialize` would fail.

/// Defines a hub struct model. Every field is `Option<T>`; the macro adds the
/// `other` catch-all map, the presence bits, `Serialize`, `Deserialize`,
/// `Debug` (fields that have a value only), `PartialEq` (presence ignored),
/// `MEMBERS` and `has_member()`.
macro_rules! koji_model {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $field:ident : $ty:ty $(as $lenient:ident)?
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Default)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                pub $field: ::core::option::Option<$ty>,
            )+
            /// Members the hub sent that this model has no field for, kept as
            /// sent so that nothing is lost when the value is serialised again.
            pub other: ::std::collections::BTreeMap<::std::string::String, ::serde_json::Value>,
            present: $crate::model::macros::Presence,
        }

        const _: () = {
            #[allow(non_camel_case_types, dead_code, clippy::enum_variant_names)]
            #[derive(Clone, Copy)]
            #[repr(u32)]
            enum Field {
                $($field),+
            }

            const NAMES: &[&str] = &[$(stringify!($field)),+];
            assert!(NAMES.len() <= 64, "a model has at most 64 named members");

            impl $name {
                /// The hub members this model has a field for, in declaration order.
                pub const MEMBERS: &'static [&'static str] = NAMES;

                /// Whether the hub sent `member` (even as nil), or a value was
                /// set for it since.
                ///
                /// This tells the rows of one method from another's: for
                /// example `listBuilds` rows have no `id` member at all.
                pub fn has_member(&self, member: &str) -> bool {
                    match member {
                        $(
                            stringify!($field) => {
                                self.$field.is_some() || self.present.get(Field::$field as u32)
                            }
                        )+
                        _ => self.other.contains_key(member),
                    }
                }
            }

            impl ::serde::Serialize for $name {
                fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                    use ::serde::ser::SerializeMap as _;
                    let mut len = 0usize;
                    $(
                        if self.$field.is_some() || self.present.get(Field::$field as u32) {
                            len += 1;
                        }
                    )+
                    len += self
                        .other
                        .keys()
                        .filter(|key| !NAMES.contains(&key.as_str()))
                        .count();
                    let mut map = serializer.serialize_map(Some(len))?;
                    $(
                        if self.$field.is_some() || self.present.get(Field::$field as u32) {
                            map.serialize_entry(stringify!($field), &self.$field)?;
                        }
                    )+
                    for (key, value) in &self.other {
                        // A member we have a field for wins over a stray
                        // copy in `other`: never emit a key twice.
                        if !NAMES.contains(&key.as_str()) {
                            map.serialize_entry(key, value)?;
                        }
                    }
                    map.end()
                }
            }

            impl<'de> ::serde::Deserialize<'de> for $name {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                    struct ModelVisitor;

                    impl<'de> ::serde::de::Visitor<'de> for ModelVisitor {
                        type Value = $name;

                        fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                            f.write_str(concat!("a Koji ", stringify!($name), " struct"))
                        }

                        fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> ::core::result::Result<$name, A::Error> {
                            let mut out = $name::default();
                            while let Some(key) = map.next_key::<$crate::model::macros::Key<'de>>()? {
                                match key.as_str() {
                                    $(
                                        stringify!($field) => {
                                            out.$field = $crate::model::macros::koji_model_value!(map $($lenient)?);
                                            out.present.set(Field::$field as u32);
                                        }
                                    )+
                                    _ => {
                                        let value = map.next_value_seed($crate::model::macros::LenientValue)?;
                                        out.other.insert(key.into_string(), value);
                                    }
                                }
                            }
                            Ok(out)
                        }
                    }

                    deserializer.deserialize_map(ModelVisitor)
                }
            }

            impl ::core::fmt::Debug for $name {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    let mut out = f.debug_struct(stringify!($name));
                    $(
                        if let Some(value) = &self.$field {
                            out.field(stringify!($field), value);
                        }
                    )+
                    if !self.other.is_empty() {
                        out.field("other", &self.other);
                    }
                    out.finish()
                }
            }

            impl ::core::cmp::PartialEq for $name {
                fn eq(&self, rhs: &Self) -> bool {
                    true $(&& self.$field == rhs.$field)+ && self.other == rhs.other
                }
            }
        };
    };
}

/// How `koji_model!` decodes one field: with the field type's own
/// `Deserialize`, or (`as lenient`, for `serde_json::Value` fields) with
/// [`LenientValue`], nil giving `None`.
macro_rules! koji_model_value {
    ($map:ident) => {
        $map.next_value()?
    };
    ($map:ident lenient) => {
        match $map.next_value_seed($crate::model::macros::LenientValue)? {
            ::serde_json::Value::Null => None,
            value => Some(value),
        }
    };
}

/// Defines a Koji enum (a list index in `koji/__init__.py`). Known values
/// get variants; any other number is kept in `Unknown`, any other name in
/// `UnknownName`, so decoding never fails on a value a newer hub adds.
macro_rules! koji_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($noun:literal) {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $code:literal => $kname:literal
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $(
                $(#[$vmeta])*
                $variant,
            )+
            /// A number this library has no name for, kept as sent.
            Unknown(i64),
            /// A name this library does not know (message buses send names),
            /// kept as sent.
            UnknownName(::std::string::String),
        }

        impl $name {
            /// Every value this library has a name for, in code order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The value for a Koji code; codes without a name give
            /// `Unknown(code)`.
            pub fn from_code(code: i64) -> Self {
                match code {
                    $($code => $name::$variant,)+
                    other => $name::Unknown(other),
                }
            }

            #[doc = concat!(
                "The value for a Koji name such as `\"",
                $crate::model::macros::first_name!($($kname),+),
                "\"` (ASCII case is ignored); other names give `UnknownName`."
            )]
            pub fn from_name(name: &str) -> Self {
                $(
                    if name.eq_ignore_ascii_case($kname) {
                        return $name::$variant;
                    }
                )+
                $name::UnknownName(name.to_owned())
            }

            /// The Koji code, if known: `None` only for `UnknownName`.
            pub fn code(&self) -> ::core::option::Option<i64> {
                match self {
                    $($name::$variant => Some($code),)+
                    $name::Unknown(code) => Some(*code),
                    $name::UnknownName(_) => None,
                }
            }

            #[doc = concat!(
                "The Koji name (`\"",
                $crate::model::macros::first_name!($($kname),+),
                "\"`…), or the name as sent for `UnknownName`; `None` for an unknown number."
            )]
            pub fn as_str(&self) -> ::core::option::Option<&str> {
                match self {
                    $($name::$variant => Some($kname),)+
                    $name::Unknown(_) => None,
                    $name::UnknownName(name) => Some(name.as_str()),
                }
            }

            /// Whether this library has a name for this value.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Unknown(_) | $name::UnknownName(_))
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self {
                    $name::Unknown(code) => write!(f, concat!("(unknown ", $noun, " {})"), code),
                    other => f.write_str(other.as_str().unwrap_or_default()),
                }
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = ::core::convert::Infallible;

            fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                Ok(match s.parse::<i64>() {
                    Ok(code) => $name::from_code(code),
                    Err(_) => $name::from_name(s),
                })
            }
        }

        impl ::core::convert::From<i64> for $name {
            fn from(code: i64) -> Self {
                $name::from_code(code)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                match self {
                    $name::UnknownName(name) => serializer.serialize_str(name),
                    other => serializer.serialize_i64(other.code().unwrap_or_default()),
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                struct EnumVisitor;

                impl ::serde::de::Visitor<'_> for EnumVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                        f.write_str(concat!("a Koji ", $noun, " as a number or a name"))
                    }

                    fn visit_i64<E: ::serde::de::Error>(self, v: i64) -> ::core::result::Result<$name, E> {
                        Ok($name::from_code(v))
                    }

                    fn visit_u64<E: ::serde::de::Error>(self, v: u64) -> ::core::result::Result<$name, E> {
                        i64::try_from(v).map($name::from_code).map_err(|_| {
                            E::invalid_value(::serde::de::Unexpected::Unsigned(v), &self)
                        })
                    }

                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> ::core::result::Result<$name, E> {
                        Ok($name::from_name(v))
                    }
                }

                deserializer.deserialize_any(EnumVisitor)
            }
        }
    };
}

/// The first of a list of string literals (for the generated docs).
macro_rules! first_name {
    ($first:literal $(, $rest:literal)*) => {
        $first
    };
}

pub(crate) use first_name;
pub(crate) use koji_enum;
pub(crate) use koji_model;
pub(crate) use koji_model_value;

/// Which of a model's named members were sent by the hub (bit N = the Nth
/// field). Hidden from users: it only decides what `Serialize` writes back.
#[derive(Clone, Copy, Default)]
pub(crate) struct Presence(u64);

impl Presence {
    pub(crate) fn set(&mut self, bit: u32) {
        self.0 |= 1u64 << bit;
    }

    pub(crate) fn get(self, bit: u32) -> bool {
        self.0 & (1u64 << bit) != 0
    }
}

/// Reads any self-describing value into a `serde_json::Value`, including
/// what JSON has no type for: bytes (XML-RPC `<base64>`) become a list of
/// numbers (as `serde_json::to_value` writes bytes), newtype structs (how
/// koji-xmlrpc hands over `<dateTime.iso8601>`) their content, and doubles
/// JSON cannot hold (NaN, infinities) nil.
pub(crate) struct LenientValue;

impl<'de> serde::de::DeserializeSeed<'de> for LenientValue {
    type Value = serde_json::Value;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for LenientValue {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_bytes<E>(self, v: &[u8]) -> Result<Self::Value, E> {
        Ok(v.iter().map(|b| serde_json::Value::from(*b)).collect())
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_newtype_struct<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element_seed(LenientValue)? {
            out.push(v);
        }
        Ok(out.into())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(LenientValue)?;
            out.insert(key, value);
        }
        Ok(out.into())
    }
}

/// A struct member name, borrowed from the input when the format allows
/// (so that decoding a named member allocates nothing for its name).
pub(crate) enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }

    pub(crate) fn into_string(self) -> String {
        match self {
            Key::Borrowed(s) => s.to_owned(),
            Key::Owned(s) => s,
        }
    }
}

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl<'de> serde::de::Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a member name")
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(v))
            }

            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v.to_owned()))
            }

            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v))
            }
        }

        deserializer.deserialize_str(KeyVisitor)
    }
}
