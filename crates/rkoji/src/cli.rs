//! Command-line interface definition.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};

/// Command-line client for Koji, the build system behind Fedora, CentOS and RHEL.
///
/// rkoji reads the same configuration as the `koji` command
/// (/etc/koji.conf.d/*.conf, /etc/koji.conf, ~/.koji/config.d/*.conf,
/// ~/.koji/config). Without any configuration it uses the built-in `fedora`
/// profile, Fedora's public hub.
///
/// Exit status: 0 success; 1 a hub fault or an object that does not exist;
/// 2 a usage error; 3 a connection, TLS or login failure.
#[derive(Debug, Parser)]
#[command(name = "rkoji", version, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options that apply to every command.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// Profile (config section) to use. Default: the program name if it is a
    /// profile, else `koji`, else the built-in `fedora`.
    #[arg(short, long, global = true, value_name = "PROFILE")]
    pub(crate) profile: Option<String>,
    /// Config file or directory to read instead of ~/.koji/config.d and
    /// ~/.koji/config (it must exist).
    #[arg(short = 'c', long, global = true, value_name = "CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Do not log in, as with `authtype = noauth` (whoami, call and
    /// multicall log in the profile's way otherwise).
    #[arg(long, global = true)]
    pub(crate) noauth: bool,
    /// Print stable, machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// More logging on stderr (-v: info, -vv: debug, -vvv: trace).
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub(crate) verbose: u8,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Download a build's RPMs (or archives) from the file tree: koji's
    /// file choice and layout, several files at once, resumable, each
    /// verified (size, RPM SIGMD5, archive checksum) before it gets its
    /// name. Exit 1 if a file is missing or fails verification (after the
    /// others finished), 3 if the server cannot be reached.
    DownloadBuild(crate::commands::download_build::BuildArgs),
    /// Download a task's RPMs (and logs with --logs), as koji's
    /// download-task chooses them.
    DownloadTask(crate::commands::download_task::TaskArgs),
    /// Download the logs of a task and its descendants (into
    /// kojilogs/ARCH-ID/), or of a build (kojilogs/NVR/).
    DownloadLogs(crate::commands::download_logs::LogsArgs),
    /// Call any hub method, logged in the profile's way. ARG and VALUE are
    /// JSON when they parse as JSON, else strings (`getBuild 3`,
    /// `getBuild hello-1.2-1.fc40`).
    ///
    /// Logs in first, as `koji call` does, and logs out after. The login is
    /// the profile's authtype; without one, the certificate if `cert` names
    /// a file, else `user` and `password` if both are set, else Kerberos.
    /// --noauth (or `authtype = noauth`) skips the login.
    ///
    /// Nothing to log in with is not an error: if the login would be
    /// Kerberos, the profile has no keytab, and there is no usable ticket
    /// (none, an expired one, or no Kerberos library), one warning line goes
    /// to stderr and the call is anonymous. Any other login failure (a
    /// refused password, certificate or ticket, a missing `cert` file with
    /// `authtype = ssl`, a keytab that does not work) exits 3.
    Call {
        /// The hub method, e.g. getBuild.
        method: String,
        /// Positional arguments.
        #[arg(value_name = "ARG", allow_negative_numbers = true)]
        args: Vec<String>,
        /// A keyword argument, NAME=VALUE (repeatable).
        #[arg(long = "kwarg", value_name = "NAME=VALUE")]
        kwargs: Vec<String>,
    },
    /// Many calls in few round trips: reads JSON lines
    /// {"method":..,"args":[..],"kwargs":{..}} on stdin and prints one JSON
    /// result, or {"fault":{"code":..,"message":..}}, per line, in order.
    /// Every line is checked before anything is sent.
    ///
    /// Logs in first and out after, as `call` does (see `rkoji call
    /// --help`: no usable Kerberos ticket means a warning and anonymous
    /// calls); --noauth skips the login.
    Multicall {
        /// Calls per hub request (large input is split into batches).
        #[arg(long, default_value_t = 500)]
        batch: usize,
    },
    /// Submit a build from an SCM URL or a local SRPM (uploaded first), as
    /// `koji build` does, and watch it to its end (exit 1 if it fails).
    Build(crate::commands::build::BuildArgs),
    /// A build: state, owner, times, duration, task, tags and kojiweb URL.
    Buildinfo {
        /// NVR or build id.
        #[arg(value_name = "NVR|ID")]
        build: String,
    },
    /// Watch tasks and all their subtasks until they finish: one line per
    /// state change (with an ETA for open tasks), one hub request per poll.
    /// Exit 0 when all closed, 1 when one failed or was canceled.
    WatchTask {
        /// Task ids.
        #[arg(required = true, value_name = "ID")]
        ids: Vec<i64>,
        #[command(flatten)]
        bus: crate::commands::watch_task::BusArgs,
    },
    /// Tag builds (one tagBuild task each), then watch the tasks.
    TagBuild {
        /// The tag.
        tag: String,
        /// Builds.
        #[arg(required = true, value_name = "NVR")]
        nvrs: Vec<String>,
        /// Force (admins: past a locked tag).
        #[arg(long)]
        force: bool,
        /// Do not watch the tasks.
        #[arg(long)]
        nowait: bool,
    },
    /// Remove builds from a tag (at once, no task).
    UntagBuild {
        /// The tag.
        tag: String,
        /// Builds.
        #[arg(required = true, value_name = "NVR")]
        nvrs: Vec<String>,
        /// Force (admins: past a locked tag).
        #[arg(long)]
        force: bool,
    },
    /// Move builds from one tag to another (one tagBuild task each).
    MoveBuild {
        /// Source tag.
        from: String,
        /// Destination tag.
        to: String,
        /// Builds.
        #[arg(required = true, value_name = "NVR")]
        nvrs: Vec<String>,
        /// Force (admins: past a locked tag).
        #[arg(long)]
        force: bool,
        /// Do not watch the tasks.
        #[arg(long)]
        nowait: bool,
    },
    /// Cancel tasks (by id, with their subtasks) or builds (by NVR).
    Cancel {
        /// Task ids or build NVRs.
        #[arg(required = true, value_name = "ID|NVR")]
        items: Vec<String>,
        /// Cancel the whole task tree from its top (admins).
        #[arg(long)]
        full: bool,
    },
    /// Run a failed or canceled task again (a new task), and watch it.
    Resubmit {
        /// Task id.
        id: i64,
        /// Do not watch the new task.
        #[arg(long)]
        nowait: bool,
    },
    /// The latest builds of a package, newest first.
    Builds {
        /// Package name or id.
        package: String,
        /// Only builds in this state (BUILDING, COMPLETE, DELETED, FAILED, CANCELED).
        #[arg(long, value_name = "STATE")]
        state: Option<String>,
        /// How many builds to show.
        #[arg(long, default_value_t = 10, value_name = "N")]
        limit: u32,
    },
    /// A task: method, state, package, target, arch, scratch, owner,
    /// duration, estimate, and its descendents with their durations.
    #[command(alias = "task")]
    Taskinfo {
        /// Task id.
        id: i64,
    },
    /// Estimated completion of a task, or the average build duration of a package.
    Estimate {
        /// A task id, or a package name.
        #[arg(value_name = "TASK_ID|PACKAGE")]
        target: String,
    },
    /// A channel: its hosts, capacity, and open and free tasks with estimates.
    Channel {
        /// Channel name or id.
        #[arg(value_name = "NAME|ID")]
        channel: String,
    },
    /// The object a kojiweb URL shows (paste it from the browser).
    // The doc comments here are `--help` text for a terminal, where a URL
    // in angle brackets would read worse.
    #[allow(rustdoc::bare_urls)]
    Web {
        /// A kojiweb URL such as https://koji.fedoraproject.org/koji/buildinfo?buildID=1.
        url: String,
    },
    /// Log in with the profile's method and show who you are.
    Whoami,
    /// Follow the message bus: one line per build, task, tag, package,
    /// repo, sign, import or promote event (JSON lines with --json).
    Watch(crate::commands::watch::WatchArgs),
    /// The profiles found, and the files they come from.
    Profiles,
    /// Print shell completions for SHELL to stdout.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff) to stdout.
    Man,
}

/// A command-line value: JSON when it parses as JSON, else the text itself.
pub(crate) fn json_or_string(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_owned()))
}

/// Splits `NAME=VALUE` of `--kwarg`; the value follows [`json_or_string`].
pub(crate) fn kwarg(text: &str) -> Result<(String, serde_json::Value), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() && !name.contains(char::is_whitespace) => {
            Ok((name.to_owned(), json_or_string(value)))
        }
        _ => Err(format!(
            "invalid --kwarg {text:?}: expected NAME=VALUE, e.g. --kwarg strict=true"
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use clap::CommandFactory;
    use serde_json::json;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn args_are_json_when_they_parse() {
        assert_eq!(json_or_string("3"), json!(3));
        assert_eq!(json_or_string("true"), json!(true));
        assert_eq!(json_or_string("null"), json!(null));
        assert_eq!(json_or_string("[1,\"a\"]"), json!([1, "a"]));
        assert_eq!(json_or_string("{\"a\":1}"), json!({"a": 1}));
        assert_eq!(
            json_or_string("hello-1.2-1.fc40"),
            json!("hello-1.2-1.fc40")
        );
        assert_eq!(json_or_string("\"3\""), json!("3"));
        assert_eq!(json_or_string("{broken"), json!("{broken"));
    }

    #[test]
    fn kwargs_split_on_the_first_equals() {
        assert_eq!(
            kwarg("strict=true").unwrap(),
            ("strict".into(), json!(true))
        );
        assert_eq!(
            kwarg("prefix=a=b").unwrap(),
            ("prefix".into(), json!("a=b"))
        );
        assert_eq!(kwarg("x=").unwrap(), ("x".into(), json!("")));
        assert!(kwarg("novalue").is_err());
        assert!(kwarg("=3").is_err());
    }

    #[test]
    fn global_options_parse_anywhere() {
        let cli =
            Cli::try_parse_from(["rkoji", "buildinfo", "3", "--json", "-p", "x", "-vv"]).unwrap();
        assert!(cli.global.json);
        assert_eq!(cli.global.profile.as_deref(), Some("x"));
        assert_eq!(cli.global.verbose, 2);
        assert!(matches!(cli.command, Command::Buildinfo { ref build } if build == "3"));
        let cli = Cli::try_parse_from(["rkoji", "task", "7"]).unwrap();
        assert!(matches!(cli.command, Command::Taskinfo { id: 7 }));
        let cli = Cli::try_parse_from([
            "rkoji",
            "build",
            "f40-candidate",
            "x.src.rpm",
            "--scratch",
            "--arch-override",
            "x86_64",
            "--priority",
            "-1",
            "--nowait",
        ])
        .unwrap();
        match cli.command {
            Command::Build(b) => {
                assert_eq!(
                    (b.target.as_str(), b.source.as_str()),
                    ("f40-candidate", "x.src.rpm")
                );
                assert!(b.scratch && b.nowait && !b.background);
                assert_eq!(b.arch_override.as_deref(), Some("x86_64"));
                assert_eq!(b.priority, Some(-1));
            }
            other => panic!("{other:?}"),
        }
        let cli = Cli::try_parse_from(["rkoji", "move-build", "a", "b", "n-1-1", "n-2-1"]).unwrap();
        assert!(matches!(cli.command, Command::MoveBuild { ref nvrs, .. } if nvrs.len() == 2));
        assert!(Cli::try_parse_from(["rkoji", "watch-task"]).is_err());
        // the bus options of watch-task and build
        let cli =
            Cli::try_parse_from(["rkoji", "watch-task", "7", "--broker", "amqp://mq"]).unwrap();
        match cli.command {
            Command::WatchTask { ids, bus } => {
                assert_eq!(ids, [7]);
                assert_eq!(bus.broker.as_deref(), Some("amqp://mq"));
                assert!(!bus.no_bus);
            }
            other => panic!("{other:?}"),
        }
        let cli = Cli::try_parse_from(["rkoji", "build", "t", "x.src.rpm", "--no-bus"]).unwrap();
        assert!(
            matches!(cli.command, Command::Build(ref b) if b.bus.no_bus && b.bus.broker.is_none())
        );
        assert!(
            Cli::try_parse_from([
                "rkoji",
                "watch-task",
                "7",
                "--broker",
                "amqp://mq",
                "--no-bus"
            ])
            .is_err()
        );
        let cli = Cli::try_parse_from(["rkoji", "call", "echo", "-1", "--kwarg", "a=1"]).unwrap();
        match cli.command {
            Command::Call {
                method,
                args,
                kwargs,
            } => {
                assert_eq!(method, "echo");
                assert_eq!(args, ["-1"]);
                assert_eq!(kwargs, ["a=1"]);
            }
            other => panic!("{other:?}"),
        }
    }
}
