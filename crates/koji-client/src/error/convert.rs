//! `?` from every error type of this crate into [`Error`].
//!
//! Each module keeps its own precise error type (a [`ConfigError`] names
//! the file and line, an [`EstimateError`] what the estimate lacked…); a
//! program that only wants to stop and say why writes `?` in a function
//! returning [`crate::Result`]. The conversion keeps the original:
//!
//! - errors that *are* hub errors stay what they were: an
//!   [`EstimateError::Source`] or [`LookupError::Fetch`] holding an
//!   [`Error`] gives back that `Error`, with all its predicates
//!   ([`is_timeout`](Error::is_timeout), [`fault_kind`](Error::fault_kind)…);
//!   an [`EstimateError::Fault`] becomes a fault with its code;
//! - every other error is kept whole: its text is the message, and
//!   [`config_error`](Error::config_error),
//!   [`cache_error`](Error::cache_error),
//!   [`estimate_error`](Error::estimate_error) and
//!   [`message_error`](Error::message_error) give it back, with its own
//!   fields and predicates (`estimate_error().map(EstimateError::is_transient)`).

use super::{Component, Error, Kind};
use crate::cache::{CacheError, LookupError};
use crate::config::ConfigError;
use crate::estimate::EstimateError;
use crate::messages::MessageError;

impl Error {
    pub(crate) fn component(component: Component, source: impl Into<super::BoxError>) -> Error {
        Error::new(Kind::Component(component)).with_source(source)
    }

    /// The wrapped error of type `T`, wherever it sits: the source of a
    /// converted error, or the cause of a builder error (such as the
    /// [`ConfigError`] behind [`Connection::from_profile`](crate::Connection::from_profile)).
    fn find_source<T: std::error::Error + 'static>(&self) -> Option<&T> {
        let mut source: Option<&(dyn std::error::Error + 'static)> = self
            .inner
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static));
        while let Some(s) = source {
            if let Some(found) = s.downcast_ref::<T>() {
                return Some(found);
            }
            source = s.source();
        }
        None
    }

    /// The configuration error, when reading koji's configuration or
    /// selecting a profile is what failed.
    ///
    /// ```
    /// use koji_client::config::{Config, ConfigError, ConfigSources};
    ///
    /// fn profile_server(name: &str) -> koji_client::Result<String> {
    ///     let config = Config::load(&ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    ///     Ok(config.profile(name)?.server().to_owned())
    /// }
    /// let e = profile_server("no-such-profile").unwrap_err();
    /// assert!(matches!(e.config_error(), Some(ConfigError::ProfileNotFound { .. })));
    /// assert!(e.to_string().contains("no koji profile named \"no-such-profile\""));
    /// ```
    pub fn config_error(&self) -> Option<&ConfigError> {
        self.find_source()
    }

    /// The name cache's error (an invalid profile or kind name, a cache
    /// that cannot be cleared…).
    pub fn cache_error(&self) -> Option<&CacheError> {
        self.find_source()
    }

    /// The estimate's error, when an estimate could not be made (for a
    /// reason other than a failed hub call, which is kept as the hub
    /// error it was).
    ///
    /// ```
    /// use koji_client::estimate::EstimateError;
    ///
    /// let e = koji_client::Error::from(EstimateError::NoOpenDescendents { task: 11, child_method: "buildArch" });
    /// assert!(e.estimate_error().is_some_and(EstimateError::is_transient));
    /// assert!(e.to_string().starts_with("task 11 has no OPEN buildArch subtask yet"));
    /// ```
    pub fn estimate_error(&self) -> Option<&EstimateError> {
        self.find_source()
    }

    /// The message error, when a bus message could not be read.
    pub fn message_error(&self) -> Option<&MessageError> {
        self.find_source()
    }

    /// A bus consumer's own error (a STOMP, AMQP 0-9-1 or AMQP 1.0
    /// failure), downcast to its type: `e.bus_error::<StompError>()`.
    pub fn bus_error<T: std::error::Error + 'static>(&self) -> Option<&T> {
        match self.inner.kind {
            Kind::Component(Component::Message) => self.find_source(),
            _ => None,
        }
    }
}

/// A configuration file or profile that cannot be used.
impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Error {
        Error::component(Component::Config, e)
    }
}

/// A name cache that cannot be used.
impl From<CacheError> for Error {
    fn from(e: CacheError) -> Error {
        Error::component(Component::Cache, e)
    }
}

/// A cache lookup: an invalid name is a cache error; a failed fetch is
/// the fetch's error, given back as it was when it is an [`Error`] (as
/// from [`NameCache::user_name`](crate::cache::NameCache::user_name)).
impl<E> From<LookupError<E>> for Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn from(e: LookupError<E>) -> Error {
        match e {
            LookupError::Cache(e) => Error::from(e),
            LookupError::Fetch(e) => {
                let boxed: super::BoxError = Box::new(e);
                match boxed.downcast::<Error>() {
                    Ok(hub) => *hub,
                    Err(other) => Error::component(Component::Cache, other),
                }
            }
        }
    }
}

/// An estimate that could not be made. A failed hub call stays the hub
/// error it was; a fault stays a fault (with its code and kind).
impl From<EstimateError> for Error {
    fn from(e: EstimateError) -> Error {
        match &e {
            EstimateError::Source(source) => {
                if let Some(hub) = source.downcast_ref::<Error>() {
                    return hub.duplicate();
                }
                Error::component(Component::Estimate, e)
            }
            EstimateError::Fault {
                method,
                code,
                message,
            } => {
                let (method, code, message) = (*method, *code, message.clone());
                Error::fault(code, message)
                    .with_source(e)
                    .context(method, "")
            }
            _ => Error::component(Component::Estimate, e),
        }
    }
}

/// A bus message that could not be read.
impl From<MessageError> for Error {
    fn from(e: MessageError) -> Error {
        Error::component(Component::Message, e)
    }
}

/// A bus consumer that stopped on a failure retrying cannot fix (its
/// [`FatalKind`](crate::messages::FatalKind) says what to check):
/// `bus_error::<ConsumerError>()` gives it back.
#[cfg(any(feature = "stomp", feature = "amqp", feature = "amqp1"))]
impl From<crate::messages::ConsumerError> for Error {
    fn from(e: crate::messages::ConsumerError) -> Error {
        Error::component(Component::Message, e)
    }
}

/// A STOMP connection that failed.
#[cfg(feature = "stomp")]
impl From<crate::messages::stomp::StompError> for Error {
    fn from(e: crate::messages::stomp::StompError) -> Error {
        Error::component(Component::Message, e)
    }
}

/// An AMQP 0-9-1 connection that failed.
#[cfg(feature = "amqp")]
impl From<crate::messages::amqp::AmqpError> for Error {
    fn from(e: crate::messages::amqp::AmqpError) -> Error {
        Error::component(Component::Message, e)
    }
}

/// An AMQP 1.0 connection that failed.
#[cfg(feature = "amqp1")]
impl From<crate::messages::amqp1::Amqp1Error> for Error {
    fn from(e: crate::messages::amqp1::Amqp1Error) -> Error {
        Error::component(Component::Message, e)
    }
}

/// A STOMP frame that could not be read.
impl From<crate::messages::frame::FrameError> for Error {
    fn from(e: crate::messages::frame::FrameError) -> Error {
        Error::from(MessageError::from(e))
    }
}

/// An AMQP 1.0 encoding that could not be read.
impl From<crate::messages::amqp_value::AmqpDecodeError> for Error {
    fn from(e: crate::messages::amqp_value::AmqpDecodeError) -> Error {
        Error::component(Component::Message, e)
    }
}

/// A client certificate that cannot be used: a login error, whose
/// [`identity_error`](Error::identity_error) is this one.
impl From<crate::auth::ssl::IdentityError> for Error {
    fn from(e: crate::auth::ssl::IdentityError) -> Error {
        Error::auth("the client certificate cannot be used").with_source(e)
    }
}

/// A Kerberos failure: a login error, whose
/// [`kerberos_error`](Error::kerberos_error) is this one.
impl From<crate::auth::gssapi::GssapiError> for Error {
    fn from(e: crate::auth::gssapi::GssapiError) -> Error {
        Error::auth("Kerberos authentication failed").with_source(e)
    }
}

/// A value that does not decode into the asked-for type (from
/// [`koji_xmlrpc::from_value`] on a [`Value`](crate::Value) of a raw
/// call): a decode error, as if the call itself had decoded it.
impl From<koji_xmlrpc::Error> for Error {
    fn from(e: koji_xmlrpc::Error) -> Error {
        Error::decode(e)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::FaultKind;
    use crate::error::TimeoutKind;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn config_errors_keep_their_fields() {
        fn load(dir: &std::path::Path) -> crate::Result<()> {
            std::fs::write(dir.join("koji.conf"), "[hub]\nmax_retries = many\n").unwrap();
            let sources =
                crate::config::ConfigSources::new(dir.join("none.d"), dir.join("koji.conf"), None);
            crate::config::Config::load(&sources)?.profile("hub")?;
            Ok(())
        }
        let dir = tempfile::tempdir().unwrap();
        let e = load(dir.path()).unwrap_err();
        match e.config_error() {
            Some(ConfigError::InvalidInt { option, value, .. }) => {
                assert_eq!(option, "max_retries");
                assert_eq!(value, "many");
            }
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().contains("not a valid integer"), "{e}");
        assert!(!e.is_fault() && e.estimate_error().is_none());
    }

    #[test]
    fn estimate_errors_keep_hub_errors_and_predicates() {
        // A hub error inside an estimate comes back as itself.
        let hub = Error::timeout(TimeoutKind::Response, Duration::from_secs(3))
            .context("getTaskDescendents", "http://hub/kojihub");
        let e = Error::from(EstimateError::Source(Arc::new(hub)));
        assert!(e.is_timeout(), "{e}");
        assert_eq!(e.method(), Some("getTaskDescendents"));
        // A fault stays a fault.
        let e = Error::from(EstimateError::Fault {
            method: "getAverageBuildDuration",
            code: 1000,
            message: "No such package".into(),
        });
        assert_eq!(e.fault_kind(), Some(FaultKind::GenericError));
        assert_eq!(e.fault_string(), Some("No such package"));
        assert_eq!(e.method(), Some("getAverageBuildDuration"));
        assert!(e.estimate_error().is_some());
        // Anything else is kept whole.
        let e = Error::from(EstimateError::NoCapacity { channel: 9 });
        assert!(matches!(
            e.estimate_error(),
            Some(EstimateError::NoCapacity { channel: 9 })
        ));
        assert_eq!(e.to_string(), "channel 9 has no enabled host with capacity");
        assert!(!e.estimate_error().unwrap().is_transient());
    }

    #[test]
    fn lookup_errors_give_back_the_fetch_error() {
        let hub = Error::fault(1000, "No such user");
        let e = Error::from(LookupError::Fetch(hub));
        assert_eq!(e.fault_kind(), Some(FaultKind::GenericError));
        let e = Error::from(LookupError::Fetch(std::io::Error::other("disk on fire")));
        assert!(e.to_string().contains("disk on fire"), "{e}");
        let e = Error::from(LookupError::<std::io::Error>::Cache(CacheError::NoCacheDir));
        assert!(matches!(e.cache_error(), Some(CacheError::NoCacheDir)));
        assert_eq!(
            e.to_string(),
            "no cache directory: neither XDG_CACHE_HOME nor HOME is set"
        );
    }

    #[test]
    fn message_errors_keep_kind_and_path() {
        let m = MessageError::Missing {
            kind: "Tag",
            topic: None,
            field: "build".into(),
        };
        let e = Error::from(m.clone());
        assert_eq!(e.message_error(), Some(&m));
        assert_eq!(e.to_string(), "Tag message: missing build");
        assert!(e.bus_error::<MessageError>().is_some());
        assert!(e.config_error().is_none());
    }

    #[test]
    fn codec_errors_are_decode_errors() {
        let v = koji_xmlrpc::Value::from("not a number");
        let r: crate::Result<i64> = koji_xmlrpc::from_value(v).map_err(Error::from);
        let e = r.unwrap_err();
        assert!(e.is_decode() && e.decode_error().is_some(), "{e}");
    }

    #[test]
    fn certificate_errors_are_login_errors() {
        let e = Error::from(
            crate::auth::ssl::ClientIdentity::from_pem(b"not a PEM file", "/x/cert.pem")
                .unwrap_err(),
        );
        assert!(e.is_auth(), "{e}");
        assert!(e.identity_error().is_some());
        assert!(
            e.to_string()
                .starts_with("login failed: the client certificate cannot be used"),
            "{e}"
        );
    }

    /// Every module's error works with `?` in one function.
    #[test]
    fn question_mark_works_from_every_module() {
        fn all(which: u8) -> crate::Result<()> {
            match which {
                0 => Err(ConfigError::ExplicitConfigEmpty { path: "/x".into() })?,
                1 => Err(CacheError::NoCacheDir)?,
                2 => Err(LookupError::<Error>::Cache(CacheError::NoCacheDir))?,
                3 => Err(EstimateError::NoCapacity { channel: 1 })?,
                4 => Err(MessageError::Envelope("x".into()))?,
                5 => Err(crate::ModelError::NoRequest { task: None })?,
                _ => Ok(()),
            }
        }
        for which in 0..6 {
            assert!(all(which).is_err());
        }
    }
}
