//! The bits of Python semantics the hub's messages and checks depend on:
//! `repr()`, `str()`, `type()` names, truthiness and `int()` parsing.

use koji_xmlrpc::Value;

use crate::wire::py_float_repr;

/// The Python class of the value the hub would have after unmarshalling.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "NoneType",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Double(_) => "float",
        Value::String(_) => "str",
        Value::Base64(_) => "xmlrpc.client.Binary",
        Value::DateTime(_) => "xmlrpc.client.DateTime",
        Value::Array(_) => "list",
        Value::Struct(_) => "dict",
    }
}

/// `str(type(v))`, e.g. `<class 'float'>`.
pub(crate) fn type_repr(v: &Value) -> String {
    format!("<class '{}'>", type_name(v))
}

/// `repr(s)` of a Python str.
pub(crate) fn repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !printable(c) => {
                let n = c as u32;
                if n < 0x100 {
                    out.push_str(&format!("\\x{n:02x}"));
                } else if n < 0x10000 {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// An approximation of `str.isprintable()` for single characters.
fn printable(c: char) -> bool {
    let n = c as u32;
    !(n < 0x20
        || (0x7f..=0xa0).contains(&n)
        || n == 0xad
        || n == 0x1680
        || (0x2000..=0x200f).contains(&n)
        || (0x2028..=0x202f).contains(&n)
        || (0x205f..=0x2064).contains(&n)
        || n == 0x3000
        || n == 0xfeff
        || (0xd800..=0xdfff).contains(&n)
        || (0xe000..=0xf8ff).contains(&n))
}

/// `repr(v)`.
pub(crate) fn repr(v: &Value) -> String {
    let mut s = String::new();
    repr_into(v, &mut s);
    s
}

fn repr_into(v: &Value, out: &mut String) {
    match v {
        Value::Nil => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Double(d) => out.push_str(&py_float_repr(*d)),
        Value::String(s) => out.push_str(&repr_str(s)),
        Value::Base64(_) => out.push_str("<xmlrpc.client.Binary object>"),
        Value::DateTime(d) => {
            out.push_str("<DateTime '");
            out.push_str(d.as_str());
            out.push_str("'>");
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                repr_into(item, out);
            }
            out.push(']');
        }
        Value::Struct(s) => {
            out.push('{');
            for (i, (k, item)) in s.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&repr_str(k));
                out.push_str(": ");
                repr_into(item, out);
            }
            out.push('}');
        }
    }
}

/// `str(v)` (`'%s' % v`).
pub(crate) fn str_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => repr(other),
    }
}

/// Python's `int(text)` for a str: surrounding whitespace, an optional sign,
/// digits with single underscores between them. `None` where Python raises
/// ValueError.
pub(crate) fn parse_int(text: &str) -> Option<i64> {
    let t = text.trim_matches(|c: char| c.is_whitespace());
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, t.get(1..)?),
        Some(b'+') => (false, t.get(1..)?),
        _ => (false, t),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    if !clean.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = clean.parse().ok()?;
    Some(if neg { -n } else { n })
}

/// The message of the ValueError `int(text)` raises.
pub(crate) fn int_error(text: &str) -> String {
    format!("invalid literal for int() with base 10: {}", repr_str(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_quotes_like_python() {
        assert_eq!(repr_str("abc"), "'abc'");
        assert_eq!(repr_str("it's"), "\"it's\"");
        assert_eq!(repr_str("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(repr_str("tab\there\n"), "'tab\\there\\n'");
        assert_eq!(repr_str("\u{a0}x\u{2028}"), "'\\xa0x\\u2028'");
        assert_eq!(repr_str("grüße"), "'grüße'");
    }

    #[test]
    fn repr_of_containers() {
        let mut s = koji_xmlrpc::Struct::new();
        s.insert("id".into(), Value::Int(3));
        s.insert(
            "x".into(),
            Value::Array(vec![Value::Nil, Value::Bool(true), 1.5.into()]),
        );
        assert_eq!(repr(&Value::Struct(s)), "{'id': 3, 'x': [None, True, 1.5]}");
    }

    #[test]
    fn int_parsing_follows_python() {
        assert_eq!(parse_int(" 42 "), Some(42));
        assert_eq!(parse_int("-1"), Some(-1));
        assert_eq!(parse_int("+7"), Some(7));
        assert_eq!(parse_int("1_000"), Some(1000));
        assert_eq!(parse_int("abc"), None);
        assert_eq!(parse_int(""), None);
        assert_eq!(parse_int("1.5"), None);
        assert_eq!(
            int_error("abc"),
            "invalid literal for int() with base 10: 'abc'"
        );
    }
}
