//! The events Koji publishes, as typed values.

use std::fmt;

use serde_json::{Map, Value};

use super::topic::Dialect;
use crate::model::{Build, BuildState, IdOrName, Package, Repo, Tag, Task, TaskState, User};

/// What every event keeps from the message it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageMeta {
    /// Which publisher's format the message was in.
    pub dialect: Dialect,
    /// The topic, address, destination or routing key, as received (`None`
    /// when the transport did not carry one).
    pub topic: Option<String>,
    /// The application properties (protonmsg) or headers (STOMP,
    /// fedora-messaging), as received: typed where the transport has types,
    /// strings where a bridge turned them into strings.
    pub properties: Map<String, Value>,
    /// The decoded JSON body, whole (everything the typed fields do not
    /// cover is still here).
    pub body: Value,
}

/// One message from Koji's message bus.
///
/// Known kinds carry typed models; anything else is [`KojiEvent::Unknown`],
/// never an error.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum KojiEvent {
    /// A build changed state (`build.<state>`).
    BuildStateChange(BuildStateChange),
    /// A task changed state (`task.<state>`).
    TaskStateChange(TaskStateChange),
    /// A build was tagged (`build.tag`).
    Tag(TagChange),
    /// A build was untagged (`build.untag`).
    Untag(TagChange),
    /// A tag's package list changed (`package.<action>`).
    PackageListChange(PackageListChange),
    /// A repository regeneration started (`repo.init`).
    RepoInit(RepoInit),
    /// A repository is ready (`repo.done`).
    RepoDone(RepoDone),
    /// An RPM got a signature (`sign.rpm`).
    RpmSign(RpmSign),
    /// Something was imported (`import.<type>`).
    Import(Import),
    /// A draft build was promoted (`build.promote`).
    BuildPromote(BuildPromote),
    /// A message of a kind this library does not model.
    Unknown(UnknownMessage),
}

/// `build.<state>`: a build changed state.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildStateChange {
    /// The build as the hub sent it (its `state` is the new state).
    pub build: Build,
    /// The previous state (`None` for a new build).
    pub old: Option<BuildState>,
    /// The new state.
    pub new: BuildState,
    /// The build's task, when the message carries it (fedora-messaging).
    pub task: Option<Task>,
    /// Where the message came from.
    pub meta: MessageMeta,
}

/// `task.<state>`: a task changed state.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskStateChange {
    /// The task as the hub sent it. For a brand-new task (the first `FREE`
    /// message) the hub sends only the inserted columns and `request` is
    /// the raw XML-RPC call as a string; later messages have the full task
    /// with `request` decoded.
    pub task: Task,
    /// The previous state (`None` for a new task).
    pub old: Option<TaskState>,
    /// The new state.
    pub new: TaskState,
    /// The task owner's name, when the message carries it (the hub's
    /// messages only have the id, `task.owner`), or once
    /// [`KojiEvent::resolve_names`] found it.
    pub owner_name: Option<String>,
    /// The name of the tag the task's parameters name, when they name it
    /// (not an id), or once [`KojiEvent::resolve_names`] found it.
    pub tag_name: Option<String>,
    /// Where the message came from.
    pub meta: MessageMeta,
}

impl TaskStateChange {
    /// A change as a parser reads it: the tag name when the task's
    /// parameters name the tag (not an id); provenance filled in later.
    pub(super) fn parsed(
        task: Task,
        old: Option<TaskState>,
        new: TaskState,
        owner_name: Option<String>,
    ) -> Self {
        let tag_name = match task.tag() {
            Ok(Some(IdOrName::Name(name))) => Some(name),
            _ => None,
        };
        TaskStateChange {
            task,
            old,
            new,
            owner_name,
            tag_name,
            meta: MessageMeta::pending(),
        }
    }
}

/// `build.tag` / `build.untag`: a build was added to or removed from a tag.
#[derive(Debug, Clone, PartialEq)]
pub struct TagChange {
    /// The build (sparse in fedora-messaging: id, name, version, release,
    /// owner; may be empty in fedora-messaging test data).
    pub build: Build,
    /// The tag (name, and id when sent).
    pub tag: Tag,
    /// Who tagged or untagged it.
    pub user: Option<User>,
    /// Whether the operation was forced.
    pub force: Option<bool>,
    /// Where the message came from.
    pub meta: MessageMeta,
}

/// What happened to a package in a tag's package list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PackageListAction {
    /// `add`: the package was added to the tag.
    Add,
    /// `update`: owner or extra arches changed.
    Update,
    /// `block`: the package was blocked.
    Block,
    /// `unblock`: the block was lifted.
    Unblock,
    /// `remove`: the package was removed from the list.
    Remove,
    /// Another action, kept as sent.
    Other(String),
}

impl PackageListAction {
    /// The action for its name (`add`, `update`, …).
    pub fn from_name(name: &str) -> Self {
        match name.to_ascii_lowercase().as_str() {
            "add" => Self::Add,
            "update" => Self::Update,
            "block" => Self::Block,
            "unblock" => Self::Unblock,
            "remove" => Self::Remove,
            _ => Self::Other(name.to_owned()),
        }
    }

    /// The action's name as Koji spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Add => "add",
            Self::Update => "update",
            Self::Block => "block",
            Self::Unblock => "unblock",
            Self::Remove => "remove",
            Self::Other(s) => s,
        }
    }
}

impl fmt::Display for PackageListAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `package.<action>`: a tag's package list changed.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageListChange {
    /// What happened.
    pub action: PackageListAction,
    /// The tag whose list changed.
    pub tag: Tag,
    /// The package.
    pub package: Package,
    /// The package's owner in this tag (add/update/block): an id in
    /// protonmsg bodies, a name in fedora-messaging.
    pub owner: Option<IdOrName>,
    /// Who made the change.
    pub user: Option<User>,
    /// Whether the package is blocked (add/update/block).
    pub block: Option<bool>,
    /// Extra arches (add/update/block).
    pub extra_arches: Option<String>,
    /// Whether the change was forced.
    pub force: Option<bool>,
    /// Whether an existing entry was updated.
    pub update: Option<bool>,
    /// Where the message came from.
    pub meta: MessageMeta,
}

/// `repo.init`: a repository regeneration started.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoInit {
    /// The tag the repo is for.
    pub tag: Tag,
    /// The new repo's id.
    pub repo_id: Option<i64>,
    /// The `newRepo`/`distRepo` task, when there is one.
    pub task_id: Option<i64>,
    /// The event the repo is based on.
    pub event: Option<i64>,
    /// Whether this is a dist repo (distRepo).
    pub dist: bool,
    /// Where the message came from.
    pub meta: MessageMeta,
}

/// `repo.done`: a repository is ready.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoDone {
    /// The repo as the hub describes it (protonmsg); empty in
    /// fedora-messaging, which only sends ids.
    pub repo: Repo,
    /// The tag the repo is for (name, and id when sent).
    pub tag: Tag,
    /// The repo's id.
    pub repo_id: Option<i64>,
    /// The task that made it (from the properties: the body's `task_id`
    /// is null on current hubs).
    pub task_id: Option<i64>,
    /// Whether the repo was expired at once (`expire`).
    pub expire: Option<bool>,
    /// Where the message came from.
    pub meta: MessageMeta,
}

/// The signed RPM of a [`RpmSign`] message.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SignedRpm {
    /// The RPM's id.
    pub id: Option<i64>,
    /// Package name of the RPM (`msgdemo-debuginfo`…).
    pub name: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// Release.
    pub release: Option<String>,
    /// Epoch.
    pub epoch: Option<i64>,
    /// Architecture (`x86_64`, `src`…).
    pub arch: Option<String>,
    /// The build it belongs to.
    pub build_id: Option<i64>,
    /// Every member as sent.
    pub raw: Map<String, Value>,
}

impl SignedRpm {
    /// `name-version-release.arch`, when all four are known.
    pub fn nvra(&self) -> Option<String> {
        Some(format!(
            "{}-{}-{}.{}",
            self.name.as_ref()?,
            self.version.as_ref()?,
            self.release.as_ref()?,
            self.arch.as_ref()?
        ))
    }
}

/// `sign.rpm`: an RPM got a signature.
#[derive(Debug, Clone, PartialEq)]
pub struct RpmSign {
    /// The signing key id (`5f7d0464`).
    pub sigkey: String,
    /// The signature header's hash.
    pub sighash: Option<String>,
    /// The RPM.
    pub rpm: SignedRpm,
    /// The build the RPM belongs to (absent in some fedora-messaging
    /// messages).
    pub build: Option<Build>,
    /// Where the message came from.
    pub meta: MessageMeta,
}

/// What kind of import an [`Import`] message reports.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImportType {
    /// `build`: a build's RPMs and logs were imported (after `completeBuild`).
    Build,
    /// `rpm`: one RPM.
    Rpm,
    /// `cg`: a content generator import.
    Cg,
    /// `archive`: one archive.
    Archive,
    /// `image`: an image.
    Image,
    /// Another type, kept as sent.
    Other(String),
}

impl ImportType {
    /// The type for its name.
    pub fn from_name(name: &str) -> Self {
        match name.to_ascii_lowercase().as_str() {
            "build" => Self::Build,
            "rpm" => Self::Rpm,
            "cg" => Self::Cg,
            "archive" => Self::Archive,
            "image" => Self::Image,
            _ => Self::Other(name.to_owned()),
        }
    }

    /// The name as Koji spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Build => "build",
            Self::Rpm => "rpm",
            Self::Cg => "cg",
            Self::Archive => "archive",
            Self::Image => "image",
            Self::Other(s) => s,
        }
    }
}

impl fmt::Display for ImportType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `import.<type>`: something was imported into a build. The type-specific
/// members (`rpm`, `archive`, `metadata`, `srpm`, `rpms`, `logs`, …) are in
/// [`MessageMeta::body`].
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    /// What was imported.
    pub import_type: ImportType,
    /// The build it went into.
    pub build: Option<Build>,
    /// Where the message came from.
    pub meta: MessageMeta,
}

/// `build.promote`: a draft build was promoted.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildPromote {
    /// The promoted build.
    pub build: Build,
    /// The draft release it had (`1.fc40,draft_16`).
    pub draft_release: Option<String>,
    /// The release it has now.
    pub target_release: Option<String>,
    /// Who promoted it.
    pub user: Option<User>,
    /// Where the message came from.
    pub meta: MessageMeta,
}

/// A message of a kind this library does not model (another plugin's, a
/// future Koji's, or one whose kind could not be told).
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownMessage {
    /// The `type` property or fedora-messaging schema, when there was one.
    pub kind: Option<String>,
    /// The message; `body` is `Null` when it was not JSON.
    pub meta: MessageMeta,
    /// The body bytes as received, when they were not JSON.
    pub raw_body: Option<Vec<u8>>,
}

impl KojiEvent {
    /// The message the event came from.
    pub fn meta(&self) -> &MessageMeta {
        match self {
            KojiEvent::BuildStateChange(e) => &e.meta,
            KojiEvent::TaskStateChange(e) => &e.meta,
            KojiEvent::Tag(e) | KojiEvent::Untag(e) => &e.meta,
            KojiEvent::PackageListChange(e) => &e.meta,
            KojiEvent::RepoInit(e) => &e.meta,
            KojiEvent::RepoDone(e) => &e.meta,
            KojiEvent::RpmSign(e) => &e.meta,
            KojiEvent::Import(e) => &e.meta,
            KojiEvent::BuildPromote(e) => &e.meta,
            KojiEvent::Unknown(e) => &e.meta,
        }
    }

    /// The message the event came from, mutably.
    pub fn meta_mut(&mut self) -> &mut MessageMeta {
        match self {
            KojiEvent::BuildStateChange(e) => &mut e.meta,
            KojiEvent::TaskStateChange(e) => &mut e.meta,
            KojiEvent::Tag(e) | KojiEvent::Untag(e) => &mut e.meta,
            KojiEvent::PackageListChange(e) => &mut e.meta,
            KojiEvent::RepoInit(e) => &mut e.meta,
            KojiEvent::RepoDone(e) => &mut e.meta,
            KojiEvent::RpmSign(e) => &mut e.meta,
            KojiEvent::Import(e) => &mut e.meta,
            KojiEvent::BuildPromote(e) => &mut e.meta,
            KojiEvent::Unknown(e) => &mut e.meta,
        }
    }

    /// The event's kind as Koji's `type` property names it
    /// (`BuildStateChange`, `Tag`, …; `Unknown` for the rest).
    pub fn kind_name(&self) -> &'static str {
        match self {
            KojiEvent::BuildStateChange(_) => "BuildStateChange",
            KojiEvent::TaskStateChange(_) => "TaskStateChange",
            KojiEvent::Tag(_) => "Tag",
            KojiEvent::Untag(_) => "Untag",
            KojiEvent::PackageListChange(_) => "PackageListChange",
            KojiEvent::RepoInit(_) => "RepoInit",
            KojiEvent::RepoDone(_) => "RepoDone",
            KojiEvent::RpmSign(_) => "RPMSign",
            KojiEvent::Import(_) => "Import",
            KojiEvent::BuildPromote(_) => "BuildPromote",
            KojiEvent::Unknown(_) => "Unknown",
        }
    }

    /// The build the event is about, if any.
    pub fn build(&self) -> Option<&Build> {
        match self {
            KojiEvent::BuildStateChange(e) => Some(&e.build),
            KojiEvent::Tag(e) | KojiEvent::Untag(e) => Some(&e.build),
            KojiEvent::RpmSign(e) => e.build.as_ref(),
            KojiEvent::Import(e) => e.build.as_ref(),
            KojiEvent::BuildPromote(e) => Some(&e.build),
            _ => None,
        }
    }

    /// The task the event is about, if any.
    pub fn task(&self) -> Option<&Task> {
        match self {
            KojiEvent::TaskStateChange(e) => Some(&e.task),
            KojiEvent::BuildStateChange(e) => e.task.as_ref(),
            _ => None,
        }
    }
}
