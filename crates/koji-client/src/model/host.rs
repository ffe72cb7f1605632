//! Build hosts: `getHost`, `listHosts`.

use jiff::Timestamp;

use super::ModelError;
use super::macros::koji_model;
use super::time::pick;
use crate::web::WebObject;

koji_model! {
    /// A build host, as `getHost` and `listHosts` give it.
    ///
    /// ```
    /// use koji_client::Host;
    ///
    /// let h: Host = serde_json::from_str(
    ///     r#"{"id": 1, "name": "builder1", "arches": "x86_64 i686", "capacity": 8.0}"#).unwrap();
    /// assert_eq!(h.arch_list(), ["x86_64", "i686"]);
    /// assert_eq!(h.url("https://koji.example.com/koji").unwrap(),
    ///            "https://koji.example.com/koji/hostinfo?hostID=1");
    /// ```
    pub struct Host {
        /// Host id.
        id: i64,
        /// The host's user id.
        user_id: i64,
        /// Host name.
        name: String,
        /// When the host last checked in (epoch seconds).
        update_ts: f64,
        /// When the host last checked in (string; older hubs).
        update_time: String,
        /// Whether the host is ready for tasks.
        ready: bool,
        /// Current task load.
        task_load: f64,
        /// Architectures, space-separated (`"x86_64 i686"`).
        arches: String,
        /// Task capacity.
        capacity: f64,
        /// Description.
        description: String,
        /// Admin comment.
        comment: String,
        /// Whether the host is enabled.
        enabled: bool,
    }
}

impl Host {
    /// The architectures as a list.
    pub fn arch_list(&self) -> Vec<&str> {
        self.arches
            .as_deref()
            .map(|a| a.split_whitespace().collect())
            .unwrap_or_default()
    }

    /// When the host last checked in (`update_ts`, else `update_time`).
    pub fn updated(&self) -> Result<Option<Timestamp>, ModelError> {
        pick(
            "update_ts",
            self.update_ts,
            "update_time",
            self.update_time.as_deref(),
        )
    }

    /// This host's kojiweb page, `<weburl>/hostinfo?hostID=N` (by name
    /// when there is no id); `None` with neither.
    pub fn url(&self, weburl: &str) -> Option<String> {
        let key = super::id_or_name(self.id, self.name.as_deref())?;
        Some(WebObject::Host(key).url(weburl))
    }
}
