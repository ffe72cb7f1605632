//! The login test set-up: koji-testhub behind a real Apache (mod_ssl,
//! mod_auth_gssapi) configured like Koji's, with a test PKI.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use koji_client::{Connection, ConnectionBuilder};
use koji_testenv::apache::{Apache, ApacheConfig, IdentityHeaders};
use koji_testenv::pki::{KeyKind, Pki};
use koji_testhub::{RunningHub, TestHub, TestHubBuilder};

/// The DN of the proxy certificate the hub trusts to log in other users.
pub const PROXY_DN: &str = "CN=kojiweb,OU=users,O=Koji testenv,ST=Test,C=US";

pub struct Env {
    pub dir: tempfile::TempDir,
    pub pki: Pki,
    pub hub: RunningHub,
    pub apache: Apache,
}

/// The hub configured to trust Apache's identity headers.
pub fn hub_builder() -> TestHubBuilder {
    let headers = IdentityHeaders::default();
    TestHub::builder()
        .trusted_cert_header(&headers.client_dn)
        .trusted_remote_user_header(&headers.remote_user)
        .password("carol", "carol-password")
        .proxy_dn(PROXY_DN)
        .login_creates_user(false)
}

impl Env {
    pub async fn start() -> Env {
        Env::start_with(hub_builder(), None).await
    }

    /// Starts the hub (on the current runtime), the PKI and Apache.
    pub async fn start_with(builder: TestHubBuilder, krb: Option<(PathBuf, PathBuf)>) -> Env {
        let hub = builder.start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let pki = Pki::generate(&dir.path().join("pki")).unwrap();
        let mut config = ApacheConfig::new(hub.url());
        if let Some((keytab, krb5_conf)) = krb {
            config.service_keytab = Some(keytab);
            config.krb5_conf = Some(krb5_conf);
        }
        // Starting Apache blocks for a moment: keep the hub's runtime free.
        let apache = tokio::task::block_in_place(|| {
            Apache::start(&dir.path().join("apache"), &pki, &config).unwrap()
        });
        Env {
            dir,
            pki,
            hub,
            apache,
        }
    }

    /// A connection to vhost A (`initial`) or B (Koji's stock layout) with
    /// the test CA as `serverca`.
    pub fn builder(&self, stock: bool) -> ConnectionBuilder {
        let url = if stock {
            self.apache.url_stock()
        } else {
            self.apache.url_initial()
        };
        Connection::builder(url)
            .serverca(self.pki.ca_cert())
            .no_proxy()
    }

    /// A connection presenting a fresh certificate for `cn`.
    pub fn cert_connection(&self, cn: &str, kind: KeyKind, stock: bool) -> Connection {
        let cert = self.pki.client(cn, kind).unwrap();
        self.builder(stock).cert(cert).build().unwrap()
    }
}

/// Captures every tracing event (at TRACE level) of the test into a buffer,
/// for checks that nothing secret is logged.
#[derive(Clone, Default)]
pub struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Installs the buffer as the default subscriber of this thread until
    /// the guard is dropped.
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        let writer = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
