//! One entry of a multicall answer (pure): a one-value array holding the
//! call's result, or a fault struct; and the call's error for a fault.

use std::fmt;
use std::marker::PhantomData;

use koji_xmlrpc::Value;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::{Error, HubTraceback, Kind, Result};

/// A multicall entry decoded straight into the call's type.
pub(crate) enum Entry<T> {
    Ok(T),
    Fault(EntryFault),
}

pub(crate) struct EntryFault {
    pub(crate) code: i64,
    pub(crate) string: String,
    pub(crate) traceback: Option<Vec<String>>,
}

impl<'de, T: de::Deserialize<'de>> de::Deserialize<'de> for Entry<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(EntryVisitor(PhantomData))
    }
}

struct EntryVisitor<T>(PhantomData<fn() -> T>);

impl<'de, T: de::Deserialize<'de>> Visitor<'de> for EntryVisitor<T> {
    type Value = Entry<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a multicall entry: a one-value array or a fault struct")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Entry<T>, A::Error> {
        let Some(value) = seq.next_element::<T>()? else {
            return Err(de::Error::invalid_length(0, &self));
        };
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(2, &self));
        }
        Ok(Entry::Ok(value))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Entry<T>, A::Error> {
        let mut code = None;
        let mut string = None;
        let mut traceback = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "faultCode" => code = Some(map.next_value::<i64>()?),
                "faultString" => string = Some(map.next_value::<String>()?),
                "traceback" => traceback = traceback_lines(map.next_value::<Value>()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match (code, string) {
            (Some(code), Some(string)) => Ok(Entry::Fault(EntryFault {
                code,
                string,
                traceback,
            })),
            (None, _) => Err(de::Error::missing_field("faultCode")),
            (_, None) => Err(de::Error::missing_field("faultString")),
        }
    }
}

/// Checks that the hub answered one entry per call.
pub(crate) fn check_count(got: usize, want: usize) -> Result<()> {
    if got == want {
        return Ok(());
    }
    Err(Error::new(Kind::Decode).with_source(format!(
        "the hub answered {got} results to a multicall of {want} calls"
    )))
}

/// A call's fault, as the single call would report it (plus the hub's
/// traceback, when the entry had one).
pub(crate) fn fault_error(code: i64, string: String, traceback: Option<Vec<String>>) -> Error {
    let mut e = Error::fault(code, string);
    if let Some(lines) = traceback {
        e = e.with_source(HubTraceback { lines });
    }
    e.set_attempts(1);
    e
}

pub(crate) fn traceback_lines(v: Value) -> Option<Vec<String>> {
    match v {
        Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}
