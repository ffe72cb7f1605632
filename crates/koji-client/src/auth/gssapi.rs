//! Kerberos (GSSAPI/SPNEGO) tokens for Koji's `sslLogin` on `/ssllogin`.
//!
//! Koji's Apache runs mod_auth_gssapi on `<server>/ssllogin`. The client
//! sends `Authorization: Negotiate <base64 token>` preemptively with the
//! `sslLogin` POST, for the service `HTTP@<hub host>`, and may check the
//! mutual-authentication token that comes back in the reply's
//! `WWW-Authenticate: Negotiate <token>`.
//!
//! MIT Kerberos' `libgssapi_krb5.so.2` is loaded at run time, so building
//! needs no Kerberos development files; when the library is absent, starting
//! a negotiation fails with [`GssapiErrorKind::LibraryUnavailable`].
//! Credentials come from the default credential cache, an explicit cache, or
//! a principal and client keytab, passed to `gss_acquire_cred_from` as a
//! credential store: the process environment is never changed.
//!
//! All calls block (they may talk to the KDC): run them on a blocking
//! thread in async code.
//!
//! ```no_run
//! use koji_client::auth::gssapi::{KerberosOptions, SpnegoClient};
//!
//! let options = KerberosOptions::default(); // the default ccache
//! let mut client = SpnegoClient::new("koji.example.com", &options)?;
//! let header = client.authorization(); // "Negotiate YIIC…"
//! # let reply_header = "Negotiate oYG…";
//! // … POST sslLogin with `header`, then, on a 200 reply:
//! client.verify_reply(Some(reply_header))?;
//! # Ok::<(), koji_client::auth::gssapi::GssapiError>(())
//! ```

#[allow(unsafe_code)]
mod ffi;

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// The library loaded unless [`KerberosOptions::library`] names another.
pub const DEFAULT_LIBRARY: &str = "libgssapi_krb5.so.2";

/// Where the Kerberos credentials come from (koji's `principal`, `keytab`
/// and `ccache` options of `gssapi_login`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KerberosOptions {
    /// The client principal (`user@REALM`). With `keytab`, the keytab entry
    /// to use; alone, the credential cache in the default collection that
    /// holds this principal. None: the default principal.
    pub principal: Option<String>,
    /// A client keytab to obtain (and refresh) tickets from, e.g.
    /// `/etc/koji/builder.keytab` or `FILE:/path`.
    pub keytab: Option<PathBuf>,
    /// An explicit credential cache, e.g. `FILE:/tmp/krb5cc_koji` or
    /// `KEYRING:persistent:1000`. With `keytab` and no `ccache`, tickets
    /// are kept in a private in-memory cache instead of the user's default
    /// one.
    pub ccache: Option<String>,
    /// The GSSAPI library to load instead of [`DEFAULT_LIBRARY`].
    pub library: Option<String>,
}

impl fmt::Debug for KerberosOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Nothing here is secret (paths and names, never key material).
        f.debug_struct("KerberosOptions")
            .field("principal", &self.principal)
            .field("keytab", &self.keytab)
            .field("ccache", &self.ccache)
            .field("library", &self.library)
            .finish()
    }
}

/// What kind of Kerberos failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GssapiErrorKind {
    /// The GSSAPI library could not be loaded or lacks a function.
    LibraryUnavailable,
    /// No usable ticket: no credential cache, an empty one, no ticket for the
    /// requested principal, or no keytab entry for it.
    NoCredentials,
    /// The ticket (or the credentials) expired; run `kinit` again.
    CredentialsExpired,
    /// The KDC for the realm could not be reached.
    KdcUnreachable,
    /// The realm is unknown to the Kerberos configuration (wrong realm, or
    /// no KDC configured for it).
    UnknownRealm,
    /// The KDC does not know the client or the service principal.
    UnknownPrincipal,
    /// The server's mutual-authentication token was missing or did not
    /// verify.
    MutualAuthentication,
    /// Bad input from the caller or the server (a name with a NUL byte,
    /// a token that is not base64).
    InvalidInput,
    /// Any other GSSAPI failure.
    Other,
}

impl fmt::Display for GssapiErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::LibraryUnavailable => "Kerberos library unavailable",
            Self::NoCredentials => "no Kerberos credentials",
            Self::CredentialsExpired => "Kerberos credentials expired",
            Self::KdcUnreachable => "Kerberos KDC unreachable",
            Self::UnknownRealm => "unknown Kerberos realm",
            Self::UnknownPrincipal => "Kerberos principal unknown to the KDC",
            Self::MutualAuthentication => "Kerberos mutual authentication failed",
            Self::InvalidInput => "invalid Kerberos input",
            Self::Other => "Kerberos failure",
        })
    }
}

/// A Kerberos/GSSAPI failure: its kind, what we were doing, and the
/// library's own explanation. Never contains a token or key.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind} ({context}): {message}")]
pub struct GssapiError {
    kind: GssapiErrorKind,
    context: String,
    message: String,
    major: u32,
    minor: u32,
}

impl GssapiError {
    fn new(kind: GssapiErrorKind, context: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind,
            context: context.into(),
            message: message.into(),
            major: 0,
            minor: 0,
        }
    }

    fn from_status(context: impl Into<String>, status: ffi::Status) -> Self {
        Self {
            kind: classify(status.major, status.minor, &status.message),
            context: context.into(),
            message: status.message,
            major: status.major,
            minor: status.minor,
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> GssapiErrorKind {
        self.kind
    }

    /// The GSSAPI major status code (0 when the error did not come from a
    /// GSSAPI call).
    pub fn major_status(&self) -> u32 {
        self.major
    }

    /// The mechanism's minor status code (a Kerberos error code as an
    /// unsigned number; 0 when there is none).
    pub fn minor_status(&self) -> u32 {
        self.minor
    }
}

// GSSAPI routine errors (major status bits 16–23, RFC 2744).
const GSS_S_NO_CRED: u32 = 7;
const GSS_S_DEFECTIVE_TOKEN: u32 = 9;
const GSS_S_DEFECTIVE_CREDENTIAL: u32 = 10;
const GSS_S_CREDENTIALS_EXPIRED: u32 = 11;
const GSS_S_BAD_SIG: u32 = 6;

// MIT Kerberos error codes (com_err table "krb5", base -1765328384, and
// the krb5 GSSAPI mechanism's table "k5g", base -2045022976).
const KRB5_BASE: i64 = -1_765_328_384;
const KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN: i64 = KRB5_BASE + 6;
const KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN: i64 = KRB5_BASE + 7;
const KRB5KRB_AP_ERR_TKT_EXPIRED: i64 = KRB5_BASE + 32;
const KRB5KDC_ERR_WRONG_REALM: i64 = KRB5_BASE + 68;
const KRB5_CC_NOTFOUND: i64 = -1_765_328_243;
const KRB5_REALM_UNKNOWN: i64 = -1_765_328_230;
const KRB5_KDC_UNREACH: i64 = -1_765_328_228;
const KRB5_KT_NOTFOUND: i64 = -1_765_328_203;
const KRB5_FCC_NOFILE: i64 = -1_765_328_189;
const KRB5_REALM_CANT_RESOLVE: i64 = -1_765_328_164;
const KRB5_CONFIG_NODEFREALM: i64 = -1_765_328_160;
const K5G_BASE: i64 = -2_045_022_976;
const KG_CCACHE_NOMATCH: i64 = K5G_BASE + 6;
const KG_KEYTAB_NOMATCH: i64 = K5G_BASE + 7;
const KG_EMPTY_CCACHE: i64 = K5G_BASE + 8;

fn classify(major: u32, minor: u32, message: &str) -> GssapiErrorKind {
    use GssapiErrorKind as K;
    // The minor code is a signed com_err code carried in an OM_uint32.
    let code = i64::from(minor as i32);
    match code {
        KRB5KRB_AP_ERR_TKT_EXPIRED => return K::CredentialsExpired,
        KRB5_KDC_UNREACH => return K::KdcUnreachable,
        KRB5_REALM_UNKNOWN
        | KRB5_REALM_CANT_RESOLVE
        | KRB5KDC_ERR_WRONG_REALM
        | KRB5_CONFIG_NODEFREALM => return K::UnknownRealm,
        KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN | KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN => {
            return K::UnknownPrincipal;
        }
        KRB5_FCC_NOFILE | KRB5_CC_NOTFOUND | KRB5_KT_NOTFOUND | KG_CCACHE_NOMATCH
        | KG_KEYTAB_NOMATCH | KG_EMPTY_CCACHE => return K::NoCredentials,
        _ => {}
    }
    // The mechanism glue may renumber minor codes that several mechanisms
    // share (SPNEGO passes krb5's on); MIT's messages are stable, so they
    // decide next.
    let text = message.to_ascii_lowercase();
    if text.contains("ticket expired") || text.contains("credentials have expired") {
        return K::CredentialsExpired;
    }
    if text.contains("cannot contact any kdc") {
        return K::KdcUnreachable;
    }
    if text.contains("cannot find kdc for realm")
        || text.contains("cannot resolve network address for kdc")
        || text.contains("does not specify default realm")
    {
        return K::UnknownRealm;
    }
    if text.contains("not found in kerberos database") {
        return K::UnknownPrincipal;
    }
    match (major >> 16) & 0xff {
        GSS_S_CREDENTIALS_EXPIRED => K::CredentialsExpired,
        GSS_S_NO_CRED | GSS_S_DEFECTIVE_CREDENTIAL => K::NoCredentials,
        GSS_S_DEFECTIVE_TOKEN | GSS_S_BAD_SIG => K::MutualAuthentication,
        _ => K::Other,
    }
}

/// Loaded libraries by name; loaded once, kept for the process's life (a
/// GSSAPI library is never unloaded: its handles may still be in use).
fn library(name: &str) -> Result<Arc<ffi::Library>, GssapiError> {
    static LOADED: OnceLock<Mutex<HashMap<String, Arc<ffi::Library>>>> = OnceLock::new();
    let map = LOADED.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(library) = map.get(name) {
        return Ok(Arc::clone(library));
    }
    let library = ffi::Library::open(name).map_err(|e| {
        GssapiError::new(
            GssapiErrorKind::LibraryUnavailable,
            format!("loading {name}"),
            format!(
                "{e}; Kerberos login needs MIT Kerberos' GSSAPI library \
                 (Debian/Ubuntu: libgssapi-krb5-2, Fedora/RHEL: krb5-libs)"
            ),
        )
    })?;
    map.insert(name.to_owned(), Arc::clone(&library));
    Ok(library)
}

/// The host part of a hub URL (`https://koji.example.com:8443/kojihub` →
/// `koji.example.com`), for the service name `HTTP@host`.
pub fn service_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split(']').next()?
    } else {
        host_port.split(':').next()?
    };
    (!host.is_empty()).then_some(host)
}

/// Finds the token of a `Negotiate` challenge in a `WWW-Authenticate` header
/// value. `Ok(None)`: a bare `Negotiate` (or no Negotiate challenge).
pub fn negotiate_token(header: &str) -> Result<Option<Vec<u8>>, GssapiError> {
    for challenge in header.split(',') {
        let challenge = challenge.trim();
        let (scheme, rest) = challenge
            .split_once(char::is_whitespace)
            .unwrap_or((challenge, ""));
        if !scheme.eq_ignore_ascii_case("negotiate") {
            continue;
        }
        let token = rest.trim();
        if token.is_empty() {
            return Ok(None);
        }
        return BASE64.decode(token).map(Some).map_err(|e| {
            GssapiError::new(
                GssapiErrorKind::InvalidInput,
                "reading the server's Negotiate token",
                format!("not base64: {e}"),
            )
        });
    }
    Ok(None)
}

/// The client side of one SPNEGO exchange with `HTTP@host`.
///
/// [`SpnegoClient::new`] acquires the credentials and makes the first token;
/// [`authorization`](SpnegoClient::authorization) gives the header value to
/// send; [`verify_reply`](SpnegoClient::verify_reply) checks the server's
/// mutual-authentication token. `Debug` never shows the token.
pub struct SpnegoClient {
    service: String,
    token: Vec<u8>,
    context: ffi::Context,
    cred: ffi::Cred,
    target: ffi::Name,
}

impl fmt::Debug for SpnegoClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpnegoClient")
            .field("service", &self.service)
            .field(
                "token",
                &format_args!("<{} bytes, redacted>", self.token.len()),
            )
            .field("complete", &self.context.is_complete())
            .finish()
    }
}

impl SpnegoClient {
    /// Acquires credentials as `options` says and makes the first SPNEGO
    /// token for the service `HTTP@host` (mutual authentication requested).
    pub fn new(host: &str, options: &KerberosOptions) -> Result<Self, GssapiError> {
        let library = library(options.library.as_deref().unwrap_or(DEFAULT_LIBRARY))?;
        let service = format!("HTTP@{host}");
        if host.is_empty() || host.contains('\0') {
            return Err(GssapiError::new(
                GssapiErrorKind::InvalidInput,
                "building the service name",
                format!("bad host name {host:?}"),
            ));
        }
        let target = library
            .import_name(&service, ffi::oid::NT_HOSTBASED_SERVICE)
            .map_err(|s| GssapiError::from_status(format!("importing the name {service}"), s))?;
        let cred = acquire(&library, options)?;
        let mut context = ffi::Context::new(&library);
        let step = context.step(&cred, &target, None).map_err(|s| {
            GssapiError::from_status(format!("making a SPNEGO token for {service}"), s)
        })?;
        tracing::debug!(service = %service, complete = step.complete, "made a SPNEGO token");
        Ok(Self {
            service,
            token: step.token,
            context,
            cred,
            target,
        })
    }

    /// The service name the token is for (`HTTP@host`).
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The `Authorization` header value: `Negotiate <base64 token>`. It is a
    /// credential: do not log it.
    pub fn authorization(&self) -> String {
        format!("Negotiate {}", BASE64.encode(&self.token))
    }

    /// Checks the server's reply. `www_authenticate` is the reply's
    /// `WWW-Authenticate` header, if any. A `Negotiate <token>` there must
    /// complete the mutual authentication; without one the reply is
    /// accepted as it is (as koji's client does) and
    /// [`is_mutually_authenticated`](Self::is_mutually_authenticated) stays
    /// false.
    pub fn verify_reply(&mut self, www_authenticate: Option<&str>) -> Result<(), GssapiError> {
        let Some(header) = www_authenticate else {
            return Ok(());
        };
        let Some(token) = negotiate_token(header)? else {
            return Ok(());
        };
        if self.context.is_complete() {
            return Err(GssapiError::new(
                GssapiErrorKind::MutualAuthentication,
                format!("checking the reply of {}", self.service),
                "the server sent another token after the exchange was complete",
            ));
        }
        let step = self
            .context
            .step(&self.cred, &self.target, Some(&token))
            .map_err(|s| {
                let mut err = GssapiError::from_status(
                    format!(
                        "checking the mutual-authentication token of {}",
                        self.service
                    ),
                    s,
                );
                if matches!(err.kind, GssapiErrorKind::Other) {
                    err.kind = GssapiErrorKind::MutualAuthentication;
                }
                err
            })?;
        if !step.complete {
            return Err(GssapiError::new(
                GssapiErrorKind::MutualAuthentication,
                format!("checking the reply of {}", self.service),
                "the server's token did not complete the exchange",
            ));
        }
        Ok(())
    }

    /// True once the server proved its identity (a mutual-authentication
    /// token verified by [`verify_reply`](Self::verify_reply)).
    pub fn is_mutually_authenticated(&self) -> bool {
        self.context.is_complete()
    }
}

/// Builds the credential store and acquires initiator credentials.
fn acquire(
    library: &Arc<ffi::Library>,
    options: &KerberosOptions,
) -> Result<ffi::Cred, GssapiError> {
    let invalid = |what: &str| {
        GssapiError::new(
            GssapiErrorKind::InvalidInput,
            "building the credential store",
            format!("{what} contains a NUL byte"),
        )
    };
    let mut store = Vec::new();
    if let Some(keytab) = &options.keytab {
        let keytab = keytab.to_string_lossy();
        store.push(ffi::store_entry("client_keytab", &keytab).ok_or_else(|| invalid("keytab"))?);
        if options.ccache.is_none() {
            // A private cache per principal and keytab, so a keytab login
            // never touches (or depends on) the user's default cache.
            let name = format!(
                "MEMORY:koji-client:{}:{}",
                options.principal.as_deref().unwrap_or(""),
                keytab
            );
            store.push(ffi::store_entry("ccache", &name).ok_or_else(|| invalid("keytab"))?);
        }
    }
    if let Some(ccache) = &options.ccache {
        store.push(ffi::store_entry("ccache", ccache).ok_or_else(|| invalid("ccache"))?);
    }
    let name = match &options.principal {
        Some(principal) => Some(
            library
                .import_name(principal, ffi::oid::KRB5_NT_PRINCIPAL_NAME)
                .map_err(|s| {
                    GssapiError::from_status(format!("importing the principal {principal}"), s)
                })?,
        ),
        None => None,
    };
    let source = describe_source(options);
    library
        .acquire_initiator_cred(name.as_ref(), &store)
        .map_err(|s| {
            let mut err = GssapiError::from_status(format!("acquiring credentials from {source}"), s);
            if err.kind == GssapiErrorKind::NoCredentials && options.keytab.is_some() {
                // MIT's own text ("No credentials cache found") misleads here.
                err.message.push_str(
                    " (does the keytab hold a key for that principal? `klist -k` lists its entries)",
                );
            }
            err
        })
}

fn describe_source(options: &KerberosOptions) -> String {
    let principal = options
        .principal
        .as_deref()
        .map_or(String::new(), |p| format!(" for {p}"));
    match (&options.keytab, &options.ccache) {
        (Some(keytab), _) => format!("keytab {}{principal}", keytab.display()),
        (None, Some(ccache)) => format!("credential cache {ccache}{principal}"),
        (None, None) => format!("the default credential cache{principal}"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn service_host_takes_the_host_of_a_hub_url() {
        assert_eq!(
            service_host("https://koji.example.com/kojihub"),
            Some("koji.example.com")
        );
        assert_eq!(
            service_host("https://localhost:8443/kojihub/ssllogin"),
            Some("localhost")
        );
        assert_eq!(service_host("http://[::1]:80/kojihub"), Some("::1"));
        assert_eq!(service_host("https://u@h.example/x"), Some("h.example"));
        assert_eq!(service_host("https:///kojihub"), None);
    }

    #[test]
    fn negotiate_token_reads_the_challenge() {
        assert_eq!(negotiate_token("Negotiate").unwrap(), None);
        assert_eq!(
            negotiate_token("Negotiate aGVsbG8=").unwrap(),
            Some(b"hello".to_vec())
        );
        assert_eq!(
            negotiate_token("Basic realm=\"x\", negotiate aGk=").unwrap(),
            Some(b"hi".to_vec())
        );
        assert_eq!(negotiate_token("Basic realm=\"x\"").unwrap(), None);
        let err = negotiate_token("Negotiate !!!").unwrap_err();
        assert_eq!(err.kind(), GssapiErrorKind::InvalidInput);
    }

    #[test]
    fn a_missing_library_is_a_clear_error() {
        let options = KerberosOptions {
            library: Some("libgssapi_krb5-does-not-exist.so.9".into()),
            ..KerberosOptions::default()
        };
        let err = SpnegoClient::new("localhost", &options).unwrap_err();
        assert_eq!(err.kind(), GssapiErrorKind::LibraryUnavailable);
        let text = err.to_string();
        assert!(
            text.contains("libgssapi_krb5-does-not-exist.so.9"),
            "{text}"
        );
        assert!(text.contains("libgssapi-krb5-2"), "{text}");
    }

    #[test]
    fn classification_uses_codes_then_messages() {
        assert_eq!(
            classify(13 << 16, KRB5_KDC_UNREACH as i32 as u32, ""),
            GssapiErrorKind::KdcUnreachable
        );
        assert_eq!(
            classify(13 << 16, 100_001, "Ticket expired"),
            GssapiErrorKind::CredentialsExpired
        );
        assert_eq!(classify(7 << 16, 0, ""), GssapiErrorKind::NoCredentials);
        assert_eq!(classify(13 << 16, 5, "odd"), GssapiErrorKind::Other);
    }
}
