//! Packages: `getPackage`, `listPackages`.

use super::macros::koji_model;
use crate::web::WebObject;

koji_model! {
    /// A package, as `getPackage` (`id`, `name`) and `listPackages`
    /// (`package_id`, `package_name`, plus the tag, owner and block status
    /// when listed for a tag) give it.
    ///
    /// ```
    /// use koji_client::Package;
    ///
    /// let row: Package = serde_json::from_str(r#"{"package_id": 1, "package_name": "hello"}"#).unwrap();
    /// assert_eq!((row.id(), row.name()), (Some(1), Some("hello")));
    /// assert_eq!(row.url("https://koji.example.com/koji").unwrap(),
    ///            "https://koji.example.com/koji/packageinfo?packageID=1");
    /// ```
    pub struct Package {
        /// Package id (`getPackage`).
        id: i64,
        /// Package name (`getPackage`).
        name: String,
        /// Package id (`listPackages`).
        package_id: i64,
        /// Package name (`listPackages`).
        package_name: String,
        /// The tag of a per-tag listing.
        tag_id: i64,
        /// The tag of a per-tag listing.
        tag_name: String,
        /// The package's owner in that tag (user id).
        owner_id: i64,
        /// The package's owner in that tag (user name).
        owner_name: String,
        /// Whether the package is blocked in that tag.
        blocked: bool,
        /// Extra architectures for that tag.
        extra_arches: String,
    }
}

impl Package {
    /// The package id: `id`, or `package_id` in `listPackages` rows.
    pub fn id(&self) -> Option<i64> {
        self.id.or(self.package_id)
    }

    /// The package name: `name`, or `package_name` in `listPackages` rows.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref().or(self.package_name.as_deref())
    }

    /// This package's kojiweb page, `<weburl>/packageinfo?packageID=N` (by
    /// name when there is no id); `None` with neither.
    pub fn url(&self, weburl: &str) -> Option<String> {
        let key = super::id_or_name(self.id(), self.name())?;
        Some(WebObject::Package(key).url(weburl))
    }
}
