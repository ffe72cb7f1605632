//! The broker consumers against a real RabbitMQ (koji-testenv): what
//! retrying cannot fix ends the stream at once with a typed error, trust in
//! a `ca_file` means that file only, a STOMP URL without a virtual host
//! works, and a broker restart shows in the connection state.
//!
//! "A CA the system trusts but the `ca_file` does not" needs a system store
//! holding the test CA. The library must not change the process
//! environment, and the machine's store must stay as it is, so this file
//! has its own `main` (harness = false): those cases run in a child
//! process (this same binary) whose `SSL_CERT_FILE` names a bundle with
//! the test CA and whose `SSL_CERT_DIR` is empty — OpenSSL's default
//! verify paths, i.e. the system roots as OpenSSL sees them. One broker,
//! with TLS listeners whose certificate that CA signed, serves every case
//! but the restart, which has its own.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use koji_client::messages::amqp::AmqpConfig;
use koji_client::messages::amqp1::Amqp1Config;
use koji_client::messages::stomp::StompConfig;
use koji_client::messages::{
    Backoff, ConnectionState, ConsumerError, EventStream, FatalKind, KojiEvent, TlsConfig,
};
use koji_testenv::pki::{KeyKind, Pki};
use koji_testenv::rabbitmq::{BrokerTls, RabbitMq};
use libtest_mimic::{Arguments, Failed, Trial};

/// Set in the child: `<protocol>:<trust>` (see [`child`]).
const CHILD: &str = "KOJI_BROKER_TEST_CHILD";
/// Set in the child: the broker's STOMP-TLS and AMQP-TLS ports, and the
/// CA file the consumer is told to trust.
const CHILD_STOMP_TLS: &str = "KOJI_BROKER_TEST_STOMP_TLS_PORT";
const CHILD_AMQP_TLS: &str = "KOJI_BROKER_TEST_AMQP_TLS_PORT";
const CHILD_CA_FILE: &str = "KOJI_BROKER_TEST_CA_FILE";

/// Longer than any case takes when it passes: a consumer that retries
/// instead of failing, or never connects, runs into it.
const GUARD: Duration = Duration::from_secs(90);

/// A backoff no case can wait out: a consumer that retries what it
/// should not never yields the error within [`GUARD`].
fn never_again() -> Backoff {
    Backoff {
        initial: Duration::from_secs(3600),
        max: Duration::from_secs(3600),
        factor: 1.0,
    }
}

#[derive(Clone, Copy, Debug)]
enum Proto {
    Stomp,
    Amqp,
    Amqp1,
}

impl Proto {
    const ALL: [Proto; 3] = [Proto::Stomp, Proto::Amqp, Proto::Amqp1];

    fn name(self) -> &'static str {
        match self {
            Proto::Stomp => "stomp",
            Proto::Amqp => "amqp",
            Proto::Amqp1 => "amqp1",
        }
    }

    fn parse(name: &str) -> Proto {
        match name {
            "stomp" => Proto::Stomp,
            "amqp" => Proto::Amqp,
            "amqp1" => Proto::Amqp1,
            other => panic!("unknown protocol {other}"),
        }
    }
}

/// Where a consumer connects and how.
struct Target {
    proto: Proto,
    port: u16,
    tls: Option<TlsConfig>,
    user: &'static str,
    password: &'static str,
    /// `None`: no virtual host in the configuration at all.
    vhost: Option<&'static str>,
    /// STOMP destination, AMQP 0-9-1 exchange, or AMQP 1.0 source.
    what: Option<&'static str>,
    backoff: Backoff,
}

impl Target {
    fn plain(proto: Proto, broker: &RabbitMq) -> Target {
        let port = match proto {
            Proto::Stomp => broker.stomp_port,
            Proto::Amqp | Proto::Amqp1 => broker.amqp_port,
        };
        Target {
            proto,
            port,
            tls: None,
            user: "guest",
            password: "guest",
            vhost: Some("/"),
            what: None,
            backoff: never_again(),
        }
    }

    fn tls(proto: Proto, stomp_tls: u16, amqp_tls: u16, tls: TlsConfig) -> Target {
        let port = match proto {
            Proto::Stomp => stomp_tls,
            Proto::Amqp | Proto::Amqp1 => amqp_tls,
        };
        Target {
            proto,
            port,
            tls: Some(tls.server_name("localhost")),
            user: "guest",
            password: "guest",
            vhost: Some("/"),
            what: None,
            backoff: never_again(),
        }
    }

    fn start(&self) -> EventStream {
        let scheme = if self.tls.is_some() { "amqps" } else { "amqp" };
        let vhost_path = match self.vhost {
            Some(v) => format!("/{}", v.replace('/', "%2F")),
            None => String::new(),
        };
        match self.proto {
            Proto::Stomp => {
                let mut c = StompConfig::new("127.0.0.1", self.port)
                    .credentials(self.user, self.password)
                    .destination(self.what.unwrap_or("/topic/koji.#"))
                    .heartbeat(Duration::from_secs(1))
                    .backoff(self.backoff);
                if let Some(v) = self.vhost {
                    c = c.vhost(v);
                }
                if let Some(tls) = &self.tls {
                    c = c.tls(tls.clone());
                }
                koji_client::messages::stomp::subscribe(c).unwrap()
            }
            Proto::Amqp => {
                let url = format!(
                    "{scheme}://{}:{}@127.0.0.1:{}{vhost_path}",
                    self.user, self.password, self.port
                );
                let mut c = AmqpConfig::new(url).bind("koji.#").backoff(self.backoff);
                if let Some(exchange) = self.what {
                    c = c.exchange(exchange);
                }
                if let Some(tls) = &self.tls {
                    c = c.tls(tls.clone());
                }
                koji_client::messages::amqp::consume(c).unwrap()
            }
            Proto::Amqp1 => {
                let url = format!(
                    "{scheme}://{}:{}@127.0.0.1:{}",
                    self.user, self.password, self.port
                );
                let mut c = Amqp1Config::new(url, self.what.unwrap_or("/topic/koji.#"))
                    .backoff(self.backoff);
                if let Some(tls) = &self.tls {
                    c = c.tls(tls.clone());
                }
                koji_client::messages::amqp1::receive(c).unwrap()
            }
        }
    }
}

/// Runs the consumer until it is connected (`Ok`) or yields its error.
async fn outcome(mut events: EventStream) -> Result<(), ConsumerError> {
    let mut state = events.state();
    let run = async {
        loop {
            tokio::select! {
                item = events.next() => match item {
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e),
                    None => panic!("the stream ended without an error"),
                },
                _ = state.wait_for(|s| *s == ConnectionState::Connected) => return Ok(()),
            }
        }
    };
    tokio::time::timeout(GUARD, run)
        .await
        .unwrap_or_else(|_| panic!("neither connected nor failed within {GUARD:?}"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Runs `target` and checks that it stops at once with `kind`.
fn expect_fatal(target: &Target, kind: FatalKind) -> Result<(), Failed> {
    let rt = runtime();
    let events = rt.block_on(async { target.start() });
    let state = events.state();
    match rt.block_on(outcome(events)) {
        Ok(()) => Err(format!("{}: connected, expected {kind:?}", target.proto.name()).into()),
        Err(e) if e.kind() == kind => {
            if *state.borrow() != ConnectionState::Failed {
                return Err(format!("state {:?} after {e}", *state.borrow()).into());
            }
            if e.transport() != target.proto.name() || e.to_string().contains("not-the-password") {
                return Err(format!("bad error text: {e}").into());
            }
            Ok(())
        }
        Err(e) => Err(format!(
            "{}: expected {kind:?}, got {:?}: {e}",
            target.proto.name(),
            e.kind()
        )
        .into()),
    }
}

fn expect_connected(target: &Target) -> Result<(), Failed> {
    let rt = runtime();
    let events = rt.block_on(async { target.start() });
    rt.block_on(outcome(events))
        .map_err(|e| format!("{}: {e}", target.proto.name()).into())
}

/// The broker and PKI shared by the cases.
struct Env {
    dir: tempfile::TempDir,
    pki: Pki,
    broker: RabbitMq,
}

impl Env {
    fn start() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let pki = Pki::generate(&dir.path().join("pki")).unwrap();
        std::fs::create_dir_all(dir.path().join("empty-cert-dir")).unwrap();
        let broker = RabbitMq::start_with_tls_listeners(&BrokerTls {
            client_ca: pki.ca_cert().to_owned(),
            cert: pki.server_cert().to_owned(),
            key: pki.server_key().to_owned(),
            require_client_cert: false,
        });
        Env { dir, pki, broker }
    }

    fn stomp_tls(&self) -> u16 {
        self.broker.stomp_tls_port.unwrap()
    }

    fn amqp_tls(&self) -> u16 {
        self.broker.amqp_tls_port.unwrap()
    }

    /// Runs `<proto>:<trust>` in a child whose system roots are the test CA
    /// (`ca_file` is given to the consumer when `trust` is `ca-file`).
    fn run_child(&self, proto: Proto, trust: &str, ca_file: &Path) -> Result<(), Failed> {
        let out = Command::new(std::env::current_exe().unwrap())
            .env(CHILD, format!("{}:{trust}", proto.name()))
            .env(CHILD_STOMP_TLS, self.stomp_tls().to_string())
            .env(CHILD_AMQP_TLS, self.amqp_tls().to_string())
            .env(CHILD_CA_FILE, ca_file)
            .env("SSL_CERT_FILE", self.pki.ca_cert())
            .env("SSL_CERT_DIR", self.dir.path().join("empty-cert-dir"))
            .output()
            .unwrap();
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "child {}:{trust} failed: {}{}",
                proto.name(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
            .into())
        }
    }
}

/// The child: `system` expects the consumer (no `ca_file`) to connect
/// through the system roots; `ca-file` expects a consumer told to trust
/// only `$KOJI_BROKER_TEST_CA_FILE` (another CA) to refuse the broker.
fn child(case: &str) -> Result<(), Failed> {
    let (proto, trust) = case.split_once(':').unwrap();
    let proto = Proto::parse(proto);
    let port = |var: &str| std::env::var(var).unwrap().parse::<u16>().unwrap();
    let (stomp_tls, amqp_tls) = (port(CHILD_STOMP_TLS), port(CHILD_AMQP_TLS));
    match trust {
        "system" => expect_connected(&Target::tls(proto, stomp_tls, amqp_tls, TlsConfig::new())),
        "ca-file" => {
            let ca = PathBuf::from(std::env::var_os(CHILD_CA_FILE).unwrap());
            let target = Target::tls(proto, stomp_tls, amqp_tls, TlsConfig::new().ca_file(ca));
            expect_fatal(&target, FatalKind::UntrustedBroker)
        }
        other => panic!("unknown trust {other}"),
    }
}

/// One case, run with the shared broker.
type Case = Box<dyn FnOnce(&Env) -> Result<(), Failed> + Send>;

fn trials(env: Option<&Arc<Env>>) -> Vec<Trial> {
    let mut trials = Vec::new();
    let mut add = |name: String, test: Case| {
        let env = env.cloned();
        trials.push(Trial::test(name, move || match env {
            Some(env) => test(&env),
            None => Ok(()),
        }));
    };
    for proto in Proto::ALL {
        let p = proto.name();
        add(
            format!("{p}_ca_file_is_the_only_trust_even_for_a_ca_the_system_trusts"),
            Box::new(move |env| {
                // Control: the child's system roots hold the broker's CA.
                env.run_child(proto, "system", env.pki.unknown_ca_cert())?;
                env.run_child(proto, "ca-file", env.pki.unknown_ca_cert())
            }),
        );
        add(
            format!("{p}_untrusted_broker_certificate_stops_the_consumer"),
            Box::new(move |env| {
                let tls = TlsConfig::new().ca_file(env.pki.unknown_ca_cert());
                let target = Target::tls(proto, env.stomp_tls(), env.amqp_tls(), tls);
                expect_fatal(&target, FatalKind::UntrustedBroker)
            }),
        );
        add(
            format!("{p}_refused_client_certificate_stops_the_consumer"),
            Box::new(move |env| {
                let cert = env.pki.unknown_ca_client("mallory").unwrap();
                let tls = TlsConfig::new().ca_file(env.pki.ca_cert()).cert_file(cert);
                let target = Target::tls(proto, env.stomp_tls(), env.amqp_tls(), tls);
                expect_fatal(&target, FatalKind::CertificateRefused)
            }),
        );
        add(
            format!("{p}_client_certificate_from_the_brokers_ca_is_accepted"),
            Box::new(move |env| {
                let cert = env.pki.client("alice", KeyKind::RsaPkcs8).unwrap();
                let tls = TlsConfig::new().ca_file(env.pki.ca_cert()).cert_file(cert);
                expect_connected(&Target::tls(proto, env.stomp_tls(), env.amqp_tls(), tls))
            }),
        );
        add(
            format!("{p}_wrong_password_stops_the_consumer_without_retrying"),
            Box::new(move |env| {
                let target = Target {
                    password: "not-the-password",
                    ..Target::plain(proto, &env.broker)
                };
                expect_fatal(&target, FatalKind::Credentials)
            }),
        );
        let missing = match proto {
            Proto::Stomp => "/amq/queue/no-such-queue",
            Proto::Amqp => "no-such-exchange",
            Proto::Amqp1 => "/amq/queue/no-such-queue",
        };
        add(
            format!("{p}_missing_queue_or_exchange_stops_the_consumer"),
            Box::new(move |env| {
                let target = Target {
                    what: Some(missing),
                    ..Target::plain(proto, &env.broker)
                };
                expect_fatal(&target, FatalKind::NotFound)
            }),
        );
    }
    for proto in [Proto::Stomp, Proto::Amqp] {
        add(
            format!("{}_unknown_vhost_stops_the_consumer", proto.name()),
            Box::new(move |env| {
                let target = Target {
                    vhost: Some("no-such-vhost"),
                    ..Target::plain(proto, &env.broker)
                };
                expect_fatal(&target, FatalKind::AccessRefused)
            }),
        );
    }
    add(
        "stomp_without_vhost_gets_rabbitmqs_default_and_messages".into(),
        Box::new(|env| {
            let target = Target {
                vhost: None,
                ..Target::plain(Proto::Stomp, &env.broker)
            };
            let rt = runtime();
            let mut events = rt.block_on(async { target.start() });
            let python = koji_testenv::bus::venv_python();
            let port = env.broker.stomp_port.to_string();
            rt.block_on(async {
                let mut state = events.state();
                let got = tokio::time::timeout(GUARD, async {
                    for i in 0..200u32 {
                        if *state.borrow_and_update() == ConnectionState::Connected {
                            let probe = serde_json::json!({"destination": "/topic/koji.probe",
                                "headers": {"type": "Probe"},
                                "body": serde_json::json!({"probe": i}).to_string()});
                            tokio::task::block_in_place(|| {
                                koji_testenv::bus::publish(&python, "stomp", &port, &[probe]);
                            });
                        }
                        if let Ok(item) =
                            tokio::time::timeout(Duration::from_millis(500), events.next()).await
                        {
                            return item;
                        }
                    }
                    None
                })
                .await;
                match got {
                    Ok(Some(Ok(KojiEvent::Unknown(u)))) if u.meta.body.get("probe").is_some() => {
                        Ok(())
                    }
                    other => Err(format!("no probe: {other:?}").into()),
                }
            })
        }),
    );
    let has_env = env.is_some();
    trials.push(Trial::test(
        "broker_restart_shows_as_lost_then_reconnecting_then_connected",
        move || if has_env { restart_case() } else { Ok(()) },
    ));
    trials
}

/// A consumer whose broker dies goes Lost, then Reconnecting with growing
/// attempt numbers while the broker is down, then Connected again.
fn restart_case() -> Result<(), Failed> {
    let mut broker = RabbitMq::start();
    let rt = runtime();
    for proto in Proto::ALL {
        let target = Target {
            backoff: Backoff {
                initial: Duration::from_millis(100),
                max: Duration::from_millis(500),
                factor: 2.0,
            },
            ..Target::plain(proto, &broker)
        };
        let events = rt.block_on(async { target.start() });
        let mut state = events.state();
        // Keep the stream polled, as an application reading it would.
        let reader = rt.spawn(async move {
            futures_util::pin_mut!(events);
            while let Some(item) = events.next().await {
                if let Err(e) = item {
                    return Some(e);
                }
            }
            None
        });
        let wait = |state: &mut tokio::sync::watch::Receiver<ConnectionState>,
                    what: &str,
                    f: fn(&ConnectionState) -> bool|
         -> Result<(), Failed> {
            rt.block_on(async {
                tokio::time::timeout(GUARD, state.wait_for(f))
                    .await
                    .map(|_| ())
                    .map_err(|_| {
                        format!("{}: never {what}: {:?}", proto.name(), *state.borrow()).into()
                    })
            })
        };
        wait(&mut state, "connected", |s| {
            *s == ConnectionState::Connected
        })?;
        broker.kill();
        // At least two attempts made while the broker is down.
        wait(
            &mut state,
            "reconnecting",
            |s| matches!(s, ConnectionState::Reconnecting { attempt, .. } if *attempt >= 2),
        )?;
        broker.start_again();
        wait(&mut state, "connected again", |s| {
            *s == ConnectionState::Connected
        })?;
        reader.abort();
        if let Ok(Some(e)) = rt.block_on(reader) {
            return Err(format!("{}: the consumer stopped: {e}", proto.name()).into());
        }
    }
    Ok(())
}

fn main() {
    // RUST_LOG=koji_client=debug shows what the consumers do.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .try_init();
    if let Ok(case) = std::env::var(CHILD) {
        match child(&case) {
            Ok(()) => std::process::exit(0),
            Err(e) => {
                eprintln!("{}", e.message().unwrap_or("failed"));
                std::process::exit(1);
            }
        }
    }
    let args = Arguments::from_args();
    if args.list {
        libtest_mimic::run(&args, trials(None)).exit();
    }
    let env = Arc::new(Env::start());
    let conclusion = libtest_mimic::run(&args, trials(Some(&env)));
    drop(env);
    conclusion.exit();
}
