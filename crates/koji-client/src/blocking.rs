//! A blocking API for programs without an async runtime (cargo feature
//! `blocking`): cron jobs, release scripts, a plain `fn main`.
//!
//! As `reqwest::blocking` does, a [`Connection`] here owns a small tokio
//! runtime on a thread of its own; each method sends the async call there
//! and waits for its answer. The types are the async API's: the same
//! [models](crate::model), the same [`Error`], the same [`Multicall`]
//! (queued as usual, sent with [`Connection::send`]). Anything the async
//! API can do runs through [`Connection::block_on`].
//!
//! ```no_run
//! use koji_client::blocking::Connection;
//!
//! fn main() -> koji_client::Result<()> {
//!     let koji = Connection::from_profile("fedora")?;
//!     if let Some(user) = koji.get_user(3595)? {
//!         println!("{}", user.require_name()?);
//!     }
//!     // Many calls in one request.
//!     let mut m = koji.multicall();
//!     let tasks: Vec<_> = (1..=3).map(|id| m.get_task_info(id)).collect();
//!     koji.send(m)?;
//!     for task in tasks {
//!         println!("{:?}", task.result()?.and_then(|t| t.method));
//!     }
//!     // Any async method: a builder query.
//!     let builds = koji.block_on(|koji| async move {
//!         koji.list_builds().package("bash").order("-build_id").limit(3).send().await
//!     })?;
//!     Ok(())
//! }
//! ```
//!
//! Calling these methods from async code works (the call runs on this
//! connection's own runtime, not the caller's) but blocks the calling
//! thread for the whole call, as any blocking I/O does: in async code, use
//! the async [`crate::Connection`] instead.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Component;
use crate::multicall::Summary;
use crate::{Build, BuildRef, Error, IdOrName, Multicall, Package, Result, Tag, Task, User, Value};

/// A connection to one Koji hub, with blocking methods.
///
/// Cheap to clone: clones share the connection pool, the session and the
/// runtime thread, which stops when the last clone is dropped.
#[derive(Clone)]
pub struct Connection {
    inner: crate::Connection,
    runtime: Arc<Runtime>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("blocking::Connection")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

/// The runtime thread. Shut down without waiting on drop, so that dropping
/// the last clone inside async code does not panic.
struct Runtime(Option<tokio::runtime::Runtime>);

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

impl Connection {
    /// A blocking connection around an async one (built with the async
    /// API's [`ConnectionBuilder`](crate::ConnectionBuilder), logged in or
    /// not). Starts the runtime thread.
    pub fn from_async(inner: crate::Connection) -> Result<Connection> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("koji-client-blocking")
            .enable_all()
            .build()
            .map_err(|e| {
                Error::component(Component::Runtime, "cannot start the blocking runtime")
                    .with_source(e)
            })?;
        Ok(Connection {
            inner,
            runtime: Arc::new(Runtime(Some(runtime))),
        })
    }

    /// A connection to the hub at `server` with koji's default settings
    /// (see [`crate::Connection::new`]).
    pub fn new(server: impl Into<String>) -> Result<Connection> {
        Connection::from_async(crate::Connection::new(server)?)
    }

    /// A connection configured by koji profile `name` of koji's usual
    /// config files (see [`crate::Connection::from_profile`]).
    pub fn from_profile(name: &str) -> Result<Connection> {
        Connection::from_async(crate::Connection::from_profile(name)?)
    }

    /// A connection configured by profile `name` of the config file at
    /// `path`, like `koji -c PATH -p NAME` (see
    /// [`crate::Connection::from_config_file`]).
    pub fn from_config_file(path: impl AsRef<Path>, name: &str) -> Result<Connection> {
        Connection::from_async(crate::Connection::from_config_file(path, name)?)
    }

    /// A connection configured by an already loaded profile.
    pub fn from_profile_config(profile: &crate::config::Profile) -> Result<Connection> {
        Connection::from_async(crate::Connection::from_profile_config(profile)?)
    }

    /// The async connection inside (sharing pool and session).
    pub fn as_async(&self) -> &crate::Connection {
        &self.inner
    }

    /// The hub URL.
    pub fn server_url(&self) -> &str {
        self.inner.server_url()
    }

    /// Runs an async function of the connection on the runtime thread and
    /// waits for its result: for every async method without a blocking
    /// twin here (list builders, estimates, streams collected…).
    ///
    /// ```no_run
    /// # fn demo(koji: koji_client::blocking::Connection) -> koji_client::Result<()> {
    /// use koji_client::estimate::{EstimateConfig, average_build_duration};
    ///
    /// let avg = koji.block_on(|koji| async move {
    ///     Ok(average_build_duration(&koji, "hello", EstimateConfig::default()).await?)
    /// })?;
    /// # Ok(()) }
    /// ```
    pub fn block_on<T, F, Fut>(&self, f: F) -> Result<T>
    where
        F: FnOnce(crate::Connection) -> Fut,
        Fut: Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        let Some(runtime) = &self.runtime.0 else {
            return Err(Error::component(
                Component::Runtime,
                "the blocking runtime has stopped",
            ));
        };
        let future = f(self.inner.clone());
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        runtime.spawn(async move {
            // The receiver only goes away if the caller did.
            let _ = tx.send(future.await);
        });
        rx.recv().unwrap_or_else(|_| {
            Err(Error::component(
                Component::Runtime,
                "the call ended without an answer (its task panicked)",
            ))
        })
    }

    /// Calls `method` with positional `args` (see [`crate::Connection::call`]).
    pub fn call(&self, method: &str, args: impl Serialize) -> Result<Value> {
        self.call_as(method, args)
    }

    /// Calls `method` and decodes the answer into `T` (see
    /// [`crate::Connection::call_as`]).
    pub fn call_as<T: DeserializeOwned + Send + 'static>(
        &self,
        method: &str,
        args: impl Serialize,
    ) -> Result<T> {
        let call = self.inner.prepare(method, args)?;
        self.block_on(|koji| async move { koji.execute_as(&call).await })
    }

    /// `getBuild` (see [`crate::Connection::get_build`]).
    pub fn get_build(&self, build: impl Into<BuildRef>) -> Result<Option<Build>> {
        let build = build.into();
        self.block_on(|koji| async move { koji.get_build(build).await })
    }

    /// `getTaskInfo(id, request=True)` (see [`crate::Connection::get_task_info`]).
    pub fn get_task_info(&self, task_id: i64) -> Result<Option<Task>> {
        self.block_on(|koji| async move { koji.get_task_info(task_id).await })
    }

    /// `getUser` (see [`crate::Connection::get_user`]).
    pub fn get_user(&self, user: impl Into<IdOrName>) -> Result<Option<User>> {
        let user = user.into();
        self.block_on(|koji| async move { koji.get_user(user).await })
    }

    /// `getTag` (see [`crate::Connection::get_tag`]).
    pub fn get_tag(&self, tag: impl Into<IdOrName>) -> Result<Option<Tag>> {
        let tag = tag.into();
        self.block_on(|koji| async move { koji.get_tag(tag).await })
    }

    /// `getPackage` (see [`crate::Connection::get_package`]).
    pub fn get_package(&self, package: impl Into<IdOrName>) -> Result<Option<Package>> {
        let package = package.into();
        self.block_on(|koji| async move { koji.get_package(package).await })
    }

    /// `getLoggedInUser` (see [`crate::Connection::get_logged_in_user`]).
    pub fn get_logged_in_user(&self) -> Result<Option<User>> {
        self.block_on(|koji| async move { koji.get_logged_in_user().await })
    }

    /// The logged-in user, an error when not logged in (see
    /// [`crate::Connection::whoami`]).
    pub fn whoami(&self) -> Result<User> {
        self.block_on(|koji| async move { koji.whoami().await })
    }

    /// Logs in as the profile says (see [`crate::Connection::login`]).
    pub fn login(&self) -> Result<()> {
        self.block_on(|koji| async move { koji.login().await })
    }

    /// Logs in with a user name and password (see
    /// [`crate::Connection::login_password`]).
    pub fn login_password(&self, user: &str, password: &str) -> Result<()> {
        let (user, password) = (user.to_owned(), password.to_owned());
        self.block_on(|koji| async move { koji.login_password(&user, &password).await })
    }

    /// Ends the session (see [`crate::Connection::logout`]).
    pub fn logout(&self) -> Result<()> {
        self.block_on(|koji| async move { koji.logout().await })
    }

    /// A new multicall on this connection: queue calls on it as usual,
    /// then [`send`](Self::send) it; the handles' results are read without
    /// waiting.
    pub fn multicall(&self) -> Multicall {
        self.inner.multicall()
    }

    /// Sends a multicall (see [`Multicall::send`]).
    pub fn send(&self, multicall: Multicall) -> Result<Summary> {
        self.block_on(|_| async move { multicall.send().await })
    }

    /// Builds by id or NVR in one multicall, in order (see
    /// [`crate::Connection::load_builds`]).
    pub fn load_builds<I>(&self, builds: I) -> Result<Vec<Option<Build>>>
    where
        I: IntoIterator,
        I::Item: Into<BuildRef>,
    {
        let builds: Vec<BuildRef> = builds.into_iter().map(Into::into).collect();
        self.block_on(|koji| async move { koji.load_builds(builds).await })
    }

    /// Tasks by id in one multicall, in order (see
    /// [`crate::Connection::load_tasks`]).
    pub fn load_tasks(&self, ids: impl IntoIterator<Item = i64>) -> Result<Vec<Option<Task>>> {
        let ids: Vec<i64> = ids.into_iter().collect();
        self.block_on(|koji| async move { koji.load_tasks(ids).await })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn connections_are_send_sync_and_clone() {
        fn check<T: Send + Sync + Clone>() {}
        check::<Connection>();
    }

    #[test]
    fn a_failed_call_is_the_async_apis_error() {
        // Nothing listens on port 1: a connect error, as the async API gives.
        let koji = Connection::from_async(
            crate::Connection::builder("http://127.0.0.1:1/kojihub")
                .no_proxy()
                .build()
                .unwrap(),
        )
        .unwrap();
        let e = koji.call("getAPIVersion", ()).unwrap_err();
        assert!(e.is_connect(), "{e}");
        assert_eq!(e.method(), Some("getAPIVersion"));
    }

    #[test]
    fn dropping_inside_async_code_does_not_panic() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let koji = Connection::new("http://127.0.0.1:1/kojihub").unwrap();
            drop(koji);
        });
    }
}
