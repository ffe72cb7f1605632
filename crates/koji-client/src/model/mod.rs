//! Typed models of what the hub returns, with txkoji's helpers.
//!
//! Models are plain data: serde structs that decode from any self-describing
//! format (the hub's XML-RPC, JSON dumps, bus messages) and encode back to
//! exactly the members that were sent. Helpers that only read the data
//! (times, durations, kojiweb URLs, task parameters) are methods here;
//! helpers that need the hub take the connection explicitly
//! (`build.task(&koji).await`; see [`crate::api`]).
//!
//! # Decoding rules
//!
//! - Every field is an `Option`: methods omit members (`listBuilds` rows have
//!   no `id`, `listTagged` rows no `*_ts`, old hubs' channels only `id` and
//!   `name`) and any value may be nil.
//! - For the members a call always sends, the `require_*` accessors
//!   ([`User::require_name`], [`Tag::require_id`], [`Build::require_nvr`],
//!   [`Task::require_method`]…) give the value itself, or a
//!   [`ModelError::Missing`] naming the object and the member, which `?`
//!   turns into a decode error. Why not non-`Option` fields or one type
//!   per call: one model decodes the answers of many calls (`getBuild`,
//!   `listBuilds`, `listTagged`, bus messages), and what one call always
//!   sends another omits; a type per call would multiply the models and
//!   their helpers. The accessor states the caller's knowledge ("`getUser`
//!   always sends `name`") at the place it is used, and a hub that breaks
//!   it gives an error that says so, never a panic or an empty string:
//!
//! ```
//! use koji_client::User;
//!
//! fn greet(user: &User) -> koji_client::Result<String> {
//!     Ok(format!("hello {}", user.require_name()?))
//! }
//! let alice: User = serde_json::from_str(r#"{"id": 2, "name": "alice"}"#).unwrap();
//! assert_eq!(greet(&alice)?, "hello alice");
//! let partial: User = serde_json::from_str(r#"{"id": 3}"#).unwrap();
//! assert_eq!(greet(&partial).unwrap_err().to_string(),
//!            "could not decode the response: user 3: no name (the hub did not send it)");
//! # Ok::<(), koji_client::Error>(())
//! ```
//! - Members a model has no field for are kept in its `other` map, and the
//!   model remembers which of its own members were sent, so that
//!   serialising it again reproduces the hub's struct (nil members included,
//!   absent members left out). [`Build::has_member`] and friends tell which
//!   members were sent. (That record is a private member, so models are
//!   built with `Default::default()` and field assignments rather than
//!   struct literals; it plays no part in `==`.)
//! - States decode from numbers (the hub) and from names (bus messages); a
//!   value this library does not know is kept (`Unknown(9)`), never an
//!   error.
//! - Free-form members (`other`, `Build::extra`, `Task::request`, …) are
//!   `serde_json::Value`s; XML-RPC values JSON has no type for still decode
//!   (`<base64>` as a list of byte values, `<dateTime.iso8601>` as its
//!   text).
//! - Times are kept as sent (`start_ts` float and `start_time` string); the
//!   accessors ([`Build::started`], …) prefer `*_ts` and fall back to
//!   parsing `*_time`, which works on `listTagged` rows and old hubs.
//!
//! ```
//! use koji_client::{Build, BuildState};
//!
//! let build: Build = serde_json::from_str(r#"{
//!     "build_id": 17, "nvr": "hello-1.3-1.fc40", "state": 1,
//!     "start_time": "2026-11-25 17:33:58.881016+00:00",
//!     "completion_time": "2026-11-25 17:34:01.106100+00:00",
//!     "task_id": 2, "added_in_koji_2": "x"
//! }"#).unwrap();
//! assert_eq!(build.state, Some(BuildState::Complete));
//! let took = build.duration(jiff::Timestamp::now()).unwrap().unwrap();
//! assert_eq!(took.as_micros(), 2_225_084);
//! assert_eq!(build.url("https://koji.example.com/koji").unwrap(),
//!            "https://koji.example.com/koji/buildinfo?buildID=17");
//! // A member this library has no field for is kept in `other`.
//! assert_eq!(build.other["added_in_koji_2"], "x");
//! // Encoding gives back what was sent.
//! let again: serde_json::Value = serde_json::to_value(&build).unwrap();
//! assert_eq!(again["task_id"], 2);
//! assert!(again.get("id").is_none());
//! ```
//!
//! # Parity with txkoji
//!
//! txkoji's rich classes are `Munch` dicts with properties; here each is a
//! struct whose public fields are the hub's members, plus methods. Helpers
//! that need the hub take the [`Connection`](crate::Connection) as an
//! argument. txkoji's `Connection` methods are typed methods of
//! [`Connection`](crate::Connection) (see [`crate::api`]).
//!
//! | txkoji | koji-client |
//! |---|---|
//! | `Build.completed` | [`Build::completed`] (from `completion_ts`, else `completion_time`) |
//! | `Build.started` | [`Build::started`] (also works on `listTagged` rows, which have no `start_ts`) |
//! | `Build.duration` | [`Build::duration`]`(now)`: the clock is injected; `now` is used only while `BUILDING` |
//! | `Build.url` | [`Build::url`]`(weburl)` |
//! | `Build.gitbuildhash` | [`Build::gitbuildhash`] |
//! | `Build.task_id` (with the `extra.container_koji_task_id` fallback) | [`Build::task_id`] (the raw member is the field `task_id`) |
//! | `Build.estimate_completion()` | [`Build::estimate_completion`]`(&inputs)`, over data ([`crate::estimate`]); fetching: [`crate::estimate::estimate_build_completion`] |
//! | `Build.task()` | [`Build::task`]`(&koji)` (`getTaskInfo(task_id, request=True)`, container fallback included) |
//! | `Build.target()` (the target's name) | [`Build::target`]`(&koji)`: the [`BuildTarget`] itself (`getBuildTarget`); its name is `.name` |
//! | `Build.tags()` (`listTags(self.id)`, which failed on `listBuilds` rows) | [`Build::tags`]`(&koji)` (`listTags(build=build_id)`) |
//! | — | [`Build::nvr`], [`Build::build_id`], [`Build::state_name`], [`Build::created`], [`Build::promoted`], [`Build::is_container`] |
//! | `Task.arch` | [`Task::arch`] (from the request; the field `arch` is the hub's column) |
//! | `Task.arches` | [`Task::arches`] |
//! | `Task.build_id` | [`Task::build_id`] |
//! | `Task.channel` (a `Channel` holding only the id) | [`Task::channel_id`]; the whole [`Channel`]: [`Task::channel`]`(&koji)` |
//! | `Task.completed`, `.created`, `.started` | [`Task::completed`], [`Task::created`], [`Task::started`] |
//! | `Task.duration` | [`Task::duration`]`(now)` |
//! | `Task.state_name` | [`Task::state_name`] |
//! | `Task.package` | [`Task::package`] (an error, not a panic, for a source it cannot read) |
//! | `Task.params` | [`Task::params`] → [`TaskParams`] (decoded lists, raw XML-RPC documents including very old base64 rows, `__starstar` keyword arguments and new-style `__method__` dicts) |
//! | `Task.is_scratch` | [`Task::is_scratch`] |
//! | `Task.tag` | [`Task::tag`] → [`IdOrName`] |
//! | `Task.target` | [`Task::target`] |
//! | `Task.url` | [`Task::url`]`(weburl)` |
//! | `Task.estimate_completion()`, `.estimate_duration()`, `.estimate_descendents()` | [`Task::estimate_completion`]`(&inputs)` (which follows the descendents), [`Task::estimate_duration`]`(&inputs)`; fetching: [`crate::estimate::estimate_task_completion`] |
//! | `Task.descendents(method, state)` (direct children only) | [`Task::descendents`]`(&koji, method, state)`: every depth, sorted by id |
//! | — | [`Task::children`]`(&koji)`, [`Task::fetch_result`]`(&koji)`, [`Task::method`], [`Task::outcome`] (`listTasks` results, decoded or raw) |
//! | `Channel.hosts(**kwargs)` | [`Channel::hosts`]`(&koji)`: a [`ListHosts`](crate::api::ListHosts) query to narrow (`.enabled(true)`…); for the estimates, [`crate::estimate::channel_snapshot`] fetches hosts and tasks together |
//! | `Channel.tasks(**opts)` | [`Channel::tasks`]`(&koji)`: a [`ListTasks`](crate::api::ListTasks) query ordered `priority,create_time` |
//! | `Channel.total_capacity()` | [`Channel::total_capacity`]`(&koji)`; over a fetched snapshot: [`crate::estimate::ChannelSnapshot::total_capacity`] |
//! | `estimates.average_build_duration(s)`, `average_last_builds` | [`crate::estimate::average_build_duration`], [`crate::estimate::average_build_durations`] (one round trip, containers and RPMs mixed), [`crate::estimate::average_of_builds`] |
//! | — | [`Channel::url`], [`Host::url`], [`User::url`], [`Tag::url`], [`BuildTarget::url`], [`Repo::url`] |
//! | `Package.url` | [`Package::url`] |
//! | `build_states.to_str(n)`, `task_states.to_str(n)` | `Display` of [`BuildState`], [`TaskState`] |
//! | `task_states.ACTIVE_GROUP`, `DONE_GROUP` | [`TaskState::ACTIVE`], [`TaskState::DONE`] |
//! | `Connection.call(method, *args, **kwargs)`, `Connection.<anyMethod>(…)` | [`Connection::call`](crate::Connection::call), [`Connection::request`](crate::Connection::request)`(method).arg(…).kwarg(…)`, `.typed::<T>()` |
//! | `Connection.getAverageBuildDuration(package)` → `timedelta` | [`Connection::get_average_build_duration`](crate::Connection::get_average_build_duration) → [`jiff::SignedDuration`] (and `…_within(package, months)` for `age`) |
//! | `Connection.getBuild(id)` | [`Connection::get_build`](crate::Connection::get_build) (id, NVR or name/version/release: [`BuildRef`](crate::BuildRef)) |
//! | `Connection.getChannel(id)` | [`Connection::get_channel`](crate::Connection::get_channel) (id or name) |
//! | `Connection.getPackage(name)` | [`Connection::get_package`](crate::Connection::get_package) |
//! | `Connection.getTaskDescendents(id)` (the direct children) | [`Connection::get_task_descendents`](crate::Connection::get_task_descendents) → the whole [`TaskDescendents`] tree ([`TaskDescendents::children`] gives txkoji's list) |
//! | `Connection.getTaskInfo(id)` (`request=True`) | [`Connection::get_task_info`](crate::Connection::get_task_info) (`request=True`) |
//! | `Connection.listBuilds(package)` (id, or name resolved with `getPackage`) | [`Connection::list_builds`](crate::Connection::list_builds)`().package(…)` (same resolution) and every other filter, `QueryOpts`, `count()` |
//! | `Connection.listTagged(*args, **kwargs)` | [`Connection::list_tagged`](crate::Connection::list_tagged)`(tag).inherit(…).latest(…)…` |
//! | `Connection.listTasks(opts={}, queryOpts={})` (a shared mutable default) | [`Connection::list_tasks`](crate::Connection::list_tasks)`().state(…).order(…)`: own options per query, always decoded |
//! | `Connection.listChannels(**kwargs)` | [`Connection::list_channels`](crate::Connection::list_channels)`().host(…).enabled(…)` |
//! | `Connection.getHost`, `.getUser`, `.getTag`, `.getLoggedInUser`, `.listHosts`, `.listTags`, `.getTaskChildren`, `.getTaskResult` (through `__getattr__`, untyped) | [`get_host`](crate::Connection::get_host), [`get_user`](crate::Connection::get_user), [`get_tag`](crate::Connection::get_tag), [`get_logged_in_user`](crate::Connection::get_logged_in_user), [`list_hosts`](crate::Connection::list_hosts), [`list_tags`](crate::Connection::list_tags), [`get_task_children`](crate::Connection::get_task_children), [`get_task_result`](crate::Connection::get_task_result) |
//! | `Connection.getTarget` (no such hub method) | [`Connection::get_build_target`](crate::Connection::get_build_target), [`Connection::get_build_targets`](crate::Connection::get_build_targets) |
//! | `Connection.from_web(url)` | [`Connection::fetch_from_web`](crate::Connection::fetch_from_web) → [`WebItem`](crate::api::WebItem) (parsing: [`crate::web::WebObject::parse`]) |
//! | `Connection.connect_from_web(url)` | [`Connection::connect_from_web`](crate::Connection::connect_from_web) (profile: [`crate::config::Config::profile_for_weburl`]) |
//! | `Connection.login()` (GSSAPI or SSL) | [`Connection::login`](crate::Connection::login) (as the koji CLI picks), [`login_ssl`](crate::Connection::login_ssl), [`login_gssapi`](crate::Connection::login_gssapi), [`login_password`](crate::Connection::login_password) |
//! | `Connection.MultiCall()`, `m.getTaskInfo(123)`, `results = yield m()` | [`Connection::multicall`](crate::Connection::multicall), [`m.get_task_info(123)`](crate::Multicall::get_task_info) → a typed [`Handle`](crate::Handle), [`m.send()`](crate::Multicall::send); results in order: [`push`](crate::Multicall::push) + [`send_values`](crate::Multicall::send_values). Big batches are split into chunks and sent concurrently |
//! | `Cache.user_name(id)`, `Cache.tag_name(id)` | [`NameCache::user_name`](crate::cache::NameCache::user_name)`(&koji, id)`, [`NameCache::tag_name`](crate::cache::NameCache::tag_name)`(&koji, id)` |
//! | multicall `rich_item()` (substring match on the method name) | the handle's type (`Handle<Option<Build>>`…); [`rich_type`] names the model of a method (exact names) |
//!
//! Fixed txkoji mistakes: kojiweb's page is `buildtargetinfo`, not
//! `targetinfo`, and the hub method `getBuildTarget`, not `getTarget`;
//! [`Build::duration`] and [`Build::tags`] work on `listTagged` and
//! `listBuilds` rows; `listTasks` options are never shared between calls;
//! the model of a method is chosen by its exact name (`getBuildTarget` is a
//! [`BuildTarget`], not a [`Build`]; the hub spells it `getTaskDescendents`).

pub(crate) mod macros;

mod build;
mod channel;
mod host;
mod package;
mod repo;
mod state;
mod tag;
mod target;
mod task;
mod time;
mod user;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use build::Build;
pub use channel::Channel;
pub use host::Host;
pub use package::Package;
pub use repo::Repo;
pub use state::{BuildState, HubAuthType, RepoState, TaskState, UserStatus, UserType};
pub use tag::Tag;
pub use target::BuildTarget;
pub use task::{Task, TaskDescendents, TaskFault, TaskOutcome, TaskParams, package_from_source};
pub use time::{HumanDuration, duration_from_secs, parse_koji_time, timestamp_from_epoch};
pub use user::User;

/// What went wrong reading a model's data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A `*_time` string that is not a time.
    #[error("{}cannot read {value:?} as a time: {reason}", field.map(|f| format!("{f}: ")).unwrap_or_default())]
    Time {
        /// The member it came from, when known.
        field: Option<&'static str>,
        /// The string as sent.
        value: String,
        /// Why it could not be read.
        reason: String,
    },
    /// A `*_ts` number that is not a point in time (NaN, infinite, out of
    /// range).
    #[error("{field}: {value} is not a valid timestamp")]
    Timestamp {
        /// The member it came from.
        field: &'static str,
        /// The number as sent.
        value: f64,
    },
    /// The task has no `request` member: the hub only sends it when asked
    /// (`getTaskInfo(id, request=True)`, `listTasks`).
    #[error("task {}: no request (ask getTaskInfo with request=True)", task.map(|t| t.to_string()).unwrap_or_else(|| "?".into()))]
    NoRequest {
        /// The task's id, when known.
        task: Option<i64>,
    },
    /// A task's request or result does not have the shape its method
    /// implies.
    #[error("task {} ({method}): {detail}", task.map(|t| t.to_string()).unwrap_or_else(|| "?".into()))]
    BadTaskData {
        /// The task's id, when known.
        task: Option<i64>,
        /// The task's method.
        method: String,
        /// What is wrong, naming the parameter or member.
        detail: String,
    },
    /// A member the caller relied on (through a `require_*` accessor such
    /// as [`User::require_name`]) was not sent.
    #[error("{model}{}: no {member} (the hub did not send it)", id.map(|i| format!(" {i}")).unwrap_or_default())]
    Missing {
        /// The model (`user`, `tag`, `build`…).
        model: &'static str,
        /// The member.
        member: &'static str,
        /// The object's id, when known.
        id: Option<i64>,
    },
    /// A source (SCM URL or SRPM path) that names no package.
    #[error("cannot find a package name in source {value:?}: {reason}")]
    BadSource {
        /// The source as sent.
        value: String,
        /// Why.
        reason: &'static str,
    },
}

/// `require_*` accessors: the member, or [`ModelError::Missing`].
macro_rules! require_accessors {
    ($model:ty, $label:literal; $($fn:ident: $member:ident -> $kind:tt),* $(,)?) => {
        impl $model {
            $(require_accessors!(@one $label, $fn, $member, $kind);)*
        }
    };
    (@one $label:literal, $fn:ident, $member:ident, copy) => {
        #[doc = concat!("The `", stringify!($member), "` member, for a ", $label, " from a call that always sends it; ")]
        #[doc = "[`ModelError::Missing`] when it was not sent (see the [module docs](crate::model))."]
        pub fn $fn(&self) -> Result<i64, ModelError> {
            self.$member.ok_or(ModelError::Missing { model: $label, member: stringify!($member), id: self.id })
        }
    };
    (@one $label:literal, $fn:ident, $member:ident, str) => {
        #[doc = concat!("The `", stringify!($member), "` member, for a ", $label, " from a call that always sends it; ")]
        #[doc = "[`ModelError::Missing`] when it was not sent (see the [module docs](crate::model))."]
        pub fn $fn(&self) -> Result<&str, ModelError> {
            self.$member.as_deref().ok_or(ModelError::Missing { model: $label, member: stringify!($member), id: self.id })
        }
    };
}

require_accessors!(User, "user"; require_id: id -> copy, require_name: name -> str);
require_accessors!(Tag, "tag"; require_id: id -> copy, require_name: name -> str);
require_accessors!(Package, "package"; require_name: name -> str);
require_accessors!(Channel, "channel"; require_id: id -> copy, require_name: name -> str);
require_accessors!(Host, "host"; require_id: id -> copy, require_name: name -> str);
require_accessors!(Task, "task"; require_id: id -> copy, require_method: method -> str);
require_accessors!(BuildTarget, "build target"; require_id: id -> copy, require_name: name -> str);

impl Build {
    /// The build's id (`id`, else `build_id`, which `listBuilds` and
    /// `listTagged` rows have instead), for a build from a call that always
    /// sends one; [`ModelError::Missing`] otherwise.
    pub fn require_id(&self) -> Result<i64, ModelError> {
        self.build_id().ok_or(ModelError::Missing {
            model: "build",
            member: "build_id",
            id: None,
        })
    }

    /// The build's `name-version-release` ([`Build::nvr`]), for a build
    /// from a call that always sends it (every build call does);
    /// [`ModelError::Missing`] otherwise.
    pub fn require_nvr(&self) -> Result<String, ModelError> {
        self.nvr().ok_or(ModelError::Missing {
            model: "build",
            member: "nvr",
            id: self.build_id(),
        })
    }
}

/// A reference to a hub object by id or by name, as many hub methods and
/// kojiweb pages accept (`getTag(5)` or `getTag("f40-build")`).
///
/// Encodes as the number or the string; decodes from either.
///
/// ```
/// use koji_client::IdOrName;
///
/// assert_eq!(IdOrName::from(5), IdOrName::Id(5));
/// assert_eq!(IdOrName::from("f40-build").to_string(), "f40-build");
/// assert_eq!(serde_json::to_string(&IdOrName::Id(5)).unwrap(), "5");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IdOrName {
    /// A numeric id.
    Id(i64),
    /// A name (or, for users, a Kerberos principal).
    Name(String),
}

impl IdOrName {
    /// The id, if this is one.
    pub fn id(&self) -> Option<i64> {
        match self {
            IdOrName::Id(id) => Some(*id),
            IdOrName::Name(_) => None,
        }
    }

    /// The name, if this is one.
    pub fn name(&self) -> Option<&str> {
        match self {
            IdOrName::Id(_) => None,
            IdOrName::Name(name) => Some(name),
        }
    }
}

impl fmt::Display for IdOrName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdOrName::Id(id) => write!(f, "{id}"),
            IdOrName::Name(name) => f.write_str(name),
        }
    }
}

impl From<i64> for IdOrName {
    fn from(id: i64) -> Self {
        IdOrName::Id(id)
    }
}

impl From<&str> for IdOrName {
    fn from(name: &str) -> Self {
        IdOrName::Name(name.to_owned())
    }
}

impl From<String> for IdOrName {
    fn from(name: String) -> Self {
        IdOrName::Name(name)
    }
}

/// An object's id, else its name, as a reference.
pub(crate) fn id_or_name(id: Option<i64>, name: Option<&str>) -> Option<IdOrName> {
    match (id, name) {
        (Some(id), _) => Some(IdOrName::Id(id)),
        (None, Some(name)) if !name.is_empty() => Some(IdOrName::from(name)),
        _ => None,
    }
}

/// The kinds of hub objects this module models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ModelKind {
    /// [`Build`]
    Build,
    /// [`Task`]
    Task,
    /// [`Channel`]
    Channel,
    /// [`Host`]
    Host,
    /// [`Package`]
    Package,
    /// [`User`]
    User,
    /// [`Tag`]
    Tag,
    /// [`BuildTarget`]
    BuildTarget,
    /// [`Repo`]
    Repo,
}

/// How a method's result holds its models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Shape {
    /// One struct, or nil when nothing matched.
    One,
    /// A list of structs (with the default `queryOpts`: `countOnly` gives a
    /// number and `asList` lists of lists).
    List,
    /// One struct, or a list of structs (with nil for misses) when the first
    /// argument is a list: `getTaskInfo`.
    OneOrList,
    /// `getTaskDescendents`: a struct mapping each task id (as a string) to
    /// the list of its children, see [`TaskDescendents`].
    TaskDescendents,
}

/// The model a hub method's result decodes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RichType {
    /// Which model.
    pub kind: ModelKind,
    /// How the result holds it.
    pub shape: Shape,
}

/// The model for the result of the hub method `method`, chosen by its exact
/// name; `None` for methods whose result is not one of these models.
///
/// txkoji's multicall picked the class whose name occurs *in* the method
/// name, so `getBuildTarget`, `getBuildType` or `listBuildRPMs` became
/// builds and `getTaskResult` a task. This table lists methods one by one.
///
/// ```
/// use koji_client::model::{rich_type, ModelKind, Shape};
///
/// let t = rich_type("getBuildTarget").unwrap();
/// assert_eq!((t.kind, t.shape), (ModelKind::BuildTarget, Shape::One));
/// assert_eq!(rich_type("listTagged").unwrap().shape, Shape::List);
/// assert_eq!(rich_type("getBuildType"), None);
/// // txkoji's misspelling is not a hub method.
/// assert_eq!(rich_type("getTaskDescendants"), None);
/// ```
pub fn rich_type(method: &str) -> Option<RichType> {
    use ModelKind as K;
    use Shape as S;
    let (kind, shape) = match method {
        "getBuild" => (K::Build, S::One),
        "listBuilds" | "listTagged" | "getLatestBuilds" => (K::Build, S::List),
        "getTaskInfo" => (K::Task, S::OneOrList),
        "getTaskChildren" | "listTasks" => (K::Task, S::List),
        "getTaskDescendents" => (K::Task, S::TaskDescendents),
        "getChannel" => (K::Channel, S::One),
        "listChannels" => (K::Channel, S::List),
        "getHost" => (K::Host, S::One),
        "listHosts" => (K::Host, S::List),
        "getPackage" => (K::Package, S::One),
        "listPackages" | "listPackagesSimple" => (K::Package, S::List),
        "getUser" | "getLoggedInUser" => (K::User, S::One),
        "listUsers" => (K::User, S::List),
        "getTag" => (K::Tag, S::One),
        "listTags" => (K::Tag, S::List),
        "getBuildTarget" => (K::BuildTarget, S::One),
        "getBuildTargets" => (K::BuildTarget, S::List),
        "getRepo" | "repoInfo" => (K::Repo, S::One),
        _ => return None,
    };
    Some(RichType { kind, shape })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn rich_types_are_chosen_by_exact_method_name() {
        let cases = [
            ("getBuild", ModelKind::Build, Shape::One),
            ("listBuilds", ModelKind::Build, Shape::List),
            ("listTagged", ModelKind::Build, Shape::List),
            ("getBuildTarget", ModelKind::BuildTarget, Shape::One),
            ("getBuildTargets", ModelKind::BuildTarget, Shape::List),
            ("getTaskInfo", ModelKind::Task, Shape::OneOrList),
            (
                "getTaskDescendents",
                ModelKind::Task,
                Shape::TaskDescendents,
            ),
            ("getChannel", ModelKind::Channel, Shape::One),
            ("listChannels", ModelKind::Channel, Shape::List),
            ("getPackage", ModelKind::Package, Shape::One),
            ("getUser", ModelKind::User, Shape::One),
            ("getLoggedInUser", ModelKind::User, Shape::One),
            ("getTag", ModelKind::Tag, Shape::One),
            ("repoInfo", ModelKind::Repo, Shape::One),
        ];
        for (method, kind, shape) in cases {
            assert_eq!(
                rich_type(method),
                Some(RichType { kind, shape }),
                "{method}"
            );
        }
        // txkoji's substring match turned all of these into Build or Task.
        for method in [
            "getBuildType",
            "getBuildLogs",
            "listBuildRPMs",
            "getTaskResult",
            "getTaskRequest",
            "getTaskDescendants",
            "getTarget",
            "getbuild",
            "getBuild ",
            "getPackageConfig",
            "getAverageBuildDuration",
        ] {
            assert_eq!(rich_type(method), None, "{method}");
        }
    }

    #[test]
    fn id_or_name_decodes_both_forms() {
        let v: Vec<IdOrName> = serde_json::from_str(r#"[4, "f40-build"]"#).unwrap();
        assert_eq!(v, [IdOrName::Id(4), IdOrName::from("f40-build")]);
        assert_eq!(v[0].id(), Some(4));
        assert_eq!(v[1].name(), Some("f40-build"));
        assert_eq!(v[1].id(), None);
        assert_eq!(serde_json::to_string(&v).unwrap(), r#"[4,"f40-build"]"#);
    }

    #[test]
    fn model_errors_say_what_and_where() {
        let e = ModelError::BadTaskData {
            task: Some(4),
            method: "buildArch".into(),
            detail: "parameter 2 (arch) is missing".into(),
        };
        assert_eq!(
            e.to_string(),
            "task 4 (buildArch): parameter 2 (arch) is missing"
        );
        assert_eq!(
            ModelError::NoRequest { task: None }.to_string(),
            "task ?: no request (ask getTaskInfo with request=True)"
        );
    }
}
