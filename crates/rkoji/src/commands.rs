//! The commands, each a function from parsed arguments to output.

use std::ffi::OsString;
use std::path::Path;

use jiff::{SignedDuration, Timestamp};
use koji_client::config::{AuthType, Config, ConfigSources, Profile, ProfileOrigin};
use koji_client::estimate::{self, EstimateConfig, EstimateError, EstimateInputs, TaskEstimate};
use koji_client::web::WebObject;
use koji_client::{
    Build, BuildRef, BuildState, Connection, IdOrName, Package, Struct, Task, User, Value,
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

    /// Maps a library error to a failure; when the hub cannot be reached,
    /// names the offline command that runs the same job against
    /// koji-testhub.
    fn fail(&self, e: &koji_client::Error) -> Failure {
        let failure = Failure::from_client(e, self.profile.server());
        if failure.code == crate::failure::EXIT_CONNECTION
            && !e.is_tls()
            && (e.is_connect() || e.is_timeout())
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
    if let (Some(user), Some(password)) = (profile.get("user"), profile.get("password")) {
        // koji reads `user` and `password` from the profile for
        // authtype = password (the hub's `login` call).
        builder = builder.password_login(user, password);
    }
    if matches!(profile.origin(), ProfileOrigin::BuiltIn) {
        // The built-in profile is ours to define: an anonymous call that
        // cannot reach the hub fails at once (with the offline hint) instead
        // of retrying for minutes as koji's anon_retry default would.
        builder = builder.anon_retry(false);
    }
    let logs_in = matches!(
        cli.command,
        Command::Whoami | Command::Call { .. } | Command::Multicall { .. }
    ) && anonymous_reason(cli.global.noauth, &profile).is_none();
    if !(logs_in && login_may_use_cert(&profile)) {
        // Like koji, load the certificate only for a login that may use it:
        // a broken `cert` never stops anonymous work or another login.
        builder = builder.without_cert();
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
        } => call(&ctx, cli.global.noauth, &method, &args, &kwargs).await,
        Command::Multicall { batch } => multicall(&ctx, cli.global.noauth, batch).await,
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

/// Converts a command-line JSON value into a hub value.
fn to_value(v: serde_json::Value) -> Result<Value, Failure> {
    serde_json::from_value(v).map_err(|e| Failure::usage(format!("bad argument: {e}")))
}

async fn call(
    ctx: &Ctx,
    noauth: bool,
    method: &str,
    args: &[String],
    kwargs: &[String],
) -> Result<(), Failure> {
    let args = args
        .iter()
        .map(|a| to_value(cli::json_or_string(a)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut kw = Struct::new();
    for text in kwargs {
        let (name, value) = cli::kwarg(text).map_err(Failure::usage)?;
        kw.insert(name, to_value(value)?);
    }
    login_for_calls(ctx, noauth).await?;
    let result = if kw.is_empty() {
        ctx.koji.call(method, args).await
    } else {
        ctx.koji.call_with(method, args, kw).await
    };
    logout_quietly(ctx).await;
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

/// One validated `multicall` input line: its number, method, positional
/// and keyword arguments.
struct QueuedCall {
    line: usize,
    method: String,
    args: Vec<Value>,
    kwargs: Struct,
}

/// Reads and checks every `multicall` input line before anything is sent,
/// so that a bad line fails the run (exit 2, naming the line) with nothing
/// sent and nothing printed. Blank lines are skipped.
fn read_calls(input: impl std::io::BufRead) -> Result<Vec<QueuedCall>, Failure> {
    let mut calls = Vec::new();
    for (n, line) in input.lines().enumerate() {
        let number = n + 1;
        let line = line.map_err(Failure::io)?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |what: String| {
            Failure::usage(format!("stdin line {number}: {what}")).with_hint(
                "each line must be a JSON object {\"method\": \"getBuild\", \"args\": [3], \"kwargs\": {}} (args and kwargs optional)",
            )
        };
        let call: CallLine = serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
        if call.method.trim().is_empty() {
            return Err(bad("the method is empty".to_owned()));
        }
        let args = call
            .args
            .into_iter()
            .map(|a| to_value(a).map_err(|f| bad(f.message)))
            .collect::<Result<Vec<_>, _>>()?;
        let kwargs =
            match to_value(serde_json::Value::Object(call.kwargs)).map_err(|f| bad(f.message))? {
                Value::Struct(kw) => kw,
                _ => Struct::new(),
            };
        calls.push(QueuedCall {
            line: number,
            method: call.method,
            args,
            kwargs,
        });
    }
    Ok(calls)
}

async fn multicall(ctx: &Ctx, noauth: bool, batch: usize) -> Result<(), Failure> {
    if batch == 0 {
        return Err(Failure::usage("--batch must be at least 1"));
    }
    let calls = read_calls(std::io::stdin().lock())?;
    if calls.is_empty() {
        // Nothing to send: no login either.
        return Ok(());
    }
    login_for_calls(ctx, noauth).await?;
    let progress = format::progress(calls.len() as u64);
    let bar = progress.clone();
    let mut m = ctx.koji.multicall().max_calls(batch).on_progress(move |p| {
        bar.set_length(p.calls_total as u64);
        bar.set_position(p.calls_done as u64);
    });
    let mut lines = Vec::with_capacity(calls.len());
    for call in calls {
        if call.kwargs.is_empty() {
            m.push(&call.method, call.args);
        } else {
            m.push_with(&call.method, call.args, call.kwargs);
        }
        lines.push(call.line);
    }
    let results = m.send_values().await;
    progress.finish_and_clear();
    logout_quietly(ctx).await;
    let results = results.map_err(|e| ctx.fail(&e))?;
    // A call that failed other than with a hub fault means its request
    // failed (or could not be made): fail the whole run, printing nothing.
    for (line, result) in lines.iter().zip(&results) {
        if let Err(e) = result {
            if e.is_encode() {
                return Err(Failure::usage(format!("stdin line {line}: {e}")));
            }
            if !e.is_fault() {
                return Err(ctx.fail(e));
            }
        }
    }
    for result in results {
        match result {
            Ok(value) => ctx.out.json_line(&value)?,
            Err(e) => ctx.out.json_line(&json!({"fault": {
                "code": e.fault_code(),
                "message": e.fault_string(),
            }}))?,
        }
    }
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

/// A build id when `text` is a number, else an NVR.
fn build_ref(text: &str) -> BuildRef {
    match text.parse::<i64>() {
        Ok(id) => BuildRef::Id(id),
        Err(_) => BuildRef::from(text),
    }
}

/// An id when `text` is a number, else a name.
fn id_or_name(text: &str) -> IdOrName {
    match text.parse::<i64>() {
        Ok(id) => IdOrName::Id(id),
        Err(_) => IdOrName::from(text),
    }
}

/// `NVR` or id → the build.
async fn fetch_build(ctx: &Ctx, reference: &str) -> Result<Build, Failure> {
    let build = ctx
        .koji
        .get_build(build_ref(reference))
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
    let tags = match build.build_id() {
        Some(id) => ctx
            .koji
            .list_tags()
            .build(id)
            .send()
            .await
            .map_err(|e| ctx.fail(&e))?,
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
    let mut query = ctx
        .koji
        .list_builds()
        .package(id_or_name(package))
        .order("-build_id")
        .limit(u64::from(limit));
    if let Some(state) = state {
        let s = state
            .to_ascii_uppercase()
            .parse::<BuildState>()
            .ok()
            .filter(BuildState::is_known)
            .ok_or_else(|| {
                Failure::usage(format!(
                    "unknown build state {state:?}: use BUILDING, COMPLETE, DELETED, FAILED or CANCELED"
                ))
            })?;
        query = query.state(s);
    }
    let list = query.send().await.map_err(|e| ctx.fail(&e))?;
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
    let task = ctx.koji.get_task_info(id).await.map_err(|e| ctx.fail(&e))?;
    task.ok_or_else(|| Failure::not_found(format!("no such task: {id}")))
}

async fn user_name(ctx: &Ctx, id: Option<i64>) -> Option<String> {
    let id = id?;
    ctx.koji.get_user(id).await.ok()??.name
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
    let descendents = ctx
        .koji
        .get_task_descendents(id)
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
    let (completion, expected) = estimate_task(ctx, &task, now).await?;
    derived.insert(
        "estimated_completion".into(),
        ts_json(completion.as_ref().ok().copied()),
    );
    derived.insert(
        "estimated_duration_secs".into(),
        secs_json(expected.as_ref().ok().copied()),
    );
    derived.insert(
        "estimate_error".into(),
        json!(completion.as_ref().err().map(ToString::to_string)),
    );
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
        (
            "Estimate",
            estimate_text(&task, &completion, expected.as_ref().ok().copied(), now),
        ),
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

/// Whether a task has finished (closed, failed or canceled).
fn is_finished(task: &Task) -> bool {
    task.state.as_ref().is_some_and(|s| s.is_done())
}

/// An estimate error that is the command's failure rather than a fact about
/// the task: the hub could not be asked, or answered with a fault.
fn estimate_failure(ctx: &Ctx, e: &EstimateError) -> Option<Failure> {
    match e {
        EstimateError::Source(source) => Some(match source.downcast_ref::<koji_client::Error>() {
            Some(err) => ctx.fail(err),
            None => Failure {
                code: crate::failure::EXIT_CONNECTION,
                message: e.to_string(),
                hint: None,
            },
        }),
        EstimateError::Fault { .. } | EstimateError::BadReply { .. } => {
            Some(Failure::not_found(e.to_string()))
        }
        _ => None,
    }
}

/// When `task` completes and how long it runs, estimated (or, once it has
/// finished, what happened), fetching what the estimates need.
async fn estimate_task(
    ctx: &Ctx,
    task: &Task,
    now: Timestamp,
) -> Result<
    (
        Result<Timestamp, EstimateError>,
        Result<SignedDuration, EstimateError>,
    ),
    Failure,
> {
    let config = EstimateConfig::default();
    let completion = estimate::estimate_task_completion(&ctx.koji, task, now, config).await;
    let expected = estimate::estimate_task_duration(&ctx.koji, task, now, config).await;
    for e in [completion.as_ref().err(), expected.as_ref().err()]
        .into_iter()
        .flatten()
    {
        if let Some(failure) = estimate_failure(ctx, e) {
            return Err(failure);
        }
    }
    Ok((completion, expected))
}

/// `2026-11-25 18:10:00 CET (in 5 min, runs about 20 min)`, or why there
/// is no estimate; `-` for a finished task.
fn estimate_text(
    task: &Task,
    completion: &Result<Timestamp, EstimateError>,
    expected: Option<SignedDuration>,
    now: Timestamp,
) -> String {
    if is_finished(task) {
        return "-".to_owned();
    }
    match completion {
        Ok(when) => {
            let left = when.duration_since(now);
            let relative = if left.is_negative() {
                format!("overdue by {}", format::duration(-left))
            } else {
                format!("in {}", format::duration(left))
            };
            let runs = match expected {
                Some(d) => format!(", runs about {}", format::duration(d)),
                None => String::new(),
            };
            format!("{} ({relative}{runs})", format::local_time(*when))
        }
        Err(e) => format!("cannot tell: {e}"),
    }
}

async fn estimate(ctx: &Ctx, target: &str) -> Result<(), Failure> {
    let now = Timestamp::now();
    if let Ok(id) = target.parse::<i64>() {
        return estimate_task_cmd(ctx, id, now).await;
    }
    let package = target;
    let config = EstimateConfig::default();
    let avg = estimate::average_build_duration(&ctx.koji, package, config)
        .await
        .map_err(|e| {
            estimate_failure(ctx, &e).unwrap_or_else(|| Failure::not_found(e.to_string()))
        })?;
    let measured_from = if estimate::is_container_package(package) {
        format!("the last {} COMPLETE builds", config.last_builds)
    } else {
        "getAverageBuildDuration".to_owned()
    };
    let Some(avg) = avg else {
        return Err(Failure::not_found(format!(
            "no average build duration for {package}: no complete builds to measure, or no such package"
        ))
        .with_hint(format!(
            "`rkoji builds {package}` lists its builds"
        )));
    };
    if ctx.out.json {
        return ctx.out.json(&json!({
            "package": package,
            "average_duration_secs": avg.as_secs_f64(),
            "measured_from": measured_from,
        }));
    }
    ctx.out.text(&format!(
        "{package}: builds take {} on average (from {measured_from})\n",
        format::duration(avg)
    ))
}

async fn estimate_task_cmd(ctx: &Ctx, id: i64, now: Timestamp) -> Result<(), Failure> {
    let task = fetch_task(ctx, id).await?;
    let (completion, expected) = estimate_task(ctx, &task, now).await?;
    let finished = is_finished(&task);
    let when = match completion {
        Ok(when) => when,
        Err(e) => {
            let failure = Failure::not_found(format!("cannot estimate task {id}: {e}"));
            return Err(if e.is_transient() {
                failure.with_hint("try again in a minute or two")
            } else {
                failure
            });
        }
    };
    let expected = expected.ok();
    if ctx.out.json {
        let remaining = (!finished).then(|| when.duration_since(now));
        return ctx.out.json(&json!({
            "task_id": id,
            "method": task.method,
            "state_name": task.state_name(),
            "package": task.package().ok().flatten(),
            "finished": finished,
            "started": ts_json(task.started().ok().flatten()),
            "estimated_completion": ts_json(Some(when)),
            "estimated_duration_secs": secs_json(expected),
            "remaining_secs": secs_json(remaining),
            "url": task.url(ctx.weburl()),
        }));
    }
    let p = ctx.out.paint;
    let what = match task.package().ok().flatten() {
        Some(package) => format!(
            "{id} {} ({package})",
            task.method.clone().unwrap_or_default()
        ),
        None => format!("{id} {}", task.method.clone().unwrap_or_default()),
    };
    let mut pairs = vec![
        ("Task", p.bold(&what)),
        ("State", p.state(&task.state_name().unwrap_or_default())),
        ("Started", show_time(task.started().ok().flatten())),
    ];
    if finished {
        pairs.push(("Completed", show_time(Some(when))));
        pairs.push(("Duration", show_duration(expected)));
    } else {
        pairs.push(("Estimate", estimate_text(&task, &Ok(when), expected, now)));
    }
    pairs.push(("URL", task.url(ctx.weburl()).unwrap_or_default()));
    ctx.out.text(&fields(&pairs))
}

async fn channel_cmd(ctx: &Ctx, reference: &str) -> Result<(), Failure> {
    let channel = ctx
        .koji
        .get_channel(id_or_name(reference))
        .await
        .map_err(|e| ctx.fail(&e))?;
    let channel =
        channel.ok_or_else(|| Failure::not_found(format!("no such channel: {reference}")))?;
    let id = channel
        .id
        .ok_or_else(|| Failure::not_found("the hub's channel has no id"))?;
    let now = Timestamp::now();
    // Its active tasks and hosts in one request, then what their estimates
    // need (subtasks, package averages) in one more, rarely two.
    let spinner = format::spinner(&format!("estimating the tasks of channel {id}"));
    let fetched = async {
        let snapshot = estimate::channel_snapshot(&ctx.koji, id).await?;
        let mut inputs = EstimateInputs::new(now)
            .with_config(EstimateConfig::default())
            .with_channel(snapshot);
        estimate::complete_inputs(&ctx.koji, &mut inputs, &[], &[]).await?;
        Ok::<_, EstimateError>(inputs)
    }
    .await;
    spinner.finish_and_clear();
    let inputs = fetched.map_err(|e| {
        estimate_failure(ctx, &e).unwrap_or_else(|| Failure::not_found(e.to_string()))
    })?;
    let Some(snapshot) = inputs.channels.get(&id) else {
        return Err(Failure::not_found(format!("channel {id} has no snapshot")));
    };
    let (hosts, tasks) = (&snapshot.hosts, &snapshot.tasks);
    // One failure of the whole plan (a host with a bad capacity…) is every
    // task's answer.
    let plan = estimate::estimate_channel(&inputs, id);
    let estimate_of = |t: &Task| -> Result<&TaskEstimate, String> {
        match &plan {
            Ok(plan) => {
                t.id.and_then(|tid| plan.task(tid))
                    .ok_or_else(|| "not in the channel's plan".to_owned())
            }
            Err(e) => Err(e.to_string()),
        }
    };
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
    if ctx.out.json {
        let tasks: Vec<_> = tasks
            .iter()
            .map(|t| {
                let mut derived = task_derived(ctx, t, now);
                let estimate = estimate_of(t);
                let (completion, error) = match estimate.map(|e| &e.completion) {
                    Ok(Ok(when)) => (ts_json(Some(*when)), serde_json::Value::Null),
                    Ok(Err(e)) => (serde_json::Value::Null, json!(e.to_string())),
                    Err(e) => (serde_json::Value::Null, json!(e)),
                };
                derived.insert("estimated_completion".into(), completion);
                derived.insert("estimate_error".into(), error);
                derived.insert(
                    "ahead".into(),
                    json!(estimate_of(t).ok().and_then(|e| e.ahead)),
                );
                let mut obj = object(t);
                obj.insert("derived".into(), serde_json::Value::Object(derived));
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
    for h in hosts {
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
    if table.is_empty() {
        text.push_str("no hosts\n");
    } else {
        text.push_str(&table.render());
    }
    let mut table = Table::new([
        "TASK",
        "STATE",
        "METHOD",
        "PACKAGE",
        "CREATED",
        "RUNNING FOR",
        "ESTIMATE",
    ]);
    for t in tasks {
        let eta = match estimate_of(t).map(|e| &e.completion) {
            Ok(Ok(when)) => {
                let left = when.duration_since(now);
                if left.is_negative() {
                    format!("overdue ({})", format::local_time(*when))
                } else {
                    format!(
                        "in {} ({})",
                        format::duration(left),
                        format::local_time(*when)
                    )
                }
            }
            Ok(Err(e)) => format!("cannot tell: {e}"),
            Err(e) => format!("cannot tell: {e}"),
        };
        table.row([
            opt(t.id),
            p.state(&t.state_name().unwrap_or_default()),
            t.method.clone().unwrap_or_default(),
            t.package().ok().flatten().unwrap_or_else(|| "-".into()),
            show_time(t.created().ok().flatten()),
            show_duration(t.duration(now).ok().flatten()),
            eta,
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

/// Why a command that logs in stays anonymous: `--noauth`, or the
/// profile's `authtype = noauth`; `None` when it logs in.
fn anonymous_reason(noauth: bool, profile: &Profile) -> Option<&'static str> {
    if noauth {
        Some("--noauth")
    } else if matches!(profile.authtype(), Some(AuthType::Noauth)) {
        Some("the profile's authtype is noauth")
    } else {
        None
    }
}

/// Whether the profile's login may be a certificate one: `authtype = ssl`,
/// or no authtype (then koji logs in with `cert` when that file exists).
fn login_may_use_cert(profile: &Profile) -> bool {
    matches!(profile.authtype(), None | Some(AuthType::Ssl))
}

/// Logs in the profile's way before `call` and `multicall`, as `koji call`
/// does, unless `--noauth` or `authtype = noauth` says not to.
///
/// The one failure that does not stop the calls is having nothing to log in
/// with: a Kerberos login with no usable ticket in the user's credential
/// cache (none, an expired one, or no Kerberos library to read it). Then
/// one warning line goes to stderr and the calls are anonymous. Everything
/// else — a refused password or certificate, a ticket the hub refuses, a
/// missing `cert` with `authtype = ssl`, a keytab that does not work — is
/// a login failure (exit 3), as for `whoami`.
async fn login_for_calls(ctx: &Ctx, noauth: bool) -> Result<(), Failure> {
    if anonymous_reason(noauth, &ctx.profile).is_some() {
        return Ok(());
    }
    check_login_files(&ctx.profile)?;
    let Err(e) = ctx.koji.login().await else {
        return Ok(());
    };
    let Some(missing) = missing_ticket(&ctx.profile, &e) else {
        return Err(login_failure(ctx, &e));
    };
    let mut how = if missing.library {
        "install MIT Kerberos (libgssapi-krb5-2 / krb5-libs) and run kinit".to_owned()
    } else {
        "run kinit".to_owned()
    };
    if ctx.profile.authtype().is_none() {
        // Kerberos only because nothing else was there: name the others.
        how.push_str(&format!(
            ", or set `cert`, or `user` and `password`, in profile [{}]",
            ctx.profile.name()
        ));
    }
    warn(&format!(
        "{}, calling anonymously; to log in, {how} (--noauth skips the login)",
        missing.what
    ));
    Ok(())
}

/// A Kerberos login that found nothing to log in with.
struct MissingTicket {
    /// What was missing, for the warning.
    what: &'static str,
    /// The Kerberos library itself is missing.
    library: bool,
}

/// Whether a failed login found no usable ticket in the user's credential
/// cache: none (or none for the profile's principal), an expired one, or
/// no Kerberos library. A profile with a `keytab` has credentials of its
/// own, so there any failure is a real one, as is anything the hub (or
/// Apache in front of it) answered.
fn missing_ticket(profile: &Profile, e: &koji_client::Error) -> Option<MissingTicket> {
    use koji_client::auth::gssapi::GssapiErrorKind;
    if profile.keytab().is_some() {
        return None;
    }
    let (what, library) = match e.kerberos_error()?.kind() {
        GssapiErrorKind::NoCredentials => ("no Kerberos ticket", false),
        GssapiErrorKind::CredentialsExpired => ("the Kerberos ticket expired", false),
        GssapiErrorKind::LibraryUnavailable => ("no Kerberos library", true),
        _ => return None,
    };
    Some(MissingTicket { what, library })
}

/// Ends the session a login opened, if any; a failure to do so changes
/// nothing for the answer already received.
async fn logout_quietly(ctx: &Ctx) {
    if ctx.koji.is_logged_in() {
        if let Err(e) = ctx.koji.logout().await {
            tracing::info!(error = %e, "logout failed");
        }
    }
}

/// One warning line on stderr.
fn warn(message: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "rkoji: warning: {message}");
}

/// Checks the files a login needs before trying it, to say which is
/// missing: a certificate login needs the profile's `cert`.
fn check_login_files(profile: &Profile) -> Result<(), Failure> {
    if !matches!(profile.authtype(), Some(AuthType::Ssl)) {
        return Ok(());
    }
    let login_failure = |message: String| Failure {
        code: crate::failure::EXIT_CONNECTION,
        message,
        hint: Some(format!(
            "set `cert` in profile [{}] to the PEM file with your certificate and key, \
             or choose another authtype (kerberos, password)",
            profile.name()
        )),
    };
    match profile.cert() {
        Some(cert) if !cert.is_file() => Err(login_failure(format!(
            "certificate login: the client certificate {} does not exist",
            cert.display()
        ))),
        Some(_) => Ok(()),
        None => Err(login_failure(
            "certificate login (authtype = ssl) needs a client certificate, and the profile has no `cert`"
                .to_owned(),
        )),
    }
}

/// A failed login: exit 3, with what to do about it.
fn login_failure(ctx: &Ctx, e: &koji_client::Error) -> Failure {
    use koji_client::auth::gssapi::GssapiErrorKind;
    let mut message = e.to_string();
    let mut append = |detail: String| {
        if !message.contains(&detail) {
            message = format!("{message}: {detail}");
        }
    };
    let hint = if let Some(k) = e.kerberos_error() {
        append(k.to_string());
        Some(match k.kind() {
            GssapiErrorKind::NoCredentials if ctx.profile.keytab().is_some() => format!(
                "the keytab gave no credentials: check `keytab` and `principal` in profile [{}] \
                 (`klist -k KEYTAB` lists its entries)",
                ctx.profile.name()
            ),
            GssapiErrorKind::NoCredentials => {
                "no Kerberos ticket: run kinit (or set the profile's principal and keytab)"
                    .to_owned()
            }
            GssapiErrorKind::CredentialsExpired => {
                "the Kerberos ticket expired: run kinit".to_owned()
            }
            GssapiErrorKind::LibraryUnavailable => {
                "install the MIT Kerberos GSSAPI library (libgssapi-krb5-2 / krb5-libs)".to_owned()
            }
            GssapiErrorKind::KdcUnreachable => {
                "cannot reach the KDC: check the network and /etc/krb5.conf".to_owned()
            }
            GssapiErrorKind::UnknownRealm | GssapiErrorKind::UnknownPrincipal => {
                "check the realm and principal (klist shows your ticket; /etc/krb5.conf the realms)"
                    .to_owned()
            }
            _ => "check your Kerberos ticket (klist), or run kinit".to_owned(),
        })
    } else if let Some(identity) = e.identity_error() {
        append(identity.to_string());
        Some(format!(
            "check `cert` in profile [{}]: one PEM file with the certificate and its unencrypted key",
            ctx.profile.name()
        ))
    } else if let Some(tls) = e.tls_failure() {
        append(tls.to_string());
        let cert = ctx
            .profile
            .cert()
            .map_or_else(String::new, |c| format!(" (now {})", c.display()));
        Some(format!(
            "check `cert`{cert} and `serverca` in profile [{}]",
            ctx.profile.name()
        ))
    } else if e.is_fault() {
        Some(
            "the hub refused the login: check that the account exists and is not blocked, \
             and the password, certificate or Kerberos principal"
                .to_owned(),
        )
    } else if e.is_auth() || e.is_builder() {
        Some(format!(
            "check the login settings of profile [{}] (authtype, cert, principal, keytab, user and password)",
            ctx.profile.name()
        ))
    } else {
        return ctx.fail(e);
    };
    Failure {
        code: crate::failure::EXIT_CONNECTION,
        message,
        hint,
    }
}

async fn whoami(ctx: &Ctx, noauth: bool) -> Result<(), Failure> {
    let anonymous = anonymous_reason(noauth, &ctx.profile);
    if anonymous.is_none() {
        check_login_files(&ctx.profile)?;
        ctx.koji.login().await.map_err(|e| login_failure(ctx, &e))?;
    }
    let user = ctx.koji.get_logged_in_user().await;
    // Close the session: nothing else uses it.
    logout_quietly(ctx).await;
    let user = user.map_err(|e| ctx.fail(&e))?;
    let Some(user) = user else {
        return match anonymous {
            Some(_) if ctx.out.json => ctx.out.json(&serde_json::Value::Null),
            Some(why) => ctx.out.text(&format!("not logged in (anonymous: {why})\n")),
            None => Err(Failure {
                code: crate::failure::EXIT_CONNECTION,
                message: "logged in, but the hub does not know who this session is".to_owned(),
                hint: Some("try again; if it persists, report it to the hub's admins".to_owned()),
            }),
        };
    };
    let principals: Vec<&str> = user.principals();
    if ctx.out.json {
        let mut obj = object(&user);
        obj.insert(
            "derived".into(),
            json!({
                "status_name": user.status.as_ref().map(ToString::to_string),
                "usertype_name": user.usertype.as_ref().map(ToString::to_string),
                "authtype_name": user.authtype.as_ref().map(ToString::to_string),
                "principals": principals,
                "url": user.url(ctx.weburl()),
            }),
        );
        return ctx.out.json(&obj);
    }
    let p = ctx.out.paint;
    let text = fields(&[
        ("User", p.bold(&user.name.clone().unwrap_or_default())),
        ("ID", opt(user.id)),
        ("Status", opt(user.status.as_ref())),
        ("Type", opt(user.usertype.as_ref())),
        (
            "Principals",
            if principals.is_empty() {
                "-".to_owned()
            } else {
                principals.join(", ")
            },
        ),
        ("Logged in with", opt(user.authtype.as_ref())),
        ("URL", user.url(ctx.weburl()).unwrap_or_default()),
    ]);
    ctx.out.text(&text)
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

    /// The profile `[p]` with `options`.
    fn profile_with(options: &str) -> (tempfile::TempDir, Profile) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("koji.conf");
        std::fs::write(
            &file,
            format!("[p]\nserver = https://p.example/kojihub\n{options}\n"),
        )
        .unwrap();
        let sources = ConfigSources::new(dir.path().join("none.d"), file, None);
        let profile = Config::load(&sources).unwrap().profile("p").unwrap();
        (dir, profile)
    }

    #[test]
    fn noauth_from_the_command_line_or_the_profile_skips_the_login() {
        let (_d, plain) = profile_with("");
        assert_eq!(anonymous_reason(false, &plain), None);
        assert_eq!(anonymous_reason(true, &plain), Some("--noauth"));
        let (_d, noauth) = profile_with("authtype = noauth");
        assert!(anonymous_reason(false, &noauth).unwrap().contains("noauth"));
        for authtype in ["ssl", "kerberos", "password"] {
            let (_d, p) = profile_with(&format!("authtype = {authtype}"));
            assert_eq!(anonymous_reason(false, &p), None, "{authtype}");
        }
    }

    #[test]
    fn only_an_ssl_or_unset_authtype_may_use_the_certificate() {
        for (options, uses) in [
            ("", true),
            ("authtype = ssl", true),
            ("authtype = kerberos", false),
            ("authtype = password", false),
            ("authtype = noauth", false),
            ("authtype = SSL", false),
        ] {
            let (_d, p) = profile_with(options);
            assert_eq!(login_may_use_cert(&p), uses, "{options:?}");
        }
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
