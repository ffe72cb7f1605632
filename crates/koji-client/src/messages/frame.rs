//! STOMP 1.1/1.2 frames: an incremental decoder and an encoder, no I/O.
//!
//! Header values are kept as bytes because brokers may put binary data in
//! them (RabbitMQ's `x-amqp-1.0-app-properties`). Escapes (`\n`, `\r`, `\c`,
//! `\\`) are undone on decoding and applied on encoding, except in
//! `CONNECT`/`CONNECTED` frames, where STOMP 1.2 forbids them.
//!
//! ```
//! use koji_client::messages::frame::StompFrame;
//!
//! let wire = b"MESSAGE\ndestination:/topic/koji.build.tag\ntype:Tag\n\n{}\0";
//! let (frame, used) = StompFrame::decode(wire, usize::MAX).unwrap().unwrap();
//! assert_eq!(used, wire.len());
//! assert_eq!(frame.command, "MESSAGE");
//! assert_eq!(frame.header_str("type"), Some("Tag"));
//! assert_eq!(frame.body, b"{}");
//! ```

/// Longest header section accepted, in bytes (the body has its own limit).
pub const MAX_HEADER_BYTES: usize = 1 << 20;

/// One STOMP frame.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct StompFrame {
    /// The command (`MESSAGE`, `CONNECTED`, `ERROR`, `SUBSCRIBE`, …).
    pub command: String,
    /// Headers in wire order, names and values unescaped. Repeated names
    /// are kept; [`StompFrame::header`] returns the first, as STOMP says.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl std::fmt::Debug for StompFrame {
    // Header values may hold passwords (CONNECT's `passcode`): never print them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, String)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                let shown = if k == "passcode" || k == "login" {
                    "<redacted>".to_owned()
                } else {
                    String::from_utf8_lossy(v).into_owned()
                };
                (k.as_str(), shown)
            })
            .collect();
        f.debug_struct("StompFrame")
            .field("command", &self.command)
            .field("headers", &headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// What was wrong with a STOMP frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid STOMP frame at byte {offset}: {reason}")]
pub struct FrameError {
    /// Byte offset in the decoded buffer.
    pub offset: usize,
    /// What was wrong.
    pub reason: String,
}

/// What [`StompFrame::decode`] found at the start of a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A complete frame, and the number of bytes it used.
    Frame(StompFrame, usize),
    /// Only end-of-line heart-beats: this many bytes can be dropped.
    HeartBeat(usize),
}

fn escapes_apply(command: &str) -> bool {
    command != "CONNECT" && command != "CONNECTED"
}

fn unescape(raw: &[u8], offset: usize) -> Result<Vec<u8>, FrameError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut it = raw.iter().enumerate();
    while let Some((i, &b)) = it.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match it.next() {
            Some((_, b'n')) => out.push(b'\n'),
            Some((_, b'r')) => out.push(b'\r'),
            Some((_, b'c')) => out.push(b':'),
            Some((_, b'\\')) => out.push(b'\\'),
            Some((_, other)) => {
                return Err(FrameError {
                    offset: offset + i,
                    reason: format!("undefined header escape \\{}", char::from(*other)),
                });
            }
            None => {
                return Err(FrameError {
                    offset: offset + i,
                    reason: "header ends with a lone backslash".into(),
                });
            }
        }
    }
    Ok(out)
}

fn escape_into(out: &mut Vec<u8>, raw: &[u8]) {
    for &b in raw {
        match b {
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b':' => out.extend_from_slice(b"\\c"),
            b'\\' => out.extend_from_slice(b"\\\\"),
            _ => out.push(b),
        }
    }
}

impl StompFrame {
    /// A frame with a command and no headers or body.
    pub fn new(command: impl Into<String>) -> Self {
        StompFrame {
            command: command.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header (builder style).
    pub fn with_header(mut self, name: impl Into<String>, value: impl AsRef<[u8]>) -> Self {
        self.headers.push((name.into(), value.as_ref().to_vec()));
        self
    }

    /// Sets the body (builder style).
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_slice())
    }

    /// The first value of header `name`, if it is UTF-8.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Decodes the frame at the start of `buf`.
    ///
    /// Returns `Ok(None)` when more bytes are needed, [`Decoded::HeartBeat`]
    /// when `buf` starts with end-of-line heart-beats, and an error for a
    /// frame that can never become valid (or whose body exceeds
    /// `max_body` bytes, or whose headers exceed [`MAX_HEADER_BYTES`]).
    pub fn decode_step(buf: &[u8], max_body: usize) -> Result<Option<Decoded>, FrameError> {
        let eols = buf
            .iter()
            .take_while(|b| **b == b'\n' || **b == b'\r')
            .count();
        if eols > 0 {
            return Ok(Some(Decoded::HeartBeat(eols)));
        }
        // The header section ends at the first empty line.
        let Some(head_end) = find_blank_line(buf) else {
            if buf.len() > MAX_HEADER_BYTES {
                return Err(FrameError {
                    offset: 0,
                    reason: format!("header section longer than {MAX_HEADER_BYTES} bytes"),
                });
            }
            return Ok(None);
        };
        let (head_len, body_start) = head_end;
        let head = &buf[..head_len];
        let mut lines = split_lines(head);
        let (cmd_off, cmd_line) = lines.next().unwrap_or((0, &[][..]));
        let command = std::str::from_utf8(cmd_line)
            .ok()
            .filter(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_uppercase()))
            .ok_or_else(|| FrameError {
                offset: cmd_off,
                reason: format!(
                    "bad command line {:?}",
                    String::from_utf8_lossy(&cmd_line[..cmd_line.len().min(40)])
                ),
            })?
            .to_owned();
        let escaped = escapes_apply(&command);
        let mut headers = Vec::new();
        for (off, line) in lines {
            let colon = line
                .iter()
                .position(|b| *b == b':')
                .ok_or_else(|| FrameError {
                    offset: off,
                    reason: "header line without ':'".into(),
                })?;
            let (name, value) = (&line[..colon], &line[colon + 1..]);
            let (name, value) = if escaped {
                (unescape(name, off)?, unescape(value, off + colon + 1)?)
            } else {
                (name.to_vec(), value.to_vec())
            };
            let name = String::from_utf8(name).map_err(|_| FrameError {
                offset: off,
                reason: "header name is not UTF-8".into(),
            })?;
            headers.push((name, value));
        }
        let mut frame = StompFrame {
            command,
            headers,
            body: Vec::new(),
        };
        let rest = &buf[body_start..];
        let content_length = match frame.header("content-length") {
            None => None,
            Some(v) => Some(
                std::str::from_utf8(v)
                    .ok()
                    .and_then(|s| s.trim().parse::<usize>().ok())
                    .ok_or_else(|| FrameError {
                        offset: 0,
                        reason: format!(
                            "content-length {:?} is not a number",
                            String::from_utf8_lossy(v)
                        ),
                    })?,
            ),
        };
        let body_len = match content_length {
            Some(n) => {
                if n > max_body {
                    return Err(FrameError {
                        offset: body_start,
                        reason: format!("body of {n} bytes exceeds the limit of {max_body}"),
                    });
                }
                if rest.len() <= n {
                    return Ok(None);
                }
                if rest[n] != 0 {
                    return Err(FrameError {
                        offset: body_start + n,
                        reason: "body is not followed by NUL at content-length".into(),
                    });
                }
                n
            }
            None => match rest.iter().position(|b| *b == 0) {
                Some(n) => n,
                None if rest.len() > max_body => {
                    return Err(FrameError {
                        offset: body_start,
                        reason: format!("body exceeds the limit of {max_body} bytes"),
                    });
                }
                None => return Ok(None),
            },
        };
        frame.body = rest[..body_len].to_vec();
        Ok(Some(Decoded::Frame(frame, body_start + body_len + 1)))
    }

    /// Decodes the first frame in `buf`, skipping heart-beats before it.
    /// Returns the frame and the bytes used, or `Ok(None)` if incomplete.
    pub fn decode(buf: &[u8], max_body: usize) -> Result<Option<(StompFrame, usize)>, FrameError> {
        let mut skipped = 0;
        loop {
            let rest = &buf[skipped..];
            match Self::decode_step(rest, max_body).map_err(|mut e| {
                e.offset += skipped;
                e
            })? {
                None => return Ok(None),
                Some(Decoded::HeartBeat(n)) => skipped += n,
                Some(Decoded::Frame(f, n)) => return Ok(Some((f, skipped + n))),
            }
        }
    }

    /// Encodes the frame (escaping headers unless CONNECT/CONNECTED). A
    /// `content-length` header is added when the body is not empty and none
    /// was given.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.body.len());
        out.extend_from_slice(self.command.as_bytes());
        out.push(b'\n');
        let escaped = escapes_apply(&self.command);
        for (name, value) in &self.headers {
            if escaped {
                escape_into(&mut out, name.as_bytes());
                out.push(b':');
                escape_into(&mut out, value);
            } else {
                out.extend_from_slice(name.as_bytes());
                out.push(b':');
                out.extend_from_slice(value);
            }
            out.push(b'\n');
        }
        if !self.body.is_empty() && self.header("content-length").is_none() {
            out.extend_from_slice(format!("content-length:{}\n", self.body.len()).as_bytes());
        }
        out.push(b'\n');
        out.extend_from_slice(&self.body);
        out.push(0);
        out
    }
}

/// Finds the end of the header section: returns (length of the header
/// lines without the final line terminator, start of the body).
fn find_blank_line(buf: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while i < buf.len() {
        if buf[i] == b'\n' {
            // line ended at i; is the next line empty?
            let next = i + 1;
            if buf.get(next) == Some(&b'\n') {
                return Some((strip_cr(buf, i), next + 1));
            }
            if buf.get(next) == Some(&b'\r') && buf.get(next + 1) == Some(&b'\n') {
                return Some((strip_cr(buf, i), next + 2));
            }
        }
        i += 1;
    }
    None
}

fn strip_cr(buf: &[u8], newline: usize) -> usize {
    if newline > 0 && buf[newline - 1] == b'\r' {
        newline - 1
    } else {
        newline
    }
}

/// Splits the header section into lines (LF or CRLF), with their offsets.
fn split_lines(head: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start > head.len() {
            return None;
        }
        let end = head[start..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(head.len(), |p| start + p);
        let mut line = &head[start..end];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        let off = start;
        start = end + 1;
        Some((off, line))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trips_escapes_and_binary() {
        let value = b"\x00a:b\\c\nd\re\xff".to_vec();
        let frame = StompFrame::new("MESSAGE")
            .with_header("x-bin", &value)
            .with_header("destination", "/topic/koji.build.tag")
            .with_body(b"body\0with nul".to_vec());
        let wire = frame.encode();
        let (back, used) = StompFrame::decode(&wire, 1 << 20).unwrap().unwrap();
        assert_eq!(used, wire.len());
        assert_eq!(back.header("x-bin"), Some(&value[..]));
        assert_eq!(back.body, b"body\0with nul");
        assert_eq!(back.header_str("content-length"), Some("13"));
    }

    #[test]
    fn connected_headers_are_not_unescaped() {
        let wire = b"CONNECTED\r\nversion:1.2\r\nserver:x\\cy\r\n\r\n\0";
        let (frame, used) = StompFrame::decode(wire, 10).unwrap().unwrap();
        assert_eq!(used, wire.len());
        assert_eq!(frame.header_str("server"), Some("x\\cy"));
    }

    #[test]
    fn first_repeated_header_wins_and_heartbeats_are_skipped() {
        let wire = b"\n\r\nMESSAGE\nfoo:1\nfoo:2\n\nhi\0\n";
        let (frame, used) = StompFrame::decode(wire, 10).unwrap().unwrap();
        assert_eq!(frame.header_str("foo"), Some("1"));
        assert_eq!(frame.body, b"hi");
        assert_eq!(used, wire.len() - 1);
    }

    #[test]
    fn incomplete_frames_ask_for_more() {
        let full = b"MESSAGE\ncontent-length:5\n\nab\0cd\0";
        for cut in 0..full.len() {
            assert_eq!(
                StompFrame::decode(&full[..cut], 100).unwrap(),
                None,
                "cut at {cut}"
            );
        }
        let (frame, _) = StompFrame::decode(full, 100).unwrap().unwrap();
        assert_eq!(frame.body, b"ab\0cd");
    }

    #[test]
    fn bad_frames_are_errors() {
        let e = StompFrame::decode(b"MESSAGE\nfoo:\\t\n\n\0", 10).unwrap_err();
        assert!(e.reason.contains("undefined header escape \\t"), "{e}");
        let e = StompFrame::decode(b"MESSAGE\nnocolon\n\n\0", 10).unwrap_err();
        assert!(e.reason.contains("without ':'"), "{e}");
        let e = StompFrame::decode(b"message\n\n\0", 10).unwrap_err();
        assert!(e.reason.contains("bad command line"), "{e}");
        let e = StompFrame::decode(b"MESSAGE\ncontent-length:x\n\n\0", 10).unwrap_err();
        assert!(e.reason.contains("not a number"), "{e}");
        let e = StompFrame::decode(b"MESSAGE\ncontent-length:1\n\nab\0", 10).unwrap_err();
        assert!(e.reason.contains("not followed by NUL"), "{e}");
        let e = StompFrame::decode(b"MESSAGE\ncontent-length:99\n\n", 10).unwrap_err();
        assert!(e.reason.contains("exceeds the limit"), "{e}");
        let e = StompFrame::decode(b"MESSAGE\n\nmore than ten bytes", 10).unwrap_err();
        assert!(e.reason.contains("exceeds the limit"), "{e}");
    }

    #[test]
    fn debug_hides_credentials() {
        let f = StompFrame::new("CONNECT").with_header("passcode", "hunter2");
        let shown = format!("{f:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }
}
