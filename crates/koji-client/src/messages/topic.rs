//! Topics and addresses: finding the Koji event in a broker's name for it.
//!
//! The same event travels under many names:
//!
//! | publisher / broker | example |
//! |---|---|
//! | protonmsg, ActiveMQ form | `topic://koji.build.complete` |
//! | protonmsg, RabbitMQ form (AMQP 1.0 address, STOMP destination) | `/topic/koji.build.complete` |
//! | RabbitMQ routing key | `koji.build.complete` |
//! | UMB (ActiveMQ virtual topics) | `/topic/VirtualTopic.eng.brew.build.complete` |
//! | koji-fedoramessaging | `org.fedoraproject.prod.buildsys.build.state.change` |
//!
//! [`Topic::parse`] strips the transport prefix and recognises the Koji part
//! at the end, whatever prefix the hub was configured with.

use std::fmt;

/// Which publisher a message comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dialect {
    /// Koji's own `protonmsg` hub plugin (AMQP 1.0; also seen through STOMP
    /// bridges): properties plus a JSON body with the callback's arguments.
    Protonmsg,
    /// Fedora's `koji-fedoramessaging` plugin (fedora-messaging over AMQP
    /// 0-9-1): flattened JSON bodies defined by `koji-fedoramessaging-messages`.
    FedoraMessaging,
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Protonmsg => "protonmsg",
            Dialect::FedoraMessaging => "fedora-messaging",
        })
    }
}

/// The kind of event a topic names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TopicKind {
    /// `build.<state>` / `buildsys.build.state.change`.
    BuildStateChange,
    /// `task.<state>` / `buildsys.task.state.change`.
    TaskStateChange,
    /// `build.tag` / `buildsys.tag`.
    Tag,
    /// `build.untag` / `buildsys.untag`.
    Untag,
    /// `package.<action>` / `buildsys.package.list.change`.
    PackageListChange,
    /// `repo.init` / `buildsys.repo.init`.
    RepoInit,
    /// `repo.done` / `buildsys.repo.done`.
    RepoDone,
    /// `sign.rpm` / `buildsys.rpm.sign`.
    RpmSign,
    /// `import.<type>`.
    Import,
    /// `build.promote`.
    BuildPromote,
}

const BUILD_STATES: &[&str] = &["building", "complete", "deleted", "failed", "canceled"];
const TASK_STATES: &[&str] = &["free", "open", "closed", "canceled", "assigned", "failed"];
const PACKAGE_ACTIONS: &[&str] = &["add", "update", "block", "remove", "unblock"];
const IMPORT_TYPES: &[&str] = &["build", "rpm", "cg", "archive", "image"];

/// A parsed topic, routing key, address or destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    /// The name as received.
    pub raw: String,
    /// The name without the transport prefix (`topic://`, `/topic/`,
    /// `/exchange/<x>/`, `VirtualTopic.` …).
    pub name: String,
    /// The recognised event, if any.
    pub kind: Option<TopicKind>,
    /// The dialect the topic's shape implies, if recognised.
    pub dialect: Option<Dialect>,
    /// The part after the event kind: the state (`complete`, `open`), the
    /// package action (`add`) or the import type (`rpm`), lower case.
    pub detail: Option<String>,
    /// What precedes the Koji part (`koji`, `eng.brew`,
    /// `org.fedoraproject.prod`), if anything.
    pub prefix: Option<String>,
}

/// Strips transport decorations from a destination.
fn strip_transport(raw: &str) -> &str {
    let mut s = raw.trim();
    for p in ["topic://", "queue://", "/topic/", "/queue/", "/amq/queue/"] {
        if let Some(rest) = s.strip_prefix(p) {
            s = rest;
            break;
        }
    }
    if let Some(rest) = s.strip_prefix("/exchange/") {
        // /exchange/<name>/<routing key>
        s = rest.split_once('/').map_or(rest, |(_, key)| key);
    }
    s
}

impl Topic {
    /// Parses a topic. Never fails: an unrecognised name has `kind: None`.
    ///
    /// ```
    /// use koji_client::messages::topic::{Dialect, Topic, TopicKind};
    ///
    /// let t = Topic::parse("/topic/VirtualTopic.eng.brew.build.complete");
    /// assert_eq!(t.kind, Some(TopicKind::BuildStateChange));
    /// assert_eq!(t.detail.as_deref(), Some("complete"));
    /// assert_eq!(t.prefix.as_deref(), Some("eng.brew"));
    ///
    /// let f = Topic::parse("org.fedoraproject.prod.buildsys.tag");
    /// assert_eq!((f.kind, f.dialect), (Some(TopicKind::Tag), Some(Dialect::FedoraMessaging)));
    /// ```
    pub fn parse(raw: &str) -> Topic {
        let name = strip_transport(raw);
        let name = name.strip_prefix("VirtualTopic.").unwrap_or(name);
        let segments: Vec<&str> = name.split('.').collect();
        let (kind, dialect, detail, used) = classify(&segments);
        let prefix = if kind.is_some() && segments.len() > used {
            Some(segments[..segments.len() - used].join("."))
        } else {
            None
        };
        Topic {
            raw: raw.to_owned(),
            name: name.to_owned(),
            kind,
            dialect,
            detail,
            prefix,
        }
    }
}

type Classified = (Option<TopicKind>, Option<Dialect>, Option<String>, usize);

fn classify(segments: &[&str]) -> Classified {
    use TopicKind as K;
    let n = segments.len();
    let tail = |k: usize| -> Option<Vec<String>> {
        (n >= k).then(|| {
            segments[n - k..]
                .iter()
                .map(|s| s.to_ascii_lowercase())
                .collect()
        })
    };
    // fedora-messaging: ... buildsys.<...>
    let fedora: &[(&[&str], TopicKind)] = &[
        (
            &["buildsys", "build", "state", "change"],
            K::BuildStateChange,
        ),
        (&["buildsys", "task", "state", "change"], K::TaskStateChange),
        (
            &["buildsys", "package", "list", "change"],
            K::PackageListChange,
        ),
        (&["buildsys", "repo", "init"], K::RepoInit),
        (&["buildsys", "repo", "done"], K::RepoDone),
        (&["buildsys", "rpm", "sign"], K::RpmSign),
        (&["buildsys", "untag"], K::Untag),
        (&["buildsys", "tag"], K::Tag),
    ];
    for (pattern, kind) in fedora {
        let matches =
            tail(pattern.len()).is_some_and(|t| t.iter().zip(pattern.iter()).all(|(a, b)| a == b));
        if matches {
            return (
                Some(*kind),
                Some(Dialect::FedoraMessaging),
                None,
                pattern.len(),
            );
        }
    }
    let Some(t) = tail(2) else {
        return (None, None, None, 0);
    };
    let (group, detail) = (t[0].as_str(), t[1].as_str());
    let kind = match group {
        "build" => match detail {
            "tag" => Some(K::Tag),
            "untag" => Some(K::Untag),
            "promote" => Some(K::BuildPromote),
            d if BUILD_STATES.contains(&d) => Some(K::BuildStateChange),
            _ => None,
        },
        "task" if TASK_STATES.contains(&detail) => Some(K::TaskStateChange),
        "package" if PACKAGE_ACTIONS.contains(&detail) => Some(K::PackageListChange),
        "import" if IMPORT_TYPES.contains(&detail) => Some(K::Import),
        "repo" if detail == "init" => Some(K::RepoInit),
        "repo" if detail == "done" => Some(K::RepoDone),
        "sign" if detail == "rpm" => Some(K::RpmSign),
        _ => None,
    };
    match kind {
        Some(k) => {
            let detail = match k {
                K::BuildStateChange | K::TaskStateChange | K::PackageListChange | K::Import => {
                    Some(detail.to_owned())
                }
                _ => None,
            };
            (Some(k), Some(Dialect::Protonmsg), detail, 2)
        }
        None => (None, None, None, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_every_protonmsg_address_under_any_prefix() {
        let cases = [
            (
                "topic://koji.build.complete",
                TopicKind::BuildStateChange,
                Some("complete"),
                Some("koji"),
            ),
            (
                "/topic/koji.task.assigned",
                TopicKind::TaskStateChange,
                Some("assigned"),
                Some("koji"),
            ),
            ("koji.build.tag", TopicKind::Tag, None, Some("koji")),
            ("koji.build.untag", TopicKind::Untag, None, Some("koji")),
            (
                "koji.build.promote",
                TopicKind::BuildPromote,
                None,
                Some("koji"),
            ),
            (
                "koji.package.unblock",
                TopicKind::PackageListChange,
                Some("unblock"),
                Some("koji"),
            ),
            (
                "koji.import.cg",
                TopicKind::Import,
                Some("cg"),
                Some("koji"),
            ),
            ("koji.repo.init", TopicKind::RepoInit, None, Some("koji")),
            ("koji.repo.done", TopicKind::RepoDone, None, Some("koji")),
            ("koji.sign.rpm", TopicKind::RpmSign, None, Some("koji")),
            (
                "/topic/VirtualTopic.eng.brew.build.canceled",
                TopicKind::BuildStateChange,
                Some("canceled"),
                Some("eng.brew"),
            ),
            (
                "/exchange/amq.topic/koji.task.free",
                TopicKind::TaskStateChange,
                Some("free"),
                Some("koji"),
            ),
            (
                "build.deleted",
                TopicKind::BuildStateChange,
                Some("deleted"),
                None,
            ),
        ];
        for (raw, kind, detail, prefix) in cases {
            let t = Topic::parse(raw);
            assert_eq!(t.kind, Some(kind), "{raw}");
            assert_eq!(t.dialect, Some(Dialect::Protonmsg), "{raw}");
            assert_eq!(t.detail.as_deref(), detail, "{raw}");
            assert_eq!(t.prefix.as_deref(), prefix, "{raw}");
        }
    }

    #[test]
    fn recognises_fedora_topics() {
        let cases = [
            (
                "buildsys.build.state.change",
                TopicKind::BuildStateChange,
                None,
            ),
            (
                "org.fedoraproject.prod.buildsys.task.state.change",
                TopicKind::TaskStateChange,
                Some("org.fedoraproject.prod"),
            ),
            (
                "org.fedoraproject.stg.buildsys.package.list.change",
                TopicKind::PackageListChange,
                Some("org.fedoraproject.stg"),
            ),
            ("buildsys.repo.init", TopicKind::RepoInit, None),
            ("buildsys.repo.done", TopicKind::RepoDone, None),
            ("buildsys.rpm.sign", TopicKind::RpmSign, None),
            ("buildsys.tag", TopicKind::Tag, None),
            ("buildsys.untag", TopicKind::Untag, None),
        ];
        for (raw, kind, prefix) in cases {
            let t = Topic::parse(raw);
            assert_eq!(t.kind, Some(kind), "{raw}");
            assert_eq!(t.dialect, Some(Dialect::FedoraMessaging), "{raw}");
            assert_eq!(t.prefix.as_deref(), prefix, "{raw}");
        }
    }

    #[test]
    fn unknown_topics_have_no_kind() {
        for raw in [
            "",
            "koji",
            "koji.build.weird",
            "koji.task.done",
            "koji.host.update",
            "a.b.c",
        ] {
            let t = Topic::parse(raw);
            assert_eq!(t.kind, None, "{raw}");
            assert_eq!(t.prefix, None, "{raw}");
        }
    }
}
