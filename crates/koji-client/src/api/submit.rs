//! Submitting work: `build` from an SCM URL or a local SRPM (uploaded
//! first), and content-generator imports (`CGImport`, outputs uploaded
//! first, metadata from a typed builder).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use koji_xmlrpc::{Struct, Value};
use serde::Serialize;

use crate::upload::{UploadError, UploadProgress, Uploaded, unique_path};
use crate::{Build, Connection};

/// Why a submission failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// `getBuildTarget` found no such target (koji's CLI checks this before
    /// `build`; the hub itself would accept any name).
    #[error("no such build target: {0}")]
    NoSuchTarget(String),
    /// The target's destination tag is locked (and the build is not a
    /// scratch build).
    #[error("destination tag {0} is locked")]
    DestinationLocked(String),
    /// Options that do not go together (koji's CLI checks).
    #[error("invalid build options: {0}")]
    InvalidOptions(String),
    /// Uploading the SRPM or the outputs failed.
    #[error(transparent)]
    Upload(#[from] UploadError),
    /// The hub refused the call (e.g. anonymous: `ActionNotAllowed`), or the
    /// way to it failed.
    #[error(transparent)]
    Hub(#[from] crate::Error),
}

impl SubmitError {
    /// The hub's fault kind, for faults.
    pub fn fault_kind(&self) -> Option<crate::FaultKind> {
        match self {
            SubmitError::Hub(e) => e.fault_kind(),
            SubmitError::Upload(e) => e.fault_kind(),
            _ => None,
        }
    }
}

type Progress = Arc<dyn Fn(&UploadProgress) + Send + Sync>;

/// A `build` call being set up; see [`Connection::build`].
#[must_use = "a build request does nothing until it is sent"]
pub struct BuildRequest<'c> {
    koji: &'c Connection,
    source: String,
    target: String,
    opts: Struct,
    priority: Option<i64>,
    channel: Option<String>,
    check_target: bool,
    blocksize: usize,
    progress: Option<Progress>,
}

impl std::fmt::Debug for BuildRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuildRequest")
            .field("source", &self.source)
            .field("target", &self.target)
            .field("opts", &self.opts)
            .field("priority", &self.priority)
            .finish()
    }
}

/// A submitted build.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Submitted {
    /// The `build` task's id.
    pub task_id: i64,
    /// The source as sent: the SCM URL, or the uploaded SRPM's path
    /// relative to `work/`.
    pub source: String,
    /// The SRPM upload, for a local source.
    pub upload: Option<Uploaded>,
}

/// A build task watched to its end; see [`Submitted::wait`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Finished {
    /// How the task tree ended (which tasks failed, with their texts).
    pub summary: crate::watch::WatchSummary,
    /// The build the task made (`listBuilds(taskID=…)`); `None` for a
    /// scratch build or a task that failed before making one.
    pub build: Option<Build>,
}

impl Submitted {
    /// Watches the task tree until it finishes (polling every
    /// `poll_interval`, the profile's `poll_interval`), then looks up the
    /// build it made.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> Result<(), koji_client::api::SubmitError> {
    /// let task = koji.build("git+https://src.example.org/rpms/hello.git#0123abc", "f40-candidate").send().await?;
    /// let done = task.wait(&koji, std::time::Duration::from_secs(6)).await?;
    /// if done.summary.success() {
    ///     println!("built {:?}", done.build.and_then(|b| b.nvr));
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn wait(
        &self,
        koji: &Connection,
        poll_interval: std::time::Duration,
    ) -> Result<Finished, SubmitError> {
        let summary = koji
            .watch_tasks([self.task_id])
            .poll_interval(poll_interval)
            .wait()
            .await?;
        let builds: Vec<Build> = koji
            .request("listBuilds")
            .kwarg("taskID", self.task_id)
            .typed()
            .await?;
        Ok(Finished {
            summary,
            build: builds.into_iter().next(),
        })
    }
}

impl Connection {
    /// Starts a `build(src, target, opts, priority=…)` submission. A source
    /// with `://` is an SCM URL; anything else is a local SRPM, uploaded
    /// to `cli-build/<time>.<random>/` first, as koji's CLI does.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> Result<(), koji_client::api::SubmitError> {
    /// let done = koji
    ///     .build("git+https://src.example.org/rpms/hello.git#0123abc", "f40-candidate")
    ///     .scratch(true)
    ///     .arch_override(["x86_64", "aarch64"])
    ///     .send()
    ///     .await?;
    /// println!("task {}", done.task_id);
    /// # Ok(()) }
    /// ```
    pub fn build(&self, source: impl Into<String>, target: impl Into<String>) -> BuildRequest<'_> {
        let mut opts = Struct::new();
        opts.insert("custom_user_metadata".into(), Value::Struct(Struct::new()));
        BuildRequest {
            koji: self,
            source: source.into(),
            target: target.into(),
            opts,
            priority: None,
            channel: None,
            check_target: true,
            blocksize: crate::upload::DEFAULT_BLOCKSIZE,
            progress: None,
        }
    }
}

impl BuildRequest<'_> {
    fn opt(mut self, name: &str, value: Value) -> Self {
        self.opts.insert(name.to_owned(), value);
        self
    }

    /// A scratch build (`opts.scratch`).
    pub fn scratch(self, on: bool) -> Self {
        if on {
            self.opt("scratch", Value::Bool(true))
        } else {
            self
        }
    }

    /// Builds only these arches (`opts.arch_override`, space-separated as
    /// `koji.parse_arches` makes it); needs [`scratch`](Self::scratch).
    pub fn arch_override<I, S>(self, arches: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let list: Vec<String> = arches
            .into_iter()
            .flat_map(|a| {
                a.as_ref()
                    .split([',', ' '])
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect();
        self.opt("arch_override", Value::String(list.join(" ")))
    }

    /// Does not tag the build when it completes (`opts.skip_tag`).
    pub fn skip_tag(self, on: bool) -> Self {
        if on {
            self.opt("skip_tag", Value::Bool(true))
        } else {
            self
        }
    }

    /// Fails the whole build as soon as one arch fails (`opts.fail_fast`).
    pub fn fail_fast(self, on: bool) -> Self {
        if on {
            self.opt("fail_fast", Value::Bool(true))
        } else {
            self
        }
    }

    /// Builds against this repo (`opts.repo_id`).
    pub fn repo_id(self, id: i64) -> Self {
        self.opt("repo_id", Value::Int(id))
    }

    /// Waits for a current repo first (`opts.wait_repo`).
    pub fn wait_repo(self, on: bool) -> Self {
        if on {
            self.opt("wait_repo", Value::Bool(true))
        } else {
            self
        }
    }

    /// Waits for these builds in the build tag first (`opts.wait_builds`).
    pub fn wait_builds<I: IntoIterator<Item = S>, S: Into<String>>(self, nvrs: I) -> Self {
        let list = nvrs.into_iter().map(|n| Value::String(n.into())).collect();
        self.opt("wait_builds", Value::Array(list))
    }

    /// Rebuilds the SRPM from an uploaded SRPM (`opts.rebuild_srpm`).
    pub fn rebuild_srpm(self, on: bool) -> Self {
        self.opt("rebuild_srpm", Value::Bool(on))
    }

    /// A draft build (`opts.draft`); not with scratch.
    pub fn draft(self, on: bool) -> Self {
        if on {
            self.opt("draft", Value::Bool(true))
        } else {
            self
        }
    }

    /// Custom user metadata (`opts.custom_user_metadata`).
    pub fn custom_user_metadata(self, meta: Struct) -> Self {
        self.opt("custom_user_metadata", Value::Struct(meta))
    }

    /// Any other `build` option, as the hub names it.
    pub fn option(self, name: &str, value: impl Into<Value>) -> Self {
        self.opt(name, value.into())
    }

    /// Priority relative to the default (the hub adds 20); lower runs
    /// sooner, negative values need admin.
    pub fn priority(mut self, priority: i64) -> Self {
        self.priority = Some(priority);
        self
    }

    /// koji's `--background`: priority 5.
    pub fn background(self) -> Self {
        self.priority(5)
    }

    /// Submits to this channel (`channel=`).
    pub fn channel(mut self, channel: impl Into<String>) -> Self {
        self.channel = Some(channel.into());
        self
    }

    /// Whether to check the target (and its destination tag's lock) first,
    /// as koji's CLI does (default true). The hub itself accepts any
    /// target name and fails the task later.
    pub fn check_target(mut self, on: bool) -> Self {
        self.check_target = on;
        self
    }

    /// Chunk size for the SRPM upload (the profile's `upload_blocksize`).
    pub fn upload_blocksize(mut self, bytes: usize) -> Self {
        self.blocksize = bytes;
        self
    }

    /// Watches the SRPM upload.
    pub fn on_upload_progress(
        mut self,
        f: impl Fn(&UploadProgress) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Whether the source is an SCM URL (else a local SRPM).
    pub fn is_scm(&self) -> bool {
        self.source.contains("://")
    }

    /// Checks, uploads a local SRPM, and calls `build`; returns the task.
    pub async fn send(self) -> Result<Submitted, SubmitError> {
        let scratch = self.opts.get("scratch").and_then(Value::as_bool) == Some(true);
        if self.opts.contains_key("arch_override") && !scratch {
            return Err(SubmitError::InvalidOptions(
                "arch_override needs a scratch build".into(),
            ));
        }
        if scratch && self.opts.get("draft").and_then(Value::as_bool) == Some(true) {
            return Err(SubmitError::InvalidOptions(
                "a build cannot be both draft and scratch".into(),
            ));
        }
        let koji = self.koji;
        // A local SRPM that cannot be read fails before anything is sent.
        let local = (!self.is_scm()).then(|| PathBuf::from(&self.source));
        if let Some(path) = &local {
            std::fs::File::open(path).map_err(|source| UploadError::Local {
                path: path.clone(),
                source,
            })?;
        }
        if self.check_target {
            let target = koji
                .get_build_target(self.target.as_str())
                .await?
                .ok_or_else(|| SubmitError::NoSuchTarget(self.target.clone()))?;
            if !scratch {
                if let Some(dest) = target.dest_tag {
                    let tag = koji.get_tag(dest).await?;
                    if tag.as_ref().and_then(|t| t.locked) == Some(true) {
                        let name = target
                            .dest_tag_name
                            .clone()
                            .unwrap_or_else(|| dest.to_string());
                        return Err(SubmitError::DestinationLocked(name));
                    }
                }
            }
        }
        let (source, upload) = match local {
            None => (self.source.clone(), None),
            Some(path) => {
                let mut up = koji
                    .upload(&path, unique_path("cli-build"))
                    .overwrite(true)
                    .blocksize(self.blocksize);
                if let Some(p) = self.progress.clone() {
                    up = up.on_progress(move |x| p(x));
                }
                let done = up.send().await?;
                (done.server_path.clone(), Some(done))
            }
        };
        let mut kwargs = Struct::new();
        kwargs.insert(
            "priority".into(),
            self.priority.map_or(Value::Nil, Value::Int),
        );
        if let Some(c) = &self.channel {
            kwargs.insert("channel".into(), Value::String(c.clone()));
        }
        let call = koji.prepare_with(
            "build",
            (
                source.as_str(),
                self.target.as_str(),
                Value::Struct(self.opts),
            ),
            kwargs,
        )?;
        let task_id: i64 = koji.execute_as(&call).await?;
        Ok(Submitted {
            task_id,
            source,
            upload,
        })
    }
}

/// The `build` section of content-generator metadata.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[non_exhaustive]
pub struct CgBuild {
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Release.
    pub release: String,
    /// Where it was built from.
    pub source: String,
    /// Build start, seconds since the epoch.
    pub start_time: f64,
    /// Build end, seconds since the epoch.
    pub end_time: f64,
    /// Free-form extra data (`typeinfo` sections such as `image`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, serde_json::Value>,
    /// A build reserved with `CGInitBuild` (then a token is needed too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_id: Option<i64>,
}

impl CgBuild {
    /// A build section with the required fields.
    pub fn new(
        name: impl Into<String>,
        version: impl Into<String>,
        release: impl Into<String>,
        source: impl Into<String>,
        start_time: f64,
        end_time: f64,
    ) -> CgBuild {
        CgBuild {
            name: name.into(),
            version: version.into(),
            release: release.into(),
            source: source.into(),
            start_time,
            end_time,
            extra: BTreeMap::new(),
            build_id: None,
        }
    }
}

/// One buildroot of content-generator metadata.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[non_exhaustive]
pub struct CgBuildroot {
    /// Id within this metadata (outputs refer to it).
    pub id: i64,
    /// `{os, arch}` of the host.
    pub host: BTreeMap<String, String>,
    /// `{name, version}`: the content generator (the caller needs access to it).
    pub content_generator: BTreeMap<String, String>,
    /// `{type, arch}` of the container.
    pub container: BTreeMap<String, String>,
    /// `[{name, version}]`.
    pub tools: Vec<BTreeMap<String, String>>,
    /// Installed components (rpm/file entries as the hub expects them).
    pub components: Vec<serde_json::Value>,
    /// Free-form extra data.
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl CgBuildroot {
    /// A buildroot made by content generator `cg` (name, version) on a host.
    pub fn new(id: i64, cg: (&str, &str), host: (&str, &str), container: (&str, &str)) -> Self {
        let pair = |a: &str, av: &str, b: &str, bv: &str| {
            BTreeMap::from([(a.to_owned(), av.to_owned()), (b.to_owned(), bv.to_owned())])
        };
        CgBuildroot {
            id,
            host: pair("os", host.0, "arch", host.1),
            content_generator: pair("name", cg.0, "version", cg.1),
            container: pair("type", container.0, "arch", container.1),
            tools: Vec::new(),
            components: Vec::new(),
            extra: BTreeMap::new(),
        }
    }

    /// Adds a tool `{name, version}`.
    pub fn tool(mut self, name: &str, version: &str) -> Self {
        self.tools.push(BTreeMap::from([
            ("name".to_owned(), name.to_owned()),
            ("version".to_owned(), version.to_owned()),
        ]));
        self
    }
}

/// One output file of content-generator metadata.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[non_exhaustive]
pub struct CgOutput {
    /// The buildroot it came from.
    pub buildroot_id: i64,
    /// File name (as uploaded).
    pub filename: String,
    /// Size in bytes.
    pub filesize: u64,
    /// Architecture (`noarch` for logs).
    pub arch: String,
    /// Hex digest.
    pub checksum: String,
    /// `md5` (what koji's tools send) or `sha256`.
    pub checksum_type: String,
    /// Archive type (`docker-image`, `tar`, `log`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Free-form extra data.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, serde_json::Value>,
    #[serde(skip)]
    local: Option<PathBuf>,
}

impl CgOutput {
    /// An output already uploaded (or to upload yourself), with its size
    /// and md5 given.
    pub fn new(
        filename: impl Into<String>,
        filesize: u64,
        md5: impl Into<String>,
        buildroot_id: i64,
        arch: impl Into<String>,
        kind: impl Into<String>,
    ) -> CgOutput {
        CgOutput {
            buildroot_id,
            filename: filename.into(),
            filesize,
            arch: arch.into(),
            checksum: md5.into(),
            checksum_type: "md5".into(),
            kind: kind.into(),
            extra: BTreeMap::new(),
            local: None,
        }
    }

    /// Sets the extra data.
    pub fn extra(mut self, extra: BTreeMap<String, serde_json::Value>) -> Self {
        self.extra = extra;
        self
    }
}

/// `CGImport` metadata (version 0) and the local files behind its
/// outputs; [`send`](Self::send) uploads them, then imports.
///
/// ```no_run
/// # async fn demo(koji: koji_client::Connection) -> Result<(), koji_client::api::SubmitError> {
/// use koji_client::api::{CgBuild, CgBuildroot, CgImport};
///
/// let build = CgBuild::new("wp-container", "1.0", "1", "git://example.org/c#abc", 1.7e9, 1.7e9 + 60.0);
/// let root = CgBuildroot::new(1, ("atomic-reactor", "4.8"), ("Fedora 40", "x86_64"), ("docker", "x86_64"))
///     .tool("podman", "5.0");
/// let imported = CgImport::new(build)
///     .buildroot(root)
///     .output_file("out/image.x86_64.tar.gz", 1, "x86_64", "docker-image")?
///     .output_file("out/orchestrator.log", 1, "noarch", "log")?
///     .send(&koji)
///     .await?;
/// println!("build {:?}", imported.id);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Serialize, PartialEq)]
#[must_use]
pub struct CgImport {
    metadata_version: i64,
    build: CgBuild,
    buildroots: Vec<CgBuildroot>,
    output: Vec<CgOutput>,
    #[serde(skip)]
    token: Option<String>,
}

impl CgImport {
    /// Metadata for `build`, with no buildroots or outputs yet.
    pub fn new(build: CgBuild) -> CgImport {
        CgImport {
            metadata_version: 0,
            build,
            buildroots: Vec::new(),
            output: Vec::new(),
            token: None,
        }
    }

    /// Adds a buildroot.
    pub fn buildroot(mut self, root: CgBuildroot) -> Self {
        self.buildroots.push(root);
        self
    }

    /// Adds a local file as an output: its name, size and md5 are taken
    /// from the file now, and it is uploaded by [`send`](Self::send).
    pub fn output_file(
        mut self,
        path: impl AsRef<Path>,
        buildroot_id: i64,
        arch: &str,
        kind: &str,
    ) -> Result<Self, SubmitError> {
        let path = path.as_ref();
        let local = |source| UploadError::Local {
            path: path.to_path_buf(),
            source,
        };
        let data = std::fs::read(path).map_err(local)?;
        let filename = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| {
                UploadError::InvalidTarget(format!("{} has no file name", path.display()))
            })?
            .to_owned();
        let digest = openssl::hash::hash(openssl::hash::MessageDigest::md5(), &data)
            .map_err(|e| local(std::io::Error::other(e)))?;
        self.output.push(CgOutput {
            buildroot_id,
            filename,
            filesize: data.len() as u64,
            arch: arch.to_owned(),
            checksum: digest.iter().map(|b| format!("{b:02x}")).collect(),
            checksum_type: "md5".into(),
            kind: kind.to_owned(),
            extra: BTreeMap::new(),
            local: Some(path.to_path_buf()),
        });
        Ok(self)
    }

    /// Adds an output described by hand (not uploaded by [`send`](Self::send)).
    pub fn output(mut self, output: CgOutput) -> Self {
        self.output.push(output);
        self
    }

    /// Sets an output's extra data (by file name).
    pub fn output_extra(
        mut self,
        filename: &str,
        extra: BTreeMap<String, serde_json::Value>,
    ) -> Self {
        if let Some(o) = self.output.iter_mut().find(|o| o.filename == filename) {
            o.extra = extra;
        }
        self
    }

    /// Imports into a build reserved with `CGInitBuild` (its id and token).
    pub fn reserved(mut self, build_id: i64, token: impl Into<String>) -> Self {
        self.build.build_id = Some(build_id);
        self.token = Some(token.into());
        self
    }

    /// The metadata as the hub reads it.
    pub fn metadata(&self) -> Result<Value, SubmitError> {
        koji_xmlrpc::to_value(self)
            .map_err(|e| SubmitError::InvalidOptions(format!("metadata does not encode: {e}")))
    }

    /// Uploads the outputs to a fresh `cli-import/…` directory and calls
    /// `CGImport(metadata, directory[, token])`; returns the new build.
    pub async fn send(self, koji: &Connection) -> Result<Build, SubmitError> {
        let dir = unique_path("cli-import");
        for out in &self.output {
            if let Some(path) = &out.local {
                koji.upload(path, dir.as_str())
                    .name(out.filename.as_str())
                    .send()
                    .await?;
            }
        }
        self.import_from(koji, &dir).await
    }

    /// Calls `CGImport` on files already uploaded to `dir` (relative to
    /// `work/`).
    pub async fn import_from(&self, koji: &Connection, dir: &str) -> Result<Build, SubmitError> {
        let meta = self.metadata()?;
        let call = match &self.token {
            Some(t) => koji.prepare("CGImport", (meta, dir, t.as_str()))?,
            None => koji.prepare("CGImport", (meta, dir))?,
        };
        Ok(koji.execute_as(&call).await?)
    }
}
