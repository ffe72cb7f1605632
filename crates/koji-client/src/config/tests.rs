//! Tests of the rules `Config` and `Profile` follow, on config trees in
//! temporary directories (never the real `/etc` or `$HOME`).

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;

/// A config tree in a temporary directory: `etc/koji.conf.d`,
/// `etc/koji.conf` and `home/`.
struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new() -> Self {
        Tree {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn home(&self) -> PathBuf {
        self.root().join("home")
    }

    fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.root().join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path
    }

    fn sources(&self) -> ConfigSources {
        ConfigSources::new(
            self.root().join("etc/koji.conf.d"),
            self.root().join("etc/koji.conf"),
            Some(self.home()),
        )
    }

    fn load(&self) -> Config {
        Config::load(&self.sources()).unwrap()
    }
}

#[test]
fn later_files_override_earlier_ones_option_by_option() {
    let tree = Tree::new();
    tree.write(
        "etc/koji.conf.d/a.conf",
        "[hub]\nserver = s1\nweburl = w1\ntopurl = t1\nprincipal = p1\nkeytab = k1\n",
    );
    tree.write("etc/koji.conf.d/b.conf", "[hub]\nserver = s2\n");
    tree.write("etc/koji.conf", "[hub]\nweburl = w3\n");
    tree.write("home/.koji/config.d/x.conf", "[hub]\ntopurl = t4\n");
    tree.write("home/.koji/config", "[hub]\nprincipal = p5\n");
    let config = tree.load();
    let hub = config.profile("hub").unwrap();
    assert_eq!(hub.server(), "s2");
    assert_eq!(hub.weburl(), "w3");
    assert_eq!(hub.topurl(), Some("t4"));
    assert_eq!(hub.principal(), Some("p5"));
    assert_eq!(hub.keytab(), Some("k1"));
    assert_eq!(config.files().len(), 5);
    let ProfileOrigin::Files(files) = hub.origin() else {
        panic!("not from files: {:?}", hub.origin());
    };
    assert_eq!(files.len(), 5);
    assert_eq!(files[0], tree.root().join("etc/koji.conf.d/a.conf"));
    assert_eq!(files[4], tree.home().join(".koji/config"));
}

#[test]
fn explicit_config_replaces_the_user_files() {
    let tree = Tree::new();
    tree.write("etc/koji.conf", "[hub]\nserver = system\nweburl = system\n");
    tree.write("home/.koji/config", "[hub]\nserver = user\n");
    let explicit = tree.write("elsewhere/koji.conf", "[hub]\nweburl = explicit\n");
    let config = Config::load(&tree.sources().with_user_config(&explicit)).unwrap();
    let hub = config.profile("hub").unwrap();
    assert_eq!(hub.server(), "system");
    assert_eq!(hub.weburl(), "explicit");

    let missing = tree
        .sources()
        .with_user_config(tree.root().join("nope.conf"));
    assert!(matches!(
        Config::load(&missing),
        Err(ConfigError::ExplicitConfigMissing { .. })
    ));
}

#[test]
fn default_section_is_inherited_and_overridden() {
    let tree = Tree::new();
    tree.write(
        "etc/koji.conf",
        "[DEFAULT]\nhost = koji.example.com\nserver = https://%(host)s/kojihub\nweburl = https://%(site)s/koji\n\
         [a]\nsite = a.example.com\n\
         [b]\nsite = b.example.com\nserver = https://b/kojihub\n",
    );
    let config = tree.load();
    let a = config.profile("a").unwrap();
    assert_eq!(a.server(), "https://koji.example.com/kojihub");
    // A DEFAULT value may refer to an option set only in the profile.
    assert_eq!(a.weburl(), "https://a.example.com/koji");
    let b = config.profile("b").unwrap();
    assert_eq!(b.server(), "https://b/kojihub");
    assert_eq!(b.weburl(), "https://b.example.com/koji");
    assert_eq!(config.profile_names(), ["a", "b", "fedora"]);
    assert!(matches!(
        config.profile("DEFAULT"),
        Err(ConfigError::ProfileNotFound { .. })
    ));
}

#[test]
fn interpolation_within_a_profile() {
    let tree = Tree::new();
    tree.write(
        "etc/koji.conf",
        "[p]\nbase = https://h\nserver = %(BASE)s/kojihub\nweburl = %(base)s/koji?x=100%%\n",
    );
    let p = tree.load().profile("p").unwrap();
    assert_eq!(p.server(), "https://h/kojihub");
    assert_eq!(p.weburl(), "https://h/koji?x=100%");
    assert_eq!(p.get("base"), Some("https://h"));
}

fn interpolation_error(text: &str) -> (String, String, PathBuf, InterpolationErrorKind) {
    let tree = Tree::new();
    tree.write("etc/koji.conf", text);
    match tree.load().profile("p") {
        Err(ConfigError::Interpolation {
            section,
            option,
            file,
            kind,
            ..
        }) => (section, option, file, kind),
        other => panic!("expected an interpolation error, got {other:?}"),
    }
}

#[test]
fn broken_interpolation_is_an_error_naming_where() {
    let (section, option, file, kind) = interpolation_error("[p]\nserver = %(nothere)s/kojihub\n");
    assert_eq!((section.as_str(), option.as_str()), ("p", "server"));
    assert!(file.ends_with("etc/koji.conf"));
    assert_eq!(
        kind,
        InterpolationErrorKind::MissingReference {
            reference: "nothere".into()
        }
    );
    let (_, option, _, kind) = interpolation_error("[p]\na = %(b)s\nb = %(a)s\n");
    assert_eq!(option, "a");
    assert_eq!(kind, InterpolationErrorKind::DepthExceeded);
    let (_, _, _, kind) = interpolation_error("[p]\nweburl = https://h/koji?x=100%\n");
    assert_eq!(kind, InterpolationErrorKind::BadSyntax);
    // Unknown options are expanded too, as koji does, so they fail too.
    let (section, option, _, _) = interpolation_error("[DEFAULT]\nnote = 5%\n[p]\n");
    assert_eq!((section.as_str(), option.as_str()), ("DEFAULT", "note"));
}

#[test]
fn only_the_selected_profile_is_checked() {
    let tree = Tree::new();
    tree.write(
        "etc/koji.conf",
        "[good]\nserver = https://good/kojihub\n[badint]\ntimeout = later\n[badref]\nserver = %(x)s\n",
    );
    let config = tree.load();
    assert_eq!(
        config.profile("good").unwrap().server(),
        "https://good/kojihub"
    );
    assert!(config.profile("badint").is_err());
    assert!(config.profile("badref").is_err());
}

#[test]
fn koji_defaults() {
    let tree = Tree::new();
    tree.write("etc/koji.conf", "[empty]\n");
    let p = tree.load().profile("empty").unwrap();
    assert_eq!(p.server(), "http://localhost/kojihub");
    assert_eq!(p.weburl(), "http://localhost/koji");
    assert_eq!(p.topurl(), None);
    assert_eq!(p.pkgurl(), None);
    assert_eq!(p.topdir(), Path::new("/mnt/koji"));
    assert_eq!(p.max_retries(), 30);
    assert_eq!(p.retry_interval_secs(), 20);
    assert_eq!(p.retry_interval(), Duration::from_secs(20));
    assert!(p.anon_retry());
    assert!(!p.offline_retry());
    assert_eq!(p.offline_retry_interval_secs(), 20);
    assert_eq!(p.timeout_secs(), 43200);
    assert_eq!(p.auth_timeout_secs(), 60);
    assert!(p.use_fast_upload());
    assert_eq!(p.upload_blocksize(), 1_048_576);
    assert_eq!(p.poll_interval_secs(), 6);
    assert_eq!(p.principal(), None);
    assert_eq!(p.keytab(), None);
    assert_eq!(p.cert(), None);
    assert_eq!(p.serverca(), None);
    assert!(!p.no_ssl_verify());
    assert_eq!(p.authtype(), None);
    assert!(!p.debug());
    assert!(!p.debug_xmlrpc());
    assert_eq!(p.pyver(), None);
    assert!(p.plugin_paths().is_empty());
    assert!(!p.force_auth());
    assert_eq!(p.options().count(), 0);
}

#[test]
fn typed_values() {
    let tree = Tree::new();
    tree.write(
        "etc/koji.conf",
        "[p]\nMAX_RETRIES = -1\nretry_interval = 1_0\nanon_retry = OFF\noffline_retry = Yes\n\
         offline_retry_interval = +5\ntimeout =\n  30\nauth_timeout = 0\nuse_fast_upload = 0\n\
         upload_blocksize = 4096\npoll_interval = -3\ndebug = on\ndebug_xmlrpc = TRUE\npyver = 3\n\
         force_auth = 1\nauthtype = noauth\nplugin_paths = ~/plugins::/opt/p\n",
    );
    let p = tree.load().profile("p").unwrap();
    assert_eq!(p.max_retries(), -1);
    assert_eq!(p.retry_interval_secs(), 10);
    assert!(!p.anon_retry());
    assert!(p.offline_retry());
    assert_eq!(p.offline_retry_interval_secs(), 5);
    // A continuation line makes the value "\n30"; Python's int() strips it.
    assert_eq!(p.get("timeout"), Some("\n30"));
    assert_eq!(p.timeout(), Duration::from_secs(30));
    assert_eq!(p.auth_timeout(), Duration::ZERO);
    assert!(!p.use_fast_upload());
    assert_eq!(p.upload_blocksize(), 4096);
    assert_eq!(p.poll_interval_secs(), -3);
    assert_eq!(p.poll_interval(), Duration::ZERO);
    assert!(p.debug());
    assert!(p.debug_xmlrpc());
    assert_eq!(p.pyver(), Some(3));
    assert!(p.force_auth());
    assert_eq!(p.authtype(), Some(&AuthType::Noauth));
    assert_eq!(
        p.plugin_paths(),
        [tree.home().join("plugins"), PathBuf::from("/opt/p")]
    );
}

#[test]
fn authtype_values() {
    let tree = Tree::new();
    tree.write(
        "etc/koji.conf",
        "[a]\nauthtype = ssl\n[b]\nauthtype = kerberos\n[c]\nauthtype = password\n[d]\nauthtype = GSSAPI\n",
    );
    let config = tree.load();
    let get = |name: &str| config.profile(name).unwrap().authtype().cloned();
    assert_eq!(get("a"), Some(AuthType::Ssl));
    assert_eq!(get("b"), Some(AuthType::Kerberos));
    assert_eq!(get("c"), Some(AuthType::Password));
    assert_eq!(get("d"), Some(AuthType::Other("GSSAPI".into())));
}

#[test]
fn bad_int_names_file_section_option_and_value() {
    let tree = Tree::new();
    let file = tree.write("etc/koji.conf", "[p]\nserver = x\npoll_interval = 1.5\n");
    match tree.load().profile("p") {
        Err(err @ ConfigError::InvalidInt { .. }) => {
            let text = err.to_string();
            let ConfigError::InvalidInt {
                profile,
                section,
                option,
                value,
                file: f,
            } = err
            else {
                unreachable!()
            };
            assert_eq!(
                (
                    profile.as_str(),
                    section.as_str(),
                    option.as_str(),
                    value.as_str()
                ),
                ("p", "p", "poll_interval", "1.5")
            );
            assert_eq!(f, file);
            for part in ["poll_interval", "1.5", "[p]", &file.display().to_string()] {
                assert!(text.contains(part), "{text:?} lacks {part:?}");
            }
        }
        other => panic!("expected InvalidInt, got {other:?}"),
    }
}

#[test]
fn bad_bool_from_default_names_the_default_section() {
    let tree = Tree::new();
    let file = tree.write("home/.koji/config", "[DEFAULT]\ndebug = maybe\n[p]\n");
    match tree.load().profile("p") {
        Err(ConfigError::InvalidBool {
            section,
            option,
            value,
            file: f,
            ..
        }) => {
            assert_eq!(
                (section.as_str(), option.as_str(), value.as_str()),
                ("DEFAULT", "debug", "maybe")
            );
            assert_eq!(f, file);
        }
        other => panic!("expected InvalidBool, got {other:?}"),
    }
}

#[test]
fn cert_and_serverca_defaults_and_expansion() {
    let tree = Tree::new();
    tree.write("etc/koji.conf", "[plain]\n[set]\ncert = ~/my.pem\nserverca = /ca.pem\nkeytab = ~/k.keytab\ntopdir = ~/koji\n[blank]\ncert =\n");
    let config = tree.load();
    let plain = config.profile("plain").unwrap();
    assert_eq!(plain.cert(), None);
    assert_eq!(plain.serverca(), None);

    tree.write("home/.koji/client.crt", "");
    tree.write("home/.koji/serverca.crt", "");
    let plain = config.profile("plain").unwrap();
    assert_eq!(
        plain.cert(),
        Some(tree.home().join(".koji/client.crt").as_path())
    );
    assert_eq!(
        plain.serverca(),
        Some(tree.home().join(".koji/serverca.crt").as_path())
    );

    let set = config.profile("set").unwrap();
    assert_eq!(set.cert(), Some(tree.home().join("my.pem").as_path()));
    assert_eq!(set.serverca(), Some(Path::new("/ca.pem")));
    // koji leaves keytab alone; its CLI expands topdir.
    assert_eq!(set.keytab(), Some("~/k.keytab"));
    assert_eq!(set.topdir(), tree.home().join("koji"));
    assert_eq!(set.get("cert"), Some("~/my.pem"));

    // An empty value is set: no default file.
    assert_eq!(config.profile("blank").unwrap().cert(), None);
}

#[test]
fn topurl_from_obsolete_pkgurl() {
    let tree = Tree::new();
    tree.write(
        "etc/koji.conf",
        "[a]\npkgurl = https://h/packages\n[b]\npkgurl = https://h/x/packages/\n[c]\npkgurl = https://h/other\n\
         [d]\npkgurl = https://h/packages\ntopurl = https://t\n",
    );
    let config = tree.load();
    let topurl = |n: &str| config.profile(n).unwrap().topurl().map(str::to_owned);
    assert_eq!(topurl("a").as_deref(), Some("https://h"));
    assert_eq!(topurl("b").as_deref(), Some("https://h/x"));
    assert_eq!(topurl("c"), None);
    assert_eq!(topurl("d").as_deref(), Some("https://t"));
}

/// Collects the messages of WARN events.
#[derive(Clone, Default)]
struct WarnCapture(Arc<Mutex<Vec<String>>>);

struct MessageVisitor<'a>(&'a mut String);

impl tracing::field::Visit for MessageVisitor<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0.push_str(&format!("{value:?}"));
        }
    }
}

impl tracing::Subscriber for WarnCapture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if *event.metadata().level() == tracing::Level::WARN {
            let mut message = String::new();
            event.record(&mut MessageVisitor(&mut message));
            self.0.lock().unwrap().push(message);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

fn warnings_while<T>(f: impl FnOnce() -> T) -> (T, Vec<String>) {
    let capture = WarnCapture::default();
    let result = tracing::subscriber::with_default(capture.clone(), f);
    let warnings = capture.0.lock().unwrap().clone();
    (result, warnings)
}

#[test]
fn no_ssl_verify_is_a_real_boolean_and_warns() {
    let tree = Tree::new();
    tree.write(
        "etc/koji.conf",
        "[off]\nno_ssl_verify = false\n[on]\nno_ssl_verify = Yes\n[empty]\nno_ssl_verify =\n\
         [withca]\nno_ssl_verify = true\nserverca = /ca.pem\n[junk]\nno_ssl_verify = sure\n\
         [both]\nno_ssl_verify = sure\ntimeout = soon\n",
    );
    let config = tree.load();

    let (off, warnings) = warnings_while(|| config.profile("off").unwrap());
    assert!(!off.no_ssl_verify());
    assert!(!off.tls_verification_disabled());
    assert!(warnings.is_empty(), "{warnings:?}");

    let (empty, warnings) = warnings_while(|| config.profile("empty").unwrap());
    assert!(!empty.no_ssl_verify());
    assert!(warnings.is_empty(), "{warnings:?}");

    let (on, warnings) = warnings_while(|| config.profile("on").unwrap());
    assert!(on.no_ssl_verify());
    assert!(on.tls_verification_disabled());
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("no_ssl_verify"), "{warnings:?}");

    let (withca, warnings) = warnings_while(|| config.profile("withca").unwrap());
    assert!(withca.no_ssl_verify());
    assert!(!withca.tls_verification_disabled());
    assert!(warnings.is_empty(), "{warnings:?}");

    assert!(matches!(
        config.profile("junk"),
        Err(ConfigError::InvalidBool { option, .. }) if option == "no_ssl_verify"
    ));
    // What koji itself rejects is reported first.
    assert!(matches!(
        config.profile("both"),
        Err(ConfigError::InvalidInt { option, .. }) if option == "timeout"
    ));
}

#[test]
fn builtin_fedora_profile() {
    let tree = Tree::new();
    tree.write(
        "etc/koji.conf",
        "[DEFAULT]\nauthtype = ssl\ntimeout = 5\n[other]\n",
    );
    let config = tree.load();
    assert_eq!(config.profile_names(), ["other", "fedora"]);
    let fedora = config.profile(BUILTIN_PROFILE).unwrap();
    assert_eq!(fedora.origin(), &ProfileOrigin::BuiltIn);
    assert_eq!(fedora.server(), "https://koji.fedoraproject.org/kojihub");
    assert_eq!(fedora.weburl(), "https://koji.fedoraproject.org/koji");
    assert_eq!(fedora.topurl(), Some("https://kojipkgs.fedoraproject.org/"));
    // Self-contained: the files' [DEFAULT] does not reach it.
    assert_eq!(fedora.authtype(), Some(&AuthType::Kerberos));
    assert_eq!(fedora.timeout_secs(), 43200);

    // A file that defines [fedora] replaces the built-in profile entirely.
    tree.write(
        "home/.koji/config",
        "[fedora]\nserver = https://mirror/kojihub\n",
    );
    let config = tree.load();
    assert_eq!(config.profile_names(), ["other", "fedora"]);
    let fedora = config.profile("fedora").unwrap();
    assert_eq!(fedora.server(), "https://mirror/kojihub");
    assert_eq!(fedora.weburl(), "http://localhost/koji");
    assert_eq!(fedora.authtype(), Some(&AuthType::Ssl));
    assert!(
        matches!(fedora.origin(), ProfileOrigin::Files(f) if f == &[tree.home().join(".koji/config")])
    );
}

#[test]
fn missing_profile_lists_profiles_and_files() {
    let tree = Tree::new();
    let file = tree.write("etc/koji.conf", "[one]\n[two]\n");
    let err = tree.load().profile("three").unwrap_err();
    let text = err.to_string();
    match err {
        ConfigError::ProfileNotFound { name, known, files } => {
            assert_eq!(name, "three");
            assert_eq!(known, ["one", "two", "fedora"]);
            assert_eq!(files, std::slice::from_ref(&file));
        }
        other => panic!("expected ProfileNotFound, got {other:?}"),
    }
    for part in ["three", "one, two, fedora", &file.display().to_string()] {
        assert!(text.contains(part), "{text:?} lacks {part:?}");
    }
}

#[test]
fn unknown_options_are_kept_and_names_are_case_insensitive() {
    let tree = Tree::new();
    tree.write(
        "etc/koji.conf",
        "[p]\nKrbService = host\nkrb_rdns = false\n",
    );
    let p = tree.load().profile("p").unwrap();
    assert_eq!(p.get("krbservice"), Some("host"));
    assert_eq!(p.get("KRBSERVICE"), Some("host"));
    assert_eq!(p.get("krb_rdns"), Some("false"));
    assert_eq!(p.get("nothing"), None);
    let names: Vec<&str> = p.options().map(|(k, _)| k).collect();
    assert_eq!(names, ["krbservice", "krb_rdns"]);
}

#[test]
fn debug_output_hides_secret_looking_values() {
    let tree = Tree::new();
    tree.write(
        "etc/koji.conf",
        "[p]\npassword = hunter2\napi_token = abc123\nserver = visible\n",
    );
    let p = tree.load().profile("p").unwrap();
    let debug = format!("{p:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(!debug.contains("abc123"), "{debug}");
    assert!(debug.contains("visible"), "{debug}");
    // The value itself is still readable on purpose.
    assert_eq!(p.get("password"), Some("hunter2"));
}

#[test]
fn profile_for_weburl() {
    let tree = Tree::new();
    tree.write(
        "etc/koji.conf",
        "[cbs]\nweburl = https://cbs.centos.org/koji\n\
         [deep]\nweburl = https://cbs.centos.org/koji/deep\n\
         [slash]\nweburl = https://s.example.com/\n\
         [noweb]\nserver = https://x/kojihub\n\
         [broken]\nweburl = %(nothere)s\ntimeout = bad\n",
    );
    let config = tree.load();
    let name = |url: &str| config.profile_for_weburl(url).map(|p| p.name().to_owned());
    assert_eq!(name("https://cbs.centos.org/koji").unwrap(), "cbs");
    assert_eq!(
        name("https://cbs.centos.org/koji/taskinfo?taskID=1").unwrap(),
        "cbs"
    );
    assert_eq!(name("https://cbs.centos.org/koji?x").unwrap(), "cbs");
    assert_eq!(
        name("https://cbs.centos.org/koji/deep/buildinfo").unwrap(),
        "deep"
    );
    assert_eq!(name("https://s.example.com/koji/x").unwrap(), "slash");
    assert_eq!(
        name("https://koji.fedoraproject.org/koji/buildinfo?buildID=9").unwrap(),
        "fedora"
    );
    for miss in [
        "https://cbs.centos.org/kojix",
        "https://cbs.centos.org/",
        "http://localhost/koji/taskinfo",
        "https://cbs.centos.org/koji/taskinfo?taskID=1 extra",
        " https://cbs.centos.org/koji",
        "https://cbs.centos.org/koji\n",
        "",
    ] {
        assert!(
            matches!(name(miss), Err(ConfigError::NoProfileForWebUrl { .. })),
            "{miss:?} matched {:?}",
            name(miss)
        );
    }
}

#[test]
fn weburl_match_picks_first_profile_on_ties() {
    let tree = Tree::new();
    tree.write(
        "etc/koji.conf",
        "[DEFAULT]\nweburl = https://k/koji\n[first]\n[second]\n",
    );
    let config = tree.load();
    assert_eq!(
        config
            .profile_for_weburl("https://k/koji/x")
            .unwrap()
            .name(),
        "first"
    );
}

#[test]
fn syntax_errors_name_file_and_line() {
    let tree = Tree::new();
    let file = tree.write("home/.koji/config", "[p]\nserver = a\n\nserver = b\n");
    match Config::load(&tree.sources()) {
        Err(err @ ConfigError::Syntax { .. }) => {
            let text = err.to_string();
            assert!(
                text.starts_with(&format!("{}:4:", file.display())),
                "{text}"
            );
            assert!(matches!(
                err,
                ConfigError::Syntax {
                    kind: SyntaxErrorKind::DuplicateOption { .. },
                    line: 4,
                    ..
                }
            ));
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn duplicates_across_files_are_merges_not_errors() {
    let tree = Tree::new();
    tree.write(
        "etc/koji.conf.d/a.conf",
        "[p]\nserver = a\n[DEFAULT]\nx = 1\n",
    );
    tree.write(
        "etc/koji.conf.d/b.conf",
        "[p]\nserver = b\n[DEFAULT]\nx = 2\n",
    );
    let p = tree.load().profile("p").unwrap();
    assert_eq!(p.server(), "b");
    assert_eq!(p.get("x"), Some("2"));
}

#[test]
fn invalid_utf8_is_its_own_error() {
    let tree = Tree::new();
    let path = tree.root().join("etc/koji.conf");
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    // Line breaks count as Python counts them: \r\n once, a lone \r too.
    fs::write(&path, b"[p]\r\nserver = a\rweburl = \xff\n").unwrap();
    match Config::load(&tree.sources()) {
        Err(ConfigError::NotUtf8 { path: p, line }) => {
            assert_eq!(p, path);
            assert_eq!(line, 3);
        }
        other => panic!("expected NotUtf8, got {other:?}"),
    }
}

/// A regular file that even root cannot read: reading `/proc/self/mem`
/// from offset 0 fails with EIO.
#[cfg(target_os = "linux")]
#[test]
fn unreadable_file_is_a_read_error() {
    let tree = Tree::new();
    let sources = ConfigSources::new(tree.root().join("none.d"), "/proc/self/mem", None);
    match Config::load(&sources) {
        Err(err @ ConfigError::Read { .. }) => {
            assert!(err.to_string().contains("/proc/self/mem"), "{err}");
            assert!(std::error::Error::source(&err).is_some());
        }
        other => panic!("expected a read error, got {other:?}"),
    }
}

#[test]
fn no_home_means_no_user_files_and_no_expansion() {
    let tree = Tree::new();
    tree.write("etc/koji.conf", "[p]\ncert = ~/c.pem\ntopdir = ~/t\n");
    tree.write("home/.koji/config", "[q]\n");
    let sources = ConfigSources::new(
        tree.root().join("etc/koji.conf.d"),
        tree.root().join("etc/koji.conf"),
        None,
    );
    let config = Config::load(&sources).unwrap();
    assert_eq!(config.profile_names(), ["p", "fedora"]);
    let p = config.profile("p").unwrap();
    assert_eq!(p.cert(), Some(Path::new("~/c.pem")));
    assert_eq!(p.topdir(), Path::new("~/t"));
}
