//! One resolved profile: every option koji knows, typed, with koji's
//! defaults, plus every other option of the section as a string.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::ConfigError;
use super::ini::{DEFAULT_SECTION, Ini, OrderedMap, interpolate};
use super::pyvalue::{expand_user, parse_bool, parse_int};

/// The name of the profile that is built in, used only when no config file
/// defines a profile of that name.
///
/// It points at Fedora's Koji with the values Fedora ships in
/// `/etc/koji.conf`, so a program works on a machine that has no koji
/// configuration at all.
///
/// ```
/// use koji_client::config::{BUILTIN_PROFILE, Config, ConfigSources, ProfileOrigin};
///
/// let dir = tempfile::tempdir()?;
/// let sources = ConfigSources::new(dir.path().join("none.d"), dir.path().join("none"), None);
/// let config = Config::load(&sources)?;
/// let fedora = config.profile(BUILTIN_PROFILE)?;
/// assert_eq!(fedora.server(), "https://koji.fedoraproject.org/kojihub");
/// assert_eq!(fedora.origin(), &ProfileOrigin::BuiltIn);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const BUILTIN_PROFILE: &str = "fedora";

/// The options of the built-in profile (Fedora's `/etc/koji.conf`, without
/// the options koji ignores).
pub(crate) const BUILTIN_OPTIONS: &[(&str, &str)] = &[
    ("server", "https://koji.fedoraproject.org/kojihub"),
    ("weburl", "https://koji.fedoraproject.org/koji"),
    ("topurl", "https://kojipkgs.fedoraproject.org/"),
    ("authtype", "kerberos"),
    ("use_fast_upload", "yes"),
];

/// Where a profile came from.
///
/// ```
/// use koji_client::config::ProfileOrigin;
///
/// let origin = ProfileOrigin::Files(vec!["/etc/koji.conf".into()]);
/// assert_eq!(origin.to_string(), "/etc/koji.conf");
/// assert_eq!(ProfileOrigin::BuiltIn.to_string(), "built-in");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProfileOrigin {
    /// The files that have a header for this profile's section, in reading
    /// order. (`[DEFAULT]` values may come from other files too.)
    Files(Vec<PathBuf>),
    /// The built-in profile ([`BUILTIN_PROFILE`]).
    BuiltIn,
}

impl fmt::Display for ProfileOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProfileOrigin::BuiltIn => f.write_str("built-in"),
            ProfileOrigin::Files(files) => {
                for (i, file) in files.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", file.display())?;
                }
                Ok(())
            }
        }
    }
}

/// The `authtype` option: how to log in.
///
/// It keeps koji's option name because it is the profile's word, spelled as
/// in the config file. What the hub reports about a session's login is a
/// different thing, [`HubAuthType`](crate::HubAuthType) (the hub's number).
///
/// koji's CLI compares the value exactly (it is case-sensitive), so
/// `"SSL"` is [`AuthType::Other`], and koji then logs in by no method.
///
/// ```
/// use koji_client::config::AuthType;
///
/// assert_eq!(AuthType::parse("kerberos"), AuthType::Kerberos);
/// assert_eq!(AuthType::parse("SSL"), AuthType::Other("SSL".into()));
/// assert_eq!(AuthType::Noauth.as_str(), "noauth");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthType {
    /// `ssl`: log in with the client certificate (`cert`).
    Ssl,
    /// `kerberos`: log in with GSSAPI.
    Kerberos,
    /// `password`: log in with a user name and password (never from the
    /// config file).
    Password,
    /// `noauth`: do not log in.
    Noauth,
    /// Any other value, kept as written.
    Other(String),
}

impl AuthType {
    /// Reads an `authtype` value the way koji's CLI compares it.
    ///
    /// ```
    /// use koji_client::config::AuthType;
    /// assert_eq!(AuthType::parse("password"), AuthType::Password);
    /// ```
    pub fn parse(value: &str) -> Self {
        match value {
            "ssl" => AuthType::Ssl,
            "kerberos" => AuthType::Kerberos,
            "password" => AuthType::Password,
            "noauth" => AuthType::Noauth,
            other => AuthType::Other(other.to_owned()),
        }
    }

    /// The value as written in a config file.
    ///
    /// ```
    /// use koji_client::config::AuthType;
    /// assert_eq!(AuthType::Ssl.as_str(), "ssl");
    /// ```
    pub fn as_str(&self) -> &str {
        match self {
            AuthType::Ssl => "ssl",
            AuthType::Kerberos => "kerberos",
            AuthType::Password => "password",
            AuthType::Noauth => "noauth",
            AuthType::Other(other) => other,
        }
    }
}

impl fmt::Display for AuthType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One koji profile, resolved the way `koji -p NAME` resolves it.
///
/// Every option of the section (and of `[DEFAULT]`) is kept as a string
/// after `%(name)s` expansion and can be read with [`Profile::get`], known
/// or not. The options koji knows also have typed accessors that apply
/// koji's defaults and conversions. They were all checked when the profile
/// was selected ([`Config::profile`](super::Config::profile)), so the
/// accessors cannot fail.
///
/// Where koji and its CLI leave an option empty or unset, the accessors
/// return `None`.
///
/// ```
/// use koji_client::config::{AuthType, Config, ConfigSources};
///
/// let dir = tempfile::tempdir()?;
/// std::fs::write(
///     dir.path().join("koji.conf"),
///     "[DEFAULT]\nhost = koji.example.com\n\n\
///      [example]\nserver = https://%(host)s/kojihub\nweburl = https://%(host)s/koji\n\
///      authtype = ssl\nmax_retries = 3\nanon_retry = no\nkrbservice = host\n",
/// )?;
/// let sources = ConfigSources::new(dir.path().join("koji.conf.d"), dir.path().join("koji.conf"), None);
/// let profile = Config::load(&sources)?.profile("example")?;
/// assert_eq!(profile.server(), "https://koji.example.com/kojihub");
/// assert_eq!(profile.authtype(), Some(&AuthType::Ssl));
/// assert_eq!(profile.max_retries(), 3);
/// assert!(!profile.anon_retry());
/// assert_eq!(profile.timeout(), std::time::Duration::from_secs(43200));
/// assert_eq!(profile.get("krbservice"), Some("host"));
/// assert_eq!(profile.get("host"), Some("koji.example.com"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Profile {
    name: String,
    origin: ProfileOrigin,
    options: OrderedMap<String>,
    home: Option<PathBuf>,
    server: String,
    weburl: String,
    topurl: Option<String>,
    pkgurl: Option<String>,
    topdir: PathBuf,
    max_retries: i64,
    retry_interval: i64,
    anon_retry: bool,
    offline_retry: bool,
    offline_retry_interval: i64,
    timeout: i64,
    auth_timeout: i64,
    use_fast_upload: bool,
    upload_blocksize: i64,
    poll_interval: i64,
    principal: Option<String>,
    keytab: Option<String>,
    cert: Option<PathBuf>,
    serverca: Option<PathBuf>,
    no_ssl_verify: bool,
    authtype: Option<AuthType>,
    debug: bool,
    debug_xmlrpc: bool,
    pyver: Option<i64>,
    plugin_paths: Option<String>,
    force_auth: bool,
}

/// Option names that look like they hold a secret; their values are left
/// out of `Debug` output.
fn looks_secret(name: &str) -> bool {
    ["password", "passwd", "secret", "token", "private"]
        .iter()
        .any(|word| name.contains(word))
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Options<'a>(&'a OrderedMap<String>);
        impl fmt::Debug for Options<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut map = f.debug_map();
                for (name, value) in self.0.iter() {
                    if looks_secret(name) {
                        map.entry(&name, &"<redacted>");
                    } else {
                        map.entry(&name, value);
                    }
                }
                map.finish()
            }
        }
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("origin", &self.origin)
            .field("options", &Options(&self.options))
            .finish_non_exhaustive()
    }
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

fn seconds(value: i64) -> Duration {
    Duration::from_secs(u64::try_from(value).unwrap_or(0))
}

impl Profile {
    /// The profile (section) name.
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.name(), "fedora");
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where the profile came from: the files that define it, or the
    /// built-in default.
    ///
    /// ```
    /// # use koji_client::config::ProfileOrigin;
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.origin(), &ProfileOrigin::BuiltIn);
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn origin(&self) -> &ProfileOrigin {
        &self.origin
    }

    /// Any option as set in the files (after `%(name)s` expansion),
    /// including options koji does not know, or `None` when it is not set.
    /// The name is matched case-insensitively, as ConfigParser does. No
    /// default is applied: use the typed accessors for that.
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// let fedora = config.profile("fedora")?;
    /// assert_eq!(fedora.get("AuthType"), Some("kerberos"));
    /// assert_eq!(fedora.get("timeout"), None);
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn get(&self, option: &str) -> Option<&str> {
        match self.options.get(option) {
            Some(value) => Some(value),
            None => self.options.get(&option.to_lowercase()).map(String::as_str),
        }
    }

    /// All options that are set, in ConfigParser's order (`[DEFAULT]`
    /// options first), after `%(name)s` expansion.
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// let fedora = config.profile("fedora")?;
    /// let names: Vec<&str> = fedora.options().map(|(k, _)| k).collect();
    /// assert!(names.contains(&"server"));
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn options(&self) -> impl Iterator<Item = (&str, &str)> {
        self.options.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// `server`: the hub's XML-RPC URL (default `http://localhost/kojihub`).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.server(), "https://koji.fedoraproject.org/kojihub");
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn server(&self) -> &str {
        &self.server
    }

    /// `weburl`: the kojiweb URL (default `http://localhost/koji`).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.weburl(), "https://koji.fedoraproject.org/koji");
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn weburl(&self) -> &str {
        &self.weburl
    }

    /// `topurl`: the URL of the file tree, as koji's CLI uses it. When it
    /// is unset and the obsolete `pkgurl` ends in `/packages`, the CLI
    /// derives it from `pkgurl`; so do we.
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.topurl(), Some("https://kojipkgs.fedoraproject.org/"));
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn topurl(&self) -> Option<&str> {
        if let Some(topurl) = non_empty(&self.topurl) {
            return Some(topurl);
        }
        let pkgurl = non_empty(&self.pkgurl)?;
        pkgurl
            .strip_suffix("/packages/")
            .or_else(|| pkgurl.strip_suffix("/packages"))
    }

    /// `pkgurl`: obsolete; see [`Profile::topurl`].
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.pkgurl(), None);
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn pkgurl(&self) -> Option<&str> {
        non_empty(&self.pkgurl)
    }

    /// `topdir`: the local path of the file tree (default `/mnt/koji`),
    /// `~` expanded as koji's CLI does.
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.topdir(), std::path::Path::new("/mnt/koji"));
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn topdir(&self) -> &Path {
        &self.topdir
    }

    /// `max_retries`: how often a failed call is retried (default 30).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.max_retries(), 30);
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn max_retries(&self) -> i64 {
        self.max_retries
    }

    /// `retry_interval` in seconds, as written (default 20).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.retry_interval_secs(), 20);
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn retry_interval_secs(&self) -> i64 {
        self.retry_interval
    }

    /// `retry_interval` as a duration (a negative value counts as zero).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.retry_interval(), std::time::Duration::from_secs(20));
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn retry_interval(&self) -> Duration {
        seconds(self.retry_interval)
    }

    /// `anon_retry`: whether calls made without logging in are retried
    /// (default true, as in koji 1.36).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert!(config.profile("fedora")?.anon_retry());
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn anon_retry(&self) -> bool {
        self.anon_retry
    }

    /// `offline_retry`: whether to keep retrying while the hub is offline
    /// (default false).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert!(!config.profile("fedora")?.offline_retry());
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn offline_retry(&self) -> bool {
        self.offline_retry
    }

    /// `offline_retry_interval` in seconds, as written (default 20).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.offline_retry_interval_secs(), 20);
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn offline_retry_interval_secs(&self) -> i64 {
        self.offline_retry_interval
    }

    /// `offline_retry_interval` as a duration (a negative value counts as
    /// zero).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.offline_retry_interval(), std::time::Duration::from_secs(20));
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn offline_retry_interval(&self) -> Duration {
        seconds(self.offline_retry_interval)
    }

    /// `timeout` of one call in seconds, as written (default 43200).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.timeout_secs(), 43200);
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn timeout_secs(&self) -> i64 {
        self.timeout
    }

    /// `timeout` as a duration (a negative value counts as zero).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.timeout(), std::time::Duration::from_secs(12 * 3600));
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn timeout(&self) -> Duration {
        seconds(self.timeout)
    }

    /// `auth_timeout` of a login in seconds, as written (default 60).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.auth_timeout_secs(), 60);
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn auth_timeout_secs(&self) -> i64 {
        self.auth_timeout
    }

    /// `auth_timeout` as a duration (a negative value counts as zero).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.auth_timeout(), std::time::Duration::from_secs(60));
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn auth_timeout(&self) -> Duration {
        seconds(self.auth_timeout)
    }

    /// `use_fast_upload` (default true).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert!(config.profile("fedora")?.use_fast_upload());
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn use_fast_upload(&self) -> bool {
        self.use_fast_upload
    }

    /// `upload_blocksize` in bytes (default 1048576).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.upload_blocksize(), 1 << 20);
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn upload_blocksize(&self) -> i64 {
        self.upload_blocksize
    }

    /// `poll_interval` in seconds, as written (default 6).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.poll_interval_secs(), 6);
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn poll_interval_secs(&self) -> i64 {
        self.poll_interval
    }

    /// `poll_interval` as a duration (a negative value counts as zero).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.poll_interval(), std::time::Duration::from_secs(6));
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn poll_interval(&self) -> Duration {
        seconds(self.poll_interval)
    }

    /// `principal`: the Kerberos principal to log in as.
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.principal(), None);
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn principal(&self) -> Option<&str> {
        non_empty(&self.principal)
    }

    /// `keytab`: the client keytab for `principal` (koji does not expand
    /// `~` here).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.keytab(), None);
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn keytab(&self) -> Option<&str> {
        non_empty(&self.keytab)
    }

    /// `cert`: the client certificate, `~` expanded. When the option is not
    /// set, `~/.koji/client.crt` if that exists.
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.cert(), None);
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn cert(&self) -> Option<&Path> {
        self.cert.as_deref()
    }

    /// `serverca`: the CA certificate(s) to verify the hub with, `~`
    /// expanded. When the option is not set, `~/.koji/serverca.crt` if that
    /// exists.
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.serverca(), None);
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn serverca(&self) -> Option<&Path> {
        self.serverca.as_deref()
    }

    /// `no_ssl_verify`, read as a boolean (default false).
    ///
    /// koji itself keeps this option as a string, so there any non-empty
    /// value, even `false`, turns verification off. We read it as a
    /// boolean instead (an empty value is false); anything but
    /// `1/yes/true/on/0/no/false/off` is an error when the profile is
    /// selected. koji ignores it when `serverca` is set; see
    /// [`Profile::tls_verification_disabled`].
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert!(!config.profile("fedora")?.no_ssl_verify());
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn no_ssl_verify(&self) -> bool {
        self.no_ssl_verify
    }

    /// Whether this profile turns TLS server certificate verification off:
    /// `no_ssl_verify` is true and no `serverca` is configured (koji
    /// prefers `serverca` when both are set).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert!(!config.profile("fedora")?.tls_verification_disabled());
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn tls_verification_disabled(&self) -> bool {
        self.no_ssl_verify && self.serverca.is_none()
    }

    /// `authtype`: how to log in; `None` lets koji choose (certificate if
    /// `cert` exists, otherwise Kerberos).
    ///
    /// ```
    /// # use koji_client::config::AuthType;
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.authtype(), Some(&AuthType::Kerberos));
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn authtype(&self) -> Option<&AuthType> {
        self.authtype.as_ref()
    }

    /// `debug` (default false).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert!(!config.profile("fedora")?.debug());
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn debug(&self) -> bool {
        self.debug
    }

    /// `debug_xmlrpc` (default false).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert!(!config.profile("fedora")?.debug_xmlrpc());
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn debug_xmlrpc(&self) -> bool {
        self.debug_xmlrpc
    }

    /// `pyver`: the Python major version koji's CLI should run under.
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert_eq!(config.profile("fedora")?.pyver(), None);
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn pyver(&self) -> Option<i64> {
        self.pyver
    }

    /// `plugin_paths`: the `:`-separated CLI plugin directories, split and
    /// `~` expanded as koji's CLI does (empty parts are dropped).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert!(config.profile("fedora")?.plugin_paths().is_empty());
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn plugin_paths(&self) -> Vec<PathBuf> {
        non_empty(&self.plugin_paths)
            .map(|paths| {
                paths
                    .split(':')
                    .filter(|p| !p.is_empty())
                    .map(|p| expand_user(p, self.home.as_deref()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `force_auth`: log in even for read-only commands (default false).
    ///
    /// ```
    /// # let config = koji_client::config::Config::load(&koji_client::config::ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// assert!(!config.profile("fedora")?.force_auth());
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn force_auth(&self) -> bool {
        self.force_auth
    }
}

/// One option on its way into a profile: its expanded value and where it
/// was set, for error messages.
struct Setting {
    value: String,
    section: String,
    file: PathBuf,
}

/// How koji's `read_config` converts the options it knows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Int,
    Bool,
}

/// The options koji knows (`config_defaults` in `read_config`), with how
/// koji converts them. `no_ssl_verify` is a string there; we convert it
/// as a boolean separately.
const KNOWN: &[(&str, Kind)] = &[
    ("server", Kind::Str),
    ("weburl", Kind::Str),
    ("topurl", Kind::Str),
    ("pkgurl", Kind::Str),
    ("topdir", Kind::Str),
    ("max_retries", Kind::Int),
    ("retry_interval", Kind::Int),
    ("anon_retry", Kind::Bool),
    ("offline_retry", Kind::Bool),
    ("offline_retry_interval", Kind::Int),
    ("timeout", Kind::Int),
    ("auth_timeout", Kind::Int),
    ("use_fast_upload", Kind::Bool),
    ("upload_blocksize", Kind::Int),
    ("poll_interval", Kind::Int),
    ("principal", Kind::Str),
    ("keytab", Kind::Str),
    ("cert", Kind::Str),
    ("serverca", Kind::Str),
    ("no_ssl_verify", Kind::Str),
    ("authtype", Kind::Str),
    ("debug", Kind::Bool),
    ("debug_xmlrpc", Kind::Bool),
    ("pyver", Kind::Int),
    ("plugin_paths", Kind::Str),
    ("force_auth", Kind::Bool),
];

/// Typed values of the known options, filled as koji's loop fills its
/// result dict.
#[derive(Default)]
struct Typed {
    ints: Vec<(&'static str, i64)>,
    bools: Vec<(&'static str, bool)>,
}

impl Typed {
    fn int(&self, name: &str, default: i64) -> i64 {
        self.ints
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(default, |(_, v)| *v)
    }

    fn opt_int(&self, name: &str) -> Option<i64> {
        self.ints.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    fn bool(&self, name: &str, default: bool) -> bool {
        self.bools
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(default, |(_, v)| *v)
    }
}

/// Resolves profile `name` as koji's `read_config` does: expands every
/// option of the section (and `[DEFAULT]`), then converts the known ones,
/// then applies the `cert`/`serverca` defaults. Returns `None` when no
/// file defines the profile and it is not the built-in one.
pub(crate) fn resolve(
    ini: &Ini,
    name: &str,
    home: Option<&Path>,
) -> Option<Result<Profile, ConfigError>> {
    let (origin, settings) = if let Some(items) = ini.raw_items(name) {
        let lookup = |key: &str| items.get(key).map(|(entry, _)| entry.value.as_str());
        let mut settings: Vec<(String, Setting)> = Vec::new();
        for (option, &(entry, from_default)) in items.iter() {
            let section = if from_default { DEFAULT_SECTION } else { name }.to_owned();
            let file = ini.files.get(entry.file).cloned().unwrap_or_default();
            match interpolate(&entry.value, &lookup) {
                Ok(value) => settings.push((
                    option.to_owned(),
                    Setting {
                        value,
                        section,
                        file,
                    },
                )),
                Err(kind) => {
                    return Some(Err(ConfigError::Interpolation {
                        profile: name.to_owned(),
                        section,
                        option: option.to_owned(),
                        file,
                        kind,
                    }));
                }
            }
        }
        let files = ini
            .sections
            .get(name)
            .map(|s| {
                s.files
                    .iter()
                    .filter_map(|&i| ini.files.get(i).cloned())
                    .collect()
            })
            .unwrap_or_default();
        (ProfileOrigin::Files(files), settings)
    } else if name == BUILTIN_PROFILE {
        let settings = BUILTIN_OPTIONS
            .iter()
            .map(|&(option, value)| {
                (
                    option.to_owned(),
                    Setting {
                        value: value.to_owned(),
                        section: BUILTIN_PROFILE.to_owned(),
                        file: PathBuf::from("<built-in>"),
                    },
                )
            })
            .collect();
        (ProfileOrigin::BuiltIn, settings)
    } else {
        return None;
    };
    Some(convert(name, origin, settings, home))
}

fn convert(
    name: &str,
    origin: ProfileOrigin,
    settings: Vec<(String, Setting)>,
    home: Option<&Path>,
) -> Result<Profile, ConfigError> {
    let mut typed = Typed::default();
    let mut strings: Vec<(&str, String)> = Vec::new();
    for (option, setting) in &settings {
        let Some(&(known, kind)) = KNOWN.iter().find(|(k, _)| *k == option.as_str()) else {
            continue;
        };
        match kind {
            Kind::Str => strings.push((known, setting.value.clone())),
            Kind::Int => match parse_int(&setting.value) {
                Some(v) => typed.ints.push((known, v)),
                None => {
                    return Err(ConfigError::InvalidInt {
                        profile: name.to_owned(),
                        section: setting.section.clone(),
                        option: known.to_owned(),
                        value: setting.value.clone(),
                        file: setting.file.clone(),
                    });
                }
            },
            Kind::Bool => match parse_bool(&setting.value) {
                Some(v) => typed.bools.push((known, v)),
                None => return Err(invalid_bool(name, known, setting)),
            },
        }
    }
    let string = |key: &str| {
        strings
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    };

    // Our one deliberate difference from koji: no_ssl_verify is a boolean.
    // It is checked after koji's own conversions so that input koji rejects
    // fails here the same way.
    // An empty value is false, as it is (falsy) in koji.
    let no_ssl_verify = match settings.iter().find(|(k, _)| *k == "no_ssl_verify") {
        None => false,
        Some((_, setting)) if setting.value.is_empty() => false,
        Some((_, setting)) => match parse_bool(&setting.value) {
            Some(v) => v,
            None => return Err(invalid_bool(name, "no_ssl_verify", setting)),
        },
    };

    let cert = default_cert(string("cert"), "client.crt", home);
    let serverca = default_cert(string("serverca"), "serverca.crt", home);
    let topdir = string("topdir").unwrap_or_else(|| "/mnt/koji".to_owned());

    let mut options = OrderedMap::default();
    for (option, setting) in settings {
        options.insert(option, setting.value);
    }

    let profile = Profile {
        name: name.to_owned(),
        origin,
        home: home.map(Path::to_owned),
        server: string("server").unwrap_or_else(|| "http://localhost/kojihub".to_owned()),
        weburl: string("weburl").unwrap_or_else(|| "http://localhost/koji".to_owned()),
        topurl: string("topurl"),
        pkgurl: string("pkgurl"),
        topdir: expand_user(&topdir, home),
        max_retries: typed.int("max_retries", 30),
        retry_interval: typed.int("retry_interval", 20),
        anon_retry: typed.bool("anon_retry", true),
        offline_retry: typed.bool("offline_retry", false),
        offline_retry_interval: typed.int("offline_retry_interval", 20),
        timeout: typed.int("timeout", 43200),
        auth_timeout: typed.int("auth_timeout", 60),
        use_fast_upload: typed.bool("use_fast_upload", true),
        upload_blocksize: typed.int("upload_blocksize", 1_048_576),
        poll_interval: typed.int("poll_interval", 6),
        principal: string("principal"),
        keytab: string("keytab"),
        cert,
        serverca,
        no_ssl_verify,
        authtype: string("authtype").map(|a| AuthType::parse(&a)),
        debug: typed.bool("debug", false),
        debug_xmlrpc: typed.bool("debug_xmlrpc", false),
        pyver: typed.opt_int("pyver"),
        plugin_paths: string("plugin_paths"),
        force_auth: typed.bool("force_auth", false),
        options,
    };

    if profile.tls_verification_disabled() {
        tracing::warn!(
            profile = %profile.name,
            "koji profile sets no_ssl_verify: TLS server certificates will not be verified"
        );
    } else if profile.no_ssl_verify {
        tracing::debug!(
            profile = %profile.name,
            "no_ssl_verify is ignored because serverca is set"
        );
    }
    if profile.pkgurl().is_some() {
        tracing::warn!(
            profile = %profile.name,
            "the pkgurl option is obsolete; use topurl instead"
        );
    }
    Ok(profile)
}

fn invalid_bool(profile: &str, option: &str, setting: &Setting) -> ConfigError {
    ConfigError::InvalidBool {
        profile: profile.to_owned(),
        section: setting.section.clone(),
        option: option.to_owned(),
        value: setting.value.clone(),
        file: setting.file.clone(),
    }
}

/// koji's handling of `cert` and `serverca`: an unset option defaults to
/// `~/.koji/<file>` if that exists; a set one is `~` expanded. koji's empty
/// string (no file) is `None` here.
fn default_cert(value: Option<String>, file: &str, home: Option<&Path>) -> Option<PathBuf> {
    match value {
        Some(value) if value.is_empty() => None,
        Some(value) => Some(expand_user(&value, home)),
        None => {
            let path = home?.join(".koji").join(file);
            path.exists().then_some(path)
        }
    }
}
