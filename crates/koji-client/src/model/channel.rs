//! Channels: `getChannel`, `listChannels`.

use super::macros::koji_model;
use crate::web::WebObject;

koji_model! {
    /// A channel (a group of builders tasks are routed to), as `getChannel`
    /// and `listChannels` give it. Hubs before 1.26 send only `id` and
    /// `name`.
    ///
    /// ```
    /// use koji_client::Channel;
    ///
    /// let old_hub: Channel = serde_json::from_str(r#"{"id": 2, "name": "createrepo"}"#).unwrap();
    /// assert_eq!(old_hub.enabled, None);
    /// assert_eq!(old_hub.url("https://koji.example.com/koji").unwrap(),
    ///            "https://koji.example.com/koji/channelinfo?channelID=2");
    /// ```
    pub struct Channel {
        /// Channel id.
        id: i64,
        /// Channel name.
        name: String,
        /// Description.
        description: String,
        /// Whether the channel is enabled.
        enabled: bool,
        /// Admin comment.
        comment: String,
    }
}

impl Channel {
    /// This channel's kojiweb page, `<weburl>/channelinfo?channelID=N`
    /// (kojiweb takes ids only here); `None` without an id.
    pub fn url(&self, weburl: &str) -> Option<String> {
        Some(WebObject::Channel(self.id?).url(weburl))
    }
}
