//! A small reader for the start of an RPM file: the 96-byte lead, the
//! signature header, and the main header's size.
//!
//! What a download needs from an RPM is the signature header's digests:
//! `SIGMD5` (tag 1004, an MD5 over the main header and payload, which the
//! hub keeps as the RPM's `payloadhash`), the SHA-1/SHA-256 header digests
//! (tags 269, 273) and the header+payload size (tag 1000). The whole reader
//! is a few bounds-checked slices; it never allocates more than the input
//! it is given and never panics (it is fuzzed: `fuzz/fuzz_targets/rpm_signature.rs`).
//!
//! Why not the `rpm` crate: it parses whole packages from a reader (and
//! pulls in a signing/compression stack), while a download checks the
//! digests on the stream as it arrives; the part it needs is this small.
//!
//! Layout (rpm's `lib/header.c`, `rpmlead.c`): lead (96 bytes, magic
//! `ed ab ee db`), then a header structure: magic `8e ad e8 01`, 4 reserved
//! bytes, index count `il` and data size `dl` (big-endian u32), `il`
//! 16-byte index entries (tag, type, offset, count) and `dl` bytes of data.
//! The signature header is padded to a multiple of 8 bytes; the main
//! header follows with the same structure, then the payload.

use std::fmt;

/// Size of the RPM lead.
pub const LEAD_SIZE: usize = 96;
const LEAD_MAGIC: [u8; 4] = [0xed, 0xab, 0xee, 0xdb];
const HEADER_MAGIC: [u8; 4] = [0x8e, 0xad, 0xe8, 0x01];
/// More index entries than this is not a real signature header.
const MAX_INDEX: u32 = 0xffff;
/// rpm refuses headers with more data than this (`HEADER_DATA_MAX`).
const MAX_DATA: u32 = 256 * 1024 * 1024;
/// A signature header larger than this is refused (real ones are a few KiB).
pub const MAX_SIGNATURE: usize = 16 * 1024 * 1024;

const TAG_SIZE: u32 = 1000;
const TAG_MD5: u32 = 1004;
const TAG_SHA1: u32 = 269;
const TAG_SHA256: u32 = 273;
const TAG_LONGSIZE: u32 = 270;

const TYPE_INT32: u32 = 4;
const TYPE_INT64: u32 = 5;
const TYPE_STRING: u32 = 6;
const TYPE_BIN: u32 = 7;

/// Why bytes are not the start of an RPM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RpmError {
    /// More bytes are needed: at least `need` from the file's start.
    Truncated {
        /// How many bytes from the start the reader needs.
        need: usize,
    },
    /// The lead does not start with the RPM magic.
    NotRpm,
    /// The signature or main header is malformed.
    BadHeader(&'static str),
}

impl fmt::Display for RpmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RpmError::Truncated { need } => {
                write!(f, "truncated RPM: the headers need {need} bytes")
            }
            RpmError::NotRpm => f.write_str("not an RPM file (bad lead magic)"),
            RpmError::BadHeader(what) => write!(f, "malformed RPM header: {what}"),
        }
    }
}

impl std::error::Error for RpmError {}

/// What the signature header says about the rest of the file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Signature {
    /// SIGMD5 (tag 1004): MD5 over the main header and payload.
    pub md5: Option<[u8; 16]>,
    /// SHA-1 of the main header (tag 269), lowercase hex.
    pub sha1_header: Option<String>,
    /// SHA-256 of the main header (tag 273), lowercase hex.
    pub sha256_header: Option<String>,
    /// Size of the main header and payload (tag 1000 or 270).
    pub size: Option<u64>,
    /// Offset of the main header from the start of the file.
    pub header_start: usize,
}

impl Signature {
    /// SIGMD5 in lowercase hex, as the hub's `payloadhash`.
    pub fn md5_hex(&self) -> Option<String> {
        self.md5.map(|d| hex(&d))
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// The size (intro + index + data) of a header structure starting at
/// `at`, or why it cannot be read.
fn header_extent(data: &[u8], at: usize) -> Result<(usize, u32, u32), RpmError> {
    let intro_end = at + 16;
    if data.len() < intro_end {
        return Err(RpmError::Truncated { need: intro_end });
    }
    if data.get(at..at + 4) != Some(&HEADER_MAGIC[..]) {
        return Err(RpmError::BadHeader("bad header magic"));
    }
    let il = be32(data, at + 8).ok_or(RpmError::BadHeader("short intro"))?;
    let dl = be32(data, at + 12).ok_or(RpmError::BadHeader("short intro"))?;
    if il == 0 || il > MAX_INDEX {
        return Err(RpmError::BadHeader("index count out of range"));
    }
    if dl > MAX_DATA {
        return Err(RpmError::BadHeader("data size out of range"));
    }
    let len = 16 + 16 * il as usize + dl as usize;
    Ok((len, il, dl))
}

/// Reads the lead and signature header from the first bytes of an RPM.
///
/// `data` may hold more than the headers (the whole file, or just its
/// start); [`RpmError::Truncated`] says how many bytes are needed when it
/// holds too few.
///
/// ```
/// use koji_client::download::rpmsig::{read_signature, RpmError};
/// assert_eq!(read_signature(b"\xed\xab\xee\xdb"), Err(RpmError::Truncated { need: 112 }));
/// assert_eq!(read_signature(&[0u8; 200]), Err(RpmError::NotRpm));
/// ```
pub fn read_signature(data: &[u8]) -> Result<Signature, RpmError> {
    if data.len() >= 4 && data[..4] != LEAD_MAGIC {
        return Err(RpmError::NotRpm);
    }
    let (len, il, dl) = match header_extent(data, LEAD_SIZE) {
        Err(RpmError::Truncated { .. }) if data.len() < LEAD_SIZE + 16 => {
            return Err(RpmError::Truncated {
                need: LEAD_SIZE + 16,
            });
        }
        other => other?,
    };
    if len > MAX_SIGNATURE {
        return Err(RpmError::BadHeader("signature header too large"));
    }
    let end = LEAD_SIZE + len;
    let header_start = end + (8 - end % 8) % 8;
    if data.len() < header_start {
        return Err(RpmError::Truncated { need: header_start });
    }
    let index_start = LEAD_SIZE + 16;
    let store_start = index_start + 16 * il as usize;
    let store = data
        .get(store_start..store_start + dl as usize)
        .ok_or(RpmError::BadHeader("data outside the header"))?;
    let mut sig = Signature {
        header_start,
        ..Signature::default()
    };
    for i in 0..il as usize {
        let e = index_start + 16 * i;
        let (Some(tag), Some(ty), Some(off), Some(count)) = (
            be32(data, e),
            be32(data, e + 4),
            be32(data, e + 8),
            be32(data, e + 12),
        ) else {
            return Err(RpmError::BadHeader("short index entry"));
        };
        let off = off as usize;
        match (tag, ty) {
            (TAG_MD5, TYPE_BIN) => {
                if count != 16 {
                    return Err(RpmError::BadHeader("SIGMD5 is not 16 bytes"));
                }
                let b = store
                    .get(off..off + 16)
                    .ok_or(RpmError::BadHeader("SIGMD5 outside the data"))?;
                let mut d = [0u8; 16];
                d.copy_from_slice(b);
                sig.md5 = Some(d);
            }
            (TAG_SHA1 | TAG_SHA256, TYPE_STRING) => {
                let rest = store
                    .get(off..)
                    .ok_or(RpmError::BadHeader("digest outside the data"))?;
                let nul = rest
                    .iter()
                    .position(|&b| b == 0)
                    .ok_or(RpmError::BadHeader("unterminated digest string"))?;
                let s = std::str::from_utf8(&rest[..nul])
                    .map_err(|_| RpmError::BadHeader("digest string is not UTF-8"))?
                    .to_ascii_lowercase();
                if tag == TAG_SHA1 {
                    sig.sha1_header = Some(s);
                } else {
                    sig.sha256_header = Some(s);
                }
            }
            (TAG_SIZE, TYPE_INT32) => {
                sig.size = Some(u64::from(
                    be32(store, off).ok_or(RpmError::BadHeader("size outside the data"))?,
                ));
            }
            (TAG_LONGSIZE, TYPE_INT64) => {
                let b = store
                    .get(off..off + 8)
                    .ok_or(RpmError::BadHeader("size outside the data"))?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                sig.size = Some(u64::from_be_bytes(a));
            }
            _ => {}
        }
    }
    Ok(sig)
}

/// The length of the main header that starts at `sig.header_start`, read
/// from its intro (`data` must reach 16 bytes past `header_start`).
pub fn main_header_len(data: &[u8], sig: &Signature) -> Result<usize, RpmError> {
    header_extent(data, sig.header_start).map(|(len, _, _)| len)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const HELLO: &[u8] = include_bytes!("../../tests/fixtures/files/hello-1.3-1.fc40.x86_64.rpm");

    #[test]
    fn reads_sigmd5_and_sizes_of_a_real_rpm() {
        let sig = read_signature(HELLO).unwrap();
        // The recorded file's SIGMD5, equal to the MD5 of everything after
        // the signature header.
        assert_eq!(
            sig.md5_hex().as_deref(),
            Some("7be7ac12dae4fd277e6f78cccddcaff2")
        );
        let rest = &HELLO[sig.header_start..];
        let md5 = openssl::hash::hash(openssl::hash::MessageDigest::md5(), rest).unwrap();
        assert_eq!(hex(&md5), "7be7ac12dae4fd277e6f78cccddcaff2");
        assert_eq!(sig.size, Some(rest.len() as u64));
        let sha256 = sig.sha256_header.clone().unwrap();
        let hlen = main_header_len(HELLO, &sig).unwrap();
        let got = openssl::hash::hash(
            openssl::hash::MessageDigest::sha256(),
            &HELLO[sig.header_start..sig.header_start + hlen],
        )
        .unwrap();
        assert_eq!(hex(&got), sha256);
    }

    #[test]
    fn every_short_prefix_asks_for_more_bytes() {
        let full = read_signature(HELLO).unwrap();
        for n in 0..full.header_start {
            match read_signature(&HELLO[..n]) {
                Err(RpmError::Truncated { need }) => assert!(need > n, "prefix {n}"),
                other => panic!("prefix {n}: {other:?}"),
            }
        }
    }

    #[test]
    fn corrupt_headers_are_errors() {
        let mut bad = HELLO.to_vec();
        bad[96] = 0;
        assert_eq!(
            read_signature(&bad),
            Err(RpmError::BadHeader("bad header magic"))
        );
        let mut huge = HELLO.to_vec();
        huge[96 + 8..96 + 12].copy_from_slice(&0x00ff_ffffu32.to_be_bytes());
        assert!(matches!(read_signature(&huge), Err(RpmError::BadHeader(_))));
        // A SIGMD5 entry pointing past the data.
        let mut off = HELLO.to_vec();
        let sig = read_signature(HELLO).unwrap();
        let _ = sig;
        for i in 0..7 {
            let e = 96 + 16 + 16 * i;
            if off[e..e + 4] == TAG_MD5.to_be_bytes() {
                off[e + 8..e + 12].copy_from_slice(&0xffff_fff0u32.to_be_bytes());
            }
        }
        assert!(matches!(read_signature(&off), Err(RpmError::BadHeader(_))));
    }
}
