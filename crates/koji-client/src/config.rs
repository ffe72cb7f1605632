//! Koji profiles, read from the same files and in the same way as the
//! official `koji` tool reads them, so a profile that works with
//! `koji -p NAME` works here unchanged.
//!
//! - [`ConfigSources`] says where to look (`/etc/koji.conf.d/*.conf`,
//!   `/etc/koji.conf`, `~/.koji/config.d/*.conf`, `~/.koji/config`, or an
//!   explicit file like koji's `-c`).
//! - [`Config::load`] reads every file into one set of sections, with
//!   Python ConfigParser's syntax and rules, later files overriding earlier
//!   ones option by option.
//! - [`Config::profile`] resolves one profile: `%(name)s` expansion,
//!   `[DEFAULT]` inheritance, koji's defaults and type conversions, all
//!   checked at once (like koji, only the selected profile is checked, so a
//!   broken profile does not stop others from being used).
//! - [`Profile`] has typed accessors for every option koji knows and
//!   [`Profile::get`] for any other.
//!
//! When no file defines a profile named [`BUILTIN_PROFILE`] (`fedora`), a
//! built-in one pointing at Fedora's Koji is used.
//!
//! One deliberate difference from koji: `no_ssl_verify` is read as a
//! boolean (koji keeps it as a string, so `no_ssl_verify = false` turns
//! verification *off* there). A profile that turns verification off logs a
//! warning through `tracing` when it is selected.
//!
//! ```
//! use koji_client::config::{Config, ConfigSources};
//!
//! let dir = tempfile::tempdir()?;
//! let home = dir.path().join("home");
//! std::fs::create_dir_all(home.join(".koji"))?;
//! std::fs::write(
//!     home.join(".koji/config"),
//!     "[cbs]\n\
//!      server = https://cbs.centos.org/kojihub\n\
//!      weburl = https://cbs.centos.org/koji\n\
//!      authtype = ssl\n",
//! )?;
//! let sources = ConfigSources::new(dir.path().join("etc/koji.conf.d"), dir.path().join("etc/koji.conf"), Some(home));
//! let config = Config::load(&sources)?;
//! assert_eq!(config.profile_names(), ["cbs", "fedora"]);
//!
//! let cbs = config.profile("cbs")?;
//! assert_eq!(cbs.server(), "https://cbs.centos.org/kojihub");
//! assert_eq!(cbs.max_retries(), 30); // koji's default
//!
//! let found = config.profile_for_weburl("https://cbs.centos.org/koji/taskinfo?taskID=1")?;
//! assert_eq!(found.name(), "cbs");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod ini;
mod profile;
mod pyvalue;
mod sources;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use error::{ConfigError, InterpolationErrorKind, SyntaxErrorKind};
pub use profile::{AuthType, BUILTIN_PROFILE, Profile, ProfileOrigin};
pub use sources::ConfigSources;

use ini::{Ini, interpolate};
use profile::BUILTIN_OPTIONS;

/// All koji configuration that was found: every section of every file,
/// ready to resolve profiles from.
///
/// ```
/// use koji_client::config::{Config, ConfigSources};
///
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir(dir.path().join("koji.conf.d"))?;
/// std::fs::write(dir.path().join("koji.conf.d/a.conf"), "[hub]\nserver = https://a/kojihub\n")?;
/// std::fs::write(dir.path().join("koji.conf"), "[hub]\nserver = https://b/kojihub\n")?;
/// let sources = ConfigSources::new(dir.path().join("koji.conf.d"), dir.path().join("koji.conf"), None);
/// let config = Config::load(&sources)?;
/// // /etc/koji.conf is read after /etc/koji.conf.d, so it wins.
/// assert_eq!(config.profile("hub")?.server(), "https://b/kojihub");
/// assert_eq!(config.files().len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    ini: Ini,
    home: Option<PathBuf>,
}

impl Config {
    /// Finds and reads every config file of `sources`, in koji's order.
    ///
    /// Fails on the first file that cannot be read, is not UTF-8 or breaks
    /// the ConfigParser syntax (koji fails on those too, whatever profile is
    /// asked for), and when an explicitly named config is missing. Values
    /// are not checked here; see [`Config::profile`].
    ///
    /// ```
    /// use koji_client::config::{Config, ConfigError, ConfigSources};
    ///
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("koji.conf"), "server = https://a/kojihub\n")?;
    /// let sources = ConfigSources::new(dir.path().join("koji.conf.d"), dir.path().join("koji.conf"), None);
    /// let err = Config::load(&sources).unwrap_err();
    /// assert!(matches!(err, ConfigError::Syntax { line: 1, .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load(sources: &ConfigSources) -> Result<Config, ConfigError> {
        let mut ini = Ini::default();
        for path in sources.files()? {
            let bytes = std::fs::read(&path).map_err(|err| ConfigError::read(&path, err))?;
            let text = match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(err) => {
                    let valid = err.utf8_error().valid_up_to();
                    let before = err.as_bytes().get(..valid).unwrap_or_default();
                    // Line breaks as Python counts them: \n, \r\n or a lone \r.
                    let line = 1 + before
                        .iter()
                        .enumerate()
                        .filter(|&(i, &b)| {
                            b == b'\n' || (b == b'\r' && before.get(i + 1) != Some(&b'\n'))
                        })
                        .count();
                    return Err(ConfigError::NotUtf8 { path, line });
                }
            };
            ini.read_str(&text, &path)?;
        }
        Ok(Config {
            ini,
            home: sources.home().map(Path::to_owned),
        })
    }

    /// The files that were read, in reading order.
    ///
    /// ```
    /// # use koji_client::config::{Config, ConfigSources};
    /// let config = Config::load(&ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert!(config.files().is_empty());
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn files(&self) -> &[PathBuf] {
        &self.ini.files
    }

    /// The names of all profiles, in the order the files first define
    /// them, then the built-in one if no file defines it. `[DEFAULT]` is
    /// not a profile.
    ///
    /// ```
    /// # use koji_client::config::{Config, ConfigSources};
    /// let config = Config::load(&ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile_names(), ["fedora"]);
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn profile_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.ini.sections.keys().map(String::as_str).collect();
        if !self.ini.has_section(BUILTIN_PROFILE) {
            names.push(BUILTIN_PROFILE);
        }
        names
    }

    /// Whether a profile of this name exists (in a file, or built in).
    ///
    /// ```
    /// # use koji_client::config::{Config, ConfigSources};
    /// let config = Config::load(&ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert!(config.has_profile("fedora"));
    /// assert!(!config.has_profile("DEFAULT"));
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn has_profile(&self, name: &str) -> bool {
        self.ini.has_section(name) || name == BUILTIN_PROFILE
    }

    /// Resolves one profile the way `koji -p NAME` does: every option of
    /// the section and of `[DEFAULT]` is expanded, the options koji knows
    /// are converted (integers, booleans), koji's defaults fill the rest,
    /// and `cert`/`serverca` default to `~/.koji/client.crt` and
    /// `~/.koji/serverca.crt` when those exist.
    ///
    /// Fails when the profile does not exist (the error lists the profiles
    /// that do and the files read), when a `%(name)s` reference cannot be
    /// expanded, or when a known option has a value of the wrong type.
    /// Other profiles are not looked at.
    ///
    /// ```
    /// use koji_client::config::{Config, ConfigError, ConfigSources};
    ///
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("koji.conf"), "[good]\nserver = https://a/kojihub\n[bad]\ntimeout = soon\n")?;
    /// let sources = ConfigSources::new(dir.path().join("koji.conf.d"), dir.path().join("koji.conf"), None);
    /// let config = Config::load(&sources)?;
    /// assert_eq!(config.profile("good")?.server(), "https://a/kojihub");
    /// assert!(matches!(config.profile("bad"), Err(ConfigError::InvalidInt { .. })));
    /// match config.profile("missing") {
    ///     Err(ConfigError::ProfileNotFound { known, .. }) => assert_eq!(known, ["good", "bad", "fedora"]),
    ///     other => panic!("unexpected {other:?}"),
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn profile(&self, name: &str) -> Result<Profile, ConfigError> {
        match profile::resolve(&self.ini, name, self.home.as_deref()) {
            Some(result) => result,
            None => Err(ConfigError::ProfileNotFound {
                name: name.to_owned(),
                known: self
                    .profile_names()
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
                files: self.ini.files.clone(),
            }),
        }
    }

    /// The `weburl` a profile sets (in its section, in `[DEFAULT]`, or
    /// built in), expanded; `None` when unset or unexpandable.
    fn explicit_weburl(&self, name: &str) -> Option<String> {
        match self.ini.raw_items(name) {
            Some(items) => {
                let (entry, _) = items.get("weburl")?;
                let lookup = |key: &str| items.get(key).map(|(e, _)| e.value.as_str());
                match interpolate(&entry.value, &lookup) {
                    Ok(weburl) => Some(weburl),
                    Err(err) => {
                        tracing::debug!(profile = name, error = %err, "skipping profile whose weburl cannot be expanded");
                        None
                    }
                }
            }
            None if name == BUILTIN_PROFILE => BUILTIN_OPTIONS
                .iter()
                .find(|(k, _)| *k == "weburl")
                .map(|(_, v)| (*v).to_owned()),
            None => None,
        }
    }

    /// Finds the profile for a kojiweb URL, such as one pasted into chat
    /// (txkoji's `connect_from_web`): the profile whose `weburl` the URL
    /// starts with, followed by the end of the URL, `/`, `?` or `#`. When
    /// several match, the longest `weburl` wins, then the first profile.
    /// Only profiles that set `weburl` take part (koji's default
    /// `http://localhost/koji` does not), and a URL containing whitespace
    /// matches nothing. A profile whose `weburl` cannot be expanded is
    /// skipped; when the matching profile is broken otherwise, this fails
    /// as [`Config::profile`] does.
    ///
    /// ```
    /// # use koji_client::config::{Config, ConfigSources, ConfigError};
    /// let config = Config::load(&ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// let profile = config.profile_for_weburl("https://koji.fedoraproject.org/koji/buildinfo?buildID=1")?;
    /// assert_eq!(profile.name(), "fedora");
    /// assert!(matches!(
    ///     config.profile_for_weburl("https://koji.fedoraproject.org/kojifoo"),
    ///     Err(ConfigError::NoProfileForWebUrl { .. })
    /// ));
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn profile_for_weburl(&self, url: &str) -> Result<Profile, ConfigError> {
        let not_found = || ConfigError::NoProfileForWebUrl {
            url: url.to_owned(),
        };
        if url.is_empty()
            || url
                .chars()
                .any(|c| c.is_whitespace() || pyvalue::is_space(c))
        {
            return Err(not_found());
        }
        let mut best: Option<(usize, &str)> = None;
        for name in self.profile_names() {
            let Some(weburl) = self.explicit_weburl(name) else {
                continue;
            };
            if !weburl_matches(&weburl, url) {
                continue;
            }
            if best.is_none_or(|(len, _)| weburl.len() > len) {
                best = Some((weburl.len(), name));
            }
        }
        match best {
            Some((_, name)) => self.profile(name),
            None => Err(not_found()),
        }
    }
}

/// Whether `url` is under `weburl`: a prefix ending at a path, query or
/// fragment boundary.
fn weburl_matches(weburl: &str, url: &str) -> bool {
    if weburl.is_empty() {
        return false;
    }
    match url.strip_prefix(weburl) {
        None => false,
        Some(rest) => {
            weburl.ends_with('/')
                || rest.is_empty()
                || rest.starts_with('/')
                || rest.starts_with('?')
                || rest.starts_with('#')
        }
    }
}
