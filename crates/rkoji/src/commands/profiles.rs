//! `rkoji profiles`: the profiles found, and the files they come from.

use koji_client::config::{Config, ProfileOrigin};
use serde_json::json;

use crate::failure::Failure;
use crate::format::Table;
use crate::output::Output;

/// Lists the profiles of `config`.
pub(crate) fn run(config: &Config, out: &Output) -> Result<(), Failure> {
    let mut rows = Vec::new();
    for name in config.profile_names() {
        let (server, origin) = match config.profile(name) {
            Ok(p) => (p.server().to_owned(), origin_text(p.origin())),
            Err(e) => (format!("(invalid: {e})"), String::new()),
        };
        rows.push((name.to_owned(), server, origin));
    }
    if out.json {
        let items: Vec<_> = rows
            .iter()
            .map(|(name, server, origin)| json!({"name": name, "server": server, "from": origin}))
            .collect();
        return out.json(&json!({"files": config.files(), "profiles": items}));
    }
    let mut table = Table::new(["PROFILE", "SERVER", "FROM"]);
    for (name, server, origin) in rows {
        table.row([name, server, origin]);
    }
    out.text(&table.render())
}

fn origin_text(origin: &ProfileOrigin) -> String {
    match origin {
        ProfileOrigin::BuiltIn => "built-in".to_owned(),
        ProfileOrigin::Files(files) => files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        #[allow(unreachable_patterns)]
        _ => String::new(),
    }
}
