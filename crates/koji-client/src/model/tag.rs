//! Tags: `getTag`, `listTags`.

use super::macros::koji_model;
use crate::web::WebObject;

koji_model! {
    /// A tag, as `getTag` and `listTags` give it.
    ///
    /// ```
    /// use koji_client::Tag;
    ///
    /// let t: Tag = serde_json::from_str(
    ///     r#"{"id": 4, "name": "f40-build", "arches": "x86_64 aarch64", "locked": false}"#).unwrap();
    /// assert_eq!(t.arch_list(), ["x86_64", "aarch64"]);
    /// assert_eq!(t.url("https://koji.example.com/koji").unwrap(),
    ///            "https://koji.example.com/koji/taginfo?tagID=4");
    /// ```
    pub struct Tag {
        /// Tag id.
        id: i64,
        /// Tag name.
        name: String,
        /// The permission needed to tag into it (id).
        perm_id: i64,
        /// The permission needed to tag into it (name).
        perm: String,
        /// Architectures, space-separated.
        arches: String,
        /// Whether the tag is locked.
        locked: bool,
        /// Whether Maven support is on.
        maven_support: bool,
        /// Whether Maven repos include all builds.
        maven_include_all: bool,
        /// The tag's `extra` settings (`getTag`).
        extra: serde_json::Value as lenient,
        /// The event asked about (`getTag(…, event=…)`).
        query_event: i64,
        /// The event that deleted the tag (`getTag(…, event='auto')`).
        revoke_event: i64,
        /// The package's owner (`listTags(package=…)`, user id).
        owner_id: i64,
        /// The package's owner (`listTags(package=…)`, user name).
        owner_name: String,
        /// Whether the package is blocked (`listTags(package=…)`).
        blocked: bool,
        /// The package's extra arches (`listTags(package=…)`).
        extra_arches: String,
    }
}

impl Tag {
    /// The architectures as a list (empty when there are none).
    pub fn arch_list(&self) -> Vec<&str> {
        self.arches
            .as_deref()
            .map(|a| a.split_whitespace().collect())
            .unwrap_or_default()
    }

    /// This tag's kojiweb page, `<weburl>/taginfo?tagID=N` (by name when
    /// there is no id); `None` with neither.
    pub fn url(&self, weburl: &str) -> Option<String> {
        let key = super::id_or_name(self.id, self.name.as_deref())?;
        Some(WebObject::Tag(key).url(weburl))
    }
}
