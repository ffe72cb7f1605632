//! An asynchronous client for Koji, the build system behind Fedora, CentOS and RHEL.

pub mod api;
pub mod auth;
pub mod cache;
mod call;
pub mod config;
pub mod estimate;
pub mod messages;
pub mod model;
pub mod query;
pub mod web;

pub use api::BuildRef;
pub use query::QueryOpts;

pub use model::{
    AuthType, Build, BuildState, BuildTarget, Channel, Host, IdOrName, ModelError, Package, Repo,
    RepoState, Tag, Task, TaskDescendents, TaskFault, TaskOutcome, TaskParams, TaskState, User,
    UserStatus, UserType,
};
mod connection;
mod error;
mod retry;
mod session;
mod tls;
mod transport;
mod version;

pub use call::{CallBuilder, CallStream, Endpoint, PreparedCall};
pub use connection::{
    Connection, ConnectionBuilder, DEFAULT_AUTH_TIMEOUT, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RESPONSE_SIZE, DEFAULT_TIMEOUT, USER_AGENT,
};
pub use error::{Error, FaultKind, Result};
pub use koji_xmlrpc::{Struct, Value};
pub use retry::{
    DEFAULT_MAX_RETRIES, DEFAULT_OFFLINE_RETRY_INTERVAL, DEFAULT_RETRY_INTERVAL, RetryPolicy,
};
pub use version::HubVersion;
