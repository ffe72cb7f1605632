//! Users: `getUser`, `getLoggedInUser`, and the name lookups of
//! [`NameCache`].

use crate::cache::{self, LookupError, NameCache};
use crate::{Connection, Error, IdOrName, Result, User};

impl Connection {
    /// A user by id, name or Kerberos principal (`getUser`; the hub matches
    /// a string against names and principals); `None` when there is none.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let alice = koji.get_user("alice").await?;
    /// let same = koji.get_user("alice@KOJI.TEST").await?;
    /// assert_eq!(alice.and_then(|u| u.id), same.and_then(|u| u.id));
    /// # Ok(()) }
    /// ```
    pub async fn get_user(&self, user: impl Into<IdOrName>) -> Result<Option<User>> {
        self.request("getUser").arg(user.into()).typed().await
    }

    /// The user this connection is logged in as (`getLoggedInUser`, which
    /// adds `authtype`); `None` for an anonymous connection.
    /// [`whoami`](Self::whoami) gives an error instead of `None`.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// match koji.get_logged_in_user().await? {
    ///     Some(me) => println!("logged in as {:?} ({:?})", me.name, me.authtype),
    ///     None => println!("anonymous"),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_logged_in_user(&self) -> Result<Option<User>> {
        self.request("getLoggedInUser").typed().await
    }
}

impl NameCache {
    /// The name of user `id`, from the cache or else from the hub
    /// (`getUser(id)['name']`, then cached); `None` when the hub has no
    /// such user (not cached, so a user created later is found). Names are
    /// kept per hub (by `koji`'s URL), so one cache serves several hubs.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> Result<(), Box<dyn std::error::Error>> {
    /// use koji_client::cache::NameCache;
    ///
    /// let names = NameCache::new("fedora")?;
    /// let task = koji.get_task_info(2).await?.expect("exists");
    /// if let Some(owner) = task.owner {
    ///     println!("task 2 belongs to {:?}", names.user_name(&koji, owner).await?);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn user_name(
        &self,
        koji: &Connection,
        id: i64,
    ) -> Result<Option<String>, LookupError<Error>> {
        self.get_or_fetch_on_hub(koji.server_url(), cache::USER, id, |id| async move {
            Ok(koji.get_user(id).await?.and_then(|u| u.name))
        })
        .await
    }

    /// The name of tag `id`, from the cache or else from the hub
    /// (`getTag(id)['name']`, then cached); `None` when the hub has no such
    /// tag.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> Result<(), Box<dyn std::error::Error>> {
    /// use koji_client::cache::NameCache;
    ///
    /// let names = NameCache::new("fedora")?;
    /// println!("tag 4 is {:?}", names.tag_name(&koji, 4).await?);
    /// # Ok(()) }
    /// ```
    pub async fn tag_name(
        &self,
        koji: &Connection,
        id: i64,
    ) -> Result<Option<String>, LookupError<Error>> {
        self.get_or_fetch_on_hub(koji.server_url(), cache::TAG, id, |id| async move {
            Ok(koji.get_tag(id).await?.and_then(|t| t.name))
        })
        .await
    }
}
