//! One call from a config file and a profile name to a connection.

use std::path::Path;

use crate::config::{Config, ConfigSources};
use crate::{Connection, Result};

impl Connection {
    /// A connection configured by profile `name` of the config file (or
    /// directory of `*.conf` files) at `path`, read as `koji -c PATH -p
    /// NAME` reads it: the system files (`/etc/koji.conf.d/*.conf`,
    /// `/etc/koji.conf`) and then `path`, which replaces the files in the
    /// home directory. A leading `~` in `path` is expanded.
    ///
    /// Errors (a missing file, a syntax error, no such profile, a bad
    /// value) are [`Error`](crate::Error)s whose
    /// [`config_error`](crate::Error::config_error) says what and where.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let file = dir.path().join("koji.conf");
    /// std::fs::write(&file, "[stg]\nserver = https://koji.stg.example.com/kojihub\n")?;
    ///
    /// let koji = koji_client::Connection::from_config_file(&file, "stg")?;
    /// assert_eq!(koji.server_url(), "https://koji.stg.example.com/kojihub");
    ///
    /// let e = koji_client::Connection::from_config_file(&file, "prod").unwrap_err();
    /// assert!(e.config_error().is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_config_file(path: impl AsRef<Path>, name: &str) -> Result<Connection> {
        let sources = ConfigSources::system().with_user_config(path.as_ref());
        let config = Config::load(&sources)?;
        let profile = config.profile(name)?;
        Connection::from_profile_config(&profile)
    }
}
