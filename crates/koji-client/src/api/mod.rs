//! Typed hub methods: `impl Connection` blocks, one file per area, with
//! builders for the methods that take many optional arguments.
//!
//! Every method sends exactly the hub's method name and argument names
//! (optional arguments as keyword arguments, the `__starstar` way) and
//! decodes the answer straight into the [models](crate::model). `get_*`
//! methods return `Ok(None)` when the hub answers nil (no such object);
//! hub faults, transport failures and undecodable answers are [`Error`]s.
//!
//! | method | hub call |
//! |---|---|
//! | [`Connection::get_build`] | `getBuild(buildInfo)` (id, NVR or name/version/release: [`BuildRef`]) |
//! | [`Connection::list_builds`] → [`ListBuilds`] | `listBuilds(packageID=…, …, queryOpts=…)`, a package name resolved with `getPackage` first |
//! | [`Connection::list_tagged`] → [`ListTagged`] | `listTagged(tag, inherit=…, latest=…, …)` |
//! | [`Connection::get_average_build_duration`] | `getAverageBuildDuration(package)` → [`jiff::SignedDuration`] |
//! | [`Connection::get_package`] | `getPackage(info)` |
//! | [`Connection::get_task_info`] | `getTaskInfo(task_id, request=True)` |
//! | [`Connection::get_task_children`] | `getTaskChildren(task_id, request=True)` |
//! | [`Connection::get_task_descendents`] | `getTaskDescendents(task_id, request=True)` → [`TaskDescendents`](crate::TaskDescendents) |
//! | [`Connection::get_task_result`] | `getTaskResult(taskId)` |
//! | [`Connection::list_tasks`] → [`ListTasks`] | `listTasks(opts={…, decode: True}, queryOpts=…)` |
//! | [`Connection::list_channels`] → [`ListChannels`] | `listChannels(hostID=…, enabled=…)` |
//! | [`Connection::get_channel`] | `getChannel(channelInfo)` |
//! | [`Connection::list_hosts`] → [`ListHosts`] | `listHosts(arches=…, channelID=…, ready=…, enabled=…, userID=…)` |
//! | [`Connection::get_host`] | `getHost(hostInfo)` |
//! | [`Connection::get_user`] | `getUser(userInfo)` |
//! | [`Connection::get_logged_in_user`] | `getLoggedInUser()` |
//! | [`Connection::get_tag`] | `getTag(tagInfo)` |
//! | [`Connection::list_tags`] → [`ListTags`] | `listTags(build=…, package=…, …)` |
//! | [`Connection::get_build_target`] | `getBuildTarget(info)` (the hub has no `getTarget`) |
//! | [`Connection::get_build_targets`] → [`GetBuildTargets`] | `getBuildTargets(info=…, buildTagID=…, destTagID=…)` |
//! | [`Connection::repo_info`] | `repoInfo(repo_id)` |
//! | [`Connection::fetch_from_web`] | the call behind a kojiweb page ([`WebItem`]) |
//!
//! Builders are sent with `send()` (the rows), `count()` (the number of
//! rows, `queryOpts.countOnly`, where the hub supports it) or, for
//! [`ListBuilds`], [`ListTagged`], [`ListTasks`] and [`ListTags`],
//! `stream()` (the rows one by one as the answer arrives, for answers too
//! big to hold). Without an order the hub answers in its own order (by
//! id: the oldest first); "latest" needs `.order("-build_id")` or the
//! like:
//!
//! ```no_run
//! # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
//! use koji_client::{BuildState, QueryOpts, TaskState};
//!
//! let latest = koji
//!     .list_builds()
//!     .package("hello")
//!     .state(BuildState::Complete)
//!     .query(QueryOpts::new().order("-completion_time").limit(5))
//!     .send()
//!     .await?;
//! let waiting = koji
//!     .list_tasks()
//!     .state([TaskState::Free, TaskState::Open])
//!     .channel_id(9)
//!     .order("priority,create_time")
//!     .send()
//!     .await?;
//! let how_many = koji.list_tasks().state([TaskState::Free]).count().await?;
//! # Ok(()) }
//! ```
//!
//! Helpers that need the hub live on the models and take the connection
//! as an argument (`build.task(&koji)`, `channel.total_capacity(&koji)`,
//! `cache.user_name(&koji, id)`); see each model.
//!
//! Anything not covered here is a raw call away:
//! [`Connection::request`] (with [`QueryOpts`] usable as the `queryOpts`
//! value) and [`Connection::call_as`] decode into the same models.

mod builds;
mod hosts;
mod submit;
mod tags;
mod tasks;
mod users;
mod web;
mod write;

use std::fmt;

use jiff::Timestamp;
use serde::ser::{Serialize, SerializeMap, Serializer};

pub use builds::{ListBuilds, ListTagged};
pub use hosts::{ListChannels, ListHosts};
pub use submit::{
    BuildRequest, CgBuild, CgBuildroot, CgImport, CgOutput, Finished, SubmitError, Submitted,
};
pub use tags::{GetBuildTargets, ListTags};
pub use tasks::ListTasks;
pub use web::WebItem;
pub use write::TaskId;

#[cfg(doc)]
use crate::Connection;
use crate::QueryOpts;
use crate::error::{Error, Kind};
use crate::model::ModelError;

/// A build as `getBuild` (and `listTags(build=…)`) accept it: its id, its
/// `name-version-release`, or the three parts.
///
/// ```
/// use koji_client::BuildRef;
///
/// assert_eq!(BuildRef::from(17), BuildRef::Id(17));
/// assert_eq!(BuildRef::from("hello-1.3-1.fc40"), BuildRef::Nvr("hello-1.3-1.fc40".into()));
/// let parts = BuildRef::from(("hello", "1.3", "1.fc40"));
/// assert_eq!(parts.to_string(), "hello-1.3-1.fc40");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BuildRef {
    /// A build id.
    Id(i64),
    /// `name-version-release` (draft builds: `…,draft_N`).
    Nvr(String),
    /// Name, version and release, sent as a `{name, version, release}`
    /// struct.
    Parts {
        /// Package name.
        name: String,
        /// Version.
        version: String,
        /// Release.
        release: String,
    },
}

impl BuildRef {
    /// A reference by name, version and release.
    pub fn parts(
        name: impl Into<String>,
        version: impl Into<String>,
        release: impl Into<String>,
    ) -> BuildRef {
        BuildRef::Parts {
            name: name.into(),
            version: version.into(),
            release: release.into(),
        }
    }
}

impl From<i64> for BuildRef {
    fn from(id: i64) -> Self {
        BuildRef::Id(id)
    }
}

impl From<&str> for BuildRef {
    fn from(nvr: &str) -> Self {
        BuildRef::Nvr(nvr.to_owned())
    }
}

impl From<String> for BuildRef {
    fn from(nvr: String) -> Self {
        BuildRef::Nvr(nvr)
    }
}

impl From<&String> for BuildRef {
    fn from(nvr: &String) -> Self {
        BuildRef::Nvr(nvr.clone())
    }
}

impl From<(&str, &str, &str)> for BuildRef {
    fn from((name, version, release): (&str, &str, &str)) -> Self {
        BuildRef::parts(name, version, release)
    }
}

impl fmt::Display for BuildRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildRef::Id(id) => write!(f, "{id}"),
            BuildRef::Nvr(nvr) => f.write_str(nvr),
            BuildRef::Parts {
                name,
                version,
                release,
            } => write!(f, "{name}-{version}-{release}"),
        }
    }
}

impl Serialize for BuildRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            BuildRef::Id(id) => serializer.serialize_i64(*id),
            BuildRef::Nvr(nvr) => serializer.serialize_str(nvr),
            BuildRef::Parts {
                name,
                version,
                release,
            } => {
                let mut map = serializer.serialize_map(Some(3))?;
                map.serialize_entry("name", name)?;
                map.serialize_entry("version", version)?;
                map.serialize_entry("release", release)?;
                map.end()
            }
        }
    }
}

/// A `listTasks` filter on an id column (`owner`, `host_id`,
/// `channel_id`, `parent`): one id, any of several, or "not set" (SQL
/// `IS NULL`, e.g. `parent(None)` for top-level tasks).
///
/// ```
/// use koji_client::api::IdFilter;
///
/// assert_eq!(IdFilter::from(9), IdFilter::Id(9));
/// assert_eq!(IdFilter::from([3, 4]), IdFilter::AnyOf(vec![3, 4]));
/// assert_eq!(IdFilter::from(None), IdFilter::Null);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IdFilter {
    /// The column is nil (`IS NULL`).
    Null,
    /// The column is this id.
    Id(i64),
    /// The column is one of these ids (an empty list matches nothing).
    AnyOf(Vec<i64>),
}

impl IdFilter {
    /// Whether this filter can match no row at all (an empty list).
    fn is_empty_list(&self) -> bool {
        matches!(self, IdFilter::AnyOf(ids) if ids.is_empty())
    }
}

impl From<i64> for IdFilter {
    fn from(id: i64) -> Self {
        IdFilter::Id(id)
    }
}

impl From<Option<i64>> for IdFilter {
    fn from(id: Option<i64>) -> Self {
        id.map_or(IdFilter::Null, IdFilter::Id)
    }
}

impl From<Vec<i64>> for IdFilter {
    fn from(ids: Vec<i64>) -> Self {
        IdFilter::AnyOf(ids)
    }
}

impl From<&[i64]> for IdFilter {
    fn from(ids: &[i64]) -> Self {
        IdFilter::AnyOf(ids.to_vec())
    }
}

impl<const N: usize> From<[i64; N]> for IdFilter {
    fn from(ids: [i64; N]) -> Self {
        IdFilter::AnyOf(ids.to_vec())
    }
}

impl Serialize for IdFilter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            IdFilter::Null => serializer.serialize_none(),
            IdFilter::Id(id) => serializer.serialize_i64(*id),
            IdFilter::AnyOf(ids) => ids.serialize(serializer),
        }
    }
}

/// An argument that cannot be sent (a state without a Koji code, a model
/// without the id a helper needs): an encode error naming the method.
fn bad_argument(method: &str, what: impl Into<String>) -> Error {
    Error::new(Kind::Encode)
        .with_source(what.into())
        .context(method, "")
}

/// Hub data a helper could not read (a task request of the wrong shape…):
/// a decode error naming the method that returned it.
fn model_error(method: &str, e: ModelError) -> Error {
    Error::from(e).context(method, "")
}

/// A reply that does not mean what the method promises (a duration that
/// is not a number of seconds…): a decode error naming the method.
fn bad_reply(method: &str, what: impl Into<String>) -> Error {
    Error::new(Kind::Decode)
        .with_source(what.into())
        .context(method, "")
}

/// A time as the hub's list filters take it: seconds since the epoch.
fn epoch(ts: Timestamp) -> f64 {
    ts.as_microsecond() as f64 / 1e6
}

/// The `queryOpts` setters every list builder with a `query` field shares.
macro_rules! query_setters {
    () => {
        /// Replaces the `queryOpts` (order, offset, limit) with `opts`.
        pub fn query(mut self, opts: $crate::QueryOpts) -> Self {
            self.query = opts;
            self
        }

        /// Sorts by these comma-separated member names (`queryOpts.order`;
        /// `-` means descending).
        pub fn order(mut self, order: impl Into<String>) -> Self {
            self.query = self.query.order(order);
            self
        }

        /// Returns at most this many rows (`queryOpts.limit`; 0: no limit).
        pub fn limit(mut self, limit: u64) -> Self {
            self.query = self.query.limit(limit);
            self
        }

        /// Skips this many rows (`queryOpts.offset`).
        pub fn offset(mut self, offset: u64) -> Self {
            self.query = self.query.offset(offset);
            self
        }
    };
}

pub(crate) use query_setters;

/// Keyword arguments collected before the call is made (for queries
/// that only know their call after an await, such as a package lookup).
struct Kwargs {
    method: &'static str,
    members: koji_xmlrpc::Struct,
}

impl Kwargs {
    fn new(method: &'static str) -> Kwargs {
        Kwargs {
            method,
            members: koji_xmlrpc::Struct::new(),
        }
    }

    fn put(&mut self, name: &str, value: impl Serialize) -> crate::Result<()> {
        let value = koji_xmlrpc::to_value(&value)
            .map_err(|e| crate::request::encode_error(self.method, e))?;
        self.members.insert(name.to_owned(), value);
        Ok(())
    }

    fn into_struct(self) -> koji_xmlrpc::Struct {
        self.members
    }
}

/// A stream that yields `e` and ends.
fn failed_stream<T: Send + 'static>(e: Error) -> crate::CallStream<T> {
    crate::CallStream {
        inner: Box::pin(futures_util::stream::once(async move { Err(e) })),
    }
}

/// A stream that first runs `start` (a lookup the call needs), then yields
/// the items of the stream it gives; `Ok(None)`: no items, `Err`: that
/// error only.
fn deferred_stream<T, F>(start: F) -> crate::CallStream<T>
where
    T: Send + 'static,
    F: std::future::Future<Output = crate::Result<Option<crate::CallStream<T>>>> + Send + 'static,
{
    use futures_util::StreamExt;
    let stream = futures_util::stream::once(start).flat_map(|started| match started {
        Ok(Some(items)) => items.boxed(),
        Ok(None) => futures_util::stream::empty().boxed(),
        Err(e) => futures_util::stream::once(async move { Err(e) }).boxed(),
    });
    crate::CallStream {
        inner: Box::pin(stream),
    }
}

/// Adds `queryOpts` to a call when any option is set.
fn with_query<'k>(call: crate::CallBuilder<'k>, query: &QueryOpts) -> crate::CallBuilder<'k> {
    if query.is_empty() {
        call
    } else {
        call.kwarg("queryOpts", query)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use koji_xmlrpc::Value;

    #[test]
    fn build_refs_encode_as_get_build_expects() {
        assert_eq!(
            koji_xmlrpc::to_value(&BuildRef::from(3)).unwrap(),
            Value::Int(3)
        );
        assert_eq!(
            koji_xmlrpc::to_value(&BuildRef::from("hello-1.2-1.fc40")).unwrap(),
            Value::from("hello-1.2-1.fc40")
        );
        let v = koji_xmlrpc::to_value(&BuildRef::parts("hello", "1.2", "1.fc40")).unwrap();
        let s = v.as_struct().unwrap();
        assert_eq!(s.keys().collect::<Vec<_>>(), ["name", "version", "release"]);
        assert_eq!(s["release"], Value::from("1.fc40"));
    }

    #[test]
    fn id_filters_encode_as_list_tasks_expects() {
        assert_eq!(koji_xmlrpc::to_value(&IdFilter::Null).unwrap(), Value::Nil);
        assert_eq!(
            koji_xmlrpc::to_value(&IdFilter::from(9)).unwrap(),
            Value::Int(9)
        );
        assert_eq!(
            koji_xmlrpc::to_value(&IdFilter::from(vec![3, 4])).unwrap(),
            Value::Array(vec![Value::Int(3), Value::Int(4)])
        );
        assert!(IdFilter::AnyOf(vec![]).is_empty_list());
        assert!(!IdFilter::Null.is_empty_list());
    }

    #[test]
    fn epoch_keeps_microseconds() {
        let ts: Timestamp = "2026-11-25T17:33:58.881016Z".parse().unwrap();
        assert_eq!(epoch(ts), 1_795_628_038.881016);
    }

    /// Every typed call can run in `tokio::spawn`: its future is `Send`.
    #[test]
    fn futures_are_send() {
        fn send<T: Send>(_: T) {}
        let koji = crate::Connection::new("http://127.0.0.1:1/kojihub").unwrap();
        send(koji.get_build("hello-1.0-1"));
        send(koji.list_builds().package("hello").send());
        send(koji.list_builds().count());
        send(koji.list_tagged("f40").send());
        send(koji.list_tasks().state([crate::TaskState::Free]).send());
        send(koji.list_tasks().count());
        send(koji.list_hosts().send());
        send(koji.list_channels().send());
        send(koji.list_tags().count());
        send(koji.get_build_targets().send());
        send(koji.get_task_descendents(1));
        send(koji.get_average_build_duration("hello"));
        send(koji.fetch_from_web("https://k/koji/taskinfo?taskID=1"));
        let build = crate::Build::default();
        send(build.target(&koji));
        let channel = crate::Channel::default();
        send(channel.total_capacity(&koji));
        let task = crate::Task::default();
        send(task.descendents(&koji, None, None));
        let cache = crate::cache::NameCache::with_dir("/nonexistent", "p").unwrap();
        send(cache.user_name(&koji, 1));
    }

    #[test]
    fn model_errors_become_decode_errors() {
        let me = ModelError::NoRequest { task: Some(4) };
        let e = model_error("getTaskInfo", me.clone());
        assert!(e.is_decode(), "{e}");
        assert_eq!(e.model_error(), Some(&me));
        assert_eq!(e.method(), Some("getTaskInfo"));
        assert!(e.to_string().contains("task 4: no request"), "{e}");
        // `?` on a model helper in a function returning koji_client::Result.
        fn read(task: &crate::Task) -> crate::Result<Option<String>> {
            Ok(task.arch()?)
        }
        let mut task = crate::Task::default();
        task.id = Some(4);
        task.method = Some("buildArch".into());
        let e = read(&task).unwrap_err();
        assert_eq!(e.model_error(), Some(&me));
        assert!(
            bad_reply("getAverageBuildDuration", "NaN")
                .model_error()
                .is_none()
        );
    }

    #[test]
    fn argument_errors_name_the_method() {
        let e = bad_argument("listTasks", "state \"BOGUS\" has no Koji code");
        assert!(e.is_encode());
        assert_eq!(e.method(), Some("listTasks"));
        assert!(e.to_string().contains("BOGUS"), "{e}");
    }
}
