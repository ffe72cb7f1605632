//! Where Koji keeps its files: koji's `PathInfo` in Rust.
//!
//! Every build, RPM, signed copy, cached signature header, log, archive,
//! task work directory and repository has a fixed place under the file
//! tree's top. The top is a URL (a profile's `topurl`, e.g.
//! `https://kojipkgs.fedoraproject.org`) or a directory (`topdir`, e.g.
//! `/mnt/koji` on a host that mounts the tree); the layout is the same.
//!
//! [`PathInfo`] joins the top with the relative paths, exactly as koji's
//! `PathInfo` does (plain string joins: no percent-encoding, no checks).
//! The `*_rel` methods give the part below the top, which the download
//! planner checks and encodes itself. Everything here is pure: no I/O.
//!
//! ```
//! use koji_client::paths::{BuildPath, PathInfo, RpmPath};
//!
//! let pi = PathInfo::new("https://kojipkgs.example.org/");
//! let build = BuildPath::new("hello", "1.3", "1.fc40");
//! let rpm = RpmPath::new("hello", "1.3", "1.fc40", "x86_64");
//! assert_eq!(
//!     format!("{}/{}", pi.build(&build), pi.rpm(&rpm)),
//!     "https://kojipkgs.example.org/packages/hello/1.3/1.fc40/x86_64/hello-1.3-1.fc40.x86_64.rpm"
//! );
//! assert_eq!(pi.task(4, None), "https://kojipkgs.example.org/work/tasks/4/4");
//! ```

use crate::config::Profile;

/// The file tree layout below one top (URL or directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathInfo {
    top: String,
}

/// What locates a build's directory: package name, version, release and
/// storage volume. Draft builds need nothing extra: their release already
/// carries the `,draft_<id>` suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildPath<'a> {
    /// Package name.
    pub name: &'a str,
    /// Version.
    pub version: &'a str,
    /// Release (`1.fc40`, or `1.fc40,draft_16` for a draft build).
    pub release: &'a str,
    /// Storage volume; `None` or `DEFAULT` is the main volume.
    pub volume: Option<&'a str>,
}

impl<'a> BuildPath<'a> {
    /// A build on the default volume.
    pub fn new(name: &'a str, version: &'a str, release: &'a str) -> BuildPath<'a> {
        BuildPath {
            name,
            version,
            release,
            volume: None,
        }
    }

    /// The same build on `volume` (`None` or `DEFAULT` for the main one).
    pub fn on_volume(mut self, volume: Option<&'a str>) -> BuildPath<'a> {
        self.volume = volume;
        self
    }

    /// The location of a hub build (`getBuild`, `listBuilds`, ...); `None`
    /// when the row lacks the name, version or release.
    ///
    /// ```
    /// use koji_client::{Build, paths::BuildPath};
    /// let b: Build = serde_json::from_str(
    ///     r#"{"name": "hello", "version": "1.3", "release": "1.fc40", "volume_name": "DEFAULT"}"#,
    /// ).unwrap();
    /// assert_eq!(BuildPath::from_build(&b).unwrap().release, "1.fc40");
    /// ```
    pub fn from_build(build: &'a crate::Build) -> Option<BuildPath<'a>> {
        let name = build.name.as_deref().or(build.package_name.as_deref())?;
        Some(BuildPath {
            name,
            version: build.version.as_deref()?,
            release: build.release.as_deref()?,
            volume: build.volume_name.as_deref(),
        })
    }
}

/// What locates an RPM inside its build directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RpmPath<'a> {
    /// RPM name (`hello-debuginfo` for a sub-package).
    pub name: &'a str,
    /// Version.
    pub version: &'a str,
    /// Release.
    pub release: &'a str,
    /// Arch (`x86_64`, `noarch`, `src`).
    pub arch: &'a str,
}

impl<'a> RpmPath<'a> {
    /// An RPM from its name, version, release and arch.
    pub fn new(name: &'a str, version: &'a str, release: &'a str, arch: &'a str) -> RpmPath<'a> {
        RpmPath {
            name,
            version,
            release,
            arch,
        }
    }
}

/// What locates a Maven artifact: group, artifact, version and file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MavenPath<'a> {
    /// Group id (`org.example`; dots become directories).
    pub group_id: &'a str,
    /// Artifact id.
    pub artifact_id: &'a str,
    /// Version.
    pub version: &'a str,
    /// File name.
    pub filename: &'a str,
}

impl PathInfo {
    /// The layout below `top`, a URL (`topurl`) or a directory (`topdir`).
    /// Trailing slashes are dropped, so `https://host/kojifiles/` and
    /// `https://host/kojifiles` give the same paths.
    pub fn new(top: impl Into<String>) -> PathInfo {
        let mut top = top.into();
        while top.len() > 1 && top.ends_with('/') {
            top.pop();
        }
        PathInfo { top }
    }

    /// The layout of a profile's file tree: its `topurl`, or its `topdir`
    /// when no `topurl` is set (a mounted tree).
    pub fn from_profile(profile: &Profile) -> PathInfo {
        match profile.topurl() {
            Some(url) => PathInfo::new(url),
            None => PathInfo::new(profile.topdir().to_string_lossy().into_owned()),
        }
    }

    /// The top itself, without a trailing slash.
    pub fn topdir(&self) -> &str {
        &self.top
    }

    /// `top` + `/` + `rel` (or just `top` for an empty `rel`).
    pub fn join(&self, rel: &str) -> String {
        if rel.is_empty() {
            return self.top.clone();
        }
        if self.top == "/" {
            return format!("/{rel}");
        }
        format!("{}/{rel}", self.top)
    }

    /// A volume's directory: the top for `None`/`DEFAULT`, else `vol/<name>`.
    pub fn volumedir(&self, volume: Option<&str>) -> String {
        self.join(&volumedir_rel(volume))
    }

    /// A build's directory: `<volume>/packages/<name>/<version>/<release>`.
    pub fn build(&self, build: &BuildPath<'_>) -> String {
        self.join(&build_rel(build))
    }

    /// A Maven build's directory (`<build>/maven`).
    pub fn mavenbuild(&self, build: &BuildPath<'_>) -> String {
        self.join(&typedir_rel(build, "maven"))
    }

    /// A Windows build's directory (`<build>/win`).
    pub fn winbuild(&self, build: &BuildPath<'_>) -> String {
        self.join(&typedir_rel(build, "win"))
    }

    /// An image build's directory (`<build>/images`).
    pub fn imagebuild(&self, build: &BuildPath<'_>) -> String {
        self.join(&typedir_rel(build, "image"))
    }

    /// Where a build's archives of build type `btype` live: `maven`, `win`
    /// and `image` have their own directories, any other type is under
    /// `files/<btype>`.
    pub fn typedir(&self, build: &BuildPath<'_>, btype: &str) -> String {
        self.join(&typedir_rel(build, btype))
    }

    /// An RPM's path relative to its build directory:
    /// `<arch>/<name>-<version>-<release>.<arch>.rpm`.
    pub fn rpm(&self, rpm: &RpmPath<'_>) -> String {
        rpm_rel(rpm)
    }

    /// A signed copy's path relative to the build directory:
    /// `data/signed/<key>/` + [`PathInfo::rpm`].
    pub fn signed(&self, rpm: &RpmPath<'_>, sigkey: &str) -> String {
        format!("data/signed/{sigkey}/{}", rpm_rel(rpm))
    }

    /// A cached signature header's path relative to the build directory:
    /// `data/sigcache/<key>/` + [`PathInfo::rpm`] + `.sig`. With the empty
    /// key of an unsigned RPM this is `data/sigcache//<arch>/...`, exactly
    /// as koji writes it (the server folds the double slash).
    pub fn sighdr(&self, rpm: &RpmPath<'_>, sigkey: &str) -> String {
        format!("data/sigcache/{sigkey}/{}.sig", rpm_rel(rpm))
    }

    /// A build's log directory: `<build>/data/logs`.
    pub fn build_logs(&self, build: &BuildPath<'_>) -> String {
        self.join(&format!("{}/data/logs", build_rel(build)))
    }

    /// A Maven artifact's directory relative to the Maven build directory:
    /// `<group path>/<artifact>/<version>`.
    pub fn mavenrepo(&self, maven: &MavenPath<'_>) -> String {
        mavenrepo_rel(maven)
    }

    /// A Maven artifact's path relative to the Maven build directory.
    pub fn mavenfile(&self, maven: &MavenPath<'_>) -> String {
        format!("{}/{}", mavenrepo_rel(maven), maven.filename)
    }

    /// A Windows file's path relative to the Windows build directory:
    /// `[<relpath>/]<filename>`.
    pub fn winfile(&self, relpath: Option<&str>, filename: &str) -> String {
        winfile_rel(relpath, filename)
    }

    /// A repository's directory: `repos/<tag>/<repo id>`.
    pub fn repo(&self, repo_id: i64, tag: &str) -> String {
        self.join(&format!("repos/{tag}/{repo_id}"))
    }

    /// A dist repository's directory: `<volume>/repos-dist/<tag>/<repo id>`.
    pub fn distrepo(&self, repo_id: i64, tag: &str, volume: Option<&str>) -> String {
        self.join(&join_rel(
            &volumedir_rel(volume),
            &format!("repos-dist/{tag}/{repo_id}"),
        ))
    }

    /// A tag's repository cache directory: `repos/<tag>/cache`.
    pub fn repocache(&self, tag: &str) -> String {
        self.join(&format!("repos/{tag}/cache"))
    }

    /// A task's work directory relative to the work directory:
    /// `tasks/<id % 10000>/<id>`.
    pub fn taskrelpath(&self, task_id: i64) -> String {
        taskrelpath(task_id)
    }

    /// The work directory of a volume: `<volume>/work`.
    pub fn work(&self, volume: Option<&str>) -> String {
        self.join(&join_rel(&volumedir_rel(volume), "work"))
    }

    /// The scratch directory: `scratch`.
    pub fn scratch(&self) -> String {
        self.join("scratch")
    }

    /// A task's output directory: `<volume>/work/tasks/<id % 10000>/<id>`.
    pub fn task(&self, task_id: i64, volume: Option<&str>) -> String {
        self.join(&task_rel(task_id, volume))
    }
}

/// Whether `volume` names the main volume (`None` or `DEFAULT`).
pub fn is_default_volume(volume: Option<&str>) -> bool {
    matches!(volume, None | Some("DEFAULT"))
}

/// A volume's directory below the top: empty for the main volume.
pub fn volumedir_rel(volume: Option<&str>) -> String {
    match volume {
        Some(v) if !is_default_volume(Some(v)) => format!("vol/{v}"),
        _ => String::new(),
    }
}

fn join_rel(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_owned()
    } else {
        format!("{a}/{b}")
    }
}

/// A build's directory below the top.
pub fn build_rel(build: &BuildPath<'_>) -> String {
    join_rel(
        &volumedir_rel(build.volume),
        &format!(
            "packages/{}/{}/{}",
            build.name, build.version, build.release
        ),
    )
}

/// The directory of a build's archives of `btype` below the top.
pub fn typedir_rel(build: &BuildPath<'_>, btype: &str) -> String {
    let b = build_rel(build);
    match btype {
        "maven" => format!("{b}/maven"),
        "win" => format!("{b}/win"),
        "image" => format!("{b}/images"),
        other => format!("{b}/files/{other}"),
    }
}

/// An RPM's path relative to its build directory.
pub fn rpm_rel(rpm: &RpmPath<'_>) -> String {
    format!(
        "{arch}/{}-{}-{}.{arch}.rpm",
        rpm.name,
        rpm.version,
        rpm.release,
        arch = rpm.arch
    )
}

/// A Maven artifact's directory relative to the Maven build directory.
pub fn mavenrepo_rel(maven: &MavenPath<'_>) -> String {
    format!(
        "{}/{}/{}",
        maven.group_id.replace('.', "/"),
        maven.artifact_id,
        maven.version
    )
}

/// A Windows file's path relative to the Windows build directory.
pub fn winfile_rel(relpath: Option<&str>, filename: &str) -> String {
    match relpath {
        Some(r) if !r.is_empty() => format!("{r}/{filename}"),
        _ => filename.to_owned(),
    }
}

/// `tasks/<id % 10000>/<id>`.
pub fn taskrelpath(task_id: i64) -> String {
    format!("tasks/{}/{}", task_id.rem_euclid(10000), task_id)
}

/// A task's output directory below the top.
pub fn task_rel(task_id: i64, volume: Option<&str>) -> String {
    join_rel(
        &volumedir_rel(volume),
        &format!("work/{}", taskrelpath(task_id)),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    // The request lines of the recorded topurl traffic
    // (tests/fixtures/files/requests.txt, from a real hub behind Apache
    // with topurl http://localhost:8080/kojifiles).
    const RECORDED: &str = include_str!("../tests/fixtures/files/requests.txt");

    fn recorded(tag: &str) -> String {
        let line = RECORDED
            .lines()
            .find(|l| l.starts_with(&format!("{tag} ")))
            .unwrap_or_else(|| panic!("no recorded request {tag}"));
        let path = line.split(' ').nth(2).expect("request path");
        format!("http://localhost:8080{path}")
    }

    fn pi() -> PathInfo {
        PathInfo::new("http://localhost:8080/kojifiles")
    }

    const HELLO: BuildPath<'static> = BuildPath {
        name: "hello",
        version: "1.3",
        release: "1.fc40",
        volume: Some("DEFAULT"),
    };
    const HELLO_RPM: RpmPath<'static> = RpmPath {
        name: "hello",
        version: "1.3",
        release: "1.fc40",
        arch: "x86_64",
    };

    #[test]
    fn rpm_signed_and_sigcache_paths_match_the_recorded_requests() {
        let pi = pi();
        let b = pi.build(&HELLO);
        assert_eq!(format!("{b}/{}", pi.rpm(&HELLO_RPM)), recorded("584"));
        assert_eq!(
            format!("{b}/{}", pi.signed(&HELLO_RPM, "5f7d0464")),
            recorded("595")
        );
        // The unsigned sig header: koji's path has `sigcache//x86_64`,
        // which Apache serves as `sigcache/x86_64` (the recorded request).
        assert_eq!(
            format!("{b}/{}", pi.sighdr(&HELLO_RPM, "")).replace("//x86_64", "/x86_64"),
            recorded("596")
        );
        assert_eq!(format!("{}/", b), recorded("598"));
    }

    #[test]
    fn task_output_and_logs_paths_match_the_recorded_requests() {
        let pi = pi();
        assert_eq!(
            format!("{}/hello-1.3-1.fc40.x86_64.rpm", pi.task(4, None)),
            recorded("591")
        );
        assert_eq!(
            format!("{}/build-4.log", pi.task(4, Some("DEFAULT"))),
            recorded("592")
        );
        let cg = BuildPath::new("wp-container", "1.0", "1");
        assert_eq!(
            format!("{}/orchestrator.log", pi.build_logs(&cg)),
            recorded("681")
        );
        assert_eq!(
            format!("{}/noarch/orchestrator.log", pi.build_logs(&cg)),
            recorded("593")
        );
    }

    #[test]
    fn archive_metadata_and_repo_paths_match_the_recorded_requests() {
        let pi = pi();
        let cg = BuildPath::new("wp-container", "1.0", "1");
        assert_eq!(
            format!(
                "{}/docker-image-wp0001.x86_64.tar.gz",
                pi.typedir(&cg, "image")
            ),
            recorded("594")
        );
        assert_eq!(pi.imagebuild(&cg), pi.typedir(&cg, "image"));
        let old = BuildPath::new("hello", "1.0", "1.fc40");
        assert_eq!(format!("{}/metadata.json", pi.build(&old)), recorded("597"));
        assert_eq!(
            format!("{}/x86_64/pkglist", pi.repo(1, "f40-build")),
            recorded("600")
        );
    }

    #[test]
    fn volumes_drafts_and_typed_directories() {
        let pi = PathInfo::new("/mnt/koji/");
        let b = BuildPath::new("foo", "1", "2.fc40,draft_16").on_volume(Some("archive"));
        assert_eq!(
            pi.build(&b),
            "/mnt/koji/vol/archive/packages/foo/1/2.fc40,draft_16"
        );
        assert_eq!(pi.volumedir(Some("DEFAULT")), "/mnt/koji");
        assert_eq!(pi.volumedir(None), "/mnt/koji");
        assert_eq!(pi.volumedir(Some("v2")), "/mnt/koji/vol/v2");
        assert_eq!(
            pi.mavenbuild(&b),
            "/mnt/koji/vol/archive/packages/foo/1/2.fc40,draft_16/maven"
        );
        assert!(pi.winbuild(&b).ends_with("/win"));
        assert!(
            pi.typedir(&b, "remote-sources")
                .ends_with("/files/remote-sources")
        );
        assert_eq!(
            pi.task(12345, Some("v2")),
            "/mnt/koji/vol/v2/work/tasks/2345/12345"
        );
        assert_eq!(pi.work(None), "/mnt/koji/work");
        assert_eq!(pi.scratch(), "/mnt/koji/scratch");
        assert_eq!(
            pi.distrepo(7, "f40", Some("v2")),
            "/mnt/koji/vol/v2/repos-dist/f40/7"
        );
        assert_eq!(pi.distrepo(7, "f40", None), "/mnt/koji/repos-dist/f40/7");
        assert_eq!(pi.repocache("f40-build"), "/mnt/koji/repos/f40-build/cache");
        let m = MavenPath {
            group_id: "org.example.tools",
            artifact_id: "thing",
            version: "1.2",
            filename: "thing-1.2.jar",
        };
        assert_eq!(
            pi.mavenfile(&m),
            "org/example/tools/thing/1.2/thing-1.2.jar"
        );
        assert_eq!(pi.winfile(Some("bin/x64"), "a.dll"), "bin/x64/a.dll");
        assert_eq!(pi.winfile(Some(""), "a.dll"), "a.dll");
        assert_eq!(PathInfo::new("/").join("work"), "/work");
    }
}
