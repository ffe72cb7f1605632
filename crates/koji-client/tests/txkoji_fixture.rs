//! txkoji's example profile (a `[mykoji]` section as in txkoji's
//! `tests/fixtures/mykoji.conf`, rewritten here) read from where txkoji
//! looks for it, `~/.koji/config.d/*.conf`.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;

use koji_client::config::{AuthType, Config, ConfigSources, ProfileOrigin};

#[test]
fn mykoji_profile_reads_back_every_value() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mykoji.conf");
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let installed = home.join(".koji/config.d/mykoji.conf");
    fs::create_dir_all(installed.parent().unwrap()).unwrap();
    fs::copy(&fixture, &installed).unwrap();

    let sources = ConfigSources::new(
        tmp.path().join("etc/koji.conf.d"),
        tmp.path().join("etc/koji.conf"),
        Some(home),
    );
    let config = Config::load(&sources).unwrap();
    assert_eq!(config.profile_names(), ["mykoji", "fedora"]);
    let mykoji = config.profile("mykoji").unwrap();

    assert_eq!(mykoji.server(), "https://hub.example.com/kojihub");
    assert_eq!(mykoji.authtype(), Some(&AuthType::Kerberos));
    assert_eq!(mykoji.get("krbservice"), Some("kojihub"));
    assert_eq!(mykoji.topdir(), Path::new("/mnt/redhat/brewroot"));
    assert_eq!(mykoji.weburl(), "https://koji.example.com/koji");
    assert_eq!(mykoji.topurl(), Some("http://hub.example.com/kojiroot"));
    assert!(mykoji.use_fast_upload());
    assert_eq!(mykoji.get("use_fast_upload"), Some("yes"));
    assert!(mykoji.anon_retry());
    assert_eq!(mykoji.get("anon_retry"), Some("yes"));
    assert_eq!(mykoji.options().count(), 8);
    assert_eq!(mykoji.origin(), &ProfileOrigin::Files(vec![installed]));

    // txkoji's connect_from_web finds it from a kojiweb URL.
    let found = config
        .profile_for_weburl("https://koji.example.com/koji/buildinfo?buildID=1")
        .unwrap();
    assert_eq!(found.name(), "mykoji");
}
