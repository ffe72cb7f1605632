//! The small pieces of Python behaviour that koji's config handling relies
//! on: what counts as whitespace (`str.isspace`), `str.strip`, `int()`,
//! `ConfigParser.getboolean` and `os.path.expanduser`.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// Python's `str.isspace()` for one character (Python 3.11 / Unicode 14).
///
/// This differs from [`char::is_whitespace`]: Python also counts the
/// information separators U+001C..U+001F, which matters for `strip()`.
pub(crate) fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\u{b}'
            | '\u{c}'
            | '\r'
            | '\u{1c}'..='\u{1f}'
            | ' '
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// Python's `str.strip()` with no argument.
pub(crate) fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// Python's `str.rstrip()` with no argument.
pub(crate) fn rstrip(s: &str) -> &str {
    s.trim_end_matches(is_space)
}

/// The first code point of each run of ten Unicode decimal digits (general
/// category Nd), as Python 3.11's `int()` accepts them. Every run is
/// contiguous: the digit value is the offset from its zero.
const DECIMAL_ZEROS: [u32; 66] = [
    0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66,
    0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90,
    0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10,
    0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650,
    0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50,
    0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
];

/// The decimal value of `c` if Python's `int()` takes it as a digit.
fn decimal_value(c: char) -> Option<u8> {
    let code = u32::from(c);
    let zero = match DECIMAL_ZEROS.binary_search(&code) {
        Ok(i) => DECIMAL_ZEROS.get(i).copied(),
        Err(0) => None,
        Err(i) => DECIMAL_ZEROS.get(i - 1).copied(),
    }?;
    let offset = code - zero;
    // Every offset below 10 fits in u8.
    (offset < 10).then_some(offset as u8)
}

/// Parses an integer the way Python's `int(str)` does in base 10: surrounding
/// whitespace, an optional sign, Unicode decimal digits and single
/// underscores between digits. Values outside `i64` are rejected (Python
/// would accept them; no koji option needs them).
pub(crate) fn parse_int(s: &str) -> Option<i64> {
    let s = strip(s);
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let mut result: i64 = 0;
    let mut seen_digit = false;
    let mut after_underscore = false;
    for c in digits.chars() {
        if c == '_' {
            if !seen_digit || after_underscore {
                return None;
            }
            after_underscore = true;
            continue;
        }
        let d = i64::from(decimal_value(c)?);
        // Accumulate towards the sign so that i64::MIN parses.
        result = result.checked_mul(10)?;
        result = if negative {
            result.checked_sub(d)?
        } else {
            result.checked_add(d)?
        };
        seen_digit = true;
        after_underscore = false;
    }
    (seen_digit && !after_underscore).then_some(result)
}

/// `ConfigParser.getboolean`: case-insensitive `1/yes/true/on` and
/// `0/no/false/off`, nothing else (not even surrounding whitespace).
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s.to_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Some(true),
        "0" | "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

/// `os.path.expanduser` for `~` and `~/…` (POSIX rules): the home directory
/// loses its trailing slashes, and an empty result becomes `/`. `~user`
/// forms and paths when no home directory is known are returned unchanged.
///
/// The one expansion of `~` in the configuration: option values (`topdir`,
/// `cert`, …) and the explicitly named config path alike.
pub(crate) fn expand_user(path: impl AsRef<OsStr>, home: Option<&Path>) -> PathBuf {
    let path = path.as_ref();
    let Some(rest) = path.as_encoded_bytes().strip_prefix(b"~") else {
        return PathBuf::from(path);
    };
    if !(rest.is_empty() || rest.starts_with(b"/")) {
        return PathBuf::from(path);
    }
    let Some(home) = home else {
        return PathBuf::from(path);
    };
    let home = home.as_os_str().as_encoded_bytes();
    let mut end = home.len();
    while end > 0 && home.get(end - 1) == Some(&b'/') {
        end -= 1;
    }
    let mut joined = home.get(..end).unwrap_or_default().to_vec();
    joined.extend_from_slice(rest);
    if joined.is_empty() {
        return PathBuf::from("/");
    }
    // A prefix of the home path cut before ASCII '/' bytes, then UTF-8.
    bytes_to_path(joined)
}

#[cfg(unix)]
fn bytes_to_path(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(OsString::from_vec(bytes))
}

#[cfg(not(unix))]
fn bytes_to_path(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(OsString::from(String::from_utf8_lossy(&bytes).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_matches_python_isspace() {
        for c in ['\u{1c}', '\u{1f}', '\u{85}', '\u{3000}', '\u{b}'] {
            assert!(is_space(c), "{c:?}");
        }
        for c in ['\u{feff}', '\u{200b}', 'a', '\u{180e}'] {
            assert!(!is_space(c), "{c:?}");
        }
        assert_eq!(strip("\u{1c} a b\u{3000}\n"), "a b");
        assert_eq!(rstrip(" a \n\n"), " a");
    }

    #[test]
    fn int_follows_python_int() {
        assert_eq!(parse_int("42"), Some(42));
        assert_eq!(parse_int(" \n-17 "), Some(-17));
        assert_eq!(parse_int("+7"), Some(7));
        assert_eq!(parse_int("1_000"), Some(1000));
        assert_eq!(parse_int("007"), Some(7));
        assert_eq!(parse_int("\u{663}\u{660}"), Some(30));
        assert_eq!(parse_int("\u{ff11}2"), Some(12));
        assert_eq!(parse_int("-9223372036854775808"), Some(i64::MIN));
        for bad in [
            "",
            " ",
            "-",
            "+",
            "_1",
            "1_",
            "1__0",
            "- 1",
            "0x10",
            "1.0",
            "1e3",
            "9223372036854775808",
            "12a",
            "+-1",
        ] {
            assert_eq!(parse_int(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn bool_follows_getboolean() {
        for t in ["1", "yes", "YES", "True", "on", "oN"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["0", "no", "FALSE", "Off"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        for bad in ["", "y", "2", " yes", "enabled", "\nyes"] {
            assert_eq!(parse_bool(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn expanduser_posix_rules() {
        let home = Some(Path::new("/home/u/"));
        assert_eq!(expand_user("~", home), PathBuf::from("/home/u"));
        assert_eq!(expand_user("~/x", home), PathBuf::from("/home/u/x"));
        assert_eq!(expand_user("~x/y", home), PathBuf::from("~x/y"));
        assert_eq!(expand_user("/a/~", home), PathBuf::from("/a/~"));
        assert_eq!(expand_user("~/x", None), PathBuf::from("~/x"));
        assert_eq!(expand_user("~", Some(Path::new("/"))), PathBuf::from("/"));
        assert_eq!(
            expand_user("~/x", Some(Path::new("/"))),
            PathBuf::from("/x")
        );
    }
}
