//! An asynchronous client for Koji, the build system behind Fedora, CentOS and RHEL.
//!
//! # A quick tour
//!
//! Fetching a user's name (by id, name or Kerberos principal):
//!
//! ```no_run
//! # async fn demo() -> koji_client::Result<()> {
//! use koji_client::Connection;
//!
//! // The [fedora] profile of koji's config files, as `koji -p fedora` reads them.
//! let koji = Connection::from_profile("fedora")?;
//! if let Some(user) = koji.get_user(3595).await? {
//!     println!("{}", user.name.unwrap_or_default());
//! }
//! # Ok(()) }
//! ```
//!
//! Typed methods ([`api`]) return the [models](model); list methods are
//! builders with the hub's filters and [`QueryOpts`]; helpers that need the
//! hub take the connection:
//!
//! ```no_run
//! # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
//! use koji_client::{BuildState, TaskState};
//!
//! let task = koji.get_task_info(10000).await?.expect("task 10000 exists");
//! println!("{:?} builds {:?}", task.method(), task.package()?);
//! let subtasks = task.descendents(&koji, Some("buildArch"), Some(TaskState::Open)).await?;
//!
//! let builds = koji.list_builds().package("bash").state(BuildState::Complete).limit(5).send().await?;
//! for build in &builds {
//!     let target = build.target(&koji).await?;
//!     println!("{:?} for {:?}", build.nvr(), target.and_then(|t| t.name));
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
//! Also: [`Connection::from_web`] fetches what a kojiweb URL pasted in a
//! chat shows, [`cache::NameCache`] remembers user and tag names, and
//! [`messages`] reads the hub's bus messages.

// The layers, bottom up (see ARCHITECTURE.md): request → engine → session
// → auth (login and renewal) → connection (the facade), with api/ and
// multicall/ on the facade, and pure logic beside them.
pub mod api;
pub mod auth;
mod connection;
mod engine;
pub mod multicall;
mod request;
mod session;

pub mod cache;
pub mod config;
pub mod estimate;
pub mod messages;
pub mod model;
pub mod query;
pub mod upload;
pub mod watch;
pub mod web;

pub use api::BuildRef;
pub use query::QueryOpts;

/// The former name of [`HubAuthType`], kept so that code written before the
/// rename still builds (the profile's word is [`config::AuthType`]).
#[doc(hidden)]
pub use model::HubAuthType as AuthType;
pub use model::{
    Build, BuildState, BuildTarget, Channel, Host, HubAuthType, IdOrName, ModelError, Package,
    Repo, RepoState, Tag, Task, TaskDescendents, TaskFault, TaskOutcome, TaskParams, TaskState,
    User, UserStatus, UserType,
};
mod error;
mod tls;
mod version;

pub use connection::{
    CallBuilder, CallStream, Connection, ConnectionBuilder, DEFAULT_AUTH_TIMEOUT,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_SIZE, DEFAULT_TIMEOUT, USER_AGENT,
};
pub use engine::retry::{
    DEFAULT_MAX_RETRIES, DEFAULT_OFFLINE_RETRY_INTERVAL, DEFAULT_RETRY_INTERVAL, RetryPolicy,
};
pub use error::{Error, FaultKind, Result};
pub use koji_xmlrpc::{Struct, Value};
pub use multicall::{Handle, Multicall};
pub use request::{Endpoint, PreparedCall};
pub use version::HubVersion;
