//! What went wrong, the exit code it maps to, and what to try.

use koji_client::config::{ConfigError, Profile};

/// Exit status for a hub fault or an object that does not exist.
pub(crate) const EXIT_FAULT: u8 = 1;
/// Exit status for a usage error (bad arguments, unknown profile, bad config).
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit status for a connection, TLS or login failure.
pub(crate) const EXIT_CONNECTION: u8 = 3;

/// A failure of a command: a message for stderr, an optional hint on the
/// next line, and the exit code.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

/// The hint for a fault that says the call needs a login or a permission.
const LOGIN_HINT: &str = "the call needs a login (with that permission): `rkoji whoami` shows \
                          whether the profile logs you in, and as whom";

impl Failure {
    /// A usage error (exit 2).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: EXIT_USAGE,
            message: message.into(),
            hint: None,
        }
    }

    /// Something that does not exist on the hub (exit 1).
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Failure {
            code: EXIT_FAULT,
            message: message.into(),
            hint: None,
        }
    }

    /// A local I/O failure (writing output, reading stdin).
    pub(crate) fn io(e: std::io::Error) -> Self {
        Failure {
            code: EXIT_FAULT,
            message: format!("I/O error: {e}"),
            hint: None,
        }
    }

    /// Adds a hint line.
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// A library error: faults exit 1, arguments that cannot be encoded
    /// exit 2, transport and TLS problems exit 3. `profile` is the one whose
    /// hub was called, with `limit` the time limit the call had.
    pub(crate) fn from_client(e: &koji_client::Error, profile: &Profile, limit: Limit) -> Self {
        let server = profile.server();
        if e.is_fault() {
            let hint = match e.fault_kind() {
                Some(koji_client::FaultKind::ParameterError) => {
                    Some("check the method's arguments: `rkoji call system.methodHelp METHOD` shows them".to_owned())
                }
                Some(kind)
                    if kind.is_auth_error() || kind == koji_client::FaultKind::ActionNotAllowed =>
                {
                    Some(LOGIN_HINT.to_owned())
                }
                _ => None,
            };
            return Failure {
                code: EXIT_FAULT,
                message: e.to_string(),
                hint,
            };
        }
        if e.is_encode() {
            // The arguments could not be sent: the command line's fault.
            return Failure::usage(e.to_string());
        }
        let hint = if e.is_tls() {
            Some(format!(
                "check the profile's serverca (the CA that signed {server}'s certificate)"
            ))
        } else if e.is_builder() {
            Some(format!(
                "check the profile of {server}: its cert, serverca and login settings"
            ))
        } else if answered_too_slowly(e) {
            let (setting, secs) = match limit {
                Limit::Call => ("timeout", profile.timeout_secs()),
                Limit::Login => ("auth_timeout", profile.auth_timeout_secs()),
            };
            Some(format!(
                "timed out: {server} did not answer in time; raise `{setting}` \
                 (seconds, now {secs}) in profile [{}]",
                profile.name()
            ))
        } else if e.is_connect() || e.is_timeout() {
            Some(format!(
                "cannot reach {server}: check the network, the profile's `server`, or a proxy (https_proxy)"
            ))
        } else {
            None
        };
        Failure {
            code: EXIT_CONNECTION,
            message: e.to_string(),
            hint,
        }
    }

    /// A broker consumer that stopped on what retrying cannot fix (exit 3),
    /// with a hint naming what to check.
    pub(crate) fn from_consumer(e: &koji_client::messages::ConsumerError, broker: &str) -> Self {
        use koji_client::messages::FatalKind;
        let hint = match e.kind() {
            FatalKind::Credentials => {
                format!("check the user name and password in --broker {broker} (URL-encoded)")
            }
            FatalKind::AccessRefused => format!(
                "check the virtual host in --broker {broker} (the URL's path, %2F for \"/\") \
                 and that the user may read from it"
            ),
            FatalKind::UntrustedBroker => {
                "check --ca (or the profile's serverca): it must hold the CA that signed the \
                 broker's certificate, and the certificate must name the broker's host"
                    .to_owned()
            }
            FatalKind::CertificateRefused => {
                "check --cert/--key (or the profile's cert): the broker must trust its issuer, \
                 and it must not have expired"
                    .to_owned()
            }
            FatalKind::NotFound => {
                "check --topic (and --queue): the queue, exchange or address must exist, or \
                 the user must be allowed to create it"
                    .to_owned()
            }
            _ => format!("check the --broker URL {broker} and the TLS settings"),
        };
        Failure {
            code: EXIT_CONNECTION,
            message: e.to_string(),
            hint: Some(hint),
        }
    }

    /// A configuration error: exit 2 (the user can fix the files or `-p`).
    pub(crate) fn from_config(e: &ConfigError) -> Self {
        Failure::usage(e.to_string())
    }
}

/// Which of the profile's time limits a call had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    /// `timeout`: any call but a login.
    Call,
    /// `auth_timeout`: a login.
    Login,
}

/// Whether `e` is a time limit that expired with the hub reached: waiting
/// for its answer, or the call's overall deadline after attempts that did
/// connect. A timeout while connecting, or a deadline that expired after
/// attempts that could not connect, is not: the hub was not reached.
fn answered_too_slowly(e: &koji_client::Error) -> bool {
    if !e.is_timeout() || e.is_connect() {
        return false;
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.downcast_ref::<koji_client::Error>()
            .is_some_and(koji_client::Error::is_connect)
        {
            return false;
        }
        source = s.source();
    }
    true
}
