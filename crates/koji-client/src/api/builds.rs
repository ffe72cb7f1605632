//! Builds and packages: `getBuild`, `listBuilds`, `listTagged`,
//! `getAverageBuildDuration`, `getPackage`, and the helpers of [`Build`].

use futures_util::TryStreamExt;
use jiff::{SignedDuration, Timestamp};

use koji_xmlrpc::Struct;

use super::{
    BuildRef, Kwargs, bad_argument, bad_reply, deferred_stream, epoch, failed_stream, model_error,
    query_setters,
};
use crate::model::duration_from_secs;
use crate::{
    Build, BuildState, BuildTarget, CallBuilder, CallStream, Connection, IdOrName, Package,
    QueryOpts, Result, Tag, Task,
};

impl Connection {
    /// One build by id, NVR or name/version/release (`getBuild`); `None`
    /// when the hub has no such build.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// use koji_client::BuildRef;
    ///
    /// let by_id = koji.get_build(17).await?;
    /// let by_nvr = koji.get_build("hello-1.3-1.fc40").await?;
    /// let by_parts = koji.get_build(BuildRef::parts("hello", "1.3", "1.fc40")).await?;
    /// if let Some(build) = by_id {
    ///     println!("{} is {}", build.nvr().unwrap_or_default(), build.state_name().unwrap_or_default());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_build(&self, build: impl Into<BuildRef>) -> Result<Option<Build>> {
        self.request("getBuild").arg(build.into()).typed().await
    }

    /// Starts a `listBuilds` query; see [`ListBuilds`].
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// use koji_client::{BuildState, QueryOpts};
    ///
    /// let builds = koji
    ///     .list_builds()
    ///     .package("hello")
    ///     .state(BuildState::Complete)
    ///     .query(QueryOpts::new().order("-completion_time").limit(5))
    ///     .send()
    ///     .await?;
    /// let all_of_bob = koji.list_builds().user("bob").count().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_builds(&self) -> ListBuilds<'_> {
        ListBuilds::new(self)
    }

    /// Starts a `listTagged` query for the builds in `tag` (newest tagged
    /// first); see [`ListTagged`].
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let latest = koji
    ///     .list_tagged("f40-candidate")
    ///     .inherit(true)
    ///     .latest(true)
    ///     .package("hello")
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn list_tagged(&self, tag: impl Into<IdOrName>) -> ListTagged<'_> {
        ListTagged::new(self, tag.into())
    }

    /// How long the hub considers a build of `package` (a name or id) to
    /// take (`getAverageBuildDuration`): the mean of its complete builds'
    /// durations, or `None` when it has none (or no such package exists).
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// if let Some(avg) = koji.get_average_build_duration("hello").await? {
    ///     println!("hello usually builds in {avg:#}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_average_build_duration(
        &self,
        package: impl Into<IdOrName>,
    ) -> Result<Option<SignedDuration>> {
        let seconds: Option<f64> = self
            .request("getAverageBuildDuration")
            .arg(package.into())
            .typed()
            .await?;
        seconds_to_duration(seconds)
    }

    /// Like [`get_average_build_duration`](Self::get_average_build_duration),
    /// counting only the builds of the last `months` months (`age`, hub ≥
    /// 1.23).
    pub async fn get_average_build_duration_within(
        &self,
        package: impl Into<IdOrName>,
        months: u32,
    ) -> Result<Option<SignedDuration>> {
        let seconds: Option<f64> = self
            .request("getAverageBuildDuration")
            .arg(package.into())
            .kwarg("age", months)
            .typed()
            .await?;
        seconds_to_duration(seconds)
    }

    /// A package by name or id (`getPackage`); `None` when there is none.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let hello = koji.get_package("hello").await?;
    /// let id = hello.and_then(|p| p.id());
    /// # Ok(()) }
    /// ```
    pub async fn get_package(&self, package: impl Into<IdOrName>) -> Result<Option<Package>> {
        // Never `create`: a read-only client must not make packages.
        self.request("getPackage").arg(package.into()).typed().await
    }
}

/// The id of the package named `name`, `None` when there is no such
/// package (hubs before 1.26 take only ids in `listBuilds`).
async fn package_id(koji: &Connection, name: &str) -> Result<Option<i64>> {
    let found = koji.get_package(name).await?;
    let id = found.and_then(|p| p.id());
    if id.is_none() {
        tracing::debug!(package = %name, "listBuilds: no such package");
    }
    Ok(id)
}

fn seconds_to_duration(seconds: Option<f64>) -> Result<Option<SignedDuration>> {
    match seconds {
        None => Ok(None),
        Some(s) => duration_from_secs(s).map(Some).ok_or_else(|| {
            bad_reply(
                "getAverageBuildDuration",
                format!("{s} is not a duration in seconds"),
            )
        }),
    }
}

/// A `listBuilds` query (see [`Connection::list_builds`]). Every filter is
/// optional; set ones are sent under the hub's argument names.
///
/// A package given by name is looked up with `getPackage` first, as txkoji
/// did (hubs before 1.26 only took ids); when there is no such package the
/// result is empty (and [`count`](Self::count) is 0), as the hub itself
/// answers for an unknown package.
#[derive(Debug, Clone)]
#[must_use = "a query does nothing until it is sent"]
pub struct ListBuilds<'k> {
    koji: &'k Connection,
    package: Option<IdOrName>,
    user: Option<IdOrName>,
    task_id: Option<i64>,
    prefix: Option<String>,
    pattern: Option<String>,
    state: Option<BuildState>,
    volume_id: Option<i64>,
    source: Option<String>,
    created_before: Option<Timestamp>,
    created_after: Option<Timestamp>,
    complete_before: Option<Timestamp>,
    complete_after: Option<Timestamp>,
    promoted_before: Option<Timestamp>,
    promoted_after: Option<Timestamp>,
    build_type: Option<String>,
    cg: Option<IdOrName>,
    draft: Option<bool>,
    promoter: Option<IdOrName>,
    query: QueryOpts,
}

impl<'k> ListBuilds<'k> {
    fn new(koji: &'k Connection) -> Self {
        ListBuilds {
            koji,
            package: None,
            user: None,
            task_id: None,
            prefix: None,
            pattern: None,
            state: None,
            volume_id: None,
            source: None,
            created_before: None,
            created_after: None,
            complete_before: None,
            complete_after: None,
            promoted_before: None,
            promoted_after: None,
            build_type: None,
            cg: None,
            draft: None,
            promoter: None,
            query: QueryOpts::new(),
        }
    }

    /// Builds of this package, by id or name (`packageID`).
    pub fn package(mut self, package: impl Into<IdOrName>) -> Self {
        self.package = Some(package.into());
        self
    }

    /// Builds owned by this user, by id or name (`userID`).
    pub fn user(mut self, user: impl Into<IdOrName>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Builds made by this task (`taskID`).
    pub fn task_id(mut self, task_id: i64) -> Self {
        self.task_id = Some(task_id);
        self
    }

    /// Only builds made by a task, any task (`taskID=-1`).
    pub fn any_task(mut self) -> Self {
        self.task_id = Some(-1);
        self
    }

    /// Builds whose package name starts with this (`prefix`, ignoring case).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Builds whose NVR matches this glob pattern (`pattern`).
    pub fn pattern(mut self, pattern: impl Into<String>) -> Self {
        self.pattern = Some(pattern.into());
        self
    }

    /// Builds in this state (`state`).
    pub fn state(mut self, state: BuildState) -> Self {
        self.state = Some(state);
        self
    }

    /// Builds on this storage volume (`volumeID`).
    pub fn volume_id(mut self, volume_id: i64) -> Self {
        self.volume_id = Some(volume_id);
        self
    }

    /// Builds whose source matches this glob pattern (`source`).
    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Builds created before this time (`createdBefore`).
    pub fn created_before(mut self, time: Timestamp) -> Self {
        self.created_before = Some(time);
        self
    }

    /// Builds created after this time (`createdAfter`).
    pub fn created_after(mut self, time: Timestamp) -> Self {
        self.created_after = Some(time);
        self
    }

    /// Builds completed before this time (`completeBefore`).
    pub fn complete_before(mut self, time: Timestamp) -> Self {
        self.complete_before = Some(time);
        self
    }

    /// Builds completed after this time (`completeAfter`).
    pub fn complete_after(mut self, time: Timestamp) -> Self {
        self.complete_after = Some(time);
        self
    }

    /// Draft builds promoted before this time (`promotedBefore`).
    pub fn promoted_before(mut self, time: Timestamp) -> Self {
        self.promoted_before = Some(time);
        self
    }

    /// Draft builds promoted after this time (`promotedAfter`).
    pub fn promoted_after(mut self, time: Timestamp) -> Self {
        self.promoted_after = Some(time);
        self
    }

    /// Builds of this build type: `rpm`, `maven`, `win`, `image`, … (`type`).
    pub fn build_type(mut self, build_type: impl Into<String>) -> Self {
        self.build_type = Some(build_type.into());
        self
    }

    /// Builds imported by this content generator, by id or name (`cgID`).
    pub fn cg(mut self, cg: impl Into<IdOrName>) -> Self {
        self.cg = Some(cg.into());
        self
    }

    /// Only draft builds (`true`) or only non-draft builds (`false`)
    /// (`draft`, hub ≥ 1.34).
    pub fn draft(mut self, draft: bool) -> Self {
        self.draft = Some(draft);
        self
    }

    /// Draft builds promoted by this user, by id or name (`promoter`).
    pub fn promoter(mut self, user: impl Into<IdOrName>) -> Self {
        self.promoter = Some(user.into());
        self
    }

    query_setters!();

    /// The call with every argument, or `None` when the named package does
    /// not exist.
    async fn call(&self, query: &QueryOpts) -> Result<Option<CallBuilder<'k>>> {
        let package_id = match &self.package {
            None => None,
            Some(IdOrName::Id(id)) => Some(*id),
            Some(IdOrName::Name(name)) => match package_id(self.koji, name).await? {
                Some(id) => Some(id),
                None => return Ok(None),
            },
        };
        let kwargs = self.kwargs(package_id, query)?;
        Ok(Some(self.koji.request("listBuilds").kwargs(kwargs)))
    }

    /// Every keyword argument of the call, `packageID` first (when known).
    fn kwargs(&self, package_id: Option<i64>, query: &QueryOpts) -> Result<Struct> {
        let mut kw = Kwargs::new("listBuilds");
        if let Some(id) = package_id {
            kw.put("packageID", id)?;
        }
        if let Some(user) = &self.user {
            kw.put("userID", user)?;
        }
        if let Some(task) = self.task_id {
            kw.put("taskID", task)?;
        }
        if let Some(prefix) = &self.prefix {
            kw.put("prefix", prefix)?;
        }
        if let Some(state) = &self.state {
            let Some(code) = state.code() else {
                return Err(bad_argument(
                    "listBuilds",
                    format!("build state {state} has no Koji code"),
                ));
            };
            kw.put("state", code)?;
        }
        if let Some(volume) = self.volume_id {
            kw.put("volumeID", volume)?;
        }
        if let Some(source) = &self.source {
            kw.put("source", source)?;
        }
        for (name, time) in [
            ("createdBefore", self.created_before),
            ("createdAfter", self.created_after),
            ("completeBefore", self.complete_before),
            ("completeAfter", self.complete_after),
            ("promotedBefore", self.promoted_before),
            ("promotedAfter", self.promoted_after),
        ] {
            if let Some(time) = time {
                kw.put(name, epoch(time))?;
            }
        }
        if let Some(t) = &self.build_type {
            kw.put("type", t)?;
        }
        if let Some(pattern) = &self.pattern {
            kw.put("pattern", pattern)?;
        }
        if let Some(cg) = &self.cg {
            kw.put("cgID", cg)?;
        }
        if let Some(draft) = self.draft {
            kw.put("draft", draft)?;
        }
        if let Some(promoter) = &self.promoter {
            kw.put("promoter", promoter)?;
        }
        if !query.is_empty() {
            kw.put("queryOpts", query)?;
        }
        Ok(kw.into_struct())
    }

    /// Sends the query and streams the builds one by one as the answer
    /// arrives, with every filter and option of the query: for answers too
    /// big to hold (all builds of a busy package, of a user…), in memory
    /// about the size of one build. A package given by name is looked up
    /// first, as for [`send`](Self::send) (no such package: an empty
    /// stream). The stream owns what it needs (no borrow of the
    /// connection), so it can be moved into a task.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// use koji_client::{BuildState, StreamExt};
    ///
    /// let mut builds = koji.list_builds().user("alice").state(BuildState::Complete).stream();
    /// while let Some(build) = builds.next().await {
    ///     println!("{}", build?.nvr().unwrap_or_default());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn stream(self) -> CallStream<Build> {
        let name = match &self.package {
            Some(IdOrName::Name(name)) => name.clone(),
            Some(IdOrName::Id(id)) => {
                return match self.kwargs(Some(*id), &self.query) {
                    Ok(kwargs) => self.koji.request("listBuilds").kwargs(kwargs).stream(),
                    Err(e) => failed_stream(e),
                };
            }
            None => {
                return match self.kwargs(None, &self.query) {
                    Ok(kwargs) => self.koji.request("listBuilds").kwargs(kwargs).stream(),
                    Err(e) => failed_stream(e),
                };
            }
        };
        // Checked now, sent once the package id is known.
        let rest = match self.kwargs(None, &self.query) {
            Ok(kwargs) => kwargs,
            Err(e) => return failed_stream(e),
        };
        let koji = self.koji.clone();
        deferred_stream(async move {
            let Some(id) = package_id(&koji, &name).await? else {
                return Ok(None);
            };
            let mut kwargs = Struct::new();
            kwargs.insert("packageID".to_owned(), koji_xmlrpc::Value::Int(id));
            kwargs.extend(rest);
            Ok(Some(koji.request("listBuilds").kwargs(kwargs).stream()))
        })
    }

    /// Sends the query and returns the builds (`listBuilds` rows have
    /// `build_id` but no `id`; use [`Build::build_id`]).
    ///
    /// The rows are decoded as the answer arrives ([`CallBuilder::stream`]),
    /// so the answer's XML is never held whole: the peak memory is about
    /// that of the builds themselves, a fraction of the answer's size. As
    /// for any stream, retries apply until the first build arrives.
    pub async fn send(self) -> Result<Vec<Build>> {
        match self.call(&self.query).await? {
            Some(call) => call.stream::<Build>().try_collect().await,
            None => Ok(Vec::new()),
        }
    }

    /// Sends the query with `countOnly` and returns the number of matching
    /// builds.
    pub async fn count(self) -> Result<i64> {
        let query = self.query.clone().count_only(true);
        match self.call(&query).await? {
            Some(call) => call.typed().await,
            None => Ok(0),
        }
    }
}

/// A `listTagged` query (see [`Connection::list_tagged`]): the builds
/// tagged into a tag, newest tagging first. An unknown tag is a hub fault
/// (`No such tagInfo`) unless [`strict(false)`](Self::strict).
///
/// Rows have `tag_id`, `tag_name` and `create_event` (the tagging event)
/// but no `*_ts` members; the [`Build`] time accessors read the `*_time`
/// strings instead.
#[derive(Debug, Clone)]
#[must_use = "a query does nothing until it is sent"]
pub struct ListTagged<'k> {
    koji: &'k Connection,
    tag: IdOrName,
    event: Option<i64>,
    inherit: Option<bool>,
    prefix: Option<String>,
    latest: Option<bool>,
    package: Option<String>,
    owner: Option<String>,
    build_type: Option<String>,
    strict: Option<bool>,
    extra: Option<bool>,
    draft: Option<bool>,
}

impl<'k> ListTagged<'k> {
    fn new(koji: &'k Connection, tag: IdOrName) -> Self {
        ListTagged {
            koji,
            tag,
            event: None,
            inherit: None,
            prefix: None,
            latest: None,
            package: None,
            owner: None,
            build_type: None,
            strict: None,
            extra: None,
            draft: None,
        }
    }

    /// The tag's content as of this event (`event`).
    pub fn event(mut self, event: i64) -> Self {
        self.event = Some(event);
        self
    }

    /// Also builds inherited from parent tags (`inherit`).
    pub fn inherit(mut self, on: bool) -> Self {
        self.inherit = Some(on);
        self
    }

    /// Only packages whose name starts with this (`prefix`).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Only the latest build of each package (`latest`).
    pub fn latest(mut self, on: bool) -> Self {
        self.latest = Some(on);
        self
    }

    /// Only builds of this package, by name (`package`).
    pub fn package(mut self, package: impl Into<String>) -> Self {
        self.package = Some(package.into());
        self
    }

    /// Only builds owned by this user, by name (`owner`).
    pub fn owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = Some(owner.into());
        self
    }

    /// Only builds of this build type: `rpm`, `maven`, `image`, … (`type`).
    pub fn build_type(mut self, build_type: impl Into<String>) -> Self {
        self.build_type = Some(build_type.into());
        self
    }

    /// Whether an unknown tag is a fault (`strict`, the hub's default) or
    /// gives an empty list.
    pub fn strict(mut self, on: bool) -> Self {
        self.strict = Some(on);
        self
    }

    /// Also send each build's `extra` (`extra`).
    pub fn extra(mut self, on: bool) -> Self {
        self.extra = Some(on);
        self
    }

    /// Only draft (`true`) or only non-draft (`false`) builds (`draft`).
    pub fn draft(mut self, on: bool) -> Self {
        self.draft = Some(on);
        self
    }

    fn call(&self) -> CallBuilder<'k> {
        let mut call = self.koji.request("listTagged").arg(&self.tag);
        if let Some(event) = self.event {
            call = call.kwarg("event", event);
        }
        for (name, flag) in [
            ("inherit", self.inherit),
            ("latest", self.latest),
            ("strict", self.strict),
            ("extra", self.extra),
            ("draft", self.draft),
        ] {
            if let Some(flag) = flag {
                call = call.kwarg(name, flag);
            }
        }
        for (name, text) in [
            ("prefix", &self.prefix),
            ("package", &self.package),
            ("owner", &self.owner),
            ("type", &self.build_type),
        ] {
            if let Some(text) = text {
                call = call.kwarg(name, text);
            }
        }
        call
    }

    /// Sends the query and returns the tagged builds, decoded as the answer
    /// arrives (see [`ListBuilds::send`]).
    pub async fn send(self) -> Result<Vec<Build>> {
        self.call().stream::<Build>().try_collect().await
    }

    /// Sends the query and streams the tagged builds one by one as the
    /// answer arrives, with every filter of the query: a tag of a whole
    /// distribution (hundreds of megabytes of XML) in the memory of about
    /// one build. The stream owns what it needs, so it can be moved into a
    /// task.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// use koji_client::TryStreamExt;
    ///
    /// let mut builds = koji.list_tagged("f40").inherit(true).latest(true).stream();
    /// let mut count = 0;
    /// while let Some(build) = builds.try_next().await? {
    ///     count += 1;
    /// }
    /// println!("{count} builds");
    /// # Ok(()) }
    /// ```
    pub fn stream(self) -> CallStream<Build> {
        self.call().stream()
    }
}

impl Build {
    /// The task that made this build (txkoji's `Build.task()`):
    /// `getTaskInfo(task_id, request=True)` with [`Build::task_id`], which
    /// falls back to `extra.container_koji_task_id` for container builds.
    /// `None` when the build has no task (imports) or the hub has no such
    /// task.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let build = koji.get_build(17).await?.expect("build 17 exists");
    /// if let Some(task) = build.task(&koji).await? {
    ///     println!("built by task {:?} ({:?})", task.id, task.method());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn task(&self, koji: &Connection) -> Result<Option<Task>> {
        match self.task_id() {
            Some(id) => koji.get_task_info(id).await,
            None => Ok(None),
        }
    }

    /// The build target this build was made for (txkoji's `Build.target()`,
    /// which gave only the name): the target named in the build task's
    /// request, fetched with `getBuildTarget`. `None` when the build has
    /// no task, its task names no target, or the target no longer exists.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let build = koji.get_build("hello-1.3-1.fc40").await?.expect("exists");
    /// if let Some(target) = build.target(&koji).await? {
    ///     println!("built for {:?} into {:?}", target.name, target.dest_tag_name);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn target(&self, koji: &Connection) -> Result<Option<BuildTarget>> {
        let Some(task) = self.task(koji).await? else {
            return Ok(None);
        };
        let Some(name) = task.target().map_err(|e| model_error("getTaskInfo", e))? else {
            return Ok(None);
        };
        koji.get_build_target(name).await
    }

    /// The tags this build is in (txkoji's `Build.tags()`):
    /// `listTags(build=…)` by [`Build::build_id`] (which `listBuilds` rows
    /// have although they lack `id`), else by NVR.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let build = koji.get_build(3).await?.expect("exists");
    /// for tag in build.tags(&koji).await? {
    ///     println!("{}", tag.name.unwrap_or_default());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn tags(&self, koji: &Connection) -> Result<Vec<Tag>> {
        let build = match (self.build_id(), self.nvr()) {
            (Some(id), _) => BuildRef::Id(id),
            (None, Some(nvr)) => BuildRef::Nvr(nvr),
            (None, None) => {
                return Err(bad_argument(
                    "listTags",
                    "the build has neither an id nor an NVR",
                ));
            }
        };
        koji.list_tags().build(build).send().await
    }
}
