//! The components start, and Apache passes identities the way the hub
//! expects: checked with plain OpenSSL and kinit, independent of koji-client.
#![allow(clippy::unwrap_used)]

use std::net::TcpStream;
use std::path::Path;

use koji_testenv::apache::{Apache, ApacheConfig};
use koji_testenv::backend::EchoBackend;
use koji_testenv::http::{self, Response};
use koji_testenv::kdc::{DEFAULT_PASSWORD, Kdc};
use koji_testenv::pki::{KeyKind, Pki};
use openssl::ssl::{SslConnector, SslFiletype, SslMethod, SslVerifyMode};

fn connect(port: u16, ca: &Path, identity: Option<&Path>) -> openssl::ssl::SslStream<TcpStream> {
    let mut builder = SslConnector::builder(SslMethod::tls_client()).unwrap();
    builder.set_ca_file(ca).unwrap();
    builder.set_verify(SslVerifyMode::PEER);
    if let Some(identity) = identity {
        builder.set_certificate_chain_file(identity).unwrap();
        builder
            .set_private_key_file(identity, SslFiletype::PEM)
            .unwrap();
    }
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    builder.build().connect("localhost", tcp).unwrap()
}

fn post(
    port: u16,
    ca: &Path,
    identity: Option<&Path>,
    path: &str,
    headers: &[(&str, &str)],
) -> Response {
    let mut stream = connect(port, ca, identity);
    http::post(&mut stream, "localhost", path, headers, b"<methodCall/>").unwrap()
}

#[test]
fn apache_passes_the_certificate_identity_and_strips_forged_headers() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::generate(&tmp.path().join("pki")).unwrap();
    let backend = EchoBackend::start().unwrap();
    let apache = Apache::start(
        &tmp.path().join("apache"),
        &pki,
        &ApacheConfig::new(backend.url()),
    )
    .unwrap();
    let alice = pki.client("alice", KeyKind::RsaPkcs8).unwrap();

    // vhost A asks for the certificate during the handshake.
    let reply = post(
        apache.port_initial(),
        pki.ca_cert(),
        Some(&alice),
        "/kojihub/ssllogin",
        &[],
    );
    assert_eq!(
        reply.status,
        200,
        "{}\n{}",
        reply.text(),
        apache.error_log_tail()
    );
    let seen = reply.text();
    assert!(seen.starts_with("POST /kojihub/ssllogin "), "{seen}");
    assert!(seen.contains("X-Koji-SSL-Client-Verify: SUCCESS"), "{seen}");
    assert!(seen.contains("X-Koji-SSL-Client-S-DN-CN: alice"), "{seen}");
    assert!(
        seen.contains("X-Koji-SSL-Client-S-DN: CN=alice,OU=users,O=Koji testenv,ST=Test,C=US"),
        "{seen}"
    );
    assert!(!seen.contains("X-Koji-Remote-User"), "{seen}");

    // Outside /ssllogin no identity is passed, and forged headers vanish.
    let forged = [
        ("X-Koji-Remote-User", "admin@KOJI.TEST"),
        ("X-Koji-SSL-Client-Verify", "SUCCESS"),
        ("X-Koji-SSL-Client-S-DN-CN", "admin"),
    ];
    let reply = post(
        apache.port_initial(),
        pki.ca_cert(),
        None,
        "/kojihub",
        &forged,
    );
    assert_eq!(reply.status, 200);
    assert!(!reply.text().contains("X-Koji-"), "{}", reply.text());

    // On /ssllogin without a certificate (no Kerberos configured): 403.
    let reply = post(
        apache.port_initial(),
        pki.ca_cert(),
        None,
        "/kojihub/ssllogin",
        &forged,
    );
    assert_eq!(reply.status, 403, "{}", reply.text());

    // The stock vhost needs no certificate outside /ssllogin.
    let reply = post(
        apache.port_stock(),
        pki.ca_cert(),
        None,
        "/kojihub",
        &forged,
    );
    assert_eq!(reply.status, 200);
    assert!(!reply.text().contains("X-Koji-"), "{}", reply.text());
}

#[test]
fn kdc_issues_tickets_and_apache_accepts_kerberos_on_ssllogin() {
    let tmp = tempfile::tempdir().unwrap();
    let kdc = Kdc::start(&tmp.path().join("kdc"), "KOJI.TEST").unwrap();
    kdc.add_user("alice", DEFAULT_PASSWORD).unwrap();
    let service_keytab = tmp.path().join("kdc").join("http.keytab");
    kdc.add_service("HTTP/localhost", &service_keytab).unwrap();
    let client_keytab = tmp.path().join("kdc").join("alice.keytab");
    kdc.export_keytab("alice", &client_keytab).unwrap();

    let ccache = tmp.path().join("alice.ccache");
    kdc.kinit_password("alice", DEFAULT_PASSWORD, &ccache, None)
        .unwrap();
    assert!(ccache.exists());
    let ccache2 = tmp.path().join("alice-kt.ccache");
    kdc.kinit_keytab("alice@KOJI.TEST", &client_keytab, &ccache2)
        .unwrap();
    let err = kdc
        .kinit_password("alice", "wrong", &tmp.path().join("x.ccache"), None)
        .unwrap_err();
    assert!(err.to_string().contains("kinit alice failed"), "{err}");

    // Apache with Kerberos: no credentials at all -> 401 Negotiate.
    let pki = Pki::generate(&tmp.path().join("pki")).unwrap();
    let backend = EchoBackend::start().unwrap();
    let mut config = ApacheConfig::new(backend.url());
    config.service_keytab = Some(service_keytab);
    config.krb5_conf = Some(kdc.krb5_conf().to_owned());
    let apache = Apache::start(&tmp.path().join("apache"), &pki, &config).unwrap();
    let reply = post(
        apache.port_initial(),
        pki.ca_cert(),
        None,
        "/kojihub/ssllogin",
        &[],
    );
    assert_eq!(reply.status, 401, "{}", apache.error_log_tail());
    assert_eq!(reply.header("WWW-Authenticate"), Some("Negotiate"));
    // A garbage token is refused too.
    let reply = post(
        apache.port_initial(),
        pki.ca_cert(),
        None,
        "/kojihub/ssllogin",
        &[("Authorization", "Negotiate Z2FyYmFnZQ==")],
    );
    assert_eq!(reply.status, 401);
    // A certificate is still accepted on the same location.
    let alice = pki.client("alice", KeyKind::Ec).unwrap();
    let reply = post(
        apache.port_initial(),
        pki.ca_cert(),
        Some(&alice),
        "/kojihub/ssllogin",
        &[],
    );
    assert_eq!(reply.status, 200, "{}", apache.error_log_tail());
    assert!(reply.text().contains("X-Koji-SSL-Client-S-DN-CN: alice"));
}
