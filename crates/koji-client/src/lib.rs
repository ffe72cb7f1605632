//! An asynchronous client for Koji, the build system behind Fedora, CentOS and RHEL.

pub mod cache;
pub mod config;
pub mod estimate;
pub mod model;
pub mod web;

pub use model::{
    AuthType, Build, BuildState, BuildTarget, Channel, Host, IdOrName, ModelError, Package, Repo,
    RepoState, Tag, Task, TaskDescendents, TaskFault, TaskOutcome, TaskParams, TaskState, User,
    UserStatus, UserType,
};
