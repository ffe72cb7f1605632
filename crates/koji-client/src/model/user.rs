//! Users: `getUser`, `getLoggedInUser`, `listUsers`.

use super::macros::koji_model;
use super::{HubAuthType, UserStatus, UserType};
use crate::web::WebObject;

koji_model! {
    /// A user (a person, a builder's account or a group), as `getUser`,
    /// `getLoggedInUser` and `listUsers` give it.
    ///
    /// Hubs since 1.19 send a `krb_principals` list; older ones a single
    /// `krb_principal` string, which `getLoggedInUser` still adds.
    /// [`User::principals`] reads both.
    ///
    /// ```
    /// use koji_client::{User, UserType};
    ///
    /// let old_hub: User = serde_json::from_str(r#"{"id": 2826, "name": "kdreyer",
    ///     "status": 0, "usertype": 0, "krb_principal": "kdreyer@EXAMPLE.COM"}"#).unwrap();
    /// assert_eq!(old_hub.principals(), ["kdreyer@EXAMPLE.COM"]);
    /// assert_eq!(old_hub.usertype, Some(UserType::Normal));
    /// ```
    pub struct User {
        /// User id.
        id: i64,
        /// User name.
        name: String,
        /// Status.
        status: UserStatus,
        /// Type.
        usertype: UserType,
        /// Kerberos principals (hub ≥ 1.19).
        krb_principals: Vec<String>,
        /// The (first) Kerberos principal: older hubs, and `getLoggedInUser`.
        krb_principal: String,
        /// Group names (`getUser(…, groups=True)`).
        groups: Vec<String>,
        /// How the session logged in (`getLoggedInUser`).
        authtype: HubAuthType,
    }
}

impl User {
    /// Every Kerberos principal: `krb_principals`, else the single
    /// `krb_principal`.
    pub fn principals(&self) -> Vec<&str> {
        match (&self.krb_principals, &self.krb_principal) {
            (Some(list), _) if !list.is_empty() => list.iter().map(String::as_str).collect(),
            (_, Some(one)) => vec![one.as_str()],
            _ => Vec::new(),
        }
    }

    /// Whether the user is blocked from logging in.
    pub fn is_blocked(&self) -> bool {
        self.status == Some(UserStatus::Blocked)
    }

    /// This user's kojiweb page, `<weburl>/userinfo?userID=N` (by name when
    /// there is no id); `None` with neither.
    pub fn url(&self, weburl: &str) -> Option<String> {
        let key = super::id_or_name(self.id, self.name.as_deref())?;
        Some(WebObject::User(key).url(weburl))
    }
}
