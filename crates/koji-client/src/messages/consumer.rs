//! What the broker consumers share: reconnect backoff, TLS settings, and
//! the rule that a bad message never ends a stream.

use std::path::PathBuf;
use std::time::Duration;

#[cfg(any(feature = "stomp", feature = "amqp1"))]
use openssl::ssl::{SslConnector, SslFiletype, SslMethod, SslVerifyMode};

/// How long to wait between reconnection attempts: `initial`, then
/// multiplied by `factor` after each failure, capped at `max`; reset once a
/// connection works again.
///
/// ```
/// use std::time::Duration;
/// use koji_client::messages::Backoff;
///
/// let b = Backoff::default();
/// assert_eq!(b.delay(0), Duration::from_millis(200));
/// assert_eq!(b.delay(1), Duration::from_millis(400));
/// assert_eq!(b.delay(30), Duration::from_secs(30));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The first delay.
    pub initial: Duration,
    /// The longest delay.
    pub max: Duration,
    /// The growth factor (at least 1).
    pub factor: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(30),
            factor: 2.0,
        }
    }
}

impl Backoff {
    /// The delay before attempt `failures + 1` after `failures` failures in a
    /// row.
    pub fn delay(&self, failures: u32) -> Duration {
        let factor = if self.factor.is_finite() && self.factor >= 1.0 {
            self.factor
        } else {
            1.0
        };
        let exp = factor.powi(i32::try_from(failures.min(64)).unwrap_or(64));
        let secs = self.initial.as_secs_f64() * exp;
        if !secs.is_finite() || secs >= self.max.as_secs_f64() {
            self.max
        } else {
            Duration::from_secs_f64(secs)
        }
    }
}

/// TLS settings: the server's certificate is always verified, against
/// `ca_file` or the system's roots.
#[derive(Debug, Clone, Default)]
pub struct TlsConfig {
    ca_file: Option<PathBuf>,
    cert_file: Option<PathBuf>,
    key_file: Option<PathBuf>,
    server_name: Option<String>,
}

impl TlsConfig {
    /// TLS with the system's CA roots and no client certificate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trust only the CA certificates in this PEM file.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// The client certificate: a PEM file holding the certificate (and its
    /// chain) and, unless [`TlsConfig::key_file`] is given, the private key,
    /// like Koji's `cert` option.
    pub fn cert_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.cert_file = Some(path.into());
        self
    }

    /// The client certificate's private key, when it is in its own PEM file.
    pub fn key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.key_file = Some(path.into());
        self
    }

    /// The name to verify the server's certificate against (default: the
    /// host connected to).
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// The name to verify the server against.
    #[cfg(any(feature = "stomp", feature = "amqp1"))]
    pub(super) fn server_name_or(&self, host: &str) -> String {
        self.server_name.clone().unwrap_or_else(|| host.to_owned())
    }

    /// The CA file's PEM text, if one is set.
    #[cfg(feature = "amqp")]
    pub(super) fn ca_pem(&self) -> Result<Option<String>, String> {
        self.ca_file
            .as_ref()
            .map(|p| {
                std::fs::read_to_string(p).map_err(|e| format!("CA file {}: {e}", p.display()))
            })
            .transpose()
    }

    /// The client certificate and key as a PKCS#12 archive (DER, empty
    /// password), if a certificate is set.
    #[cfg(feature = "amqp")]
    pub(super) fn pkcs12(&self) -> Result<Option<Vec<u8>>, String> {
        let Some(cert_path) = &self.cert_file else {
            return Ok(None);
        };
        let read = |p: &PathBuf| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
        let cert_pem = read(cert_path)?;
        let key_path = self.key_file.as_ref().unwrap_or(cert_path);
        let key_pem = read(key_path)?;
        let mut chain = openssl::x509::X509::stack_from_pem(&cert_pem)
            .map_err(|e| format!("certificate file {}: {e}", cert_path.display()))?
            .into_iter();
        let cert = chain
            .next()
            .ok_or_else(|| format!("no certificate in {}", cert_path.display()))?;
        let key = openssl::pkey::PKey::private_key_from_pem(&key_pem)
            .map_err(|e| format!("private key in {}: {e}", key_path.display()))?;
        let mut extra = openssl::stack::Stack::new().map_err(|e| e.to_string())?;
        for c in chain {
            extra.push(c).map_err(|e| e.to_string())?;
        }
        let archive = openssl::pkcs12::Pkcs12::builder()
            .name("koji-client")
            .pkey(&key)
            .cert(&cert)
            .ca(extra)
            .build2("")
            .map_err(|e| format!("client certificate: {e}"))?;
        archive.to_der().map(Some).map_err(|e| e.to_string())
    }

    #[cfg(any(feature = "stomp", feature = "amqp1"))]
    pub(super) fn connector(&self) -> Result<SslConnector, String> {
        let tls = |what: &str, e: openssl::error::ErrorStack| format!("{what}: {e}");
        let mut b =
            SslConnector::builder(SslMethod::tls_client()).map_err(|e| tls("TLS setup", e))?;
        b.set_verify(SslVerifyMode::PEER);
        if let Some(ca) = &self.ca_file {
            b.set_ca_file(ca)
                .map_err(|e| tls(&format!("CA file {}", ca.display()), e))?;
        }
        if let Some(cert) = &self.cert_file {
            b.set_certificate_chain_file(cert)
                .map_err(|e| tls(&format!("certificate file {}", cert.display()), e))?;
            let key = self.key_file.as_ref().unwrap_or(cert);
            b.set_private_key_file(key, SslFiletype::PEM)
                .map_err(|e| tls(&format!("private key in {}", key.display()), e))?;
            b.check_private_key()
                .map_err(|e| tls("client certificate and key do not match", e))?;
        }
        Ok(b.build())
    }
}

/// One connection attempt of a consumer that has lost (or never had) its
/// connection: waits out the backoff after `failures` failures in a row,
/// then runs `open` for at most `timeout` (`timed_out` is the error when it
/// takes longer). A failure is counted in `failures` and logged as a
/// warning naming `transport` and `broker`; the caller tries again.
pub(super) async fn reconnect<C, E: std::fmt::Display>(
    backoff: &Backoff,
    failures: &mut u32,
    timeout: Duration,
    open: impl std::future::Future<Output = Result<C, E>>,
    timed_out: E,
    transport: &str,
    broker: &str,
) -> Option<C> {
    if *failures > 0 {
        tokio::time::sleep(backoff.delay(*failures - 1)).await;
    }
    match tokio::time::timeout(timeout, open)
        .await
        .unwrap_or(Err(timed_out))
    {
        Ok(conn) => Some(conn),
        Err(error) => {
            *failures = failures.saturating_add(1);
            tracing::warn!(
                transport,
                broker,
                %error,
                failures = *failures,
                "connecting to the broker failed; retrying"
            );
            None
        }
    }
}

/// Logs a message that could not be parsed; the stream goes on.
pub(super) fn log_bad_message(transport: &str, topic: Option<&str>, error: &super::MessageError) {
    tracing::warn!(
        transport,
        topic = topic.unwrap_or(""),
        %error,
        "skipping a message that could not be parsed"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let b = Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(10),
            factor: 3.0,
        };
        let delays: Vec<u64> = (0..5).map(|n| b.delay(n).as_secs()).collect();
        assert_eq!(delays, [1, 3, 9, 10, 10]);
        assert_eq!(b.delay(u32::MAX), Duration::from_secs(10));
        let odd = Backoff {
            factor: f64::NAN,
            ..b
        };
        assert_eq!(odd.delay(7), Duration::from_secs(1));
    }
}
