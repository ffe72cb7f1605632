//! Following Koji's message bus over STOMP (RabbitMQ's STOMP adapter,
//! UMB/ActiveMQ) and printing one chat line per event, with the user and
//! tag names the messages only carry as ids resolved through the hub (and
//! remembered in a name cache). The consumer reconnects by itself.
//!
//! ```text
//! cargo run --features stomp --example watch_bus -- -c FILE -p PROFILE \
//!     --broker 127.0.0.1:61613 --login guest --topic '/topic/koji.#'
//! ```
//!
//! The broker password, if any, comes from `$STOMP_PASSCODE`. The consumer
//! reconnects by itself; it ends with an error only for what retrying
//! cannot fix.

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use koji_client::StreamExt;
use koji_client::cache::NameCache;
use koji_client::messages::stomp::{StompConfig, subscribe};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    hub: common::HubArgs,
    /// The STOMP broker, HOST:PORT.
    #[arg(long, value_name = "HOST:PORT")]
    broker: String,
    /// The broker user (password in $STOMP_PASSCODE).
    #[arg(long)]
    login: Option<String>,
    /// The broker's virtual host.
    #[arg(long)]
    vhost: Option<String>,
    /// What to subscribe to (repeatable).
    #[arg(long = "topic", default_value = "/topic/koji.#")]
    topics: Vec<String>,
    /// The kojiweb URL, for links in the lines (default: the profile's).
    #[arg(long)]
    weburl: Option<String>,
    /// Where to keep resolved names (default: ~/.cache/koji-client).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Stop after this many events (default: follow forever).
    #[arg(long)]
    count: Option<usize>,
}

async fn run(cli: Cli) -> koji_client::Result<()> {
    let koji = cli.hub.connect()?;
    let names = match &cli.cache_dir {
        Some(dir) => NameCache::with_dir(dir, &cli.hub.profile)?,
        None => NameCache::new(&cli.hub.profile)?,
    };
    let (host, port) = cli
        .broker
        .rsplit_once(':')
        .and_then(|(host, port)| Some((host, port.parse::<u16>().ok()?)))
        .unwrap_or((cli.broker.as_str(), 61613));
    let mut config = StompConfig::new(host, port);
    if let Some(login) = &cli.login {
        let passcode = std::env::var("STOMP_PASSCODE").unwrap_or_default();
        config = config.credentials(login, passcode);
    }
    if let Some(vhost) = &cli.vhost {
        config = config.vhost(vhost);
    }
    for topic in &cli.topics {
        config = config.destination(topic);
    }
    // `?` turns a StompError into koji_client::Error.
    let events = subscribe(config)?;
    let mut events = std::pin::pin!(events);
    let resolver = names.resolver(&koji);
    let mut seen = 0;
    while let Some(event) = events.next().await {
        // The stream retries what can be retried; an error here is final
        // (bad credentials, an unknown vhost…), and `?` reports it.
        let mut event = event?;
        // Fill in the names of owners and tags sent as ids; if the hub
        // cannot be asked, the line shows the ids.
        if let Err(e) = event.resolve_names(&resolver).await {
            eprintln!("cannot resolve names: {e}");
        }
        println!("{}", event.summary(cli.weburl.as_deref().or(koji.weburl())));
        seen += 1;
        if cli.count.is_some_and(|count| seen >= count) {
            break;
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::report(run(Cli::parse()).await)
}
