//! Remembering user and tag names on disk: the first lookup of an id asks
//! the hub, later ones (in this run or the next) read the cache. Names are
//! kept per hub, so the same profile name pointed at another hub never
//! reads these.
//!
//! ```text
//! cargo run --example name_cache -- -c FILE -p PROFILE user 2 3
//! cargo run --example name_cache -- -c FILE -p PROFILE --cache-dir /tmp/names tag 5
//! ```

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use koji_client::cache::{self, NameCache};

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    User,
    Tag,
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    hub: common::HubArgs,
    /// Where to keep the names (default: ~/.cache/koji-client).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// What the ids are.
    kind: Kind,
    /// The ids.
    #[arg(required = true)]
    ids: Vec<i64>,
}

async fn run(cli: Cli) -> koji_client::Result<()> {
    let koji = cli.hub.connect()?;
    // `?` turns a CacheError into koji_client::Error.
    let names = match &cli.cache_dir {
        Some(dir) => NameCache::with_dir(dir, &cli.hub.profile)?,
        None => NameCache::new(&cli.hub.profile)?,
    };
    let kind = match cli.kind {
        Kind::User => cache::USER,
        Kind::Tag => cache::TAG,
    };
    for id in cli.ids {
        let cached = names.cached_on_hub(koji.server_url(), kind, id)?.is_some();
        let name = match cli.kind {
            Kind::User => names.user_name(&koji, id).await?,
            Kind::Tag => names.tag_name(&koji, id).await?,
        };
        let from = if cached { "cached" } else { "asked the hub" };
        match name {
            Some(name) => println!("{kind} {id}: {name} ({from})"),
            None => println!("{kind} {id}: no such {kind}"),
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::report(run(Cli::parse()).await)
}
