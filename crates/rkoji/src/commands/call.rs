//! `rkoji call`: any hub method, logged in the profile's way.

use koji_client::Struct;

use super::common::{Ctx, to_value};
use super::login::{login_for_calls, logout_quietly};
use crate::cli;
use crate::failure::Failure;

/// Calls `method` with the command line's arguments and prints the answer
/// as JSON.
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
    login_for_calls(ctx).await?;
    let result = if kw.is_empty() {
        ctx.koji.call(method, args).await
    } else {
        ctx.koji.call_with(method, args, kw).await
    };
    logout_quietly(ctx).await;
    let value = result.map_err(|e| ctx.fail(&e))?;
    ctx.out.json(&value)
}
