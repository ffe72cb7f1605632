//! Checking a file's bytes as they arrive (or as they are read back), so a
//! download is only called done once it is known to be the right file.
//!
//! - RPMs: the signature header's SIGMD5 must match an MD5 over the rest
//!   of the file (which catches truncation and corruption even where the
//!   hub gives no digest), and must equal the hub's `payloadhash` when
//!   one is known; the size must match when it is known.
//! - Archives: the size and the digest named by `checksum_type`
//!   (0 md5, 1 sha1, 2 sha256) must match the hub's.
//! - Other files (task outputs, logs): the size, when it is known.
//!
//! A [`Verifier`] keeps at most the RPM signature header in memory
//! (bounded by [`rpmsig::MAX_SIGNATURE`]); everything else is hashed and
//! dropped.

use openssl::hash::{Hasher, MessageDigest};

use super::rpmsig::{self, RpmError, Signature, hex};

/// A digest algorithm Koji uses for archive checksums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DigestKind {
    /// MD5 (`checksum_type` 0).
    Md5,
    /// SHA-1 (`checksum_type` 1).
    Sha1,
    /// SHA-256 (`checksum_type` 2).
    Sha256,
}

impl DigestKind {
    /// The kind for a hub `checksum_type`, or `None` for an unknown one.
    pub fn from_checksum_type(t: i64) -> Option<DigestKind> {
        match t {
            0 => Some(DigestKind::Md5),
            1 => Some(DigestKind::Sha1),
            2 => Some(DigestKind::Sha256),
            _ => None,
        }
    }

    /// Lowercase name (`md5`, `sha1`, `sha256`).
    pub fn name(self) -> &'static str {
        match self {
            DigestKind::Md5 => "md5",
            DigestKind::Sha1 => "sha1",
            DigestKind::Sha256 => "sha256",
        }
    }

    fn md(self) -> MessageDigest {
        match self {
            DigestKind::Md5 => MessageDigest::md5(),
            DigestKind::Sha1 => MessageDigest::sha1(),
            DigestKind::Sha256 => MessageDigest::sha256(),
        }
    }
}

/// What a file's content is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Nothing beyond the size.
    None,
    /// An RPM: its own SIGMD5 against its content, and the hub's
    /// `payloadhash` (hex SIGMD5, or `sha256:<hex>`/`sha1:<hex>` of the
    /// header for RPMs without SIGMD5) when given.
    Rpm {
        /// The hub's `payloadhash`, if known.
        payloadhash: Option<String>,
    },
    /// A whole-file digest (archives).
    Digest {
        /// The algorithm.
        kind: DigestKind,
        /// Expected digest, hex.
        hex: String,
    },
}

/// What a downloaded file must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// Its size in bytes, if known.
    pub size: Option<u64>,
    /// Its content check.
    pub check: Check,
}

/// Why a file failed verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Its size differs from the hub's.
    #[error("size {got} does not match the expected {expected}")]
    Size {
        /// Bytes received.
        got: u64,
        /// Bytes expected.
        expected: u64,
    },
    /// It is not a readable RPM.
    #[error("not a valid RPM: {0}")]
    Rpm(RpmError),
    /// The RPM's content does not match its own SIGMD5 (corrupt or truncated).
    #[error("content does not match the RPM's own SIGMD5 {sigmd5} (got {got})")]
    RpmContent {
        /// The signature header's SIGMD5.
        sigmd5: String,
        /// MD5 of the content.
        got: String,
    },
    /// The RPM's identity differs from the hub's `payloadhash`.
    #[error("RPM digest {got} does not match the hub's payloadhash {expected}")]
    PayloadHash {
        /// The file's digest.
        got: String,
        /// The hub's `payloadhash`.
        expected: String,
    },
    /// An archive's digest differs from the hub's checksum.
    #[error("{kind} {got} does not match the hub's checksum {expected}")]
    Digest {
        /// Algorithm name.
        kind: &'static str,
        /// Computed digest.
        got: String,
        /// The hub's checksum.
        expected: String,
    },
    /// Hashing failed (OpenSSL error).
    #[error("hashing failed: {0}")]
    Hash(String),
}

/// What verification established about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Its size.
    pub size: u64,
    /// `sigmd5:<hex>` for RPMs, `<kind>:<hex>` for archives, `None` when
    /// nothing but the size was checked.
    pub checksum: Option<String>,
    /// Whether the content was checked against the hub's data (size, and
    /// digest where the hub has one).
    pub against_hub: bool,
}

enum State {
    Plain,
    Digest(Hasher),
    Rpm(RpmState),
}

struct RpmState {
    /// The first bytes, until the signature header (and the main header's
    /// intro) can be read.
    head: Vec<u8>,
    sig: Option<Signature>,
    md5: Hasher,
}

/// Checks a file's bytes, fed in order with [`Verifier::update`].
pub struct Verifier {
    expected: Expected,
    seen: u64,
    state: State,
}

fn ssl_err(e: openssl::error::ErrorStack) -> VerifyError {
    VerifyError::Hash(e.to_string())
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("expected", &self.expected)
            .field("seen", &self.seen)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier for a file expected to be `expected`.
    pub fn new(expected: Expected) -> Result<Verifier, VerifyError> {
        let state = match &expected.check {
            Check::None => State::Plain,
            Check::Digest { kind, .. } => State::Digest(Hasher::new(kind.md()).map_err(ssl_err)?),
            Check::Rpm { .. } => State::Rpm(RpmState {
                head: Vec::new(),
                sig: None,
                md5: Hasher::new(MessageDigest::md5()).map_err(ssl_err)?,
            }),
        };
        Ok(Verifier {
            expected,
            seen: 0,
            state,
        })
    }

    /// Bytes fed so far.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Feeds the next bytes. Fails early when the file is already known
    /// to be wrong (longer than expected, not an RPM).
    pub fn update(&mut self, data: &[u8]) -> Result<(), VerifyError> {
        self.seen += data.len() as u64;
        if let Some(size) = self.expected.size {
            if self.seen > size {
                return Err(VerifyError::Size {
                    got: self.seen,
                    expected: size,
                });
            }
        }
        match &mut self.state {
            State::Plain => Ok(()),
            State::Digest(h) => h.update(data).map_err(ssl_err),
            State::Rpm(r) => r.update(data),
        }
    }

    /// Ends the file: checks its size and content.
    pub fn finish(self) -> Result<Verified, VerifyError> {
        if let Some(size) = self.expected.size {
            if self.seen != size {
                return Err(VerifyError::Size {
                    got: self.seen,
                    expected: size,
                });
            }
        }
        let size_known = self.expected.size.is_some();
        match (self.state, self.expected.check) {
            (State::Plain, _) => Ok(Verified {
                size: self.seen,
                checksum: None,
                against_hub: size_known,
            }),
            (State::Digest(mut h), Check::Digest { kind, hex: want }) => {
                let got = hex(&h.finish().map_err(ssl_err)?);
                if !got.eq_ignore_ascii_case(want.trim()) {
                    return Err(VerifyError::Digest {
                        kind: kind.name(),
                        got,
                        expected: want,
                    });
                }
                Ok(Verified {
                    size: self.seen,
                    checksum: Some(format!("{}:{got}", kind.name())),
                    against_hub: true,
                })
            }
            (State::Rpm(r), Check::Rpm { payloadhash }) => {
                let (sigmd5, ident) = r.finish()?;
                if let Some(want) = &payloadhash {
                    if !ident.eq_ignore_ascii_case(want.trim()) {
                        return Err(VerifyError::PayloadHash {
                            got: ident,
                            expected: want.clone(),
                        });
                    }
                }
                Ok(Verified {
                    size: self.seen,
                    checksum: Some(match sigmd5 {
                        Some(m) => format!("sigmd5:{m}"),
                        None => ident,
                    }),
                    against_hub: payloadhash.is_some(),
                })
            }
            _ => Err(VerifyError::Hash("verifier state mismatch".into())),
        }
    }
}

impl RpmState {
    fn update(&mut self, data: &[u8]) -> Result<(), VerifyError> {
        if self.sig.is_some() {
            return self.feed_body(data);
        }
        self.head.extend_from_slice(data);
        let sig = match rpmsig::read_signature(&self.head) {
            Ok(sig) => sig,
            // The reader refuses signature headers over MAX_SIGNATURE, so it
            // never asks for more than the lead, MAX_SIGNATURE and padding.
            Err(RpmError::Truncated { need })
                if need <= rpmsig::LEAD_SIZE + rpmsig::MAX_SIGNATURE + 8 =>
            {
                return Ok(());
            }
            Err(e) => return Err(VerifyError::Rpm(e)),
        };
        let start = sig.header_start;
        self.sig = Some(sig);
        let head = std::mem::take(&mut self.head);
        self.feed_body(&head[start..])
    }

    fn feed_body(&mut self, data: &[u8]) -> Result<(), VerifyError> {
        self.md5.update(data).map_err(ssl_err)
    }

    /// `(SIGMD5 hex, the file's identity as koji computes it)`.
    fn finish(mut self) -> Result<(Option<String>, String), VerifyError> {
        let Some(sig) = self.sig.take() else {
            return Err(VerifyError::Rpm(match rpmsig::read_signature(&self.head) {
                Err(e) => e,
                Ok(_) => RpmError::BadHeader("incomplete signature header"),
            }));
        };
        let got = hex(&self.md5.finish().map_err(ssl_err)?);
        match sig.md5_hex() {
            Some(sigmd5) => {
                if got != sigmd5 {
                    return Err(VerifyError::RpmContent { sigmd5, got });
                }
                Ok((Some(sigmd5.clone()), sigmd5))
            }
            None => {
                // No SIGMD5 (newer rpm): koji's ident is the best header
                // digest with a label; the content MD5 cannot be checked.
                let ident = match (&sig.sha256_header, &sig.sha1_header) {
                    (Some(s), _) => format!("sha256:{s}"),
                    (None, Some(s)) => format!("sha1:{s}"),
                    (None, None) => {
                        return Err(VerifyError::Rpm(RpmError::BadHeader(
                            "no SIGMD5 or header digest",
                        )));
                    }
                };
                Ok((None, ident))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const HELLO: &[u8] = include_bytes!("../../tests/fixtures/files/hello-1.3-1.fc40.x86_64.rpm");
    const HELLO_MD5: &str = "7be7ac12dae4fd277e6f78cccddcaff2";

    fn run(expected: Expected, data: &[u8], piece: usize) -> Result<Verified, VerifyError> {
        let mut v = Verifier::new(expected)?;
        for c in data.chunks(piece.max(1)) {
            v.update(c)?;
        }
        v.finish()
    }

    fn rpm(size: Option<u64>, hash: Option<&str>) -> Expected {
        Expected {
            size,
            check: Check::Rpm {
                payloadhash: hash.map(str::to_owned),
            },
        }
    }

    #[test]
    fn a_real_rpm_verifies_in_any_piece_size() {
        for piece in [1, 7, 100, 4096, 1 << 20] {
            let v = run(rpm(Some(HELLO.len() as u64), Some(HELLO_MD5)), HELLO, piece).unwrap();
            assert_eq!(v.checksum.as_deref(), Some(&*format!("sigmd5:{HELLO_MD5}")));
            assert!(v.against_hub);
        }
    }

    #[test]
    fn wrong_payloadhash_truncation_and_corruption_are_caught() {
        let n = HELLO.len() as u64;
        assert!(matches!(
            run(
                rpm(Some(n), Some("00112233445566778899aabbccddeeff")),
                HELLO,
                512
            ),
            Err(VerifyError::PayloadHash { .. })
        ));
        assert_eq!(
            run(rpm(Some(n), Some(HELLO_MD5)), &HELLO[..4000], 512),
            Err(VerifyError::Size {
                got: 4000,
                expected: n
            })
        );
        // Without a known size, truncation shows in the content MD5.
        assert!(matches!(
            run(rpm(None, None), &HELLO[..6000], 512),
            Err(VerifyError::RpmContent { .. })
        ));
        let mut flipped = HELLO.to_vec();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(matches!(
            run(rpm(Some(n), Some(HELLO_MD5)), &flipped, 512),
            Err(VerifyError::RpmContent { .. })
        ));
        assert!(matches!(
            run(rpm(None, None), b"<html>404</html>", 512),
            Err(VerifyError::Rpm(RpmError::NotRpm))
        ));
        assert!(matches!(
            run(rpm(None, None), &HELLO[..50], 512),
            Err(VerifyError::Rpm(RpmError::Truncated { .. }))
        ));
    }

    #[test]
    fn archive_digests_by_checksum_type() {
        let data = b"hello archive\n";
        for t in 0..3 {
            let kind = DigestKind::from_checksum_type(t).unwrap();
            let real = hex(&openssl::hash::hash(kind.md(), data).unwrap());
            let ok = run(
                Expected {
                    size: Some(data.len() as u64),
                    check: Check::Digest {
                        kind,
                        hex: real.to_uppercase(),
                    },
                },
                data,
                3,
            )
            .unwrap();
            assert_eq!(ok.checksum, Some(format!("{}:{real}", kind.name())));
            // A digest that is not the file's is a mismatch.
            let want = "0".repeat(real.len());
            let bad = run(
                Expected {
                    size: None,
                    check: Check::Digest { kind, hex: want },
                },
                data,
                3,
            );
            assert!(matches!(bad, Err(VerifyError::Digest { .. })), "{t}");
        }
        assert_eq!(DigestKind::from_checksum_type(9), None);
    }

    #[test]
    fn the_largest_signature_header_the_reader_accepts_is_read_when_streamed() {
        // A lead, then a signature header of (nearly) MAX_SIGNATURE bytes
        // whose one entry is a SHA256 header digest; the verifier used to
        // call this "truncated" once the header reached past
        // MAX_SIGNATURE + 8 bytes from the file's start.
        let len = rpmsig::MAX_SIGNATURE - 8;
        let dl = len - 32;
        let mut file = vec![0u8; rpmsig::LEAD_SIZE];
        file[..4].copy_from_slice(&[0xed, 0xab, 0xee, 0xdb]);
        file.extend_from_slice(&[0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0]);
        file.extend_from_slice(&1u32.to_be_bytes());
        file.extend_from_slice(&(dl as u32).to_be_bytes());
        for v in [273u32, 6, 0, 1] {
            file.extend_from_slice(&v.to_be_bytes());
        }
        file.extend_from_slice(b"ABC\0");
        file.resize(rpmsig::LEAD_SIZE + len, 0);
        file.extend_from_slice(b"main header and payload");
        let sig = rpmsig::read_signature(&file).unwrap();
        assert_eq!(sig.header_start, rpmsig::LEAD_SIZE + len);
        assert_eq!(sig.sha256_header.as_deref(), Some("abc"));
        for piece in [4096, 1 << 20] {
            let v = run(rpm(None, Some("sha256:abc")), &file, piece).unwrap();
            assert_eq!(v.checksum.as_deref(), Some("sha256:abc"));
        }
    }

    #[test]
    fn a_longer_file_fails_as_soon_as_it_passes_the_size() {
        let mut v = Verifier::new(Expected {
            size: Some(4),
            check: Check::None,
        })
        .unwrap();
        v.update(b"abc").unwrap();
        assert_eq!(
            v.update(b"de"),
            Err(VerifyError::Size {
                got: 5,
                expected: 4
            })
        );
    }
}
