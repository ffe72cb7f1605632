//! Koji's number-coded enums (`koji/__init__.py`, where each value is a list
//! index).
//!
//! Every enum here decodes from the number the hub sends or from the name
//! that bus messages send, keeps values it has no name for (`Unknown(n)`,
//! `UnknownName(s)`) instead of failing, and encodes back to the number.
//! `Display` gives the Koji name, or `(unknown state 9)` for a number
//! without one, like txkoji's `to_str()`.

use super::macros::koji_enum;

koji_enum! {
    /// A build's state (`koji.BUILD_STATES`).
    ///
    /// ```
    /// use koji_client::BuildState;
    ///
    /// assert_eq!(BuildState::from_code(1), BuildState::Complete);
    /// assert_eq!(BuildState::Complete.to_string(), "COMPLETE");
    /// assert_eq!(BuildState::from_code(9).to_string(), "(unknown state 9)");
    /// assert_eq!("CANCELED".parse::<BuildState>().unwrap(), BuildState::Canceled);
    /// ```
    pub enum BuildState ("state") {
        /// `BUILDING` (0): in progress, or reserved by a content generator.
        Building = 0 => "BUILDING",
        /// `COMPLETE` (1).
        Complete = 1 => "COMPLETE",
        /// `DELETED` (2).
        Deleted = 2 => "DELETED",
        /// `FAILED` (3).
        Failed = 3 => "FAILED",
        /// `CANCELED` (4).
        Canceled = 4 => "CANCELED",
    }
}

impl BuildState {
    /// Whether the build is still in progress (`BUILDING`).
    pub fn is_building(&self) -> bool {
        *self == BuildState::Building
    }
}

koji_enum! {
    /// A task's state (`koji.TASK_STATES`).
    ///
    /// ```
    /// use koji_client::TaskState;
    ///
    /// assert_eq!(TaskState::from_code(4), TaskState::Assigned);
    /// assert!(TaskState::Assigned.is_active());
    /// assert_eq!(TaskState::from_name("OPEN").code(), Some(1));
    /// ```
    pub enum TaskState ("state") {
        /// `FREE` (0): waiting for a builder.
        Free = 0 => "FREE",
        /// `OPEN` (1): running on a builder.
        Open = 1 => "OPEN",
        /// `CLOSED` (2): finished successfully.
        Closed = 2 => "CLOSED",
        /// `CANCELED` (3).
        Canceled = 3 => "CANCELED",
        /// `ASSIGNED` (4): given to a builder that has not opened it yet.
        Assigned = 4 => "ASSIGNED",
        /// `FAILED` (5).
        Failed = 5 => "FAILED",
    }
}

impl TaskState {
    /// The states of a task that has not finished (txkoji's `ACTIVE_GROUP`).
    pub const ACTIVE: &'static [TaskState] =
        &[TaskState::Free, TaskState::Open, TaskState::Assigned];

    /// The states of a finished task (txkoji's `DONE_GROUP`).
    pub const DONE: &'static [TaskState] =
        &[TaskState::Closed, TaskState::Canceled, TaskState::Failed];

    /// `FREE`, `OPEN` or `ASSIGNED`.
    pub fn is_active(&self) -> bool {
        Self::ACTIVE.contains(self)
    }

    /// `CLOSED`, `CANCELED` or `FAILED`.
    pub fn is_done(&self) -> bool {
        Self::DONE.contains(self)
    }
}

koji_enum! {
    /// A user's status (`koji.USER_STATUS`).
    ///
    /// ```
    /// use koji_client::UserStatus;
    ///
    /// assert_eq!(UserStatus::from_code(1).to_string(), "BLOCKED");
    /// assert_eq!(UserStatus::from_code(7).to_string(), "(unknown status 7)");
    /// ```
    pub enum UserStatus ("status") {
        /// `NORMAL` (0).
        Normal = 0 => "NORMAL",
        /// `BLOCKED` (1): may not log in.
        Blocked = 1 => "BLOCKED",
    }
}

koji_enum! {
    /// A user's type (`koji.USERTYPES`).
    ///
    /// ```
    /// use koji_client::UserType;
    ///
    /// assert_eq!(UserType::from_code(1), UserType::Host);
    /// ```
    pub enum UserType ("user type") {
        /// `NORMAL` (0): a person or a service account.
        Normal = 0 => "NORMAL",
        /// `HOST` (1): a builder's account.
        Host = 1 => "HOST",
        /// `GROUP` (2).
        Group = 2 => "GROUP",
    }
}

koji_enum! {
    /// How a session logged in (`koji.AUTHTYPES`), as `getLoggedInUser` and
    /// `getSessionInfo` report it: the hub's number.
    ///
    /// Not to be confused with [`config::AuthType`](crate::config::AuthType),
    /// the profile's `authtype` word that says how *we* log in (it has
    /// `password` and `noauth`; the hub has `NORMAL` and the old `KERBEROS`).
    /// The two are different things with different values, hence the
    /// different names. (`koji_client::AuthType` is a hidden alias of this
    /// type, kept for code written before the rename.)
    ///
    /// ```
    /// use koji_client::HubAuthType;
    ///
    /// assert_eq!(HubAuthType::from_code(3).to_string(), "GSSAPI");
    /// ```
    pub enum HubAuthType ("auth type") {
        /// `NORMAL` (0): user name and password.
        Normal = 0 => "NORMAL",
        /// `KERBEROS` (1): the old krbLogin.
        Kerberos = 1 => "KERBEROS",
        /// `SSL` (2): client certificate.
        Ssl = 2 => "SSL",
        /// `GSSAPI` (3): Kerberos through HTTP Negotiate.
        Gssapi = 3 => "GSSAPI",
    }
}

koji_enum! {
    /// A repository's state (`koji.REPO_STATES`).
    ///
    /// ```
    /// use koji_client::RepoState;
    ///
    /// assert_eq!(RepoState::from_code(1), RepoState::Ready);
    /// ```
    pub enum RepoState ("state") {
        /// `INIT` (0): being generated.
        Init = 0 => "INIT",
        /// `READY` (1).
        Ready = 1 => "READY",
        /// `EXPIRED` (2).
        Expired = 2 => "EXPIRED",
        /// `DELETED` (3).
        Deleted = 3 => "DELETED",
        /// `PROBLEM` (4): generation failed.
        Problem = 4 => "PROBLEM",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn known_codes_and_names_match_koji() {
        let build: Vec<_> = BuildState::KNOWN
            .iter()
            .map(|s| (s.code().unwrap(), s.to_string()))
            .collect();
        assert_eq!(
            build,
            [
                (0, "BUILDING"),
                (1, "COMPLETE"),
                (2, "DELETED"),
                (3, "FAILED"),
                (4, "CANCELED")
            ]
            .map(|(c, n)| (c, n.to_owned()))
        );
        let task: Vec<_> = TaskState::KNOWN.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            task,
            ["FREE", "OPEN", "CLOSED", "CANCELED", "ASSIGNED", "FAILED"]
        );
        for (i, s) in TaskState::KNOWN.iter().enumerate() {
            assert_eq!(s.code(), Some(i as i64));
            assert_eq!(TaskState::from_code(i as i64), *s);
        }
        assert_eq!(RepoState::from_code(4).to_string(), "PROBLEM");
        assert_eq!(HubAuthType::from_code(2), HubAuthType::Ssl);
        assert_eq!(UserType::from_code(2).to_string(), "GROUP");
    }

    #[test]
    fn unknown_numbers_are_kept_and_displayed_like_txkoji() {
        let s = TaskState::from_code(9);
        assert_eq!(s, TaskState::Unknown(9));
        assert_eq!(s.to_string(), "(unknown state 9)");
        assert_eq!(s.code(), Some(9));
        assert_eq!(s.as_str(), None);
        assert!(!s.is_known());
        assert_eq!(BuildState::from_code(-1).to_string(), "(unknown state -1)");
        assert_eq!(UserType::from_code(5).to_string(), "(unknown user type 5)");
    }

    #[test]
    fn decodes_from_numbers_and_names_and_never_fails() {
        let v: Vec<TaskState> =
            serde_json::from_str(r#"[0, 1, "OPEN", "closed", 42, "REVIEW"]"#).unwrap();
        assert_eq!(
            v,
            [
                TaskState::Free,
                TaskState::Open,
                TaskState::Open,
                TaskState::Closed,
                TaskState::Unknown(42),
                TaskState::UnknownName("REVIEW".into()),
            ]
        );
        // Encodes back to numbers (what the hub sends); unknown names stay names.
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"[0,1,1,2,42,"REVIEW"]"#
        );
        assert_eq!(v[5].to_string(), "REVIEW");
        assert_eq!(v[5].code(), None);
    }

    #[test]
    fn rejects_values_that_are_neither_numbers_nor_names() {
        let err = serde_json::from_str::<BuildState>("1.5").unwrap_err();
        assert!(err.to_string().contains("a Koji state"), "{err}");
        assert!(serde_json::from_str::<BuildState>("[1]").is_err());
        assert!(serde_json::from_str::<BuildState>(&u64::MAX.to_string()).is_err());
    }

    #[test]
    fn from_str_takes_codes_and_names() {
        assert_eq!("3".parse::<BuildState>().unwrap(), BuildState::Failed);
        assert_eq!("failed".parse::<BuildState>().unwrap(), BuildState::Failed);
        assert_eq!(
            "WEIRD".parse::<BuildState>().unwrap(),
            BuildState::UnknownName("WEIRD".into())
        );
    }

    #[test]
    fn task_state_groups() {
        let active: Vec<_> = TaskState::KNOWN.iter().filter(|s| s.is_active()).collect();
        assert_eq!(
            active,
            [&TaskState::Free, &TaskState::Open, &TaskState::Assigned]
        );
        let done: Vec<_> = TaskState::KNOWN.iter().filter(|s| s.is_done()).collect();
        assert_eq!(
            done,
            [&TaskState::Closed, &TaskState::Canceled, &TaskState::Failed]
        );
        assert!(!TaskState::Unknown(9).is_active() && !TaskState::Unknown(9).is_done());
        assert!(BuildState::Building.is_building());
        assert!(!BuildState::Complete.is_building());
    }
}
