//! Repositories: `getRepo`, `repoInfo`.

use jiff::Timestamp;

use super::macros::koji_model;
use super::time::pick;
use super::{ModelError, RepoState, TaskState};
use crate::web::WebObject;

koji_model! {
    /// A build root repository, as `getRepo` and `repoInfo` give it.
    ///
    /// ```
    /// use koji_client::{Repo, RepoState};
    ///
    /// let r: Repo = serde_json::from_str(r#"{"id": 1, "state": 1, "tag_name": "f40-build"}"#).unwrap();
    /// assert_eq!(r.state, Some(RepoState::Ready));
    /// assert_eq!(r.url("https://koji.example.com/koji").unwrap(),
    ///            "https://koji.example.com/koji/repoinfo?repoID=1");
    /// ```
    pub struct Repo {
        /// Repo id.
        id: i64,
        /// State.
        state: RepoState,
        /// The tag it was made for (id).
        tag_id: i64,
        /// The tag it was made for (name).
        tag_name: String,
        /// The `newRepo` task that made it.
        task_id: i64,
        /// That task's state.
        task_state: TaskState,
        /// The event the repo reflects.
        create_event: i64,
        /// That event's time (epoch seconds).
        create_ts: f64,
        /// When the repo row was created (string).
        creation_time: String,
        /// When the repo row was created (epoch seconds).
        creation_ts: f64,
        /// First event of the repo's validity.
        begin_event: i64,
        /// Its time (epoch seconds).
        begin_ts: f64,
        /// Last event of the repo's validity, nil while current.
        end_event: i64,
        /// Its time (epoch seconds).
        end_ts: f64,
        /// When the state last changed (string).
        state_time: String,
        /// When the state last changed (epoch seconds).
        state_ts: f64,
        /// Whether this is a dist repo.
        dist: bool,
        /// Generation options.
        opts: serde_json::Value as lenient,
        /// Options that differ from the tag's defaults.
        custom_opts: serde_json::Value as lenient,
    }
}

impl Repo {
    /// When the repo row was created (`creation_ts`, else `creation_time`).
    pub fn created(&self) -> Result<Option<Timestamp>, ModelError> {
        pick(
            "creation_ts",
            self.creation_ts,
            "creation_time",
            self.creation_time.as_deref(),
        )
    }

    /// This repo's kojiweb page, `<weburl>/repoinfo?repoID=N`; `None`
    /// without an id.
    pub fn url(&self, weburl: &str) -> Option<String> {
        Some(WebObject::Repo(self.id?.into()).url(weburl))
    }
}
