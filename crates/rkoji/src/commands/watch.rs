//! `rkoji watch`: follow Koji's message bus and print one line per event.
//!
//! The broker URL's scheme picks the consumer (see [`Scheme`]); the
//! events come from `koji_client::messages`, whose consumers reconnect
//! with backoff by themselves (logging each failed attempt on stderr) and
//! skip messages they cannot parse. What retrying cannot fix (refused
//! credentials or virtual host, an untrusted broker certificate, a refused
//! client certificate, a missing queue or address) ends the watch with
//! exit status 3 and a hint naming what to check. Each event is printed as its
//! [`KojiEvent::summary`] with the profile's kojiweb URL, or as one JSON
//! object per line with `--json` (see [`event_json`] and README.md).

use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Args, ValueEnum};
use futures_util::{Stream, StreamExt};
use koji_client::messages::amqp::AmqpConfig;
use koji_client::messages::amqp1::Amqp1Config;
use koji_client::messages::stomp::StompConfig;
use koji_client::messages::{
    ConsumerError, EventStream, KojiEvent, NameKind, NameResolver, TlsConfig,
};
use koji_client::{Build, Connection, IdOrName};
use serde_json::{Map, Value, json};

use crate::commands::Ctx;
use crate::failure::{EXIT_FAULT, Failure};
use crate::interrupt::Interrupt;

/// Routing keys bound when `--topic` is not given on `amqp://`/`amqps://`:
/// fedora-messaging's Koji topics (any environment) and what Koji's
/// protonmsg plugin publishes to on RabbitMQ.
pub(crate) const DEFAULT_AMQP_BINDINGS: &[&str] = &["org.fedoraproject.*.buildsys.#", "koji.#"];
/// The STOMP destination and AMQP 1.0 address used when `--topic` is not
/// given: protonmsg's topics on RabbitMQ (`topic_prefix = /topic/koji`).
pub(crate) const DEFAULT_ADDRESS: &str = "/topic/koji.#";

/// How long a user or tag name lookup on the hub may take before
/// resolution is given up for the rest of the run.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Arguments of `rkoji watch`.
#[derive(Debug, Args)]
#[command(after_long_help = AFTER_HELP)]
pub(crate) struct WatchArgs {
    /// The broker: stomp://, stomp+ssl://, amqp://, amqps://, amqp1:// or
    /// amqp1+ssl:// URL (see below).
    #[arg(long, value_name = "URL")]
    pub(crate) broker: String,
    /// What to subscribe to (repeatable): a STOMP destination, an AMQP
    /// 0-9-1 routing-key binding, or an AMQP 1.0 source address.
    #[arg(long = "topic", value_name = "TOPIC")]
    pub(crate) topics: Vec<String>,
    /// Only events of these kinds (repeatable or comma-separated).
    #[arg(long = "type", value_name = "TYPE", value_enum, value_delimiter = ',')]
    pub(crate) types: Vec<EventType>,
    /// Exit (status 0) after printing N events.
    #[arg(long, value_name = "N")]
    pub(crate) count: Option<u64>,
    /// Stop after this long (`90`, `30s`, `5m`, `1h`): status 0 without
    /// --count, else status 1 if fewer than N events came.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) timeout: Option<Duration>,
    /// A durable queue (amqp) or durable subscription (stomp) with this
    /// name, which keeps events while rkoji is not running.
    #[arg(long, value_name = "NAME")]
    pub(crate) queue: Option<String>,
    /// TLS client certificate (PEM, may hold the key too). Default: the
    /// profile's `cert`.
    #[arg(long, value_name = "FILE")]
    pub(crate) cert: Option<PathBuf>,
    /// TLS client key (PEM), when not in the --cert file.
    #[arg(long, value_name = "FILE")]
    pub(crate) key: Option<PathBuf>,
    /// CA certificates to verify the broker with. Default: the profile's
    /// `serverca`, else the system's.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca: Option<PathBuf>,
    /// Do not ask the hub for the names of users and tags that messages
    /// give only by id.
    #[arg(long)]
    pub(crate) no_resolve: bool,
}

const AFTER_HELP: &str = "\
Broker URLs (the scheme picks the protocol):
  stomp://[USER:PASS@]HOST[:PORT][/VHOST]       STOMP 1.2 (default port 61613)
  stomp+ssl://[USER:PASS@]HOST[:PORT][/VHOST]   STOMP over TLS (default port 61612)
  amqp://[USER:PASS@]HOST[:PORT][/VHOST]        AMQP 0-9-1, fedora-messaging (5672)
  amqps://[USER:PASS@]HOST[:PORT][/VHOST]       AMQP 0-9-1 over TLS (5671)
  amqp1://[USER:PASS@]HOST[:PORT]               AMQP 1.0, Koji's protonmsg (5672)
  amqp1+ssl://[USER:PASS@]HOST[:PORT]           AMQP 1.0 over TLS (5671)
VHOST is URL-encoded (%2F for RabbitMQ's default \"/\"). Without one, stomp
asks for \"/\" (RabbitMQ's default; ActiveMQ and Artemis ignore it) and amqp
uses \"/\".

Default --topic: /topic/koji.# (stomp, amqp1); org.fedoraproject.*.buildsys.#
and koji.# (amqp, bound on the amq.topic exchange).

TLS uses --cert/--key/--ca, else the profile's cert and serverca; the
broker's certificate is always verified.

Unreachable brokers are retried with backoff (each attempt is logged on
stderr); messages that cannot be parsed are logged and skipped. What
retrying cannot fix (wrong user or password, a refused virtual host or
permission, an untrusted broker certificate, a refused client certificate,
a queue, exchange or address that does not exist) stops at once with
status 3 and a hint. Ctrl-C stops (status 0).";

/// The kinds of event `--type` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum EventType {
    /// Build state changes (building, complete, failed, canceled, deleted).
    Build,
    /// Task state changes.
    Task,
    /// A build was tagged.
    Tag,
    /// A build was untagged.
    Untag,
    /// A tag's package list changed (add, update, block, unblock, remove).
    Package,
    /// Repository regeneration started or finished.
    Repo,
    /// An RPM was signed.
    Sign,
    /// An import (rpm, build, content generator, archive).
    Import,
    /// A draft build was promoted.
    Promote,
    /// Any other message.
    Other,
}

impl EventType {
    /// The `--type` value an event answers to.
    pub(crate) fn of(event: &KojiEvent) -> EventType {
        match event {
            KojiEvent::BuildStateChange(_) => EventType::Build,
            KojiEvent::TaskStateChange(_) => EventType::Task,
            KojiEvent::Tag(_) => EventType::Tag,
            KojiEvent::Untag(_) => EventType::Untag,
            KojiEvent::PackageListChange(_) => EventType::Package,
            KojiEvent::RepoInit(_) | KojiEvent::RepoDone(_) => EventType::Repo,
            KojiEvent::RpmSign(_) => EventType::Sign,
            KojiEvent::Import(_) => EventType::Import,
            KojiEvent::BuildPromote(_) => EventType::Promote,
            _ => EventType::Other,
        }
    }

    /// The name as `--type` and the JSON `type` member spell it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            EventType::Build => "build",
            EventType::Task => "task",
            EventType::Tag => "tag",
            EventType::Untag => "untag",
            EventType::Package => "package",
            EventType::Repo => "repo",
            EventType::Sign => "sign",
            EventType::Import => "import",
            EventType::Promote => "promote",
            EventType::Other => "other",
        }
    }
}

/// `90` (seconds), or a friendly duration such as `30s`, `5m`, `1h30m`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad = || format!("invalid duration {text:?}: use seconds (90) or e.g. 30s, 5m, 1h");
    if let Ok(secs) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).map_err(|_| bad());
    }
    let signed: jiff::SignedDuration = text.parse().map_err(|_| bad())?;
    Duration::try_from(signed).map_err(|_| bad())
}

/// The protocol a broker URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// `stomp://`
    Stomp,
    /// `stomp+ssl://`
    StompTls,
    /// `amqp://`
    Amqp,
    /// `amqps://`
    Amqps,
    /// `amqp1://`
    Amqp1,
    /// `amqp1+ssl://`
    Amqp1Tls,
}

/// The schemes `--broker` accepts, for error messages.
pub(crate) const SCHEMES: &str =
    "stomp://, stomp+ssl://, amqp://, amqps://, amqp1://, amqp1+ssl://";

impl Scheme {
    fn parse(name: &str) -> Option<Scheme> {
        Some(match name {
            "stomp" => Scheme::Stomp,
            "stomp+ssl" => Scheme::StompTls,
            "amqp" => Scheme::Amqp,
            "amqps" => Scheme::Amqps,
            "amqp1" => Scheme::Amqp1,
            "amqp1+ssl" => Scheme::Amqp1Tls,
            _ => return None,
        })
    }

    fn tls(self) -> bool {
        matches!(self, Scheme::StompTls | Scheme::Amqps | Scheme::Amqp1Tls)
    }
}

/// A broker URL taken apart (credentials never leave this struct except
/// into the consumer's configuration).
#[derive(Clone)]
pub(crate) struct Broker {
    pub(crate) scheme: Scheme,
    url: url::Url,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("scheme", &self.scheme)
            .field("url", &self.shown())
            .finish()
    }
}

impl Broker {
    /// Parses `--broker`; unknown schemes and URLs without a host are usage
    /// errors naming the valid schemes.
    pub(crate) fn parse(text: &str) -> Result<Broker, Failure> {
        let usage = |what: String| {
            Failure::usage(format!("--broker {what}")).with_hint(format!(
                "valid broker URL schemes: {SCHEMES} (see `rkoji watch --help`)"
            ))
        };
        let Some((scheme_text, _)) = text.split_once("://") else {
            return Err(usage(format!("{:?} is not a URL", redact(text))));
        };
        let Some(scheme) = Scheme::parse(&scheme_text.to_ascii_lowercase()) else {
            return Err(usage(format!("has an unknown scheme {scheme_text:?}")));
        };
        let url = url::Url::parse(text)
            .map_err(|e| usage(format!("{:?} is not a valid URL: {e}", redact(text))))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(usage(format!("{:?} has no host", redact(text))));
        }
        Ok(Broker { scheme, url })
    }

    /// The URL without its password, for messages.
    pub(crate) fn shown(&self) -> String {
        let mut u = self.url.clone();
        if u.password().is_some() {
            let _ = u.set_password(Some("<redacted>"));
        }
        u.to_string()
    }

    fn host(&self) -> String {
        self.url
            .host_str()
            .unwrap_or_default()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned()
    }

    fn port(&self, default: u16) -> u16 {
        self.url.port().unwrap_or(default)
    }

    /// The user name and password, percent-decoded.
    fn credentials(&self) -> Option<(String, String)> {
        if self.url.username().is_empty() {
            return None;
        }
        let user = decode(self.url.username());
        let pass = decode(self.url.password().unwrap_or(""));
        Some((user, pass))
    }

    /// The path without its leading slash, percent-decoded (`%2F` → `/`).
    fn vhost(&self) -> Option<String> {
        let path = self.url.path().trim_start_matches('/');
        (!path.is_empty()).then(|| decode(path))
    }

    /// The URL with another scheme (`amqp1://` → `amqp://`), as the
    /// consumer libraries want it.
    fn with_scheme(&self, scheme: &str) -> String {
        let text = self.url.as_str();
        let rest = text.split_once("://").map_or(text, |(_, rest)| rest);
        format!("{scheme}://{rest}")
    }
}

fn decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// A URL-ish text with anything between `:` and `@` after the scheme hidden.
fn redact(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:<redacted>@{host}"),
            None => text.to_owned(),
        },
        None => text.to_owned(),
    }
}

type Events = Pin<Box<dyn Stream<Item = Result<KojiEvent, ConsumerError>> + Send>>;

/// The TLS settings: explicit flags first, then the profile's files.
pub(crate) fn tls_config(
    files: &TlsFiles,
    profile: &koji_client::config::Profile,
    host: &str,
) -> TlsConfig {
    let mut tls = TlsConfig::new().server_name(host);
    let ca = files
        .ca
        .clone()
        .or_else(|| profile.serverca().map(PathBuf::from));
    if let Some(ca) = ca {
        tls = tls.ca_file(ca);
    }
    let cert = files
        .cert
        .clone()
        .or_else(|| profile.cert().map(PathBuf::from));
    if let Some(cert) = cert {
        tls = tls.cert_file(cert);
    }
    if let Some(key) = &files.key {
        tls = tls.key_file(key);
    }
    tls
}

/// TLS files given on the command line (each defaults to the profile's).
#[derive(Debug, Default)]
pub(crate) struct TlsFiles {
    pub(crate) cert: Option<PathBuf>,
    pub(crate) key: Option<PathBuf>,
    pub(crate) ca: Option<PathBuf>,
}

/// What to subscribe to, and how.
#[derive(Debug, Default)]
pub(crate) struct Subscription {
    /// Topics; empty for the defaults.
    pub(crate) topics: Vec<String>,
    /// A durable queue or subscription.
    pub(crate) queue: Option<String>,
    /// TLS files.
    pub(crate) tls: TlsFiles,
    /// The AMQP 1.0 container id prefix.
    pub(crate) client: &'static str,
}

/// Starts the consumer the broker URL asks for.
fn open(args: &WatchArgs, ctx: &Ctx, broker: &Broker) -> Result<Events, Failure> {
    let sub = Subscription {
        topics: args.topics.clone(),
        queue: args.queue.clone(),
        tls: TlsFiles {
            cert: args.cert.clone(),
            key: args.key.clone(),
            ca: args.ca.clone(),
        },
        client: "rkoji-watch",
    };
    let mut streams = open_streams(&sub, &ctx.profile, broker)?;
    if streams.len() == 1 {
        if let Some(one) = streams.pop() {
            return Ok(Box::pin(one));
        }
    }
    Ok(Box::pin(futures_util::stream::select_all(streams)))
}

/// Starts the consumers the broker URL asks for: one, except with AMQP
/// 1.0 and several addresses (one connection each).
pub(crate) fn open_streams(
    sub: &Subscription,
    profile: &koji_client::config::Profile,
    broker: &Broker,
) -> Result<Vec<EventStream>, Failure> {
    let setup = |e: String| Failure::usage(format!("cannot watch {}: {e}", broker.shown()));
    let topics: Vec<String> = if sub.topics.is_empty() {
        match broker.scheme {
            Scheme::Amqp | Scheme::Amqps => DEFAULT_AMQP_BINDINGS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            _ => vec![DEFAULT_ADDRESS.to_owned()],
        }
    } else {
        sub.topics.clone()
    };
    let host = broker.host();
    let tls = broker
        .scheme
        .tls()
        .then(|| tls_config(&sub.tls, profile, &host));
    match broker.scheme {
        Scheme::Stomp | Scheme::StompTls => {
            let default_port = if broker.scheme.tls() { 61612 } else { 61613 };
            let mut config = StompConfig::new(&host, broker.port(default_port));
            if let Some(tls) = tls {
                config = config.tls(tls);
            }
            if let Some((user, pass)) = broker.credentials() {
                config = config.credentials(user, pass);
            }
            if let Some(vhost) = broker.vhost() {
                config = config.vhost(vhost);
            }
            if let Some(queue) = &sub.queue {
                config = config.durable(queue);
            }
            for topic in topics {
                config = config.destination(topic);
            }
            let events = koji_client::messages::stomp::subscribe(config)
                .map_err(|e| setup(e.to_string()))?;
            Ok(vec![events])
        }
        Scheme::Amqp | Scheme::Amqps => {
            let mut config = AmqpConfig::new(broker.url.as_str());
            if let Some(tls) = tls {
                config = config.tls(tls);
            }
            if let Some(queue) = &sub.queue {
                config = config.queue(queue);
            }
            for topic in topics {
                config = config.bind(topic);
            }
            let events =
                koji_client::messages::amqp::consume(config).map_err(|e| setup(e.to_string()))?;
            Ok(vec![events])
        }
        Scheme::Amqp1 | Scheme::Amqp1Tls => {
            if sub.queue.is_some() {
                return Err(Failure::usage(
                    "--queue is for stomp and amqp brokers; with amqp1 name the queue as \
                     the address: --topic /amq/queue/NAME (RabbitMQ) or queue://NAME (ActiveMQ)",
                ));
            }
            let url = broker.with_scheme(if broker.scheme.tls() { "amqps" } else { "amqp" });
            topics
                .into_iter()
                .enumerate()
                .map(|(i, address)| {
                    // One connection per address, each with its own
                    // container id (ActiveMQ refuses a second connection
                    // with the same client id).
                    let mut config = Amqp1Config::new(url.as_str(), address).container_id(format!(
                        "{}-{}-{i}",
                        sub.client,
                        std::process::id()
                    ));
                    if let Some(tls) = &tls {
                        config = config.tls(tls.clone());
                    }
                    koji_client::messages::amqp1::receive(config).map_err(|e| setup(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()
        }
    }
}

/// Looks user and tag ids up on the hub, remembering the answers; after
/// the first failed lookup it stops asking (and says so once).
struct HubNames<'a> {
    koji: Option<&'a Connection>,
    known: Mutex<HashMap<(bool, i64), Option<String>>>,
    broken: AtomicBool,
}

impl HubNames<'_> {
    async fn lookup(&self, kind: NameKind, id: i64) -> Result<Option<String>, String> {
        let Some(koji) = self.koji else {
            return Ok(None);
        };
        let call = async {
            match kind {
                NameKind::User => koji.get_user(id).await.map(|u| u.and_then(|u| u.name)),
                _ => koji.get_tag(id).await.map(|t| t.and_then(|t| t.name)),
            }
        };
        match tokio::time::timeout(LOOKUP_TIMEOUT, call).await {
            Ok(Ok(name)) => Ok(name),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {}s", LOOKUP_TIMEOUT.as_secs())),
        }
    }
}

impl NameResolver for HubNames<'_> {
    type Error = std::convert::Infallible;

    async fn name(&self, kind: NameKind, id: i64) -> Result<Option<String>, Self::Error> {
        if self.broken.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let key = (kind == NameKind::User, id);
        if let Some(known) = self.known.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(known);
        }
        match self.lookup(kind, id).await {
            Ok(name) => {
                if let Ok(mut m) = self.known.lock() {
                    m.insert(key, name.clone());
                }
                Ok(name)
            }
            Err(error) => {
                if !self.broken.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        %error,
                        "cannot look names up on the hub; showing ids (use --no-resolve to skip)"
                    );
                }
                Ok(None)
            }
        }
    }
}

fn user_fields(event: &KojiEvent) -> (Option<i64>, Option<String>) {
    let from_user = |u: Option<&koji_client::User>| match u {
        Some(u) => (u.id, u.name.clone()),
        None => (None, None),
    };
    match event {
        KojiEvent::BuildStateChange(e) => (e.build.owner_id, e.build.owner_name.clone()),
        KojiEvent::TaskStateChange(e) => (e.task.owner, e.owner_name.clone()),
        KojiEvent::Tag(e) | KojiEvent::Untag(e) => from_user(e.user.as_ref()),
        KojiEvent::PackageListChange(e) => from_user(e.user.as_ref()),
        KojiEvent::BuildPromote(e) => from_user(e.user.as_ref()),
        KojiEvent::Import(e) => e
            .build
            .as_ref()
            .map_or((None, None), |b| (b.owner_id, b.owner_name.clone())),
        _ => (None, None),
    }
}

fn tag_fields(event: &KojiEvent) -> (Option<i64>, Option<String>) {
    let from_tag = |t: &koji_client::Tag| (t.id, t.name.clone());
    match event {
        KojiEvent::Tag(e) | KojiEvent::Untag(e) => from_tag(&e.tag),
        KojiEvent::PackageListChange(e) => from_tag(&e.tag),
        KojiEvent::RepoInit(e) => from_tag(&e.tag),
        KojiEvent::RepoDone(e) => from_tag(&e.tag),
        KojiEvent::TaskStateChange(e) => match event.tag() {
            Some(IdOrName::Id(id)) => (Some(id), e.tag_name.clone()),
            Some(IdOrName::Name(name)) => (None, Some(name)),
            None => (None, None),
        },
        _ => (None, None),
    }
}

fn package_name(event: &KojiEvent) -> Option<String> {
    if let KojiEvent::PackageListChange(e) = event {
        return e.package.name().map(str::to_owned);
    }
    let build: &Build = event.build()?;
    build.name.clone().or_else(|| build.package_name.clone())
}

/// `old`, `new` (state names) of a state change.
fn states(event: &KojiEvent) -> (Option<String>, Option<String>) {
    match event {
        KojiEvent::BuildStateChange(e) => (
            e.old.as_ref().map(ToString::to_string),
            Some(e.new.to_string()),
        ),
        KojiEvent::TaskStateChange(e) => (
            e.old.as_ref().map(ToString::to_string),
            Some(e.new.to_string()),
        ),
        _ => (None, None),
    }
}

/// The JSON line of an event (documented in README.md, `rkoji watch`).
pub(crate) fn event_json(event: &KojiEvent, weburl: &str) -> Value {
    let meta = event.meta();
    let (user_id, user) = user_fields(event);
    let (tag_id, tag) = tag_fields(event);
    let (old, new) = states(event);
    let task = event.task();
    let action = match event {
        KojiEvent::PackageListChange(e) => Some(e.action.to_string()),
        KojiEvent::Import(e) => Some(e.import_type.to_string()),
        _ => None,
    };
    let rpm = match event {
        KojiEvent::RpmSign(e) => e.rpm.nvra(),
        _ => None,
    };
    let mut out = Map::new();
    out.insert("type".into(), json!(EventType::of(event).name()));
    out.insert("kind".into(), json!(event.kind_name()));
    out.insert("dialect".into(), json!(meta.dialect.to_string()));
    out.insert("topic".into(), json!(meta.topic));
    out.insert("summary".into(), json!(event.summary(Some(weburl))));
    out.insert("url".into(), json!(event.url(weburl)));
    out.insert("user".into(), json!(user));
    out.insert("user_id".into(), json!(user_id));
    out.insert("tag".into(), json!(tag));
    out.insert("tag_id".into(), json!(tag_id));
    out.insert("package".into(), json!(package_name(event)));
    out.insert("nvr".into(), json!(event.build().and_then(Build::nvr)));
    out.insert(
        "build_id".into(),
        json!(event.build().and_then(Build::build_id)),
    );
    out.insert("task_id".into(), json!(task.and_then(|t| t.id)));
    out.insert("method".into(), json!(task.and_then(|t| t.method.clone())));
    out.insert("old".into(), json!(old));
    out.insert("new".into(), json!(new));
    out.insert("action".into(), json!(action));
    out.insert("rpm".into(), json!(rpm));
    out.insert("properties".into(), Value::Object(meta.properties.clone()));
    out.insert("body".into(), meta.body.clone());
    Value::Object(out)
}

/// Writes one line; a closed stdout (`| head`) ends the run quietly.
fn emit(line: &str) -> Result<bool, Failure> {
    let mut out = std::io::stdout().lock();
    match out
        .write_all(line.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
    {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(Failure::io(e)),
    }
}

/// Runs `rkoji watch`.
pub(crate) async fn run(ctx: &Ctx, args: &WatchArgs) -> Result<(), Failure> {
    let broker = Broker::parse(&args.broker)?;
    if args.count == Some(0) {
        return Ok(());
    }
    let mut interrupt = Interrupt::listen();
    let mut events = open(args, ctx, &broker)?;
    tracing::info!(broker = %broker.shown(), "watching (Ctrl-C to stop)");
    let names = HubNames {
        koji: (!args.no_resolve).then_some(&ctx.koji),
        known: Mutex::new(HashMap::new()),
        broken: AtomicBool::new(false),
    };
    let weburl = ctx.profile.weburl();
    let deadline = args.timeout.map(|t| tokio::time::Instant::now() + t);
    let mut printed: u64 = 0;
    loop {
        let next = tokio::select! {
            event = events.next() => event,
            () = interrupt.recv() => return Ok(()),
            () = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            } => {
                return match args.count {
                    Some(n) => Err(Failure {
                        code: EXIT_FAULT,
                        message: format!(
                            "timed out after {:?} with {printed} of {n} events",
                            args.timeout.unwrap_or_default()
                        ),
                        hint: None,
                    }),
                    None => Ok(()),
                };
            }
        };
        let mut event = match next {
            Some(Ok(event)) => event,
            // What retrying cannot fix: the consumer stopped.
            Some(Err(e)) => return Err(Failure::from_consumer(&e, &broker.shown())),
            // The consumers only end after an error; if one did, there is
            // nothing more to show.
            None => return Ok(()),
        };
        if !args.types.is_empty() && !args.types.contains(&EventType::of(&event)) {
            continue;
        }
        let _ = event.resolve_names(&names).await;
        let line = if ctx.out.json {
            event_json(&event, weburl).to_string()
        } else {
            event.summary(Some(weburl))
        };
        if !emit(&line)? {
            return Ok(());
        }
        printed += 1;
        if args.count.is_some_and(|n| printed >= n) {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn broker_urls_pick_the_protocol() {
        let cases = [
            ("stomp://h", Scheme::Stomp),
            ("stomp+ssl://h:61612", Scheme::StompTls),
            ("amqp://u:p@h/%2F", Scheme::Amqp),
            ("AMQPS://h", Scheme::Amqps),
            ("amqp1://h:5672", Scheme::Amqp1),
            ("amqp1+ssl://h", Scheme::Amqp1Tls),
        ];
        for (url, scheme) in cases {
            assert_eq!(Broker::parse(url).unwrap().scheme, scheme, "{url}");
        }
    }

    #[test]
    fn unknown_schemes_are_usage_errors_listing_the_valid_ones() {
        for url in ["http://h", "mqtt://h:1883", "h:61613", "stomp://"] {
            let failure = Broker::parse(url).unwrap_err();
            assert_eq!(failure.code, crate::failure::EXIT_USAGE, "{url}");
            assert!(failure.hint.as_deref().unwrap().contains(SCHEMES), "{url}");
        }
    }

    #[test]
    fn url_parts_are_decoded_and_passwords_hidden() {
        let b = Broker::parse("stomp://us%40er:p%3Ass+w@broker.example.com:1234/%2F").unwrap();
        assert_eq!(b.host(), "broker.example.com");
        assert_eq!(b.port(61613), 1234);
        assert_eq!(
            b.credentials(),
            Some(("us@er".to_owned(), "p:ss+w".to_owned()))
        );
        assert_eq!(b.vhost().as_deref(), Some("/"));
        assert!(!b.shown().contains("p%3Ass"));
        assert!(!format!("{b:?}").contains("p%3Ass"));
        let plain = Broker::parse("amqp1://[::1]").unwrap();
        assert_eq!(plain.host(), "::1");
        assert_eq!(plain.vhost(), None);
        assert_eq!(plain.credentials(), None);
        assert_eq!(plain.with_scheme("amqp"), "amqp://[::1]");
        let failure = Broker::parse("bogus://u:hunter2@h").unwrap_err();
        assert!(!failure.message.contains("hunter2"), "{}", failure.message);
    }

    #[test]
    fn durations_take_seconds_or_units() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert!(parse_duration("-1").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
