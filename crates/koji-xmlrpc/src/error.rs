//! The one error type of this crate.

use std::fmt;

use crate::value::Fault;

/// What went wrong, without the details (see [`Error`] for those).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The document is not well-formed XML (bad markup, stray text, mismatched tags…).
    Syntax,
    /// The document (or a part of it) is not valid UTF-8 / not valid in its declared encoding.
    InvalidUtf8,
    /// The XML declaration names an encoding this crate does not read.
    UnsupportedEncoding,
    /// A character that XML 1.0 forbids, raw or as a character reference.
    InvalidChar,
    /// A document type declaration (DTD) or an entity declaration. Nothing is ever expanded.
    Dtd,
    /// A reference to an entity other than the five predefined ones.
    UnknownEntity,
    /// Nesting of arrays and structs deeper than [`DecodeOptions::max_depth`](crate::DecodeOptions::max_depth).
    DepthLimit,
    /// A document (or a streamed item) larger than [`DecodeOptions::max_size`](crate::DecodeOptions::max_size).
    SizeLimit,
    /// The input ended before the document was complete.
    Truncated,
    /// An element that is not an XML-RPC type inside `<value>`.
    UnknownType,
    /// Well-formed XML that is not the expected XML-RPC structure (e.g. `<member>` without `<name>`).
    Structure,
    /// The text of a typed value is not valid for its type (`<boolean>true</boolean>`, `<int>x</int>`, bad base64…).
    InvalidValue,
    /// An integer that does not fit the target type (or 64 bits).
    IntegerOverflow,
    /// The value does not fit the Rust type it is decoded into, or a serde impl rejected it.
    Type,
    /// A value that XML-RPC cannot carry (NaN/infinite double, non-string map key, …) while encoding.
    Unsupported,
    /// A streamed response turned out to be a fault; see [`Error::fault`].
    Fault,
    /// The byte stream fed to a streaming decoder failed; see [`std::error::Error::source`].
    Transport,
}

impl ErrorKind {
    fn describe(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "malformed XML",
            ErrorKind::InvalidUtf8 => "invalid text encoding",
            ErrorKind::UnsupportedEncoding => "unsupported encoding",
            ErrorKind::InvalidChar => "character not allowed in XML",
            ErrorKind::Dtd => "DTD or entity declaration",
            ErrorKind::UnknownEntity => "unknown entity",
            ErrorKind::DepthLimit => "nesting too deep",
            ErrorKind::SizeLimit => "document too large",
            ErrorKind::Truncated => "truncated document",
            ErrorKind::UnknownType => "unknown XML-RPC type",
            ErrorKind::Structure => "not XML-RPC",
            ErrorKind::InvalidValue => "invalid value",
            ErrorKind::IntegerOverflow => "integer out of range",
            ErrorKind::Type => "type mismatch",
            ErrorKind::Unsupported => "cannot be encoded",
            ErrorKind::Fault => "fault response",
            ErrorKind::Transport => "transport error",
        }
    }
}

struct Inner {
    kind: ErrorKind,
    message: String,
    path: String,
    offset: Option<usize>,
    fault: Option<Fault>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// An encoding or decoding error: its [`kind`](Error::kind), a message, and where it
/// happened — the [`path`](Error::path) of the value (`params[0][3].completion_ts`) and the
/// byte [`offset`](Error::offset) in the document. It never quotes the whole document.
pub struct Error {
    inner: Box<Inner>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                path: String::new(),
                offset: None,
                fault: None,
                source: None,
            }),
        }
    }

    pub(crate) fn at(kind: ErrorKind, message: impl Into<String>, offset: usize) -> Self {
        Error::new(kind, message).with_offset(offset)
    }

    pub(crate) fn from_fault(fault: Fault) -> Self {
        let mut e = Error::new(
            ErrorKind::Fault,
            format!("fault {}: {}", fault.code, truncate(&fault.string, 200)),
        );
        e.inner.fault = Some(fault);
        e
    }

    pub(crate) fn transport(source: Box<dyn std::error::Error + Send + Sync + 'static>) -> Self {
        let mut e = Error::new(ErrorKind::Transport, source.to_string());
        e.inner.source = Some(source);
        e
    }

    /// Sets the byte offset if none is known yet.
    pub(crate) fn with_offset(mut self, offset: usize) -> Self {
        if self.inner.offset.is_none() {
            self.inner.offset = Some(offset);
        }
        self
    }

    /// Adds an outer path segment (`[3]`, `.name`, `params[0]`, `fault`) in front of the path.
    pub(crate) fn prepend_path(mut self, seg: &str) -> Self {
        self.inner.path.insert_str(0, seg);
        self
    }

    pub(crate) fn prepend_index(self, index: usize) -> Self {
        self.prepend_path(&format!("[{index}]"))
    }

    pub(crate) fn prepend_key(self, key: &str) -> Self {
        let seg = path_key(key);
        self.prepend_path(&seg)
    }

    /// Removes a leading `.` (for paths relative to a root value).
    pub(crate) fn normalize_path(mut self) -> Self {
        if self.inner.path.starts_with('.') {
            self.inner.path.remove(0);
        }
        self
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The human-readable message (without path and offset).
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The path of the value where the error happened, e.g. `params[0][3].completion_ts`
    /// (empty when the error is not inside a value, e.g. a bad XML declaration).
    pub fn path(&self) -> &str {
        &self.inner.path
    }

    /// The byte offset in the document where the error was detected, when known.
    pub fn offset(&self) -> Option<usize> {
        self.inner.offset
    }

    /// The fault, for errors of kind [`ErrorKind::Fault`] (streaming decoders report fault
    /// responses this way).
    pub fn fault(&self) -> Option<&Fault> {
        self.inner.fault.as_ref()
    }

    /// Takes the fault out of an error of kind [`ErrorKind::Fault`].
    pub fn into_fault(self) -> Option<Fault> {
        self.inner.fault
    }
}

fn path_key(key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'$');
    if plain {
        format!(".{key}")
    } else {
        let mut s = String::from("[\"");
        for c in truncate(key, 64).chars() {
            match c {
                '"' => s.push_str("\\\""),
                '\\' => s.push_str("\\\\"),
                c if c.is_control() => s.push_str(&format!("\\u{{{:x}}}", c as u32)),
                c => s.push(c),
            }
        }
        s.push_str("\"]");
        s
    }
}

/// Shortens text quoted in messages, on a char boundary.
pub(crate) fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        if i.message.is_empty() {
            f.write_str(i.kind.describe())?;
        } else {
            write!(f, "{}: {}", i.kind.describe(), i.message)?;
        }
        if !i.path.is_empty() {
            let n = i.path.chars().count();
            if n > 160 {
                let head: String = i.path.chars().take(60).collect();
                let tail: String = i.path.chars().skip(n - 80).collect();
                write!(f, " at {head}…{tail}")?;
            } else {
                write!(f, " at {}", i.path)?;
            }
        }
        if let Some(off) = i.offset {
            write!(f, " (byte {off})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("message", &self.inner.message)
            .field("path", &self.inner.path)
            .field("offset", &self.inner.offset)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.inner.source {
            Some(s) => Some(&**s as &(dyn std::error::Error + 'static)),
            None => None,
        }
    }
}

impl serde::de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::new(ErrorKind::Type, msg.to_string())
    }
}

impl serde::ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::new(ErrorKind::Unsupported, msg.to_string())
    }
}

impl Error {
    /// Replaces the offset (used when a fragment's offsets are made absolute).
    pub(crate) fn relocate(mut self, offset: usize) -> Self {
        self.inner.offset = Some(offset);
        self
    }
}
