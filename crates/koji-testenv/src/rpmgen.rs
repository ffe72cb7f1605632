//! Writes small but well-formed RPM files for download tests and
//! benchmarks: a lead, a signature header carrying the header digests
//! (SHA1, SHA256), the size and the SIGMD5 (an MD5 over the main header and
//! payload, which a hub stores as the RPM's `payloadhash`), a main header
//! with the package's name, version, release and arch, and a payload of
//! deterministic pseudo-random bytes of any size.
//!
//! The payload is not a compressed cpio archive: nothing here is meant to
//! be installed. rpm's own header reader (`rpm.TransactionSet().hdrFromFdno`,
//! which koji's CLI uses to check a downloaded RPM) accepts the files, and
//! their digests verify.
//!
//! Files of any size are written in one pass with constant memory: the
//! signature header has a fixed size, so it is written last, over a
//! placeholder.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use openssl::hash::{Hasher, MessageDigest};

use crate::{Error, Result};

/// What to put into a generated RPM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmSpec {
    /// Package name (`NAME`).
    pub name: String,
    /// `VERSION`.
    pub version: String,
    /// `RELEASE`.
    pub release: String,
    /// `ARCH`; `src` makes a source RPM.
    pub arch: String,
    /// `EPOCH`, when there is one.
    pub epoch: Option<u32>,
    /// Bytes of payload after the headers.
    pub payload_size: u64,
    /// Seed of the payload's pseudo-random bytes.
    pub seed: u64,
}

/// What a hub would record about a generated RPM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmInfo {
    /// The whole file's size in bytes (`size` in `listRPMs` rows).
    pub size: u64,
    /// SIGMD5 as lowercase hex (`payloadhash` in `listRPMs` rows).
    pub payloadhash: String,
}

const LEAD_LEN: usize = 96;
const HEADER_MAGIC: [u8; 8] = [0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0];

// Tag types.
const INT32: u32 = 4;
const STRING: u32 = 6;
const BIN: u32 = 7;
const STRING_ARRAY: u32 = 8;

/// Pseudo-random bytes (xorshift64), deterministic for a seed.
#[derive(Debug)]
struct Noise(u64);

impl Noise {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            let bytes = x.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// One header entry's value.
enum Data<'a> {
    Int32(u32),
    Str(&'a str),
    StrArray(&'a [&'a str]),
    Bin(&'a [u8]),
}

/// Serialises a header (magic, index, data) with an immutable region
/// `region_tag` (62 for the signature header, 63 for the main header)
/// covering every entry. `entries` must be sorted by tag.
fn header(region_tag: u32, entries: &[(u32, Data<'_>)]) -> Vec<u8> {
    let mut index: Vec<[u32; 4]> = Vec::new();
    let mut data: Vec<u8> = Vec::new();
    for (tag, value) in entries {
        let (ty, count, align) = match value {
            Data::Int32(_) => (INT32, 1, 4),
            Data::Str(_) => (STRING, 1, 1),
            Data::StrArray(a) => (STRING_ARRAY, a.len() as u32, 1),
            Data::Bin(b) => (BIN, b.len() as u32, 1),
        };
        while !data.len().is_multiple_of(align) {
            data.push(0);
        }
        index.push([*tag, ty, data.len() as u32, count]);
        match value {
            Data::Int32(v) => data.extend_from_slice(&v.to_be_bytes()),
            Data::Str(s) => {
                data.extend_from_slice(s.as_bytes());
                data.push(0);
            }
            Data::StrArray(a) => {
                for s in a.iter() {
                    data.extend_from_slice(s.as_bytes());
                    data.push(0);
                }
            }
            Data::Bin(b) => data.extend_from_slice(b),
        }
    }
    // The region: its entry comes first and points at a trailer at the end
    // of the data, which holds the negative size of the index.
    let il = index.len() as u32 + 1;
    let trailer_at = data.len() as u32;
    data.extend_from_slice(&region_tag.to_be_bytes());
    data.extend_from_slice(&BIN.to_be_bytes());
    data.extend_from_slice(&(-((il * 16) as i32)).to_be_bytes());
    data.extend_from_slice(&16u32.to_be_bytes());
    index.insert(0, [region_tag, BIN, trailer_at, 16]);

    let mut out = Vec::with_capacity(16 + index.len() * 16 + data.len());
    out.extend_from_slice(&HEADER_MAGIC);
    out.extend_from_slice(&il.to_be_bytes());
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    for entry in &index {
        for field in entry {
            out.extend_from_slice(&field.to_be_bytes());
        }
    }
    out.extend_from_slice(&data);
    out
}

fn lead(spec: &RpmSpec) -> [u8; LEAD_LEN] {
    let mut lead = [0u8; LEAD_LEN];
    lead[..4].copy_from_slice(&[0xed, 0xab, 0xee, 0xdb]);
    lead[4] = 3; // major
    lead[5] = 0; // minor
    let source = spec.arch == "src" || spec.arch == "nosrc";
    lead[6..8].copy_from_slice(&u16::from(source).to_be_bytes());
    lead[8..10].copy_from_slice(&1u16.to_be_bytes()); // archnum
    let nvr = format!("{}-{}-{}", spec.name, spec.version, spec.release);
    let n = nvr.len().min(65);
    lead[10..10 + n].copy_from_slice(&nvr.as_bytes()[..n]);
    lead[76..78].copy_from_slice(&1u16.to_be_bytes()); // osnum
    lead[78..80].copy_from_slice(&5u16.to_be_bytes()); // signature type: header-style
    lead
}

fn main_header(spec: &RpmSpec) -> Vec<u8> {
    let source = spec.arch == "src" || spec.arch == "nosrc";
    let sourcerpm = format!("{}-{}-{}.src.rpm", spec.name, spec.version, spec.release);
    let mut entries: Vec<(u32, Data<'_>)> = vec![
        (100, Data::StrArray(&["C"])), // HEADERI18NTABLE
        (1000, Data::Str(&spec.name)),
        (1001, Data::Str(&spec.version)),
        (1002, Data::Str(&spec.release)),
    ];
    if let Some(epoch) = spec.epoch {
        entries.push((1003, Data::Int32(epoch)));
    }
    entries.push((1006, Data::Int32(1_700_000_000))); // BUILDTIME
    entries.push((1021, Data::Str("linux"))); // OS
    let arch = if source { "x86_64" } else { spec.arch.as_str() };
    entries.push((1022, Data::Str(arch))); // ARCH
    if !source {
        entries.push((1044, Data::Str(&sourcerpm))); // SOURCERPM
    }
    header(63, &entries)
}

fn digest(kind: MessageDigest, data: &[u8]) -> Result<Vec<u8>> {
    openssl::hash::hash(kind, data)
        .map(|d| d.to_vec())
        .map_err(|e| Error::ssl("hashing an RPM header", e))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn signature_header(main: &[u8], size: u64, md5: &[u8]) -> Result<Vec<u8>> {
    let sha1 = hex(&digest(MessageDigest::sha1(), main)?);
    let sha256 = hex(&digest(MessageDigest::sha256(), main)?);
    let size = u32::try_from(size).map_err(|_| {
        Error::new("generated RPMs must stay below 4 GiB (the 32-bit SIZE signature tag)")
    })?;
    let mut out = header(
        62,
        &[
            (269, Data::Str(&sha1)),   // SHA1HEADER
            (273, Data::Str(&sha256)), // SHA256HEADER
            (1000, Data::Int32(size)), // SIZE: main header + payload
            (1004, Data::Bin(md5)),    // MD5: main header + payload
        ],
    );
    while !out.len().is_multiple_of(8) {
        out.push(0);
    }
    Ok(out)
}

/// Writes the RPM described by `spec` to `path` (replacing it) and returns
/// its size and SIGMD5. Memory use does not grow with the payload size.
pub fn write_rpm(path: &Path, spec: &RpmSpec) -> Result<RpmInfo> {
    let at = |e| Error::io(format!("writing {}", path.display()), e);
    let main = main_header(spec);
    // The signature header's size does not depend on the digests' values.
    let placeholder = signature_header(&main, 0, &[0; 16])?;
    let file = File::create(path).map_err(at)?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    out.write_all(&lead(spec)).map_err(at)?;
    out.write_all(&placeholder).map_err(at)?;
    let mut md5 = Hasher::new(MessageDigest::md5()).map_err(|e| Error::ssl("MD5", e))?;
    out.write_all(&main).map_err(at)?;
    md5.update(&main).map_err(|e| Error::ssl("MD5", e))?;
    let mut noise = Noise::new(spec.seed);
    let mut buf = vec![0u8; 1 << 20];
    let mut left = spec.payload_size;
    while left > 0 {
        let n = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
        let chunk = &mut buf[..n];
        noise.fill(chunk);
        md5.update(chunk).map_err(|e| Error::ssl("MD5", e))?;
        out.write_all(chunk).map_err(at)?;
        left -= n as u64;
    }
    let md5 = md5.finish().map_err(|e| Error::ssl("MD5", e))?;
    let signed = main.len() as u64 + spec.payload_size;
    let sig = signature_header(&main, signed, &md5)?;
    let mut file = out.into_inner().map_err(|e| at(e.into_error()))?;
    file.seek(SeekFrom::Start(LEAD_LEN as u64)).map_err(at)?;
    file.write_all(&sig).map_err(at)?;
    file.flush().map_err(at)?;
    Ok(RpmInfo {
        size: (LEAD_LEN + sig.len()) as u64 + signed,
        payloadhash: hex(&md5),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn spec(size: u64) -> RpmSpec {
        RpmSpec {
            name: "bench-small".into(),
            version: "1.0".into(),
            release: "1".into(),
            arch: "x86_64".into(),
            epoch: None,
            payload_size: size,
            seed: 3,
        }
    }

    #[test]
    fn the_sigmd5_covers_the_main_header_and_payload() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.rpm");
        let info = write_rpm(&path, &spec(3 << 20 | 5)).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len() as u64, info.size);
        assert_eq!(&bytes[..4], &[0xed, 0xab, 0xee, 0xdb]);
        // Signature header: magic, il, dl; then the main header, 8-aligned.
        assert_eq!(&bytes[96..104], &HEADER_MAGIC);
        let il = u32::from_be_bytes(bytes[104..108].try_into().unwrap()) as usize;
        let dl = u32::from_be_bytes(bytes[108..112].try_into().unwrap()) as usize;
        let sig_end = 96 + 16 + il * 16 + dl;
        let main_at = sig_end.div_ceil(8) * 8;
        assert_eq!(&bytes[main_at..main_at + 8], &HEADER_MAGIC);
        let md5 = digest(MessageDigest::md5(), &bytes[main_at..]).unwrap();
        assert_eq!(hex(&md5), info.payloadhash);
        // The same spec makes the same bytes; another seed does not.
        let again = write_rpm(&dir.path().join("b.rpm"), &spec(3 << 20 | 5)).unwrap();
        assert_eq!(again, info);
        let other = write_rpm(
            &dir.path().join("c.rpm"),
            &RpmSpec {
                seed: 4,
                ..spec(3 << 20 | 5)
            },
        )
        .unwrap();
        assert_ne!(other.payloadhash, info.payloadhash);
    }
}
