//! The purpose-built XML scanner behind the fast decoder: it knows the dozen XML-RPC
//! elements, matches the common exact spellings (`<value>`, `</member>`) with a byte
//! comparison, and falls back to general XML tag, comment, PI, CDATA and reference
//! handling only where a document uses them. It never recurses; nesting is driven (and
//! bounded) by the deserializer.

use crate::error::{Error, ErrorKind};
use crate::text::{self, is_ws};

/// Character data read by [`Scanner::text`].
#[derive(Debug)]
pub(crate) enum Text {
    /// A plain run of the input (no reference, CDATA, comment or CR inside).
    Range(usize, usize),
    /// Decoded text.
    Owned(String),
}

/// A start tag.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tag<'s> {
    /// The name as written (`ex:nil`), for matching the end tag.
    pub(crate) raw: &'s [u8],
    /// How many bytes of `raw` precede the local name (3 for `ex:nil`).
    pub(crate) prefix: u32,
    /// `<x/>`.
    pub(crate) empty: bool,
    /// Offset of the `<`.
    pub(crate) at: usize,
}

impl<'s> Tag<'s> {
    /// The name without prefix (`nil`).
    #[inline(always)]
    pub(crate) fn local(&self) -> &'s [u8] {
        self.raw.get(self.prefix as usize..).unwrap_or(&[])
    }
}

/// What [`Scanner::tag`] found.
pub(crate) enum Next<'s> {
    Start(Tag<'s>),
    End(&'s [u8]),
    Eof,
}

/// Byte classes for character data.
const PLAIN: u8 = 0;
const LT: u8 = 1;
const AMP: u8 = 2;
const CR: u8 = 3;
const RBRACKET: u8 = 4;
const CTRL: u8 = 5;
const HIGH: u8 = 6;

static CLASS: [u8; 256] = {
    let mut t = [PLAIN; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = CTRL;
        i += 1;
    }
    t[b'\t' as usize] = PLAIN;
    t[b'\n' as usize] = PLAIN;
    t[b'\r' as usize] = CR;
    t[b'<' as usize] = LT;
    t[b'&' as usize] = AMP;
    t[b']' as usize] = RBRACKET;
    let mut i = 0x80;
    while i < 0x100 {
        t[i] = HIGH;
        i += 1;
    }
    t
};

/// A forward-only scanner over a UTF-8 document.
pub(crate) struct Scanner<'s> {
    pub(crate) s: &'s str,
    pub(crate) b: &'s [u8],
    pub(crate) pos: usize,
    /// Inside the root element (character data and CDATA are allowed).
    pub(crate) in_root: bool,
}

/// Whether `rest` starts with `lit`. Inlined with a literal `lit` (a few bytes long,
/// where a call to `memcmp` costs more than the comparison), it compiles to one or two
/// word comparisons: literals of 4 to 16 bytes are compared as two overlapping words.
#[inline(always)]
pub(crate) fn starts(rest: &[u8], lit: &[u8]) -> bool {
    let n = lit.len();
    if rest.len() < n {
        return false;
    }
    match n {
        8..=16 => word8(rest, 0) == word8(lit, 0) && word8(rest, n - 8) == word8(lit, n - 8),
        4..=7 => word4(rest, 0) == word4(lit, 0) && word4(rest, n - 4) == word4(lit, n - 4),
        _ => {
            let mut i = 0;
            while i < n {
                if rest[i] != lit[i] {
                    return false;
                }
                i += 1;
            }
            true
        }
    }
}

/// The eight bytes of `b` at `at` as a word (zero where `b` is too short, which the
/// callers rule out).
#[inline(always)]
fn word8(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
        .map_or(0, u64::from_ne_bytes)
}

/// The four bytes of `b` at `at` as a word (zero where `b` is too short).
#[inline(always)]
fn word4(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .and_then(|w| <[u8; 4]>::try_from(w).ok())
        .map_or(0, u32::from_ne_bytes)
}

/// Whether `rest` starts with the end tag `</raw>`.
#[inline(always)]
pub(crate) fn starts_end(rest: &[u8], raw: &[u8]) -> bool {
    rest.len() >= raw.len() + 3
        && rest[0] == b'<'
        && rest[1] == b'/'
        && starts(&rest[2..], raw)
        && rest[2 + raw.len()] == b'>'
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of the word needs a closer look in character data: `<`, `&`, `]`,
/// a control character (including tab, LF, CR) or a non-ASCII byte.
#[inline(always)]
fn word_special(x: u64) -> bool {
    let eq = |c: u8| {
        let y = x ^ (LO * u64::from(c));
        y.wrapping_sub(LO) & !y & HI
    };
    let below_space = x.wrapping_sub(LO * 0x20) & !x & HI;
    (eq(b'<') | eq(b'&') | eq(b']') | below_space | (x & HI)) != 0
}

/// The end of the run of plain character data (nothing [`word_special`] flags) that
/// starts at `i`: eight bytes at a time, then byte by byte.
#[inline(always)]
fn plain_run(b: &[u8], mut i: usize) -> usize {
    while let Some(w) = b.get(i..i + 8).and_then(|c| <[u8; 8]>::try_from(c).ok()) {
        if word_special(u64::from_le_bytes(w)) {
            break;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if CLASS[c as usize] != PLAIN {
            break;
        }
        i += 1;
    }
    i
}

fn name_byte(c: u8) -> bool {
    !(is_ws(c) || c == b'/' || c == b'>')
}

impl<'s> Scanner<'s> {
    pub(crate) fn new(s: &'s str) -> Self {
        Scanner {
            s,
            b: s.as_bytes(),
            pos: 0,
            in_root: false,
        }
    }

    pub(crate) fn err(&self, kind: ErrorKind, msg: impl Into<String>) -> Error {
        Error::at(kind, msg, self.pos)
    }

    fn err_at(&self, kind: ErrorKind, msg: impl Into<String>, at: usize) -> Error {
        Error::at(kind, msg, at)
    }

    fn rest(&self) -> &'s [u8] {
        self.b.get(self.pos..).unwrap_or(&[])
    }

    pub(crate) fn at_eof(&self) -> bool {
        self.pos >= self.b.len()
    }

    pub(crate) fn slice(&self, a: usize, b: usize) -> &'s str {
        self.s.get(a..b).unwrap_or("")
    }

    pub(crate) fn text_str<'t>(&self, t: &'t Text) -> &'t str
    where
        's: 't,
    {
        match t {
            Text::Range(a, b) => self.slice(*a, *b),
            Text::Owned(s) => s,
        }
    }

    /// Checks characters XML forbids in a stretch of comment, PI or CDATA content.
    fn check_chars(&self, from: usize, to: usize) -> Result<(), Error> {
        let seg = self.b.get(from..to).unwrap_or(&[]);
        for (i, &c) in seg.iter().enumerate() {
            match CLASS[c as usize] {
                CTRL => {
                    return Err(self.err_at(
                        ErrorKind::InvalidChar,
                        format!("character U+{c:04X} is not allowed in XML"),
                        from + i,
                    ));
                }
                HIGH if c == 0xEF => self.check_ef(from + i)?,
                _ => {}
            }
        }
        Ok(())
    }

    /// U+FFFE and U+FFFF (EF BF BE/BF) are not XML characters.
    fn check_ef(&self, at: usize) -> Result<(), Error> {
        if self.b.get(at + 1) == Some(&0xBF) && matches!(self.b.get(at + 2), Some(0xBE | 0xBF)) {
            return Err(self.err_at(
                ErrorKind::InvalidChar,
                "U+FFFE/U+FFFF is not allowed in XML",
                at,
            ));
        }
        Ok(())
    }

    /// Skips a comment at `pos` (which starts with `<!--`).
    fn comment(&mut self) -> Result<(), Error> {
        let start = self.pos;
        let body = start + 4;
        let Some(i) = memchr::memmem::find(self.b.get(body..).unwrap_or(&[]), b"--") else {
            self.pos = self.b.len();
            return Err(self.err_at(ErrorKind::Truncated, "unterminated comment", start));
        };
        let dash = body + i;
        if self.b.get(dash + 2) != Some(&b'>') {
            if dash + 2 >= self.b.len() {
                return Err(self.err_at(ErrorKind::Truncated, "unterminated comment", start));
            }
            return Err(self.err_at(ErrorKind::Syntax, "'--' inside a comment", dash));
        }
        self.check_chars(body, dash)?;
        if dash > body && self.b.get(dash - 1) == Some(&b'-') {
            return Err(self.err_at(ErrorKind::Syntax, "comment ends with '--->'", dash));
        }
        self.pos = dash + 3;
        Ok(())
    }

    /// Skips a processing instruction at `pos` (which starts with `<?`).
    fn pi(&mut self) -> Result<(), Error> {
        let start = self.pos;
        let Some(i) = memchr::memmem::find(self.b.get(start + 2..).unwrap_or(&[]), b"?>") else {
            return Err(self.err_at(
                ErrorKind::Truncated,
                "unterminated processing instruction",
                start,
            ));
        };
        let end = start + 2 + i;
        let inner = self.b.get(start + 2..end).unwrap_or(&[]);
        let tlen = inner.iter().position(|&c| is_ws(c)).unwrap_or(inner.len());
        let target = inner.get(..tlen).unwrap_or(&[]);
        if target.eq_ignore_ascii_case(b"xml") {
            return Err(self.err_at(ErrorKind::Syntax, "XML declaration not at the start", start));
        }
        if text::local_name(target).is_none() || target.contains(&b':') {
            return Err(self.err_at(
                ErrorKind::Syntax,
                "invalid processing instruction target",
                start,
            ));
        }
        self.check_chars(start + 2, end)?;
        self.pos = end + 2;
        Ok(())
    }

    /// Reads the XML declaration, if the document starts with one (after a BOM).
    pub(crate) fn prolog(&mut self) -> Result<(), Error> {
        if self.b.starts_with(&[0xEF, 0xBB, 0xBF]) {
            self.pos = 3;
        }
        let rest = self.rest();
        if rest.starts_with(b"<?xml") && rest.get(5).is_some_and(|&c| is_ws(c) || c == b'?') {
            let start = self.pos;
            let Some(i) = memchr::memmem::find(rest, b"?>") else {
                return Err(self.err(ErrorKind::Truncated, "unterminated XML declaration"));
            };
            let content = rest.get(5..i).unwrap_or(&[]);
            if let Err((k, m)) = text::check_decl(content) {
                return Err(self.err_at(k, m, start));
            }
            self.pos += i + 2;
        }
        Ok(())
    }

    /// Appends CDATA content at `pos` (starting with `<![CDATA[`) to `out`.
    fn cdata(&mut self, out: &mut String) -> Result<(), Error> {
        let start = self.pos;
        if !self.in_root {
            return Err(self.err(ErrorKind::Syntax, "CDATA outside the root element"));
        }
        let body = start + 9;
        let Some(i) = memchr::memmem::find(self.b.get(body..).unwrap_or(&[]), b"]]>") else {
            return Err(self.err_at(ErrorKind::Truncated, "unterminated CDATA section", start));
        };
        let end = body + i;
        self.check_chars(body, end)?;
        push_normalized(out, self.slice(body, end));
        self.pos = end + 3;
        Ok(())
    }

    /// Reads character data (with references, CDATA, comments and PIs) up to the next
    /// start or end tag, or the end of input.
    #[inline(always)]
    pub(crate) fn text(&mut self) -> Result<Text, Error> {
        // The common case inline: plain ASCII up to a tag.
        let b = self.b;
        let start = self.pos;
        let i = plain_run(b, start);
        if b.get(i) == Some(&b'<') && !matches!(b.get(i + 1), Some(b'!' | b'?')) {
            self.pos = i;
            return Ok(Text::Range(start, i));
        }
        self.text_general()
    }

    /// [`text`](Self::text) for everything: references, CDATA, comments, PIs, CR,
    /// non-ASCII and forbidden characters, the end of input.
    #[inline(never)]
    fn text_general(&mut self) -> Result<Text, Error> {
        let b = self.b;
        let start = self.pos;
        let mut i = start;
        let mut run = start;
        let mut owned: Option<String> = None;
        loop {
            i = plain_run(b, i);
            let Some(&c) = b.get(i) else {
                break;
            };
            match CLASS[c as usize] {
                HIGH => {
                    if c == 0xEF {
                        self.check_ef(i)?;
                    }
                    i += 1;
                }
                RBRACKET => {
                    if b.get(i + 1) == Some(&b']') && b.get(i + 2) == Some(&b'>') {
                        return Err(self.err_at(ErrorKind::Syntax, "']]>' in character data", i));
                    }
                    i += 1;
                }
                CTRL => {
                    return Err(self.err_at(
                        ErrorKind::InvalidChar,
                        format!("character U+{c:04X} is not allowed in XML"),
                        i,
                    ));
                }
                CR => {
                    let o = owned.get_or_insert_with(String::new);
                    o.push_str(self.slice(run, i));
                    o.push('\n');
                    i += if b.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
                    run = i;
                }
                AMP => {
                    if !self.in_root {
                        return Err(self.err_at(
                            ErrorKind::Syntax,
                            "reference outside the root element",
                            i,
                        ));
                    }
                    let name_start = i + 1;
                    let Some(semi) = b
                        .get(name_start..b.len().min(name_start + 40))
                        .and_then(|s| memchr::memchr(b';', s))
                    else {
                        if b.len() < name_start + 40 {
                            return Err(self.err_at(
                                ErrorKind::Truncated,
                                "unterminated reference",
                                i,
                            ));
                        }
                        return Err(self.err_at(ErrorKind::Syntax, "unterminated reference", i));
                    };
                    let name = b.get(name_start..name_start + semi).unwrap_or(&[]);
                    let ch =
                        text::resolve_reference(name).map_err(|(k, m)| self.err_at(k, m, i))?;
                    let o = owned.get_or_insert_with(String::new);
                    o.push_str(self.slice(run, i));
                    o.push(ch);
                    i = name_start + semi + 1;
                    run = i;
                }
                _ => {
                    // '<': the end of the text, unless a comment, CDATA or PI.
                    if !matches!(b.get(i + 1), Some(b'!' | b'?')) {
                        break;
                    }
                    let after = b.get(i + 1..).unwrap_or(&[]);
                    if after.starts_with(b"!--") {
                        let o = owned.get_or_insert_with(String::new);
                        o.push_str(self.slice(run, i));
                        self.pos = i;
                        self.comment()?;
                        i = self.pos;
                        run = i;
                    } else if after.starts_with(b"![CDATA[") {
                        let mut o = owned.take().unwrap_or_default();
                        o.push_str(self.slice(run, i));
                        self.pos = i;
                        self.cdata(&mut o)?;
                        owned = Some(o);
                        i = self.pos;
                        run = i;
                    } else if after.starts_with(b"?") {
                        let o = owned.get_or_insert_with(String::new);
                        o.push_str(self.slice(run, i));
                        self.pos = i;
                        self.pi()?;
                        i = self.pos;
                        run = i;
                    } else {
                        break;
                    }
                }
            }
        }
        self.pos = i;
        Ok(match owned {
            None => Text::Range(start, i),
            Some(mut o) => {
                o.push_str(self.slice(run, i));
                Text::Owned(o)
            }
        })
    }

    /// Skips whitespace, comments and PIs (and character data that decodes to
    /// whitespace); anything else before the next tag is an error.
    #[inline(always)]
    pub(crate) fn misc(&mut self) -> Result<(), Error> {
        let b = self.b;
        let mut i = self.pos;
        while b.get(i).is_some_and(|&c| is_ws(c)) {
            i += 1;
        }
        self.pos = i;
        match b.get(i) {
            None => Ok(()),
            Some(b'<') if !matches!(b.get(i + 1), Some(b'!' | b'?')) => Ok(()),
            _ => self.misc_slow(),
        }
    }

    #[cold]
    fn misc_slow(&mut self) -> Result<(), Error> {
        let at = self.pos;
        let t = self.text()?;
        if !text::is_all_ws(self.text_str(&t)) {
            return Err(self.err_at(ErrorKind::Syntax, "unexpected text between elements", at));
        }
        Ok(())
    }

    /// Reads a start or end tag at `pos` (after [`misc`](Self::misc)).
    pub(crate) fn tag(&mut self) -> Result<Next<'s>, Error> {
        let b = self.b;
        let start = self.pos;
        match b.get(start) {
            None => return Ok(Next::Eof),
            Some(b'<') => {}
            Some(_) => return Err(self.err(ErrorKind::Syntax, "expected a tag")),
        }
        if b.get(start + 1) == Some(&b'/') {
            let ns = start + 2;
            let mut i = ns;
            while b.get(i).is_some_and(|&c| name_byte(c)) {
                i += 1;
            }
            let raw = b.get(ns..i).unwrap_or(&[]);
            while b.get(i).is_some_and(|&c| is_ws(c)) {
                i += 1;
            }
            match b.get(i) {
                Some(b'>') => {}
                None => return Err(self.err(ErrorKind::Truncated, "unterminated end tag")),
                Some(_) => return Err(self.err(ErrorKind::Syntax, "malformed end tag")),
            }
            if text::local_name(raw).is_none() {
                return Err(self.err(ErrorKind::Syntax, "invalid element name"));
            }
            self.pos = i + 1;
            return Ok(Next::End(raw));
        }
        if b.get(start + 1) == Some(&b'!') {
            let rest = self.rest();
            if rest.starts_with(b"<!DOCTYPE") {
                return Err(self.err(ErrorKind::Dtd, "document type declarations are not allowed"));
            }
            if rest.len() < 9
                && (b"<!DOCTYPE".starts_with(rest)
                    || b"<![CDATA[".starts_with(rest)
                    || b"<!--".starts_with(rest))
            {
                return Err(self.err(ErrorKind::Truncated, "document ends inside markup"));
            }
            return Err(self.err(ErrorKind::Syntax, "unexpected markup declaration"));
        }
        let ns = start + 1;
        let mut i = ns;
        while b.get(i).is_some_and(|&c| name_byte(c)) {
            i += 1;
        }
        let raw = b.get(ns..i).unwrap_or(&[]);
        if i >= b.len() {
            return Err(self.err(ErrorKind::Truncated, "unterminated start tag"));
        }
        let Some(local) = text::local_name(raw) else {
            return Err(self.err(ErrorKind::Syntax, "invalid element name"));
        };
        let Ok(prefix) = u32::try_from(raw.len() - local.len()) else {
            return Err(self.err(ErrorKind::Syntax, "element name prefix too long"));
        };
        let empty;
        match b.get(i) {
            Some(b'>') => {
                empty = false;
                i += 1;
            }
            Some(b'/') => {
                match b.get(i + 1) {
                    Some(b'>') => {}
                    None => return Err(self.err(ErrorKind::Truncated, "unterminated start tag")),
                    _ => return Err(self.err(ErrorKind::Syntax, "malformed start tag")),
                }
                empty = true;
                i += 2;
            }
            _ => {
                let (e, next) = self.attributes(i)?;
                empty = e;
                i = next;
            }
        }
        self.pos = i;
        Ok(Next::Start(Tag {
            raw,
            prefix,
            empty,
            at: start,
        }))
    }

    /// Parses (and ignores) attributes starting at whitespace `i`; returns whether the
    /// tag is empty and the position after it.
    fn attributes(&self, mut i: usize) -> Result<(bool, usize), Error> {
        let b = self.b;
        let mut names: Vec<&[u8]> = Vec::new();
        loop {
            let ws_start = i;
            while b.get(i).is_some_and(|&c| is_ws(c)) {
                i += 1;
            }
            match b.get(i) {
                None => return Err(self.err_at(ErrorKind::Truncated, "unterminated start tag", i)),
                Some(b'>') => return Ok((false, i + 1)),
                Some(b'/') => {
                    return match b.get(i + 1) {
                        Some(b'>') => Ok((true, i + 2)),
                        None => Err(self.err_at(ErrorKind::Truncated, "unterminated start tag", i)),
                        _ => Err(self.err_at(ErrorKind::Syntax, "malformed start tag", i)),
                    };
                }
                _ => {}
            }
            if i == ws_start {
                return Err(self.err_at(
                    ErrorKind::Syntax,
                    "missing whitespace between attributes",
                    i,
                ));
            }
            let ns = i;
            while b
                .get(i)
                .is_some_and(|&c| !(is_ws(c) || c == b'=' || c == b'>' || c == b'/'))
            {
                i += 1;
            }
            let name = b.get(ns..i).unwrap_or(&[]);
            if text::local_name(name).is_none() {
                return Err(self.err_at(ErrorKind::Syntax, "invalid attribute name", ns));
            }
            if names.contains(&name) {
                return Err(self.err_at(ErrorKind::Syntax, "duplicate attribute", ns));
            }
            names.push(name);
            while b.get(i).is_some_and(|&c| is_ws(c)) {
                i += 1;
            }
            match b.get(i) {
                Some(b'=') => i += 1,
                None => return Err(self.err_at(ErrorKind::Truncated, "unterminated start tag", i)),
                _ => return Err(self.err_at(ErrorKind::Syntax, "attribute without value", i)),
            }
            while b.get(i).is_some_and(|&c| is_ws(c)) {
                i += 1;
            }
            let q = match b.get(i) {
                Some(&q @ (b'"' | b'\'')) => q,
                None => return Err(self.err_at(ErrorKind::Truncated, "unterminated start tag", i)),
                _ => return Err(self.err_at(ErrorKind::Syntax, "unquoted attribute value", i)),
            };
            i += 1;
            let vs = i;
            let Some(len) = memchr::memchr(q, b.get(vs..).unwrap_or(&[])) else {
                return Err(self.err_at(ErrorKind::Truncated, "unterminated attribute value", vs));
            };
            let ve = vs + len;
            let value = b.get(vs..ve).unwrap_or(&[]);
            if let Some(p) = memchr::memchr(b'<', value) {
                return Err(self.err_at(ErrorKind::Syntax, "'<' in an attribute value", vs + p));
            }
            self.check_chars(vs, ve)?;
            let mut k = 0;
            while let Some(p) = memchr::memchr(b'&', value.get(k..).unwrap_or(&[])) {
                let rs = k + p + 1;
                let Some(semi) = memchr::memchr(b';', value.get(rs..).unwrap_or(&[])) else {
                    return Err(self.err_at(
                        ErrorKind::Syntax,
                        "unterminated reference in an attribute value",
                        vs + k + p,
                    ));
                };
                let name = value.get(rs..rs + semi).unwrap_or(&[]);
                text::resolve_reference(name).map_err(|(kd, m)| self.err_at(kd, m, vs + k + p))?;
                k = rs + semi + 1;
            }
            i = ve + 1;
        }
    }

    /// After an `<array>` start tag: the `<data>` start tag, or `None` when the array
    /// closes at once (`<array/>`, `<array></array>`).
    #[inline]
    pub(crate) fn open_data(&mut self, array: &Tag<'s>) -> Result<Option<Tag<'s>>, Error> {
        if array.empty {
            return Ok(None);
        }
        let p = self.pos;
        if starts(self.rest(), b"<data>") {
            self.pos += 6;
            return Ok(Some(Tag {
                raw: b"data",
                prefix: 0,
                empty: false,
                at: p,
            }));
        }
        self.misc()?;
        match self.tag()? {
            Next::End(r) if r == array.raw => Ok(None),
            Next::Start(d) if d.local() == b"data" => Ok(Some(d)),
            Next::Eof => Err(self.err(ErrorKind::Truncated, "document ends inside <array>")),
            Next::End(_) => Err(self.err(ErrorKind::Syntax, "mismatched end tag")),
            Next::Start(_) => Err(self.err(ErrorKind::Structure, "expected <data>")),
        }
    }

    /// Inside an array's `<data>`: the start tag of item `index`, or `None` at the end
    /// tag `</data_raw>`. Errors name the item.
    #[inline(always)]
    pub(crate) fn next_item(
        &mut self,
        data_raw: &[u8],
        index: usize,
    ) -> Result<Option<Tag<'s>>, Error> {
        self.misc().map_err(|e| e.prepend_index(index))?;
        let p = self.pos;
        if starts(self.rest(), b"<value>") {
            self.pos += 7;
            return Ok(Some(Tag {
                raw: b"value",
                prefix: 0,
                empty: false,
                at: p,
            }));
        }
        let r = match self.tag() {
            Ok(Next::End(r)) if r == data_raw => return Ok(None),
            Ok(Next::Start(t)) if t.local() == b"value" => return Ok(Some(t)),
            Ok(Next::Eof) => self.err(ErrorKind::Truncated, "document ends inside <data>"),
            Ok(Next::End(_)) => self.err(ErrorKind::Syntax, "mismatched end tag"),
            Ok(Next::Start(_)) => self.err(ErrorKind::Structure, "expected <value> or </data>"),
            Err(e) => e,
        };
        Err(r.prepend_index(index))
    }

    /// Inside a `<struct>`: the next member's tag name as written and its `<name>`
    /// start tag, or `None` at the end tag `</struct_raw>`.
    #[inline(always)]
    pub(crate) fn next_member(
        &mut self,
        struct_raw: &[u8],
    ) -> Result<Option<(&'s [u8], Tag<'s>)>, Error> {
        self.misc()?;
        let p = self.pos;
        // Python's layout: "<member>\n<name>" in one comparison.
        if starts(self.rest(), b"<member>\n<name>") {
            self.pos += 15;
            let name = Tag {
                raw: b"name",
                prefix: 0,
                empty: false,
                at: p + 9,
            };
            return Ok(Some((b"member", name)));
        }
        let member = if starts(self.rest(), b"<member>") {
            self.pos += 8;
            Tag {
                raw: b"member",
                prefix: 0,
                empty: false,
                at: p,
            }
        } else {
            match self.tag()? {
                Next::End(r) if r == struct_raw => return Ok(None),
                Next::Start(t) if t.local() == b"member" => t,
                Next::Eof => {
                    return Err(self.err(ErrorKind::Truncated, "document ends inside <struct>"));
                }
                Next::End(_) => return Err(self.err(ErrorKind::Syntax, "mismatched end tag")),
                Next::Start(_) => {
                    return Err(self.err(ErrorKind::Structure, "expected <member> or </struct>"));
                }
            }
        };
        if member.empty {
            return Err(Error::at(
                ErrorKind::Structure,
                "<member> without <name>",
                member.at,
            ));
        }
        let name = self.expect_start(b"name")?;
        Ok(Some((member.raw, name)))
    }

    /// After a member's `</name>`: the start tag of its `<value>`.
    #[inline(always)]
    pub(crate) fn member_value(&mut self) -> Result<Tag<'s>, Error> {
        let p = self.pos;
        if starts(self.rest(), b"\n<value>") {
            self.pos += 8;
            return Ok(Tag {
                raw: b"value",
                prefix: 0,
                empty: false,
                at: p + 1,
            });
        }
        self.expect_start(b"value")
    }

    /// After a member's value: the member's end tag (`member_raw` as written).
    #[inline(always)]
    pub(crate) fn member_end(&mut self, member_raw: &[u8]) -> Result<(), Error> {
        if member_raw == b"member" && starts(self.rest(), b"\n</member>") {
            self.pos += 10;
            return Ok(());
        }
        self.expect_end(member_raw)
    }

    /// Expects a start tag with local name `local` (after whitespace and comments).
    #[inline]
    pub(crate) fn expect_start(&mut self, local: &'static [u8]) -> Result<Tag<'s>, Error> {
        self.misc()?;
        let rest = self.rest();
        if rest.len() > local.len() + 1
            && rest[0] == b'<'
            && starts(&rest[1..], local)
            && rest[local.len() + 1] == b'>'
        {
            let at = self.pos;
            self.pos += local.len() + 2;
            return Ok(Tag {
                raw: local,
                prefix: 0,
                empty: false,
                at,
            });
        }
        match self.tag()? {
            Next::Start(t) if t.local() == local => Ok(t),
            Next::Eof => Err(self.err(ErrorKind::Truncated, format!("expected <{}>", show(local)))),
            _ => Err(self.err(ErrorKind::Structure, format!("expected <{}>", show(local)))),
        }
    }

    /// Expects the end tag `</raw>` (after whitespace and comments).
    #[inline]
    pub(crate) fn expect_end(&mut self, raw: &[u8]) -> Result<(), Error> {
        self.misc()?;
        if starts_end(self.rest(), raw) {
            self.pos += raw.len() + 3;
            return Ok(());
        }
        self.end_slow(raw)
    }

    #[cold]
    fn end_slow(&mut self, raw: &[u8]) -> Result<(), Error> {
        match self.tag()? {
            Next::End(r) if r == raw => Ok(()),
            Next::End(_) => Err(self.err(
                ErrorKind::Syntax,
                format!("mismatched end tag, expected </{}>", show(raw)),
            )),
            Next::Eof => Err(self.err(ErrorKind::Truncated, format!("expected </{}>", show(raw)))),
            Next::Start(_) => {
                Err(self.err(ErrorKind::Structure, format!("expected </{}>", show(raw))))
            }
        }
    }

    /// Reads the text of a leaf element whose start tag `t` was just read, through its
    /// end tag.
    #[inline(always)]
    pub(crate) fn leaf(&mut self, t: &Tag<'_>) -> Result<Text, Error> {
        if t.empty {
            return Ok(Text::Range(self.pos, self.pos));
        }
        let text = self.text()?;
        // Fast path: the end tag right away.
        let raw = t.raw;
        if starts_end(self.rest(), raw) {
            self.pos += raw.len() + 3;
            return Ok(text);
        }
        match self.tag()? {
            Next::End(r) if r == raw => Ok(text),
            Next::End(_) => Err(self.err(
                ErrorKind::Syntax,
                format!("mismatched end tag, expected </{}>", show(raw)),
            )),
            Next::Eof => Err(self.err(ErrorKind::Truncated, "document ends inside a value")),
            Next::Start(_) => Err(self.err(ErrorKind::Structure, "element inside a text value")),
        }
    }

    /// After the root element: only whitespace, comments and PIs.
    pub(crate) fn epilog(&mut self) -> Result<(), Error> {
        self.in_root = false;
        self.misc()?;
        if !self.at_eof() {
            return Err(self.err(ErrorKind::Syntax, "content after the root element"));
        }
        Ok(())
    }
}

fn push_normalized(out: &mut String, s: &str) {
    if !s.contains('\r') {
        out.push_str(s);
        return;
    }
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
}

pub(crate) fn show(name: &[u8]) -> String {
    String::from_utf8_lossy(name.get(..name.len().min(40)).unwrap_or(&[])).into_owned()
}
