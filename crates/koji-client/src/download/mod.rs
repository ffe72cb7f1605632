//! Downloading a build's, a task's or a build's logs' files from the file
//! tree (`topurl`): chosen as koji's CLI chooses them, several at once,
//! resumable, verified, written atomically.
//!
//! The pieces, each usable on its own:
//!
//! - [`plan`]: pure planners that turn hub rows into a [`Plan`] (which
//!   files, from which path below the top, to which local path, and what
//!   each must be), refusing unsafe names;
//! - [`fetch`]: asks the hub for the rows and calls the planners
//!   ([`fetch::build_plan`], [`fetch::task_plan`], [`fetch::logs_plan`]);
//! - [`verify`]: checks bytes as they stream (size, RPM SIGMD5 against the
//!   hub's `payloadhash`, archive checksums);
//! - [`rpmsig`]: reads an RPM's lead and signature header;
//! - [`Downloader`]: runs a plan over the connection's pooled HTTP
//!   transport.
//!
//! How a file is written: bytes go to `.<name>.part` in the target
//! directory while they are checked; only a verified file is renamed to its
//! real name. An interrupted file is continued with a `Range` request when
//! the server honours it (else restarted); a file already present under
//! its real name is checked and, when it verifies, skipped. A file that
//! fails verification is removed and reported with its name.
//!
//! ```no_run
//! use koji_client::Connection;
//! use koji_client::download::{Downloader, fetch, plan::BuildOptions};
//!
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! let koji = Connection::new("https://koji.fedoraproject.org/kojihub")?;
//! let plan = fetch::build_plan(&koji, "bash-5.2.26-3.fc40", &BuildOptions::default()).await?;
//! let report = Downloader::new(&koji, "https://kojipkgs.fedoraproject.org")?
//!     .parallel(8)
//!     .run(&plan.plan, std::path::Path::new("."))
//!     .await;
//! for file in &report.files {
//!     match &file.result {
//!         Ok(done) => println!("{} {} bytes", file.dest.display(), done.size),
//!         Err(e) => eprintln!("{e}"),
//!     }
//! }
//! # Ok(()) }
//! ```

mod engine;
pub mod fetch;
pub mod plan;
pub mod rpmsig;
pub mod verify;

pub use engine::{Done, DownloadError, Downloader, FileReport, Progress, ProgressHook, Report};
pub use plan::{FileKind, Plan, PlanError, PlannedFile};
pub use verify::{Check, DigestKind, Expected, VerifyError};
