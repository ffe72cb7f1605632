//! The commands, each a function from parsed arguments to output.

use std::ffi::OsString;
use std::io::BufRead as _;
use std::path::Path;

use jiff::{SignedDuration, Timestamp};
use koji_client::config::{Config, ConfigSources, Profile, ProfileOrigin};
use koji_client::web::WebObject;
use koji_client::{
    Build, BuildState, Channel, Connection, Host, Package, Struct, Tag, Task, TaskDescendents,
    TaskState, User, Value,
};
use serde_json::{Map, json};

use crate::cli::{self, Cli, Command};
use crate::failure::Failure;
use crate::format::{self, Painter, Table, fields};
use crate::output::{Output, object};

/// Everything a command needs: the profile, its connection, the output.
pub(crate) struct Ctx {
    pub(crate) profile: Profile,
    pub(crate) koji: Connection,
    pub(crate) out: Output,
    /// The command line as typed, for the offline hint.
    pub(crate) args: Vec<String>,
}

impl Ctx {
    fn weburl(&self) -> &str {
        self.profile.weburl()
    }

    /// Maps a library error to a failure; on a connection failure with the
    /// built-in profile, names the offline command that runs the same job.
    fn fail(&self, e: &koji_client::Error) -> Failure {
        let failure = Failure::from_client(e, self.profile.server());
        if failure.code == crate::failure::EXIT_CONNECTION
            && !e.is_tls()
            && matches!(self.profile.origin(), ProfileOrigin::BuiltIn)
        {
            let hint = failure.hint.clone().unwrap_or_default();
            return failure.with_hint(format!(
                "{hint}\nTo run the same job offline against koji-testhub with the bundled data set:\n    scripts/offline {}",
                self.args.join(" ")
            ));
        }
        failure
    }
}

/// Loads the configuration as `koji` does, honouring `-c`.
fn load_config(cli: &Cli) -> Result<Config, Failure> {
    let mut sources = ConfigSources::system();
    if let Some(path) = &cli.global.config {
        sources = sources.with_user_config(path);
    }
    Config::load(&sources).map_err(|e| Failure::from_config(&e))
}

/// `-p`, else the program name if it is a profile, else `koji`, else the
/// built-in `fedora` — the `koji` command's rule, plus our built-in.
pub(crate) fn choose_profile(
    explicit: Option<&str>,
    argv0: Option<&OsString>,
    config: &Config,
) -> String {
    if let Some(name) = explicit {
        return name.to_owned();
    }
    let program = argv0
        .and_then(|a| Path::new(a).file_name())
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty());
    if let Some(program) = program {
        if config.has_profile(program) && program != "rkoji" {
            return program.to_owned();
        }
    }
    if config.has_profile("koji") {
        return "koji".to_owned();
    }
    koji_client::config::BUILTIN_PROFILE.to_owned()
}

/// Runs one command.
pub(crate) async fn run(cli: Cli, argv0: Option<OsString>) -> Result<(), Failure> {
    let config = load_config(&cli)?;
    let out = Output {
        json: cli.global.json,
        paint: Painter {
            enabled: !cli.global.json && format::colour_stdout(),
        },
    };
    if let Command::Profiles = cli.command {
        return profiles(&config, &out);
    }
    let name = choose_profile(cli.global.profile.as_deref(), argv0.as_ref(), &config);
    let profile = config
        .profile(&name)
        .map_err(|e| Failure::from_config(&e))?;
    let mut builder = koji_client::ConnectionBuilder::from_profile(&profile);
    if matches!(profile.origin(), ProfileOrigin::BuiltIn) {
        // The built-in profile is ours to define: an anonymous call that
        // cannot reach the hub fails at once (with the offline hint) instead
        // of retrying for minutes as koji's anon_retry default would.
        builder = builder.anon_retry(false);
    }
    let koji = builder
        .build()
        .map_err(|e| Failure::from_client(&e, profile.server()))?;
    let ctx = Ctx {
        profile,
        koji,
        out,
        args: std::env::args().skip(1).collect(),
    };
    match cli.command {
        Command::Call {
            method,
            args,
            kwargs,
        } => call(&ctx, &method, &args, &kwargs).await,
        Command::Multicall { batch } => multicall(&ctx, batch).await,
        Command::Build { build } => build_cmd(&ctx, &build).await,
        Command::Builds {
            package,
            state,
            limit,
        } => builds(&ctx, &package, state.as_deref(), limit).await,
        Command::Task { id } => task_cmd(&ctx, id).await,
        Command::Estimate { target } => estimate(&ctx, &target).await,
        Command::Channel { channel } => channel_cmd(&ctx, &channel).await,
        Command::Web { url } => web(&ctx, &url).await,
        Command::Whoami => whoami(&ctx, cli.global.noauth).await,
        Command::Watch(args) => crate::watch::run(&ctx, &args).await,
        Command::Profiles | Command::Completions { .. } | Command::Man => Ok(()),
    }
}

fn profiles(config: &Config, out: &Output) -> Result<(), Failure> {
    let mut rows = Vec::new();
    for name in config.profile_names() {
        let (server, origin) = match config.profile(name) {
            Ok(p) => (p.server().to_owned(), origin_text(p.origin())),
            Err(e) => (format!("(invalid: {e})"), String::new()),
        };
        rows.push((name.to_owned(), server, origin));
    }
    if out.json {
        let items: Vec<_> = rows
            .iter()
            .map(|(name, server, origin)| json!({"name": name, "server": server, "from": origin}))
            .collect();
        return out.json(&json!({"files": config.files(), "profiles": items}));
    }
    let mut table = Table::new(["PROFILE", "SERVER", "FROM"]);
    for (name, server, origin) in rows {
        table.row([name, server, origin]);
    }
    out.text(&table.render())
}

fn origin_text(origin: &ProfileOrigin) -> String {
    match origin {
        ProfileOrigin::BuiltIn => "built-in".to_owned(),
        ProfileOrigin::Files(files) => files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        #[allow(unreachable_patterns)]
        _ => String::new(),
    }
}

/// Calls `method` with positional `args` and keyword arguments `kwargs`
/// (a JSON object) and decodes the answer into `T`.
async fn call_kw<T: serde::de::DeserializeOwned + Send>(
    ctx: &Ctx,
    method: &str,
    args: impl serde::Serialize,
    kwargs: serde_json::Value,
) -> Result<T, Failure> {
    ctx.koji
        .request(method)
        .args(args)
        .kwargs(kwargs)
        .typed()
        .await
        .map_err(|e| ctx.fail(&e))
}

/// Converts a command-line JSON value into a hub value.
fn to_value(v: serde_json::Value) -> Result<Value, Failure> {
    serde_json::from_value(v).map_err(|e| Failure::usage(format!("bad argument: {e}")))
}

async fn call(ctx: &Ctx, method: &str, args: &[String], kwargs: &[String]) -> Result<(), Failure> {
    let args = args
        .iter()
        .map(|a| to_value(cli::json_or_string(a)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut kw = Struct::new();
    for text in kwargs {
        let (name, value) = cli::kwarg(text).map_err(Failure::usage)?;
        kw.insert(name, to_value(value)?);
    }
    let result = if kw.is_empty() {
        ctx.koji.call(method, args).await
    } else {
        ctx.koji.call_with(method, args, kw).await
    };
    let value = result.map_err(|e| ctx.fail(&e))?;
    ctx.out.json(&value)
}

/// One line of `multicall` input.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CallLine {
    method: String,
    #[serde(default)]
    args: Vec<serde_json::Value>,
    #[serde(default)]
    kwargs: Map<String, serde_json::Value>,
}

async fn multicall(ctx: &Ctx, batch: usize) -> Result<(), Failure> {
    if batch == 0 {
        return Err(Failure::usage("--batch must be at least 1"));
    }
    let mut calls = Vec::new();
    for (n, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line.map_err(Failure::io)?;
        if line.trim().is_empty() {
            continue;
        }
        let call: CallLine = serde_json::from_str(&line).map_err(|e| {
            Failure::usage(format!(
                "stdin line {}: expected {{\"method\":..,\"args\":[..],\"kwargs\":{{..}}}}: {e}",
                n + 1
            ))
        })?;
        let mut params = call
            .args
            .into_iter()
            .map(to_value)
            .collect::<Result<Vec<_>, _>>()?;
        if !call.kwargs.is_empty() {
            let kw = to_value(serde_json::Value::Object(call.kwargs))?;
            if let Value::Struct(kw) = kw {
                params.push(koji_xmlrpc::kwargs_struct(kw));
            }
        }
        let mut entry = Struct::new();
        entry.insert("methodName".to_owned(), Value::String(call.method));
        entry.insert("params".to_owned(), Value::Array(params));
        calls.push(Value::Struct(entry));
    }
    let progress = crate::format::progress(calls.len() as u64);
    for chunk in calls.chunks(batch) {
        let answer = ctx
            .koji
            .call("multiCall", (chunk,))
            .await
            .map_err(|e| ctx.fail(&e))?;
        let Value::Array(entries) = answer else {
            return Err(Failure::not_found(
                "the hub's multiCall answer is not a list",
            ));
        };
        for entry in entries {
            let line = match entry {
                Value::Array(mut one) if one.len() == 1 => serde_json::to_value(one.remove(0))
                    .map_err(|e| Failure::io(std::io::Error::other(e)))?,
                Value::Struct(fault) => json!({"fault": {
                    "code": fault.get("faultCode"),
                    "message": fault.get("faultString"),
                }}),
                other => {
                    json!({"fault": {"code": null, "message": format!("unexpected multicall entry: {other:?}")}})
                }
            };
            ctx.out.json_line(&line)?;
        }
        progress.inc(chunk.len() as u64);
    }
    progress.finish_and_clear();
    Ok(())
}

/// RFC 3339 text of a timestamp, for JSON.
fn ts_json(ts: Option<Timestamp>) -> serde_json::Value {
    ts.map_or(serde_json::Value::Null, |t| json!(t.to_string()))
}

fn secs_json(d: Option<SignedDuration>) -> serde_json::Value {
    d.map_or(serde_json::Value::Null, |d| json!(d.as_secs_f64()))
}

fn show_time(ts: Option<Timestamp>) -> String {
    ts.map_or_else(|| "-".to_owned(), format::local_time)
}

fn show_duration(d: Option<SignedDuration>) -> String {
    d.map_or_else(|| "-".to_owned(), format::duration)
}

/// `NVR` or id → the build.
async fn fetch_build(ctx: &Ctx, reference: &str) -> Result<Build, Failure> {
    let arg = match reference.parse::<i64>() {
        Ok(id) => Value::Int(id),
        Err(_) => Value::String(reference.to_owned()),
    };
    let build: Option<Build> = ctx
        .koji
        .call_as("getBuild", (arg,))
        .await
        .map_err(|e| ctx.fail(&e))?;
    build.ok_or_else(|| Failure::not_found(format!("no such build: {reference}")))
}

fn build_derived(ctx: &Ctx, b: &Build, now: Timestamp) -> Map<String, serde_json::Value> {
    let mut d = Map::new();
    d.insert("state_name".into(), json!(b.state_name()));
    d.insert("started".into(), ts_json(b.started().ok().flatten()));
    d.insert("completed".into(), ts_json(b.completed().ok().flatten()));
    d.insert(
        "duration_secs".into(),
        secs_json(b.duration(now).ok().flatten()),
    );
    d.insert("task_id".into(), json!(b.task_id()));
    d.insert("url".into(), json!(b.url(ctx.weburl())));
    d
}

async fn build_cmd(ctx: &Ctx, reference: &str) -> Result<(), Failure> {
    let build = fetch_build(ctx, reference).await?;
    let now = Timestamp::now();
    let tags: Vec<Tag> = match build.build_id() {
        Some(id) => call_kw(ctx, "listTags", (), json!({"build": id})).await?,
        None => Vec::new(),
    };
    let tag_names: Vec<String> = tags.iter().filter_map(|t| t.name.clone()).collect();
    let mut derived = build_derived(ctx, &build, now);
    derived.insert("tags".into(), json!(tag_names));
    if ctx.out.json {
        let mut obj = object(&build);
        obj.insert("derived".into(), serde_json::Value::Object(derived));
        return ctx.out.json(&obj);
    }
    let p = ctx.out.paint;
    let state = build.state_name().unwrap_or_else(|| "-".into());
    let task = match build.task_id() {
        Some(id) => format!(
            "{id} {}",
            koji_client::web::join(ctx.weburl(), &format!("taskinfo?taskID={id}"))
        ),
        None => "-".to_owned(),
    };
    let text = fields(&[
        ("Build", p.bold(&build.nvr().unwrap_or_default())),
        ("ID", opt(build.build_id())),
        ("State", p.state(&state)),
        (
            "Owner",
            build.owner_name.clone().unwrap_or_else(|| "-".into()),
        ),
        ("Started", show_time(build.started().ok().flatten())),
        ("Completed", show_time(build.completed().ok().flatten())),
        (
            "Duration",
            show_duration(build.duration(now).ok().flatten()),
        ),
        ("Task", task),
        ("Source", build.source.clone().unwrap_or_else(|| "-".into())),
        (
            "Tags",
            if tag_names.is_empty() {
                "-".into()
            } else {
                tag_names.join(", ")
            },
        ),
        ("URL", build.url(ctx.weburl()).unwrap_or_default()),
    ]);
    ctx.out.text(&text)
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

async fn builds(ctx: &Ctx, package: &str, state: Option<&str>, limit: u32) -> Result<(), Failure> {
    let package_arg = match package.parse::<i64>() {
        Ok(id) => json!(id),
        Err(_) => json!(package),
    };
    let mut kwargs = json!({
        "packageID": package_arg,
        "queryOpts": {"order": "-build_id", "limit": limit},
    });
    if let Some(state) = state {
        let s: BuildState = state.to_ascii_uppercase().parse().map_err(|_| {
            Failure::usage(format!(
                "unknown build state {state:?}: use BUILDING, COMPLETE, DELETED, FAILED or CANCELED"
            ))
        })?;
        kwargs["state"] = json!(s.code());
    }
    let list: Vec<Build> = call_kw(ctx, "listBuilds", (), kwargs).await?;
    let now = Timestamp::now();
    if ctx.out.json {
        let items: Vec<_> = list
            .iter()
            .map(|b| {
                let mut obj = object(b);
                obj.insert(
                    "derived".into(),
                    serde_json::Value::Object(build_derived(ctx, b, now)),
                );
                obj
            })
            .collect();
        return ctx.out.json(&items);
    }
    if list.is_empty() {
        return ctx.out.text(&format!("no builds of {package}\n"));
    }
    let p = ctx.out.paint;
    let mut table = Table::new(["NVR", "STATE", "OWNER", "FINISHED", "DURATION"]);
    for b in &list {
        table.row([
            b.nvr().unwrap_or_default(),
            p.state(&b.state_name().unwrap_or_default()),
            b.owner_name.clone().unwrap_or_default(),
            show_time(b.completed().ok().flatten()),
            show_duration(b.duration(now).ok().flatten()),
        ]);
    }
    ctx.out.text(&table.render())
}

async fn fetch_task(ctx: &Ctx, id: i64) -> Result<Task, Failure> {
    let task: Option<Task> = call_kw(ctx, "getTaskInfo", (id,), json!({"request": true})).await?;
    task.ok_or_else(|| Failure::not_found(format!("no such task: {id}")))
}

async fn user_name(ctx: &Ctx, id: Option<i64>) -> Option<String> {
    let id = id?;
    let user: Option<User> = ctx.koji.call_as("getUser", (id,)).await.ok()?;
    user?.name
}

fn task_derived(ctx: &Ctx, t: &Task, now: Timestamp) -> Map<String, serde_json::Value> {
    let mut d = Map::new();
    d.insert("state_name".into(), json!(t.state_name()));
    d.insert("package".into(), json!(t.package().ok().flatten()));
    d.insert("target".into(), json!(t.target().ok().flatten()));
    d.insert("arch".into(), json!(t.arch().ok().flatten()));
    d.insert("scratch".into(), json!(t.is_scratch().ok()));
    d.insert("created".into(), ts_json(t.created().ok().flatten()));
    d.insert("started".into(), ts_json(t.started().ok().flatten()));
    d.insert("completed".into(), ts_json(t.completed().ok().flatten()));
    d.insert(
        "duration_secs".into(),
        secs_json(t.duration(now).ok().flatten()),
    );
    d.insert("url".into(), json!(t.url(ctx.weburl())));
    d
}

async fn task_cmd(ctx: &Ctx, id: i64) -> Result<(), Failure> {
    let task = fetch_task(ctx, id).await?;
    let now = Timestamp::now();
    let owner = user_name(ctx, task.owner).await;
    let descendents: TaskDescendents = ctx
        .koji
        .call_as("getTaskDescendents", (id,))
        .await
        .map_err(|e| ctx.fail(&e))?;
    let mut subtasks: Vec<&Task> = descendents.all();
    subtasks.retain(|t| t.id != Some(id));
    subtasks.sort_by_key(|t| t.id);
    let mut derived = task_derived(ctx, &task, now);
    derived.insert("owner_name".into(), json!(owner));
    let subs: Vec<_> = subtasks
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "method": t.method,
                "arch": t.arch,
                "state_name": t.state_name(),
                "duration_secs": secs_json(t.duration(now).ok().flatten()),
                "url": t.url(ctx.weburl()),
            })
        })
        .collect();
    derived.insert("descendents".into(), json!(subs));
    if ctx.out.json {
        let mut obj = object(&task);
        obj.insert("derived".into(), serde_json::Value::Object(derived));
        return ctx.out.json(&obj);
    }
    let p = ctx.out.paint;
    let text_of = |r: Result<Option<String>, koji_client::ModelError>| match r {
        Ok(Some(s)) => s,
        Ok(None) => "-".to_owned(),
        Err(e) => format!("(cannot tell: {e})"),
    };
    let mut text = fields(&[
        ("Task", p.bold(&id.to_string())),
        ("Method", task.method.clone().unwrap_or_default()),
        ("State", p.state(&task.state_name().unwrap_or_default())),
        ("Package", text_of(task.package())),
        ("Target", text_of(task.target())),
        ("Arch", text_of(task.arch())),
        (
            "Scratch",
            task.is_scratch().map_or_else(
                |e| format!("(cannot tell: {e})"),
                |s| if s { "yes".into() } else { "no".into() },
            ),
        ),
        ("Owner", owner.unwrap_or_else(|| opt(task.owner))),
        ("Created", show_time(task.created().ok().flatten())),
        ("Started", show_time(task.started().ok().flatten())),
        ("Completed", show_time(task.completed().ok().flatten())),
        ("Duration", show_duration(task.duration(now).ok().flatten())),
        ("URL", task.url(ctx.weburl()).unwrap_or_default()),
    ]);
    if !subtasks.is_empty() {
        let mut table = Table::new(["ID", "METHOD", "ARCH", "STATE", "DURATION"]);
        for t in &subtasks {
            table.row([
                opt(t.id),
                t.method.clone().unwrap_or_default(),
                t.arch.clone().unwrap_or_default(),
                p.state(&t.state_name().unwrap_or_default()),
                show_duration(t.duration(now).ok().flatten()),
            ]);
        }
        text.push('\n');
        text.push_str(&table.render());
    }
    ctx.out.text(&text)
}

async fn estimate(ctx: &Ctx, target: &str) -> Result<(), Failure> {
    let package = target;
    if target.parse::<i64>().is_ok() {
        return Err(Failure::usage(
            "task estimates need the estimates module, which this build does not have yet",
        ));
    }
    let avg: Option<f64> = ctx
        .koji
        .call_as("getAverageBuildDuration", (package,))
        .await
        .map_err(|e| ctx.fail(&e))?;
    let avg = avg.map(SignedDuration::from_secs_f64);
    if ctx.out.json {
        return ctx
            .out
            .json(&json!({"package": package, "average_duration_secs": secs_json(avg)}));
    }
    match avg {
        Some(d) => ctx.out.text(&format!(
            "{package}: builds take {} on average\n",
            format::duration(d)
        )),
        None => Err(Failure::not_found(format!(
            "no average build duration for {package}: no complete builds, or no such package"
        ))),
    }
}

async fn channel_cmd(ctx: &Ctx, reference: &str) -> Result<(), Failure> {
    let arg = match reference.parse::<i64>() {
        Ok(id) => Value::Int(id),
        Err(_) => Value::String(reference.to_owned()),
    };
    let channel: Option<Channel> = ctx
        .koji
        .call_as("getChannel", (arg,))
        .await
        .map_err(|e| ctx.fail(&e))?;
    let channel =
        channel.ok_or_else(|| Failure::not_found(format!("no such channel: {reference}")))?;
    let id = channel
        .id
        .ok_or_else(|| Failure::not_found("the hub's channel has no id"))?;
    let hosts: Vec<Host> = call_kw(ctx, "listHosts", (), json!({"channelID": id})).await?;
    let active = [TaskState::Free, TaskState::Open, TaskState::Assigned];
    let tasks: Vec<Task> = call_kw(ctx, "listTasks", (), json!({
                "opts": {"channel_id": id, "state": active.iter().map(TaskState::code).collect::<Vec<_>>(), "decode": true},
                "queryOpts": {"order": "priority,create_time"},
            })).await?;
    let capacity: f64 = hosts
        .iter()
        .filter(|h| h.enabled == Some(true))
        .filter_map(|h| h.capacity)
        .sum();
    let load: f64 = hosts
        .iter()
        .filter(|h| h.enabled == Some(true))
        .filter_map(|h| h.task_load)
        .sum();
    let now = Timestamp::now();
    if ctx.out.json {
        let tasks: Vec<_> = tasks
            .iter()
            .map(|t| {
                let mut obj = object(t);
                obj.insert(
                    "derived".into(),
                    serde_json::Value::Object(task_derived(ctx, t, now)),
                );
                obj
            })
            .collect();
        let mut obj = object(&channel);
        obj.insert(
            "derived".into(),
            json!({"url": channel.url(ctx.weburl()), "total_capacity": capacity, "task_load": load}),
        );
        return ctx
            .out
            .json(&json!({"channel": obj, "hosts": hosts, "tasks": tasks}));
    }
    let p = ctx.out.paint;
    let mut text = fields(&[
        ("Channel", p.bold(&channel.name.clone().unwrap_or_default())),
        ("ID", id.to_string()),
        (
            "Capacity",
            format!("{capacity} (enabled hosts), load {load}"),
        ),
        ("URL", channel.url(ctx.weburl()).unwrap_or_default()),
    ]);
    let mut table = Table::new(["HOST", "ENABLED", "READY", "LOAD", "CAPACITY", "ARCHES"]);
    for h in &hosts {
        table.row([
            h.name.clone().unwrap_or_default(),
            yes_no(h.enabled),
            yes_no(h.ready),
            opt(h.task_load),
            opt(h.capacity),
            h.arches.clone().unwrap_or_default(),
        ]);
    }
    text.push('\n');
    text.push_str(&table.render());
    let mut table = Table::new([
        "TASK",
        "STATE",
        "METHOD",
        "PACKAGE",
        "CREATED",
        "RUNNING FOR",
    ]);
    for t in &tasks {
        table.row([
            opt(t.id),
            p.state(&t.state_name().unwrap_or_default()),
            t.method.clone().unwrap_or_default(),
            t.package().ok().flatten().unwrap_or_else(|| "-".into()),
            show_time(t.created().ok().flatten()),
            show_duration(t.duration(now).ok().flatten()),
        ]);
    }
    text.push('\n');
    if table.is_empty() {
        text.push_str("no open or free tasks\n");
    } else {
        text.push_str(&table.render());
    }
    ctx.out.text(&text)
}

fn yes_no(v: Option<bool>) -> String {
    match v {
        Some(true) => "yes".into(),
        Some(false) => "no".into(),
        None => "-".into(),
    }
}

async fn web(ctx: &Ctx, url: &str) -> Result<(), Failure> {
    let Some(object) = WebObject::parse(url) else {
        return Err(Failure::usage(format!(
            "not a kojiweb URL of a build, task, package, tag, user, host, channel or build target: {url}"
        )));
    };
    match object {
        WebObject::Build(id) => build_cmd(ctx, &id.to_string()).await,
        WebObject::Task(id) => task_cmd(ctx, id).await,
        WebObject::Channel(id) => channel_cmd(ctx, &id.to_string()).await,
        other => {
            let method = other.hub_method();
            let arg = match &other {
                WebObject::Package(r)
                | WebObject::Tag(r)
                | WebObject::User(r)
                | WebObject::Host(r)
                | WebObject::BuildTarget(r)
                | WebObject::Repo(r)
                | WebObject::HostOfUser(r) => {
                    serde_json::to_value(r).map_err(|e| Failure::io(std::io::Error::other(e)))?
                }
                _ => serde_json::Value::Null,
            };
            let value = if let WebObject::HostOfUser(_) = other {
                ctx.koji.call_with(method, (), json!({"userID": arg})).await
            } else {
                ctx.koji.call(method, (to_value(arg)?,)).await
            }
            .map_err(|e| ctx.fail(&e))?;
            if matches!(value, Value::Nil) || matches!(&value, Value::Array(a) if a.is_empty()) {
                return Err(Failure::not_found(format!(
                    "{url} shows nothing on this hub"
                )));
            }
            print_generic(ctx, &other, value)
        }
    }
}

fn print_generic(ctx: &Ctx, object: &WebObject, value: Value) -> Result<(), Failure> {
    if ctx.out.json {
        return ctx.out.json(&value);
    }
    let name_of = |v: &Value| match v {
        Value::Struct(s) => s.get("name").and_then(|n| match n {
            Value::String(s) => Some(s.clone()),
            _ => None,
        }),
        _ => None,
    };
    let summary = match object {
        WebObject::Package(_) => koji_xmlrpc::from_value::<Package>(value.clone())
            .ok()
            .and_then(|p| p.name),
        WebObject::User(_) => koji_xmlrpc::from_value::<User>(value.clone())
            .ok()
            .and_then(|u| u.name),
        _ => name_of(&value),
    };
    let mut text = String::new();
    if let Some(name) = summary {
        text.push_str(&format!("{}\n", ctx.out.paint.bold(&name)));
    }
    text.push_str(
        &serde_json::to_string_pretty(&value).map_err(|e| Failure::io(std::io::Error::other(e)))?,
    );
    text.push('\n');
    ctx.out.text(&text)
}

async fn whoami(ctx: &Ctx, noauth: bool) -> Result<(), Failure> {
    if noauth {
        return Err(Failure::usage("whoami logs in; drop --noauth"));
    }
    let user: Option<User> = ctx
        .koji
        .call_as("getLoggedInUser", ())
        .await
        .map_err(|e| ctx.fail(&e))?;
    match user {
        Some(u) if ctx.out.json => ctx.out.json(&u),
        Some(u) => ctx.out.text(&format!("{}\n", u.name.unwrap_or_default())),
        None => Err(Failure {
            code: crate::failure::EXIT_CONNECTION,
            message: "not logged in".to_owned(),
            hint: Some("this build of rkoji cannot log in yet".to_owned()),
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn config_with(profiles: &[&str]) -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::new();
        for p in profiles {
            text.push_str(&format!("[{p}]\nserver = https://{p}.example/kojihub\n"));
        }
        let file = dir.path().join("koji.conf");
        std::fs::write(&file, text).unwrap();
        let sources = ConfigSources::new(dir.path().join("none.d"), file, None);
        let config = Config::load(&sources).unwrap();
        (dir, config)
    }

    #[test]
    fn profile_choice_follows_koji() {
        let (_d, config) = config_with(&["koji", "cbs"]);
        let argv0 = |s: &str| Some(OsString::from(s));
        assert_eq!(
            choose_profile(Some("x"), argv0("cbs").as_ref(), &config),
            "x"
        );
        assert_eq!(
            choose_profile(None, argv0("/usr/bin/cbs").as_ref(), &config),
            "cbs"
        );
        assert_eq!(
            choose_profile(None, argv0("rkoji").as_ref(), &config),
            "koji"
        );
        let (_d, config) = config_with(&["other"]);
        assert_eq!(
            choose_profile(None, argv0("rkoji").as_ref(), &config),
            "fedora"
        );
    }
}
