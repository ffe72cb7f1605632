//! Build targets: `getBuildTarget`, `getBuildTargets`.

use super::macros::koji_model;
use crate::web::WebObject;

koji_model! {
    /// A build target (build tag → destination tag), as `getBuildTarget`
    /// and `getBuildTargets` give it.
    ///
    /// ```
    /// use koji_client::BuildTarget;
    ///
    /// let t: BuildTarget = serde_json::from_str(r#"{"id": 1, "name": "f40-candidate",
    ///     "build_tag": 4, "build_tag_name": "f40-build",
    ///     "dest_tag": 5, "dest_tag_name": "f40-candidate"}"#).unwrap();
    /// assert_eq!(t.url("https://koji.example.com/koji").unwrap(),
    ///            "https://koji.example.com/koji/buildtargetinfo?targetID=1");
    /// ```
    pub struct BuildTarget {
        /// Target id.
        id: i64,
        /// Target name.
        name: String,
        /// Build tag id.
        build_tag: i64,
        /// Build tag name.
        build_tag_name: String,
        /// Destination tag id.
        dest_tag: i64,
        /// Destination tag name.
        dest_tag_name: String,
    }
}

impl BuildTarget {
    /// This target's kojiweb page, `<weburl>/buildtargetinfo?targetID=N`,
    /// or `…?name=NAME` without an id; `None` with neither. (txkoji used a
    /// `targetinfo` page, which kojiweb does not have.)
    pub fn url(&self, weburl: &str) -> Option<String> {
        let key = super::id_or_name(self.id, self.name.as_deref())?;
        Some(WebObject::BuildTarget(key).url(weburl))
    }
}
