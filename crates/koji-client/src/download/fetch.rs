//! Asking the hub what to download: the calls koji's `download-build`,
//! `download-task` and `download-logs` make, then the pure planners of
//! [`super::plan`].

use std::collections::BTreeMap;

use super::plan::{
    self, ArchiveChoice, ArchiveRow, BuildLogRow, BuildOptions, Plan, PlanError, RpmRow, TaskFiles,
    TaskOptions,
};
use crate::paths::BuildPath;
use crate::{Build, BuildRef, BuildState, Connection, Task, TaskState};

/// Why no plan could be made.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// A hub call failed.
    #[error(transparent)]
    Hub(#[from] crate::Error),
    /// There is no such build, RPM or task.
    #[error("no such {0}")]
    NotFound(String),
    /// Nothing matches the selection (koji: "No packages available ...").
    #[error("{0}")]
    Empty(String),
    /// A task is not in a state whose files can be downloaded.
    #[error("{0}")]
    TaskState(String),
    /// The hub's data leads to an unsafe or impossible path.
    #[error(transparent)]
    Plan(#[from] PlanError),
}

/// A build and the plan for its files.
#[derive(Debug, Clone)]
pub struct BuildPlan {
    /// The build.
    pub build: Build,
    /// Its files.
    pub plan: Plan,
    /// Things koji would warn about (RPMs skipped for a missing signature).
    pub warnings: Vec<String>,
}

fn label(b: &Build) -> String {
    b.nvr()
        .unwrap_or_else(|| format!("build {}", b.build_id().unwrap_or(0)))
}

/// Finds a build by id, NVR or RPM (`name-version-release.arch`), as
/// koji's `download-build` does.
pub async fn find_build(koji: &Connection, what: &str) -> Result<Build, FetchError> {
    let by: BuildRef = match what.parse::<i64>() {
        Ok(id) => BuildRef::Id(id),
        Err(_) => BuildRef::Nvr(what.to_owned()),
    };
    if let Some(b) = koji.get_build(by.clone()).await? {
        return Ok(b);
    }
    if matches!(by, BuildRef::Nvr(_)) {
        let rpm: Option<RpmRow> = koji.request("getRPM").arg(what).typed().await?;
        if let Some(build_id) = rpm.and_then(|r| r.build_id) {
            if let Some(b) = koji.get_build(BuildRef::Id(build_id)).await? {
                return Ok(b);
            }
        }
    }
    Err(FetchError::NotFound(format!("build: {what}")))
}

/// The plan for a build's files (koji's `download-build`): RPMs by arch,
/// with or without debuginfo, signed copies for a key, or archives by type.
pub async fn build_plan(
    koji: &Connection,
    build: &str,
    opts: &BuildOptions,
) -> Result<BuildPlan, FetchError> {
    let info = find_build(koji, build).await?;
    let id = info
        .build_id()
        .ok_or_else(|| FetchError::NotFound(format!("build id of {build}")))?;
    let bp = BuildPath::from_build(&info).ok_or(PlanError::Missing {
        what: label(&info),
        member: "name/version/release",
    })?;
    let mut plan = Plan::default();
    let mut warnings = Vec::new();
    let want_rpms = matches!(opts.archives, ArchiveChoice::Rpms | ArchiveChoice::All);
    if want_rpms {
        let mut req = koji.request("listRPMs").kwarg("buildID", id);
        if !opts.arches.is_empty() {
            req = req.kwarg("arches", &opts.arches);
        }
        let mut rpms: Vec<RpmRow> = req.typed().await?;
        if rpms.is_empty() && opts.archives == ArchiveChoice::Rpms {
            return Err(FetchError::Empty(if opts.arches.is_empty() {
                format!("No packages available for {}", label(&info))
            } else {
                format!(
                    "No {} packages available for {}",
                    opts.arches.join(" or "),
                    label(&info)
                )
            }));
        }
        if let Some(key) = &opts.key {
            rpms.retain(|r| opts.debuginfo || !plan::is_debuginfo(&r.name));
            let mut m = koji.multicall();
            let handles: Vec<_> = rpms
                .iter()
                .map(|r| {
                    m.call_with::<Vec<serde_json::Value>>(
                        "queryRPMSigs",
                        (),
                        serde_json::json!({"rpm_id": r.id, "sigkey": key}),
                    )
                })
                .collect();
            m.send().await?;
            let mut kept = Vec::new();
            for (r, h) in rpms.into_iter().zip(handles) {
                if h.result()?.is_empty() {
                    warnings.push(format!(
                        "No such sigkey {key} for rpm {}-{}-{}.{}.rpm",
                        r.name, r.version, r.release, r.arch
                    ));
                } else {
                    kept.push(r);
                }
            }
            rpms = kept;
        }
        plan.files.extend(plan::plan_rpms(&bp, &rpms, opts)?.files);
    }
    match &opts.archives {
        ArchiveChoice::Rpms => {}
        ArchiveChoice::Type(t) => {
            let rows: Vec<ArchiveRow> = koji
                .request("listArchives")
                .kwarg("buildID", id)
                .kwarg("type", t)
                .typed()
                .await?;
            if rows.is_empty() {
                return Err(FetchError::Empty(format!(
                    "No {t} archives available for {}",
                    label(&info)
                )));
            }
            plan.files.extend(plan::plan_archives(&bp, &rows)?.files);
        }
        ArchiveChoice::All => {
            let mut rows: Vec<ArchiveRow> = koji
                .request("listArchives")
                .kwarg("buildID", id)
                .typed()
                .await?;
            // Maven and win rows need their type-specific members.
            for t in ["maven", "win"] {
                if rows.iter().any(|r| r.btype == t) {
                    let typed: Vec<ArchiveRow> = koji
                        .request("listArchives")
                        .kwarg("buildID", id)
                        .kwarg("type", t)
                        .typed()
                        .await?;
                    let by_id: BTreeMap<i64, ArchiveRow> =
                        typed.into_iter().map(|r| (r.id, r)).collect();
                    for r in rows.iter_mut().filter(|r| r.btype == t) {
                        if let Some(full) = by_id.get(&r.id) {
                            *r = full.clone();
                        }
                    }
                }
            }
            plan.files.extend(plan::plan_archives(&bp, &rows)?.files);
            if plan.files.is_empty() {
                return Err(FetchError::Empty(format!(
                    "No files available for {}",
                    label(&info)
                )));
            }
        }
    }
    Ok(BuildPlan {
        build: info,
        plan,
        warnings,
    })
}

async fn task_files(koji: &Connection, task: &Task) -> Result<TaskFiles, FetchError> {
    let id = task.id.unwrap_or(0);
    let files: BTreeMap<String, Vec<String>> = koji
        .request("listTaskOutput")
        .arg(id)
        .kwarg("all_volumes", true)
        .typed()
        .await?;
    Ok(TaskFiles {
        id,
        method: task.method.clone().unwrap_or_default(),
        arch: task.arch.clone().unwrap_or_default(),
        files,
    })
}

/// The plan for a task's outputs (koji's `download-task`): the RPMs of its
/// `build`/`buildArch` tasks (and their logs with `opts.logs`). Every task
/// of the tree must be closed, as koji requires.
pub async fn task_plan(
    koji: &Connection,
    task_id: i64,
    opts: &TaskOptions,
) -> Result<Plan, FetchError> {
    let base = koji
        .get_task_info(task_id)
        .await?
        .ok_or_else(|| FetchError::NotFound(format!("task: {task_id}")))?;
    let mut tasks = vec![base];
    tasks.extend(koji.get_task_children(task_id).await?);
    tasks.sort_by_key(|t| t.id);
    for t in &tasks {
        let which = if t.id == Some(task_id) {
            "Task"
        } else {
            "Child task"
        };
        let id = t.id.unwrap_or(0);
        match t.state {
            Some(TaskState::Closed) => {}
            Some(TaskState::Failed) => {
                return Err(FetchError::TaskState(format!("{which} {id} failed.")));
            }
            Some(TaskState::Canceled) => {
                return Err(FetchError::TaskState(format!("{which} {id} was canceled.")));
            }
            _ => {
                return Err(FetchError::TaskState(format!(
                    "{which} {id} has not finished yet."
                )));
            }
        }
    }
    let mut files = Vec::new();
    for t in &tasks {
        files.push(task_files(koji, t).await?);
    }
    Ok(plan::plan_task(&files, opts)?)
}

/// The plan for logs (koji's `download-logs -r`): a task id gives the logs
/// of the task and all its descendants under `<arch>-<id>/` directories; an
/// NVR gives a complete build's logs (`getBuildLogs`) under `<nvr>/`, or
/// its task's logs when the build is not complete.
pub async fn logs_plan(koji: &Connection, what: &str) -> Result<Plan, FetchError> {
    let task_id = match what.parse::<i64>() {
        Ok(id) => id,
        Err(_) => {
            let b = koji
                .get_build(BuildRef::Nvr(what.to_owned()))
                .await?
                .ok_or_else(|| FetchError::NotFound(format!("build: {what}")))?;
            if b.state == Some(BuildState::Complete) {
                let id = b.build_id().unwrap_or(0);
                let logs: Vec<BuildLogRow> = koji.request("getBuildLogs").arg(id).typed().await?;
                return Ok(plan::plan_build_logs(what, &logs)?);
            }
            b.task_id
                .ok_or_else(|| FetchError::NotFound(format!("task of build {what}")))?
        }
    };
    let root = koji
        .get_task_info(task_id)
        .await?
        .ok_or_else(|| FetchError::NotFound(format!("task: {task_id}")))?;
    let mut out = Vec::new();
    let mut queue = vec![(root, None::<i64>)];
    while let Some((task, parent)) = queue.pop() {
        let id = task.id.unwrap_or(0);
        for child in koji.get_task_children(id).await? {
            queue.push((child, Some(id)));
        }
        out.push((task_files(koji, &task).await?, parent));
        if out.len() > 10_000 {
            break;
        }
    }
    Ok(plan::plan_task_logs(&out)?)
}
