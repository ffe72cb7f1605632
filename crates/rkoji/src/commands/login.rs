//! The login policy: which commands log in and how, falling back to
//! anonymous calls when there is nothing to log in with, logging out after,
//! and what to say when a login fails (README.md, "Logging in").
//!
//! `call`, `multicall` and `whoami` log in the profile's way ([`Login::Profile`]);
//! every other command is anonymous ([`Login::Never`]) and never loads the
//! client certificate.

use koji_client::ConnectionBuilder;
use koji_client::config::{AuthType, Profile};

use super::common::Ctx;
use crate::failure::{Failure, Limit};

/// Whether a command logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Login {
    /// Anonymous: the certificate is not even loaded.
    Never,
    /// The profile's login, unless `--noauth` or `authtype = noauth`.
    Profile,
}

/// Sets up a connection for the command's `login`: the profile's `user`
/// and `password` for a password login, and the client certificate only
/// for a login that may use it.
pub(crate) fn prepare(
    mut builder: ConnectionBuilder,
    profile: &Profile,
    login: Login,
    noauth: bool,
) -> ConnectionBuilder {
    if let (Some(user), Some(password)) = (profile.get("user"), profile.get("password")) {
        // koji reads `user` and `password` from the profile for
        // authtype = password (the hub's `login` call).
        builder = builder.password_login(user, password);
    }
    let logs_in = login == Login::Profile && anonymous_reason(noauth, profile).is_none();
    if !(logs_in && login_may_use_cert(profile)) {
        // Like koji, load the certificate only for a login that may use it:
        // a broken `cert` never stops anonymous work or another login.
        builder = builder.without_cert();
    }
    builder
}

/// Why a command that logs in stays anonymous: `--noauth`, or the
/// profile's `authtype = noauth`; `None` when it logs in.
pub(crate) fn anonymous_reason(noauth: bool, profile: &Profile) -> Option<&'static str> {
    if noauth {
        Some("--noauth")
    } else if matches!(profile.authtype(), Some(AuthType::Noauth)) {
        Some("the profile's authtype is noauth")
    } else {
        None
    }
}

/// Whether the profile's login may be a certificate one: `authtype = ssl`,
/// or no authtype (then koji logs in with `cert` when that file exists).
fn login_may_use_cert(profile: &Profile) -> bool {
    matches!(profile.authtype(), None | Some(AuthType::Ssl))
}

/// Logs in the profile's way before `call` and `multicall`, as `koji call`
/// does, unless `--noauth` or `authtype = noauth` says not to.
///
/// The one failure that does not stop the calls is having nothing to log in
/// with: a Kerberos login with no usable ticket in the user's credential
/// cache (none, an expired one, or no Kerberos library to read it). Then
/// one warning line goes to stderr and the calls are anonymous. Everything
/// else — a refused password or certificate, a ticket the hub refuses, a
/// missing `cert` with `authtype = ssl`, a keytab that does not work — is
/// a login failure (exit 3), as for `whoami`.
pub(crate) async fn login_for_calls(ctx: &Ctx) -> Result<(), Failure> {
    if anonymous_reason(ctx.noauth, &ctx.profile).is_some() {
        return Ok(());
    }
    check_login_files(&ctx.profile)?;
    let Err(e) = ctx.koji.login().await else {
        return Ok(());
    };
    let Some(missing) = missing_ticket(&ctx.profile, &e) else {
        return Err(login_failure(ctx, &e));
    };
    let mut how = if missing.library {
        "install MIT Kerberos (libgssapi-krb5-2 / krb5-libs) and run kinit".to_owned()
    } else {
        "run kinit".to_owned()
    };
    if ctx.profile.authtype().is_none() {
        // Kerberos only because nothing else was there: name the others.
        how.push_str(&format!(
            ", or set `cert`, or `user` and `password`, in profile [{}]",
            ctx.profile.name()
        ));
    }
    warn(&format!(
        "{}, calling anonymously; to log in, {how} (--noauth skips the login)",
        missing.what
    ));
    Ok(())
}

/// A Kerberos login that found nothing to log in with.
struct MissingTicket {
    /// What was missing, for the warning.
    what: &'static str,
    /// The Kerberos library itself is missing.
    library: bool,
}

/// Whether a failed login found no usable ticket in the user's credential
/// cache: none (or none for the profile's principal), an expired one, or
/// no Kerberos library. A profile with a `keytab` has credentials of its
/// own, so there any failure is a real one, as is anything the hub (or
/// Apache in front of it) answered.
fn missing_ticket(profile: &Profile, e: &koji_client::Error) -> Option<MissingTicket> {
    use koji_client::auth::gssapi::GssapiErrorKind;
    if profile.keytab().is_some() {
        return None;
    }
    let (what, library) = match e.kerberos_error()?.kind() {
        GssapiErrorKind::NoCredentials => ("no Kerberos ticket", false),
        GssapiErrorKind::CredentialsExpired => ("the Kerberos ticket expired", false),
        GssapiErrorKind::LibraryUnavailable => ("no Kerberos library", true),
        _ => return None,
    };
    Some(MissingTicket { what, library })
}

/// Ends the session a login opened, if any; a failure to do so changes
/// nothing for the answer already received.
pub(crate) async fn logout_quietly(ctx: &Ctx) {
    if ctx.koji.is_logged_in() {
        if let Err(e) = ctx.koji.logout().await {
            tracing::info!(error = %e, "logout failed");
        }
    }
}

/// One warning line on stderr.
fn warn(message: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "rkoji: warning: {message}");
}

/// Checks the files a login needs before trying it, to say which is
/// missing: a certificate login needs the profile's `cert`.
pub(crate) fn check_login_files(profile: &Profile) -> Result<(), Failure> {
    if !matches!(profile.authtype(), Some(AuthType::Ssl)) {
        return Ok(());
    }
    let login_failure = |message: String| Failure {
        code: crate::failure::EXIT_CONNECTION,
        message,
        hint: Some(format!(
            "set `cert` in profile [{}] to the PEM file with your certificate and key, \
             or choose another authtype (kerberos, password)",
            profile.name()
        )),
    };
    match profile.cert() {
        Some(cert) if !cert.is_file() => Err(login_failure(format!(
            "certificate login: the client certificate {} does not exist",
            cert.display()
        ))),
        Some(_) => Ok(()),
        None => Err(login_failure(
            "certificate login (authtype = ssl) needs a client certificate, and the profile has no `cert`"
                .to_owned(),
        )),
    }
}

/// A failed login: exit 3, with what to do about it.
pub(crate) fn login_failure(ctx: &Ctx, e: &koji_client::Error) -> Failure {
    use koji_client::auth::gssapi::GssapiErrorKind;
    let mut message = e.to_string();
    let mut append = |detail: String| {
        if !message.contains(&detail) {
            message = format!("{message}: {detail}");
        }
    };
    let hint = if let Some(k) = e.kerberos_error() {
        append(k.to_string());
        Some(match k.kind() {
            GssapiErrorKind::NoCredentials if ctx.profile.keytab().is_some() => format!(
                "the keytab gave no credentials: check `keytab` and `principal` in profile [{}] \
                 (`klist -k KEYTAB` lists its entries)",
                ctx.profile.name()
            ),
            GssapiErrorKind::NoCredentials => {
                "no Kerberos ticket: run kinit (or set the profile's principal and keytab)"
                    .to_owned()
            }
            GssapiErrorKind::CredentialsExpired => {
                "the Kerberos ticket expired: run kinit".to_owned()
            }
            GssapiErrorKind::LibraryUnavailable => {
                "install the MIT Kerberos GSSAPI library (libgssapi-krb5-2 / krb5-libs)".to_owned()
            }
            GssapiErrorKind::KdcUnreachable => {
                "cannot reach the KDC: check the network and /etc/krb5.conf".to_owned()
            }
            GssapiErrorKind::UnknownRealm | GssapiErrorKind::UnknownPrincipal => {
                "check the realm and principal (klist shows your ticket; /etc/krb5.conf the realms)"
                    .to_owned()
            }
            _ => "check your Kerberos ticket (klist), or run kinit".to_owned(),
        })
    } else if let Some(identity) = e.identity_error() {
        append(identity.to_string());
        Some(format!(
            "check `cert` in profile [{}]: one PEM file with the certificate and its unencrypted key",
            ctx.profile.name()
        ))
    } else if let Some(tls) = e.tls_failure() {
        append(tls.to_string());
        let cert = ctx
            .profile
            .cert()
            .map_or_else(String::new, |c| format!(" (now {})", c.display()));
        Some(format!(
            "check `cert`{cert} and `serverca` in profile [{}]",
            ctx.profile.name()
        ))
    } else if e.is_fault() {
        Some(
            "the hub refused the login: check that the account exists and is not blocked, \
             and the password, certificate or Kerberos principal"
                .to_owned(),
        )
    } else if e.is_auth() || e.is_builder() {
        Some(format!(
            "check the login settings of profile [{}] (authtype, cert, principal, keytab, user and password)",
            ctx.profile.name()
        ))
    } else {
        return ctx.fail_within(e, Limit::Login);
    };
    Failure {
        code: crate::failure::EXIT_CONNECTION,
        message,
        hint,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use koji_client::config::{Config, ConfigSources};

    /// The profile `[p]` with `options`.
    fn profile_with(options: &str) -> (tempfile::TempDir, Profile) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("koji.conf");
        std::fs::write(
            &file,
            format!("[p]\nserver = https://p.example/kojihub\n{options}\n"),
        )
        .unwrap();
        let sources = ConfigSources::new(dir.path().join("none.d"), file, None);
        let profile = Config::load(&sources).unwrap().profile("p").unwrap();
        (dir, profile)
    }

    #[test]
    fn noauth_from_the_command_line_or_the_profile_skips_the_login() {
        let (_d, plain) = profile_with("");
        assert_eq!(anonymous_reason(false, &plain), None);
        assert_eq!(anonymous_reason(true, &plain), Some("--noauth"));
        let (_d, noauth) = profile_with("authtype = noauth");
        assert!(anonymous_reason(false, &noauth).unwrap().contains("noauth"));
        for authtype in ["ssl", "kerberos", "password"] {
            let (_d, p) = profile_with(&format!("authtype = {authtype}"));
            assert_eq!(anonymous_reason(false, &p), None, "{authtype}");
        }
    }

    #[test]
    fn only_an_ssl_or_unset_authtype_may_use_the_certificate() {
        for (options, uses) in [
            ("", true),
            ("authtype = ssl", true),
            ("authtype = kerberos", false),
            ("authtype = password", false),
            ("authtype = noauth", false),
            ("authtype = SSL", false),
        ] {
            let (_d, p) = profile_with(options);
            assert_eq!(login_may_use_cert(&p), uses, "{options:?}");
        }
    }
}
