//! [`HubVersion`]: which Koji release a hub runs.

/// The Koji version of a hub (see [`Connection::hub_version`](crate::Connection::hub_version)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubVersion {
    text: Option<String>,
    parts: Option<(u32, u32, u32)>,
}

impl HubVersion {
    /// A version from its text (`"1.35.3"`).
    pub fn from_text(text: &str) -> HubVersion {
        let mut nums = text
            .trim()
            .split(['.', '-', '+', '~'])
            .map(|p| p.parse::<u32>().ok());
        let parts = match (nums.next().flatten(), nums.next().flatten()) {
            (Some(major), Some(minor)) => Some((major, minor, nums.next().flatten().unwrap_or(0))),
            _ => None,
        };
        HubVersion {
            text: Some(text.trim().to_owned()),
            parts,
        }
    }

    /// A hub too old to say its version (no `getKojiVersion`: before 1.23).
    pub fn old() -> HubVersion {
        HubVersion {
            text: None,
            parts: None,
        }
    }

    /// The version text the hub sent; `None` for an old hub.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// `(major, minor, patch)` when the text could be parsed.
    pub fn parts(&self) -> Option<(u32, u32, u32)> {
        self.parts
    }

    /// Whether the hub is older than 1.23 (it has no `getKojiVersion`).
    pub fn is_old(&self) -> bool {
        self.text.is_none()
    }

    /// Whether the hub is at least `major.minor.patch`. An old hub counts as
    /// 1.22; an unparsable version text as not at least anything.
    ///
    /// ```
    /// use koji_client::HubVersion;
    /// assert!(HubVersion::from_text("1.35.3").at_least(1, 31, 0));
    /// assert!(!HubVersion::old().at_least(1, 23, 0));
    /// ```
    pub fn at_least(&self, major: u32, minor: u32, patch: u32) -> bool {
        let have = match (&self.text, self.parts) {
            (_, Some(p)) => p,
            (None, None) => (1, 22, 0),
            (Some(_), None) => return false,
        };
        have >= (major, minor, patch)
    }
}

impl std::fmt::Display for HubVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.text {
            Some(t) => f.write_str(t),
            None => f.write_str("older than 1.23"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_versions() {
        let v = HubVersion::from_text("1.35.3\n");
        assert_eq!(v.parts(), Some((1, 35, 3)));
        assert_eq!(v.text(), Some("1.35.3"));
        assert!(v.at_least(1, 35, 3) && !v.at_least(1, 36, 0));
        assert_eq!(HubVersion::from_text("1.34").parts(), Some((1, 34, 0)));
        let odd = HubVersion::from_text("weird");
        assert_eq!(odd.parts(), None);
        assert!(!odd.at_least(0, 0, 0));
        let old = HubVersion::old();
        assert!(old.is_old() && old.at_least(1, 22, 0) && !old.at_least(1, 23, 0));
        assert_eq!(old.to_string(), "older than 1.23");
    }
}
