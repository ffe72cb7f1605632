//! The write calls: tagging, task and build control, empty builds and
//! content-generator imports. Each sends exactly the arguments koji's own
//! client sends (optional ones as keywords only when set), and a hub fault
//! comes back as an [`Error`](crate::Error) with its
//! [`FaultKind`](crate::FaultKind): `ActionNotAllowed` for a missing
//! permission or a locked tag, `TagError` for "already tagged" / "not in
//! tag", `GenericError` for "No such task" and the like.

use koji_xmlrpc::{Struct, Value};
use serde::Serialize;

use crate::{BuildRef, Connection, IdOrName, Result};

/// What `tagBuild`/`moveBuild` answer: the id of the `tagBuild` task that
/// does the work on a builder.
pub type TaskId = i64;

fn kw(pairs: &[(&str, Option<Value>)]) -> Struct {
    pairs
        .iter()
        .filter_map(|(k, v)| v.clone().map(|v| ((*k).to_owned(), v)))
        .collect()
}

fn flag(on: bool) -> Option<Value> {
    on.then_some(Value::Bool(true))
}

impl Connection {
    async fn write_call<T: serde::de::DeserializeOwned + Send>(
        &self,
        method: &str,
        args: impl Serialize,
        kwargs: Struct,
    ) -> Result<T> {
        let call = if kwargs.is_empty() {
            self.prepare(method, args)?
        } else {
            self.prepare_with(method, args, kwargs)?
        };
        self.execute_as(&call).await
    }

    /// Tags a build through a `tagBuild` task (`tagBuild(tag, build)`);
    /// returns the task's id. The hub checks the tag's lock and permission
    /// now; "already tagged" and the tag policy only when the task runs.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let task = koji.tag_build("f40-candidate", "hello-1.1-1.fc40").await?;
    /// # Ok(()) }
    /// ```
    pub async fn tag_build(
        &self,
        tag: impl Into<IdOrName>,
        build: impl Into<BuildRef>,
    ) -> Result<TaskId> {
        self.tag_build_with(tag, build, false, None).await
    }

    /// `tagBuild(tag, build, force=…, fromtag=…)`: `force` lets an admin
    /// past a lock; `from_tag` untags from there in the same task.
    pub async fn tag_build_with(
        &self,
        tag: impl Into<IdOrName>,
        build: impl Into<BuildRef>,
        force: bool,
        from_tag: Option<IdOrName>,
    ) -> Result<TaskId> {
        let kwargs = kw(&[
            ("force", flag(force)),
            ("fromtag", from_tag.map(id_or_name_value)),
        ]);
        self.write_call("tagBuild", (tag.into(), build.into()), kwargs)
            .await
    }

    /// Removes a build from a tag at once (`untagBuild(tag, build)`; no
    /// task). With `strict` (koji's default) a build not in the tag is a
    /// `TagError`.
    pub async fn untag_build(
        &self,
        tag: impl Into<IdOrName>,
        build: impl Into<BuildRef>,
        strict: bool,
        force: bool,
    ) -> Result<()> {
        let kwargs = kw(&[
            ("strict", (!strict).then_some(Value::Bool(false))),
            ("force", flag(force)),
        ]);
        let _: Value = self
            .write_call("untagBuild", (tag.into(), build.into()), kwargs)
            .await?;
        Ok(())
    }

    /// Moves a build between tags in one `tagBuild` task
    /// (`moveBuild(from, to, build)`); returns the task id.
    pub async fn move_build(
        &self,
        from: impl Into<IdOrName>,
        to: impl Into<IdOrName>,
        build: impl Into<BuildRef>,
        force: bool,
    ) -> Result<TaskId> {
        let kwargs = kw(&[("force", flag(force))]);
        self.write_call("moveBuild", (from.into(), to.into(), build.into()), kwargs)
            .await
    }

    /// Tags at once, without a task (`tagBuildBypass`); needs the `tag`
    /// permission. `force` skips the policy and, for admins, the lock.
    pub async fn tag_build_bypass(
        &self,
        tag: impl Into<IdOrName>,
        build: impl Into<BuildRef>,
        force: bool,
        notify: bool,
    ) -> Result<()> {
        let kwargs = kw(&[("force", flag(force)), ("notify", flag(notify))]);
        let _: Value = self
            .write_call("tagBuildBypass", (tag.into(), build.into()), kwargs)
            .await?;
        Ok(())
    }

    /// Untags at once, without a task (`untagBuildBypass`); needs the `tag`
    /// permission.
    pub async fn untag_build_bypass(
        &self,
        tag: impl Into<IdOrName>,
        build: impl Into<BuildRef>,
        force: bool,
        notify: bool,
    ) -> Result<()> {
        let kwargs = kw(&[("force", flag(force)), ("notify", flag(notify))]);
        let _: Value = self
            .write_call("untagBuildBypass", (tag.into(), build.into()), kwargs)
            .await?;
        Ok(())
    }

    /// Cancels a task and its children (`cancelTask(id)`); the owner or
    /// an admin. A finished task is left as it is (the hub answers nil).
    pub async fn cancel_task(&self, task_id: i64) -> Result<()> {
        let _: Value = self
            .write_call("cancelTask", (task_id,), Struct::new())
            .await?;
        Ok(())
    }

    /// Cancels the whole tree from the top-level parent
    /// (`cancelTaskFull(id)`); admins only.
    pub async fn cancel_task_full(&self, task_id: i64) -> Result<()> {
        let _: Value = self
            .write_call("cancelTaskFull", (task_id,), Struct::new())
            .await?;
        Ok(())
    }

    /// Cancels a task's children only (`cancelTaskChildren(id)`).
    pub async fn cancel_task_children(&self, task_id: i64) -> Result<()> {
        let _: Value = self
            .write_call("cancelTaskChildren", (task_id,), Struct::new())
            .await?;
        Ok(())
    }

    /// Cancels a BUILDING build and its task (`cancelBuild(id)`); `true`
    /// when it was building, `false` otherwise (already finished or, unless
    /// strict, missing).
    pub async fn cancel_build(&self, build: impl Into<BuildRef>) -> Result<bool> {
        self.write_call("cancelBuild", (build.into(),), Struct::new())
            .await
    }

    /// Runs a failed or canceled top-level task again as a new task
    /// (`resubmitTask(id)`); returns the new task's id.
    pub async fn resubmit_task(&self, task_id: i64) -> Result<TaskId> {
        self.write_call("resubmitTask", (task_id,), Struct::new())
            .await
    }

    /// Sets a task's absolute priority, and its children's with `recurse`
    /// (`setTaskPriority(id, priority)`); admins only.
    pub async fn set_task_priority(
        &self,
        task_id: i64,
        priority: i64,
        recurse: bool,
    ) -> Result<()> {
        let kwargs = kw(&[("recurse", (!recurse).then_some(Value::Bool(false)))]);
        let _: Value = self
            .write_call("setTaskPriority", (task_id, priority), kwargs)
            .await?;
        Ok(())
    }

    /// Creates a COMPLETE build with no files
    /// (`createEmptyBuild(name, version, release, epoch)`); admins only.
    /// Returns the build id.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let id = koji.create_empty_build("wpempty", "1.0", "1.fc40", None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_empty_build(
        &self,
        name: &str,
        version: &str,
        release: &str,
        epoch: Option<i64>,
    ) -> Result<i64> {
        self.write_call(
            "createEmptyBuild",
            (name, version, release, epoch),
            Struct::new(),
        )
        .await
    }
}

fn id_or_name_value(v: IdOrName) -> Value {
    match v {
        IdOrName::Id(i) => Value::Int(i),
        IdOrName::Name(n) => Value::String(n),
    }
}
