//! `rkoji web`: the object a kojiweb URL shows.

use koji_client::web::WebObject;
use koji_client::{Package, User, Value};
use serde_json::json;

use super::common::{Ctx, to_value};
use crate::failure::Failure;

/// Shows what `url` shows in kojiweb.
pub(crate) async fn run(ctx: &Ctx, url: &str) -> Result<(), Failure> {
    let Some(object) = WebObject::parse(url) else {
        return Err(Failure::usage(format!(
            "not a kojiweb URL of a build, task, package, tag, user, host, channel or build target: {url}"
        )));
    };
    match object {
        WebObject::Build(id) => super::buildinfo::run(ctx, &id.to_string()).await,
        WebObject::Task(id) => super::taskinfo::run(ctx, id).await,
        WebObject::Channel(id) => super::channel::run(ctx, &id.to_string()).await,
        other => {
            let method = other.hub_method();
            let arg = match &other {
                WebObject::Package(r)
                | WebObject::Tag(r)
                | WebObject::User(r)
                | WebObject::Host(r)
                | WebObject::BuildTarget(r)
                | WebObject::Repo(r)
                | WebObject::HostOfUser(r) => {
                    serde_json::to_value(r).map_err(|e| Failure::io(std::io::Error::other(e)))?
                }
                _ => serde_json::Value::Null,
            };
            let value = if let WebObject::HostOfUser(_) = other {
                ctx.koji.call_with(method, (), json!({"userID": arg})).await
            } else {
                ctx.koji.call(method, (to_value(arg)?,)).await
            }
            .map_err(|e| ctx.fail(&e))?;
            if matches!(value, Value::Nil) || matches!(&value, Value::Array(a) if a.is_empty()) {
                return Err(Failure::not_found(format!(
                    "{url} shows nothing on this hub"
                )));
            }
            print_generic(ctx, &other, value)
        }
    }
}

fn print_generic(ctx: &Ctx, object: &WebObject, value: Value) -> Result<(), Failure> {
    if ctx.out.json {
        return ctx.out.json(&value);
    }
    let name_of = |v: &Value| match v {
        Value::Struct(s) => s.get("name").and_then(|n| match n {
            Value::String(s) => Some(s.clone()),
            _ => None,
        }),
        _ => None,
    };
    let summary = match object {
        WebObject::Package(_) => koji_xmlrpc::from_value::<Package>(value.clone())
            .ok()
            .and_then(|p| p.name),
        WebObject::User(_) => koji_xmlrpc::from_value::<User>(value.clone())
            .ok()
            .and_then(|u| u.name),
        _ => name_of(&value),
    };
    let mut text = String::new();
    if let Some(name) = summary {
        text.push_str(&format!("{}\n", ctx.out.paint.bold(&name)));
    }
    text.push_str(
        &serde_json::to_string_pretty(&value).map_err(|e| Failure::io(std::io::Error::other(e)))?,
    );
    text.push('\n');
    ctx.out.text(&text)
}
