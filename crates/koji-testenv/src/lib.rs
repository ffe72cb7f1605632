//! Real components for koji-client's tests, started on 127.0.0.1 in a
//! temporary directory and stopped when dropped:
//!
//! - [`pki::Pki`]: a test CA, a server certificate for `localhost` and client
//!   certificates (RSA PKCS#1, PKCS#8 and EC keys, plus broken ones: expired,
//!   from an unknown CA, with a key that does not match);
//! - [`kdc::Kdc`]: an MIT Kerberos KDC with a test realm, user principals,
//!   service keys and client keytabs;
//! - [`apache::Apache`]: Apache httpd with mod_ssl and mod_auth_gssapi,
//!   configured the way Koji documents it, as a reverse proxy in front of a
//!   hub (koji-testhub, or [`backend::EchoBackend`] for tests of the
//!   set-up itself) that receives the authenticated identity in headers;
//! - [`http`]: a tiny blocking HTTP/1.1 client for tests of the set-up;
//! - [`rabbitmq::RabbitMq`]: RabbitMQ with its STOMP and AMQP 1.0 plugins
//!   (and a TLS STOMP listener on demand), and [`bus`]: the recorded bus
//!   messages and the real Python publishers, for the message-bus tests of
//!   koji-client and rkoji;
//! - [`apache::FileServer`]: Apache serving a directory as a Koji file
//!   tree (`topurl`) over plain HTTP; [`rpmgen`]: well-formed RPM files of
//!   any size whose SIGMD5 a hub can describe; [`delay_proxy`]: an HTTP
//!   proxy adding a fixed delay to every request;
//! - [`realhub`]: the HTTP exchanges and bus messages recorded from a real
//!   hub, which the tests of every crate replay.
//!
//! The programs come from Debian packages that `scripts/install-test-deps`
//! installs. When one is missing, starting a component fails with an error
//! that says so; tests are never skipped.
//!
//! Nothing here changes the environment of the test process: the Kerberos
//! configuration is given to child processes only (see [`kdc::Kdc::env`]).

use std::fmt;
use std::path::Path;

pub mod apache;
pub mod backend;
pub mod bus;
pub mod delay_proxy;
pub mod http;
pub mod kdc;
pub mod pki;
mod process;
pub mod rabbitmq;
pub mod realhub;
pub mod rpmgen;
mod tools;

pub use tools::find_program;

/// What went wrong while setting up or using a test component.
#[derive(Debug)]
pub struct Error {
    message: String,
}

impl Error {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    pub(crate) fn io(what: impl fmt::Display, err: std::io::Error) -> Self {
        Self::new(format!("{what}: {err}"))
    }

    pub(crate) fn ssl(what: impl fmt::Display, err: openssl::error::ErrorStack) -> Self {
        Self::new(format!("{what}: {err}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Returns a TCP port on 127.0.0.1 that was free a moment ago (the OS picks
/// it; the listener is closed before the port is handed to a server).
pub fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Error::io("binding 127.0.0.1:0", e))?;
    let port = listener
        .local_addr()
        .map_err(|e| Error::io("reading the local address", e))?
        .port();
    Ok(port)
}

pub(crate) fn write_file(path: &Path, contents: impl AsRef<[u8]>) -> Result<()> {
    std::fs::write(path, contents).map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

/// Makes a file or directory readable (and, for directories, searchable) by
/// every user: Apache's worker processes drop root privileges and must still
/// read the keytab below the temporary directory.
pub(crate) fn make_world_readable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if path.is_dir() { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io(format!("chmod {}", path.display()), e))
}

/// Finds what looks like a Koji session key (`<user id>-<19 letters or
/// digits>`) in `text`: the tests that check that no key reaches output,
/// logs or errors search with it.
pub fn session_keys(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'-' || i == 0 {
            continue;
        }
        let digits_start = bytes[..i]
            .iter()
            .rposition(|c| !c.is_ascii_digit())
            .map_or(0, |p| p + 1);
        if digits_start == i {
            continue;
        }
        let alnum = bytes[i + 1..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        if alnum == 19 {
            found.push(text[digits_start..i + 20].to_owned());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::session_keys;

    #[test]
    fn session_keys_are_found_wherever_they_stand() {
        let text = "session-key=12-5NZbMXF9tRFaaTwT6ag, then 7-abcdefghij012345678 ok";
        assert_eq!(
            session_keys(text),
            ["12-5NZbMXF9tRFaaTwT6ag", "7-abcdefghij012345678"]
        );
        // Not a key: no user id, or a tail of another length.
        assert!(session_keys("x-5NZbMXF9tRFaaTwT6ag 3-short 4-5NZbMXF9tRFaaTwT6agAB").is_empty());
    }
}
