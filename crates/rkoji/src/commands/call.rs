//! `rkoji call`: any hub method, logged in the profile's way.

use std::io::Write as _;

use futures_util::StreamExt as _;
use koji_client::{JsonOptions, Struct};

use super::common::{Ctx, to_value};
use super::login::{login_for_calls, logout_quietly};
use crate::cli;
use crate::failure::Failure;

/// Calls `method` with the command line's arguments and prints the answer
/// as JSON, byte for byte what `koji call --json-output` prints, as the
/// answer arrives (transcoded piece by piece: memory stays bounded
/// whatever its size).
pub(crate) async fn run(
    ctx: &Ctx,
    method: &str,
    args: &[String],
    kwargs: &[String],
) -> Result<(), Failure> {
    let args = args
        .iter()
        .map(|a| to_value(cli::json_or_string(a)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut kw = Struct::new();
    for text in kwargs {
        let (name, value) = cli::kwarg(text).map_err(Failure::usage)?;
        kw.insert(name, to_value(value)?);
    }
    let call = if kw.is_empty() {
        ctx.koji.prepare(method, args)
    } else {
        ctx.koji.prepare_with(method, args, kw)
    }
    .map_err(|e| ctx.fail(&e))?;
    login_for_calls(ctx).await?;
    let result = print_json(ctx, &call).await;
    logout_quietly(ctx).await;
    result
}

/// Sends `call` and writes its answer to stdout as JSON, piece by piece,
/// then a newline. A failure after some JSON was written ends the line
/// (the output is then incomplete, and the exit status says so).
async fn print_json(ctx: &Ctx, call: &koji_client::PreparedCall) -> Result<(), Failure> {
    let mut json = ctx.koji.execute_json(call, JsonOptions::new());
    let mut wrote = false;
    let mut failure = None;
    while let Some(piece) = json.next().await {
        match piece {
            Ok(piece) => {
                let mut out = std::io::stdout().lock();
                out.write_all(&piece).map_err(Failure::io)?;
                wrote = true;
            }
            Err(e) => {
                failure = Some(ctx.fail(&e));
                break;
            }
        }
    }
    if wrote {
        let mut out = std::io::stdout().lock();
        out.write_all(b"\n")
            .and_then(|()| out.flush())
            .map_err(Failure::io)?;
    }
    match failure {
        Some(f) => Err(f),
        None => Ok(()),
    }
}
