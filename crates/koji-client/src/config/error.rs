//! Errors from finding, parsing and reading koji configuration.

use std::fmt;
use std::path::{Path, PathBuf};

/// Everything that can go wrong while loading koji configuration or
/// selecting a profile.
///
/// Each variant says what was wrong and where: the file (and line, for
/// syntax errors), the section and option, and the offending value for
/// options that must be an integer or a boolean. Messages never include a
/// whole config line, since an unparsable line may hold a secret.
///
/// ```
/// use koji_client::config::{Config, ConfigError, ConfigSources};
///
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("koji.conf"), "[hub]\nmax_retries = many\n")?;
/// let sources = ConfigSources::new(dir.path().join("none.d"), dir.path().join("koji.conf"), None);
/// let config = Config::load(&sources)?;
/// match config.profile("hub") {
///     Err(ConfigError::InvalidInt { option, value, .. }) => {
///         assert_eq!(option, "max_retries");
///         assert_eq!(value, "many");
///     }
///     other => panic!("unexpected {other:?}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A config file or directory exists but could not be read or listed.
    #[error("cannot read koji configuration {}: {source}", .path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },

    /// A config file is not valid UTF-8 (koji reads them as UTF-8).
    #[error("koji configuration {} is not valid UTF-8 (line {line})", .path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// The 1-based line holding the first invalid byte.
        line: usize,
    },

    /// The config file named explicitly (koji's `-c/--config`) does not
    /// exist, is not a regular file, or is a directory entry named
    /// `*.conf` that is not a regular file.
    #[error("koji configuration {} was asked for but does not exist or is not a regular file", .path.display())]
    ExplicitConfigMissing {
        /// The path that was asked for (after `~` expansion), or the
        /// offending entry of the directory that was asked for.
        path: PathBuf,
    },

    /// The config directory named explicitly holds no `*.conf` file.
    #[error("koji configuration directory {} was asked for but holds no *.conf file", .path.display())]
    ExplicitConfigEmpty {
        /// The directory (after `~` expansion).
        path: PathBuf,
    },

    /// A config file does not follow the ConfigParser syntax.
    #[error("{}:{line}: {kind}", .path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong with that line.
        kind: SyntaxErrorKind,
    },

    /// A `%(name)s` reference in a value cannot be expanded.
    #[error(
        "cannot expand option {option:?} of profile {profile:?} ([{section}] in {}): {kind}",
        .file.display()
    )]
    Interpolation {
        /// The profile being read.
        profile: String,
        /// The section the option was set in: the profile or `DEFAULT`.
        section: String,
        /// The option whose value could not be expanded.
        option: String,
        /// The file that set the option.
        file: PathBuf,
        /// What went wrong.
        kind: InterpolationErrorKind,
    },

    /// An option koji reads as an integer does not hold one.
    #[error(
        "{}: option {option:?} in [{section}] has value {value:?}, which is not a valid integer (profile {profile:?})",
        .file.display()
    )]
    InvalidInt {
        /// The profile being read.
        profile: String,
        /// The section the option was set in: the profile or `DEFAULT`.
        section: String,
        /// The option.
        option: String,
        /// The value after `%(name)s` expansion.
        value: String,
        /// The file that set the option.
        file: PathBuf,
    },

    /// An option koji reads as a boolean does not hold one of
    /// `1/yes/true/on/0/no/false/off` (any case).
    #[error(
        "{}: option {option:?} in [{section}] has value {value:?}, which is not a boolean \
         (1/yes/true/on or 0/no/false/off) (profile {profile:?})",
        .file.display()
    )]
    InvalidBool {
        /// The profile being read.
        profile: String,
        /// The section the option was set in: the profile or `DEFAULT`.
        section: String,
        /// The option.
        option: String,
        /// The value after `%(name)s` expansion.
        value: String,
        /// The file that set the option.
        file: PathBuf,
    },

    /// No config file defines the requested profile (and it is not the
    /// built-in one).
    #[error(
        "no koji profile named {name:?}; known profiles: {}; files read: {}",
        list_or_none(.known.iter().map(String::as_str)),
        list_or_none(.files.iter().map(|p| p.display().to_string()))
    )]
    ProfileNotFound {
        /// The name that was asked for.
        name: String,
        /// The profiles that do exist, in file order, the built-in one last.
        known: Vec<String>,
        /// The files that were read, in order.
        files: Vec<PathBuf>,
    },

    /// No profile has a `weburl` that the given URL starts with.
    #[error("no koji profile has a weburl that {url:?} starts with")]
    NoProfileForWebUrl {
        /// The URL that was looked up.
        url: String,
    },
}

fn list_or_none<I, S>(items: I) -> String
where
    I: Iterator<Item = S>,
    S: AsRef<str>,
{
    let parts: Vec<String> = items.map(|s| s.as_ref().to_owned()).collect();
    if parts.is_empty() {
        "(none)".to_owned()
    } else {
        parts.join(", ")
    }
}

impl ConfigError {
    pub(crate) fn read(path: &Path, source: std::io::Error) -> Self {
        ConfigError::Read {
            path: path.to_owned(),
            source,
        }
    }
}

/// What is wrong with a config line; see [`ConfigError::Syntax`].
///
/// These mirror Python's `MissingSectionHeaderError`,
/// `DuplicateSectionError`, `DuplicateOptionError` and `ParsingError`.
///
/// ```
/// use koji_client::config::{Config, ConfigError, ConfigSources, SyntaxErrorKind};
///
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("koji.conf"), "[hub]\nserver = a\nSERVER = b\n")?;
/// let sources = ConfigSources::new(dir.path().join("koji.conf.d"), dir.path().join("koji.conf"), None);
/// match Config::load(&sources) {
///     Err(ConfigError::Syntax { line: 3, kind: SyntaxErrorKind::DuplicateOption { section, option }, .. }) => {
///         assert_eq!((section.as_str(), option.as_str()), ("hub", "server"));
///     }
///     other => panic!("unexpected {other:?}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyntaxErrorKind {
    /// An option or other text comes before the first `[section]` header of
    /// the file.
    MissingSectionHeader,
    /// The same `[section]` header appears twice in one file.
    DuplicateSection {
        /// The section name.
        section: String,
    },
    /// The same option is set twice in one section of one file.
    DuplicateOption {
        /// The section name.
        section: String,
        /// The option name, lower-cased.
        option: String,
    },
    /// A line in a section is neither an option (`name = value` or
    /// `name: value`), a comment, nor a continuation line.
    MissingDelimiter,
    /// An option line has nothing before its `=` or `:`.
    EmptyOptionName,
}

impl fmt::Display for SyntaxErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyntaxErrorKind::MissingSectionHeader => {
                f.write_str("text before the first [section] header")
            }
            SyntaxErrorKind::DuplicateSection { section } => {
                write!(f, "section [{section}] appears twice in this file")
            }
            SyntaxErrorKind::DuplicateOption { section, option } => {
                write!(
                    f,
                    "option {option:?} is set twice in [{section}] in this file"
                )
            }
            SyntaxErrorKind::MissingDelimiter => f.write_str(
                "line is not `name = value`, `name: value`, a comment or a continuation",
            ),
            SyntaxErrorKind::EmptyOptionName => {
                f.write_str("option line has no name before `=` or `:`")
            }
        }
    }
}

/// Why a `%(name)s` expansion failed; see [`ConfigError::Interpolation`].
///
/// These mirror Python's `InterpolationMissingOptionError`,
/// `InterpolationSyntaxError` and `InterpolationDepthError`.
///
/// ```
/// use koji_client::config::{Config, ConfigError, ConfigSources, InterpolationErrorKind};
///
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("koji.conf"), "[hub]\nweburl = https://h/koji?q=100%\n")?;
/// let sources = ConfigSources::new(dir.path().join("koji.conf.d"), dir.path().join("koji.conf"), None);
/// let config = Config::load(&sources)?;
/// assert!(matches!(
///     config.profile("hub"),
///     Err(ConfigError::Interpolation { kind: InterpolationErrorKind::BadSyntax, .. })
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InterpolationErrorKind {
    /// `%(name)s` names an option that is set neither in the profile nor in
    /// `[DEFAULT]`.
    MissingReference {
        /// The referenced name, lower-cased.
        reference: String,
    },
    /// A `%` is followed by something other than `%` or `(name)s`.
    /// Write `%%` for a literal `%`.
    BadSyntax,
    /// References nest more than 10 levels deep (usually a reference loop).
    DepthExceeded,
    /// The expanded value grows past 1 MiB (a reference bomb).
    TooLong,
}

impl fmt::Display for InterpolationErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InterpolationErrorKind::MissingReference { reference } => {
                write!(f, "%({reference})s refers to an option that is not set")
            }
            InterpolationErrorKind::BadSyntax => {
                f.write_str("'%' must be followed by '%' or '(name)s'; write %% for a literal %")
            }
            InterpolationErrorKind::DepthExceeded => {
                f.write_str("references nest more than 10 levels deep (a reference loop?)")
            }
            InterpolationErrorKind::TooLong => {
                f.write_str("the expanded value is longer than 1 MiB")
            }
        }
    }
}
