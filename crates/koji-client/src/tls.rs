//! The one place OpenSSL client contexts are built, for every TLS
//! connection this crate makes: to the hub (and, through the same
//! [`Connection`](crate::Connection), its file server), for certificate
//! login ([`auth::ssl::connector`](crate::auth::ssl::connector)), and to
//! message brokers (`messages::TlsConfig`).
//!
//! Server verification means what it says: with a CA file
//! ([`Trust::Only`]: the profile's `serverca`, a broker's `ca_file`) only
//! the certificates in that file are trusted — the system's roots are
//! dropped, not added to — as koji does with `verify=serverca`; without
//! one ([`Trust::System`]) OpenSSL's default store is used (which honours
//! `SSL_CERT_FILE` and `SSL_CERT_DIR`); [`Trust::Nobody`] (`no_ssl_verify`)
//! turns verification off.
//!
//! OpenSSL rather than rustls because certificate login needs TLS 1.3
//! post-handshake authentication or TLS 1.2 renegotiation, which rustls
//! does not offer:
//! every context offers post-handshake authentication, so that a server may
//! ask for the client certificate after the handshake, as Koji's Apache does
//! on `/kojihub/ssllogin`. A [`Connection`](crate::Connection) builds one
//! context and shares it between all its connections.

use std::path::{Path, PathBuf};

use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode, SslVersion};
use openssl::x509::X509;
use openssl::x509::store::X509StoreBuilder;

#[cfg(any(test, feature = "stomp", feature = "amqp", feature = "amqp1"))]
use crate::auth::ssl::IdentityError;
use crate::auth::ssl::{ClientIdentity, TlsSetupError, TlsVersion};
use crate::error::{Error, Result};

/// Whom to trust for the server's certificate.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Trust<'a> {
    /// The system's roots (OpenSSL's default verify paths).
    System,
    /// Only the CA certificates in this PEM file; never the system's roots.
    Only(&'a Path),
    /// Nobody: the server's certificate is not verified at all.
    Nobody,
}

/// What a client context is made of.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ContextSpec<'a> {
    /// Whom to trust for the server's certificate.
    pub(crate) trust: Trust<'a>,
    /// The client certificate to present, if any.
    pub(crate) identity: Option<&'a ClientIdentity>,
    /// The highest TLS version to offer (None: OpenSSL's highest).
    pub(crate) max_version: Option<TlsVersion>,
}

/// Builds the OpenSSL client context `spec` describes. Hostname checking
/// happens where the context is used (`SslConnector::connect`,
/// `configure()?.into_ssl(host)`).
pub(crate) fn connector(
    spec: &ContextSpec<'_>,
) -> std::result::Result<SslConnector, TlsSetupError> {
    // The builder starts with the system's roots and peer verification on.
    let mut builder = SslConnector::builder(SslMethod::tls_client())?;
    match spec.trust {
        Trust::System => builder.set_verify(SslVerifyMode::PEER),
        Trust::Only(path) => {
            builder.set_verify(SslVerifyMode::PEER);
            // A new store holding only the file's certificates replaces the
            // default one: adding them (set_ca_file) would keep trusting
            // every system root as well.
            let mut store = X509StoreBuilder::new()?;
            for cert in read_ca_file(path)? {
                store.add_cert(cert)?;
            }
            builder.set_cert_store(store.build());
        }
        Trust::Nobody => builder.set_verify(SslVerifyMode::NONE),
    }
    match spec.identity {
        Some(identity) => identity.apply(&mut builder)?,
        // Harmless without a certificate (the client then answers a request
        // with an empty Certificate message, and the server decides).
        None => crate::auth::ssl::enable_post_handshake_auth(&mut builder),
    }
    if let Some(version) = spec.max_version {
        builder.set_max_proto_version(Some(match version {
            TlsVersion::Tls12 => SslVersion::TLS1_2,
            TlsVersion::Tls13 => SslVersion::TLS1_3,
        }))?;
    }
    Ok(builder.build())
}

/// The certificates of a CA file (PEM, at least one).
fn read_ca_file(path: &Path) -> std::result::Result<Vec<X509>, TlsSetupError> {
    let bad = |reason: String| TlsSetupError::ServerCa {
        path: path.to_owned(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let certs = X509::stack_from_pem(&pem).map_err(|e| {
        bad(e
            .errors()
            .first()
            .and_then(|e| e.reason())
            .map_or_else(|| e.to_string(), str::to_owned))
    })?;
    if certs.is_empty() {
        return Err(bad("no PEM certificate in it".into()));
    }
    Ok(certs)
}

/// Loads a client identity: the certificate (and chain) from `cert`, and
/// the private key from `key`, or from `cert` too when `key` is `None`
/// (koji's one-file `cert` option). Errors about the key name the key file.
/// Used by the message-bus consumers (and the tests), so only built with one
/// of their features.
#[cfg(any(test, feature = "stomp", feature = "amqp", feature = "amqp1"))]
pub(crate) fn load_identity(
    cert: &Path,
    key: Option<&Path>,
) -> std::result::Result<ClientIdentity, IdentityError> {
    let Some(key) = key.filter(|k| *k != cert) else {
        return ClientIdentity::from_pem_file(cert);
    };
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| IdentityError::Unreadable {
            path: path.to_owned(),
            source,
        })
    };
    let mut pem = read(cert)?;
    pem.push(b'\n');
    pem.extend_from_slice(&read(key)?);
    ClientIdentity::from_pem(&pem, cert).map_err(|e| match e {
        IdentityError::NoPrivateKey { .. } => IdentityError::NoPrivateKey {
            path: key.to_owned(),
        },
        IdentityError::EncryptedKey { .. } => IdentityError::EncryptedKey {
            path: key.to_owned(),
        },
        IdentityError::Invalid {
            what: "private key",
            reason,
            ..
        } => IdentityError::Invalid {
            path: key.to_owned(),
            what: "private key",
            reason,
        },
        other => other,
    })
}

/// TLS settings of a hub connection, collected by the builder.
#[derive(Debug, Clone, Default)]
pub(crate) struct TlsSettings {
    /// PEM file of the CA(s) that must have signed the hub's certificate.
    pub(crate) serverca: Option<PathBuf>,
    /// Skip server verification (only when no `serverca` is given).
    pub(crate) no_ssl_verify: bool,
    /// One PEM file with the client certificate (and chain) and its key.
    pub(crate) cert: Option<PathBuf>,
    /// The highest TLS version to offer (None: OpenSSL's highest).
    pub(crate) max_version: Option<TlsVersion>,
}

/// A ready TLS context, and whether it verifies the server.
#[derive(Clone)]
pub(crate) struct TlsContext {
    pub(crate) connector: SslConnector,
    pub(crate) verify: bool,
}

impl TlsSettings {
    /// Builds the OpenSSL context these settings describe.
    pub(crate) fn build(&self) -> Result<TlsContext> {
        let trust = match &self.serverca {
            Some(path) => {
                if self.no_ssl_verify {
                    tracing::warn!(
                        "no_ssl_verify is ignored because serverca is set: \
                         the hub's certificate is verified against serverca"
                    );
                }
                Trust::Only(path)
            }
            None if self.no_ssl_verify => {
                tracing::warn!(
                    "no_ssl_verify is set: the hub's TLS certificate will NOT be verified"
                );
                Trust::Nobody
            }
            None => Trust::System,
        };
        let identity = match &self.cert {
            Some(path) => Some(ClientIdentity::from_pem_file(path).map_err(|e| {
                Error::builder(format!(
                    "cannot use the client certificate {}",
                    path.display()
                ))
                .with_source(e)
            })?),
            None => None,
        };
        let spec = ContextSpec {
            trust,
            identity: identity.as_ref(),
            max_version: self.max_version,
        };
        let connector = connector(&spec).map_err(|e| match e {
            TlsSetupError::ServerCa { path, reason } => {
                Error::builder(format!("cannot use serverca {}: {reason}", path.display()))
            }
            other => Error::builder("cannot set TLS up").with_source(other),
        })?;
        Ok(TlsContext {
            connector,
            verify: !matches!(trust, Trust::Nobody),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_unusable_ca_file_is_a_setup_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        for path in [empty, dir.path().join("missing.pem")] {
            let spec = ContextSpec {
                trust: Trust::Only(&path),
                identity: None,
                max_version: None,
            };
            let err = connector(&spec).unwrap_err();
            assert!(
                matches!(&err, TlsSetupError::ServerCa { path: p, .. } if *p == path),
                "{err}"
            );
        }
    }

    #[test]
    fn a_separate_key_file_is_named_in_key_errors() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        let pkey =
            openssl::pkey::PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap();
        let mut name = openssl::x509::X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", "me").unwrap();
        let name = name.build();
        let mut b = X509::builder().unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&pkey).unwrap();
        b.set_not_before(&openssl::asn1::Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&openssl::asn1::Asn1Time::days_from_now(1).unwrap())
            .unwrap();
        b.sign(&pkey, openssl::hash::MessageDigest::sha256())
            .unwrap();
        std::fs::write(&cert, b.build().to_pem().unwrap()).unwrap();
        std::fs::write(&key, "nothing here\n").unwrap();
        let err = load_identity(&cert, Some(&key)).unwrap_err();
        assert!(
            matches!(&err, IdentityError::NoPrivateKey { path } if *path == key),
            "{err}"
        );
        std::fs::write(&key, pkey.private_key_to_pem_pkcs8().unwrap()).unwrap();
        let identity = load_identity(&cert, Some(&key)).unwrap();
        assert_eq!(identity.common_name().as_deref(), Some("me"));
    }
}
