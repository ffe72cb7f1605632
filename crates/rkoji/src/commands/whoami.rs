//! `rkoji whoami`: log in the profile's way and show who you are.

use serde_json::json;

use super::common::{Ctx, opt};
use super::login::{anonymous_reason, check_login_files, login_failure, logout_quietly};
use crate::failure::Failure;
use crate::format::fields;
use crate::output::object;

/// Logs in (unless anonymous) and shows the user the hub sees.
pub(crate) async fn run(ctx: &Ctx) -> Result<(), Failure> {
    let anonymous = anonymous_reason(ctx.noauth, &ctx.profile);
    if anonymous.is_none() {
        check_login_files(&ctx.profile)?;
        ctx.koji.login().await.map_err(|e| login_failure(ctx, &e))?;
    }
    let user = ctx.koji.get_logged_in_user().await;
    // Close the session: nothing else uses it.
    logout_quietly(ctx).await;
    let user = user.map_err(|e| ctx.fail(&e))?;
    let Some(user) = user else {
        return match anonymous {
            Some(_) if ctx.out.json => ctx.out.json(&serde_json::Value::Null),
            Some(why) => ctx.out.text(&format!("not logged in (anonymous: {why})\n")),
            None => Err(Failure {
                code: crate::failure::EXIT_CONNECTION,
                message: "logged in, but the hub does not know who this session is".to_owned(),
                hint: Some("try again; if it persists, report it to the hub's admins".to_owned()),
            }),
        };
    };
    let principals: Vec<&str> = user.principals();
    if ctx.out.json {
        let mut obj = object(&user);
        obj.insert(
            "derived".into(),
            json!({
                "status_name": user.status.as_ref().map(ToString::to_string),
                "usertype_name": user.usertype.as_ref().map(ToString::to_string),
                "authtype_name": user.authtype.as_ref().map(ToString::to_string),
                "principals": principals,
                "url": user.url(ctx.weburl()),
            }),
        );
        return ctx.out.json(&obj);
    }
    let p = ctx.out.paint;
    let text = fields(&[
        ("User", p.bold(&user.name.clone().unwrap_or_default())),
        ("ID", opt(user.id)),
        ("Status", opt(user.status.as_ref())),
        ("Type", opt(user.usertype.as_ref())),
        (
            "Principals",
            if principals.is_empty() {
                "-".to_owned()
            } else {
                principals.join(", ")
            },
        ),
        ("Logged in with", opt(user.authtype.as_ref())),
        ("URL", user.url(ctx.weburl()).unwrap_or_default()),
    ]);
    ctx.out.text(&text)
}
