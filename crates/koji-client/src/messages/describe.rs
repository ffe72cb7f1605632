//! Helpers on events, as in txkoji: `url(weburl)`, `user()`, `tag()`, name
//! resolution through a [`NameResolver`], and a one-line human summary.

use std::future::Future;

use super::event::*;
use crate::model::{IdOrName, Repo, Task};

/// What kind of object an id names, for [`NameResolver`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NameKind {
    /// A user (`getUser`).
    User,
    /// A tag (`getTag`).
    Tag,
}

/// Turns user and tag ids into names, for events whose message carries only
/// an id (a task's `owner`, a `tagBuild` task's tag, a package list
/// change's `owner`).
///
/// Implemented by [`NameCache::resolver`](crate::cache::NameCache::resolver)
/// (from the cache, else from the hub), by [`NameCache`](crate::cache::NameCache)
/// itself (names already cached, no hub call), by [`NoNames`] (never
/// resolves) and by
/// [`ResolverFn`] (any async function, such as a hub lookup through the
/// cache).
pub trait NameResolver {
    /// What a failed lookup reports.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The name of `kind` `id`, `None` when there is no such object or it is
    /// not known.
    fn name(
        &self,
        kind: NameKind,
        id: i64,
    ) -> impl Future<Output = Result<Option<String>, Self::Error>> + Send;
}

/// A resolver that knows no names (summaries then show ids).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoNames;

impl NameResolver for NoNames {
    type Error = std::convert::Infallible;

    async fn name(&self, _kind: NameKind, _id: i64) -> Result<Option<String>, Self::Error> {
        Ok(None)
    }
}

impl NameResolver for crate::cache::NameCache {
    type Error = crate::cache::CacheError;

    /// Only what is already cached (in memory or on disk): no hub call.
    async fn name(&self, kind: NameKind, id: i64) -> Result<Option<String>, Self::Error> {
        let kind = match kind {
            NameKind::User => crate::cache::USER,
            NameKind::Tag => crate::cache::TAG,
        };
        self.cached(kind, id)
    }
}

impl NameResolver for crate::cache::HubNames<'_> {
    type Error = crate::Error;

    /// From the cache, else from the hub (then cached).
    async fn name(&self, kind: NameKind, id: i64) -> Result<Option<String>, Self::Error> {
        let name = match kind {
            NameKind::User => self.cache.user_name(self.koji, id).await,
            NameKind::Tag => self.cache.tag_name(self.koji, id).await,
        };
        Ok(name?)
    }
}

/// A [`NameResolver`] made from an async function.
///
/// ```
/// use koji_client::messages::{NameKind, NameResolver, ResolverFn};
///
/// let names = ResolverFn(|kind: NameKind, id: i64| async move {
///     Ok::<_, std::io::Error>(match (kind, id) {
///         (NameKind::User, 2) => Some("alice".to_owned()),
///         _ => None,
///     })
/// });
/// # tokio_test_block_on(async {
/// assert_eq!(names.name(NameKind::User, 2).await.unwrap().as_deref(), Some("alice"));
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ResolverFn<F>(pub F);

impl<F, Fut, E> NameResolver for ResolverFn<F>
where
    F: Fn(NameKind, i64) -> Fut + Sync,
    Fut: Future<Output = Result<Option<String>, E>> + Send,
    E: std::error::Error + Send + Sync + 'static,
{
    type Error = E;

    fn name(
        &self,
        kind: NameKind,
        id: i64,
    ) -> impl Future<Output = Result<Option<String>, Self::Error>> + Send {
        (self.0)(kind, id)
    }
}

/// The tag a task works on, when its parameters say (`tagBuild`,
/// `newRepo`, `build` with a target's tag…): as txkoji's `Task.tag`.
fn task_tag(task: &Task) -> Option<IdOrName> {
    task.tag().ok().flatten()
}

fn user_ref(user: Option<&crate::model::User>) -> Option<IdOrName> {
    let user = user?;
    match (&user.name, user.id) {
        (Some(name), _) => Some(IdOrName::Name(name.clone())),
        (None, Some(id)) => Some(IdOrName::Id(id)),
        (None, None) => None,
    }
}

fn tag_ref(tag: &crate::model::Tag) -> Option<IdOrName> {
    match (&tag.name, tag.id) {
        (Some(name), _) => Some(IdOrName::Name(name.clone())),
        (None, Some(id)) => Some(IdOrName::Id(id)),
        (None, None) => None,
    }
}

impl KojiEvent {
    /// The kojiweb page of what the event is about: the build, the task,
    /// the package (else the tag) of a package list change, the repo, or
    /// the signed RPM. `None` when the message lacks the id.
    ///
    /// ```
    /// use koji_client::messages::parse;
    ///
    /// let props = serde_json::json!({"type": "TaskStateChange", "new": "OPEN"});
    /// let body = br#"{"attribute": "state", "old": "FREE", "new": "OPEN",
    ///                 "info": {"id": 32, "method": "build", "owner": 2, "state": 1}}"#;
    /// let event = parse(None, props.as_object().unwrap(), body).unwrap();
    /// assert_eq!(event.url("https://koji.example.com/koji").as_deref(),
    ///            Some("https://koji.example.com/koji/taskinfo?taskID=32"));
    /// ```
    pub fn url(&self, weburl: &str) -> Option<String> {
        match self {
            KojiEvent::BuildStateChange(e) => e.build.url(weburl),
            KojiEvent::TaskStateChange(e) => e.task.url(weburl),
            KojiEvent::Tag(e) | KojiEvent::Untag(e) => e.build.url(weburl),
            KojiEvent::PackageListChange(e) => e.package.url(weburl).or_else(|| e.tag.url(weburl)),
            KojiEvent::RepoInit(e) => repo_url(None, e.repo_id, weburl),
            KojiEvent::RepoDone(e) => repo_url(Some(&e.repo), e.repo_id, weburl),
            KojiEvent::RpmSign(e) => e
                .rpm
                .id
                .map(|id| crate::web::join(weburl, &format!("rpminfo?rpmID={id}"))),
            KojiEvent::Import(e) => e.build.as_ref()?.url(weburl),
            KojiEvent::BuildPromote(e) => e.build.url(weburl),
            KojiEvent::Unknown(_) => None,
        }
    }

    /// Who the event is about or who caused it, by name when the message
    /// has the name, else by id (see [`KojiEvent::user_name`]):
    ///
    /// - build state change: the build's owner;
    /// - task state change: the task's owner (`owner` is an id);
    /// - tag, untag, package list change, promote: the user who did it;
    /// - import: the build's owner.
    pub fn user(&self) -> Option<IdOrName> {
        let build_owner = |b: &crate::model::Build| match (&b.owner_name, b.owner_id) {
            (Some(name), _) => Some(IdOrName::Name(name.clone())),
            (None, Some(id)) => Some(IdOrName::Id(id)),
            (None, None) => None,
        };
        match self {
            KojiEvent::BuildStateChange(e) => build_owner(&e.build),
            KojiEvent::TaskStateChange(e) => match (&e.owner_name, e.task.owner) {
                (Some(name), _) => Some(IdOrName::Name(name.clone())),
                (None, Some(id)) => Some(IdOrName::Id(id)),
                (None, None) => None,
            },
            KojiEvent::Tag(e) | KojiEvent::Untag(e) => user_ref(e.user.as_ref()),
            KojiEvent::PackageListChange(e) => user_ref(e.user.as_ref()),
            KojiEvent::BuildPromote(e) => user_ref(e.user.as_ref()),
            KojiEvent::Import(e) => e.build.as_ref().and_then(build_owner),
            KojiEvent::RepoInit(_)
            | KojiEvent::RepoDone(_)
            | KojiEvent::RpmSign(_)
            | KojiEvent::Unknown(_) => None,
        }
    }

    /// The tag the event is about, by name when the message has it, else
    /// by id (see [`KojiEvent::tag_name`]). For a task, the tag its
    /// parameters name (as txkoji's `TaskStateChange.tag()`).
    pub fn tag(&self) -> Option<IdOrName> {
        match self {
            KojiEvent::TaskStateChange(e) => match &e.tag_name {
                Some(name) => Some(IdOrName::Name(name.clone())),
                None => task_tag(&e.task),
            },
            KojiEvent::Tag(e) | KojiEvent::Untag(e) => tag_ref(&e.tag),
            KojiEvent::PackageListChange(e) => tag_ref(&e.tag),
            KojiEvent::RepoInit(e) => tag_ref(&e.tag),
            KojiEvent::RepoDone(e) => tag_ref(&e.tag),
            _ => None,
        }
    }

    /// The name of [`KojiEvent::user`], looking an id up through `names`.
    pub async fn user_name<R: NameResolver>(&self, names: &R) -> Result<Option<String>, R::Error> {
        match self.user() {
            None => Ok(None),
            Some(IdOrName::Name(name)) => Ok(Some(name)),
            Some(IdOrName::Id(id)) => names.name(NameKind::User, id).await,
        }
    }

    /// The name of [`KojiEvent::tag`], looking an id up through `names`.
    pub async fn tag_name<R: NameResolver>(&self, names: &R) -> Result<Option<String>, R::Error> {
        match self.tag() {
            None => Ok(None),
            Some(IdOrName::Name(name)) => Ok(Some(name)),
            Some(IdOrName::Id(id)) => names.name(NameKind::Tag, id).await,
        }
    }

    /// Fills in names the message has only ids for (task owner and tag,
    /// build owner, package owner), so that [`KojiEvent::summary`] shows
    /// names. Ids the resolver does not know are left as they are.
    pub async fn resolve_names<R: NameResolver>(&mut self, names: &R) -> Result<(), R::Error> {
        match self {
            KojiEvent::TaskStateChange(e) => {
                if e.owner_name.is_none() {
                    if let Some(id) = e.task.owner {
                        e.owner_name = names.name(NameKind::User, id).await?;
                    }
                }
                if e.tag_name.is_none() {
                    if let Some(IdOrName::Id(id)) = task_tag(&e.task) {
                        e.tag_name = names.name(NameKind::Tag, id).await?;
                    }
                }
            }
            KojiEvent::BuildStateChange(e) if e.build.owner_name.is_none() => {
                if let Some(id) = e.build.owner_id {
                    e.build.owner_name = names.name(NameKind::User, id).await?;
                }
            }
            KojiEvent::PackageListChange(e) => {
                if let Some(IdOrName::Id(id)) = e.owner {
                    if let Some(name) = names.name(NameKind::User, id).await? {
                        e.owner = Some(IdOrName::Name(name));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A one-line human summary (who did what, package, tag, state, and the
    /// kojiweb URL when `weburl` is given), in the style of helga-koji.
    ///
    /// ```
    /// use koji_client::messages::parse;
    ///
    /// let props = serde_json::json!({"type": "Tag", "tag": "f40-candidate", "user": "alice"});
    /// let body = br#"{"tag": {"id": 5, "name": "f40-candidate"}, "force": false,
    ///     "build": {"id": 26, "nvr": "msgdemo-1.0-1.fc40"}, "user": {"id": 2, "name": "alice"}}"#;
    /// let event = parse(None, props.as_object().unwrap(), body).unwrap();
    /// assert_eq!(event.summary(Some("https://koji.example.com/koji")),
    ///     "alice tagged msgdemo-1.0-1.fc40 into f40-candidate \
    ///      (https://koji.example.com/koji/buildinfo?buildID=26)");
    /// ```
    pub fn summary(&self, weburl: Option<&str>) -> String {
        let who = || match self.user() {
            Some(IdOrName::Name(n)) => n,
            Some(IdOrName::Id(id)) => format!("user {id}"),
            None => "someone".to_owned(),
        };
        let tag = || match self.tag() {
            Some(IdOrName::Name(n)) => n,
            Some(IdOrName::Id(id)) => format!("tag {id}"),
            None => "an unknown tag".to_owned(),
        };
        let nvr = |b: Option<&crate::model::Build>| {
            b.and_then(crate::model::Build::nvr)
                .or_else(|| b.and_then(|b| b.build_id()).map(|id| format!("build {id}")))
                .unwrap_or_else(|| "an unknown build".to_owned())
        };
        let text = match self {
            KojiEvent::BuildStateChange(e) => format!(
                "{}'s {} {}",
                who(),
                nvr(Some(&e.build)),
                e.new.to_string().to_lowercase()
            ),
            KojiEvent::TaskStateChange(e) => format!(
                "{}'s {} task {}",
                who(),
                task_description(e, self.tag()),
                e.new.to_string().to_lowercase()
            ),
            KojiEvent::Tag(e) => format!("{} tagged {} into {}", who(), nvr(Some(&e.build)), tag()),
            KojiEvent::Untag(e) => {
                format!("{} untagged {} from {}", who(), nvr(Some(&e.build)), tag())
            }
            KojiEvent::PackageListChange(e) => {
                let package = e.package.name().unwrap_or("an unknown package").to_owned();
                let mut s = match &e.action {
                    PackageListAction::Add => format!("{} added {package} to {}", who(), tag()),
                    PackageListAction::Remove => {
                        format!("{} removed {package} from {}", who(), tag())
                    }
                    PackageListAction::Block => format!("{} blocked {package} in {}", who(), tag()),
                    PackageListAction::Unblock => {
                        format!("{} unblocked {package} in {}", who(), tag())
                    }
                    PackageListAction::Update => {
                        format!("{} updated {package} in {}", who(), tag())
                    }
                    PackageListAction::Other(a) => {
                        format!("{} changed {package} in {} ({a})", who(), tag())
                    }
                };
                match &e.owner {
                    Some(IdOrName::Name(n)) => s.push_str(&format!(" (owner {n})")),
                    Some(IdOrName::Id(id)) => s.push_str(&format!(" (owner user {id})")),
                    None => {}
                }
                s
            }
            KojiEvent::RepoInit(e) => format!(
                "{}repo {}for {} started{}",
                if e.dist { "dist " } else { "" },
                e.repo_id.map(|id| format!("{id} ")).unwrap_or_default(),
                tag(),
                e.task_id
                    .map(|t| format!(" (task {t})"))
                    .unwrap_or_default()
            ),
            KojiEvent::RepoDone(e) => format!(
                "repo {}for {} is ready{}",
                e.repo_id.map(|id| format!("{id} ")).unwrap_or_default(),
                tag(),
                if e.expire == Some(true) {
                    " (and expired)"
                } else {
                    ""
                }
            ),
            KojiEvent::RpmSign(e) => format!(
                "{} signed with key {}",
                e.rpm
                    .nvra()
                    .or_else(|| e.rpm.name.clone())
                    .unwrap_or_else(|| "an RPM".to_owned()),
                e.sigkey
            ),
            KojiEvent::Import(e) => {
                format!("{} import into {}", e.import_type, nvr(e.build.as_ref()))
            }
            KojiEvent::BuildPromote(e) => {
                let mut s = format!("{} promoted {}", who(), nvr(Some(&e.build)));
                if let Some(draft) = &e.draft_release {
                    s.push_str(&format!(" (from draft release {draft})"));
                }
                s
            }
            KojiEvent::Unknown(e) => format!(
                "unknown message {}{}",
                e.kind.as_deref().unwrap_or("(no type)"),
                e.meta
                    .topic
                    .as_deref()
                    .map(|t| format!(" on {t}"))
                    .unwrap_or_default()
            ),
        };
        match weburl.and_then(|w| self.url(w)) {
            Some(url) => format!("{text} ({url})"),
            None => text,
        }
    }
}

fn repo_url(repo: Option<&Repo>, repo_id: Option<i64>, weburl: &str) -> Option<String> {
    if let Some(url) = repo.and_then(|r| r.url(weburl)) {
        return Some(url);
    }
    Some(crate::web::WebObject::Repo(IdOrName::Id(repo_id?)).url(weburl))
}

/// A task's description as helga-koji writes it: `[package ][scratch
/// ]method[ for target][ for arch][ for tag T]`.
fn task_description(e: &TaskStateChange, tag: Option<IdOrName>) -> String {
    let task = &e.task;
    let mut desc = task.method.clone().unwrap_or_else(|| "unknown".to_owned());
    if task.is_scratch().unwrap_or(false) {
        desc = format!("scratch {desc}");
    }
    if let Ok(Some(package)) = task.package() {
        desc = format!("{package} {desc}");
    }
    if let Ok(Some(target)) = task.target() {
        desc.push_str(&format!(" for {target}"));
    }
    if let Ok(Some(arch)) = task.arch() {
        desc.push_str(&format!(" for {arch}"));
    }
    match tag {
        Some(IdOrName::Name(name)) => desc.push_str(&format!(" for tag {name}")),
        Some(IdOrName::Id(id)) => desc.push_str(&format!(" for tag {id}")),
        None => {}
    }
    desc
}
