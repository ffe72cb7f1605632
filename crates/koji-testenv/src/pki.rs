//! A throw-away PKI made at set-up time: a CA, a server certificate for
//! `localhost` and client certificates in the one-PEM-file form koji's `cert`
//! option uses (certificate followed by the private key).

use std::path::{Path, PathBuf};

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
    SubjectKeyIdentifier,
};
use openssl::x509::{X509, X509Name, X509NameBuilder};

use crate::{Error, Result, write_file};

/// How a client certificate's private key is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// RSA, `-----BEGIN RSA PRIVATE KEY-----` (PKCS#1).
    RsaPkcs1,
    /// RSA, `-----BEGIN PRIVATE KEY-----` (PKCS#8).
    RsaPkcs8,
    /// EC P-256, `-----BEGIN EC PRIVATE KEY-----` (SEC 1).
    Ec,
}

impl KeyKind {
    fn suffix(self) -> &'static str {
        match self {
            KeyKind::RsaPkcs1 => "rsa-pkcs1",
            KeyKind::RsaPkcs8 => "rsa-pkcs8",
            KeyKind::Ec => "ec",
        }
    }
}

/// Organization written into every subject, so DNs look like the ones a
/// real Koji deployment sees (`CN=alice,OU=users,O=Koji testenv,ST=Test,C=US`).
const ORGANIZATION: &str = "Koji testenv";

struct Authority {
    cert: X509,
    key: PKey<Private>,
}

/// The CA, server and client certificates, as files in a directory.
pub struct Pki {
    dir: PathBuf,
    ca: Authority,
    unknown_ca: Authority,
    ca_cert: PathBuf,
    unknown_ca_cert: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pki").field("dir", &self.dir).finish()
    }
}

impl Pki {
    /// Makes the CA, a second CA nobody trusts, and a server certificate for
    /// `localhost` (also valid for 127.0.0.1 and ::1) under `dir`.
    pub fn generate(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        let ca = make_ca("Koji testenv CA")?;
        let unknown_ca = make_ca("Unknown CA")?;
        let ca_cert = dir.join("ca.crt");
        let unknown_ca_cert = dir.join("unknown-ca.crt");
        write_file(&ca_cert, pem_cert(&ca.cert)?)?;
        write_file(&unknown_ca_cert, pem_cert(&unknown_ca.cert)?)?;

        let server_key = rsa_key()?;
        let server = issue(
            &ca,
            &server_key,
            "localhost",
            Validity::Current,
            Usage::Server,
        )?;
        let server_cert_path = dir.join("server.crt");
        let server_key_path = dir.join("server.key");
        write_file(&server_cert_path, pem_cert(&server)?)?;
        write_file(
            &server_key_path,
            server_key
                .private_key_to_pem_pkcs8()
                .map_err(|e| Error::ssl("writing the server key", e))?,
        )?;
        Ok(Self {
            dir: dir.to_owned(),
            ca,
            unknown_ca,
            ca_cert,
            unknown_ca_cert,
            server_cert: server_cert_path,
            server_key: server_key_path,
        })
    }

    /// The CA certificate that signed the server and client certificates
    /// (a profile's `serverca`, Apache's `SSLCACertificateFile`).
    pub fn ca_cert(&self) -> &Path {
        &self.ca_cert
    }

    /// A CA certificate that signed nothing the servers use: as `serverca` it
    /// makes the server certificate untrusted.
    pub fn unknown_ca_cert(&self) -> &Path {
        &self.unknown_ca_cert
    }

    /// The server certificate (`CN=localhost`).
    pub fn server_cert(&self) -> &Path {
        &self.server_cert
    }

    /// The server certificate's private key.
    pub fn server_key(&self) -> &Path {
        &self.server_key
    }

    /// A valid client certificate for user `cn`, written with its key as one
    /// PEM file; returns the file's path.
    pub fn client(&self, cn: &str, kind: KeyKind) -> Result<PathBuf> {
        let key = key_of_kind(kind)?;
        let cert = issue(&self.ca, &key, cn, Validity::Current, Usage::Client)?;
        self.write_identity(&format!("{cn}-{}", kind.suffix()), &cert, &key, kind)
    }

    /// A client certificate for `cn` that expired yesterday.
    pub fn expired_client(&self, cn: &str) -> Result<PathBuf> {
        let key = rsa_key()?;
        let cert = issue(&self.ca, &key, cn, Validity::Expired, Usage::Client)?;
        self.write_identity(&format!("{cn}-expired"), &cert, &key, KeyKind::RsaPkcs8)
    }

    /// A client certificate for `cn` signed by a CA the server does not trust.
    pub fn unknown_ca_client(&self, cn: &str) -> Result<PathBuf> {
        let key = rsa_key()?;
        let cert = issue(&self.unknown_ca, &key, cn, Validity::Current, Usage::Client)?;
        self.write_identity(&format!("{cn}-unknown-ca"), &cert, &key, KeyKind::RsaPkcs8)
    }

    /// A valid client certificate for `cn` stored with a private key that
    /// belongs to another certificate.
    pub fn mismatched_client(&self, cn: &str) -> Result<PathBuf> {
        let key = rsa_key()?;
        let cert = issue(&self.ca, &key, cn, Validity::Current, Usage::Client)?;
        let other_key = rsa_key()?;
        self.write_identity(
            &format!("{cn}-mismatched"),
            &cert,
            &other_key,
            KeyKind::RsaPkcs8,
        )
    }

    fn write_identity(
        &self,
        stem: &str,
        cert: &X509,
        key: &PKey<Private>,
        kind: KeyKind,
    ) -> Result<PathBuf> {
        let mut pem = pem_cert(cert)?;
        let key_pem = match kind {
            KeyKind::RsaPkcs1 => key
                .rsa()
                .and_then(|rsa| rsa.private_key_to_pem())
                .map_err(|e| Error::ssl("writing a PKCS#1 key", e))?,
            KeyKind::RsaPkcs8 => key
                .private_key_to_pem_pkcs8()
                .map_err(|e| Error::ssl("writing a PKCS#8 key", e))?,
            KeyKind::Ec => key
                .ec_key()
                .and_then(|ec| ec.private_key_to_pem())
                .map_err(|e| Error::ssl("writing an EC key", e))?,
        };
        pem.extend_from_slice(&key_pem);
        let path = self.dir.join(format!("{stem}.pem"));
        write_file(&path, pem)?;
        Ok(path)
    }
}

#[derive(Clone, Copy)]
enum Validity {
    Current,
    Expired,
}

#[derive(Clone, Copy)]
enum Usage {
    Ca,
    Server,
    Client,
}

fn rsa_key() -> Result<PKey<Private>> {
    Rsa::generate(2048)
        .and_then(PKey::from_rsa)
        .map_err(|e| Error::ssl("generating an RSA key", e))
}

fn key_of_kind(kind: KeyKind) -> Result<PKey<Private>> {
    match kind {
        KeyKind::RsaPkcs1 | KeyKind::RsaPkcs8 => rsa_key(),
        KeyKind::Ec => EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)
            .and_then(|group| EcKey::generate(&group))
            .and_then(PKey::from_ec_key)
            .map_err(|e| Error::ssl("generating an EC key", e)),
    }
}

fn pem_cert(cert: &X509) -> Result<Vec<u8>> {
    cert.to_pem()
        .map_err(|e| Error::ssl("writing a certificate", e))
}

fn subject(cn: &str, ou: &str) -> Result<X509Name> {
    let build = || -> std::result::Result<X509Name, openssl::error::ErrorStack> {
        let mut name = X509NameBuilder::new()?;
        name.append_entry_by_nid(Nid::COUNTRYNAME, "US")?;
        name.append_entry_by_nid(Nid::STATEORPROVINCENAME, "Test")?;
        name.append_entry_by_nid(Nid::ORGANIZATIONNAME, ORGANIZATION)?;
        name.append_entry_by_nid(Nid::ORGANIZATIONALUNITNAME, ou)?;
        name.append_entry_by_nid(Nid::COMMONNAME, cn)?;
        Ok(name.build())
    };
    build().map_err(|e| Error::ssl(format!("building the subject CN={cn}"), e))
}

fn serial() -> std::result::Result<Asn1Integer, openssl::error::ErrorStack> {
    let mut bn = BigNum::new()?;
    bn.rand(127, MsbOption::MAYBE_ZERO, false)?;
    bn.to_asn1_integer()
}

fn make_ca(cn: &str) -> Result<Authority> {
    let key = rsa_key()?;
    let name = subject(cn, "ca")?;
    let cert = build_cert(&name, &key, &name, &key, None, Validity::Current, Usage::Ca)
        .map_err(|e| Error::ssl(format!("making the CA {cn}"), e))?;
    Ok(Authority { cert, key })
}

fn issue(
    ca: &Authority,
    key: &PKey<Private>,
    cn: &str,
    validity: Validity,
    usage: Usage,
) -> Result<X509> {
    let ou = match usage {
        Usage::Client => "users",
        _ => "servers",
    };
    let name = subject(cn, ou)?;
    build_cert(
        &name,
        key,
        ca.cert.subject_name(),
        &ca.key,
        Some(&ca.cert),
        validity,
        usage,
    )
    .map_err(|e| Error::ssl(format!("issuing the certificate CN={cn}"), e))
}

#[allow(clippy::too_many_arguments)]
fn build_cert(
    subject: &openssl::x509::X509NameRef,
    key: &PKey<Private>,
    issuer: &openssl::x509::X509NameRef,
    issuer_key: &PKey<Private>,
    issuer_cert: Option<&X509>,
    validity: Validity,
    usage: Usage,
) -> std::result::Result<X509, openssl::error::ErrorStack> {
    let mut builder = X509::builder()?;
    builder.set_version(2)?;
    let serial = serial()?;
    builder.set_serial_number(&serial)?;
    builder.set_subject_name(subject)?;
    builder.set_issuer_name(issuer)?;
    builder.set_pubkey(key)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let day = 86_400;
    let (not_before, not_after) = match validity {
        Validity::Current => (now - day, now + 30 * day),
        Validity::Expired => (now - 3 * day, now - day),
    };
    let not_before = Asn1Time::from_unix(not_before)?;
    let not_after = Asn1Time::from_unix(not_after)?;
    builder.set_not_before(&not_before)?;
    builder.set_not_after(&not_after)?;

    let context = builder.x509v3_context(issuer_cert.map(|c| c.as_ref()), None);
    let ski = SubjectKeyIdentifier::new().build(&context)?;
    let aki = match issuer_cert {
        Some(_) => Some(AuthorityKeyIdentifier::new().keyid(true).build(&context)?),
        None => None,
    };
    let san = match usage {
        Usage::Server => Some(
            SubjectAlternativeName::new()
                .dns("localhost")
                .ip("127.0.0.1")
                .ip("::1")
                .build(&context)?,
        ),
        _ => None,
    };
    builder.append_extension(ski)?;
    if let Some(aki) = aki {
        builder.append_extension(aki)?;
    }
    match usage {
        Usage::Ca => {
            builder.append_extension(BasicConstraints::new().critical().ca().build()?)?;
            builder.append_extension(
                KeyUsage::new()
                    .critical()
                    .key_cert_sign()
                    .crl_sign()
                    .build()?,
            )?;
        }
        Usage::Server => {
            builder.append_extension(BasicConstraints::new().build()?)?;
            builder.append_extension(
                KeyUsage::new()
                    .critical()
                    .digital_signature()
                    .key_encipherment()
                    .build()?,
            )?;
            builder.append_extension(ExtendedKeyUsage::new().server_auth().build()?)?;
        }
        Usage::Client => {
            builder.append_extension(BasicConstraints::new().build()?)?;
            builder.append_extension(
                KeyUsage::new()
                    .critical()
                    .digital_signature()
                    .key_encipherment()
                    .build()?,
            )?;
            builder.append_extension(ExtendedKeyUsage::new().client_auth().build()?)?;
        }
    }
    if let Some(san) = san {
        builder.append_extension(san)?;
    }
    builder.sign(issuer_key, MessageDigest::sha256())?;
    Ok(builder.build())
}
