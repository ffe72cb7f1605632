//! Builds: `getBuild`, `listBuilds`, `listTagged`, `getLatestBuilds` and
//! build messages.

use jiff::{SignedDuration, Timestamp};

use super::macros::koji_model;
use super::time::pick;
use super::{BuildState, ModelError};
use crate::web::WebObject;

koji_model! {
    /// A build, as `getBuild`, `listBuilds`, `listTagged` and build messages
    /// give it.
    ///
    /// The member sets differ: `listBuilds` rows have no `id`, `cg_id` or
    /// `cg_name`; `listTagged` rows have no `*_ts` members but add `tag_id`,
    /// `tag_name` and `create_event`. Use [`Build::build_id`] for the id
    /// and the time accessors, which work on all of them.
    ///
    /// ```
    /// use koji_client::Build;
    ///
    /// let row: Build = serde_json::from_str(r#"{"build_id": 6, "nvr": "libfoo-2.3-1.fc40",
    ///     "state": 1, "start_time": "2026-10-30 18:12:04.189226+00:00",
    ///     "completion_time": "2026-10-30 18:47:53.189226+00:00", "tag_name": "f40"}"#).unwrap();
    /// assert_eq!(row.build_id(), Some(6));
    /// let took = row.duration(jiff::Timestamp::now()).unwrap().unwrap();
    /// assert_eq!(took.as_secs(), 35 * 60 + 49);
    /// ```
    pub struct Build {
        /// The build id (`getBuild`, `listTagged`; not in `listBuilds` rows).
        id: i64,
        /// The build id again (in every form).
        build_id: i64,
        /// Version.
        version: String,
        /// Release (`1.fc40`; draft builds: `1.fc40,draft_16`).
        release: String,
        /// Epoch, or nil.
        epoch: i64,
        /// Whether this is a draft build (hub ≥ 1.34).
        draft: bool,
        /// State.
        state: BuildState,
        /// The build task's id; nil for imports and most content-generator
        /// builds (see [`Build::task_id`] for the container fallback).
        task_id: i64,
        /// Owner's user id.
        owner_id: i64,
        /// Owner's user name.
        owner_name: String,
        /// Who promoted a draft build (user id).
        promoter_id: i64,
        /// Who promoted a draft build (user name).
        promoter_name: String,
        /// Package id.
        package_id: i64,
        /// Package name.
        package_name: String,
        /// Package name again.
        name: String,
        /// `name-version-release`.
        nvr: String,
        /// Storage volume id.
        volume_id: i64,
        /// Storage volume name.
        volume_name: String,
        /// The event that created the build row.
        creation_event_id: i64,
        /// When the build row was created (string).
        creation_time: String,
        /// When the build row was created (epoch seconds).
        creation_ts: f64,
        /// When the build started (string).
        start_time: String,
        /// When the build started (epoch seconds).
        start_ts: f64,
        /// When the build finished (string); nil while building.
        completion_time: String,
        /// When the build finished (epoch seconds); nil while building.
        completion_ts: f64,
        /// When a draft build was promoted (string).
        promotion_time: String,
        /// When a draft build was promoted (epoch seconds).
        promotion_ts: f64,
        /// The SCM URL (or other source) it was built from.
        source: String,
        /// The hub's `extra` dict (JSON-decoded by the hub), or nil.
        extra: serde_json::Value as lenient,
        /// Content generator id (`getBuild` only).
        cg_id: i64,
        /// Content generator name (`getBuild` only).
        cg_name: String,
        /// The tag this row was listed from (`listTagged`).
        tag_id: i64,
        /// The tag this row was listed from (`listTagged`).
        tag_name: String,
        /// The tagging event (`listTagged`).
        create_event: i64,
        /// Maven group id (`type='maven'` listings).
        maven_group_id: String,
        /// Maven artifact id (`type='maven'` listings).
        maven_artifact_id: String,
        /// Maven version (`type='maven'` listings).
        maven_version: String,
        /// Windows platform (`type='win'` listings).
        platform: String,
    }
}

impl Build {
    /// The build id: `build_id`, or `id` when only that was sent.
    pub fn build_id(&self) -> Option<i64> {
        self.build_id.or(self.id)
    }

    /// `name-version-release`: the `nvr` member, or built from `name` (or
    /// `package_name`), `version` and `release`.
    ///
    /// ```
    /// use koji_client::Build;
    ///
    /// let b: Build = serde_json::from_str(
    ///     r#"{"package_name": "hello", "version": "1.0", "release": "1"}"#).unwrap();
    /// assert_eq!(b.nvr().as_deref(), Some("hello-1.0-1"));
    /// ```
    pub fn nvr(&self) -> Option<String> {
        if let Some(nvr) = &self.nvr {
            return Some(nvr.clone());
        }
        let name = self.name.as_ref().or(self.package_name.as_ref())?;
        Some(format!(
            "{name}-{}-{}",
            self.version.as_ref()?,
            self.release.as_ref()?
        ))
    }

    /// The state's name (`"COMPLETE"`, or `"(unknown state 9)"`); `None`
    /// without a state.
    pub fn state_name(&self) -> Option<String> {
        self.state.as_ref().map(ToString::to_string)
    }

    /// The task that built this: `task_id`, or for OSBS container builds
    /// (which the hub imports without one) `extra.container_koji_task_id`.
    ///
    /// ```
    /// use koji_client::Build;
    ///
    /// let b: Build = serde_json::from_str(
    ///     r#"{"task_id": null, "extra": {"container_koji_task_id": 18}}"#).unwrap();
    /// assert_eq!(b.task_id(), Some(18));
    /// ```
    pub fn task_id(&self) -> Option<i64> {
        if let Some(id) = self.task_id.filter(|id| *id != 0) {
            return Some(id);
        }
        match self.extra.as_ref()?.get("container_koji_task_id")? {
            serde_json::Value::Number(n) => n.as_i64(),
            serde_json::Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// Whether this is an OSBS container build: its `extra` says so
    /// (`container_koji_task_id`, or `osbs_build.kind` =
    /// `container_build`), or its package name ends in `-container` (the
    /// convention txkoji's estimates rely on).
    pub fn is_container(&self) -> bool {
        if let Some(extra) = &self.extra {
            if extra.get("container_koji_task_id").is_some() {
                return true;
            }
            let kind = extra.get("osbs_build").and_then(|o| o.get("kind"));
            if kind.and_then(|k| k.as_str()) == Some("container_build") {
                return true;
            }
        }
        let name = self.name.as_ref().or(self.package_name.as_ref());
        name.is_some_and(|n| n.ends_with("-container"))
    }

    /// The dist-git commit: what follows the last `#` of `source` (like
    /// rpkg's `gitbuildhash`). `None` without a source, a `#`, or anything
    /// after it.
    ///
    /// ```
    /// use koji_client::Build;
    ///
    /// let b: Build = serde_json::from_str(
    ///     r#"{"source": "git+https://src.example.com/rpms/hello.git#6e62c4a3"}"#).unwrap();
    /// assert_eq!(b.gitbuildhash(), Some("6e62c4a3"));
    /// ```
    pub fn gitbuildhash(&self) -> Option<&str> {
        let (_, hash) = self.source.as_deref()?.rsplit_once('#')?;
        (!hash.is_empty()).then_some(hash)
    }

    /// When the build row was created (`creation_ts`, else
    /// `creation_time`).
    pub fn created(&self) -> Result<Option<Timestamp>, ModelError> {
        pick(
            "creation_ts",
            self.creation_ts,
            "creation_time",
            self.creation_time.as_deref(),
        )
    }

    /// When the build started (`start_ts`, else `start_time`).
    pub fn started(&self) -> Result<Option<Timestamp>, ModelError> {
        pick(
            "start_ts",
            self.start_ts,
            "start_time",
            self.start_time.as_deref(),
        )
    }

    /// When the build finished (`completion_ts`, else `completion_time`);
    /// `None` while building.
    pub fn completed(&self) -> Result<Option<Timestamp>, ModelError> {
        pick(
            "completion_ts",
            self.completion_ts,
            "completion_time",
            self.completion_time.as_deref(),
        )
    }

    /// When a draft build was promoted (`promotion_ts`, else
    /// `promotion_time`).
    pub fn promoted(&self) -> Result<Option<Timestamp>, ModelError> {
        pick(
            "promotion_ts",
            self.promotion_ts,
            "promotion_time",
            self.promotion_time.as_deref(),
        )
    }

    /// How long the build took: from start to completion, or to `now`
    /// while it is `BUILDING`.
    ///
    /// `None` when the build has no start time, or has neither finished
    /// nor is building (nothing to measure). Works from the `*_time`
    /// strings when the `*_ts` members are absent (`listTagged` rows),
    /// which txkoji could not.
    pub fn duration(&self, now: Timestamp) -> Result<Option<SignedDuration>, ModelError> {
        let Some(start) = self.started()? else {
            return Ok(None);
        };
        let end = match self.completed()? {
            Some(end) => end,
            None if self.state.as_ref().is_some_and(BuildState::is_building) => now,
            None => return Ok(None),
        };
        Ok(Some(end.duration_since(start)))
    }

    /// This build's kojiweb page, `<weburl>/buildinfo?buildID=N`; `None`
    /// without an id.
    pub fn url(&self, weburl: &str) -> Option<String> {
        Some(WebObject::Build(self.build_id()?).url(weburl))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn build(json: &str) -> Build {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn duration_runs_to_now_only_while_building() {
        let now: Timestamp = "2026-11-25T18:00:00Z".parse().unwrap();
        let b = build(r#"{"state": 0, "start_ts": 1795629000.0, "completion_ts": null}"#);
        assert_eq!(
            b.duration(now).unwrap().unwrap().as_secs(),
            1795629600 - 1795629000
        );
        // Failed without a completion time: nothing to measure.
        let b = build(r#"{"state": 3, "start_ts": 1795629000.0}"#);
        assert_eq!(b.duration(now).unwrap(), None);
        // No start at all.
        let b = build(r#"{"state": 0}"#);
        assert_eq!(b.duration(now).unwrap(), None);
    }

    #[test]
    fn bad_times_are_errors_naming_the_member() {
        let b = build(r#"{"state": 1, "start_time": "soon", "completion_ts": 5.0}"#);
        let err = b.duration(Timestamp::UNIX_EPOCH).unwrap_err();
        assert!(err.to_string().starts_with("start_time: "), "{err}");
    }

    #[test]
    fn task_id_fallback_ignores_other_extras() {
        assert_eq!(build(r#"{"task_id": 7}"#).task_id(), Some(7));
        assert_eq!(build(r#"{"extra": {"typeinfo": {}}}"#).task_id(), None);
        assert_eq!(build(r#"{"extra": null}"#).task_id(), None);
        assert_eq!(
            build(r#"{"extra": {"container_koji_task_id": "21"}}"#).task_id(),
            Some(21)
        );
    }

    #[test]
    fn gitbuildhash_needs_a_fragment() {
        assert_eq!(build(r#"{"source": null}"#).gitbuildhash(), None);
        assert_eq!(
            build(r#"{"source": "https://x/y.git"}"#).gitbuildhash(),
            None
        );
        assert_eq!(
            build(r#"{"source": "https://x/y.git#"}"#).gitbuildhash(),
            None
        );
        assert_eq!(
            build(r#"{"source": "git://x/y?#a#b"}"#).gitbuildhash(),
            Some("b")
        );
    }

    #[test]
    fn state_names() {
        assert_eq!(
            build(r#"{"state": 4}"#).state_name().as_deref(),
            Some("CANCELED")
        );
        assert_eq!(
            build(r#"{"state": 9}"#).state_name().as_deref(),
            Some("(unknown state 9)")
        );
        assert_eq!(build("{}").state_name(), None);
    }

    #[test]
    fn nvr_and_url_need_their_parts() {
        assert_eq!(build(r#"{"name": "a", "version": "1"}"#).nvr(), None);
        assert_eq!(build("{}").url("https://k/koji"), None);
        assert_eq!(
            build(r#"{"id": 3}"#).url("https://k/koji/").unwrap(),
            "https://k/koji/buildinfo?buildID=3"
        );
    }
}
