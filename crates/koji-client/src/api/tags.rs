//! Tags, targets and repos: `getTag`, `listTags`, `getBuildTarget`,
//! `getBuildTargets`, `repoInfo`.

use super::{BuildRef, query_setters, with_query};
use crate::{
    BuildTarget, CallBuilder, CallStream, Connection, IdOrName, QueryOpts, Repo, Result, Tag,
};

impl Connection {
    /// A tag by id or name (`getTag`); `None` when there is none.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// if let Some(tag) = koji.get_tag("f40-build").await? {
    ///     println!("{:?} builds for {:?}", tag.name, tag.arches);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_tag(&self, tag: impl Into<IdOrName>) -> Result<Option<Tag>> {
        self.request("getTag").arg(tag.into()).typed().await
    }

    /// Starts a `listTags` query; see [`ListTags`].
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let tags_of_build = koji.list_tags().build("hello-1.3-1.fc40").send().await?;
    /// let tags_with_hello = koji.list_tags().package("hello").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_tags(&self) -> ListTags<'_> {
        ListTags {
            koji: self,
            build: None,
            package: None,
            perms: None,
            pattern: None,
            query: QueryOpts::new(),
        }
    }

    /// A build target by id or name (`getBuildTarget`; the hub has no
    /// `getTarget`, which txkoji called); `None` when there is none.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// if let Some(target) = koji.get_build_target("f40-candidate").await? {
    ///     println!("{:?} → {:?}", target.build_tag_name, target.dest_tag_name);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_build_target(
        &self,
        target: impl Into<IdOrName>,
    ) -> Result<Option<BuildTarget>> {
        self.request("getBuildTarget")
            .arg(target.into())
            .typed()
            .await
    }

    /// Starts a `getBuildTargets` query (all targets, or those matching
    /// the filters); see [`GetBuildTargets`].
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let all = koji.get_build_targets().send().await?;
    /// let into_candidate = koji.get_build_targets().dest_tag("f40-candidate").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn get_build_targets(&self) -> GetBuildTargets<'_> {
        GetBuildTargets {
            koji: self,
            info: None,
            build_tag: None,
            dest_tag: None,
            query: QueryOpts::new(),
        }
    }

    /// A repo by id (`repoInfo`); `None` when there is none.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// if let Some(repo) = koji.repo_info(1).await? {
    ///     println!("repo of {:?}: {:?}", repo.tag_name, repo.state);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn repo_info(&self, repo_id: i64) -> Result<Option<Repo>> {
        self.request("repoInfo").arg(repo_id).typed().await
    }
}

/// A `listTags` query (see [`Connection::list_tags`]): all tags, or the
/// tags of one build or package.
#[derive(Debug, Clone)]
#[must_use = "a query does nothing until it is sent"]
pub struct ListTags<'k> {
    koji: &'k Connection,
    build: Option<BuildRef>,
    package: Option<IdOrName>,
    perms: Option<bool>,
    pattern: Option<String>,
    query: QueryOpts,
}

impl<'k> ListTags<'k> {
    /// The tags this build is in, by id or NVR (`build`).
    pub fn build(mut self, build: impl Into<BuildRef>) -> Self {
        self.build = Some(build.into());
        self
    }

    /// The tags that list this package, by id or name (`package`); rows
    /// then also have `owner_id`, `owner_name`, `blocked` and
    /// `extra_arches`.
    pub fn package(mut self, package: impl Into<IdOrName>) -> Self {
        self.package = Some(package.into());
        self
    }

    /// Whether rows carry `perm_id` and `perm` (`perms`, the hub's default
    /// is `true`).
    pub fn perms(mut self, on: bool) -> Self {
        self.perms = Some(on);
        self
    }

    /// Only tags whose name matches this glob pattern (`pattern`).
    pub fn pattern(mut self, pattern: impl Into<String>) -> Self {
        self.pattern = Some(pattern.into());
        self
    }

    query_setters!();

    fn call(&self, query: &QueryOpts) -> CallBuilder<'k> {
        let mut call = self.koji.request("listTags");
        if let Some(build) = &self.build {
            call = call.kwarg("build", build);
        }
        if let Some(package) = &self.package {
            call = call.kwarg("package", package);
        }
        if let Some(on) = self.perms {
            call = call.kwarg("perms", on);
        }
        if let Some(pattern) = &self.pattern {
            call = call.kwarg("pattern", pattern);
        }
        with_query(call, query)
    }

    /// Sends the query and returns the tags.
    pub async fn send(self) -> Result<Vec<Tag>> {
        self.call(&self.query).typed().await
    }

    /// Sends the query and streams the tags one by one as the answer
    /// arrives, with every filter of the query.
    pub fn stream(self) -> CallStream<Tag> {
        self.call(&self.query).stream()
    }

    /// Sends the query with `countOnly` and returns the number of tags.
    pub async fn count(self) -> Result<i64> {
        let query = self.query.clone().count_only(true);
        self.call(&query).typed().await
    }
}

/// A `getBuildTargets` query (see [`Connection::get_build_targets`]).
#[derive(Debug, Clone)]
#[must_use = "a query does nothing until it is sent"]
pub struct GetBuildTargets<'k> {
    koji: &'k Connection,
    info: Option<IdOrName>,
    build_tag: Option<IdOrName>,
    dest_tag: Option<IdOrName>,
    query: QueryOpts,
}

impl<'k> GetBuildTargets<'k> {
    /// Only the target with this id, or whose name matches this (`info`).
    pub fn info(mut self, info: impl Into<IdOrName>) -> Self {
        self.info = Some(info.into());
        self
    }

    /// Only targets that build in this tag, by id or name (`buildTagID`).
    pub fn build_tag(mut self, tag: impl Into<IdOrName>) -> Self {
        self.build_tag = Some(tag.into());
        self
    }

    /// Only targets that land builds in this tag, by id or name
    /// (`destTagID`).
    pub fn dest_tag(mut self, tag: impl Into<IdOrName>) -> Self {
        self.dest_tag = Some(tag.into());
        self
    }

    query_setters!();

    fn call(&self, query: &QueryOpts) -> CallBuilder<'k> {
        let mut call = self.koji.request("getBuildTargets");
        if let Some(info) = &self.info {
            call = call.kwarg("info", info);
        }
        if let Some(tag) = &self.build_tag {
            call = call.kwarg("buildTagID", tag);
        }
        if let Some(tag) = &self.dest_tag {
            call = call.kwarg("destTagID", tag);
        }
        with_query(call, query)
    }

    /// Sends the query and returns the targets.
    pub async fn send(self) -> Result<Vec<BuildTarget>> {
        self.call(&self.query).typed().await
    }

    /// Sends the query with `countOnly` and returns the number of targets.
    pub async fn count(self) -> Result<i64> {
        let query = self.query.clone().count_only(true);
        self.call(&query).typed().await
    }
}
