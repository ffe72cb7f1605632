//! Client certificates for Koji's certificate login, and the OpenSSL
//! connector that presents them.
//!
//! Koji's `cert` option names one PEM file holding the client certificate
//! (optionally followed by intermediate certificates) and its private key:
//! RSA in PKCS#1 (`BEGIN RSA PRIVATE KEY`) or PKCS#8 (`BEGIN PRIVATE KEY`),
//! or EC (`BEGIN EC PRIVATE KEY`). [`ClientIdentity::from_pem_file`] loads
//! and checks it.
//!
//! Koji's documented Apache configuration asks for the certificate only on
//! `/kojihub/ssllogin` (`SSLVerifyClient require` inside a `<Location>`), so
//! the server requests it after the handshake: TLS 1.3 post-handshake
//! authentication, or renegotiation on TLS 1.2. [`connector`] builds an
//! OpenSSL connector that offers post-handshake authentication and presents
//! the identity, and trusts only the profile's `serverca` when one is given.
//!
//! ```no_run
//! use koji_client::auth::ssl::{ClientIdentity, TlsSettings, connector};
//! use std::sync::Arc;
//!
//! let identity = ClientIdentity::from_pem_file("/home/me/.koji/client.crt")?;
//! let settings = TlsSettings {
//!     server_ca: Some("/etc/pki/koji/serverca.crt".into()),
//!     identity: Some(Arc::new(identity)),
//!     ..TlsSettings::default()
//! };
//! let connector = connector(&settings)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use openssl::error::ErrorStack;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{SslConnector, SslContextBuilder};
use openssl::x509::{X509, X509NameRef, X509VerifyResult};

/// Why a client certificate file could not be used. Never contains the
/// file's contents.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// The file could not be read.
    #[error("cannot read the client certificate {path}: {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file holds no PEM certificate.
    #[error("no certificate in {path} (expected a PEM file with the certificate and its key)")]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// The file holds no PEM private key.
    #[error(
        "no private key in {path} (expected the key after the certificate, as koji's `cert` option requires)"
    )]
    NoPrivateKey {
        /// The file.
        path: PathBuf,
    },
    /// The private key is encrypted; koji's `cert` option needs a plain one.
    #[error("the private key in {path} is encrypted; koji needs an unencrypted key")]
    EncryptedKey {
        /// The file.
        path: PathBuf,
    },
    /// The private key does not belong to the certificate.
    #[error("the private key in {path} does not match its certificate ({subject})")]
    KeyMismatch {
        /// The file.
        path: PathBuf,
        /// The certificate's subject.
        subject: String,
    },
    /// A PEM block could not be parsed.
    #[error("cannot parse the {what} in {path}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// `certificate` or `private key`.
        what: &'static str,
        /// OpenSSL's explanation.
        reason: String,
    },
}

/// A client certificate, its chain and its private key, checked to belong
/// together. `Debug` shows the file and subject, never the key.
pub struct ClientIdentity {
    path: PathBuf,
    cert: X509,
    chain: Vec<X509>,
    key: PKey<Private>,
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("path", &self.path)
            .field("subject", &self.subject())
            .field("chain", &self.chain.len())
            .field("key", &"<redacted>")
            .finish()
    }
}

impl ClientIdentity {
    /// Reads koji's one-file PEM identity (certificate, optional chain, then
    /// the private key) from `path`.
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self, IdentityError> {
        let path = path.as_ref();
        let pem = std::fs::read(path).map_err(|source| IdentityError::Unreadable {
            path: path.to_owned(),
            source,
        })?;
        Self::from_pem(&pem, path)
    }

    /// Parses an identity from PEM bytes; `path` is only used in errors.
    pub fn from_pem(pem: &[u8], path: impl AsRef<Path>) -> Result<Self, IdentityError> {
        let path = path.as_ref().to_owned();
        let has = |marker: &[u8]| pem.windows(marker.len()).any(|w| w == marker);
        if !has(b"-----BEGIN CERTIFICATE-----") {
            return Err(IdentityError::NoCertificate { path });
        }
        if has(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") || has(b"Proc-Type: 4,ENCRYPTED") {
            return Err(IdentityError::EncryptedKey { path });
        }
        if !has(b"PRIVATE KEY-----") {
            return Err(IdentityError::NoPrivateKey { path });
        }
        let mut certs = X509::stack_from_pem(pem).map_err(|e| IdentityError::Invalid {
            path: path.clone(),
            what: "certificate",
            reason: first_reason(&e),
        })?;
        if certs.is_empty() {
            return Err(IdentityError::NoCertificate { path });
        }
        let cert = certs.remove(0);
        // A callback that refuses to supply a passphrase: OpenSSL's default
        // would prompt on the terminal for an encrypted key.
        let key = PKey::private_key_from_pem_callback(pem, |_| Ok(0)).map_err(|e| {
            IdentityError::Invalid {
                path: path.clone(),
                what: "private key",
                reason: first_reason(&e),
            }
        })?;
        let matches = cert
            .public_key()
            .map(|public| public.public_eq(&key))
            .unwrap_or(false);
        if !matches {
            return Err(IdentityError::KeyMismatch {
                subject: name_to_string(cert.subject_name()),
                path,
            });
        }
        Ok(Self {
            path,
            cert,
            chain: certs,
            key,
        })
    }

    /// The file the identity came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The certificate's subject, most specific part first
    /// (`CN=alice,OU=users,O=Example,C=US`), as Apache's `SSL_CLIENT_S_DN`.
    pub fn subject(&self) -> String {
        name_to_string(self.cert.subject_name())
    }

    /// The certificate's common name (the Koji user name by default).
    pub fn common_name(&self) -> Option<String> {
        self.cert
            .subject_name()
            .entries_by_nid(openssl::nid::Nid::COMMONNAME)
            .next()
            .and_then(|e| e.data().to_string().ok())
    }

    /// The certificate.
    pub fn certificate(&self) -> &X509 {
        &self.cert
    }

    /// Makes `builder` present this identity (certificate, chain and key)
    /// and enables TLS 1.3 post-handshake authentication.
    pub fn apply(&self, builder: &mut SslContextBuilder) -> Result<(), ErrorStack> {
        builder.set_certificate(&self.cert)?;
        for extra in &self.chain {
            builder.add_extra_chain_cert(extra.clone())?;
        }
        builder.set_private_key(&self.key)?;
        builder.check_private_key()?;
        enable_post_handshake_auth(builder);
        Ok(())
    }
}

fn name_to_string(name: &X509NameRef) -> String {
    let mut parts: Vec<String> = name
        .entries()
        .map(|entry| {
            let key = entry.object().nid().short_name().unwrap_or("?");
            let value = entry.data().to_string().unwrap_or_default();
            format!("{key}={value}")
        })
        .collect();
    parts.reverse();
    parts.join(",")
}

fn first_reason(err: &ErrorStack) -> String {
    err.errors()
        .first()
        .and_then(|e| e.reason())
        .map_or_else(|| err.to_string(), str::to_owned)
}

/// Lets the server request the client certificate after a TLS 1.3
/// handshake (RFC 8446 §4.6.2), which is what Koji's stock Apache
/// configuration does on `/kojihub/ssllogin`.
///
/// The openssl crate has no safe wrapper for this, so this is the one place
/// the TLS code calls OpenSSL directly.
#[allow(unsafe_code)]
pub fn enable_post_handshake_auth(builder: &mut SslContextBuilder) {
    // SAFETY: `builder.as_ptr()` is the live SSL_CTX owned by `builder`,
    // borrowed mutably for the duration of the call, and
    // SSL_CTX_set_post_handshake_auth (OpenSSL >= 1.1.1) only sets a flag on
    // it; it has no other preconditions and cannot fail.
    unsafe { openssl_sys::SSL_CTX_set_post_handshake_auth(builder.as_ptr(), 1) };
}

/// The highest TLS version to offer (the default offers TLS 1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsVersion {
    /// TLS 1.2 (the server then uses renegotiation to ask for a client
    /// certificate after the handshake).
    Tls12,
    /// TLS 1.3.
    Tls13,
}

/// How to set up TLS for a hub connection.
#[derive(Debug, Clone, Default)]
pub struct TlsSettings {
    /// Trust only this CA file (PEM, one or more certificates) for the
    /// server, as koji does with `serverca`. None: the system's roots.
    pub server_ca: Option<PathBuf>,
    /// The client certificate to present (also after the handshake).
    pub identity: Option<Arc<ClientIdentity>>,
    /// The highest TLS version to offer. None: OpenSSL's highest (1.3).
    pub max_version: Option<TlsVersion>,
}

/// Why a TLS connector could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsSetupError {
    /// The `serverca` file could not be read or holds no certificate.
    #[error("cannot use the server CA file {path}: {reason}")]
    ServerCa {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The client identity could not be loaded.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// OpenSSL refused the configuration.
    #[error("TLS set-up failed: {0}")]
    OpenSsl(#[from] ErrorStack),
}

/// Builds an OpenSSL connector that verifies the server against
/// `settings.server_ca` (only that CA) or the system roots, presents the
/// client identity if any, and offers TLS 1.3 post-handshake
/// authentication. Hostname checking happens when the connector is used
/// (`SslConnector::connect` / `configure().into_ssl(host)`).
pub fn connector(settings: &TlsSettings) -> Result<SslConnector, TlsSetupError> {
    let trust = match &settings.server_ca {
        Some(path) => crate::tls::Trust::Only(path),
        None => crate::tls::Trust::System,
    };
    crate::tls::connector(&crate::tls::ContextSpec {
        trust,
        identity: settings.identity.as_deref(),
        max_version: settings.max_version,
    })
}

/// What a TLS failure means for a login, read from OpenSSL's error and the
/// certificate verification result.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsFailure {
    /// We did not trust the server's certificate (`reason` is OpenSSL's
    /// verification result, e.g. "unable to get local issuer certificate").
    ServerCertificateUntrusted {
        /// OpenSSL's verification result.
        reason: String,
    },
    /// The server refused our certificate because it does not trust its
    /// issuer (TLS alert `unknown_ca`).
    ClientCertificateUnknownCa,
    /// The server refused our certificate because it has expired (TLS alert
    /// `certificate_expired`).
    ClientCertificateExpired,
    /// The server required a certificate and we sent none (TLS alert
    /// `certificate_required` or `handshake_failure`).
    ClientCertificateRequired,
    /// The server refused our certificate for another reason (alert
    /// `bad_certificate`, `certificate_revoked`, `access_denied`, …).
    ClientCertificateRejected {
        /// OpenSSL's description of the alert.
        reason: String,
    },
    /// Any other TLS failure.
    Other {
        /// OpenSSL's description.
        reason: String,
    },
}

impl fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ServerCertificateUntrusted { reason } => {
                write!(f, "the server's certificate is not trusted: {reason}")
            }
            Self::ClientCertificateUnknownCa => {
                f.write_str("the server does not trust the issuer of our client certificate")
            }
            Self::ClientCertificateExpired => {
                f.write_str("the server refused our client certificate: it has expired")
            }
            Self::ClientCertificateRequired => {
                f.write_str("the server requires a client certificate and none was presented")
            }
            Self::ClientCertificateRejected { reason } => {
                write!(f, "the server refused our client certificate: {reason}")
            }
            Self::Other { reason } => write!(f, "TLS failure: {reason}"),
        }
    }
}

/// Reads what went wrong from an OpenSSL error. `verify_result` is the
/// connection's `SslRef::verify_result()` if the connection object is still
/// at hand.
pub fn classify_tls_failure(
    err: &openssl::ssl::Error,
    verify_result: Option<X509VerifyResult>,
) -> TlsFailure {
    let reasons: Vec<String> = err
        .ssl_error()
        .map(|stack| {
            stack
                .errors()
                .iter()
                .filter_map(|e| e.reason().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let joined = if reasons.is_empty() {
        err.to_string()
    } else {
        reasons.join("; ")
    };
    let lower = joined.to_ascii_lowercase();
    if lower.contains("certificate verify failed") {
        let reason = verify_result
            .filter(|r| *r != X509VerifyResult::OK)
            .map_or_else(|| joined.clone(), |r| r.error_string().to_owned());
        return TlsFailure::ServerCertificateUntrusted { reason };
    }
    if lower.contains("alert unknown ca") {
        return TlsFailure::ClientCertificateUnknownCa;
    }
    if lower.contains("alert certificate expired") {
        return TlsFailure::ClientCertificateExpired;
    }
    if lower.contains("certificate required") || lower.contains("alert handshake failure") {
        return TlsFailure::ClientCertificateRequired;
    }
    if lower.contains("alert bad certificate")
        || lower.contains("alert certificate revoked")
        || lower.contains("alert certificate unknown")
        || lower.contains("alert access denied")
        || lower.contains("alert unsupported certificate")
    {
        return TlsFailure::ClientCertificateRejected { reason: joined };
    }
    TlsFailure::Other { reason: joined }
}
