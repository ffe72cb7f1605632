//! Tasks: `getTaskInfo`, `getTaskChildren`, `getTaskDescendents`,
//! `listTasks` and task messages, with txkoji's request-reading helpers.

use std::borrow::Cow;
use std::collections::BTreeMap;

use base64::Engine as _;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::macros::koji_model;
use super::time::pick;
use super::{IdOrName, ModelError, TaskState, UserType};
use crate::web::WebObject;

koji_model! {
    /// A task, as `getTaskInfo`, `getTaskChildren`, `getTaskDescendents`,
    /// `listTasks` and task messages give it.
    ///
    /// `request` is only there when asked for (`request=True`) and in
    /// `listTasks` rows; `result`, `owner_name` and `owner_type` only in
    /// `listTasks` rows. Without `decode`, `listTasks` sends `request` and
    /// `result` as raw XML-RPC documents (strings).
    ///
    /// ```
    /// use koji_client::{Task, TaskState, IdOrName};
    ///
    /// let task: Task = serde_json::from_str(r#"{"id": 4, "method": "buildArch", "state": 2,
    ///     "request": ["tasks/3/3/hello-1.3-1.fc40.src.rpm", 4, "x86_64", true, {"repo_id": 1}]}"#)
    ///     .unwrap();
    /// assert_eq!(task.state, Some(TaskState::Closed));
    /// assert_eq!(task.arch().unwrap().as_deref(), Some("x86_64"));
    /// assert_eq!(task.package().unwrap().as_deref(), Some("hello"));
    /// assert_eq!(task.tag().unwrap(), Some(IdOrName::Id(4)));
    /// assert_eq!(task.url("https://koji.example.com/koji").unwrap(),
    ///            "https://koji.example.com/koji/taskinfo?taskID=4");
    /// ```
    pub struct Task {
        /// Task id.
        id: i64,
        /// State.
        state: TaskState,
        /// When the task was created (string).
        create_time: String,
        /// When the task was created (epoch seconds).
        create_ts: f64,
        /// When a builder opened the task (string).
        start_time: String,
        /// When a builder opened the task (epoch seconds).
        start_ts: f64,
        /// When the task finished (string).
        completion_time: String,
        /// When the task finished (epoch seconds).
        completion_ts: f64,
        /// The channel it runs in.
        channel_id: i64,
        /// The host it runs on.
        host_id: i64,
        /// The parent task's id; nil for top-level tasks.
        parent: i64,
        /// The label of a subtask.
        label: String,
        /// Whether the task waits for subtasks.
        waiting: bool,
        /// Whether a parent waits for this task.
        awaited: bool,
        /// The owner's user id.
        owner: i64,
        /// The method (`build`, `buildArch`, `newRepo`, …).
        method: String,
        /// The architecture column (often `noarch`); see [`Task::arch()`]
        /// for the architecture in the request, which txkoji's `arch` gives.
        arch: String,
        /// Priority (lower runs first).
        priority: i64,
        /// Weight (load on a builder).
        weight: f64,
        /// The request: a decoded parameter list, or a raw XML-RPC
        /// `<methodCall>` document (`listTasks` without `decode`, the
        /// `task.free` message). See [`Task::params`].
        request: Value as lenient,
        /// The result (`listTasks`): `[value]`, a `{faultCode, faultString}`
        /// struct, nil while unfinished, or a raw XML-RPC document without
        /// `decode`. See [`Task::outcome`].
        result: Value as lenient,
        /// The owner's name (`listTasks`).
        owner_name: String,
        /// The owner's user type (`listTasks`).
        owner_type: UserType,
    }
}

/// A task's decoded request parameters.
///
/// Old-style requests are positional lists, with keyword arguments in a
/// trailing struct marked `__starstar`; new-style requests are a single
/// struct whose `__method__` member names the method
/// (`koji/tasks.py:parse_task_params`). [`TaskParams::get`] looks a
/// parameter up by position or by name, so helpers work on both.
///
/// ```
/// use koji_client::TaskParams;
/// use serde_json::json;
///
/// let old = TaskParams::from_list(vec![json!("f40-build"), json!({"__starstar": true, "src": true})]);
/// assert_eq!(old.get(0, "tag"), Some(&json!("f40-build")));
/// assert_eq!(old.get(2, "src"), Some(&json!(true)));
///
/// let new = TaskParams::from_list(vec![json!({"__method__": "newRepo", "tag": "f40-build"})]);
/// assert!(new.is_new_style());
/// assert_eq!(new.get(0, "tag"), Some(&json!("f40-build")));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskParams {
    positional: Vec<Value>,
    named: Map<String, Value>,
    new_style: bool,
}

impl TaskParams {
    /// Reads a decoded request list.
    pub fn from_list(mut params: Vec<Value>) -> Self {
        if let [Value::Object(only)] = params.as_slice() {
            if only.contains_key("__method__") {
                let mut named = only.clone();
                named.remove("__method__");
                return TaskParams {
                    positional: Vec::new(),
                    named,
                    new_style: true,
                };
            }
        }
        let mut named = Map::new();
        if let Some(Value::Object(last)) = params.last() {
            if last.get("__starstar").is_some_and(truthy) {
                let mut kwargs = last.clone();
                kwargs.remove("__starstar");
                named = kwargs;
                params.pop();
            }
        }
        TaskParams {
            positional: params,
            named,
            new_style: false,
        }
    }

    /// The positional parameters (empty for a new-style request).
    pub fn positional(&self) -> &[Value] {
        &self.positional
    }

    /// The named parameters: the keyword arguments of an old-style request,
    /// or every parameter of a new-style one (without `__method__`).
    pub fn named(&self) -> &Map<String, Value> {
        &self.named
    }

    /// Whether the request was a new-style `__method__` struct.
    pub fn is_new_style(&self) -> bool {
        self.new_style
    }

    /// The parameter at `index` (old style), or named `name` (keyword
    /// argument, or new style). The names are the task handler's argument
    /// names (`koji/tasks.py:LEGACY_SIGNATURES`).
    pub fn get(&self, index: usize, name: &str) -> Option<&Value> {
        self.positional.get(index).or_else(|| self.named.get(name))
    }
}

/// How a finished task ended, from a `listTasks` row's `result`.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskOutcome {
    /// The task's return value.
    Success(Value),
    /// The fault the task failed with.
    Fault(TaskFault),
}

/// The fault a failed task stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskFault {
    /// The Koji fault code (1005 for a build error, …).
    #[serde(rename = "faultCode")]
    pub code: i64,
    /// The message.
    #[serde(rename = "faultString")]
    pub message: String,
}

/// The reply of `getTaskDescendents`: each task id (as a string, since
/// XML-RPC struct keys are strings) maps to the list of its children, for
/// the task asked about and every descendant.
///
/// ```
/// use koji_client::TaskDescendents;
///
/// let tree: TaskDescendents = serde_json::from_str(r#"{
///     "2": [{"id": 3, "parent": 2}, {"id": 6, "parent": 2}],
///     "3": [], "6": []}"#).unwrap();
/// let ids: Vec<_> = tree.all().iter().map(|t| t.id.unwrap()).collect();
/// assert_eq!(ids, [3, 6]);
/// assert_eq!(tree.children(2).len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaskDescendents {
    /// The reply as sent.
    pub map: BTreeMap<String, Vec<Task>>,
}

impl TaskDescendents {
    /// The direct children of task `id` (empty when it has none or is not
    /// in the reply). This is what txkoji's `getTaskDescendents` returned.
    pub fn children(&self, id: i64) -> &[Task] {
        self.map.get(&id.to_string()).map_or(&[], Vec::as_slice)
    }

    /// Every task in the reply except the one asked about (which the hub
    /// never lists as its own child), sorted by id.
    pub fn all(&self) -> Vec<&Task> {
        let mut all: Vec<&Task> = self.map.values().flatten().collect();
        all.sort_by_key(|t| t.id);
        all
    }
}

impl Task {
    /// The method, as a `&str`.
    pub fn method(&self) -> Option<&str> {
        self.method.as_deref()
    }

    /// The channel the task runs in (the `channel_id` member).
    pub fn channel_id(&self) -> Option<i64> {
        self.channel_id
    }

    /// The state's name (`"OPEN"`, or `"(unknown state 9)"`), like txkoji's
    /// `state_name`; `None` without a state.
    pub fn state_name(&self) -> Option<String> {
        self.state.as_ref().map(ToString::to_string)
    }

    /// When the task was created (`create_ts`, else `create_time`).
    pub fn created(&self) -> Result<Option<Timestamp>, ModelError> {
        pick(
            "create_ts",
            self.create_ts,
            "create_time",
            self.create_time.as_deref(),
        )
    }

    /// When a builder opened the task (`start_ts`, else `start_time`).
    pub fn started(&self) -> Result<Option<Timestamp>, ModelError> {
        pick(
            "start_ts",
            self.start_ts,
            "start_time",
            self.start_time.as_deref(),
        )
    }

    /// When the task finished (`completion_ts`, else `completion_time`).
    pub fn completed(&self) -> Result<Option<Timestamp>, ModelError> {
        pick(
            "completion_ts",
            self.completion_ts,
            "completion_time",
            self.completion_time.as_deref(),
        )
    }

    /// How long the task ran: from start to completion, or to `now` if it
    /// has not finished. `None` if it has not started.
    pub fn duration(&self, now: Timestamp) -> Result<Option<SignedDuration>, ModelError> {
        let Some(start) = self.started()? else {
            return Ok(None);
        };
        let end = self.completed()?.unwrap_or(now);
        Ok(Some(end.duration_since(start)))
    }

    /// This task's kojiweb page, `<weburl>/taskinfo?taskID=N`; `None`
    /// without an id.
    pub fn url(&self, weburl: &str) -> Option<String> {
        Some(WebObject::Task(self.id?).url(weburl))
    }

    /// The decoded request parameters.
    ///
    /// Errors when the task has no `request` (fetch it with
    /// `request=True`), or the request is neither a list nor an XML-RPC
    /// document.
    pub fn params(&self) -> Result<TaskParams, ModelError> {
        match &self.request {
            None | Some(Value::Null) => Err(ModelError::NoRequest { task: self.id }),
            Some(Value::Array(list)) => Ok(TaskParams::from_list(list.clone())),
            Some(Value::String(raw)) => self.decode_raw_request(raw),
            Some(other) => Err(self.bad(format!(
                "request is {}, not a list or an XML-RPC document",
                kind(other)
            ))),
        }
    }

    fn decode_raw_request(&self, raw: &str) -> Result<TaskParams, ModelError> {
        let doc = raw_document(raw).map_err(|e| self.bad(format!("request: {e}")))?;
        let call = koji_xmlrpc::decode_call(&doc).map_err(|e| self.bad(format!("request: {e}")))?;
        let params = call
            .params
            .iter()
            .map(to_json)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.bad(format!("request: {e}")))?;
        Ok(TaskParams::from_list(params))
    }

    /// The architecture this task builds for, from its request (txkoji's
    /// `arch`): `buildArch`, `createrepo`, `runroot`, `createdistrepo`,
    /// `livecd`, `appliance`, `createImage`, `createLiveCD`,
    /// `createAppliance`, `createLiveMedia` and `indirectionimage` tasks;
    /// `None` for other methods.
    pub fn arch(&self) -> Result<Option<String>, ModelError> {
        let Some(method) = self.method() else {
            return Ok(None);
        };
        let (index, name) = match method {
            "buildArch" | "createdistrepo" | "livecd" | "appliance" => (2, "arch"),
            "createrepo" | "runroot" => (1, "arch"),
            "createImage" | "createLiveCD" | "createAppliance" | "createLiveMedia" => (3, "arch"),
            "indirectionimage" => return self.with_params(|r| r.member_str(0, "opts", "arch")),
            _ => return Ok(None),
        };
        self.with_params(|r| r.string(index, name))
    }

    /// Every architecture this task builds for: the `arches` list of
    /// `image` and `livemedia` tasks, else [`Task::arch`] as a one-element
    /// list, else an empty list.
    pub fn arches(&self) -> Result<Vec<String>, ModelError> {
        if let Some("image" | "livemedia") = self.method() {
            return self.with_params(|r| {
                let value = r.required(2, "arches")?;
                let Value::Array(items) = value else {
                    return Err(r.wrong_type(2, "arches", value, "a list"));
                };
                items
                    .iter()
                    .map(|item| match item {
                        Value::String(s) => Ok(s.clone()),
                        other => Err(r.wrong_type(2, "arches", other, "a list of strings")),
                    })
                    .collect()
            });
        }
        Ok(self.arch()?.into_iter().collect())
    }

    /// The build a `tagBuild` task tags (its `build_id` parameter); `None`
    /// for other methods. For other tasks, `listBuilds(taskID=…)` finds
    /// their builds.
    pub fn build_id(&self) -> Result<Option<i64>, ModelError> {
        if self.method() != Some("tagBuild") {
            return Ok(None);
        }
        self.with_params(|r| r.int(1, "build_id"))
    }

    /// The target a task builds for, by name (txkoji's `target`): `build`,
    /// `buildContainer`, `maven`, `chainmaven`, `winbuild`, image tasks,
    /// `buildNotification`, `wrapperRPM` and `indirectionimage`.
    pub fn target(&self) -> Result<Option<String>, ModelError> {
        let Some(method) = self.method() else {
            return Ok(None);
        };
        self.with_params(|r| match method {
            "build" | "buildContainer" | "chainmaven" | "maven" => r.string(1, "target"),
            "winbuild" => r.string(2, "target"),
            "image" | "livecd" | "appliance" | "livemedia" => r.string(3, "target"),
            "buildNotification" => match r.required(2, "target")? {
                v if !truthy(v) => Ok(None),
                _ => r.member_str(2, "target", "name"),
            },
            "createImage" | "createLiveCD" | "createAppliance" | "createLiveMedia" => {
                r.member_str(4, "target_info", "name")
            }
            "wrapperRPM" => r.member_str(1, "build_target", "name"),
            "indirectionimage" => r.member_str(0, "opts", "target"),
            _ => Ok(None),
        })
    }

    /// The tag a task works on, by id or name as its request has it
    /// (txkoji's `tag`): `buildArch` (the build tag, an id),
    /// `buildSRPMFromSCM`/`rebuildSRPM` (build tag), `tagBuild` (the
    /// destination, an id), `newRepo`, `distRepo`, `createdistrepo`,
    /// `runroot`, `waitrepo`, `tagNotification` and `buildMaven`.
    pub fn tag(&self) -> Result<Option<IdOrName>, ModelError> {
        let Some(method) = self.method() else {
            return Ok(None);
        };
        let (index, name) = match method {
            "buildArch" => (1, "root"),
            "buildSRPMFromSCM" | "rebuildSRPM" => (1, "build_tag"),
            "createdistrepo" | "distRepo" | "newRepo" | "waitrepo" => (0, "tag"),
            "runroot" => (0, "root"),
            "tagBuild" => (0, "tag_id"),
            "tagNotification" => (2, "tag_info"),
            "buildMaven" => {
                return self.with_params(|r| {
                    Ok(r.member_str(1, "build_tag", "name")?.map(IdOrName::Name))
                });
            }
            _ => return Ok(None),
        };
        self.with_params(|r| r.id_or_name(index, name))
    }

    /// The package a task builds (txkoji's `package`).
    ///
    /// For `build`, `buildArch`, `buildContainer`, `buildMaven`,
    /// `buildSRPMFromSCM`, `rebuildSRPM` and `maven` tasks it is read from
    /// the source (see [`package_from_source`]; `buildContainer` adds
    /// `-container`). Image tasks give their image name,
    /// `buildNotification` its build's name. `None` for other methods; an
    /// error for a source that names no package.
    pub fn package(&self) -> Result<Option<String>, ModelError> {
        let Some(method) = self.method() else {
            return Ok(None);
        };
        let source_param = match method {
            "build" | "buildContainer" => "src",
            "buildArch" => "pkg",
            "buildMaven" | "buildSRPMFromSCM" | "maven" => "url",
            "rebuildSRPM" => "srpm",
            "buildNotification" => {
                return self.with_params(|r| r.member_str(1, "build", "name"));
            }
            "createImage" | "image" | "livecd" | "appliance" | "livemedia" | "createLiveCD"
            | "createAppliance" | "createLiveMedia" => {
                return self.with_params(|r| r.string(0, "name"));
            }
            "indirectionimage" => {
                return self.with_params(|r| r.member_str(0, "opts", "name"));
            }
            _ => return Ok(None),
        };
        let Some(source) = self.with_params(|r| r.string(0, source_param))? else {
            return Ok(None);
        };
        package_from_source(&source, method == "buildContainer").map(Some)
    }

    /// Whether this is a scratch build: some struct among the parameters
    /// (the `opts`) has a true `scratch` member.
    pub fn is_scratch(&self) -> Result<bool, ModelError> {
        let params = self.params()?;
        let scratch_in = |v: &Value| v.get("scratch").is_some_and(truthy);
        Ok(params.positional().iter().any(scratch_in)
            || params.named().values().any(scratch_in)
            || params.named().get("scratch").is_some_and(truthy))
    }

    /// How the task ended, from a `listTasks` row's `result`: `None` while
    /// unfinished (nil) or when the row has no result.
    ///
    /// ```
    /// use koji_client::{Task, TaskOutcome};
    ///
    /// let t: Task = serde_json::from_str(r#"{"id": 7, "method": "build",
    ///     "result": {"faultCode": 1005, "faultString": "Bad exit status"}}"#).unwrap();
    /// let Some(TaskOutcome::Fault(fault)) = t.outcome().unwrap() else { panic!() };
    /// assert_eq!(fault.code, 1005);
    /// ```
    pub fn outcome(&self) -> Result<Option<TaskOutcome>, ModelError> {
        match &self.result {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => match items.as_slice() {
                [value] => Ok(Some(TaskOutcome::Success(value.clone()))),
                _ => Err(self.bad(format!(
                    "result is a list of {} values, expected exactly one",
                    items.len()
                ))),
            },
            Some(Value::Object(fault)) if fault.contains_key("faultCode") => {
                TaskFault::deserialize(Value::Object(fault.clone()))
                    .map(|f| Some(TaskOutcome::Fault(f)))
                    .map_err(|e| self.bad(format!("result fault: {e}")))
            }
            Some(Value::String(raw)) => self.decode_raw_result(raw),
            Some(other) => Err(self.bad(format!(
                "result is {}, expected [value], a fault struct or an XML-RPC document",
                kind(other)
            ))),
        }
    }

    fn decode_raw_result(&self, raw: &str) -> Result<Option<TaskOutcome>, ModelError> {
        let doc = raw_document(raw).map_err(|e| self.bad(format!("result: {e}")))?;
        match koji_xmlrpc::decode_response::<koji_xmlrpc::Value>(&doc) {
            Ok(Ok(value)) => to_json(&value)
                .map(|v| Some(TaskOutcome::Success(v)))
                .map_err(|e| self.bad(format!("result: {e}"))),
            Ok(Err(fault)) => Ok(Some(TaskOutcome::Fault(TaskFault {
                code: fault.code,
                message: fault.string,
            }))),
            Err(e) => Err(self.bad(format!("result: {e}"))),
        }
    }

    fn bad(&self, detail: String) -> ModelError {
        ModelError::BadTaskData {
            task: self.id,
            method: self.method.clone().unwrap_or_else(|| "?".to_owned()),
            detail,
        }
    }

    fn with_params<T>(
        &self,
        f: impl FnOnce(&Reader<'_>) -> Result<T, ModelError>,
    ) -> Result<T, ModelError> {
        let params = self.params()?;
        f(&Reader {
            task: self,
            params: &params,
        })
    }
}

/// Reads typed parameters and reports mistakes with the task's id, its
/// method and the parameter's position and name.
struct Reader<'a> {
    task: &'a Task,
    params: &'a TaskParams,
}

impl Reader<'_> {
    fn required(&self, index: usize, name: &str) -> Result<&Value, ModelError> {
        self.params.get(index, name).ok_or_else(|| {
            self.task
                .bad(format!("parameter {index} ({name}) is missing"))
        })
    }

    fn wrong_type(&self, index: usize, name: &str, got: &Value, want: &str) -> ModelError {
        self.task.bad(format!(
            "parameter {index} ({name}) is {}, expected {want}",
            kind(got)
        ))
    }

    fn string(&self, index: usize, name: &str) -> Result<Option<String>, ModelError> {
        match self.required(index, name)? {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.clone())),
            other => Err(self.wrong_type(index, name, other, "a string")),
        }
    }

    fn int(&self, index: usize, name: &str) -> Result<Option<i64>, ModelError> {
        match self.required(index, name)? {
            Value::Null => Ok(None),
            Value::Number(n) if n.is_i64() => Ok(n.as_i64()),
            other => Err(self.wrong_type(index, name, other, "an integer")),
        }
    }

    fn id_or_name(&self, index: usize, name: &str) -> Result<Option<IdOrName>, ModelError> {
        match self.required(index, name)? {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(IdOrName::Name(s.clone()))),
            Value::Number(n) if n.is_i64() => Ok(n.as_i64().map(IdOrName::Id)),
            other => Err(self.wrong_type(index, name, other, "an id or a name")),
        }
    }

    /// A string member of a struct parameter.
    fn member_str(
        &self,
        index: usize,
        name: &str,
        member: &str,
    ) -> Result<Option<String>, ModelError> {
        let value = self.required(index, name)?;
        let Value::Object(map) = value else {
            return Err(self.wrong_type(index, name, value, "a struct"));
        };
        match map.get(member) {
            None => Err(self.task.bad(format!(
                "parameter {index} ({name}) has no member {member:?}"
            ))),
            Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.task.bad(format!(
                "member {member:?} of parameter {index} ({name}) is {}, expected a string",
                kind(other)
            ))),
        }
    }
}

/// The package name in a build source, as txkoji's `Task.package` reads it.
///
/// - An SRPM path (`tasks/3/3/hello-1.3-1.fc40.src.rpm`,
///   `cli-build/…/hello-1.3-1.fc40.src.rpm`): the file name without its
///   version and release.
/// - An SCM URL (`git+https://src.example.com/rpms/hello.git#commit`): the
///   last path segment without `.git`; `container` adds `-container` (what
///   `buildContainer` tasks build).
///
/// Anything else is an error.
///
/// ```
/// use koji_client::model::package_from_source;
///
/// assert_eq!(package_from_source("git+https://src.example.com/rpms/hello.git#6e62c4a", false).unwrap(), "hello");
/// assert_eq!(package_from_source("git://pkgs.example.com/containers/foo?#abc", true).unwrap(), "foo-container");
/// assert_eq!(package_from_source("cli-build/1515773778.9.qZGL/ceph-12.2.1-1.el7.src.rpm", false).unwrap(), "ceph");
/// assert!(package_from_source("not a source", false).is_err());
/// ```
pub fn package_from_source(source: &str, container: bool) -> Result<String, ModelError> {
    let bad = |reason| ModelError::BadSource {
        value: source.to_owned(),
        reason,
    };
    if source.ends_with(".src.rpm") {
        let file = source.rsplit('/').next().unwrap_or(source);
        let mut parts = file.rsplitn(3, '-');
        let (_release, _version, name) = (parts.next(), parts.next(), parts.next());
        return match name {
            Some(name) if !name.is_empty() => Ok(name.to_owned()),
            _ => Err(bad("an SRPM file name is NAME-VERSION-RELEASE.src.rpm")),
        };
    }
    let url = url::Url::parse(source).map_err(|_| bad("neither an SRPM path nor a URL"))?;
    let last = url.path().rsplit('/').next().unwrap_or("");
    let name = last.strip_suffix(".git").unwrap_or(last);
    if name.is_empty() {
        return Err(bad("the URL's path has no last segment"));
    }
    Ok(if container {
        format!("{name}-container")
    } else {
        name.to_owned()
    })
}

/// The XML-RPC document in a raw `request`/`result` column: the text
/// itself, or for very old rows (no `<?xml` among the first characters,
/// as the hub checks) the base64 text of it.
fn raw_document(raw: &str) -> Result<Cow<'_, [u8]>, String> {
    let head = raw.get(..10).unwrap_or(raw);
    if head.contains("<?xml") {
        return Ok(Cow::Borrowed(raw.as_bytes()));
    }
    // Python's b64decode skips characters outside the alphabet (line breaks).
    let clean: Vec<u8> = raw
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(clean)
        .map(Cow::Owned)
        .map_err(|e| format!("neither an XML-RPC document nor base64 of one ({e})"))
}

/// An XML-RPC value as JSON (bytes become a list of numbers, dateTimes
/// their text).
fn to_json(value: &koji_xmlrpc::Value) -> Result<Value, String> {
    serde_json::to_value(value).map_err(|e| e.to_string())
}

/// Python's truth value of a decoded XML-RPC value.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// What kind of value this is, in XML-RPC words with an article, for error
/// messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "nil",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a double",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a struct",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    fn task(method: &str, request: Value) -> Task {
        serde_json::from_value(json!({"id": 1, "method": method, "request": request})).unwrap()
    }

    #[test]
    fn package_from_every_source_form() {
        let cases = [
            (
                "git+https://src.example.com/rpms/hello.git#d29ee0a",
                false,
                "hello",
            ),
            (
                "git+https://git.centos.org/rpms/ceph.git?#abc",
                false,
                "ceph",
            ),
            (
                "git://pkgs.example.com/rpms/python-fizzbuzz#abc",
                false,
                "python-fizzbuzz",
            ),
            ("https://example.com/foo", false, "foo"),
            (
                "git+https://src.example.com/containers/foo.git#3af6833",
                true,
                "foo-container",
            ),
            ("tasks/3/3/hello-1.3-1.fc40.src.rpm", false, "hello"),
            ("hello-world-1.3-1.fc40.src.rpm", false, "hello-world"),
        ];
        for (source, container, want) in cases {
            assert_eq!(
                package_from_source(source, container).unwrap(),
                want,
                "{source}"
            );
        }
        for bad in [
            "",
            "foo",
            "just words",
            "1.3-1.src.rpm",
            "-1.3-1.src.rpm",
            "https://example.com/",
            "git+https://src.example.com/rpms/.git",
        ] {
            let err = package_from_source(bad, false).unwrap_err();
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn new_style_params_are_read_by_name() {
        let t = task(
            "buildArch",
            json!([{"__method__": "buildArch", "pkg": "tasks/1/1/x-1-1.src.rpm",
                    "root": "f40-build", "arch": "s390x", "keep_srpm": false,
                    "opts": {"scratch": true}}]),
        );
        assert!(t.params().unwrap().is_new_style());
        assert_eq!(t.arch().unwrap().as_deref(), Some("s390x"));
        assert_eq!(t.arches().unwrap(), ["s390x"]);
        assert_eq!(t.package().unwrap().as_deref(), Some("x"));
        assert_eq!(t.tag().unwrap(), Some(IdOrName::from("f40-build")));
        assert!(t.is_scratch().unwrap());
    }

    #[test]
    fn keyword_arguments_fill_missing_positions() {
        let t = task(
            "build",
            json!(["git+https://x/rpms/a.git#1", {"__starstar": true, "target": "f40", "opts": {"scratch": 1}}]),
        );
        let params = t.params().unwrap();
        assert_eq!(params.positional().len(), 1);
        assert_eq!(t.target().unwrap().as_deref(), Some("f40"));
        assert!(t.is_scratch().unwrap());
        // A false __starstar is an ordinary struct parameter.
        let p = TaskParams::from_list(vec![json!({"__starstar": false})]);
        assert_eq!(p.positional().len(), 1);
    }

    #[test]
    fn image_tasks() {
        let t = task(
            "image",
            json!([
                "fedora-cloud",
                "40",
                ["x86_64", "aarch64"],
                "f40-image",
                "http://x/tree",
                {}
            ]),
        );
        assert_eq!(t.arches().unwrap(), ["x86_64", "aarch64"]);
        assert_eq!(t.arch().unwrap(), None);
        assert_eq!(t.package().unwrap().as_deref(), Some("fedora-cloud"));
        assert_eq!(t.target().unwrap().as_deref(), Some("f40-image"));
        let t = task(
            "createImage",
            json!(["fedora-cloud", "40", "1", "ppc64le", {"name": "f40-image"}, {}, {}, "http://x", {}]),
        );
        assert_eq!(t.arch().unwrap().as_deref(), Some("ppc64le"));
        assert_eq!(t.target().unwrap().as_deref(), Some("f40-image"));
        let t = task(
            "indirectionimage",
            json!([{"arch": "x86_64", "name": "ii", "target": "t"}]),
        );
        assert_eq!(t.arch().unwrap().as_deref(), Some("x86_64"));
        assert_eq!(t.package().unwrap().as_deref(), Some("ii"));
        assert_eq!(t.target().unwrap().as_deref(), Some("t"));
    }

    #[test]
    fn other_methods_have_no_package_tag_or_target() {
        let t = task("waittest", json!([3]));
        assert_eq!(t.package().unwrap(), None);
        assert_eq!(t.tag().unwrap(), None);
        assert_eq!(t.target().unwrap(), None);
        assert_eq!(t.arch().unwrap(), None);
        assert_eq!(t.arches().unwrap(), Vec::<String>::new());
        assert_eq!(t.build_id().unwrap(), None);
        assert!(!t.is_scratch().unwrap());
    }

    #[test]
    fn misshapen_requests_are_errors_naming_the_parameter() {
        let t = task("buildArch", json!(["x-1-1.src.rpm", 4]));
        let err = t.arch().unwrap_err();
        assert_eq!(
            err.to_string(),
            "task 1 (buildArch): parameter 2 (arch) is missing"
        );
        let t = task("buildArch", json!(["x-1-1.src.rpm", 4, 17]));
        let err = t.arch().unwrap_err();
        assert_eq!(
            err.to_string(),
            "task 1 (buildArch): parameter 2 (arch) is an integer, expected a string"
        );
        let t = task("tagBuild", json!([5, "seventeen"]));
        assert!(
            t.build_id()
                .unwrap_err()
                .to_string()
                .contains("parameter 1 (build_id)")
        );
        let t = task("build", json!([42, "f40"]));
        assert!(
            t.package()
                .unwrap_err()
                .to_string()
                .contains("parameter 0 (src)")
        );
        let t = task("wrapperRPM", json!(["spec", {"id": 1}]));
        assert!(
            t.target()
                .unwrap_err()
                .to_string()
                .contains("no member \"name\"")
        );
        let t = task("build", json!({"src": "x"}));
        assert!(
            t.params()
                .unwrap_err()
                .to_string()
                .contains("request is a struct")
        );
        let t = task("build", json!(["git+https://x/rpms/hello.git", "f40"]));
        let t = Task { request: None, ..t };
        assert!(matches!(
            t.params(),
            Err(ModelError::NoRequest { task: Some(1) })
        ));
    }

    #[test]
    fn outcome_shapes() {
        let with = |result: Value| -> Task {
            serde_json::from_value(json!({"id": 9, "method": "x", "result": result})).unwrap()
        };
        assert_eq!(with(Value::Null).outcome().unwrap(), None);
        assert_eq!(
            with(json!([null])).outcome().unwrap(),
            Some(TaskOutcome::Success(Value::Null))
        );
        assert_eq!(
            with(json!([[1, 96]])).outcome().unwrap(),
            Some(TaskOutcome::Success(json!([1, 96])))
        );
        assert!(with(json!([1, 2])).outcome().is_err());
        assert!(with(json!({"faultCode": "x"})).outcome().is_err());
        assert!(
            with(json!(5))
                .outcome()
                .unwrap_err()
                .to_string()
                .contains("is an integer")
        );
        assert_eq!(Task::default().outcome().unwrap(), None);
    }

    #[test]
    fn raw_documents_and_old_base64_rows() {
        let xml = "<?xml version='1.0'?>\n<methodCall>\n<methodName>newRepo</methodName>\n\
                   <params>\n<param>\n<value><string>f40-build</string></value>\n</param>\n\
                   </params>\n</methodCall>\n";
        let plain = task("newRepo", json!(xml));
        assert_eq!(plain.tag().unwrap(), Some(IdOrName::from("f40-build")));
        // Rows older than the hub's XML storage hold base64 (with line breaks).
        let b64 = base64::engine::general_purpose::STANDARD.encode(xml);
        let (a, b) = b64.split_at(40);
        let old = task("newRepo", json!(format!("{a}\n{b}\n")));
        assert_eq!(old.params().unwrap(), plain.params().unwrap());
        let res = "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n\
                   <member>\n<name>faultCode</name>\n<value><int>1005</int></value>\n</member>\n\
                   <member>\n<name>faultString</name>\n<value><string>boom</string></value>\n</member>\n\
                   </struct></value>\n</fault>\n</methodResponse>\n";
        let failed: Task =
            serde_json::from_value(json!({"id": 3, "method": "x", "result": res})).unwrap();
        assert_eq!(
            failed.outcome().unwrap(),
            Some(TaskOutcome::Fault(TaskFault {
                code: 1005,
                message: "boom".into()
            }))
        );
        // Neither XML nor base64, or base64 of something else: errors.
        let err = task("newRepo", json!("not xml at all!"))
            .params()
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("task 1 (newRepo): request: neither"),
            "{err}"
        );
        let junk = base64::engine::general_purpose::STANDARD.encode("<methodCall>");
        let err = task("newRepo", json!(junk)).params().unwrap_err();
        assert!(
            err.to_string().starts_with("task 1 (newRepo): request: "),
            "{err}"
        );
        let truncated = task("newRepo", json!(&xml[..60])).params().unwrap_err();
        assert!(truncated.to_string().contains("request: "), "{truncated}");
    }

    #[test]
    fn duration_runs_to_now_while_unfinished() {
        let t: Task = serde_json::from_value(json!({"start_ts": 100.0})).unwrap();
        let now = Timestamp::from_second(160).unwrap();
        assert_eq!(t.duration(now).unwrap().unwrap().as_secs(), 60);
        assert_eq!(Task::default().duration(now).unwrap(), None);
    }
}
