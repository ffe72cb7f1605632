//! `checkUpload` and the legacy `uploadFile` (the chunks themselves arrive
//! as `rawUpload` POSTs, see `server.rs` and `crate::uploads`).

use koji_xmlrpc::Value;

use crate::args::Args;
use crate::dispatch::Ctx;
use crate::fault::{Exc, HubResult};
use crate::uploads;
use crate::wire::Out;

fn text<'a>(a: &'a Args, name: &str) -> HubResult<&'a str> {
    match a.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(Exc::py(
            "TypeError",
            format!(
                "expected str for {name}, got {}",
                crate::py::type_name(other)
            ),
        )),
        None => Err(Exc::key_error(name)),
    }
}

fn opt_text<'a>(a: &'a Args, name: &str) -> Option<&'a str> {
    a.opt(name).and_then(Value::as_str)
}

fn int(a: &Args, name: &str) -> HubResult<i64> {
    match a.get(name) {
        Some(Value::Int(i)) => Ok(*i),
        Some(Value::String(s)) => crate::py::parse_int(s)
            .ok_or_else(|| Exc::py("ValueError", format!("invalid literal for int(): {s:?}"))),
        _ => Err(Exc::py("TypeError", format!("{name} must be an int"))),
    }
}

/// `checkUpload(path, name, verify=None, tail=None, volume=None)`: needs no login.
pub(super) fn check_upload(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let tail = match a.opt("tail") {
        None | Some(Value::Nil) => None,
        Some(_) => Some(int(&a, "tail")?),
    };
    uploads::check_upload(
        &ctx.hub.uploads,
        text(&a, "path")?,
        text(&a, "name")?,
        opt_text(&a, "verify"),
        tail,
        opt_text(&a, "volume"),
    )
    .map(Out::Value)
}

/// `uploadFile(path, name, size, md5sum, offset, data, volume=None, checksum=None)`.
pub(super) fn upload_file(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    if !ctx.sess.logged_in {
        return Err(Exc::not_allowed("you must be logged in for this operation"));
    }
    let checksum = match a.opt("checksum") {
        Some(c) if *c != Value::Nil => c.clone(),
        _ => a.get("md5sum").cloned().unwrap_or(Value::Nil),
    };
    let out = uploads::upload_file(
        &ctx.hub.uploads,
        ctx.sess.user_id.unwrap_or_default(),
        text(&a, "path")?,
        text(&a, "name")?,
        int(&a, "size")?,
        &checksum,
        int(&a, "offset")?,
        text(&a, "data")?,
        opt_text(&a, "volume"),
    )?;
    ctx.commit = true;
    Ok(Out::Value(out))
}
