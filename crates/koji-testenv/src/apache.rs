//! Apache httpd with mod_ssl and mod_auth_gssapi in front of a hub, the way
//! Koji's `httpd.conf` sets it up, on two TLS virtual hosts:
//!
//! - **vhost A** ([`Apache::url_initial`]) asks for a client certificate in
//!   the initial handshake (`SSLVerifyClient optional` for the whole vhost);
//!   `/kojihub/ssllogin` accepts a verified certificate *or* Kerberos
//!   (mod_auth_gssapi, `Negotiate`), when a service keytab is configured.
//! - **vhost B** ([`Apache::url_stock`]) is Koji's stock layout:
//!   `SSLVerifyClient require` only inside `<Location /kojihub/ssllogin>`, so
//!   the certificate is requested after the handshake (TLS 1.3
//!   post-handshake authentication or TLS 1.2 renegotiation).
//!
//! Both proxy `/kojihub` to the backend. Inside `/kojihub/ssllogin` Apache
//! passes the authenticated identity in request headers ([`IdentityHeaders`])
//! that it first removes from whatever the client sent, so a client can never
//! claim an identity itself.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::pki::Pki;
use crate::process::{Daemon, port_open, wait_until};
use crate::tools::running_as_root;
use crate::{Error, Result, find_program, free_port, make_world_readable, write_file};

/// Names of the request headers that carry the identity Apache established
/// on `/kojihub/ssllogin` to the backend. A header is present only when its
/// value is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityHeaders {
    /// The Kerberos principal authenticated by mod_auth_gssapi
    /// (`REMOTE_USER`, e.g. `alice@KOJI.TEST`).
    pub remote_user: String,
    /// mod_ssl's `SSL_CLIENT_VERIFY` (`SUCCESS`, `NONE`, `FAILED:…`).
    pub client_verify: String,
    /// The client certificate's subject DN (`SSL_CLIENT_S_DN`, RFC 2253:
    /// `CN=alice,OU=users,O=Koji testenv,ST=Test,C=US`).
    pub client_dn: String,
    /// The client certificate's common name (`SSL_CLIENT_S_DN_CN`).
    pub client_cn: String,
}

impl Default for IdentityHeaders {
    fn default() -> Self {
        Self {
            remote_user: "X-Koji-Remote-User".into(),
            client_verify: "X-Koji-SSL-Client-Verify".into(),
            client_dn: "X-Koji-SSL-Client-S-DN".into(),
            client_cn: "X-Koji-SSL-Client-S-DN-CN".into(),
        }
    }
}

impl IdentityHeaders {
    fn all(&self) -> [&str; 4] {
        [
            &self.remote_user,
            &self.client_verify,
            &self.client_dn,
            &self.client_cn,
        ]
    }
}

/// What Apache fronts and how.
#[derive(Debug, Clone)]
pub struct ApacheConfig {
    /// The backend URL `/kojihub` is proxied to, e.g.
    /// `http://127.0.0.1:PORT/kojihub`.
    pub backend: String,
    /// The keytab holding `HTTP/localhost@REALM`; enables Kerberos on vhost
    /// A's `/kojihub/ssllogin`.
    pub service_keytab: Option<PathBuf>,
    /// The `krb5.conf` Apache's Kerberos library reads.
    pub krb5_conf: Option<PathBuf>,
    /// Header names for the identity.
    pub headers: IdentityHeaders,
}

impl ApacheConfig {
    /// A configuration proxying to `backend` with certificate login only.
    pub fn new(backend: impl Into<String>) -> Self {
        Self {
            backend: backend.into(),
            service_keytab: None,
            krb5_conf: None,
            headers: IdentityHeaders::default(),
        }
    }
}

/// A running Apache; dropping it stops the server and its workers.
#[derive(Debug)]
pub struct Apache {
    port_initial: u16,
    port_stock: u16,
    error_log: PathBuf,
    daemon: Daemon,
}

const MODULE_DIRS: &[&str] = &[
    "/usr/lib/apache2/modules",
    "/usr/lib64/httpd/modules",
    "/usr/lib/httpd/modules",
];

const MODULES: &[(&str, &str)] = &[
    ("mpm_event_module", "mod_mpm_event.so"),
    ("authn_core_module", "mod_authn_core.so"),
    ("authz_core_module", "mod_authz_core.so"),
    ("authz_user_module", "mod_authz_user.so"),
    ("headers_module", "mod_headers.so"),
    ("proxy_module", "mod_proxy.so"),
    ("proxy_http_module", "mod_proxy_http.so"),
    ("ssl_module", "mod_ssl.so"),
    ("socache_shmcb_module", "mod_socache_shmcb.so"),
];

impl Apache {
    /// Writes the configuration under `dir` and starts Apache on two free
    /// ports of 127.0.0.1, with the server certificate and CA from `pki`.
    pub fn start(dir: &Path, pki: &Pki, config: &ApacheConfig) -> Result<Self> {
        // A port found free can be taken by someone else before Apache binds
        // it: try again with new ports then.
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Self::start_once(dir, pki, config) {
                Err(e) if attempt < 4 && e.to_string().contains("Address already in use") => {}
                other => return other,
            }
        }
    }

    fn start_once(dir: &Path, pki: &Pki, config: &ApacheConfig) -> Result<Self> {
        let binary =
            find_program("apache2", "apache2").or_else(|_| find_program("httpd", "apache2"))?;
        let modules = MODULE_DIRS
            .iter()
            .map(PathBuf::from)
            .find(|d| d.join("mod_ssl.so").exists())
            .ok_or_else(|| {
                Error::new(
                    "Apache's mod_ssl.so not found (Debian package apache2); \
                     run scripts/install-test-deps as root",
                )
            })?;
        if config.service_keytab.is_some() && !modules.join("mod_auth_gssapi.so").exists() {
            return Err(Error::new(
                "mod_auth_gssapi.so not found (Debian package libapache2-mod-auth-gssapi); \
                 run scripts/install-test-deps as root",
            ));
        }
        std::fs::create_dir_all(dir.join("run"))
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        let port_initial = free_port()?;
        let port_stock = free_port()?;
        let error_log = dir.join("error.log");
        let conf = dir.join("httpd.conf");
        write_file(
            &conf,
            render(
                dir,
                &modules,
                pki,
                config,
                port_initial,
                port_stock,
                &error_log,
            ),
        )?;
        if running_as_root() {
            // The workers run as an unprivileged user and read the keytab
            // at request time.
            open_for_workers(dir)?;
            if let Some(keytab) = &config.service_keytab {
                open_for_workers(keytab)?;
            }
        }
        let mut command = Command::new(&binary);
        command
            .arg("-f")
            .arg(&conf)
            .arg("-DFOREGROUND")
            .env("KRB5RCACHETYPE", "none")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(
                std::fs::File::create(dir.join("stderr.log"))
                    .map(Stdio::from)
                    .map_err(|e| Error::io("creating stderr.log", e))?,
            );
        if let Some(krb5_conf) = &config.krb5_conf {
            command.env("KRB5_CONFIG", krb5_conf);
        }
        let mut daemon = Daemon::spawn("apache2", &mut command)?;
        let log = if error_log.exists() {
            error_log.clone()
        } else {
            dir.join("stderr.log")
        };
        wait_until(&mut daemon, &log, "apache2", || {
            port_open(port_initial) && port_open(port_stock)
        })
        .map_err(|e| {
            Error::new(format!(
                "{e}\nstderr: {}\nerror.log: {}",
                crate::process::read_tail(&dir.join("stderr.log")),
                crate::process::read_tail(&error_log)
            ))
        })?;
        Ok(Self {
            port_initial,
            port_stock,
            error_log,
            daemon,
        })
    }

    /// `https://localhost:PORT/kojihub` on vhost A (certificate requested in
    /// the initial handshake; Kerberos on `/ssllogin`).
    pub fn url_initial(&self) -> String {
        format!("https://localhost:{}/kojihub", self.port_initial)
    }

    /// `https://localhost:PORT/kojihub` on vhost B (Koji's stock layout).
    pub fn url_stock(&self) -> String {
        format!("https://localhost:{}/kojihub", self.port_stock)
    }

    /// The port of vhost A.
    pub fn port_initial(&self) -> u16 {
        self.port_initial
    }

    /// The port of vhost B.
    pub fn port_stock(&self) -> u16 {
        self.port_stock
    }

    /// Apache's error log (useful in assertion messages).
    pub fn error_log(&self) -> &Path {
        &self.error_log
    }

    /// The last lines of the error log.
    pub fn error_log_tail(&self) -> String {
        crate::process::read_tail(&self.error_log)
    }

    /// Stops Apache now.
    pub fn stop(&mut self) {
        self.daemon.stop();
    }
}

/// Makes `path` and its ancestors below the temporary directory readable by
/// Apache's unprivileged workers.
fn open_for_workers(path: &Path) -> Result<()> {
    let temp = std::env::temp_dir();
    for ancestor in path.ancestors() {
        if ancestor == temp || ancestor == Path::new("/") || ancestor.as_os_str().is_empty() {
            break;
        }
        make_world_readable(ancestor)?;
    }
    Ok(())
}

fn render(
    dir: &Path,
    modules: &Path,
    pki: &Pki,
    config: &ApacheConfig,
    port_initial: u16,
    port_stock: u16,
    error_log: &Path,
) -> String {
    let mut out = String::new();
    let line = |out: &mut String, text: &str| {
        out.push_str(text);
        out.push('\n');
    };
    line(
        &mut out,
        "# Generated by koji-testenv; modelled on Koji's kojihub httpd.conf.",
    );
    line(&mut out, &format!("ServerRoot \"{}\"", dir.display()));
    line(&mut out, "ServerName localhost");
    line(
        &mut out,
        &format!("PidFile \"{}\"", dir.join("httpd.pid").display()),
    );
    line(
        &mut out,
        &format!("DefaultRuntimeDir \"{}\"", dir.join("run").display()),
    );
    line(&mut out, &format!("ErrorLog \"{}\"", error_log.display()));
    line(&mut out, &format!("Listen 127.0.0.1:{port_initial} https"));
    line(&mut out, &format!("Listen 127.0.0.1:{port_stock} https"));
    for (name, file) in MODULES {
        line(
            &mut out,
            &format!("LoadModule {name} \"{}\"", modules.join(file).display()),
        );
    }
    if config.service_keytab.is_some() {
        line(
            &mut out,
            &format!(
                "LoadModule auth_gssapi_module \"{}\"",
                modules.join("mod_auth_gssapi.so").display()
            ),
        );
    }
    if config.service_keytab.is_some() {
        line(&mut out, "LogLevel warn ssl:info auth_gssapi:info");
    } else {
        line(&mut out, "LogLevel warn ssl:info");
    }
    if running_as_root() {
        line(&mut out, "User #65534");
        line(&mut out, "Group #65534");
    }
    line(&mut out, "StartServers 1");
    line(&mut out, "ServerLimit 4");
    line(&mut out, "ThreadsPerChild 64");
    line(&mut out, "MaxRequestWorkers 256");
    line(&mut out, "KeepAlive On");
    line(&mut out, "MaxKeepAliveRequests 0");
    line(
        &mut out,
        &format!(
            "SSLSessionCache \"shmcb:{}(512000)\"",
            dir.join("run").join("ssl_scache").display()
        ),
    );
    line(&mut out, "SSLProtocol all -SSLv3");
    line(&mut out, "SSLHonorCipherOrder off");
    line(&mut out, "ProxyTimeout 300");
    line(&mut out, "<Location />");
    line(&mut out, "    Require all granted");
    line(&mut out, "</Location>");

    let vhost_common = |out: &mut String, port: u16| {
        line(out, &format!("<VirtualHost 127.0.0.1:{port}>"));
        line(out, "    ServerName localhost");
        line(out, "    SSLEngine on");
        line(
            out,
            &format!("    SSLCertificateFile \"{}\"", pki.server_cert().display()),
        );
        line(
            out,
            &format!(
                "    SSLCertificateKeyFile \"{}\"",
                pki.server_key().display()
            ),
        );
        line(
            out,
            &format!("    SSLCACertificateFile \"{}\"", pki.ca_cert().display()),
        );
        // Nobody may bring their own identity headers.
        for header in config.headers.all() {
            line(out, &format!("    RequestHeader unset {header}"));
        }
        line(
            out,
            &format!("    ProxyPass /kojihub {} retry=0", config.backend),
        );
        line(
            out,
            &format!("    ProxyPassReverse /kojihub {}", config.backend),
        );
    };
    let identity_headers = |out: &mut String| {
        let h = &config.headers;
        // The certificate's names only when mod_ssl verified it, as the
        // hub's sslLogin requires SSL_CLIENT_VERIFY == SUCCESS.
        let verified = "&& %{SSL_CLIENT_VERIFY} == 'SUCCESS'";
        for (header, var, extra) in [
            (&h.remote_user, "REMOTE_USER", ""),
            (&h.client_verify, "SSL_CLIENT_VERIFY", ""),
            (&h.client_dn, "SSL_CLIENT_S_DN", verified),
            (&h.client_cn, "SSL_CLIENT_S_DN_CN", verified),
        ] {
            line(
                out,
                &format!(
                    "        RequestHeader set {header} \"expr=%{{{var}}}\" \"expr=-n %{{{var}}} {extra}\""
                ),
            );
        }
    };

    // vhost A: certificate requested in the initial handshake; /ssllogin
    // takes a verified certificate or Kerberos.
    vhost_common(&mut out, port_initial);
    line(&mut out, "    SSLVerifyClient optional");
    line(&mut out, "    SSLVerifyDepth 10");
    line(&mut out, "    <Location /kojihub/ssllogin>");
    line(&mut out, "        SSLOptions +StdEnvVars");
    if let Some(keytab) = &config.service_keytab {
        line(&mut out, "        AuthType GSSAPI");
        line(&mut out, "        AuthName \"Koji login\"");
        line(
            &mut out,
            &format!("        GssapiCredStore keytab:{}", keytab.display()),
        );
        line(&mut out, "        GssapiBasicAuth Off");
        line(&mut out, "        GssapiAllowedMech krb5");
        line(&mut out, "        GssapiLocalName Off");
        line(&mut out, "        <RequireAny>");
        line(&mut out, "            Require ssl-verify-client");
        line(&mut out, "            Require valid-user");
        line(&mut out, "        </RequireAny>");
    } else {
        line(&mut out, "        Require ssl-verify-client");
    }
    identity_headers(&mut out);
    line(&mut out, "    </Location>");
    line(&mut out, "</VirtualHost>");

    // vhost B: Koji's stock SSL block.
    vhost_common(&mut out, port_stock);
    line(&mut out, "    <Location /kojihub/ssllogin>");
    line(&mut out, "        SSLVerifyClient require");
    line(&mut out, "        SSLVerifyDepth 10");
    line(&mut out, "        SSLOptions +StdEnvVars");
    identity_headers(&mut out);
    line(&mut out, "    </Location>");
    line(&mut out, "</VirtualHost>");
    out
}

/// Apache serving a directory as static files over plain HTTP on
/// 127.0.0.1, the way a Koji file server (`topurl`) serves `/mnt/koji`:
/// keep-alive, `Range` requests, `sendfile`. Dropping it stops it.
#[derive(Debug)]
pub struct FileServer {
    port: u16,
    error_log: PathBuf,
    daemon: Daemon,
}

const FILE_MODULES: &[(&str, &str)] = &[
    ("mpm_event_module", "mod_mpm_event.so"),
    ("authz_core_module", "mod_authz_core.so"),
];

impl FileServer {
    /// Writes the configuration under `dir` (which must exist) and starts
    /// Apache serving `root` on a free port of 127.0.0.1. When running as
    /// root, `root` and its ancestors below the temporary directory are
    /// made readable by Apache's unprivileged workers.
    pub fn start(dir: &Path, root: &Path) -> Result<Self> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Self::start_once(dir, root) {
                Err(e) if attempt < 4 && e.to_string().contains("Address already in use") => {}
                other => return other,
            }
        }
    }

    fn start_once(dir: &Path, root: &Path) -> Result<Self> {
        let binary =
            find_program("apache2", "apache2").or_else(|_| find_program("httpd", "apache2"))?;
        let modules = MODULE_DIRS
            .iter()
            .map(PathBuf::from)
            .find(|d| d.join("mod_authz_core.so").exists())
            .ok_or_else(|| {
                Error::new(
                    "Apache's modules not found (Debian package apache2); \
                     run scripts/install-test-deps as root",
                )
            })?;
        std::fs::create_dir_all(dir.join("run"))
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        let port = free_port()?;
        let error_log = dir.join("error.log");
        let conf = dir.join("files.conf");
        let mut out = String::new();
        let mut line = |text: String| {
            out.push_str(&text);
            out.push('\n');
        };
        line("# Generated by koji-testenv: a Koji-style file server.".into());
        line(format!("ServerRoot \"{}\"", dir.display()));
        line("ServerName localhost".into());
        line(format!("PidFile \"{}\"", dir.join("files.pid").display()));
        line(format!(
            "DefaultRuntimeDir \"{}\"",
            dir.join("run").display()
        ));
        line(format!("ErrorLog \"{}\"", error_log.display()));
        line("LogLevel warn".into());
        line(format!("Listen 127.0.0.1:{port}"));
        for (name, file) in FILE_MODULES {
            line(format!(
                "LoadModule {name} \"{}\"",
                modules.join(file).display()
            ));
        }
        if running_as_root() {
            line("User #65534".into());
            line("Group #65534".into());
        }
        line("StartServers 1".into());
        line("ServerLimit 4".into());
        line("ThreadsPerChild 64".into());
        line("MaxRequestWorkers 256".into());
        line("KeepAlive On".into());
        line("MaxKeepAliveRequests 0".into());
        line("EnableSendfile On".into());
        line(format!("DocumentRoot \"{}\"", root.display()));
        line(format!("<Directory \"{}\">", root.display()));
        line("    Require all granted".into());
        line("</Directory>".into());
        write_file(&conf, out)?;
        if running_as_root() {
            open_for_workers(dir)?;
            open_for_workers(root)?;
        }
        let mut command = Command::new(&binary);
        command
            .arg("-f")
            .arg(&conf)
            .arg("-DFOREGROUND")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(
                std::fs::File::create(dir.join("files-stderr.log"))
                    .map(Stdio::from)
                    .map_err(|e| Error::io("creating files-stderr.log", e))?,
            );
        let mut daemon = Daemon::spawn("apache2", &mut command)?;
        wait_until(
            &mut daemon,
            &dir.join("files-stderr.log"),
            "apache2",
            || port_open(port),
        )
        .map_err(|e| {
            Error::new(format!(
                "{e}\nstderr: {}\nerror.log: {}",
                crate::process::read_tail(&dir.join("files-stderr.log")),
                crate::process::read_tail(&error_log)
            ))
        })?;
        Ok(Self {
            port,
            error_log,
            daemon,
        })
    }

    /// `http://127.0.0.1:PORT` (the served directory is the root).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The address it listens on.
    pub fn addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The last lines of the error log.
    pub fn error_log_tail(&self) -> String {
        crate::process::read_tail(&self.error_log)
    }

    /// Stops Apache now.
    pub fn stop(&mut self) {
        self.daemon.stop();
    }
}
