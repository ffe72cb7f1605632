//! Which files koji reads, in which order.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::error::ConfigError;
use super::pyvalue::expand_user;

/// Where koji configuration is looked for: the system directory and file,
/// the user's home directory, and optionally a config file or directory
/// named explicitly (koji's `-c/--config`).
///
/// The files are read in koji's order, later ones overriding earlier ones
/// option by option (see [`ConfigSources::files`]):
///
/// 1. `*.conf` in the system directory (`/etc/koji.conf.d`), sorted by name;
/// 2. the system file (`/etc/koji.conf`);
/// 3. either the explicit config (which must exist), or
///    `~/.koji/config.d/*.conf` (sorted) and then `~/.koji/config`.
///
/// Any entry may be a file or a directory of `*.conf` files. Missing
/// entries are skipped, except the explicit one.
///
/// Use [`ConfigSources::system`] in programs; tests and tools that must not
/// touch the real `/etc` or `$HOME` use [`ConfigSources::new`].
///
/// ```
/// use koji_client::config::ConfigSources;
///
/// let dir = tempfile::tempdir()?;
/// let home = dir.path().join("home");
/// std::fs::create_dir_all(home.join(".koji/config.d"))?;
/// std::fs::write(home.join(".koji/config.d/b.conf"), "[b]\n")?;
/// std::fs::write(home.join(".koji/config.d/a.conf"), "[a]\n")?;
/// std::fs::write(home.join(".koji/config"), "[c]\n")?;
///
/// let sources = ConfigSources::new(dir.path().join("etc/koji.conf.d"), dir.path().join("etc/koji.conf"), Some(home.clone()));
/// assert_eq!(
///     sources.files()?,
///     [home.join(".koji/config.d/a.conf"), home.join(".koji/config.d/b.conf"), home.join(".koji/config")]
/// );
///
/// // An explicit config replaces the two user entries, and must exist.
/// let explicit = sources.clone().with_user_config(dir.path().join("missing.conf"));
/// assert!(explicit.files().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSources {
    system_dir: PathBuf,
    system_file: PathBuf,
    home: Option<PathBuf>,
    user_config: Option<PathBuf>,
}

impl ConfigSources {
    /// koji's system configuration directory.
    pub const SYSTEM_DIR: &'static str = "/etc/koji.conf.d";
    /// koji's system configuration file.
    pub const SYSTEM_FILE: &'static str = "/etc/koji.conf";

    /// The real locations: `/etc/koji.conf.d`, `/etc/koji.conf` and the
    /// home directory from `$HOME` (as Python's `os.path.expanduser` finds
    /// it: `$HOME` if set, otherwise the user database).
    ///
    /// ```no_run
    /// use koji_client::config::{Config, ConfigSources};
    ///
    /// let config = Config::load(&ConfigSources::system())?;
    /// println!("{:?}", config.profile_names());
    /// # Ok::<(), koji_client::config::ConfigError>(())
    /// ```
    pub fn system() -> Self {
        ConfigSources::new(Self::SYSTEM_DIR, Self::SYSTEM_FILE, home_from_env())
    }

    /// Explicit locations, for tests and for tools with their own layout.
    /// `home` is used for `~/.koji/config.d`, `~/.koji/config`, the default
    /// `cert` and `serverca` and for `~` expansion; with `None` those are
    /// skipped and `~` is left as it is.
    ///
    /// ```
    /// use koji_client::config::ConfigSources;
    ///
    /// let sources = ConfigSources::new("/srv/koji.conf.d", "/srv/koji.conf", None);
    /// assert_eq!(sources.system_file(), std::path::Path::new("/srv/koji.conf"));
    /// ```
    pub fn new(
        system_dir: impl Into<PathBuf>,
        system_file: impl Into<PathBuf>,
        home: Option<PathBuf>,
    ) -> Self {
        ConfigSources {
            system_dir: system_dir.into(),
            system_file: system_file.into(),
            home,
            user_config: None,
        }
    }

    /// Names a config file or directory explicitly, like koji's
    /// `-c/--config`: it replaces `~/.koji/config.d` and `~/.koji/config`,
    /// a leading `~` is expanded, and it must exist.
    ///
    /// ```
    /// use koji_client::config::ConfigSources;
    ///
    /// let sources = ConfigSources::new("/none.d", "/none", Some("/home/me".into()))
    ///     .with_user_config("~/koji-stg.conf");
    /// assert_eq!(sources.user_config(), Some("/home/me/koji-stg.conf".into()));
    /// ```
    pub fn with_user_config(mut self, path: impl Into<PathBuf>) -> Self {
        self.user_config = Some(path.into());
        self
    }

    /// Replaces the home directory.
    ///
    /// ```
    /// use koji_client::config::ConfigSources;
    ///
    /// let sources = ConfigSources::new("/none.d", "/none", None).with_home(Some("/home/me".into()));
    /// assert_eq!(sources.home(), Some(std::path::Path::new("/home/me")));
    /// ```
    pub fn with_home(mut self, home: Option<PathBuf>) -> Self {
        self.home = home;
        self
    }

    /// The system configuration directory.
    ///
    /// ```
    /// use koji_client::config::ConfigSources;
    /// assert_eq!(ConfigSources::system().system_dir(), std::path::Path::new("/etc/koji.conf.d"));
    /// ```
    pub fn system_dir(&self) -> &Path {
        &self.system_dir
    }

    /// The system configuration file.
    ///
    /// ```
    /// use koji_client::config::ConfigSources;
    /// assert_eq!(ConfigSources::system().system_file(), std::path::Path::new("/etc/koji.conf"));
    /// ```
    pub fn system_file(&self) -> &Path {
        &self.system_file
    }

    /// The home directory, if one is known.
    ///
    /// ```
    /// use koji_client::config::ConfigSources;
    /// assert_eq!(ConfigSources::new("/a", "/b", None).home(), None);
    /// ```
    pub fn home(&self) -> Option<&Path> {
        self.home.as_deref()
    }

    /// The explicitly named config file or directory, `~` expanded.
    ///
    /// ```
    /// use koji_client::config::ConfigSources;
    /// assert_eq!(ConfigSources::new("/a", "/b", None).user_config(), None);
    /// ```
    pub fn user_config(&self) -> Option<PathBuf> {
        self.user_config
            .as_deref()
            .map(|p| expand_user(p, self.home.as_deref()))
    }

    /// The config files koji would read, in reading order: existing
    /// regular files only, directories replaced by their sorted `*.conf`
    /// files.
    ///
    /// Fails if the explicit config is missing, is a directory without
    /// `*.conf` files or with a `*.conf` entry that is not a regular file,
    /// or if a directory exists but cannot be listed.
    ///
    /// ```
    /// use koji_client::config::ConfigSources;
    ///
    /// let dir = tempfile::tempdir()?;
    /// std::fs::create_dir(dir.path().join("koji.conf.d"))?;
    /// std::fs::write(dir.path().join("koji.conf.d/10-site.conf"), "")?;
    /// std::fs::write(dir.path().join("koji.conf.d/README"), "")?;
    /// let sources = ConfigSources::new(dir.path().join("koji.conf.d"), dir.path().join("koji.conf"), None);
    /// assert_eq!(sources.files()?, [dir.path().join("koji.conf.d/10-site.conf")]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn files(&self) -> Result<Vec<PathBuf>, ConfigError> {
        let mut entries: Vec<(PathBuf, bool)> = vec![
            (self.system_dir.clone(), false),
            (self.system_file.clone(), false),
        ];
        match (self.user_config(), &self.home) {
            (Some(explicit), _) => entries.push((explicit, true)),
            (None, Some(home)) => {
                entries.push((home.join(".koji").join("config.d"), false));
                entries.push((home.join(".koji").join("config"), false));
            }
            (None, None) => {}
        }

        let mut files = Vec::new();
        for (path, strict) in entries {
            if path.is_dir() {
                let found = conf_files_in(&path, strict)?;
                if found.is_empty() && strict {
                    return Err(ConfigError::ExplicitConfigEmpty { path });
                }
                files.extend(found);
            } else if path.is_file() {
                files.push(path);
            } else if strict {
                return Err(ConfigError::ExplicitConfigMissing { path });
            }
        }
        Ok(files)
    }
}

/// The sorted `*.conf` regular files of a directory, as koji's
/// `config_directory_contents`. With `strict`, a `*.conf` entry that is
/// not a regular file is an error; otherwise it is skipped.
fn conf_files_in(dir: &Path, strict: bool) -> Result<Vec<PathBuf>, ConfigError> {
    let listing = match fs::read_dir(dir) {
        Ok(listing) => listing,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(ConfigError::read(dir, err)),
    };
    let mut names: Vec<OsString> = Vec::new();
    for entry in listing {
        let entry = entry.map_err(|err| ConfigError::read(dir, err))?;
        names.push(entry.file_name());
    }
    // Python sorts the names as strings; for UTF-8 names code point order
    // and byte order agree.
    names.sort();
    let mut files = Vec::new();
    for name in names {
        if !name.as_encoded_bytes().ends_with(b".conf") {
            continue;
        }
        let path = dir.join(&name);
        if path.is_file() {
            files.push(path);
        } else if strict {
            return Err(ConfigError::ExplicitConfigMissing { path });
        }
    }
    Ok(files)
}

/// The home directory as Python's `os.path.expanduser` finds it: `$HOME`
/// when set (an empty one means `/`), otherwise the user database.
fn home_from_env() -> Option<PathBuf> {
    match std::env::var_os("HOME") {
        Some(home) if home.is_empty() => Some(PathBuf::from("/")),
        Some(home) => Some(PathBuf::from(home)),
        None => std::env::home_dir(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn koji_order_with_sorted_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let home = root.join("home");
        for name in ["b.conf", "a.conf", "c.txt", ".conf", "z.conf.bak"] {
            write(&root.join("etc/koji.conf.d").join(name), "");
            write(&home.join(".koji/config.d").join(name), "");
        }
        // A directory named *.conf is skipped outside strict mode.
        fs::create_dir_all(root.join("etc/koji.conf.d/d.conf")).unwrap();
        write(&root.join("etc/koji.conf"), "");
        write(&home.join(".koji/config"), "");
        let sources = ConfigSources::new(
            root.join("etc/koji.conf.d"),
            root.join("etc/koji.conf"),
            Some(home.clone()),
        );
        let expected = [
            root.join("etc/koji.conf.d/.conf"),
            root.join("etc/koji.conf.d/a.conf"),
            root.join("etc/koji.conf.d/b.conf"),
            root.join("etc/koji.conf"),
            home.join(".koji/config.d/.conf"),
            home.join(".koji/config.d/a.conf"),
            home.join(".koji/config.d/b.conf"),
            home.join(".koji/config"),
        ];
        assert_eq!(sources.files().unwrap(), expected);
    }

    #[test]
    fn missing_entries_are_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let sources = ConfigSources::new(
            tmp.path().join("nope.d"),
            tmp.path().join("nope"),
            Some(tmp.path().join("nohome")),
        );
        assert!(sources.files().unwrap().is_empty());
        assert!(
            ConfigSources::new(tmp.path().join("a"), tmp.path().join("b"), None)
                .files()
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn any_entry_may_be_a_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        write(&home.join(".koji/config/x.conf"), "");
        let sources = ConfigSources::new(
            tmp.path().join("a"),
            tmp.path().join("b"),
            Some(home.clone()),
        );
        assert_eq!(sources.files().unwrap(), [home.join(".koji/config/x.conf")]);
    }

    #[test]
    fn explicit_config_replaces_user_entries_and_is_strict() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        write(&home.join(".koji/config"), "");
        write(&home.join("explicit.conf"), "");
        let base = ConfigSources::new(
            tmp.path().join("a"),
            tmp.path().join("b"),
            Some(home.clone()),
        );

        let explicit = base.clone().with_user_config("~/explicit.conf");
        assert_eq!(explicit.files().unwrap(), [home.join("explicit.conf")]);

        let missing = base.clone().with_user_config(tmp.path().join("nope.conf"));
        assert!(matches!(
            missing.files(),
            Err(ConfigError::ExplicitConfigMissing { path }) if path == tmp.path().join("nope.conf")
        ));

        fs::create_dir_all(home.join("empty.d")).unwrap();
        write(&home.join("empty.d/notes.txt"), "");
        let empty = base.clone().with_user_config(home.join("empty.d"));
        assert!(matches!(
            empty.files(),
            Err(ConfigError::ExplicitConfigEmpty { .. })
        ));

        write(&home.join("dir.d/a.conf"), "");
        fs::create_dir_all(home.join("dir.d/b.conf")).unwrap();
        let bad_entry = base.clone().with_user_config(home.join("dir.d"));
        assert!(matches!(
            bad_entry.files(),
            Err(ConfigError::ExplicitConfigMissing { path }) if path == home.join("dir.d/b.conf")
        ));
    }

    #[test]
    fn tilde_expansion_of_the_explicit_path() {
        let home = Some(Path::new("/home/me"));
        assert_eq!(expand_user(Path::new("~"), home), PathBuf::from("/home/me"));
        assert_eq!(
            expand_user(Path::new("~/a/b"), home),
            PathBuf::from("/home/me/a/b")
        );
        assert_eq!(
            expand_user(Path::new("~other/a"), home),
            PathBuf::from("~other/a")
        );
        assert_eq!(expand_user(Path::new("~/a"), None), PathBuf::from("~/a"));
        // As for option values: the home directory's trailing slashes go.
        assert_eq!(
            expand_user(Path::new("~/a"), Some(Path::new("/home/me/"))),
            PathBuf::from("/home/me/a")
        );
    }
}
