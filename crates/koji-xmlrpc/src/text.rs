//! Pieces shared by both decoders: the XML declaration and input encodings, and the
//! parsing of typed value texts.

use std::borrow::Cow;

use base64::Engine as _;

use crate::error::{Error, ErrorKind};

/// Whether `c` is allowed by XML 1.0's `Char` production.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// Whether `b` is XML whitespace.
pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Whether a decoded text is all XML whitespace.
pub(crate) fn is_all_ws(s: &str) -> bool {
    s.bytes().all(is_ws)
}

/// The local part of an element name (after the last `:`), or `None` if the name is not a
/// plausible XML name. Both decoders ignore namespace prefixes, as Python's
/// `xmlrpc.client` does (`<ex:nil/>`).
pub(crate) fn local_name(raw: &[u8]) -> Option<&[u8]> {
    let first = *raw.first()?;
    if !(first.is_ascii_alphabetic() || first == b'_' || first == b':' || first >= 0x80) {
        return None;
    }
    if !raw
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'-' | b'.') || b >= 0x80)
    {
        return None;
    }
    match raw.iter().rposition(|&b| b == b':') {
        Some(i) => raw.get(i + 1..).filter(|l| !l.is_empty()),
        None => Some(raw),
    }
}

/// Resolves an entity or character reference (the text between `&` and `;`).
pub(crate) fn resolve_reference(name: &[u8]) -> Result<char, (ErrorKind, String)> {
    match name {
        b"amp" => Ok('&'),
        b"lt" => Ok('<'),
        b"gt" => Ok('>'),
        b"quot" => Ok('"'),
        b"apos" => Ok('\''),
        [b'#', b'x', hex @ ..] => char_ref(hex, 16),
        [b'#', dec @ ..] => char_ref(dec, 10),
        other => Err((
            ErrorKind::UnknownEntity,
            format!(
                "reference to undeclared entity &{};",
                String::from_utf8_lossy(other.get(..32.min(other.len())).unwrap_or(&[]))
            ),
        )),
    }
}

fn char_ref(digits: &[u8], radix: u32) -> Result<char, (ErrorKind, String)> {
    let bad = || {
        (
            ErrorKind::Syntax,
            "malformed character reference".to_string(),
        )
    };
    if digits.is_empty() || digits.len() > 8 {
        return Err(bad());
    }
    let mut v: u32 = 0;
    for &d in digits {
        let x = (d as char).to_digit(radix).ok_or_else(bad)?;
        v = v * radix + x;
    }
    match char::from_u32(v) {
        Some(c) if is_xml_char(c) => Ok(c),
        _ => Err((
            ErrorKind::InvalidChar,
            format!("character reference to U+{v:04X}, which XML 1.0 forbids"),
        )),
    }
}

/// Input encodings the decoders read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Utf8,
    Latin1,
    Ascii,
}

/// Reads the encoding from the XML declaration (if any) and returns the document as UTF-8:
/// borrowed when it already is, transcoded from ISO-8859-1 otherwise.
pub(crate) fn to_utf8(bytes: &[u8]) -> Result<Cow<'_, [u8]>, Error> {
    if bytes.starts_with(&[0xFE, 0xFF]) || bytes.starts_with(&[0xFF, 0xFE]) {
        return Err(Error::at(
            ErrorKind::UnsupportedEncoding,
            "UTF-16 documents are not supported",
            0,
        ));
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes);
    let Some(rest) = body.strip_prefix(b"<?xml") else {
        return Ok(Cow::Borrowed(bytes));
    };
    if !rest.first().is_some_and(|&b| is_ws(b)) {
        return Ok(Cow::Borrowed(bytes));
    }
    let Some(end) = memchr::memmem::find(rest, b"?>") else {
        return Ok(Cow::Borrowed(bytes)); // the parsers report the truncation
    };
    let decl = rest.get(..end).unwrap_or(&[]);
    let enc = match parse_decl(decl) {
        Ok(d) => d,
        Err(_) => return Ok(Cow::Borrowed(bytes)), // the parsers report the bad declaration
    };
    match enc {
        Encoding::Utf8 => Ok(Cow::Borrowed(bytes)),
        Encoding::Ascii => match bytes.iter().position(|&b| b >= 0x80) {
            Some(p) => Err(Error::at(
                ErrorKind::InvalidUtf8,
                "non-ASCII byte in a document declared US-ASCII",
                p,
            )),
            None => Ok(Cow::Borrowed(bytes)),
        },
        Encoding::Latin1 => {
            let mut s = String::with_capacity(bytes.len() + bytes.len() / 8);
            s.extend(bytes.iter().map(|&b| char::from(b)));
            Ok(Cow::Owned(s.into_bytes()))
        }
    }
}

/// The encoding of a document from its first bytes, for a decoder that sees them in
/// pieces: `Ok(None)` while the XML declaration is not complete yet (and `at_end` is
/// false). Decides as [`to_utf8`] does: a bad declaration counts as UTF-8 here (the
/// parser reports it).
pub(crate) fn sniff_encoding(head: &[u8], at_end: bool) -> Result<Option<Encoding>, Error> {
    if head.starts_with(&[0xFE, 0xFF]) || head.starts_with(&[0xFF, 0xFE]) {
        return Err(Error::at(
            ErrorKind::UnsupportedEncoding,
            "UTF-16 documents are not supported",
            0,
        ));
    }
    if !at_end && head.len() < 2 {
        return Ok(None);
    }
    let body = head.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(head);
    if !at_end
        && body.len() < 6
        && (b"\xEF\xBB\xBF".starts_with(head) || b"<?xml ".starts_with(body))
    {
        return Ok(None);
    }
    let Some(rest) = body.strip_prefix(b"<?xml") else {
        return Ok(Some(Encoding::Utf8));
    };
    if !rest.first().is_some_and(|&b| is_ws(b)) {
        return Ok(Some(Encoding::Utf8));
    }
    match memchr::memmem::find(rest, b"?>") {
        Some(end) => Ok(Some(
            parse_decl(rest.get(..end).unwrap_or(&[])).unwrap_or(Encoding::Utf8),
        )),
        None if at_end => Ok(Some(Encoding::Utf8)),
        None => Ok(None),
    }
}

fn parse_decl(decl: &[u8]) -> Result<Encoding, String> {
    // Pseudo-attributes: version (required), encoding, standalone, in that order.
    let mut i = 0;
    let mut seen = 0; // 0 none, 1 version, 2 encoding, 3 standalone
    let mut enc = Encoding::Utf8;
    loop {
        let ws_start = i;
        while decl.get(i).is_some_and(|&b| is_ws(b)) {
            i += 1;
        }
        if i >= decl.len() {
            break;
        }
        if i == ws_start {
            return Err("missing whitespace in the XML declaration".into());
        }
        let name_start = i;
        while decl.get(i).is_some_and(|&b| b.is_ascii_alphabetic()) {
            i += 1;
        }
        let name = decl.get(name_start..i).unwrap_or(&[]);
        while decl.get(i).is_some_and(|&b| is_ws(b)) {
            i += 1;
        }
        if decl.get(i) != Some(&b'=') {
            return Err("expected = in the XML declaration".into());
        }
        i += 1;
        while decl.get(i).is_some_and(|&b| is_ws(b)) {
            i += 1;
        }
        let q = match decl.get(i) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => return Err("expected a quoted value in the XML declaration".into()),
        };
        i += 1;
        let v_start = i;
        while decl.get(i).is_some_and(|&b| b != q) {
            i += 1;
        }
        if i >= decl.len() {
            return Err("unterminated value in the XML declaration".into());
        }
        let value = decl.get(v_start..i).unwrap_or(&[]);
        i += 1;
        match name {
            b"version" if seen == 0 => {
                let ok = value.len() > 2
                    && value.starts_with(b"1.")
                    && value.get(2..).unwrap_or(&[]).iter().all(u8::is_ascii_digit);
                if !ok {
                    return Err("unsupported XML version".into());
                }
                seen = 1;
            }
            b"encoding" if seen == 1 => {
                let lower = value.to_ascii_lowercase();
                enc = match &lower[..] {
                    b"utf-8" | b"utf8" => Encoding::Utf8,
                    b"iso-8859-1" | b"iso8859-1" | b"latin-1" | b"latin1" | b"l1"
                    | b"iso_8859-1" => Encoding::Latin1,
                    b"us-ascii" | b"ascii" => Encoding::Ascii,
                    _ => {
                        return Err(format!(
                            "unsupported encoding {:?}",
                            String::from_utf8_lossy(value)
                        ));
                    }
                };
                seen = 2;
            }
            b"standalone" if seen == 1 || seen == 2 => {
                if value != b"yes" && value != b"no" {
                    return Err("standalone must be yes or no".into());
                }
                seen = 3;
            }
            _ => return Err("unexpected item in the XML declaration".into()),
        }
    }
    if seen == 0 {
        return Err("XML declaration without version".into());
    }
    Ok(enc)
}

/// Checks the content of an XML declaration (between `<?xml` and `?>`), giving the kind of
/// error when it is bad.
pub(crate) fn check_decl(decl: &[u8]) -> Result<(), (ErrorKind, String)> {
    match parse_decl(decl) {
        Ok(_) => Ok(()),
        Err(m) if m.starts_with("unsupported encoding") => Err((ErrorKind::UnsupportedEncoding, m)),
        Err(m) => Err((ErrorKind::Syntax, m)),
    }
}

fn trim_ws(s: &str) -> &str {
    s.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\r'))
}

/// A parsed integer text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Int {
    I64(i64),
    /// Above `i64::MAX` but fits `u64`.
    U64(u64),
}

/// Parses `<int>`/`<i4>`/`<i8>` text (surrounding whitespace and a sign allowed, as
/// Python's `int()`). Errors carry the kind and message.
pub(crate) fn parse_int(text: &str) -> Result<Int, (ErrorKind, String)> {
    // Fast path: up to 18 digits with an optional minus sign.
    let b = text.as_bytes();
    let (neg, d) = match b.first() {
        Some(b'-') => (true, b.get(1..).unwrap_or(&[])),
        _ => (false, b),
    };
    if !d.is_empty() && d.len() <= 18 && d.iter().all(u8::is_ascii_digit) {
        let v = d.iter().fold(0i64, |v, &c| v * 10 + i64::from(c - b'0'));
        return Ok(Int::I64(if neg { -v } else { v }));
    }
    let t = trim_ws(text);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, t.get(1..).unwrap_or("")),
        Some(b'+') => (false, t.get(1..).unwrap_or("")),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err((
            ErrorKind::InvalidValue,
            format!("invalid integer {:?}", crate::error::truncate(text, 40)),
        ));
    }
    let mut v: u64 = 0;
    for b in digits.bytes() {
        v = match v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
        {
            Some(v) => v,
            None => return Err(overflow_msg(text)),
        };
    }
    if neg {
        if v <= i64::MAX as u64 {
            Ok(Int::I64(-(v as i64)))
        } else if v == i64::MAX as u64 + 1 {
            Ok(Int::I64(i64::MIN))
        } else {
            Err(overflow_msg(text))
        }
    } else if v <= i64::MAX as u64 {
        Ok(Int::I64(v as i64))
    } else {
        Ok(Int::U64(v))
    }
}

fn overflow_msg(text: &str) -> (ErrorKind, String) {
    (
        ErrorKind::IntegerOverflow,
        format!(
            "integer {} does not fit in 64 bits",
            crate::error::truncate(trim_ws(text), 40)
        ),
    )
}

/// Parses `<double>` text (exponents, `inf`, `-inf`, `nan` accepted, as Python's `float()`).
pub(crate) fn parse_double(text: &str) -> Result<f64, (ErrorKind, String)> {
    // Rust's parser takes exponents, inf, infinity and nan (any case, signed) like
    // Python's float(); surrounding whitespace is trimmed first.
    if let Ok(d) = text.parse::<f64>() {
        return Ok(d);
    }
    trim_ws(text).parse::<f64>().map_err(|_| {
        (
            ErrorKind::InvalidValue,
            format!("invalid double {:?}", crate::error::truncate(text, 40)),
        )
    })
}

/// Parses `<boolean>` text: only `0` and `1`, as the hub's parser.
pub(crate) fn parse_bool(text: &str) -> Result<bool, (ErrorKind, String)> {
    match text {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err((
            ErrorKind::InvalidValue,
            format!(
                "invalid boolean {:?} (only 0 and 1)",
                crate::error::truncate(text, 40)
            ),
        )),
    }
}

const B64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

/// Decodes `<base64>` text, ignoring whitespace (Python's encoder breaks lines every 76).
pub(crate) fn decode_base64(text: &str) -> Result<Vec<u8>, (ErrorKind, String)> {
    let bad = |e: base64::DecodeError| (ErrorKind::InvalidValue, format!("invalid base64: {e}"));
    if !text.bytes().any(is_ws) {
        return B64.decode(text).map_err(bad);
    }
    let compact: Vec<u8> = text.bytes().filter(|&b| !is_ws(b)).collect();
    B64.decode(compact).map_err(bad)
}
