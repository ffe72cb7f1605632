//! The simulated builder: the task trees that `build`, `tagBuild`,
//! `moveBuild` and `resubmitTask` create move FREE → OPEN → CLOSED (or
//! FAILED) one step at a time, with hosts and children shaped like the
//! recorded `build` trees (`buildSRPMFromSCM` for SCM sources, one
//! `buildArch` per arch, a `tagBuild` child unless scratch or `skip_tag`),
//! a build row (BUILDING → COMPLETE/FAILED) and the tagging at the end.
//!
//! Every state change is kept as a [`Published`] message in the form
//! koji's protonmsg plugin sends it (address, application properties, JSON
//! body), and handed to the broker publisher when one is configured
//! (`crate::bus`).
//!
//! Live tasks overlay the data set: a data-set task that is cancelled is
//! copied into the overlay, so reads see its new state.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use koji_xmlrpc::{JsonStyle, Struct, Value, value_to_json};

use crate::dataset::model::{Build, Task, TaskResult, task_state};
use crate::dataset::{Dataset, Tag};

/// Build states (`koji.BUILD_STATES`).
pub(crate) mod build_state {
    pub(crate) const BUILDING: i64 = 0;
    pub(crate) const COMPLETE: i64 = 1;
    pub(crate) const FAILED: i64 = 3;
    pub(crate) const CANCELED: i64 = 4;
}

/// The fault code koji's `BuildError` has (what failed build tasks store).
const BUILD_ERROR: i64 = 1005;

/// Options of the simulated builder (see [`crate::TestHubBuilder`]).
#[derive(Debug, Clone)]
pub(crate) struct SimConfig {
    /// Time between two steps; zero: only when told (`RunningHub::step_builder`).
    pub(crate) step: Duration,
    /// Packages whose builds fail (in their last `buildArch`).
    pub(crate) fail_packages: Vec<String>,
    /// Targets whose builds fail.
    pub(crate) fail_targets: Vec<String>,
    /// An AMQP 1.0 broker URL to publish to.
    pub(crate) broker: Option<String>,
    /// The address prefix (protonmsg's `topic_prefix`, RabbitMQ style).
    pub(crate) topic_prefix: String,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            step: Duration::ZERO,
            fail_packages: Vec::new(),
            fail_targets: Vec::new(),
            broker: None,
            topic_prefix: "/topic/koji".to_owned(),
        }
    }
}

/// A message as koji's protonmsg plugin publishes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// The address: `<topic prefix>.<topic>`, e.g. `/topic/koji.task.open`.
    pub address: String,
    /// The topic without prefix, e.g. `task.open`.
    pub topic: String,
    /// The AMQP application properties, in order, typed as sent.
    pub properties: Vec<(String, Prop)>,
    /// The body: JSON text.
    pub body: String,
}

/// An application property value.
#[derive(Debug, Clone, PartialEq)]
pub enum Prop {
    /// A string.
    Str(String),
    /// An integer (sent as an AMQP long).
    Int(i64),
    /// None (AMQP null).
    Null,
}

impl Prop {
    fn opt_int(v: Option<i64>) -> Prop {
        v.map_or(Prop::Null, Prop::Int)
    }
    fn opt_str(v: Option<&str>) -> Prop {
        v.map_or(Prop::Null, |s| Prop::Str(s.to_owned()))
    }
}

/// One thing a step does.
#[derive(Debug, Clone)]
enum Act {
    Spawn(Box<Task>),
    Open(i64, i64),
    Wait(i64),
    Close(i64, Value),
    /// Closes a `buildSRPMFromSCM` task with its result.
    CloseSrpm(i64),
    /// Closes a `buildArch` task with its result.
    CloseArch(i64),
    Fail(i64, String),
    NewBuild(Box<Build>),
    EndBuild(i64, i64),
    Tag {
        build: i64,
        tag: i64,
        from: Option<i64>,
    },
}

/// A task tree the builder is running.
#[derive(Debug, Clone)]
struct Job {
    root: i64,
    owner: Actor,
    steps: VecDeque<Vec<Act>>,
    /// Task ids allocated when their task appears: placeholder -> id.
    ids: BTreeMap<i64, i64>,
    /// The build's id, once `NewBuild` ran ([`BUILD_REF`] in acts).
    build: Option<i64>,
    /// Name, version, release and source of what is built.
    nvr: (String, String, String),
    src: String,
}

/// Stands for the job's build id in acts (allocated when the build appears).
const BUILD_REF: i64 = -1;

impl Job {
    fn new(root: i64, owner: &Actor, steps: VecDeque<Vec<Act>>) -> Job {
        Job {
            root,
            owner: owner.clone(),
            steps,
            ids: BTreeMap::new(),
            build: None,
            nvr: Default::default(),
            src: String::new(),
        }
    }

    /// A real id for a task id or placeholder (placeholders are <= -2).
    fn id(&self, id: i64) -> i64 {
        if id < 0 {
            self.ids.get(&id).copied().unwrap_or(id)
        } else {
            id
        }
    }

    fn build_id(&self, id: i64) -> Option<i64> {
        if id == BUILD_REF {
            self.build
        } else {
            Some(id)
        }
    }
}

/// A build tagged by the simulation (or untagged: `active` false).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LiveTagging {
    pub(crate) tag_id: i64,
    pub(crate) build_id: i64,
    pub(crate) event: i64,
}

/// Who acts, for messages.
#[derive(Debug, Clone)]
pub(crate) struct Actor {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) user: Value,
}

/// The live state: tasks and builds created (or changed) since start.
#[derive(Debug, Default)]
pub(crate) struct Live {
    next_task: i64,
    next_build: i64,
    /// Live tasks by id (they override data-set tasks of the same id).
    pub(crate) tasks: BTreeMap<i64, Task>,
    /// Builds created by the simulation.
    pub(crate) builds: Vec<Build>,
    /// Taggings done by the simulation.
    pub(crate) tagged: Vec<LiveTagging>,
    /// Data-set listings removed by `untagBuild` (tag id, build id).
    pub(crate) untagged: Vec<(i64, i64)>,
    /// Archives imported by `CGImport`, by build id (`listArchives` rows).
    pub(crate) archives: BTreeMap<i64, Vec<Value>>,
    /// Builds reserved by `CGInitBuild`: build id → (token, cg id).
    pub(crate) reservations: BTreeMap<i64, (String, i64)>,
    /// Upload keys (`work/<dir>/<name>`) a `CGImport` moved into a build.
    pub(crate) imported_files: std::collections::BTreeSet<String>,
    jobs: Vec<Job>,
    /// Every message, in publish order.
    pub(crate) published: Vec<Published>,
    /// Messages not yet handed to the broker publisher.
    pub(crate) outbox: Vec<Published>,
}

/// What a `build` call asked for.
#[derive(Debug, Clone)]
pub(crate) struct BuildRequest {
    pub(crate) src: String,
    pub(crate) target: String,
    pub(crate) opts: Struct,
    pub(crate) priority: i64,
    pub(crate) channel_id: i64,
}

/// What a `tagBuild`/`moveBuild` call asked for.
#[derive(Debug, Clone)]
pub(crate) struct TagRequest {
    pub(crate) tag: i64,
    pub(crate) build: i64,
    pub(crate) force: bool,
    pub(crate) from: Option<i64>,
}

fn state_name(s: i64) -> &'static str {
    match s {
        0 => "FREE",
        1 => "OPEN",
        2 => "CLOSED",
        3 => "CANCELED",
        4 => "ASSIGNED",
        5 => "FAILED",
        _ => "UNKNOWN",
    }
}

fn build_state_name(s: i64) -> &'static str {
    match s {
        0 => "BUILDING",
        1 => "COMPLETE",
        2 => "DELETED",
        3 => "FAILED",
        4 => "CANCELED",
        _ => "UNKNOWN",
    }
}

fn s(v: &str) -> Value {
    Value::String(v.to_owned())
}

fn opt_s(v: Option<&str>) -> Value {
    v.map_or(Value::Nil, s)
}

fn opt_i(v: Option<i64>) -> Value {
    v.map_or(Value::Nil, Value::Int)
}

fn opt_f(v: Option<f64>) -> Value {
    v.map_or(Value::Nil, Value::Double)
}

fn opt_b(v: Option<bool>) -> Value {
    v.map_or(Value::Nil, Value::Bool)
}

/// `getTaskInfo(id, request=True)` as a value.
pub(crate) fn task_value(t: &Task) -> Value {
    let mut m = Struct::new();
    m.insert("arch".into(), s(&t.arch));
    m.insert("awaited".into(), opt_b(t.awaited));
    m.insert("channel_id".into(), Value::Int(t.channel_id));
    m.insert(
        "completion_time".into(),
        opt_s(t.completion_time.as_deref()),
    );
    m.insert("completion_ts".into(), opt_f(t.completion_ts));
    m.insert("create_time".into(), s(&t.create_time));
    m.insert("create_ts".into(), Value::Double(t.create_ts));
    m.insert("host_id".into(), opt_i(t.host_id));
    m.insert("id".into(), Value::Int(t.id));
    m.insert("label".into(), opt_s(t.label.as_deref()));
    m.insert("method".into(), s(&t.method));
    m.insert("owner".into(), Value::Int(t.owner));
    m.insert("parent".into(), opt_i(t.parent));
    m.insert("priority".into(), Value::Int(t.priority));
    m.insert("start_time".into(), opt_s(t.start_time.as_deref()));
    m.insert("start_ts".into(), opt_f(t.start_ts));
    m.insert("state".into(), Value::Int(t.state));
    m.insert("waiting".into(), opt_b(t.waiting));
    m.insert("weight".into(), Value::Double(t.weight));
    m.insert("request".into(), t.request.clone());
    if let TaskResult::Ok(r) = &t.result {
        m.insert("result".into(), r.clone());
    }
    Value::Struct(m)
}

/// `getBuild` as a value.
pub(crate) fn build_value(b: &Build) -> Value {
    let mut m = Struct::new();
    m.insert("build_id".into(), Value::Int(b.id));
    m.insert("cg_id".into(), opt_i(b.cg_id));
    m.insert(
        "completion_time".into(),
        opt_s(b.completion_time.as_deref()),
    );
    m.insert("completion_ts".into(), opt_f(b.completion_ts));
    m.insert("creation_event_id".into(), Value::Int(b.creation_event_id));
    m.insert("creation_time".into(), s(&b.creation_time));
    m.insert("creation_ts".into(), Value::Double(b.creation_ts));
    m.insert("draft".into(), Value::Bool(b.draft));
    m.insert("epoch".into(), opt_i(b.epoch));
    m.insert("extra".into(), b.extra.clone());
    m.insert("id".into(), Value::Int(b.id));
    m.insert("name".into(), s(&b.package_name));
    m.insert("nvr".into(), s(&b.nvr));
    m.insert("owner_id".into(), Value::Int(b.owner_id));
    m.insert("owner_name".into(), s(&b.owner_name));
    m.insert("package_id".into(), Value::Int(b.package_id));
    m.insert("package_name".into(), s(&b.package_name));
    m.insert("promoter_id".into(), opt_i(b.promoter_id));
    m.insert("promoter_name".into(), opt_s(b.promoter_name.as_deref()));
    m.insert("promotion_time".into(), opt_s(b.promotion_time.as_deref()));
    m.insert("promotion_ts".into(), opt_f(b.promotion_ts));
    m.insert("release".into(), s(&b.release));
    m.insert("source".into(), opt_s(b.source.as_deref()));
    m.insert("start_time".into(), opt_s(b.start_time.as_deref()));
    m.insert("start_ts".into(), opt_f(b.start_ts));
    m.insert("state".into(), Value::Int(b.state));
    m.insert("task_id".into(), opt_i(b.task_id));
    m.insert("version".into(), s(&b.version));
    m.insert("volume_id".into(), Value::Int(b.volume_id));
    m.insert("volume_name".into(), s(&b.volume_name));
    m.insert("cg_name".into(), opt_s(b.cg_name.as_deref()));
    Value::Struct(m)
}

/// `getTag` as a value.
pub(crate) fn tag_value(t: &Tag) -> Value {
    let mut m = Struct::new();
    m.insert("arches".into(), t.arches.clone());
    m.insert("id".into(), Value::Int(t.id));
    m.insert("locked".into(), Value::Bool(t.locked));
    m.insert("maven_include_all".into(), Value::Bool(t.maven_include_all));
    m.insert("maven_support".into(), Value::Bool(t.maven_support));
    m.insert("name".into(), s(&t.name));
    m.insert("perm".into(), opt_s(t.perm.as_deref()));
    m.insert("perm_id".into(), opt_i(t.perm_id));
    m.insert("extra".into(), Value::Struct(t.extra.clone()));
    Value::Struct(m)
}

fn body(members: Vec<(&str, Value)>) -> String {
    let mut m = Struct::new();
    for (k, v) in members {
        m.insert(k.into(), v);
    }
    value_to_json(&Value::Struct(m), JsonStyle::Compact)
}

fn now() -> (f64, String) {
    let ts = crate::time::now_ts();
    (ts, crate::time::format_ts(ts))
}

/// The id of package `name` in the data set.
pub(crate) fn dataset_package_id(ds: &Dataset, name: &str) -> Option<i64> {
    ds.package_by_name
        .get(name)
        .and_then(|i| ds.packages.get(*i))
        .map(|p| p.id)
}

/// A new live build row: BUILDING, started now, by `owner`, no task, no
/// content generator. `build`, `createEmptyBuild` and `CGInitBuild` /
/// `CGImport` start from it and set what differs.
pub(crate) fn started_build(
    id: i64,
    nvr: (&str, &str, &str),
    owner: &Actor,
    package_id: i64,
    event: i64,
) -> Build {
    let (name, version, release) = nvr;
    let (ts, time) = now();
    Build {
        id,
        version: version.to_owned(),
        release: release.to_owned(),
        epoch: None,
        draft: false,
        state: build_state::BUILDING,
        task_id: None,
        owner_id: owner.id,
        owner_name: owner.name.clone(),
        promoter_id: None,
        promoter_name: None,
        package_id,
        package_name: name.to_owned(),
        nvr: format!("{name}-{version}-{release}"),
        volume_id: 0,
        volume_name: "DEFAULT".to_owned(),
        creation_event_id: event,
        creation_time: time.clone(),
        creation_ts: ts,
        start_time: Some(time),
        start_ts: Some(ts),
        completion_time: None,
        completion_ts: None,
        promotion_time: None,
        promotion_ts: None,
        source: None,
        extra: Value::Nil,
        cg_id: None,
        cg_name: None,
        btype_info: Value::Struct(Struct::new()),
    }
}

/// The name, version and release a source builds: an SRPM path's file name
/// (`name-version-release.src.rpm`), or an SCM URL's repository name with
/// version `1.0` and release `<build id>.sim` (nothing is checked out).
fn nvr_of(src: &str, build_id: i64) -> (String, String, String) {
    let base = src.rsplit('/').next().unwrap_or(src);
    if let Some(stem) = base.strip_suffix(".src.rpm") {
        let mut parts = stem.rsplitn(3, '-');
        if let (Some(r), Some(v), Some(n)) = (parts.next(), parts.next(), parts.next()) {
            return (n.to_owned(), v.to_owned(), r.to_owned());
        }
    }
    let path = src.split('#').next().unwrap_or(src);
    let repo = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path);
    let name = repo.strip_suffix(".git").unwrap_or(repo);
    let name = if name.is_empty() { "unknown" } else { name };
    (name.to_owned(), "1.0".to_owned(), format!("{build_id}.sim"))
}

fn is_scm(src: &str) -> bool {
    src.contains("://")
}

impl Live {
    /// A live state whose new ids follow the data set's.
    pub(crate) fn new(ds: &Dataset) -> Live {
        Live {
            next_task: ds.tasks.iter().map(|t| t.id).max().unwrap_or(0) + 1,
            next_build: ds.builds.iter().map(|b| b.id).max().unwrap_or(0) + 1,
            ..Live::default()
        }
    }

    /// A task by id: live first, then the data set.
    pub(crate) fn task(&self, ds: &Dataset, id: i64) -> Option<Task> {
        if let Some(t) = self.tasks.get(&id) {
            return Some(t.clone());
        }
        ds.task_by_id
            .get(&id)
            .and_then(|i| ds.tasks.get(*i))
            .cloned()
    }

    /// The children of a task: the data set's (with live changes) in its
    /// order, then live ones by id.
    pub(crate) fn children(&self, ds: &Dataset, id: i64) -> Vec<Task> {
        let mut out: Vec<Task> = ds
            .children
            .get(&id)
            .into_iter()
            .flatten()
            .filter_map(|i| ds.tasks.get(*i))
            .map(|t| self.tasks.get(&t.id).unwrap_or(t).clone())
            .collect();
        // the data set's in the recorded hub's order, then new ones by id
        out.extend(
            self.tasks
                .values()
                .filter(|t| t.parent == Some(id) && !ds.task_by_id.contains_key(&t.id))
                .cloned(),
        );
        out
    }

    /// A live build by id or NVR.
    pub(crate) fn build(&self, info: &Value) -> Option<&Build> {
        match info {
            Value::Int(id) => self.builds.iter().find(|b| b.id == *id),
            Value::String(nvr) => self.builds.iter().find(|b| b.nvr == *nvr),
            _ => None,
        }
    }

    /// Removes a build from a tag (a live tagging, or a data-set listing
    /// when `ds_listed`); whether it was there.
    pub(crate) fn untag(&mut self, tag: i64, build: i64, ds_listed: bool) -> bool {
        if let Some(pos) = self
            .tagged
            .iter()
            .position(|x| x.tag_id == tag && x.build_id == build)
        {
            self.tagged.remove(pos);
            return true;
        }
        if ds_listed && !self.untagged.contains(&(tag, build)) {
            self.untagged.push((tag, build));
            return true;
        }
        false
    }

    /// Whether a build is in a tag (data-set listings, minus untaggings,
    /// plus live taggings).
    pub(crate) fn is_tagged(&self, ds: &Dataset, tag: i64, build: i64) -> bool {
        let listed = ds
            .listings
            .get(&tag)
            .is_some_and(|l| l.iter().any(|x| x.build_id == build));
        (listed && !self.untagged.contains(&(tag, build)))
            || self
                .tagged
                .iter()
                .any(|x| x.tag_id == tag && x.build_id == build)
    }

    /// Tags a build at once (`tagBuildBypass`), publishing `build.tag`.
    pub(crate) fn tag_now(
        &mut self,
        prefix: &str,
        tag: &Tag,
        b: &Build,
        user: &Actor,
        force: bool,
        event: i64,
    ) {
        self.untagged.retain(|x| *x != (tag.id, b.id));
        self.tagged.push(LiveTagging {
            tag_id: tag.id,
            build_id: b.id,
            event,
        });
        self.publish_tagging(prefix, false, tag, b, user, force);
    }

    /// Sets a task's priority (and its descendents' with `recurse`).
    pub(crate) fn set_priority(&mut self, ds: &Dataset, id: i64, priority: i64, recurse: bool) {
        if let Some(mut t) = self.task(ds, id) {
            t.priority = priority;
            self.tasks.insert(id, t);
        }
        if recurse {
            for c in self.children(ds, id) {
                self.set_priority(ds, c.id, priority, true);
            }
        }
    }

    /// `createEmptyBuild`: a COMPLETE build without files; publishes
    /// `build.complete` with `old` null. Returns its id.
    pub(crate) fn create_empty_build(
        &mut self,
        prefix: &str,
        ds: &Dataset,
        owner: &Actor,
        nvr: (&str, &str, &str),
        epoch: Option<i64>,
        event: i64,
    ) -> i64 {
        let id = self.next_build;
        self.next_build += 1;
        let package_id = dataset_package_id(ds, nvr.0).unwrap_or(0);
        // COMPLETE at once: the start time becomes the completion time
        let mut b = started_build(id, nvr, owner, package_id, event);
        b.epoch = epoch;
        b.state = build_state::COMPLETE;
        b.completion_time = b.start_time.take();
        b.completion_ts = b.start_ts.take();
        self.publish_build(prefix, &b, None);
        self.builds.push(b);
        id
    }

    /// A new build id (the hub's build sequence: ids are used up even
    /// when the call that took one fails later).
    pub(crate) fn alloc_build(&mut self) -> i64 {
        let id = self.next_build;
        self.next_build += 1;
        id
    }

    /// Whether the builder has nothing left to do.
    pub(crate) fn idle(&self) -> bool {
        self.jobs.is_empty()
    }

    fn alloc_task(&mut self) -> i64 {
        let id = self.next_task;
        self.next_task += 1;
        id
    }

    fn publish(
        &mut self,
        prefix: &str,
        topic: String,
        properties: Vec<(String, Prop)>,
        body: String,
    ) {
        let msg = Published {
            address: format!("{prefix}.{topic}"),
            topic,
            properties,
            body,
        };
        self.published.push(msg.clone());
        self.outbox.push(msg);
    }

    fn publish_task(&mut self, prefix: &str, t: &Task, old: Option<i64>, info: Value) {
        let new = state_name(t.state);
        let props = vec![
            ("type".to_owned(), Prop::Str("TaskStateChange".into())),
            ("id".to_owned(), Prop::Int(t.id)),
            ("parent".to_owned(), Prop::opt_int(t.parent)),
            ("method".to_owned(), Prop::Str(t.method.clone())),
            ("attribute".to_owned(), Prop::Str("state".into())),
            ("old".to_owned(), Prop::opt_str(old.map(state_name))),
            ("new".to_owned(), Prop::Str(new.into())),
        ];
        let text = body(vec![
            ("attribute", s("state")),
            ("old", opt_s(old.map(state_name))),
            ("new", s(new)),
            ("info", info),
        ]);
        self.publish(
            prefix,
            format!("task.{}", new.to_ascii_lowercase()),
            props,
            text,
        );
    }

    pub(crate) fn publish_build(&mut self, prefix: &str, b: &Build, old: Option<i64>) {
        let new = build_state_name(b.state);
        let props = vec![
            ("type".to_owned(), Prop::Str("BuildStateChange".into())),
            ("name".to_owned(), Prop::Str(b.package_name.clone())),
            ("version".to_owned(), Prop::Str(b.version.clone())),
            ("release".to_owned(), Prop::Str(b.release.clone())),
            ("attribute".to_owned(), Prop::Str("state".into())),
            ("old".to_owned(), Prop::opt_str(old.map(build_state_name))),
            ("new".to_owned(), Prop::Str(new.into())),
        ];
        let mut btypes = Struct::new();
        btypes.insert("rpm".into(), Value::Nil);
        let text = body(vec![
            ("attribute", s("state")),
            ("old", opt_i(old)),
            ("new", Value::Int(b.state)),
            ("info", build_value(b)),
            ("btypes", Value::Struct(btypes)),
        ]);
        self.publish(
            prefix,
            format!("build.{}", new.to_ascii_lowercase()),
            props,
            text,
        );
    }

    /// Publishes `build.tag` or `build.untag`.
    pub(crate) fn publish_tagging(
        &mut self,
        prefix: &str,
        untag: bool,
        tag: &Tag,
        b: &Build,
        user: &Actor,
        force: bool,
    ) {
        let props = vec![
            (
                "type".to_owned(),
                Prop::Str(if untag { "Untag" } else { "Tag" }.into()),
            ),
            ("tag".to_owned(), Prop::Str(tag.name.clone())),
            ("name".to_owned(), Prop::Str(b.package_name.clone())),
            ("version".to_owned(), Prop::Str(b.version.clone())),
            ("release".to_owned(), Prop::Str(b.release.clone())),
            ("user".to_owned(), Prop::Str(user.name.clone())),
        ];
        let mut members = vec![
            ("tag", tag_value(tag)),
            ("build", build_value(b)),
            ("user", user.user.clone()),
            ("force", Value::Bool(force)),
        ];
        if untag {
            members.push(("strict", Value::Bool(true)));
        }
        let topic = if untag { "build.untag" } else { "build.tag" };
        self.publish(prefix, topic.to_owned(), props, body(members));
    }

    /// Creates a top-level task (FREE) and publishes `task.free` with the
    /// insert-dict form of `info` (the request as XML text).
    fn new_task(
        id: i64,
        owner: &Actor,
        method: &str,
        arch: &str,
        (parent, label): (Option<i64>, Option<&str>),
        (priority, channel_id): (i64, i64),
        request: Vec<Value>,
    ) -> Task {
        let (ts, time) = now();
        let request_xml = koji_xmlrpc::encode_request(method, &request)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        Task {
            id,
            state: task_state::FREE,
            create_time: time,
            create_ts: ts,
            start_time: None,
            start_ts: None,
            completion_time: None,
            completion_ts: None,
            channel_id,
            host_id: None,
            parent,
            label: label.map(str::to_owned),
            waiting: None,
            awaited: parent.map(|_| false),
            owner: owner.id,
            owner_name: owner.name.clone(),
            owner_type: 0,
            method: method.to_owned(),
            arch: arch.to_owned(),
            priority,
            weight: 1.0,
            request: Value::Array(request),
            request_xml,
            result: TaskResult::None,
            result_xml: None,
            result_decoded: Value::Nil,
        }
    }

    fn insert_free(&mut self, prefix: &str, t: Task) {
        let mut info = Struct::new();
        info.insert("priority".into(), Value::Int(t.priority));
        info.insert("arch".into(), s(&t.arch));
        info.insert("owner".into(), Value::Int(t.owner));
        info.insert("label".into(), opt_s(t.label.as_deref()));
        info.insert("parent".into(), opt_i(t.parent));
        info.insert("channel_id".into(), Value::Int(t.channel_id));
        info.insert("request".into(), s(&t.request_xml));
        info.insert("state".into(), Value::Int(t.state));
        info.insert("method".into(), s(&t.method));
        info.insert("id".into(), Value::Int(t.id));
        self.publish_task(prefix, &t, None, Value::Struct(info));
        self.tasks.insert(t.id, t);
    }

    /// Submits a `build`: a FREE root task and the job that runs it.
    pub(crate) fn submit_build(
        &mut self,
        cfg: &SimConfig,
        ds: &Dataset,
        tags: &[Tag],
        owner: &Actor,
        req: &BuildRequest,
    ) -> i64 {
        let prefix = cfg.topic_prefix.as_str();
        let root = self.alloc_task();
        let request = vec![s(&req.src), s(&req.target), Value::Struct(req.opts.clone())];
        let t = Live::new_task(
            root,
            owner,
            "build",
            "noarch",
            (None, None),
            (req.priority, req.channel_id),
            request,
        );
        self.insert_free(prefix, t);
        let job = self.plan_build(cfg, ds, tags, owner, req, root);
        self.jobs.push(job);
        root
    }

    fn plan_build(
        &mut self,
        cfg: &SimConfig,
        ds: &Dataset,
        tags: &[Tag],
        owner: &Actor,
        req: &BuildRequest,
        root: i64,
    ) -> Job {
        let opt = |k: &str| req.opts.get(k).is_some_and(Value::is_truthy);
        let scratch = opt("scratch");
        let skip_tag = opt("skip_tag");
        let target = ds
            .targets
            .iter()
            .find(|t| t.get("name").and_then(Value::as_str) == Some(req.target.as_str()));
        let mut steps: VecDeque<Vec<Act>> = VecDeque::new();
        let host0 = pick_host(ds, req.channel_id, "noarch", 0);
        let Some(target) = target else {
            steps.push_back(vec![Act::Open(root, host0)]);
            steps.push_back(vec![Act::Fail(
                root,
                format!("No such build target: {}", req.target),
            )]);
            return Job::new(root, owner, steps);
        };
        let tag_by = |k: &str| {
            target
                .get(k)
                .and_then(Value::as_i64)
                .and_then(|id| tags.iter().find(|t| t.id == id))
        };
        let dest = tag_by("dest_tag").map(|t| t.id);
        let arches: Vec<String> = match req.opts.get("arch_override").and_then(Value::as_str) {
            Some(a) if !a.trim().is_empty() => a.split_whitespace().map(str::to_owned).collect(),
            _ => tag_by("build_tag")
                .and_then(|t| t.arches.as_str())
                .map(|a| a.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| vec!["x86_64".to_owned()]),
        };
        let build_id = BUILD_REF;
        let mut next_ref = -2;
        let mut placeholder = || {
            next_ref -= 1;
            next_ref + 1
        };
        let (name, version, release) = nvr_of(&req.src, root);
        let fail = cfg.fail_packages.contains(&name) || cfg.fail_targets.contains(&req.target);
        let prio = req.priority - 1;
        let chan = req.channel_id;
        // 1: the root opens; an SCM source gets its SRPM built first
        let mut first = vec![Act::Open(root, host0)];
        let scm = is_scm(&req.src);
        let srpm_name = format!("{name}-{version}-{release}.src.rpm");
        if scm {
            let id = placeholder();
            let t = Live::new_task(
                id,
                owner,
                "buildSRPMFromSCM",
                "noarch",
                (Some(root), Some("srpm")),
                (prio, chan),
                vec![
                    s(&req.src),
                    Value::Int(dest.unwrap_or_default()),
                    Value::Struct(Struct::new()),
                ],
            );
            first.push(Act::Spawn(Box::new(t)));
            first.push(Act::Wait(root));
            steps.push_back(first);
            steps.push_back(vec![Act::Open(id, host0)]);
            steps.push_back(vec![Act::CloseSrpm(id)]);
        } else {
            steps.push_back(first);
        }
        // the build row (not for scratch builds), then one buildArch per arch
        let mut spawn = Vec::new();
        if !scratch {
            let package_id = dataset_package_id(ds, &name).unwrap_or(0);
            let mut btype = Struct::new();
            btype.insert("rpm".into(), Value::Nil);
            spawn.push(Act::NewBuild(Box::new(Build {
                task_id: Some(root),
                source: Some(req.src.clone()),
                btype_info: Value::Struct(btype),
                ..started_build(build_id, (&name, &version, &release), owner, package_id, 0)
            })));
        }
        let srpm_path = if scm {
            format!("tasks/srpm/{srpm_name}")
        } else {
            req.src.clone()
        };
        let mut arch_ids = Vec::new();
        for a in &arches {
            let id = placeholder();
            let t = Live::new_task(
                id,
                owner,
                "buildArch",
                a,
                (Some(root), Some(a)),
                (prio, chan),
                vec![
                    s(&srpm_path),
                    Value::Int(dest.unwrap_or_default()),
                    s(a),
                    Value::Bool(true),
                    Value::Struct(Struct::new()),
                ],
            );
            spawn.push(Act::Spawn(Box::new(t)));
            arch_ids.push((id, a.clone()));
        }
        spawn.push(Act::Wait(root));
        steps.push_back(spawn);
        steps.push_back(
            arch_ids
                .iter()
                .enumerate()
                .map(|(i, (id, a))| Act::Open(*id, pick_host(ds, chan, a, i)))
                .collect(),
        );
        if fail {
            let (last, last_arch) = arch_ids.last().cloned().unwrap_or((root, "noarch".into()));
            let text = format!(
                "error: Bad exit status from /var/tmp/rpm-tmp.Xk2 (%build)\n    \
                 Bad exit status from /var/tmp/rpm-tmp.Xk2 (%build)\n\
                 Child return code was: 1 ({last_arch})"
            );
            let mut acts: Vec<Act> = arch_ids
                .iter()
                .filter(|(id, _)| *id != last)
                .map(|(id, _)| Act::CloseArch(*id))
                .collect();
            if last != root {
                acts.push(Act::Fail(last, text.clone()));
            }
            acts.push(Act::Fail(root, text));
            if !scratch {
                acts.push(Act::EndBuild(build_id, build_state::FAILED));
            }
            steps.push_back(acts);
            let mut job = Job::new(root, owner, steps);
            job.nvr = (name, version, release);
            job.src = req.src.clone();
            return job;
        }
        steps.push_back(arch_ids.iter().map(|(id, _)| Act::CloseArch(*id)).collect());
        let mut done = Vec::new();
        if !scratch {
            done.push(Act::EndBuild(build_id, build_state::COMPLETE));
        }
        match dest.filter(|_| !scratch && !skip_tag) {
            Some(tag) => {
                let id = placeholder();
                let t = Live::new_task(
                    id,
                    owner,
                    "tagBuild",
                    "noarch",
                    (Some(root), Some("tag")),
                    (prio, chan),
                    vec![
                        Value::Int(tag),
                        Value::Int(build_id),
                        Value::Bool(false),
                        Value::Nil,
                        Value::Bool(true),
                    ],
                );
                done.push(Act::Spawn(Box::new(t)));
                steps.push_back(done);
                steps.push_back(vec![Act::Open(id, host0)]);
                steps.push_back(vec![
                    Act::Tag {
                        build: build_id,
                        tag,
                        from: None,
                    },
                    Act::Close(id, Value::Nil),
                    Act::Close(root, Value::Nil),
                ]);
            }
            None => {
                done.push(Act::Close(root, Value::Nil));
                steps.push_back(done);
            }
        }
        let mut job = Job::new(root, owner, steps);
        job.nvr = (name, version, release);
        job.src = req.src.clone();
        job
    }

    /// Submits a `tagBuild` task (also what `moveBuild` makes).
    pub(crate) fn submit_tag(
        &mut self,
        cfg: &SimConfig,
        ds: &Dataset,
        owner: &Actor,
        req: &TagRequest,
    ) -> i64 {
        let prefix = cfg.topic_prefix.as_str();
        let root = self.alloc_task();
        let request = vec![
            Value::Int(req.tag),
            Value::Int(req.build),
            Value::Bool(req.force),
            opt_i(req.from),
        ];
        let t = Live::new_task(
            root,
            owner,
            "tagBuild",
            "noarch",
            (None, None),
            (10, 1),
            request,
        );
        self.insert_free(prefix, t);
        let host = pick_host(ds, 1, "noarch", 0);
        let steps = VecDeque::from([
            vec![Act::Open(root, host)],
            vec![
                Act::Tag {
                    build: req.build,
                    tag: req.tag,
                    from: req.from,
                },
                Act::Close(root, Value::Nil),
            ],
        ]);
        self.jobs.push(Job::new(root, owner, steps));
        root
    }

    /// Resubmits a top-level task: a FREE copy (same method, request,
    /// channel and priority) run from the start.
    pub(crate) fn resubmit(
        &mut self,
        cfg: &SimConfig,
        ds: &Dataset,
        tags: &[Tag],
        owner: &Actor,
        old: &Task,
    ) -> i64 {
        let params = match &old.request {
            Value::Array(p) => p.clone(),
            _ => Vec::new(),
        };
        if old.method == "build" {
            let req = BuildRequest {
                src: params
                    .first()
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                target: params
                    .get(1)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                opts: params
                    .get(2)
                    .and_then(Value::as_struct)
                    .cloned()
                    .unwrap_or_default(),
                priority: old.priority,
                channel_id: old.channel_id,
            };
            return self.submit_build(cfg, ds, tags, owner, &req);
        }
        if old.method == "tagBuild" {
            let req = TagRequest {
                tag: params.first().and_then(Value::as_i64).unwrap_or_default(),
                build: params.get(1).and_then(Value::as_i64).unwrap_or_default(),
                force: params.get(2).is_some_and(Value::is_truthy),
                from: params.get(3).and_then(Value::as_i64),
            };
            return self.submit_tag(cfg, ds, owner, &req);
        }
        let prefix = cfg.topic_prefix.as_str();
        let root = self.alloc_task();
        let t = Live::new_task(
            root,
            owner,
            &old.method,
            &old.arch,
            (None, old.label.as_deref()),
            (old.priority, old.channel_id),
            params,
        );
        self.insert_free(prefix, t);
        let host = pick_host(ds, old.channel_id, &old.arch, 0);
        let steps = VecDeque::from([
            vec![Act::Open(root, host)],
            vec![Act::Close(root, Value::Nil)],
        ]);
        self.jobs.push(Job::new(root, owner, steps));
        root
    }

    /// Cancels a task and (with `recurse`) its open descendents; stops the
    /// job it belongs to and cancels its BUILDING build.
    pub(crate) fn cancel(&mut self, prefix: &str, ds: &Dataset, id: i64, recurse: bool) {
        let Some(mut t) = self.task(ds, id) else {
            return;
        };
        if matches!(
            t.state,
            task_state::CLOSED | task_state::CANCELED | task_state::FAILED
        ) {
            return;
        }
        let old = t.state;
        let (ts, time) = now();
        t.state = task_state::CANCELED;
        t.completion_ts = Some(ts);
        t.completion_time = Some(time);
        let info = task_value(&t);
        self.publish_task(prefix, &t, Some(old), info);
        self.tasks.insert(id, t);
        if let Some(pos) = self.jobs.iter().position(|j| j.root == id) {
            self.jobs.remove(pos);
            let building: Vec<i64> = self
                .builds
                .iter()
                .filter(|b| b.task_id == Some(id) && b.state == build_state::BUILDING)
                .map(|b| b.id)
                .collect();
            for b in building {
                self.end_build(prefix, b, build_state::CANCELED);
            }
        }
        if recurse {
            for c in self.children(ds, id) {
                self.cancel(prefix, ds, c.id, true);
            }
        }
    }

    fn end_build(&mut self, prefix: &str, id: i64, state: i64) {
        let Some(pos) = self.builds.iter().position(|b| b.id == id) else {
            return;
        };
        let (ts, time) = now();
        let old = self.builds[pos].state;
        let b = &mut self.builds[pos];
        b.state = state;
        b.completion_ts = Some(ts);
        b.completion_time = Some(time);
        let b = b.clone();
        self.publish_build(prefix, &b, Some(old));
    }

    /// Runs one step of every job; returns whether anything happened.
    pub(crate) fn step(&mut self, ctx: &StepCtx<'_>) -> bool {
        let mut any = false;
        let mut jobs = std::mem::take(&mut self.jobs);
        for job in &mut jobs {
            if let Some(acts) = job.steps.pop_front() {
                any = true;
                for act in acts {
                    self.run(ctx, job, act);
                }
            }
        }
        jobs.retain(|j| !j.steps.is_empty());
        // jobs submitted while stepping (none today) are kept too
        jobs.append(&mut self.jobs);
        self.jobs = jobs;
        any
    }

    fn run(&mut self, ctx: &StepCtx<'_>, job: &mut Job, act: Act) {
        let prefix = ctx.prefix;
        let owner = &job.owner.clone();
        match act {
            Act::Spawn(mut t) => {
                if t.id < 0 {
                    let id = self.alloc_task();
                    job.ids.insert(t.id, id);
                    t.id = id;
                }
                // a tagBuild child names the build made earlier in the job
                if let Value::Array(params) = &mut t.request {
                    for p in params.iter_mut() {
                        if *p == Value::Int(BUILD_REF) {
                            *p = Value::Int(job.build.unwrap_or_default());
                        }
                    }
                }
                t.request_xml = koji_xmlrpc::encode_request(
                    &t.method,
                    match &t.request {
                        Value::Array(p) => p.as_slice(),
                        _ => &[],
                    },
                )
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
                self.insert_free(prefix, *t);
            }
            Act::CloseSrpm(id) => {
                let id = job.id(id);
                let (name, version, release) = &job.nvr;
                let mut res = Struct::new();
                res.insert(
                    "srpm".into(),
                    s(&format!(
                        "tasks/{id}/{id}/{name}-{version}-{release}.src.rpm"
                    )),
                );
                res.insert(
                    "logs".into(),
                    Value::Array(vec![s(&format!("tasks/{id}/{id}/root-{id}.log"))]),
                );
                let mut src = Struct::new();
                src.insert("source".into(), s(&job.src));
                src.insert("url".into(), s(&job.src));
                res.insert("source".into(), Value::Struct(src));
                self.run(ctx, job, Act::Close(id, Value::Struct(res)));
            }
            Act::CloseArch(id) => {
                let id = job.id(id);
                let arch = self
                    .tasks
                    .get(&id)
                    .map(|t| t.arch.clone())
                    .unwrap_or_default();
                let (name, version, release) = &job.nvr;
                let res = arch_result(id, name, version, release, &arch);
                self.run(ctx, job, Act::Close(id, res));
            }
            Act::Open(id, host) => self.change(ctx, job.id(id), |t| {
                let (ts, time) = now();
                t.state = task_state::OPEN;
                t.host_id = Some(host);
                t.start_ts = Some(ts);
                t.start_time = Some(time);
            }),
            Act::Wait(id) => {
                if let Some(t) = self.tasks.get_mut(&job.id(id)) {
                    t.waiting = Some(true);
                }
            }
            Act::Close(id, result) => self.change(ctx, job.id(id), |t| {
                let (ts, time) = now();
                t.state = task_state::CLOSED;
                t.completion_ts = Some(ts);
                t.completion_time = Some(time);
                if t.parent.is_none() {
                    t.waiting = Some(false);
                }
                t.result_decoded = Value::Array(vec![result.clone()]);
                t.result_xml = koji_xmlrpc::encode_response(&result)
                    .ok()
                    .map(|b| String::from_utf8_lossy(&b).into_owned());
                t.result = TaskResult::Ok(result);
            }),
            Act::Fail(id, text) => self.change(ctx, job.id(id), |t| {
                let (ts, time) = now();
                t.state = task_state::FAILED;
                t.completion_ts = Some(ts);
                t.completion_time = Some(time);
                let mut f = Struct::new();
                f.insert("faultCode".into(), Value::Int(BUILD_ERROR));
                f.insert("faultString".into(), s(&text));
                let fault = koji_xmlrpc::encode_fault(&koji_xmlrpc::Fault::new(BUILD_ERROR, &text));
                t.result_xml = Some(String::from_utf8_lossy(&fault).into_owned());
                t.result_decoded = Value::Struct(f);
                t.result = TaskResult::Fault {
                    code: BUILD_ERROR,
                    string: text,
                };
            }),
            Act::NewBuild(mut b) => {
                b.id = self.next_build;
                self.next_build += 1;
                job.build = Some(b.id);
                b.creation_event_id = ctx.event;
                let b = *b;
                self.publish_build(prefix, &b, None);
                self.builds.push(b);
            }
            Act::EndBuild(id, state) => {
                if let Some(id) = job.build_id(id) {
                    self.end_build(prefix, id, state);
                }
            }
            Act::Tag { build, tag, from } => {
                let Some(build) = job.build_id(build) else {
                    return;
                };
                let Some(b) = self
                    .builds
                    .iter()
                    .find(|b| b.id == build)
                    .cloned()
                    .or_else(|| ds_build(ctx.ds, build))
                else {
                    return;
                };
                if let Some(from) = from {
                    let before = self.tagged.len();
                    self.tagged
                        .retain(|x| !(x.tag_id == from && x.build_id == build));
                    if let Some(t) = ctx.tags.iter().find(|t| t.id == from) {
                        if before != self.tagged.len() || ctx.ds_tagged(from, build) {
                            self.publish_tagging(prefix, true, t, &b, owner, false);
                        }
                    }
                }
                if let Some(t) = ctx.tags.iter().find(|t| t.id == tag) {
                    self.untagged.retain(|x| *x != (tag, build));
                    self.tagged.push(LiveTagging {
                        tag_id: tag,
                        build_id: build,
                        event: ctx.event,
                    });
                    self.publish_tagging(prefix, false, t, &b, owner, false);
                }
            }
        }
    }

    fn change(&mut self, ctx: &StepCtx<'_>, id: i64, f: impl FnOnce(&mut Task)) {
        let Some(mut t) = self.task(ctx.ds, id) else {
            return;
        };
        if matches!(
            t.state,
            task_state::CLOSED | task_state::CANCELED | task_state::FAILED
        ) {
            return;
        }
        let old = t.state;
        f(&mut t);
        let info = task_value(&t);
        self.publish_task(ctx.prefix, &t, Some(old), info);
        self.tasks.insert(id, t);
    }
}

fn ds_build(ds: &Dataset, id: i64) -> Option<Build> {
    ds.build_by_id
        .get(&id)
        .and_then(|i| ds.builds.get(*i))
        .cloned()
}

fn arch_result(id: i64, name: &str, version: &str, release: &str, arch: &str) -> Value {
    let mut r = Struct::new();
    let rpm_arch = if arch == "noarch" { "noarch" } else { arch };
    r.insert(
        "rpms".into(),
        Value::Array(vec![s(&format!(
            "tasks/{id}/{id}/{name}-{version}-{release}.{rpm_arch}.rpm"
        ))]),
    );
    r.insert("srpms".into(), Value::Array(vec![]));
    r.insert(
        "logs".into(),
        Value::Array(vec![s(&format!("tasks/{id}/{id}/build-{id}.log"))]),
    );
    r.insert("brootid".into(), Value::Int(id));
    Value::Struct(r)
}

/// A host of the channel that can build `arch` (the `i`-th such, round
/// robin), else the channel's `i`-th host, else host 1.
fn pick_host(ds: &Dataset, channel: i64, arch: &str, i: usize) -> i64 {
    let ids: Vec<i64> = ds.channel_hosts.get(&channel).cloned().unwrap_or_default();
    let able: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|h| {
            arch == "noarch"
                || ds.hosts.iter().any(|x| {
                    x.get("id").and_then(Value::as_i64) == Some(*h)
                        && x.get("arches")
                            .and_then(Value::as_str)
                            .is_some_and(|a| a.split_whitespace().any(|y| y == arch))
                })
        })
        .collect();
    let pool = if able.is_empty() { &ids } else { &able };
    if pool.is_empty() {
        return 1;
    }
    pool[i % pool.len()]
}

/// What a step needs from the hub.
pub(crate) struct StepCtx<'a> {
    pub(crate) ds: &'a Dataset,
    pub(crate) tags: &'a [Tag],
    pub(crate) prefix: &'a str,
    pub(crate) event: i64,
}

impl StepCtx<'_> {
    fn ds_tagged(&self, tag: i64, build: i64) -> bool {
        self.ds
            .listings
            .get(&tag)
            .is_some_and(|l| l.iter().any(|x| x.build_id == build))
    }
}

#[cfg(test)]
mod tests {
    use super::nvr_of;

    #[test]
    fn nvr_from_srpm_and_scm() {
        assert_eq!(
            nvr_of("cli-build/1.2.abc/hello-1.3-1.fc40.src.rpm", 9),
            ("hello".into(), "1.3".into(), "1.fc40".into())
        );
        assert_eq!(
            nvr_of("git+https://git.example.org/rpms/hello.git#0123", 9),
            ("hello".into(), "1.0".into(), "9.sim".into())
        );
    }
}
