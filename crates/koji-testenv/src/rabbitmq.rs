//! A real RabbitMQ for tests: started on 127.0.0.1 (AMQP 0-9-1 and 1.0 on
//! one port, STOMP on another, Erlang distribution and epmd on loopback
//! too), in a temporary directory, killed and restarted on demand, and
//! stopped when dropped.
//!
//! Test support: starting fails with a panic that says what is missing
//! (the broker tests want exactly that), hence the unwraps.
#![allow(clippy::unwrap_used)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian installs the server script that runs the broker as the
/// calling user (`/usr/sbin/rabbitmq-server` switches to the `rabbitmq`
/// user, which cannot write our temporary directory).
const SERVER_CANDIDATES: &[&str] = &[
    "/usr/lib/rabbitmq/bin/rabbitmq-server",
    "/usr/local/lib/rabbitmq/bin/rabbitmq-server",
];

fn server_script() -> PathBuf {
    if let Some(path) = std::env::var_os("KOJI_TEST_RABBITMQ_SERVER") {
        return PathBuf::from(path);
    }
    for candidate in SERVER_CANDIDATES {
        if Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    panic!(
        "RabbitMQ is not installed (looked for {SERVER_CANDIDATES:?}; set \
         KOJI_TEST_RABBITMQ_SERVER to override): run scripts/install-messagebus-deps"
    );
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn epmd_binary() -> Option<PathBuf> {
    if let Ok(rd) = std::fs::read_dir("/usr/lib/erlang") {
        for entry in rd.flatten() {
            let p = entry.path().join("bin/epmd");
            if entry.file_name().to_string_lossy().starts_with("erts-") && p.exists() {
                return Some(p);
            }
        }
    }
    let p = PathBuf::from("/usr/bin/epmd");
    p.exists().then_some(p)
}

/// A running (or stopped) test broker.
pub struct RabbitMq {
    dir: tempfile::TempDir,
    /// AMQP 0-9-1 and AMQP 1.0 port.
    pub amqp_port: u16,
    /// STOMP port.
    pub stomp_port: u16,
    /// STOMP-over-TLS port, when started with TLS.
    pub stomp_tls_port: Option<u16>,
    /// AMQP-over-TLS port (AMQP 0-9-1 and 1.0), when started with TLS.
    pub amqp_tls_port: Option<u16>,
    epmd_port: u16,
    dist_port: u16,
    node: String,
    child: Option<Child>,
    boots: usize,
}

impl RabbitMq {
    /// Starts a broker with the STOMP and AMQP 1.0 plugins and waits until
    /// it accepts connections.
    pub fn start() -> RabbitMq {
        Self::start_inner(None)
    }

    /// Like [`RabbitMq::start`], plus STOMP and AMQP TLS listeners that
    /// require a client certificate signed by `certs.ca`.
    pub fn start_with_tls(certs: &TestCerts) -> RabbitMq {
        Self::start_inner(Some(&BrokerTls {
            client_ca: certs.ca.clone(),
            cert: certs.server_cert.clone(),
            key: certs.server_key.clone(),
            require_client_cert: true,
        }))
    }

    /// Like [`RabbitMq::start`], plus STOMP and AMQP TLS listeners set up
    /// as `tls` says.
    pub fn start_with_tls_listeners(tls: &BrokerTls) -> RabbitMq {
        Self::start_inner(Some(tls))
    }

    fn start_inner(tls: Option<&BrokerTls>) -> RabbitMq {
        let dir = tempfile::Builder::new()
            .prefix("koji-rabbitmq-")
            .tempdir()
            .unwrap();
        let amqp_port = free_port();
        let stomp_port = free_port();
        let epmd_port = free_port();
        let dist_port = free_port();
        let node = format!("koji-test-{amqp_port}@localhost");
        let mut conf = format!(
            "listeners.tcp.1 = 127.0.0.1:{amqp_port}\n\
             stomp.listeners.tcp.1 = 127.0.0.1:{stomp_port}\n\
             stomp.default_user = guest\n\
             stomp.default_pass = guest\n\
             log.console = false\n\
             log.file.level = info\n"
        );
        let tls_ports = tls.map(|t| {
            let (stomp, amqp) = (free_port(), free_port());
            conf.push_str(&format!(
                "stomp.listeners.ssl.1 = 127.0.0.1:{stomp}\n\
                 listeners.ssl.1 = 127.0.0.1:{amqp}\n\
                 ssl_options.cacertfile = {}\n\
                 ssl_options.certfile = {}\n\
                 ssl_options.keyfile = {}\n\
                 ssl_options.verify = verify_peer\n\
                 ssl_options.fail_if_no_peer_cert = {}\n",
                t.client_ca.display(),
                t.cert.display(),
                t.key.display(),
                t.require_client_cert,
            ));
            (stomp, amqp)
        });
        std::fs::write(dir.path().join("rabbitmq.conf"), conf).unwrap();
        std::fs::write(
            dir.path().join("enabled_plugins"),
            "[rabbitmq_stomp,rabbitmq_amqp1_0].\n",
        )
        .unwrap();
        for sub in ["mnesia", "log", "home"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let mut broker = RabbitMq {
            dir,
            amqp_port,
            stomp_port,
            stomp_tls_port: tls_ports.map(|p| p.0),
            amqp_tls_port: tls_ports.map(|p| p.1),
            epmd_port,
            dist_port,
            node,
            child: None,
            boots: 0,
        };
        broker.boot();
        broker
    }

    fn boot(&mut self) {
        let d = self.dir.path();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(d.join("server.out"))
            .unwrap();
        let child = Command::new(server_script())
            .env("HOME", d.join("home"))
            .env("RABBITMQ_MNESIA_BASE", d.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", d.join("log"))
            .env("RABBITMQ_NODE_PORT", self.amqp_port.to_string())
            .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_NODENAME", &self.node)
            .env("RABBITMQ_DIST_PORT", self.dist_port.to_string())
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", d.join("enabled_plugins"))
            .env("RABBITMQ_CONFIG_FILE", d.join("rabbitmq"))
            .env("RABBITMQ_ADVANCED_CONFIG_FILE", d.join("advanced.config"))
            .env("RABBITMQ_FEATURE_FLAGS_FILE", d.join("feature_flags"))
            .env("RABBITMQ_PID_FILE", d.join("pid"))
            .env(
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
                "-kernel inet_dist_use_interface {127,0,0,1}",
            )
            .env("ERL_EPMD_ADDRESS", "127.0.0.1")
            .env("ERL_EPMD_PORT", self.epmd_port.to_string())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        self.boots += 1;
        self.wait_ready();
    }

    fn log_tail(&self) -> String {
        let mut out = String::new();
        for name in ["server.out"] {
            if let Ok(text) = std::fs::read_to_string(self.dir.path().join(name)) {
                let lines: Vec<&str> = text.lines().collect();
                let from = lines.len().saturating_sub(40);
                out.push_str(&lines[from..].join("\n"));
            }
        }
        out
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let up = |port: u16| {
                TcpStream::connect_timeout(
                    &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
                    Duration::from_millis(200),
                )
                .is_ok()
            };
            // Listening is not enough: the broker accepts connections
            // before it can serve them. It prints this once per boot.
            let booted = std::fs::read_to_string(self.dir.path().join("server.out"))
                .map(|t| t.matches("Starting broker... completed").count())
                .unwrap_or(0);
            let tls_up = self.stomp_tls_port.is_none_or(up) && self.amqp_tls_port.is_none_or(up);
            if booted >= self.boots && up(self.amqp_port) && up(self.stomp_port) && tls_up {
                return;
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!(
                    "RabbitMQ exited during start-up ({status}):\n{}",
                    self.log_tail()
                );
            }
            assert!(
                Instant::now() < deadline,
                "RabbitMQ did not start listening within 120 s:\n{}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The `amqp://` URL of the broker (guest account).
    pub fn amqp_url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2F", self.amqp_port)
    }

    /// Kills the broker abruptly (SIGKILL to the Erlang VM), as a crash or
    /// a network cut would look to clients, and waits until it is gone.
    pub fn kill(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(pid) = std::fs::read_to_string(self.dir.path().join("pid")) {
            let pid = pid.trim();
            if !pid.is_empty() {
                let _ = Command::new("kill").args(["-KILL", pid]).status();
            }
        }
        // The wrapper script exits once the VM is gone; kill it too in
        // case the VM had not written its pid file yet.
        let _ = child.kill();
        let _ = child.wait();
        let _ = std::fs::remove_file(self.dir.path().join("pid"));
        // Wait until the ports are free again.
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.amqp_port)).is_ok()
            || TcpStream::connect(("127.0.0.1", self.stomp_port)).is_ok()
        {
            assert!(Instant::now() < deadline, "RabbitMQ did not die");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts the broker again with the same data, ports and node name.
    pub fn restart(&mut self) {
        self.kill();
        self.boot();
    }

    /// Starts a broker stopped with [`RabbitMq::kill`] again (same data,
    /// ports and node name); nothing if it runs.
    pub fn start_again(&mut self) {
        if self.child.is_none() {
            self.boot();
        }
    }
}

impl Drop for RabbitMq {
    fn drop(&mut self) {
        self.kill();
        // The Erlang port mapper daemon was started for this broker only
        // (its own port): stop it.
        if let Some(epmd) = epmd_binary() {
            let _ = Command::new(epmd)
                .args(["-port", &self.epmd_port.to_string(), "-kill"])
                .env("ERL_EPMD_PORT", self.epmd_port.to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// How [`RabbitMq::start_with_tls_listeners`] sets its TLS listeners up.
#[derive(Debug, Clone)]
pub struct BrokerTls {
    /// The CA that must have signed client certificates.
    pub client_ca: PathBuf,
    /// The broker's certificate (PEM).
    pub cert: PathBuf,
    /// The broker's private key (PEM).
    pub key: PathBuf,
    /// Whether a client without a certificate is refused (a client that
    /// presents one the CA did not sign always is).
    pub require_client_cert: bool,
}

/// A throw-away CA with a server certificate (for `localhost` and
/// 127.0.0.1) and a client certificate, made with the `openssl` tool.
pub struct TestCerts {
    _dir: tempfile::TempDir,
    /// The CA certificate (PEM).
    pub ca: PathBuf,
    /// The server certificate (PEM).
    pub server_cert: PathBuf,
    /// The server key (PEM).
    pub server_key: PathBuf,
    /// The client certificate and key in one PEM file, like Koji's `cert`.
    pub client: PathBuf,
}

impl Default for TestCerts {
    fn default() -> Self {
        Self::new()
    }
}

impl TestCerts {
    /// Makes the CA and both certificates.
    pub fn new() -> TestCerts {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(d)
                .output()
                .unwrap_or_else(|e| {
                    panic!("cannot run openssl (install the openssl package): {e}")
                });
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=koji-client test CA",
        ]);
        for (name, cn, ext) in [
            (
                "server",
                "localhost",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ),
            ("client", "koji-client-test", "extendedKeyUsage=clientAuth"),
        ] {
            std::fs::write(d.join(format!("{name}.ext")), format!("{ext}\n")).unwrap();
            openssl(&[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.csr"),
                "-subj",
                &format!("/CN={cn}"),
            ]);
            openssl(&[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &format!("{name}.pem"),
                "-days",
                "2",
                "-extfile",
                &format!("{name}.ext"),
            ]);
        }
        let mut combined = std::fs::read(d.join("client.pem")).unwrap();
        combined.extend(std::fs::read(d.join("client.key")).unwrap());
        std::fs::write(d.join("client-combined.pem"), combined).unwrap();
        TestCerts {
            ca: d.join("ca.pem"),
            server_cert: d.join("server.pem"),
            server_key: d.join("server.key"),
            client: d.join("client-combined.pem"),
            _dir: dir,
        }
    }
}
