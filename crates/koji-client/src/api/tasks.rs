//! Tasks: `getTaskInfo`, `getTaskChildren`, `getTaskDescendents`,
//! `getTaskResult`, `listTasks`, and the helpers of [`Task`].

use jiff::Timestamp;
use koji_xmlrpc::{Struct, Value};

use super::{IdFilter, bad_argument, epoch, failed_stream, query_setters, with_query};
use crate::{
    CallBuilder, CallStream, Channel, Connection, QueryOpts, Result, Task, TaskDescendents,
    TaskState,
};

impl Connection {
    /// One task with its request (`getTaskInfo(task_id, request=True)`, so
    /// that [`Task::params`] and the helpers built on it work); `None` when
    /// the hub has no such task.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// if let Some(task) = koji.get_task_info(2).await? {
    ///     println!("{:?} builds {:?} for {:?}", task.method(), task.package()?, task.target()?);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_task_info(&self, task_id: i64) -> Result<Option<Task>> {
        self.request("getTaskInfo")
            .arg(task_id)
            .kwarg("request", true)
            .typed()
            .await
    }

    /// The direct subtasks of a task, with their requests
    /// (`getTaskChildren(task_id, request=True)`); empty for a task
    /// without children or an unknown task.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// for child in koji.get_task_children(2).await? {
    ///     println!("{:?} {:?}", child.id, child.arch()?);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_task_children(&self, task_id: i64) -> Result<Vec<Task>> {
        self.request("getTaskChildren")
            .arg(task_id)
            .kwarg("request", true)
            .typed()
            .await
    }

    /// The whole subtask tree of a task, with requests
    /// (`getTaskDescendents(task_id, request=True)`: the hub's spelling;
    /// txkoji's `getTaskDescendants` does not exist). An unknown task gives
    /// a tree with no children.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let tree = koji.get_task_descendents(2).await?;
    /// for task in tree.all() {
    ///     println!("{:?} under {:?}", task.id, task.parent);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_task_descendents(&self, task_id: i64) -> Result<TaskDescendents> {
        self.request("getTaskDescendents")
            .arg(task_id)
            .kwarg("request", true)
            .typed()
            .await
    }

    /// What a finished task returned (`getTaskResult(taskId)`), as a
    /// [`Value`]. A task that failed gives its stored fault as the error
    /// (e.g. [`FaultKind::BuildError`](crate::FaultKind::BuildError)); an
    /// unfinished or canceled task, or an unknown one, a `GenericError`.
    /// Decode into your own type with
    /// `koji.request("getTaskResult").arg(id).typed::<T>()`.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// use koji_client::FaultKind;
    ///
    /// match koji.get_task_result(4).await {
    ///     Ok(result) => println!("rpms: {:?}", result.get("rpms")),
    ///     Err(e) if e.fault_kind() == Some(FaultKind::BuildError) => {
    ///         println!("the task failed: {}", e.fault_string().unwrap_or_default())
    ///     }
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_task_result(&self, task_id: i64) -> Result<Value> {
        self.request("getTaskResult").arg(task_id).typed().await
    }

    /// Starts a `listTasks` query; see [`ListTasks`].
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// use koji_client::TaskState;
    ///
    /// let queue = koji
    ///     .list_tasks()
    ///     .state([TaskState::Free, TaskState::Open])
    ///     .channel_id(9)
    ///     .order("priority,create_time")
    ///     .send()
    ///     .await?;
    /// let top_level = koji.list_tasks().parent(None).count().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_tasks(&self) -> ListTasks<'_> {
        ListTasks::new(self)
    }
}

/// A `listTasks` query (see [`Connection::list_tasks`]).
///
/// Tasks always come decoded (`opts.decode = True`): `request` is the
/// parameter list and `result` the `[value]` or fault struct that
/// [`Task::outcome`] reads. Each query builds its own `opts` struct, so
/// one query's filters never leak into another (txkoji's `listTasks` set
/// `decode` on a shared default dict).
///
/// Filters on a list (`state`, `arch`, an [`IdFilter::AnyOf`]) that are
/// given an empty list match nothing: the query then answers empty (0 for
/// [`count`](Self::count)) without asking the hub, which would fail on
/// `IN ()`. An empty `not_*` list excludes nothing and is left out.
#[derive(Debug, Clone)]
#[must_use = "a query does nothing until it is sent"]
pub struct ListTasks<'k> {
    koji: &'k Connection,
    state: Option<Vec<TaskState>>,
    not_state: Option<Vec<TaskState>>,
    arch: Option<Vec<String>>,
    not_arch: Option<Vec<String>>,
    owner: Option<IdFilter>,
    not_owner: Option<IdFilter>,
    host_id: Option<IdFilter>,
    not_host_id: Option<IdFilter>,
    channel_id: Option<IdFilter>,
    not_channel_id: Option<IdFilter>,
    parent: Option<IdFilter>,
    not_parent: Option<IdFilter>,
    method: Option<String>,
    times: [Option<Timestamp>; 6],
    query: QueryOpts,
    /// Why this query cannot be sent (made from a channel without an id).
    invalid: Option<&'static str>,
}

/// The time filters of `listTasks`, in the order of `ListTasks::times`.
const TIME_OPTS: [&str; 6] = [
    "createdBefore",
    "createdAfter",
    "startedBefore",
    "startedAfter",
    "completeBefore",
    "completeAfter",
];

impl<'k> ListTasks<'k> {
    fn new(koji: &'k Connection) -> Self {
        ListTasks {
            koji,
            state: None,
            not_state: None,
            arch: None,
            not_arch: None,
            owner: None,
            not_owner: None,
            host_id: None,
            not_host_id: None,
            channel_id: None,
            not_channel_id: None,
            parent: None,
            not_parent: None,
            method: None,
            times: [None; 6],
            query: QueryOpts::new(),
            invalid: None,
        }
    }

    /// Marks the query as impossible to send, for the helpers that make
    /// one from a model.
    pub(super) fn invalid(mut self, why: &'static str) -> Self {
        self.invalid = Some(why);
        self
    }

    /// Tasks in any of these states (`state`). [`TaskState::ACTIVE`] and
    /// [`TaskState::DONE`] are the usual groups.
    pub fn state(mut self, states: impl IntoIterator<Item = TaskState>) -> Self {
        self.state = Some(states.into_iter().collect());
        self
    }

    /// Tasks in none of these states (`not_state`).
    pub fn not_state(mut self, states: impl IntoIterator<Item = TaskState>) -> Self {
        self.not_state = Some(states.into_iter().collect());
        self
    }

    /// Tasks for any of these architectures (`arch`, the task's `arch`
    /// column).
    pub fn arch<S: Into<String>>(mut self, arches: impl IntoIterator<Item = S>) -> Self {
        self.arch = Some(arches.into_iter().map(Into::into).collect());
        self
    }

    /// Tasks for none of these architectures (`not_arch`).
    pub fn not_arch<S: Into<String>>(mut self, arches: impl IntoIterator<Item = S>) -> Self {
        self.not_arch = Some(arches.into_iter().map(Into::into).collect());
        self
    }

    /// Tasks owned by this user id, or any of these (`owner`).
    pub fn owner(mut self, owner: impl Into<IdFilter>) -> Self {
        self.owner = Some(owner.into());
        self
    }

    /// Tasks not owned by this user id, or by none of these (`not_owner`).
    pub fn not_owner(mut self, owner: impl Into<IdFilter>) -> Self {
        self.not_owner = Some(owner.into());
        self
    }

    /// Tasks on this host id, any of these, or none (`host_id`;
    /// `host_id(None)`: tasks no host has taken).
    pub fn host_id(mut self, host: impl Into<IdFilter>) -> Self {
        self.host_id = Some(host.into());
        self
    }

    /// Tasks not on this host id, or none of these (`not_host_id`).
    pub fn not_host_id(mut self, host: impl Into<IdFilter>) -> Self {
        self.not_host_id = Some(host.into());
        self
    }

    /// Tasks in this channel id, or any of these (`channel_id`).
    pub fn channel_id(mut self, channel: impl Into<IdFilter>) -> Self {
        self.channel_id = Some(channel.into());
        self
    }

    /// Tasks in none of these channels (`not_channel_id`).
    pub fn not_channel_id(mut self, channel: impl Into<IdFilter>) -> Self {
        self.not_channel_id = Some(channel.into());
        self
    }

    /// Subtasks of this task id, or of any of these; `parent(None)`:
    /// top-level tasks (`parent`).
    pub fn parent(mut self, parent: impl Into<IdFilter>) -> Self {
        self.parent = Some(parent.into());
        self
    }

    /// Tasks whose parent is not this one (`not_parent`); `not_parent(None)`:
    /// subtasks only.
    pub fn not_parent(mut self, parent: impl Into<IdFilter>) -> Self {
        self.not_parent = Some(parent.into());
        self
    }

    /// Tasks of this method: `build`, `buildArch`, `newRepo`, … (`method`).
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Tasks created before this time (`createdBefore`).
    pub fn created_before(mut self, time: Timestamp) -> Self {
        self.times[0] = Some(time);
        self
    }

    /// Tasks created after this time (`createdAfter`).
    pub fn created_after(mut self, time: Timestamp) -> Self {
        self.times[1] = Some(time);
        self
    }

    /// Tasks started before this time (`startedBefore`).
    pub fn started_before(mut self, time: Timestamp) -> Self {
        self.times[2] = Some(time);
        self
    }

    /// Tasks started after this time (`startedAfter`).
    pub fn started_after(mut self, time: Timestamp) -> Self {
        self.times[3] = Some(time);
        self
    }

    /// Tasks completed before this time (`completeBefore`).
    pub fn completed_before(mut self, time: Timestamp) -> Self {
        self.times[4] = Some(time);
        self
    }

    /// Tasks completed after this time (`completeAfter`).
    pub fn completed_after(mut self, time: Timestamp) -> Self {
        self.times[5] = Some(time);
        self
    }

    query_setters!();

    /// Whether an include filter was given an empty list.
    fn matches_nothing(&self) -> bool {
        self.state.as_ref().is_some_and(Vec::is_empty)
            || self.arch.as_ref().is_some_and(Vec::is_empty)
            || [&self.owner, &self.host_id, &self.channel_id, &self.parent]
                .into_iter()
                .flatten()
                .any(IdFilter::is_empty_list)
    }

    /// The `opts` struct of this query, `decode` included.
    fn opts(&self) -> Result<Struct> {
        if let Some(why) = self.invalid {
            return Err(bad_argument("listTasks", why));
        }
        fn states(list: &[TaskState]) -> Result<Value> {
            list.iter()
                .map(|s| {
                    s.code().map(Value::Int).ok_or_else(|| {
                        bad_argument("listTasks", format!("task state {s} has no Koji code"))
                    })
                })
                .collect::<Result<Vec<_>>>()
                .map(Value::Array)
        }
        fn strings(list: &[String]) -> Value {
            Value::Array(list.iter().map(|s| Value::from(s.as_str())).collect())
        }
        fn ids(filter: &IdFilter) -> Value {
            match filter {
                IdFilter::Null => Value::Nil,
                IdFilter::Id(id) => Value::Int(*id),
                IdFilter::AnyOf(ids) => Value::Array(ids.iter().copied().map(Value::Int).collect()),
            }
        }
        let mut opts = Struct::new();
        if let Some(list) = &self.state {
            opts.insert("state".into(), states(list)?);
        }
        if let Some(list) = self.not_state.as_ref().filter(|l| !l.is_empty()) {
            opts.insert("not_state".into(), states(list)?);
        }
        if let Some(list) = &self.arch {
            opts.insert("arch".into(), strings(list));
        }
        if let Some(list) = self.not_arch.as_ref().filter(|l| !l.is_empty()) {
            opts.insert("not_arch".into(), strings(list));
        }
        for (name, filter, exclude) in [
            ("owner", &self.owner, false),
            ("not_owner", &self.not_owner, true),
            ("host_id", &self.host_id, false),
            ("not_host_id", &self.not_host_id, true),
            ("channel_id", &self.channel_id, false),
            ("not_channel_id", &self.not_channel_id, true),
            ("parent", &self.parent, false),
            ("not_parent", &self.not_parent, true),
        ] {
            match filter {
                Some(f) if exclude && f.is_empty_list() => {}
                Some(f) => {
                    opts.insert(name.into(), ids(f));
                }
                None => {}
            }
        }
        if let Some(method) = &self.method {
            opts.insert("method".into(), Value::from(method.as_str()));
        }
        for (name, time) in TIME_OPTS.iter().zip(self.times) {
            if let Some(time) = time {
                opts.insert((*name).into(), Value::Double(epoch(time)));
            }
        }
        opts.insert("decode".into(), Value::Bool(true));
        Ok(opts)
    }

    fn call(&self, query: &QueryOpts) -> Result<CallBuilder<'k>> {
        let call = self.koji.request("listTasks").kwarg("opts", self.opts()?);
        Ok(with_query(call, query))
    }

    /// Sends the query and returns the tasks (with decoded `request` and
    /// `result`, and `owner_name`/`owner_type`).
    pub async fn send(self) -> Result<Vec<Task>> {
        if self.matches_nothing() {
            // Still check the arguments, as a sent query would.
            self.opts()?;
            return Ok(Vec::new());
        }
        self.call(&self.query)?.typed().await
    }

    /// Sends the query and streams the tasks one by one as the answer
    /// arrives, with every filter and option of the query (a whole day's
    /// tasks of a busy hub without holding them all). An include filter
    /// given an empty list gives an empty stream, as [`send`](Self::send)
    /// gives an empty list.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// use koji_client::{TaskState, TryStreamExt};
    ///
    /// let mut failed = koji.list_tasks().state([TaskState::Failed]).method("buildArch").stream();
    /// while let Some(task) = failed.try_next().await? {
    ///     println!("{:?} {:?}", task.id, task.arch()?);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn stream(self) -> CallStream<Task> {
        if self.matches_nothing() {
            return match self.opts() {
                Ok(_) => CallStream {
                    inner: Box::pin(futures_util::stream::empty()),
                },
                Err(e) => failed_stream(e),
            };
        }
        match self.call(&self.query) {
            Ok(call) => call.stream(),
            Err(e) => failed_stream(e),
        }
    }

    /// Sends the query with `countOnly` and returns the number of matching
    /// tasks.
    pub async fn count(self) -> Result<i64> {
        if self.matches_nothing() {
            self.opts()?;
            return Ok(0);
        }
        let query = self.query.clone().count_only(true);
        self.call(&query)?.typed().await
    }
}

impl Task {
    fn id_for(&self, method: &str) -> Result<i64> {
        self.id
            .ok_or_else(|| bad_argument(method, "the task has no id"))
    }

    /// The task's descendants, at every depth, sorted by id, optionally
    /// only those of one `method` and/or in one `state`
    /// (`getTaskDescendents(id, request=True)`). txkoji's
    /// `Task.descendents()` returned only the direct children; see
    /// [`children`](Self::children) for those.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// use koji_client::TaskState;
    ///
    /// let build = koji.get_task_info(11).await?.expect("task 11 exists");
    /// let running = build.descendents(&koji, Some("buildArch"), Some(TaskState::Open)).await?;
    /// for task in running {
    ///     println!("{:?} still building on {:?}", task.arch()?, task.host_id);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn descendents(
        &self,
        koji: &Connection,
        method: Option<&str>,
        state: Option<TaskState>,
    ) -> Result<Vec<Task>> {
        let id = self.id_for("getTaskDescendents")?;
        let tree = koji.get_task_descendents(id).await?;
        Ok(tree
            .all()
            .into_iter()
            .filter(|t| method.is_none_or(|m| t.method() == Some(m)))
            .filter(|t| state.as_ref().is_none_or(|s| t.state.as_ref() == Some(s)))
            .cloned()
            .collect())
    }

    /// The task's direct subtasks, with requests
    /// (`getTaskChildren(id, request=True)`).
    pub async fn children(&self, koji: &Connection) -> Result<Vec<Task>> {
        let id = self.id_for("getTaskChildren")?;
        koji.get_task_children(id).await
    }

    /// What the task returned, asked of the hub (`getTaskResult`); see
    /// [`Connection::get_task_result`] for the errors of failed and
    /// unfinished tasks. For `listTasks` rows, [`Task::outcome`] reads the
    /// result the row already has (the field `result`) without asking the
    /// hub.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let task = koji.get_task_info(4).await?.expect("task 4 exists");
    /// println!("{:?}", task.fetch_result(&koji).await?);
    /// # Ok(()) }
    /// ```
    pub async fn fetch_result(&self, koji: &Connection) -> Result<Value> {
        let id = self.id_for("getTaskResult")?;
        koji.get_task_result(id).await
    }

    /// The old name of [`fetch_result`](Self::fetch_result), which read
    /// like the field `result`.
    #[deprecated(note = "renamed to `fetch_result` (the field `result` is what the row holds)")]
    pub async fn result(&self, koji: &Connection) -> Result<Value> {
        self.fetch_result(koji).await
    }

    /// The channel the task runs in (txkoji's `Task.channel`, which only
    /// knew the id): `getChannel(channel_id)`. `None` when the task has no
    /// channel id or the channel no longer exists.
    pub async fn channel(&self, koji: &Connection) -> Result<Option<Channel>> {
        match self.channel_id() {
            Some(id) => koji.get_channel(id).await,
            None => Ok(None),
        }
    }
}
