//! Which files to fetch, from where, to where, and what each must be.
//!
//! The planners here are pure: they take the hub's rows (`listRPMs`,
//! `listArchives`, `getTaskInfo` + `listTaskOutput`, `getBuildLogs`) and
//! choose files exactly as koji's CLI does (`download-build`,
//! `download-task`, `download-logs`), with the same local layout. Every
//! name the hub sent is checked before it becomes part of a path: a name
//! with `/` (where a single name is expected), `..`, `.`, NUL, or an
//! absolute path is refused with [`PlanError::UnsafeName`], so nothing is
//! ever written outside the target directory.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Deserialize;

use super::verify::{Check, DigestKind, Expected};
use crate::paths::{self, BuildPath, MavenPath, RpmPath};

/// One file of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    /// Its path below the top URL, `/`-separated; every component checked.
    pub source: String,
    /// Where it goes, relative to the target directory; every component
    /// checked.
    pub dest: PathBuf,
    /// What it must be.
    pub expected: Expected,
    /// What kind of file it is.
    pub kind: FileKind,
}

/// The kinds of file a plan holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// An unsigned RPM of a build.
    Rpm,
    /// A signed copy of a build's RPM.
    SignedRpm,
    /// A build archive (maven, win, image or another btype).
    Archive,
    /// A file from a task's work directory.
    TaskOutput,
    /// A log file.
    Log,
}

/// A list of files to download.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The files, in the order koji's CLI would fetch them.
    pub files: Vec<PlannedFile>,
}

impl Plan {
    /// The sum of the known sizes.
    pub fn known_bytes(&self) -> u64 {
        self.files.iter().filter_map(|f| f.expected.size).sum()
    }
}

/// Why a plan cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A name from the hub would leave the target directory or is not a
    /// plain file name.
    #[error("refusing unsafe name from the hub: {0:?}")]
    UnsafeName(String),
    /// A hub row lacks a member the path needs.
    #[error("hub data for {what} lacks {member}")]
    Missing {
        /// Which row.
        what: String,
        /// Which member.
        member: &'static str,
    },
    /// An archive has a `checksum_type` koji does not define.
    #[error("archive {0} has an unknown checksum type {1}")]
    ChecksumType(String, i64),
}

/// An RPM row (`listRPMs`, `getRPM`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RpmRow {
    /// RPM id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Release.
    pub release: String,
    /// Arch.
    pub arch: String,
    /// Size of the unsigned RPM.
    pub size: Option<u64>,
    /// SIGMD5 in hex (koji's RPM ident).
    pub payloadhash: Option<String>,
    /// Owning build id.
    pub build_id: Option<i64>,
}

/// An archive row (`listArchives`; maven and win listings add their
/// members).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ArchiveRow {
    /// Archive id.
    pub id: i64,
    /// File name.
    pub filename: String,
    /// Build type (`maven`, `win`, `image`, ...).
    pub btype: String,
    /// Size.
    pub size: Option<u64>,
    /// Checksum, hex.
    pub checksum: Option<String>,
    /// 0 md5, 1 sha1, 2 sha256.
    pub checksum_type: Option<i64>,
    /// Maven group id (maven listings).
    pub group_id: Option<String>,
    /// Maven artifact id (maven listings).
    pub artifact_id: Option<String>,
    /// Maven version (maven listings).
    pub version: Option<String>,
    /// Sub-directory (win listings).
    pub relpath: Option<String>,
}

/// A build log row (`getBuildLogs`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct BuildLogRow {
    /// File name.
    pub name: String,
    /// Directory (the arch, or `.`).
    pub dir: String,
    /// Path below the top.
    pub path: String,
}

/// A task and its output files (`listTaskOutput(all_volumes=True)`: file
/// name → volumes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFiles {
    /// Task id.
    pub id: i64,
    /// Task method (`build`, `buildArch`, ...).
    pub method: String,
    /// Task arch.
    pub arch: String,
    /// Output files and the volumes each is on.
    pub files: BTreeMap<String, Vec<String>>,
}

/// Checks one path component from the hub.
pub fn safe_component(name: &str) -> Result<&str, PlanError> {
    if name.is_empty()
        || name == "."
        || name == ".."
        || name.contains('/')
        || name.contains('\0')
        || name.contains('\\')
    {
        return Err(PlanError::UnsafeName(name.to_owned()));
    }
    Ok(name)
}

/// Checks a relative `/`-separated path from the hub, component by
/// component (no absolute path, no empty, `.` or `..` component).
pub fn safe_relpath(path: &str) -> Result<&str, PlanError> {
    if path.starts_with('/') {
        return Err(PlanError::UnsafeName(path.to_owned()));
    }
    for c in path.split('/') {
        safe_component(c).map_err(|_| PlanError::UnsafeName(path.to_owned()))?;
    }
    Ok(path)
}

fn dest_of(rel: &str) -> Result<PathBuf, PlanError> {
    Ok(safe_relpath(rel)?.split('/').collect())
}

/// Which archives a build download takes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ArchiveChoice {
    /// RPMs only (koji's default).
    #[default]
    Rpms,
    /// Archives of this btype only (koji's `--type`).
    Type(String),
    /// RPMs and every archive.
    All,
}

/// What to take from a build (koji's `download-build` flags).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildOptions {
    /// Only RPMs of these arches (exact match; `noarch`/`src` must be named).
    pub arches: Vec<String>,
    /// Also take debuginfo/debugsource RPMs.
    pub debuginfo: bool,
    /// Take the copies signed with this key.
    pub key: Option<String>,
    /// RPMs, archives of a type, or both.
    pub archives: ArchiveChoice,
}

/// Whether an RPM name is a debuginfo or debugsource package (koji's
/// `is_debuginfo`).
pub fn is_debuginfo(name: &str) -> bool {
    name.ends_with("-debuginfo") || name.ends_with("-debugsource") || name.contains("-debuginfo-")
}

fn checked_build<'a>(build: &BuildPath<'a>) -> Result<(), PlanError> {
    safe_component(build.name)?;
    safe_component(build.version)?;
    safe_component(build.release)?;
    if let Some(v) = build.volume {
        safe_component(v)?;
    }
    Ok(())
}

/// Plans a build's RPMs. `rpms` are the build's `listRPMs` rows (already
/// filtered by arch if the hub was asked to); `signed` is `Some(key)` when
/// the signed copies are wanted (the caller keeps only RPMs that have a
/// signature with that key, as koji's `queryRPMSigs` check does).
pub fn plan_rpms(
    build: &BuildPath<'_>,
    rpms: &[RpmRow],
    opts: &BuildOptions,
) -> Result<Plan, PlanError> {
    checked_build(build)?;
    let build_dir = paths::build_rel(build);
    let mut plan = Plan::default();
    for r in rpms {
        if !opts.arches.is_empty() && !opts.arches.iter().any(|a| a == &r.arch) {
            continue;
        }
        if !opts.debuginfo && is_debuginfo(&r.name) {
            continue;
        }
        for c in [&r.name, &r.version, &r.release, &r.arch] {
            safe_component(c)?;
        }
        let rp = RpmPath::new(&r.name, &r.version, &r.release, &r.arch);
        let (rel, kind, size) = match &opts.key {
            Some(key) => {
                safe_component(key)?;
                // Signed copies differ in size from the unsigned one the hub
                // knows; their SIGMD5 does not.
                (
                    format!("data/signed/{key}/{}", paths::rpm_rel(&rp)),
                    FileKind::SignedRpm,
                    None,
                )
            }
            None => (paths::rpm_rel(&rp), FileKind::Rpm, r.size),
        };
        let file = rel.rsplit('/').next().unwrap_or_default().to_owned();
        plan.files.push(PlannedFile {
            source: format!("{build_dir}/{rel}"),
            dest: dest_of(&file)?,
            expected: Expected {
                size,
                check: Check::Rpm {
                    payloadhash: r.payloadhash.clone(),
                },
            },
            kind,
        });
    }
    Ok(plan)
}

/// Plans a build's archives (`listArchives` rows, with their maven/win
/// members for those types), laid out as koji's `download_archive`:
/// maven files under `<group path>/<artifact>/<version>/`, win files under
/// their relpath, everything else by file name.
pub fn plan_archives(build: &BuildPath<'_>, archives: &[ArchiveRow]) -> Result<Plan, PlanError> {
    checked_build(build)?;
    let mut plan = Plan::default();
    for a in archives {
        safe_component(&a.filename)?;
        safe_component(&a.btype)?;
        let typedir = paths::typedir_rel(build, &a.btype);
        let rel = match a.btype.as_str() {
            "maven" => {
                let missing = |member| PlanError::Missing {
                    what: a.filename.clone(),
                    member,
                };
                let group = a.group_id.as_deref().ok_or_else(|| missing("group_id"))?;
                let artifact = a
                    .artifact_id
                    .as_deref()
                    .ok_or_else(|| missing("artifact_id"))?;
                let version = a.version.as_deref().ok_or_else(|| missing("version"))?;
                for c in group.split('.') {
                    safe_component(c)?;
                }
                safe_component(artifact)?;
                safe_component(version)?;
                paths::mavenrepo_rel(&MavenPath {
                    group_id: group,
                    artifact_id: artifact,
                    version,
                    filename: &a.filename,
                }) + "/"
                    + &a.filename
            }
            "win" => {
                if let Some(r) = a.relpath.as_deref().filter(|r| !r.is_empty()) {
                    safe_relpath(r)?;
                }
                paths::winfile_rel(a.relpath.as_deref(), &a.filename)
            }
            _ => a.filename.clone(),
        };
        let check = match (&a.checksum, a.checksum_type) {
            (Some(sum), Some(t)) => Check::Digest {
                kind: DigestKind::from_checksum_type(t)
                    .ok_or_else(|| PlanError::ChecksumType(a.filename.clone(), t))?,
                hex: sum.clone(),
            },
            _ => Check::None,
        };
        plan.files.push(PlannedFile {
            source: format!("{typedir}/{rel}"),
            dest: dest_of(&rel)?,
            expected: Expected {
                size: a.size,
                check,
            },
            kind: FileKind::Archive,
        });
    }
    Ok(plan)
}

/// What to take from a task tree (koji's `download-task` flags).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskOptions {
    /// Only RPMs of these arches (the file name's arch part; may hold
    /// comma-separated lists, as koji accepts).
    pub arches: Vec<String>,
    /// Also take `.log` files.
    pub logs: bool,
}

/// Plans a task tree's outputs like koji's `download-task` (without
/// `--all`): `.rpm` files of `build`/`buildArch` tasks, by the arch in the
/// file name, plus logs with [`TaskOptions::logs`], renamed
/// `<stem>.<task arch>.log` when the name lacks the task's arch. Files on
/// another volume go under a directory named after it. `tasks` are the
/// parent and its children, in any order (they are sorted by id).
pub fn plan_task(tasks: &[TaskFiles], opts: &TaskOptions) -> Result<Plan, PlanError> {
    let arches: Vec<&str> = opts
        .arches
        .iter()
        .flat_map(|a| a.split(','))
        .filter(|a| !a.is_empty())
        .collect();
    let mut sorted: Vec<&TaskFiles> = tasks.iter().collect();
    sorted.sort_by_key(|t| t.id);
    let mut seen = BTreeSet::new();
    let mut plan = Plan::default();
    for task in sorted {
        for (filename, volumes) in &task.files {
            safe_component(filename)?;
            let filetype = if filename.ends_with("src.rpm") {
                "src.rpm"
            } else {
                filename.rsplit_once('.').map(|(_, e)| e).unwrap_or("")
            };
            let is_build = matches!(task.method.as_str(), "build" | "buildArch");
            let mut push = |new_name: String, kind: FileKind| -> Result<(), PlanError> {
                for volume in volumes {
                    let vol = (!paths::is_default_volume(Some(volume))).then_some(volume.as_str());
                    if let Some(v) = vol {
                        safe_component(v)?;
                    }
                    let dest = match vol {
                        Some(v) => format!("{v}/{new_name}"),
                        None => new_name.clone(),
                    };
                    if !seen.insert(dest.clone()) {
                        continue;
                    }
                    plan.files.push(PlannedFile {
                        source: format!("{}/{filename}", paths::task_rel(task.id, vol)),
                        dest: dest_of(&dest)?,
                        expected: Expected {
                            size: None,
                            check: if filename.ends_with(".rpm") {
                                Check::Rpm { payloadhash: None }
                            } else {
                                Check::None
                            },
                        },
                        kind,
                    });
                }
                Ok(())
            };
            if is_build && (filetype == "rpm" || filetype == "src.rpm") {
                let mut parts = filename.rsplit('.');
                let filearch = parts.nth(1).unwrap_or("");
                if arches.is_empty() || arches.contains(&filearch) {
                    push(filename.clone(), FileKind::TaskOutput)?;
                }
            }
            if filetype == "log" && opts.logs {
                let name = if filename.contains(task.arch.as_str()) {
                    filename.clone()
                } else {
                    let stem = filename.strip_suffix(".log").unwrap_or(filename);
                    format!("{stem}.{}.log", task.arch)
                };
                safe_component(&task.arch)?;
                push(name, FileKind::Log)?;
            }
        }
    }
    Ok(plan)
}

/// Plans a task tree's logs like koji's `download-logs -r`: every `.log`
/// file of each task under `<arch>-<task id>/`, children nested in their
/// parent's directory. `tree` maps each task to its parent (`None` for the
/// root).
pub fn plan_task_logs(tasks: &[(TaskFiles, Option<i64>)]) -> Result<Plan, PlanError> {
    let by_id: BTreeMap<i64, (&TaskFiles, Option<i64>)> =
        tasks.iter().map(|(t, p)| (t.id, (t, *p))).collect();
    let dir_of = |mut id: i64| -> Result<String, PlanError> {
        let mut parts = Vec::new();
        let mut guard = 0;
        while let Some((t, parent)) = by_id.get(&id) {
            safe_component(&t.arch)?;
            parts.push(format!("{}-{}", t.arch, t.id));
            guard += 1;
            match parent {
                Some(p) if guard < 64 => id = *p,
                _ => break,
            }
        }
        parts.reverse();
        Ok(parts.join("/"))
    };
    let mut plan = Plan::default();
    for (task, _) in by_id.values() {
        let dir = dir_of(task.id)?;
        for (filename, volumes) in &task.files {
            if !filename.ends_with(".log") {
                continue;
            }
            safe_component(filename)?;
            for volume in volumes {
                let vol = (!paths::is_default_volume(Some(volume))).then_some(volume.as_str());
                let dest = match vol {
                    Some(v) => format!("{dir}/{}/{filename}", safe_component(v)?),
                    None => format!("{dir}/{filename}"),
                };
                plan.files.push(PlannedFile {
                    source: format!("{}/{filename}", paths::task_rel(task.id, vol)),
                    dest: dest_of(&dest)?,
                    expected: Expected {
                        size: None,
                        check: Check::None,
                    },
                    kind: FileKind::Log,
                });
            }
        }
    }
    Ok(plan)
}

/// Plans a build's logs (`getBuildLogs` rows) like koji's `download-logs
/// --nvr`: `.log` files under `<nvr>/<name>`, from their path below the top.
pub fn plan_build_logs(nvr: &str, logs: &[BuildLogRow]) -> Result<Plan, PlanError> {
    safe_component(nvr)?;
    let mut plan = Plan::default();
    for log in logs {
        if !log.name.ends_with(".log") {
            continue;
        }
        safe_component(&log.name)?;
        safe_relpath(&log.path)?;
        plan.files.push(PlannedFile {
            source: log.path.clone(),
            dest: dest_of(&format!("{nvr}/{}", log.name))?,
            expected: Expected {
                size: None,
                check: Check::None,
            },
            kind: FileKind::Log,
        });
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn rpm(name: &str, arch: &str) -> RpmRow {
        RpmRow {
            id: 1,
            name: name.into(),
            version: "1.3".into(),
            release: "1.fc40".into(),
            arch: arch.into(),
            size: Some(10),
            payloadhash: Some("ab".into()),
            build_id: Some(17),
        }
    }

    const B: BuildPath<'static> = BuildPath {
        name: "hello",
        version: "1.3",
        release: "1.fc40",
        volume: None,
    };

    fn dests(p: &Plan) -> Vec<String> {
        p.files
            .iter()
            .map(|f| f.dest.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn rpms_by_arch_debuginfo_and_key() {
        let rows = [
            rpm("hello", "src"),
            rpm("hello", "x86_64"),
            rpm("hello", "noarch"),
            rpm("hello-debuginfo", "x86_64"),
            rpm("hello-debugsource", "x86_64"),
        ];
        let all = plan_rpms(&B, &rows, &BuildOptions::default()).unwrap();
        assert_eq!(
            dests(&all),
            [
                "hello-1.3-1.fc40.src.rpm",
                "hello-1.3-1.fc40.x86_64.rpm",
                "hello-1.3-1.fc40.noarch.rpm"
            ]
        );
        assert_eq!(
            all.files[1].source,
            "packages/hello/1.3/1.fc40/x86_64/hello-1.3-1.fc40.x86_64.rpm"
        );
        assert_eq!(all.files[1].expected.size, Some(10));
        let x86 = BuildOptions {
            arches: vec!["x86_64".into()],
            debuginfo: true,
            ..Default::default()
        };
        assert_eq!(dests(&plan_rpms(&B, &rows, &x86).unwrap()).len(), 3);
        let signed = BuildOptions {
            key: Some("5f7d0464".into()),
            arches: vec!["x86_64".into()],
            ..Default::default()
        };
        let p = plan_rpms(&B, &rows, &signed).unwrap();
        assert_eq!(
            p.files[0].source,
            "packages/hello/1.3/1.fc40/data/signed/5f7d0464/x86_64/hello-1.3-1.fc40.x86_64.rpm"
        );
        assert_eq!(p.files[0].expected.size, None);
        assert_eq!(p.files[0].kind, FileKind::SignedRpm);
    }

    #[test]
    fn archives_by_type_layout() {
        let rows = [
            ArchiveRow {
                filename: "thing-1.2.jar".into(),
                btype: "maven".into(),
                size: Some(3),
                checksum: Some("abc".into()),
                checksum_type: Some(2),
                group_id: Some("org.example".into()),
                artifact_id: Some("thing".into()),
                version: Some("1.2".into()),
                ..Default::default()
            },
            ArchiveRow {
                filename: "a.dll".into(),
                btype: "win".into(),
                relpath: Some("bin".into()),
                ..Default::default()
            },
            ArchiveRow {
                filename: "img.tar.gz".into(),
                btype: "image".into(),
                checksum: Some("00".into()),
                checksum_type: Some(0),
                ..Default::default()
            },
            ArchiveRow {
                filename: "src.tar".into(),
                btype: "remote-sources".into(),
                ..Default::default()
            },
        ];
        let p = plan_archives(&B, &rows).unwrap();
        assert_eq!(
            dests(&p),
            [
                "org/example/thing/1.2/thing-1.2.jar",
                "bin/a.dll",
                "img.tar.gz",
                "src.tar"
            ]
        );
        let sources: Vec<_> = p.files.iter().map(|f| f.source.as_str()).collect();
        assert_eq!(
            sources,
            [
                "packages/hello/1.3/1.fc40/maven/org/example/thing/1.2/thing-1.2.jar",
                "packages/hello/1.3/1.fc40/win/bin/a.dll",
                "packages/hello/1.3/1.fc40/images/img.tar.gz",
                "packages/hello/1.3/1.fc40/files/remote-sources/src.tar"
            ]
        );
        assert_eq!(
            p.files[0].expected.check,
            Check::Digest {
                kind: DigestKind::Sha256,
                hex: "abc".into()
            }
        );
        let bad = ArchiveRow {
            checksum: Some("0".into()),
            checksum_type: Some(7),
            ..rows[3].clone()
        };
        assert!(matches!(
            plan_archives(&B, &[bad]),
            Err(PlanError::ChecksumType(_, 7))
        ));
    }

    #[test]
    fn hostile_names_are_refused() {
        for name in ["../../etc/passwd", "a/b", "..", ".", "", "x\0y", "/abs"] {
            let mut r = rpm("hello", "x86_64");
            r.name = name.into();
            assert!(
                matches!(
                    plan_rpms(&B, &[r], &BuildOptions::default()),
                    Err(PlanError::UnsafeName(_))
                ),
                "{name:?}"
            );
            let a = ArchiveRow {
                filename: name.into(),
                btype: "image".into(),
                ..Default::default()
            };
            assert!(plan_archives(&B, &[a]).is_err(), "{name:?}");
            let t = TaskFiles {
                id: 4,
                method: "buildArch".into(),
                arch: "x86_64".into(),
                files: [(format!("{name}.x86_64.rpm"), vec!["DEFAULT".into()])].into(),
            };
            if name.contains('/') || name.contains('\0') {
                assert!(
                    plan_task(&[t], &TaskOptions::default()).is_err(),
                    "{name:?}"
                );
            }
        }
        let win = ArchiveRow {
            filename: "a.dll".into(),
            btype: "win".into(),
            relpath: Some("../up".into()),
            ..Default::default()
        };
        assert!(plan_archives(&B, &[win]).is_err());
        let key = BuildOptions {
            key: Some("../k".into()),
            ..Default::default()
        };
        assert!(plan_rpms(&B, &[rpm("hello", "x86_64")], &key).is_err());
        assert!(
            plan_build_logs(
                "hello-1.3-1.fc40",
                &[BuildLogRow {
                    name: "x.log".into(),
                    dir: ".".into(),
                    path: "/etc/x.log".into()
                }]
            )
            .is_err()
        );
    }

    #[test]
    fn task_outputs_like_koji_download_task() {
        let files = |names: &[&str]| -> BTreeMap<String, Vec<String>> {
            names
                .iter()
                .map(|n| (n.to_string(), vec!["DEFAULT".to_string()]))
                .collect()
        };
        let tasks = [
            TaskFiles {
                id: 5,
                method: "buildArch".into(),
                arch: "x86_64".into(),
                files: files(&[
                    "hello-1.3-1.fc40.x86_64.rpm",
                    "build.log",
                    "root.log",
                    "hello-1.3-1.fc40.src.rpm",
                ]),
            },
            TaskFiles {
                id: 4,
                method: "build".into(),
                arch: "noarch".into(),
                files: files(&["hello-1.3-1.fc40.src.rpm", "tag.log"]),
            },
            TaskFiles {
                id: 6,
                method: "tagBuild".into(),
                arch: "noarch".into(),
                files: files(&["x.rpm"]),
            },
        ];
        let p = plan_task(&tasks, &TaskOptions::default()).unwrap();
        assert_eq!(
            dests(&p),
            ["hello-1.3-1.fc40.src.rpm", "hello-1.3-1.fc40.x86_64.rpm"]
        );
        assert_eq!(
            p.files[1].source,
            "work/tasks/5/5/hello-1.3-1.fc40.x86_64.rpm"
        );
        let logs = plan_task(
            &tasks,
            &TaskOptions {
                arches: vec!["src,aarch64".into()],
                logs: true,
            },
        )
        .unwrap();
        assert_eq!(
            dests(&logs),
            [
                "hello-1.3-1.fc40.src.rpm",
                "tag.noarch.log",
                "build.x86_64.log",
                "root.x86_64.log"
            ]
        );
    }

    #[test]
    fn task_logs_nest_children_under_parents() {
        let t = |id, arch: &str, names: &[&str]| TaskFiles {
            id,
            method: "x".into(),
            arch: arch.into(),
            files: names
                .iter()
                .map(|n| (n.to_string(), vec!["DEFAULT".to_string()]))
                .collect(),
        };
        let p = plan_task_logs(&[
            (t(2, "noarch", &["a.log", "x.rpm"]), None),
            (t(3, "x86_64", &["build.log"]), Some(2)),
        ])
        .unwrap();
        assert_eq!(dests(&p), ["noarch-2/a.log", "noarch-2/x86_64-3/build.log"]);
    }
}
