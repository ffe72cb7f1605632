//! Channels and hosts: `listChannels`, `getChannel`, `listHosts`,
//! `getHost`, and the helpers of [`Channel`].

use super::{ListTasks, bad_argument};
use crate::{Channel, Connection, Host, IdOrName, Result};

impl Connection {
    /// Starts a `listChannels` query; see [`ListChannels`].
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let all = koji.list_channels().send().await?;
    /// let of_builder1 = koji.list_channels().host("builder1").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_channels(&self) -> ListChannels<'_> {
        ListChannels {
            koji: self,
            host: None,
            enabled: None,
        }
    }

    /// A channel by id or name (`getChannel`); `None` when there is none.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let container = koji.get_channel("container").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_channel(&self, channel: impl Into<IdOrName>) -> Result<Option<Channel>> {
        self.request("getChannel").arg(channel.into()).typed().await
    }

    /// Starts a `listHosts` query; see [`ListHosts`].
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let ready = koji.list_hosts().channel_id(1).enabled(true).ready(true).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_hosts(&self) -> ListHosts<'_> {
        ListHosts {
            koji: self,
            arches: None,
            channel: None,
            ready: None,
            enabled: None,
            user: None,
            invalid: None,
        }
    }

    /// A build host by id or name (`getHost`); `None` when there is none.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// if let Some(host) = koji.get_host("builder1").await? {
    ///     println!("{:?}: {:?}", host.name, host.arch_list());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_host(&self, host: impl Into<IdOrName>) -> Result<Option<Host>> {
        self.request("getHost").arg(host.into()).typed().await
    }
}

/// A `listChannels` query (see [`Connection::list_channels`]).
#[derive(Debug, Clone)]
#[must_use = "a query does nothing until it is sent"]
pub struct ListChannels<'k> {
    koji: &'k Connection,
    host: Option<IdOrName>,
    enabled: Option<bool>,
}

impl ListChannels<'_> {
    /// Only the channels of this host, by id or name (`hostID`).
    pub fn host(mut self, host: impl Into<IdOrName>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Only enabled (`true`) or only disabled (`false`) channels
    /// (`enabled`, hub ≥ 1.26).
    pub fn enabled(mut self, on: bool) -> Self {
        self.enabled = Some(on);
        self
    }

    /// Sends the query and returns the channels.
    pub async fn send(self) -> Result<Vec<Channel>> {
        let mut call = self.koji.request("listChannels");
        if let Some(host) = &self.host {
            call = call.kwarg("hostID", host);
        }
        if let Some(on) = self.enabled {
            call = call.kwarg("enabled", on);
        }
        call.typed().await
    }
}

/// A `listHosts` query (see [`Connection::list_hosts`]).
///
/// The hub accepts `queryOpts` for `listHosts` but ignores them, so this
/// builder has no ordering or counting. An empty
/// [`arches`](Self::arches) list matches no host; the query then answers
/// empty without asking the hub (which fails on it).
#[derive(Debug, Clone)]
#[must_use = "a query does nothing until it is sent"]
pub struct ListHosts<'k> {
    koji: &'k Connection,
    arches: Option<Vec<String>>,
    channel: Option<IdOrName>,
    ready: Option<bool>,
    enabled: Option<bool>,
    user: Option<IdOrName>,
    /// Why this query cannot be sent (made from a channel without an id).
    invalid: Option<&'static str>,
}

impl<'k> ListHosts<'k> {
    /// Hosts that build any of these architectures (`arches`).
    pub fn arches<S: Into<String>>(mut self, arches: impl IntoIterator<Item = S>) -> Self {
        self.arches = Some(arches.into_iter().map(Into::into).collect());
        self
    }

    /// Hosts in this channel, by id or name (`channelID`).
    pub fn channel_id(mut self, channel: impl Into<IdOrName>) -> Self {
        self.channel = Some(channel.into());
        self
    }

    /// Only ready (`true`) or only busy/offline (`false`) hosts (`ready`).
    pub fn ready(mut self, on: bool) -> Self {
        self.ready = Some(on);
        self
    }

    /// Only enabled (`true`) or only disabled (`false`) hosts (`enabled`).
    pub fn enabled(mut self, on: bool) -> Self {
        self.enabled = Some(on);
        self
    }

    /// The host whose user account this is, by id or name (`userID`).
    pub fn user(mut self, user: impl Into<IdOrName>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Sends the query and returns the hosts.
    pub async fn send(self) -> Result<Vec<Host>> {
        if let Some(why) = self.invalid {
            return Err(bad_argument("listHosts", why));
        }
        let mut call = self.koji.request("listHosts");
        if let Some(arches) = &self.arches {
            if arches.is_empty() {
                return Ok(Vec::new());
            }
            call = call.kwarg("arches", arches);
        }
        if let Some(channel) = &self.channel {
            call = call.kwarg("channelID", channel);
        }
        if let Some(on) = self.ready {
            call = call.kwarg("ready", on);
        }
        if let Some(on) = self.enabled {
            call = call.kwarg("enabled", on);
        }
        if let Some(user) = &self.user {
            call = call.kwarg("userID", user);
        }
        call.typed().await
    }
}

impl Channel {
    /// The hosts of this channel (txkoji's `Channel.hosts(**kwargs)`): a
    /// [`ListHosts`] query with `channelID` set, to narrow further before
    /// sending.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let channel = koji.get_channel("default").await?.expect("exists");
    /// let ready = channel.hosts(&koji).enabled(true).ready(true).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn hosts<'k>(&self, koji: &'k Connection) -> ListHosts<'k> {
        let hosts = koji.list_hosts();
        match self.id {
            Some(id) => hosts.channel_id(id),
            None => ListHosts {
                invalid: Some("the channel has no id"),
                ..hosts
            },
        }
    }

    /// The tasks of this channel, highest priority and oldest first
    /// (txkoji's `Channel.tasks(**opts)`): a [`ListTasks`] query with
    /// `channel_id` set and ordered `priority,create_time`, to narrow
    /// further before sending.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// use koji_client::TaskState;
    ///
    /// let channel = koji.get_channel("container").await?.expect("exists");
    /// let queue = channel.tasks(&koji).state(TaskState::ACTIVE.iter().cloned()).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn tasks<'k>(&self, koji: &'k Connection) -> ListTasks<'k> {
        let tasks = koji.list_tasks().order("priority,create_time");
        match self.id {
            Some(id) => tasks.channel_id(id),
            None => tasks.invalid("the channel has no id"),
        }
    }

    /// The task weight this channel can run at once (txkoji's
    /// `Channel.total_capacity()`): the sum of the capacities of its
    /// enabled hosts.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let channel = koji.get_channel(1).await?.expect("exists");
    /// println!("{} task weight at once", channel.total_capacity(&koji).await?);
    /// # Ok(()) }
    /// ```
    pub async fn total_capacity(&self, koji: &Connection) -> Result<f64> {
        let hosts = self.hosts(koji).enabled(true).send().await?;
        Ok(hosts.iter().filter_map(|h| h.capacity).sum())
    }
}
