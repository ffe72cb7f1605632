//! Decoding a chunk's answer (pure): in one pass straight into the calls'
//! type when they all share it, else as [`Value`]s converted call by call;
//! a fault entry becomes that call's error, as the single call would give it.

use http::HeaderMap;
use koji_xmlrpc::Value;

use super::entry::{check_count, fault_error, traceback_lines};
use super::handle::Slot;
use crate::engine::looks_like_xmlrpc;
use crate::engine::transport::content_type;
use crate::error::{Error, Kind, Result};

/// Decodes a chunk's response into its slots. An error here is the whole
/// chunk's (a fault of the multicall itself, a body that is not the answer).
pub(crate) fn decode_chunk(
    body: &[u8],
    headers: &HeaderMap,
    slots: &mut [Box<dyn Slot>],
    url: &str,
) -> Result<()> {
    if let Some(first) = slots.first() {
        let ty = first.result_type();
        if slots.iter().all(|s| s.result_type() == ty) {
            match first.decode_all(body) {
                Ok(Ok((mut entries, count))) => {
                    check_count(count, slots.len())?;
                    for slot in slots.iter_mut() {
                        slot.take_entry(&mut *entries, url);
                    }
                    return Ok(());
                }
                Ok(Err(fault)) => return Err(Error::fault(fault.code, fault.string)),
                // A result that does not fit its type, or a broken body: the
                // slower path below says which call, or what is wrong.
                Err(_) => {}
            }
        }
    }
    let entries = match koji_xmlrpc::decode_response::<Vec<Value>>(body) {
        Ok(Ok(entries)) => entries,
        Ok(Err(fault)) => return Err(Error::fault(fault.code, fault.string)),
        Err(e) if looks_like_xmlrpc(body) => return Err(Error::decode(e)),
        Err(e) => return Err(Error::not_xmlrpc(content_type(headers), body).with_source(e)),
    };
    check_count(entries.len(), slots.len())?;
    for (slot, entry) in slots.iter_mut().zip(entries) {
        match split_entry(entry) {
            Ok(value) => slot.set_value(value, url),
            Err(e) => {
                let e = e.context(slot.method(), url);
                slot.set_error(e);
            }
        }
    }
    Ok(())
}

/// One entry of a multicall answer, decoded as a [`Value`]: the call's
/// result, or its fault.
pub(crate) fn split_entry(entry: Value) -> Result<Value> {
    match entry {
        Value::Array(mut items) if items.len() == 1 => Ok(items.pop().unwrap_or(Value::Nil)),
        Value::Array(items) => Err(malformed(format!(
            "a result entry must hold one value, this one holds {}",
            items.len()
        ))),
        Value::Struct(mut s) => {
            let code = s.shift_remove("faultCode");
            let string = s.shift_remove("faultString");
            match (code, string) {
                (Some(Value::Int(code)), Some(Value::String(string))) => {
                    let traceback = s.shift_remove("traceback").and_then(traceback_lines);
                    Err(fault_error(code, string, traceback))
                }
                _ => Err(malformed(
                    "a fault entry needs an integer faultCode and a string faultString".into(),
                )),
            }
        }
        other => Err(malformed(format!(
            "an entry must be an array or a fault struct, not {}",
            value_kind(&other)
        ))),
    }
}

fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Bool(_) => "a boolean",
        Value::Int(_) => "an integer",
        Value::Double(_) => "a double",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Struct(_) => "a struct",
        _ => "another type",
    }
}

fn malformed(detail: String) -> Error {
    Error::new(Kind::Decode).with_source(format!("malformed multicall entry: {detail}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn entries_split_into_results_and_faults() {
        assert_eq!(
            split_entry(Value::Array(vec![Value::Int(1)])).unwrap(),
            Value::Int(1)
        );
        assert_eq!(
            split_entry(Value::Array(vec![Value::Nil])).unwrap(),
            Value::Nil
        );
        let mut s = koji_xmlrpc::Struct::new();
        s.insert("faultCode".into(), Value::Int(1000));
        s.insert("faultString".into(), "No such build".into());
        s.insert(
            "traceback".into(),
            Value::Array(vec![
                "Traceback\n".into(),
                "koji.GenericError: No such build\n".into(),
            ]),
        );
        let e = split_entry(Value::Struct(s)).unwrap_err();
        assert_eq!(e.fault_code(), Some(1000));
        assert_eq!(e.fault_string(), Some("No such build"));
        assert_eq!(e.hub_traceback().unwrap().len(), 2);
        let shown = std::error::Error::source(&e).unwrap().to_string();
        assert!(
            shown.ends_with("koji.GenericError: No such build"),
            "{shown}"
        );
        for bad in [
            Value::Array(vec![]),
            Value::Array(vec![Value::Int(1), Value::Int(2)]),
            Value::Int(3),
            Value::Struct(koji_xmlrpc::Struct::new()),
        ] {
            let e = split_entry(bad).unwrap_err();
            assert!(e.is_decode() && !e.is_fault(), "{e}");
            assert!(e.to_string().contains("malformed multicall entry"), "{e}");
        }
    }
}
