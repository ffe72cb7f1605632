//! Kerberos tokens from the GSSAPI FFI, and Kerberos logins, against a real
//! MIT KDC and Apache's mod_auth_gssapi in front of koji-testhub.
//!
//! The library reads the Kerberos configuration from `KRB5_CONFIG`, and the
//! library under test must never change the process environment. So this
//! file has its own `main` (harness = false): the parent starts the KDC,
//! koji-testhub and Apache once, and every case runs in a child process
//! (this same binary) whose environment points at the test realm.
#![allow(clippy::unwrap_used)]

use std::ffi::OsString;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use koji_client::AuthType as UserAuth;
use koji_client::Connection;
use koji_client::auth::LoginOptions;
use koji_client::auth::gssapi::{GssapiErrorKind, KerberosOptions, SpnegoClient};
use koji_client::auth::ssl::{TlsSettings, connector};
use koji_testenv::apache::{Apache, ApacheConfig, IdentityHeaders};
use koji_testenv::http;
use koji_testenv::kdc::{DEFAULT_PASSWORD, Kdc};
use koji_testenv::pki::Pki;
use libtest_mimic::{Arguments, Failed, Trial};

const REALM: &str = "KOJI.TEST";
const CHILD: &str = "KOJI_GSSAPI_TEST_CHILD";

fn main() {
    if let Ok(expect) = std::env::var(CHILD) {
        match child(&expect) {
            Ok(()) => std::process::exit(0),
            Err(message) => {
                eprintln!("{message}");
                std::process::exit(1);
            }
        }
    }
    let args = Arguments::from_args();
    if args.list {
        libtest_mimic::run(&args, trials(None)).exit();
    }
    let env = match Env::start() {
        Ok(env) => Arc::new(env),
        Err(e) => {
            eprintln!("setting up the Kerberos test environment failed: {e}");
            std::process::exit(101);
        }
    };
    let conclusion = libtest_mimic::run(&args, trials(Some(&env)));
    drop(env);
    conclusion.exit();
}

/// The KDC, PKI, Apache and backend shared by every case.
struct Env {
    dir: tempfile::TempDir,
    kdc: Kdc,
    pki: Pki,
    apache: Apache,
    _hub: koji_testhub::RunningHub,
    _runtime: tokio::runtime::Runtime,
    alice_keytab: PathBuf,
    kojiweb_keytab: PathBuf,
}

impl Env {
    fn start() -> Result<Self, Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let kdc = Kdc::start(&dir.path().join("kdc"), REALM)?;
        kdc.add_user("alice", DEFAULT_PASSWORD)?;
        kdc.add_user("bob", DEFAULT_PASSWORD)?;
        kdc.add_user("kojiweb", DEFAULT_PASSWORD)?;
        let kojiweb_keytab = dir.path().join("kojiweb.keytab");
        kdc.export_keytab("kojiweb", &kojiweb_keytab)?;
        let service_keytab = dir.path().join("kdc").join("http.keytab");
        kdc.add_service("HTTP/localhost", &service_keytab)?;
        let alice_keytab = dir.path().join("alice.keytab");
        kdc.export_keytab("alice", &alice_keytab)?;
        let pki = Pki::generate(&dir.path().join("pki"))?;
        // koji-testhub on its own runtime, trusting Apache's identity headers.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let headers = IdentityHeaders::default();
        let hub = runtime.block_on(
            koji_testhub::TestHub::builder()
                .trusted_cert_header(&headers.client_dn)
                .trusted_remote_user_header(&headers.remote_user)
                .proxy_principal(&format!("kojiweb@{REALM}"))
                .login_creates_user(false)
                .start(),
        )?;
        let mut config = ApacheConfig::new(hub.url());
        config.service_keytab = Some(service_keytab);
        config.krb5_conf = Some(kdc.krb5_conf().to_owned());
        let apache = Apache::start(&dir.path().join("apache"), &pki, &config)?;
        Ok(Self {
            dir,
            kdc,
            pki,
            apache,
            _hub: hub,
            _runtime: runtime,
            alice_keytab,
            kojiweb_keytab,
        })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs one case in a child process with the realm's environment plus
    /// `vars`; the child checks `expect` (`ok:<principal>` or an error kind).
    fn run_child(
        &self,
        expect: &str,
        options: &KerberosOptions,
        vars: &[(&str, OsString)],
    ) -> Result<(), Failed> {
        self.run_child_as(expect, options, None, vars)
    }

    fn run_child_as(
        &self,
        expect: &str,
        options: &KerberosOptions,
        proxyuser: Option<&str>,
        vars: &[(&str, OsString)],
    ) -> Result<(), Failed> {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command.envs(self.kdc.env());
        // Never the user's own tickets: an empty default cache unless the
        // case says otherwise.
        command.env(
            "KRB5CCNAME",
            format!(
                "FILE:{}",
                self.path(&format!("none-{}", unique())).display()
            ),
        );
        command
            .env(CHILD, expect)
            .env("KOJI_TEST_PORT", self.apache.port_initial().to_string())
            .env("KOJI_TEST_CA", self.pki.ca_cert());
        for (name, value) in [
            ("KOJI_TEST_PROXYUSER", proxyuser.map(str::to_owned)),
            ("KOJI_TEST_PRINCIPAL", options.principal.clone()),
            (
                "KOJI_TEST_KEYTAB",
                options.keytab.as_ref().map(|p| p.display().to_string()),
            ),
            ("KOJI_TEST_CCACHE", options.ccache.clone()),
        ] {
            if let Some(value) = value {
                command.env(name, value);
            }
        }
        for (name, value) in vars {
            command.env(name, value);
        }
        let output = command
            .output()
            .map_err(|e| format!("running the child: {e}"))?;
        if output.status.success() {
            if std::env::var_os("KOJI_TEST_SHOW").is_some() {
                eprintln!("[{expect}] {}", String::from_utf8_lossy(&output.stdout));
            }
            Ok(())
        } else {
            Err(format!(
                "child failed ({}): {}{}\nApache error log:\n{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr),
                self.apache.error_log_tail()
            )
            .into())
        }
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

fn trials(env: Option<&Arc<Env>>) -> Vec<Trial> {
    type Case = fn(&Env) -> Result<(), Failed>;
    let cases: &[(&str, Case)] = &[
        ("token_from_principal_and_keytab_without_ccache", |env| {
            let options = KerberosOptions {
                principal: Some(format!("alice@{REALM}")),
                keytab: Some(env.alice_keytab.clone()),
                ..KerberosOptions::default()
            };
            env.run_child(&format!("ok:alice@{REALM}"), &options, &[])
        }),
        ("proxy_login_with_kerberos", |env| {
            let options = KerberosOptions {
                principal: Some(format!("kojiweb@{REALM}")),
                keytab: Some(env.kojiweb_keytab.clone()),
                ..KerberosOptions::default()
            };
            env.run_child_as("proxied:bob", &options, Some("bob"), &[])
        }),
        ("token_from_default_ccache_after_kinit", |env| {
            let ccache = env.path("alice-default.ccache");
            env.kdc
                .kinit_password("alice", DEFAULT_PASSWORD, &ccache, None)?;
            let var = OsString::from(format!("FILE:{}", ccache.display()));
            env.run_child(
                &format!("ok:alice@{REALM}"),
                &KerberosOptions::default(),
                &[("KRB5CCNAME", var)],
            )
        }),
        ("token_from_explicit_ccache", |env| {
            let ccache = env.path("bob-explicit.ccache");
            env.kdc
                .kinit_password("bob", DEFAULT_PASSWORD, &ccache, None)?;
            let options = KerberosOptions {
                ccache: Some(format!("FILE:{}", ccache.display())),
                ..KerberosOptions::default()
            };
            env.run_child(&format!("ok:bob@{REALM}"), &options, &[])
        }),
        ("no_ticket_is_no_credentials", |env| {
            env.run_child("NoCredentials", &KerberosOptions::default(), &[])
        }),
        (
            "principal_missing_from_the_keytab_is_no_credentials",
            |env| {
                let options = KerberosOptions {
                    principal: Some(format!("bob@{REALM}")),
                    keytab: Some(env.alice_keytab.clone()),
                    ..KerberosOptions::default()
                };
                env.run_child("NoCredentials", &options, &[])
            },
        ),
        ("expired_ticket_is_credentials_expired", |env| {
            let ccache = env.path("alice-expired.ccache");
            env.kdc
                .kinit_password("alice", DEFAULT_PASSWORD, &ccache, Some("2s"))?;
            // Let the two-second ticket expire.
            std::thread::sleep(Duration::from_secs(3));
            let options = KerberosOptions {
                ccache: Some(format!("FILE:{}", ccache.display())),
                ..KerberosOptions::default()
            };
            env.run_child("CredentialsExpired", &options, &[])
        }),
        ("principal_of_an_unknown_realm_is_unknown_realm", |env| {
            let keytab = env.path("wrong-realm.keytab");
            env.kdc
                .write_keytab_from_password("bob@WRONG.TEST", "koji", &keytab)?;
            let options = KerberosOptions {
                principal: Some("bob@WRONG.TEST".into()),
                keytab: Some(keytab),
                ..KerberosOptions::default()
            };
            env.run_child("UnknownRealm", &options, &[])
        }),
        ("kdc_down_is_kdc_unreachable", |env| {
            let closed = koji_testenv::free_port()?;
            let conf = env
                .kdc
                .write_config_variant(&format!("krb5-down-{closed}.conf"), closed)?;
            let options = KerberosOptions {
                principal: Some(format!("alice@{REALM}")),
                keytab: Some(env.alice_keytab.clone()),
                ..KerberosOptions::default()
            };
            env.run_child("KdcUnreachable", &options, &[("KRB5_CONFIG", conf.into())])
        }),
        ("missing_library_is_library_unavailable", |env| {
            env.run_child(
                "LibraryUnavailable",
                &KerberosOptions::default(),
                &[("KOJI_TEST_LIBRARY", "libgssapi_krb5.so.999".into())],
            )
        }),
    ];
    cases
        .iter()
        .map(|&(name, case)| {
            let env = env.cloned();
            Trial::test(name, move || match env {
                Some(env) => case(&env),
                None => Err("no test environment".into()),
            })
        })
        .collect()
}

// ---- the child side ----

/// Runs in the child: logs in through koji-client (and, for the success
/// cases, also checks the raw token exchange) and compares with `expect`:
/// `ok:<principal>`, `proxied:<user>`, or a `GssapiErrorKind` name.
fn child(expect: &str) -> Result<(), String> {
    let var = |name: &str| std::env::var(name).ok();
    let options = KerberosOptions {
        principal: var("KOJI_TEST_PRINCIPAL"),
        keytab: var("KOJI_TEST_KEYTAB").map(PathBuf::from),
        ccache: var("KOJI_TEST_CCACHE"),
        library: var("KOJI_TEST_LIBRARY"),
    };
    let login = var("KOJI_TEST_PROXYUSER").map_or_else(LoginOptions::default, LoginOptions::proxy);
    let port: u16 = var("KOJI_TEST_PORT").unwrap().parse().unwrap();
    let ca = PathBuf::from(var("KOJI_TEST_CA").unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let koji = Connection::builder(format!("https://localhost:{port}/kojihub"))
        .serverca(&ca)
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let result = runtime.block_on(koji.login_gssapi(&options, &login));

    if let Some(user) = expect.strip_prefix("proxied:") {
        result.map_err(|e| format!("proxy login failed: {e}"))?;
        let me = runtime.block_on(koji.whoami()).map_err(|e| e.to_string())?;
        if me.name.as_deref() != Some(user) {
            return Err(format!("logged in as {:?} instead of {user}", me.name));
        }
        return Ok(());
    }
    let Some(principal) = expect.strip_prefix("ok:") else {
        let err = match result {
            Ok(()) => return Err(format!("expected {expect}, but the login worked")),
            Err(err) => err,
        };
        if !err.is_auth() {
            return Err(format!("expected an auth error, got {err:?}"));
        }
        let Some(kerberos) = err.kerberos_error() else {
            return Err(format!("no Kerberos error inside {err:?}"));
        };
        let kind = format!("{:?}", kerberos.kind());
        if kind != expect {
            return Err(format!("expected {expect}, got {kind}: {err}"));
        }
        let text = err.to_string();
        if !text.contains("HTTP@localhost") || text.len() < 40 {
            return Err(format!("message not clear enough: {text}"));
        }
        println!("{text}");
        return Ok(());
    };
    result.map_err(|e| format!("login failed: {e}"))?;
    let me = runtime.block_on(koji.whoami()).map_err(|e| e.to_string())?;
    let user = principal.split('@').next().unwrap_or_default();
    if me.name.as_deref() != Some(user) || me.authtype != Some(UserAuth::Gssapi) {
        return Err(format!("logged in as {me:?}, expected {user} by GSSAPI"));
    }
    runtime.block_on(koji.logout()).map_err(|e| e.to_string())?;

    // The raw exchange: the token is accepted and the reply's
    // mutual-authentication token verifies.
    let mut client =
        SpnegoClient::new("localhost", &options).map_err(|e| format!("no token: {e}"))?;
    let debug = format!("{client:?}");
    let authorization = client.authorization();
    let token = authorization.trim_start_matches("Negotiate ");
    if debug.contains(token) || !debug.contains("redacted") {
        return Err(format!("Debug shows the token: {debug}"));
    }
    let reply = post_ssllogin(port, &ca, &authorization)?;
    if reply.status != 200 || !reply.text().contains("session-id") {
        return Err(format!(
            "Apache answered {}: {}",
            reply.status,
            reply.text()
        ));
    }
    let www_authenticate = reply
        .header("WWW-Authenticate")
        .ok_or("no mutual-authentication token in the reply")?;
    client
        .verify_reply(Some(www_authenticate))
        .map_err(|e| format!("mutual authentication: {e}"))?;
    if !client.is_mutually_authenticated() {
        return Err("not mutually authenticated".into());
    }
    // A forged reply token is refused.
    let mut other = SpnegoClient::new("localhost", &options).map_err(|e| e.to_string())?;
    let forged = other
        .verify_reply(Some("Negotiate oRQwEqADCgEAoQsGCSqGSIb3EgECAg=="))
        .err()
        .ok_or("a forged mutual-authentication token was accepted")?;
    if forged.kind() != GssapiErrorKind::MutualAuthentication {
        return Err(format!("forged token gave {:?}: {forged}", forged.kind()));
    }
    Ok(())
}

fn post_ssllogin(port: u16, ca: &Path, authorization: &str) -> Result<http::Response, String> {
    let settings = TlsSettings {
        server_ca: Some(ca.to_owned()),
        ..TlsSettings::default()
    };
    let connector = connector(&settings).map_err(|e| e.to_string())?;
    let tcp = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    let mut tls = connector
        .connect("localhost", tcp)
        .map_err(|e| e.to_string())?;
    http::post(
        &mut tls,
        "localhost",
        "/kojihub/ssllogin",
        &[("Authorization", authorization)],
        b"<?xml version='1.0'?>\n<methodCall><methodName>sslLogin</methodName><params></params></methodCall>",
    )
    .map_err(|e| e.to_string())
}
