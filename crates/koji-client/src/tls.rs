//! The OpenSSL client context: server verification (the profile's `serverca`
//! only, or the system roots), `no_ssl_verify`, and the client identity.
//!
//! OpenSSL rather than rustls because certificate login needs TLS 1.3
//! post-handshake authentication or TLS 1.2 renegotiation (see DESIGN.md);
//! everything TLS is configured here, on one `SslConnector` shared by all
//! connections of a [`Connection`](crate::Connection), so that certificate
//! login can enable post-handshake authentication on the same context.

use std::path::{Path, PathBuf};

use openssl::ssl::{SslConnector, SslConnectorBuilder, SslMethod, SslVerifyMode};
use openssl::x509::X509;
use openssl::x509::store::X509StoreBuilder;

use crate::error::{Error, Result};

/// TLS settings collected by the builder.
#[derive(Debug, Clone, Default)]
pub(crate) struct TlsSettings {
    /// PEM file of the CA(s) that must have signed the hub's certificate.
    pub(crate) serverca: Option<PathBuf>,
    /// Skip server verification (only when no `serverca` is given).
    pub(crate) no_ssl_verify: bool,
    /// One PEM file with the client certificate (and chain) and its key.
    pub(crate) cert: Option<PathBuf>,
    /// The highest TLS version to offer (None: OpenSSL's highest).
    pub(crate) max_version: Option<crate::auth::ssl::TlsVersion>,
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
        let mut builder = SslConnector::builder(SslMethod::tls_client())
            .map_err(|e| Error::builder("cannot create an OpenSSL context").with_source(e))?;
        let verify = match &self.serverca {
            Some(path) => {
                if self.no_ssl_verify {
                    tracing::warn!(
                        "no_ssl_verify is ignored because serverca is set: \
                         the hub's certificate is verified against serverca"
                    );
                }
                trust_only(&mut builder, path)?;
                true
            }
            None if self.no_ssl_verify => {
                tracing::warn!(
                    "no_ssl_verify is set: the hub's TLS certificate will NOT be verified"
                );
                builder.set_verify(SslVerifyMode::NONE);
                false
            }
            // SslConnector::builder already trusts the system roots.
            None => true,
        };
        if let Some(path) = &self.cert {
            load_identity(&mut builder, path)?;
        }
        // Koji's Apache asks for the client certificate only on
        // /kojihub/ssllogin, i.e. after the handshake: let it (TLS 1.3).
        crate::auth::ssl::enable_post_handshake_auth(&mut builder);
        if let Some(version) = self.max_version {
            builder
                .set_max_proto_version(Some(match version {
                    crate::auth::ssl::TlsVersion::Tls12 => openssl::ssl::SslVersion::TLS1_2,
                    crate::auth::ssl::TlsVersion::Tls13 => openssl::ssl::SslVersion::TLS1_3,
                }))
                .map_err(|e| Error::builder("cannot limit the TLS version").with_source(e))?;
        }
        Ok(TlsContext {
            connector: builder.build(),
            verify,
        })
    }
}

/// Makes the CAs in the PEM file at `path` the only trusted roots (as koji
/// does with `verify=serverca`).
fn trust_only(builder: &mut SslConnectorBuilder, path: &Path) -> Result<()> {
    let shown = path.display();
    let pem = std::fs::read(path)
        .map_err(|e| Error::builder(format!("cannot read serverca {shown}")).with_source(e))?;
    let certs = X509::stack_from_pem(&pem).map_err(|e| {
        Error::builder(format!("serverca {shown} is not a PEM certificate file")).with_source(e)
    })?;
    if certs.is_empty() {
        return Err(Error::builder(format!(
            "serverca {shown} holds no certificate"
        )));
    }
    let mut store = X509StoreBuilder::new()
        .map_err(|e| Error::builder("cannot create a certificate store").with_source(e))?;
    for cert in certs {
        store.add_cert(cert).map_err(|e| {
            Error::builder(format!("cannot use a certificate of serverca {shown}")).with_source(e)
        })?;
    }
    builder.set_cert_store(store.build());
    Ok(())
}

/// Loads the client certificate, its chain and its key from one PEM file
/// (koji's `cert` option; the key may be PKCS#1, PKCS#8 or EC) and makes the
/// context present it.
fn load_identity(builder: &mut SslConnectorBuilder, path: &Path) -> Result<()> {
    let identity = crate::auth::ssl::ClientIdentity::from_pem_file(path).map_err(|e| {
        Error::builder(format!(
            "cannot use the client certificate {}",
            path.display()
        ))
        .with_source(e)
    })?;
    identity.apply(builder).map_err(|e| {
        Error::builder(format!(
            "OpenSSL refused the client certificate {}",
            path.display()
        ))
        .with_source(e)
    })
}
