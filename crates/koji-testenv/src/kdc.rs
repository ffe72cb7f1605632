//! An MIT Kerberos KDC for one test realm, listening on 127.0.0.1.
//!
//! The realm database, configuration, logs and keytabs live in a directory of
//! the caller's choosing. The configuration reaches the tools (`kdb5_util`,
//! `kadmin.local`, `krb5kdc`, `kinit`) through `KRB5_CONFIG` and
//! `KRB5_KDC_PROFILE` set on those child processes only.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::process::{Daemon, port_open, run, wait_until};
use crate::{Error, Result, find_program, free_port, write_file};

/// The password every user principal made by [`Kdc::add_user`] gets unless
/// another is given.
pub const DEFAULT_PASSWORD: &str = "koji";

/// A running KDC. Dropping it stops the daemon.
#[derive(Debug)]
pub struct Kdc {
    dir: PathBuf,
    realm: String,
    port: u16,
    krb5_conf: PathBuf,
    kdc_conf: PathBuf,
    log: PathBuf,
    kadmin: PathBuf,
    kinit: PathBuf,
    daemon: Daemon,
}

impl Kdc {
    /// Creates realm `realm` (for example `KOJI.TEST`) under `dir` and starts
    /// `krb5kdc` on a free port of 127.0.0.1 (TCP and UDP).
    pub fn start(dir: &Path, realm: &str) -> Result<Self> {
        let krb5kdc = find_program("krb5kdc", "krb5-kdc")?;
        let kdb5_util = find_program("kdb5_util", "krb5-kdc")?;
        let kadmin = find_program("kadmin.local", "krb5-admin-server")?;
        let kinit = find_program("kinit", "krb5-user")?;
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        let krb5_conf = dir.join("krb5.conf");
        let kdc_conf = dir.join("kdc.conf");
        let log = dir.join("kdc.log");
        write_file(&dir.join("kadm5.acl"), "")?;
        // The database does not depend on the port: make it once.
        write_configs(dir, realm, 0, &krb5_conf, &kdc_conf, &log)?;
        let env = [
            ("KRB5_CONFIG", krb5_conf.as_os_str()),
            ("KRB5_KDC_PROFILE", kdc_conf.as_os_str()),
        ];
        run(
            "kdb5_util create",
            Command::new(&kdb5_util)
                .envs(env)
                .args([
                    "create",
                    "-s",
                    "-r",
                    realm,
                    "-P",
                    "master-key-of-the-test-realm",
                ])
                .stdin(Stdio::null()),
        )?;
        // A port found free can be taken before the KDC binds it: try again
        // with another one then.
        let mut attempt = 0;
        let (port, daemon) = loop {
            attempt += 1;
            let port = free_port()?;
            write_configs(dir, realm, port, &krb5_conf, &kdc_conf, &log)?;
            let mut daemon = Daemon::spawn(
                "krb5kdc",
                Command::new(&krb5kdc)
                    .envs(env)
                    .args(["-n", "-r", realm, "-P"])
                    .arg(dir.join("krb5kdc.pid"))
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null()),
            )?;
            match wait_until(&mut daemon, &log, "krb5kdc", || port_open(port)) {
                Ok(()) => break (port, daemon),
                Err(e) if attempt < 4 && e.to_string().contains("in use") => continue,
                Err(e) => return Err(e),
            }
        };
        Ok(Self {
            dir: dir.to_owned(),
            realm: realm.to_owned(),
            port,
            krb5_conf,
            kdc_conf,
            log,
            kadmin,
            kinit,
            daemon,
        })
    }

    /// The realm, e.g. `KOJI.TEST`.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The TCP (and UDP) port the KDC listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The client configuration (`krb5.conf`) for this realm.
    pub fn krb5_conf(&self) -> &Path {
        &self.krb5_conf
    }

    /// The KDC's log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Environment for a child process that should use this realm:
    /// `KRB5_CONFIG` plus a default credential cache inside the KDC's
    /// directory (so the user's own tickets are never touched).
    pub fn env(&self) -> Vec<(OsString, OsString)> {
        vec![
            ("KRB5_CONFIG".into(), self.krb5_conf.clone().into()),
            (
                "KRB5CCNAME".into(),
                format!("FILE:{}", self.dir.join("ccache-default").display()).into(),
            ),
            // No replay cache files in /var/tmp.
            ("KRB5RCACHETYPE".into(), "none".into()),
        ]
    }

    /// Writes a `krb5.conf` named `name` for this realm whose KDC address is
    /// 127.0.0.1:`port` (a closed port simulates a KDC that is down).
    /// Returns its path.
    pub fn write_config_variant(&self, name: &str, port: u16) -> Result<PathBuf> {
        let path = self.dir.join(name);
        write_file(&path, client_config(&self.dir, &self.realm, port))?;
        Ok(path)
    }

    /// Runs `kadmin.local -q <query>`.
    pub fn kadmin(&self, query: &str) -> Result<String> {
        let output = run(
            &format!("kadmin.local -q '{query}'"),
            Command::new(&self.kadmin)
                .env("KRB5_CONFIG", &self.krb5_conf)
                .env("KRB5_KDC_PROFILE", &self.kdc_conf)
                .args(["-r", &self.realm, "-q", query])
                .stdin(Stdio::null()),
        )?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        // kadmin.local reports most failures on stderr with exit status 0.
        if stderr.contains("while ") {
            return Err(Error::new(format!("kadmin.local -q '{query}': {stderr}")));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Adds user principal `name@REALM` with `password`.
    pub fn add_user(&self, name: &str, password: &str) -> Result<()> {
        self.kadmin(&format!("addprinc -pw {password} {name}"))
            .map(drop)
    }

    /// Adds service principal `service/host@REALM` (e.g. `HTTP/localhost`)
    /// with a random key and writes it to `keytab`.
    pub fn add_service(&self, principal: &str, keytab: &Path) -> Result<()> {
        self.kadmin(&format!("addprinc -randkey {principal}"))?;
        self.export_keytab(principal, keytab)
    }

    /// Writes the current keys of `principal` to `keytab` without changing
    /// them (so a user's password keeps working): a client keytab.
    pub fn export_keytab(&self, principal: &str, keytab: &Path) -> Result<()> {
        self.kadmin(&format!(
            "ktadd -norandkey -k {} {principal}",
            keytab.display()
        ))
        .map(drop)
    }

    /// Writes a keytab for `principal` (any realm, even one no KDC serves)
    /// with a key derived from `password`, using `ktutil`.
    pub fn write_keytab_from_password(
        &self,
        principal: &str,
        password: &str,
        keytab: &Path,
    ) -> Result<()> {
        use std::io::Write;
        let ktutil = find_program("ktutil", "krb5-user")?;
        let mut child = Command::new(ktutil)
            .envs(self.env())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::io("running ktutil", e))?;
        if let Some(mut pipe) = child.stdin.take() {
            let script = format!(
                "addent -password -p {principal} -k 1 -e aes256-cts-hmac-sha1-96\n{password}\nwkt {}\nquit\n",
                keytab.display()
            );
            pipe.write_all(script.as_bytes())
                .map_err(|e| Error::io("writing to ktutil", e))?;
        }
        let output = child
            .wait_with_output()
            .map_err(|e| Error::io("waiting for ktutil", e))?;
        if !output.status.success() || !keytab.exists() {
            return Err(Error::new(format!(
                "ktutil could not write {}: {}",
                keytab.display(),
                String::from_utf8_lossy(&output.stderr)
            )));
        }
        Ok(())
    }

    /// Runs `kinit` for `principal` with `password`, storing the ticket in
    /// `ccache` (a path). `lifetime` is kinit's `-l` value (e.g. `"5s"`).
    pub fn kinit_password(
        &self,
        principal: &str,
        password: &str,
        ccache: &Path,
        lifetime: Option<&str>,
    ) -> Result<()> {
        // MIT kinit reads the password from standard input when it is not a
        // terminal.
        self.kinit_with(principal, ccache, lifetime, |_| password.to_owned())
    }

    /// Runs `kinit -k -t keytab principal` into `ccache`.
    pub fn kinit_keytab(&self, principal: &str, keytab: &Path, ccache: &Path) -> Result<()> {
        self.kinit_with(principal, ccache, None, |cmd| {
            cmd.arg("-k").arg("-t").arg(keytab);
            String::new()
        })
    }

    fn kinit_with(
        &self,
        principal: &str,
        ccache: &Path,
        lifetime: Option<&str>,
        configure: impl FnOnce(&mut Command) -> String,
    ) -> Result<()> {
        use std::io::Write;
        let mut cmd = Command::new(&self.kinit);
        cmd.envs(self.env())
            .env("KRB5CCNAME", format!("FILE:{}", ccache.display()));
        if let Some(lifetime) = lifetime {
            cmd.arg("-l").arg(lifetime);
        }
        let stdin = configure(&mut cmd);
        cmd.arg(principal)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| Error::io(format!("running kinit {principal}"), e))?;
        if let Some(mut pipe) = child.stdin.take() {
            pipe.write_all(stdin.as_bytes())
                .and_then(|()| pipe.write_all(b"\n"))
                .map_err(|e| Error::io("writing to kinit", e))?;
        }
        let output = child
            .wait_with_output()
            .map_err(|e| Error::io(format!("waiting for kinit {principal}"), e))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(Error::new(format!(
                "kinit {principal} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )))
        }
    }

    /// Stops the KDC now (to test what clients do when it is down).
    pub fn stop(&mut self) {
        self.daemon.stop();
    }
}

fn write_configs(
    dir: &Path,
    realm: &str,
    port: u16,
    krb5_conf: &Path,
    kdc_conf: &Path,
    log: &Path,
) -> Result<()> {
    write_file(krb5_conf, client_config(dir, realm, port))?;
    write_file(
        kdc_conf,
        format!(
            "[kdcdefaults]\n\
             \tkdc_listen = 127.0.0.1:{port}\n\
             \tkdc_tcp_listen = 127.0.0.1:{port}\n\
             [realms]\n\
             \t{realm} = {{\n\
             \t\tdatabase_name = {db}\n\
             \t\tkey_stash_file = {stash}\n\
             \t\tacl_file = {acl}\n\
             \t\tmax_life = 10h 0m 0s\n\
             \t\tmax_renewable_life = 7d 0h 0m 0s\n\
             \t\tsupported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal\n\
             \t}}\n\
             [logging]\n\
             \tkdc = FILE:{log}\n\
             \tadmin_server = FILE:{log}\n\
             \tdefault = FILE:{log}\n",
            db = dir.join("principal").display(),
            stash = dir.join("stash").display(),
            acl = dir.join("kadm5.acl").display(),
            log = log.display(),
        ),
    )
}

fn client_config(dir: &Path, realm: &str, port: u16) -> String {
    format!(
        "[libdefaults]\n\
         \tdefault_realm = {realm}\n\
         \tdns_lookup_realm = false\n\
         \tdns_lookup_kdc = false\n\
         \tdns_canonicalize_hostname = false\n\
         \trdns = false\n\
         \tudp_preference_limit = 1\n\
         \tkdc_timeout = 2000\n\
         \tmax_retries = 1\n\
         \tdefault_ccache_name = FILE:{ccache}\n\
         [realms]\n\
         \t{realm} = {{\n\
         \t\tkdc = 127.0.0.1:{port}\n\
         \t}}\n\
         [domain_realm]\n\
         \tlocalhost = {realm}\n",
        ccache = dir.join("ccache-default").display(),
    )
}
