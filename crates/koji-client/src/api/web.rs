//! From a kojiweb URL to the object it shows (txkoji's `from_web` and
//! `connect_from_web`).

use crate::config::{Config, ConfigError, ConfigSources};
use crate::model::ModelKind;
use crate::web::WebObject;
use crate::{
    Build, BuildTarget, Channel, Connection, Error, Host, IdOrName, Package, Repo, Result, Tag,
    Task, User,
};

/// The object a kojiweb page shows, fetched from the hub (see
/// [`Connection::fetch_from_web`]).
///
/// The variants differ a lot in size; this is a value made once per URL,
/// so it is not boxed, to keep matching on it plain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WebItem {
    /// `buildinfo` → `getBuild`.
    Build(Build),
    /// `taskinfo` → `getTaskInfo(id, request=True)`.
    Task(Task),
    /// `packageinfo` → `getPackage`.
    Package(Package),
    /// `taginfo` → `getTag`.
    Tag(Tag),
    /// `userinfo` → `getUser`.
    User(User),
    /// `hostinfo` → `getHost`, or `listHosts(userID=…)` for
    /// `hostinfo?userID=`.
    Host(Host),
    /// `channelinfo` → `getChannel`.
    Channel(Channel),
    /// `buildtargetinfo` → `getBuildTarget`.
    BuildTarget(BuildTarget),
    /// `repoinfo` → `repoInfo`.
    Repo(Repo),
}

impl WebItem {
    /// Which model this is.
    pub fn kind(&self) -> ModelKind {
        match self {
            WebItem::Build(_) => ModelKind::Build,
            WebItem::Task(_) => ModelKind::Task,
            WebItem::Package(_) => ModelKind::Package,
            WebItem::Tag(_) => ModelKind::Tag,
            WebItem::User(_) => ModelKind::User,
            WebItem::Host(_) => ModelKind::Host,
            WebItem::Channel(_) => ModelKind::Channel,
            WebItem::BuildTarget(_) => ModelKind::BuildTarget,
            WebItem::Repo(_) => ModelKind::Repo,
        }
    }

    /// The object's kojiweb page under `weburl`, when it has the id or
    /// name the page needs.
    pub fn url(&self, weburl: &str) -> Option<String> {
        match self {
            WebItem::Build(b) => b.url(weburl),
            WebItem::Task(t) => t.url(weburl),
            WebItem::Package(p) => p.url(weburl),
            WebItem::Tag(t) => t.url(weburl),
            WebItem::User(u) => u.url(weburl),
            WebItem::Host(h) => h.url(weburl),
            WebItem::Channel(c) => c.url(weburl),
            WebItem::BuildTarget(t) => t.url(weburl),
            WebItem::Repo(r) => r.url(weburl),
        }
    }
}

impl Connection {
    /// Fetches what a kojiweb URL shows, such as one pasted into a chat
    /// (txkoji's `from_web`): `buildinfo`, `taskinfo`, `packageinfo`,
    /// `taginfo`, `userinfo`, `hostinfo`, `channelinfo`,
    /// `buildtargetinfo` and `repoinfo` pages, by id or, where kojiweb
    /// takes one, by name (see [`WebObject::parse`]).
    ///
    /// `Ok(None)` for anything else — text with whitespace, other pages,
    /// missing or malformed ids — and when the hub has no such object.
    /// The URL's host is not checked against this hub; use
    /// [`WebObject::parse_for_weburl`] and [`fetch_web_object`](Self::fetch_web_object)
    /// for that, or [`connect_from_web`](Self::connect_from_web) to pick
    /// the hub by the URL.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// use koji_client::api::WebItem;
    ///
    /// match koji.fetch_from_web("https://koji.fedoraproject.org/koji/buildinfo?buildID=17").await? {
    ///     Some(WebItem::Build(build)) => println!("{}", build.nvr().unwrap_or_default()),
    ///     Some(other) => println!("some other object: {:?}", other.kind()),
    ///     None => println!("not a kojiweb object URL, or no such object"),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn fetch_from_web(&self, url: &str) -> Result<Option<WebItem>> {
        match WebObject::parse(url) {
            Some(object) => self.fetch_web_object(&object).await,
            None => Ok(None),
        }
    }

    /// The old name of [`fetch_from_web`](Self::fetch_from_web): a
    /// `from_*` name reads as a constructor (which is
    /// [`connect_from_web`](Self::connect_from_web)).
    #[deprecated(note = "renamed to `fetch_from_web`")]
    pub async fn from_web(&self, url: &str) -> Result<Option<WebItem>> {
        self.fetch_from_web(url).await
    }

    /// Fetches the object a parsed kojiweb URL names, with the hub call
    /// kojiweb itself makes ([`WebObject::hub_method`]); `Ok(None)` when
    /// the hub has no such object.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// use koji_client::web::WebObject;
    ///
    /// let weburl = "https://koji.fedoraproject.org/koji";
    /// let url = "https://koji.fedoraproject.org/koji/taginfo?tagID=f40-build";
    /// if let Some(object) = WebObject::parse_for_weburl(weburl, url) {
    ///     let tag = koji.fetch_web_object(&object).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn fetch_web_object(&self, object: &WebObject) -> Result<Option<WebItem>> {
        Ok(match object {
            WebObject::Build(id) => self.get_build(*id).await?.map(WebItem::Build),
            WebObject::Task(id) => self.get_task_info(*id).await?.map(WebItem::Task),
            WebObject::Package(key) => self.get_package(key.clone()).await?.map(WebItem::Package),
            WebObject::Tag(key) => self.get_tag(key.clone()).await?.map(WebItem::Tag),
            WebObject::User(key) => self.get_user(key.clone()).await?.map(WebItem::User),
            WebObject::Host(key) => self.get_host(key.clone()).await?.map(WebItem::Host),
            WebObject::HostOfUser(user) => {
                // kojiweb: `listHosts(userID=…)[0]`.
                let hosts = self.list_hosts().user(user.clone()).send().await?;
                hosts.into_iter().next().map(WebItem::Host)
            }
            WebObject::Channel(id) => self.get_channel(*id).await?.map(WebItem::Channel),
            WebObject::BuildTarget(key) => self
                .get_build_target(key.clone())
                .await?
                .map(WebItem::BuildTarget),
            // repoInfo takes ids only: a name cannot name a repo.
            WebObject::Repo(IdOrName::Id(id)) => self.repo_info(*id).await?.map(WebItem::Repo),
            WebObject::Repo(IdOrName::Name(_)) => None,
        })
    }

    /// A connection for the koji profile whose `weburl` a kojiweb URL
    /// belongs to (txkoji's `connect_from_web`), read from koji's usual
    /// config files; `Ok(None)` when no profile matches. See
    /// [`Config::profile_for_weburl`] for the matching rules.
    ///
    /// ```no_run
    /// # async fn demo() -> koji_client::Result<()> {
    /// use koji_client::Connection;
    ///
    /// let url = "https://koji.fedoraproject.org/koji/taskinfo?taskID=4";
    /// if let Some(koji) = Connection::connect_from_web(url)? {
    ///     let task = koji.fetch_from_web(url).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn connect_from_web(url: &str) -> Result<Option<Connection>> {
        let config = Config::load(&ConfigSources::system()).map_err(|e| {
            Error::builder("cannot read the koji configuration files").with_source(e)
        })?;
        Connection::connect_from_web_in(&config, url)
    }

    /// Like [`connect_from_web`](Self::connect_from_web), with profiles
    /// from an already loaded configuration. (To keep the profile too, for
    /// its name or `weburl`: `config.profile_for_weburl(url)` and then
    /// [`Connection::from_profile_config`].)
    ///
    /// ```
    /// use koji_client::Connection;
    /// use koji_client::config::{Config, ConfigSources};
    ///
    /// // Only koji's built-in profiles: none of them sets a weburl for example.com.
    /// let config = Config::load(&ConfigSources::new("/nonexistent.d", "/nonexistent", None)).unwrap();
    /// let found = Connection::connect_from_web_in(&config, "https://koji.example.com/koji/taskinfo?taskID=4")?;
    /// assert!(found.is_none());
    /// # Ok::<(), koji_client::Error>(())
    /// ```
    pub fn connect_from_web_in(config: &Config, url: &str) -> Result<Option<Connection>> {
        match config.profile_for_weburl(url) {
            Ok(profile) => Connection::from_profile_config(&profile).map(Some),
            Err(ConfigError::NoProfileForWebUrl { .. }) => Ok(None),
            Err(e) => Err(Error::builder(format!(
                "cannot use the koji profile for {:?}",
                crate::error::strip_query(url)
            ))
            .with_source(e)),
        }
    }
}
