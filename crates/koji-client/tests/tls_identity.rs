//! Client certificates from koji's one-file PEM identities, presented by the
//! connector from `koji_client::auth::ssl`, against a real Apache configured
//! like Koji's (certificate requested in the initial handshake on one vhost,
//! only inside `<Location /kojihub/ssllogin>` on the other), over TLS 1.3
//! (post-handshake authentication) and TLS 1.2 (renegotiation).
#![allow(clippy::unwrap_used)]

use std::io::ErrorKind;
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

use koji_client::auth::ssl::{
    ClientIdentity, IdentityError, TlsFailure, TlsSettings, TlsVersion, classify_tls_failure,
    connector,
};
use koji_testenv::apache::{Apache, ApacheConfig};
use koji_testenv::backend::EchoBackend;
use koji_testenv::pki::{KeyKind, Pki};

struct Env {
    _dir: tempfile::TempDir,
    pki: Pki,
    apache: Apache,
    _backend: EchoBackend,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::generate(&dir.path().join("pki")).unwrap();
    let backend = EchoBackend::start().unwrap();
    let apache = Apache::start(
        &dir.path().join("apache"),
        &pki,
        &ApacheConfig::new(backend.url()),
    )
    .unwrap();
    Env {
        _dir: dir,
        pki,
        apache,
        _backend: backend,
    }
}

/// What happened to one POST to /kojihub/ssllogin.
#[derive(Debug)]
enum Outcome {
    Http(u16, String),
    Tls(TlsFailure),
}

fn post_ssllogin(
    port: u16,
    server_ca: &Path,
    identity: Option<&Path>,
    version: TlsVersion,
) -> Outcome {
    let identity = identity.map(|p| Arc::new(ClientIdentity::from_pem_file(p).unwrap()));
    let settings = TlsSettings {
        server_ca: Some(server_ca.to_owned()),
        identity,
        max_version: Some(version),
    };
    let connector = connector(&settings).unwrap();
    let ssl = connector
        .configure()
        .unwrap()
        .into_ssl("localhost")
        .unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut stream = openssl::ssl::SslStream::new(ssl, tcp).unwrap();
    if let Err(e) = stream.connect() {
        let verify = stream.ssl().verify_result();
        return Outcome::Tls(classify_tls_failure(&e, Some(verify)));
    }
    let body = b"<?xml version='1.0'?>\n<methodCall><methodName>sslLogin</methodName></methodCall>";
    let head = format!(
        "POST /kojihub/ssllogin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    let mut written = 0;
    while written < request.len() {
        match stream.ssl_write(&request[written..]) {
            Ok(n) => written += n,
            Err(e) => return Outcome::Tls(classify_tls_failure(&e, None)),
        }
    }
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.ssl_read(&mut buf) {
            Ok(0) => break,
            Ok(n) => response.extend_from_slice(&buf[..n]),
            Err(e) if e.code() == openssl::ssl::ErrorCode::ZERO_RETURN => break,
            Err(e)
                if response.is_empty()
                    || e.io_error().map(|io| io.kind()) != Some(ErrorKind::UnexpectedEof) =>
            {
                if response.is_empty() {
                    return Outcome::Tls(classify_tls_failure(&e, None));
                }
                break;
            }
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Outcome::Http(status, text)
}

fn assert_logged_in_as(outcome: Outcome, cn: &str, context: &str, apache: &Apache) {
    match outcome {
        Outcome::Http(200, text) => {
            assert!(
                text.contains(&format!("X-Koji-SSL-Client-S-DN-CN: {cn}\n")),
                "{context}: {text}"
            );
            assert!(
                text.contains("X-Koji-SSL-Client-Verify: SUCCESS\n"),
                "{context}: {text}"
            );
        }
        other => panic!("{context}: {other:?}\nApache: {}", apache.error_log_tail()),
    }
}

#[test]
fn certificate_login_works_on_both_vhosts_with_every_key_kind_over_tls13_and_tls12() {
    let env = env();
    for kind in [KeyKind::RsaPkcs1, KeyKind::RsaPkcs8, KeyKind::Ec] {
        let cert = env.pki.client("alice", kind).unwrap();
        for (vhost, port) in [
            ("initial-handshake", env.apache.port_initial()),
            ("stock per-location", env.apache.port_stock()),
        ] {
            for version in [TlsVersion::Tls13, TlsVersion::Tls12] {
                let outcome = post_ssllogin(port, env.pki.ca_cert(), Some(&cert), version);
                assert_logged_in_as(
                    outcome,
                    "alice",
                    &format!("{kind:?} on the {vhost} vhost over {version:?}"),
                    &env.apache,
                );
            }
        }
    }
}

#[test]
fn without_post_handshake_auth_the_stock_vhost_refuses() {
    // The control experiment: the same certificate on a connector without
    // post-handshake authentication gets 403 on TLS 1.3, as a real Apache
    // answers (realhub exchange 280).
    let env = env();
    let cert = env.pki.client("alice", KeyKind::RsaPkcs8).unwrap();
    let mut builder =
        openssl::ssl::SslConnector::builder(openssl::ssl::SslMethod::tls_client()).unwrap();
    builder.set_ca_file(env.pki.ca_cert()).unwrap();
    builder.set_certificate_chain_file(&cert).unwrap();
    builder
        .set_private_key_file(&cert, openssl::ssl::SslFiletype::PEM)
        .unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", env.apache.port_stock())).unwrap();
    let mut stream = builder.build().connect("localhost", tcp).unwrap();
    let reply =
        koji_testenv::http::post(&mut stream, "localhost", "/kojihub/ssllogin", &[], b"x").unwrap();
    assert_eq!(reply.status, 403);
}

#[test]
fn an_untrusted_server_certificate_is_reported_as_such() {
    let env = env();
    let cert = env.pki.client("alice", KeyKind::RsaPkcs8).unwrap();
    for port in [env.apache.port_initial(), env.apache.port_stock()] {
        let outcome = post_ssllogin(
            port,
            env.pki.unknown_ca_cert(),
            Some(&cert),
            TlsVersion::Tls13,
        );
        match outcome {
            Outcome::Tls(TlsFailure::ServerCertificateUntrusted { reason }) => {
                // Apache sends the CA with its certificate, so OpenSSL
                // reports a self-signed certificate in the chain.
                assert!(reason.contains("certificate"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_client_certificate_from_an_unknown_ca_is_refused() {
    let env = env();
    let cert = env.pki.unknown_ca_client("alice").unwrap();
    for version in [TlsVersion::Tls13, TlsVersion::Tls12] {
        let outcome = post_ssllogin(
            env.apache.port_initial(),
            env.pki.ca_cert(),
            Some(&cert),
            version,
        );
        assert!(
            matches!(
                outcome,
                Outcome::Tls(TlsFailure::ClientCertificateUnknownCa)
            ),
            "initial-handshake vhost, {version:?}: {outcome:?}"
        );
        // The stock vhost checks it after the handshake (post-handshake
        // authentication or renegotiation) and ends with the same alert.
        let outcome = post_ssllogin(
            env.apache.port_stock(),
            env.pki.ca_cert(),
            Some(&cert),
            version,
        );
        assert!(
            matches!(
                outcome,
                Outcome::Tls(TlsFailure::ClientCertificateUnknownCa)
            ),
            "stock vhost, {version:?}: {outcome:?}"
        );
    }
}

#[test]
fn an_expired_client_certificate_is_refused() {
    let env = env();
    let cert = env.pki.expired_client("alice").unwrap();
    for version in [TlsVersion::Tls13, TlsVersion::Tls12] {
        let outcome = post_ssllogin(
            env.apache.port_initial(),
            env.pki.ca_cert(),
            Some(&cert),
            version,
        );
        assert!(
            matches!(outcome, Outcome::Tls(TlsFailure::ClientCertificateExpired)),
            "initial-handshake vhost, {version:?}: {outcome:?}"
        );
        let outcome = post_ssllogin(
            env.apache.port_stock(),
            env.pki.ca_cert(),
            Some(&cert),
            version,
        );
        assert!(
            matches!(outcome, Outcome::Tls(TlsFailure::ClientCertificateExpired)),
            "stock vhost, {version:?}: {outcome:?}"
        );
    }
}

#[test]
fn broken_identity_files_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::generate(dir.path()).unwrap();

    let mismatched = pki.mismatched_client("alice").unwrap();
    let err = ClientIdentity::from_pem_file(&mismatched).unwrap_err();
    assert!(matches!(err, IdentityError::KeyMismatch { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("does not match"), "{text}");
    assert!(text.contains("CN=alice"), "{text}");
    assert!(!text.contains("PRIVATE KEY"), "{text}");

    let missing = dir.path().join("no-such-cert.pem");
    let err = ClientIdentity::from_pem_file(&missing).unwrap_err();
    assert!(matches!(err, IdentityError::Unreadable { .. }), "{err:?}");
    assert!(err.to_string().contains("no-such-cert.pem"), "{err}");

    let err = ClientIdentity::from_pem_file(pki.ca_cert()).unwrap_err();
    assert!(matches!(err, IdentityError::NoPrivateKey { .. }), "{err:?}");

    let err = ClientIdentity::from_pem_file(pki.server_key()).unwrap_err();
    assert!(
        matches!(err, IdentityError::NoCertificate { .. }),
        "{err:?}"
    );

    let good = pki.client("carol", KeyKind::Ec).unwrap();
    let identity = ClientIdentity::from_pem_file(&good).unwrap();
    assert_eq!(identity.common_name().as_deref(), Some("carol"));
    assert_eq!(
        identity.subject(),
        "CN=carol,OU=users,O=Koji testenv,ST=Test,C=US"
    );
    let debug = format!("{identity:?}");
    assert!(
        debug.contains("<redacted>") && !debug.contains("PRIVATE"),
        "{debug}"
    );
}

#[test]
fn no_client_certificate_on_the_stock_vhost_is_certificate_required() {
    let env = env();
    for version in [TlsVersion::Tls13, TlsVersion::Tls12] {
        let outcome = post_ssllogin(env.apache.port_stock(), env.pki.ca_cert(), None, version);
        assert!(
            matches!(outcome, Outcome::Tls(TlsFailure::ClientCertificateRequired)),
            "{version:?}: {outcome:?}"
        );
    }
}

#[test]
fn an_encrypted_private_key_is_refused_without_prompting() {
    use openssl::pkey::PKey;
    use openssl::rsa::Rsa;
    use openssl::symm::Cipher;
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::generate(dir.path()).unwrap();
    let plain = std::fs::read_to_string(pki.client("dave", KeyKind::RsaPkcs8).unwrap()).unwrap();
    let cert_part = &plain[..plain.find("-----BEGIN PRIVATE KEY-----").unwrap()];
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let encrypted = key
        .private_key_to_pem_pkcs8_passphrase(Cipher::aes_256_cbc(), b"secret")
        .unwrap();
    let path = dir.path().join("encrypted.pem");
    std::fs::write(&path, [cert_part.as_bytes(), &encrypted].concat()).unwrap();
    let err = ClientIdentity::from_pem_file(&path).unwrap_err();
    assert!(matches!(err, IdentityError::EncryptedKey { .. }), "{err:?}");
    assert!(err.to_string().contains("encrypted"), "{err}");
}
