//! An asynchronous client for Koji, the build system behind Fedora, CentOS and RHEL.
//!
//! # A quick tour
//!
//! A whole program: the latest builds of a package and their targets, a
//! user's name, and how long a container package usually takes to build.
//! Every error of this crate (configuration, hub, estimate, name cache…)
//! converts into [`Error`] with `?`. Calls are async and need a tokio
//! runtime (`tokio = { version = "1", features = ["macros", "rt-multi-thread"] }`);
//! for plain `fn main` programs there is a blocking API behind the
//! `blocking` feature.
//!
//! ```no_run
//! use koji_client::estimate::{EstimateConfig, average_build_duration};
//! use koji_client::{BuildState, Connection, HumanDuration};
//!
//! #[tokio::main]
//! async fn main() -> koji_client::Result<()> {
//!     // The [fedora] profile of koji's config files, as `koji -p fedora` reads them.
//!     let koji = Connection::from_profile("fedora")?;
//!
//!     // The five latest complete builds of bash, newest first.
//!     let builds = koji
//!         .list_builds()
//!         .package("bash")
//!         .state(BuildState::Complete)
//!         .order("-build_id")
//!         .limit(5)
//!         .send()
//!         .await?;
//!     for build in &builds {
//!         let target = build.target(&koji).await?;
//!         println!("{} for {:?}", build.require_nvr()?, target.and_then(|t| t.name));
//!     }
//!
//!     // A user's name (by id, name or Kerberos principal).
//!     if let Some(user) = koji.get_user(3595).await? {
//!         println!("user 3595 is {}", user.require_name()?);
//!     }
//!
//!     // Estimates have their own error type; `?` converts it.
//!     let avg = average_build_duration(&koji, "grafana-container", EstimateConfig::default()).await?;
//!     if let Some(avg) = avg {
//!         println!("grafana-container builds in about {}", HumanDuration(avg));
//!     }
//!     Ok(())
//! }
//! ```
//!
//! A profile of a config file of your own, like `koji -c FILE -p NAME`,
//! is one call ([`config`] has the pieces, to list profiles or change
//! settings before connecting):
//!
//! ```no_run
//! # fn demo() -> koji_client::Result<()> {
//! let koji = koji_client::Connection::from_config_file("~/stg-koji.conf", "stg")?;
//! # Ok(()) }
//! ```
//!
//! Typed methods ([`api`]) return the [models](model); list methods are
//! builders with the hub's filters and [`QueryOpts`], sent whole
//! (`send()`), counted (`count()`) or streamed (`stream()`, for answers
//! too big to hold); helpers that need the hub take the connection:
//!
//! ```no_run
//! # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
//! use koji_client::{StreamExt, TaskState};
//!
//! let task = koji.get_task_info(10000).await?.expect("task 10000 exists");
//! println!("{} builds {:?}", task.require_method()?, task.package()?);
//! let subtasks = task.descendents(&koji, Some("buildArch"), Some(TaskState::Open)).await?;
//!
//! // Every build of f40, one at a time, in constant memory.
//! let mut tagged = koji.list_tagged("f40").latest(true).stream();
//! while let Some(build) = tagged.next().await {
//!     println!("{}", build?.require_nvr()?);
//! }
//! # Ok(()) }
//! ```
//!
//! Any other hub method is a raw call away, decoded into a [`Value`] or
//! your own serde type:
//!
//! ```no_run
//! # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
//! let rpms = koji.request("listRPMs").kwarg("buildID", 17).await?;
//! # Ok(()) }
//! ```
//!
//! Many calls at once go in a [`Multicall`]: each call gets a typed handle
//! with its own result (a fault in one call is that call's error only), and
//! big batches are split into `system.multicall` requests within the hub's
//! limits and sent concurrently:
//!
//! ```no_run
//! # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
//! let mut m = koji.multicall();
//! let tasks: Vec<_> = (1..=5000).map(|id| m.get_task_info(id)).collect();
//! m.send().await?;
//! for task in tasks {
//!     if let Some(task) = task.result()? {
//!         println!("{:?} {:?}", task.id, task.method());
//!     }
//! }
//! // Or in one go, failing on the first error:
//! let builds = koji.load_builds([3, 17]).await?;
//! # Ok(()) }
//! ```
//!
//! Also: [`Connection::fetch_from_web`] fetches what a kojiweb URL pasted
//! in a chat shows, [`cache::NameCache`] remembers user and tag names (and
//! resolves a bus message's ids through the hub:
//! [`NameCache::resolver`](cache::NameCache::resolver)), and [`messages`]
//! reads the hub's bus messages. The crate's `examples/` directory holds a
//! runnable program for each of these.
//!
//! # Types from other crates
//!
//! The API uses [`jiff`]'s [`Timestamp`] and [`SignedDuration`] for times,
//! [`serde_json::Value`] for free-form members, and the
//! [`Stream`]/[`StreamExt`]/[`TryStreamExt`] traits of `futures-util` for
//! streamed answers. They are re-exported here, so the versions always
//! match this crate's: `koji_client::Timestamp::now()`,
//! `use koji_client::StreamExt;`, `koji_client::serde_json::Value`. The
//! XML-RPC codec is [`koji_xmlrpc`] (its [`Value`] and [`Struct`] are also
//! here at the top).

// The layers, bottom up (see ARCHITECTURE.md): request → engine → session
// → auth (login and renewal) → connection (the facade), with api/ and
// multicall/ on the facade, and pure logic beside them.
pub mod api;
pub mod auth;
#[cfg(feature = "blocking")]
pub mod blocking;
mod connection;
mod engine;
pub mod multicall;
mod request;
mod session;

pub mod cache;
pub mod config;
pub mod download;
pub mod estimate;
pub mod messages;
pub mod model;
pub mod paths;
pub mod query;
pub mod upload;
pub mod watch;
pub mod web;

pub use api::BuildRef;
pub use query::QueryOpts;

pub use futures_util::stream::{Stream, StreamExt, TryStreamExt};
pub use jiff::{self, SignedDuration, Timestamp};
pub use koji_xmlrpc;
pub use serde_json;

/// The former name of [`HubAuthType`], kept so that code written before the
/// rename still builds (the profile's word is [`config::AuthType`]).
#[doc(hidden)]
pub use model::HubAuthType as AuthType;
pub use model::{
    Build, BuildState, BuildTarget, Channel, Host, HubAuthType, HumanDuration, IdOrName,
    ModelError, Package, Repo, RepoState, Tag, Task, TaskDescendents, TaskFault, TaskOutcome,
    TaskParams, TaskState, User, UserStatus, UserType,
};
mod error;
mod tls;
mod version;

pub use connection::{
    CallBuilder, CallStream, Connection, ConnectionBuilder, DEFAULT_AUTH_TIMEOUT,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_SIZE, DEFAULT_TIMEOUT, JsonStream, USER_AGENT,
};
pub use engine::retry::{
    DEFAULT_MAX_RETRIES, DEFAULT_OFFLINE_RETRY_INTERVAL, DEFAULT_RETRY_INTERVAL, RetryPolicy,
};
pub use error::{Error, FaultKind, Result};
pub use koji_xmlrpc::{JsonOptions, JsonStyle};
pub use koji_xmlrpc::{Struct, Value};
pub use multicall::{Handle, JsonItem, JsonResults, Multicall, Unsendable};
pub use request::{Endpoint, PreparedCall};
pub use version::HubVersion;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
