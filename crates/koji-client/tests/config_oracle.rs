//! Differential test of `koji_client::config` against the official koji
//! client (PyPI `koji`, in the venv that `scripts/setup-venv` builds).
//!
//! A seeded generator writes a few hundred config trees into a temporary
//! directory: several files in `etc/koji.conf.d`, `etc/koji.conf`,
//! `home/.koji/config.d`, `home/.koji/config` or an explicit `-c` file or
//! directory, with overrides, `[DEFAULT]`, interpolation, comments,
//! continuation lines, odd whitespace, and some broken input (duplicates,
//! bad interpolation, text before any header, lines without a delimiter,
//! bad integers and booleans). `tests/oracle/koji_read_config.py` runs once
//! over all of them and reports what `koji.read_config` (and the CLI's
//! `get_options`) make of every profile; our loader must agree on every
//! option of every profile and fail in the same way on the same input.
//!
//! Our deliberate differences, checked as such:
//! - `no_ssl_verify` is a boolean for us (koji keeps the string);
//! - a `fedora` profile exists even when no file defines one.

#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use koji_client::config::{
    Config, ConfigError, ConfigSources, InterpolationErrorKind, Profile, ProfileOrigin,
    SyntaxErrorKind,
};

const TREES: usize = 360;
const SEED: u64 = 0x6b6f_6a69_2d63_6667;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> PathBuf {
    let python = std::env::var_os("KOJI_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"));
    assert!(
        python.exists(),
        "the koji oracle interpreter {} is missing: run scripts/setup-venv \
         (or set KOJI_TEST_PYTHON)",
        python.display()
    );
    python
}

/// SplitMix64: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

const SECTIONS: &[&str] = &["koji", "stg", "Koji", "fedora", "cbs", "with space", "brew"];
const INT_OPTIONS: &[&str] = &[
    "max_retries",
    "retry_interval",
    "offline_retry_interval",
    "timeout",
    "auth_timeout",
    "upload_blocksize",
    "poll_interval",
    "pyver",
];
const BOOL_OPTIONS: &[&str] = &[
    "anon_retry",
    "offline_retry",
    "use_fast_upload",
    "debug",
    "debug_xmlrpc",
    "force_auth",
];
const URL_OPTIONS: &[&str] = &["server", "weburl", "topurl", "pkgurl"];
const PATH_OPTIONS: &[&str] = &["topdir", "cert", "serverca", "keytab", "plugin_paths"];
const OTHER_OPTIONS: &[&str] = &[
    "principal",
    "authtype",
    "no_ssl_verify",
    "krbservice",
    "krb_rdns",
    "host",
    "base",
    "site",
    "note",
];

/// The value of one option, as lines (continuation lines after the first).
fn value_lines(rng: &mut Rng, name: &str) -> Vec<String> {
    let one = |s: &str| vec![s.to_owned()];
    if INT_OPTIONS.contains(&name) {
        if rng.chance(4) {
            return one(rng.pick(&["1.5", "ten", "", "1__0", "0x10", "5 5"]));
        }
        if rng.chance(8) {
            return vec![String::new(), "30".to_owned()];
        }
        return one(rng.pick(&[
            "42",
            "-1",
            "0",
            "1_000",
            "+3",
            "007",
            "\u{663}\u{664}",
            "3",
            "86400",
        ]));
    }
    if BOOL_OPTIONS.contains(&name) {
        if rng.chance(4) {
            return one(rng.pick(&["maybe", "", "y", "2"]));
        }
        return one(rng.pick(&["yes", "No", "TRUE", "on", "0", "1", "off", "False"]));
    }
    if URL_OPTIONS.contains(&name) {
        if rng.chance(4) {
            return one(rng.pick(&["http://h/100%", "%(nothere)s/x", "%(host)d", "50%"]));
        }
        return one(rng.pick(&[
            "https://%(host)s/kojihub",
            "https://koji.example.com/kojihub",
            "http://h/koji?x=100%%",
            "https://%(base)s/koji",
            "https://h/packages",
            "https://h/packages/",
            "",
        ]));
    }
    if PATH_OPTIONS.contains(&name) {
        return one(rng.pick(&[
            "~/koji",
            "/mnt/koji",
            "~/.koji/my.pem",
            "",
            "~",
            "relative/x",
            "~other/x",
            "/a:~/b",
        ]));
    }
    match name {
        "principal" => one(rng.pick(&["user@EXAMPLE.COM", "", "%(host)s@X"])),
        "authtype" => {
            one(rng.pick(&["ssl", "kerberos", "password", "noauth", "SSL", "gssapi", ""]))
        }
        "no_ssl_verify" => one(rng.pick(&["yes", "no", "False", "ON", "0", "1", "maybe", ""])),
        "host" => one(rng.pick(&["koji.example.com", "%(site)s.example.org", "h%%", "Host"])),
        "base" => one(rng.pick(&["%(host)s:8443", "b"])),
        "site" => one(rng.pick(&["s", "%(host)s", "%(SITE2)s"])),
        "note" => {
            let mut lines = one(rng.pick(&[
                "\u{fc}n\u{ef}code text",
                "a = b : c",
                "x # not a comment ; either",
                "%(base)s/%(host)s",
                "%(c0)s",
                "%(c1)s",
                "tab\tinside",
            ]));
            if rng.chance(40) {
                lines.push(
                    rng.pick(&["more", "", "  deeper", "[notasection]", "# kept? no"])
                        .to_string(),
                );
                lines.push("last".to_owned());
            }
            lines
        }
        _ => one(rng.pick(&["host", "false", "x"])),
    }
}

fn option_name(rng: &mut Rng) -> &'static str {
    match rng.below(5) {
        0 => rng.pick(INT_OPTIONS),
        1 => rng.pick(BOOL_OPTIONS),
        2 => rng.pick(URL_OPTIONS),
        3 => rng.pick(PATH_OPTIONS),
        _ => rng.pick(OTHER_OPTIONS),
    }
}

fn cased(rng: &mut Rng, name: &str) -> String {
    match rng.below(10) {
        0 => name.to_uppercase(),
        1 => {
            let mut chars = name.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
        _ => name.to_owned(),
    }
}

fn option_line(rng: &mut Rng, name: &str, lines: &[String]) -> String {
    let indent = if rng.chance(8) { " " } else { "" };
    let delim = rng.pick(&[" = ", "=", ": ", " :", "\t=\t", " =  "]);
    let pad = if rng.chance(4) {
        rng.pick(&["\u{3000}", "\u{1c}", " \t"])
    } else {
        ""
    };
    let mut text = format!(
        "{indent}{}{delim}{pad}{}{pad}\n",
        cased(rng, name),
        lines[0]
    );
    for more in &lines[1..] {
        if more.is_empty() {
            text.push('\n');
        } else {
            let deeper = rng.pick(&["  ", "\t", "    "]);
            let _ = writeln!(text, "{indent}{deeper}{more}");
        }
    }
    text
}

fn noise(rng: &mut Rng) -> &'static str {
    match rng.below(12) {
        0 => "# a comment\n",
        1 => "; another = comment\n",
        2 => "   # indented comment\n",
        3 => "\n",
        _ => "",
    }
}

/// One generated file's text (raw bytes, for the rare invalid UTF-8).
fn file_text(rng: &mut Rng, broken: bool) -> Vec<u8> {
    let mut text = String::new();
    if rng.chance(1) {
        text.push('\u{feff}');
    }
    text.push_str(noise(rng));
    let mut used_sections: Vec<&str> = Vec::new();
    let mut last_section_options: Vec<String> = Vec::new();
    for _ in 0..1 + rng.below(4) {
        let section = if rng.chance(30) {
            "DEFAULT"
        } else {
            rng.pick(SECTIONS)
        };
        if used_sections.contains(&section) && section != "DEFAULT" {
            continue;
        }
        used_sections.push(section);
        let trailer = if rng.chance(3) { " trailing words" } else { "" };
        let _ = writeln!(text, "[{section}]{trailer}");
        let mut used: Vec<&str> = Vec::new();
        last_section_options.clear();
        for _ in 0..rng.below(7) {
            let name = option_name(rng);
            if used.contains(&name) {
                continue;
            }
            used.push(name);
            let lines = value_lines(rng, name);
            let line = option_line(rng, name, &lines);
            last_section_options.push(line.clone());
            text.push_str(&line);
            text.push_str(noise(rng));
        }
        // A DEFAULT twice in one file is allowed; its options must differ.
        if section == "DEFAULT" {
            used_sections.retain(|s| *s != "DEFAULT");
        }
    }
    if broken {
        match rng.below(6) {
            0 => {
                if let Some(line) = last_section_options.first() {
                    text.push_str(line);
                } else {
                    text.push_str("a = 1\nA = 2\n");
                }
            }
            1 => {
                let _ = write!(text, "[dup]\nx = 1\n[dup]\n");
            }
            2 => text.insert_str(0, "server = https://before/any/header\n"),
            3 => text.push_str("just some words\n"),
            4 => text.push_str("= nameless\n"),
            _ => {
                let mut bytes = text.into_bytes();
                bytes.extend_from_slice(b"note = \xff\xfe\n");
                return bytes;
            }
        }
    }
    let text = if rng.chance(10) {
        text.replace('\n', "\r\n")
    } else {
        text
    };
    text.into_bytes()
}

fn write(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

struct Tree {
    root: PathBuf,
    user_config: Option<PathBuf>,
}

impl Tree {
    fn sources(&self) -> ConfigSources {
        let sources = ConfigSources::new(
            self.root.join("etc/koji.conf.d"),
            self.root.join("etc/koji.conf"),
            Some(self.root.join("home")),
        );
        match &self.user_config {
            Some(path) => sources.with_user_config(path),
            None => sources,
        }
    }
}

fn generate(rng: &mut Rng, root: &Path) -> Tree {
    let broken_tree = rng.chance(14);
    let mut files: Vec<PathBuf> = Vec::new();
    let dir_names = [
        "00-base.conf",
        "10-site.conf",
        "20-extra.conf",
        "README",
        "x.conf.rpmsave",
    ];
    for _ in 0..rng.below(4) {
        files.push(root.join("etc/koji.conf.d").join(rng.pick(&dir_names)));
    }
    // Often a file of shared [DEFAULT] values that references resolve to.
    if rng.chance(60) {
        let text = rng.pick(&[
            "[DEFAULT]\nhost = koji.example.com\nsite = s\nbase = b\n",
            "[DEFAULT]\nhost = %(site)s.example.com\nsite = s\n",
            "[DEFAULT]\nHost: koji.example.com\n  continued\n",
            // A chain of references exactly 10 levels deep from c0; a value
            // referring to c0 is one level too deep.
            "[DEFAULT]\nhost = h\nc0 = %(c1)s\nc1 = %(c2)s\nc2 = %(c3)s\nc3 = %(c4)s\nc4 = %(c5)s\n\
             c5 = %(c6)s\nc6 = %(c7)s\nc7 = %(c8)s\nc8 = %(c9)s\nc9 = %(c10)s\nc10 = end\n",
        ]);
        write(
            &root.join("etc/koji.conf.d/05-defaults.conf"),
            text.as_bytes(),
        );
    }
    if rng.chance(50) {
        files.push(root.join("etc/koji.conf"));
    }
    for _ in 0..rng.below(3) {
        files.push(root.join("home/.koji/config.d").join(rng.pick(&dir_names)));
    }
    if rng.chance(60) {
        files.push(root.join("home/.koji/config"));
    }
    let mut user_config = None;
    if rng.chance(20) {
        match rng.below(10) {
            0 => user_config = Some(root.join("explicit/missing.conf")),
            1 | 2 => {
                let dir = root.join("explicit/dir.d");
                fs::create_dir_all(&dir).unwrap();
                for _ in 0..rng.below(3) {
                    files.push(dir.join(rng.pick(&dir_names)));
                }
                user_config = Some(if rng.chance(50) {
                    dir
                } else {
                    PathBuf::from("~/../explicit/dir.d")
                });
            }
            _ => {
                files.push(root.join("explicit/koji.conf"));
                user_config = Some(root.join("explicit/koji.conf"));
            }
        }
    }
    files.dedup();
    let broken_index = if broken_tree && !files.is_empty() {
        Some(rng.below(files.len()))
    } else {
        None
    };
    for (i, file) in files.iter().enumerate() {
        write(file, &file_text(rng, broken_index == Some(i)));
    }
    if rng.chance(25) {
        write(&root.join("home/.koji/client.crt"), b"");
    }
    if rng.chance(25) {
        write(&root.join("home/.koji/serverca.crt"), b"");
    }
    fs::create_dir_all(root.join("home")).unwrap();
    Tree {
        root: root.to_owned(),
        user_config,
    }
}

fn hex(s: &str) -> String {
    if s.is_empty() {
        return "=".to_owned();
    }
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<String> {
    match s {
        "-" => None,
        "=" => Some(String::new()),
        _ => {
            let bytes: Vec<u8> = (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect();
            Some(String::from_utf8(bytes).unwrap())
        }
    }
}

/// A typed value from the oracle.
#[derive(Debug, Clone, PartialEq)]
enum PyValue {
    None,
    Bool(bool),
    Int(i64),
    Str(String),
}

fn py_value(kind: &str, raw: &str) -> PyValue {
    match kind {
        "n" => PyValue::None,
        "b" => PyValue::Bool(raw == "1"),
        "i" => PyValue::Int(raw.parse().unwrap()),
        "s" => PyValue::Str(unhex(raw).unwrap()),
        other => panic!("unknown oracle type {other}"),
    }
}

#[derive(Debug, Default)]
struct PyOk {
    result: Vec<(String, PyValue)>,
    items: Vec<(String, String)>,
    cli: Vec<(String, PyValue)>,
}

#[derive(Debug)]
struct PyErr {
    class: String,
    lineno: Option<usize>,
    source: Option<String>,
    section: Option<String>,
    option: Option<String>,
    detail: Option<String>,
}

#[derive(Debug)]
enum PyOutcome {
    Ok(PyOk),
    Err(PyErr),
}

#[derive(Debug, Default)]
struct PyTree {
    sections: Option<Vec<String>>,
    profiles: Vec<(String, PyOutcome)>,
}

fn parse_oracle(output: &str) -> Vec<PyTree> {
    let mut trees: Vec<PyTree> = Vec::new();
    for line in output.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        match fields[0] {
            "T" => {
                assert_eq!(fields[1].parse::<usize>().unwrap(), trees.len());
                trees.push(PyTree::default());
            }
            "S" => {
                trees.last_mut().unwrap().sections = Some(
                    fields[1..]
                        .iter()
                        .filter(|f| !f.is_empty())
                        .map(|f| unhex(f).unwrap())
                        .collect(),
                );
            }
            "P" => {
                let name = unhex(fields[1]).unwrap();
                let outcome = if fields[2] == "OK" {
                    PyOutcome::Ok(PyOk::default())
                } else {
                    PyOutcome::Err(PyErr {
                        class: fields[3].to_owned(),
                        lineno: fields[4].parse().ok(),
                        source: unhex(fields[5]),
                        section: unhex(fields[6]),
                        option: unhex(fields[7]),
                        detail: unhex(fields[8]),
                    })
                };
                trees.last_mut().unwrap().profiles.push((name, outcome));
            }
            "K" | "C" => {
                let entry = (fields[1].to_owned(), py_value(fields[2], fields[3]));
                let tree = trees.last_mut().unwrap();
                let PyOutcome::Ok(ok) = &mut tree.profiles.last_mut().unwrap().1 else {
                    panic!("values after a failed profile: {line:?}")
                };
                if fields[0] == "K" {
                    ok.result.push(entry);
                } else {
                    ok.cli.push(entry);
                }
            }
            "I" => {
                let tree = trees.last_mut().unwrap();
                let PyOutcome::Ok(ok) = &mut tree.profiles.last_mut().unwrap().1 else {
                    panic!("items after a failed profile")
                };
                ok.items
                    .push((unhex(fields[1]).unwrap(), unhex(fields[2]).unwrap()));
            }
            other => panic!("unknown oracle record {other:?} in {line:?}"),
        }
    }
    trees
}

/// koji's `''` (no file) and our `None` are the same thing.
fn same_optional_path(ours: Option<&Path>, theirs: &PyValue) -> bool {
    match (ours, theirs) {
        (None, PyValue::Str(s)) => s.is_empty(),
        (Some(p), PyValue::Str(s)) => p == Path::new(s),
        _ => false,
    }
}

fn python_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Some(true),
        "0" | "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

/// Compares one successfully read profile with what koji read.
fn compare_ok(profile: &Profile, ok: &PyOk) -> Result<(), String> {
    let mut problems = Vec::new();
    let mut check = |what: &str, agree: bool, ours: String, theirs: &dyn std::fmt::Debug| {
        if !agree {
            problems.push(format!("{what}: ours {ours}, koji {theirs:?}"));
        }
    };
    let raw = |key: &str| profile.get(key).map(str::to_owned);
    for (key, theirs) in &ok.result {
        let key = key.as_str();
        let s = match theirs {
            PyValue::Str(s) => Some(s.as_str()),
            _ => None,
        };
        match key {
            "profile" => check(
                key,
                s == Some(profile.name()),
                profile.name().into(),
                theirs,
            ),
            "server" => check(
                key,
                s == Some(profile.server()),
                profile.server().into(),
                theirs,
            ),
            "weburl" => check(
                key,
                s == Some(profile.weburl()),
                profile.weburl().into(),
                theirs,
            ),
            "topurl" | "pkgurl" | "principal" | "keytab" | "plugin_paths" | "authtype" => {
                let ours = raw(key);
                check(key, ours.as_deref() == s, format!("{ours:?}"), theirs);
                let typed = match key {
                    "pkgurl" => profile.pkgurl().map(str::to_owned),
                    "principal" => profile.principal().map(str::to_owned),
                    "keytab" => profile.keytab().map(str::to_owned),
                    "authtype" => profile.authtype().map(|a| a.as_str().to_owned()),
                    _ => ours.clone().filter(|v| !v.is_empty()),
                };
                let expected = if key == "authtype" {
                    s.map(str::to_owned)
                } else {
                    s.filter(|v| !v.is_empty()).map(str::to_owned)
                };
                check(
                    &format!("typed {key}"),
                    typed == expected,
                    format!("{typed:?}"),
                    theirs,
                );
            }
            "topdir" => {
                let ours = raw(key).unwrap_or_else(|| "/mnt/koji".into());
                check(key, Some(ours.as_str()) == s, ours.clone(), theirs);
            }
            "cert" => check(
                key,
                same_optional_path(profile.cert(), theirs),
                format!("{:?}", profile.cert()),
                theirs,
            ),
            "serverca" => check(
                key,
                same_optional_path(profile.serverca(), theirs),
                format!("{:?}", profile.serverca()),
                theirs,
            ),
            "no_ssl_verify" => {
                let expected = match theirs {
                    PyValue::Bool(b) => *b,
                    PyValue::Str(s) if s.is_empty() => false,
                    PyValue::Str(s) => python_bool(s).unwrap(),
                    other => panic!("no_ssl_verify is {other:?}"),
                };
                check(
                    key,
                    profile.no_ssl_verify() == expected,
                    profile.no_ssl_verify().to_string(),
                    theirs,
                );
            }
            _ => {
                let ours = match key {
                    "max_retries" => PyValue::Int(profile.max_retries()),
                    "retry_interval" => PyValue::Int(profile.retry_interval_secs()),
                    "offline_retry_interval" => PyValue::Int(profile.offline_retry_interval_secs()),
                    "timeout" => PyValue::Int(profile.timeout_secs()),
                    "auth_timeout" => PyValue::Int(profile.auth_timeout_secs()),
                    "upload_blocksize" => PyValue::Int(profile.upload_blocksize()),
                    "poll_interval" => PyValue::Int(profile.poll_interval_secs()),
                    "pyver" => profile.pyver().map_or(PyValue::None, PyValue::Int),
                    "anon_retry" => PyValue::Bool(profile.anon_retry()),
                    "offline_retry" => PyValue::Bool(profile.offline_retry()),
                    "use_fast_upload" => PyValue::Bool(profile.use_fast_upload()),
                    "debug" => PyValue::Bool(profile.debug()),
                    "debug_xmlrpc" => PyValue::Bool(profile.debug_xmlrpc()),
                    "force_auth" => PyValue::Bool(profile.force_auth()),
                    other => PyValue::Str(format!("<option {other} unknown to the test>")),
                };
                check(key, &ours == theirs, format!("{ours:?}"), theirs);
            }
        }
    }
    let ours: Vec<(String, String)> = profile
        .options()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    check("items", ours == ok.items, format!("{ours:?}"), &ok.items);
    for (key, theirs) in &ok.cli {
        match key.as_str() {
            "topdir" => check(
                "cli topdir",
                PyValue::Str(profile.topdir().display().to_string()) == *theirs,
                profile.topdir().display().to_string(),
                theirs,
            ),
            "topurl" => {
                let expected = match theirs {
                    PyValue::Str(s) if !s.is_empty() => Some(s.as_str()),
                    _ => None,
                };
                check(
                    "cli topurl",
                    profile.topurl() == expected,
                    format!("{:?}", profile.topurl()),
                    theirs,
                );
            }
            "cert" => check(
                "cli cert",
                same_optional_path(profile.cert(), theirs),
                format!("{:?}", profile.cert()),
                theirs,
            ),
            "serverca" => check(
                "cli serverca",
                same_optional_path(profile.serverca(), theirs),
                format!("{:?}", profile.serverca()),
                theirs,
            ),
            other => panic!("unexpected cli value {other}"),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Whether our load error is the one koji raised.
fn load_error_matches(ours: &ConfigError, theirs: &PyErr) -> bool {
    let same_place = |path: &Path, line: usize| {
        theirs.source.as_deref().map(Path::new) == Some(path) && theirs.lineno == Some(line)
    };
    let detail = theirs.detail.as_deref().unwrap_or("");
    match (theirs.class.as_str(), ours) {
        ("MissingSectionHeaderError", ConfigError::Syntax { path, line, kind }) => {
            *kind == SyntaxErrorKind::MissingSectionHeader && same_place(path, *line)
        }
        ("DuplicateSectionError", ConfigError::Syntax { path, line, kind }) => {
            matches!(kind, SyntaxErrorKind::DuplicateSection { section }
                if Some(section) == theirs.section.as_ref())
                && same_place(path, *line)
        }
        ("DuplicateOptionError", ConfigError::Syntax { path, line, kind }) => {
            matches!(kind, SyntaxErrorKind::DuplicateOption { section, option }
                if Some(section) == theirs.section.as_ref() && Some(option) == theirs.option.as_ref())
                && same_place(path, *line)
        }
        ("ParsingError", ConfigError::Syntax { path, line, kind }) => {
            matches!(
                kind,
                SyntaxErrorKind::MissingDelimiter | SyntaxErrorKind::EmptyOptionName
            ) && same_place(path, *line)
        }
        ("UnicodeDecodeError", ConfigError::NotUtf8 { .. }) => true,
        ("ConfigurationError", ConfigError::ExplicitConfigMissing { path }) => {
            detail.contains("can't be opened") && detail.contains(&path.display().to_string())
        }
        ("ConfigurationError", ConfigError::ExplicitConfigEmpty { .. }) => {
            detail.contains("No config files found")
        }
        _ => false,
    }
}

/// Whether our profile error is the one koji raised.
fn profile_error_matches(name: &str, ours: &ConfigError, theirs: &PyErr) -> bool {
    let detail = theirs.detail.as_deref().unwrap_or("");
    let interpolation = |want: &dyn Fn(&InterpolationErrorKind) -> bool| match ours {
        ConfigError::Interpolation {
            profile,
            option,
            kind,
            ..
        } => {
            profile == name
                && theirs.section.as_deref() == Some(name)
                && theirs.option.as_ref() == Some(option)
                && want(kind)
        }
        _ => false,
    };
    match theirs.class.as_str() {
        "InterpolationMissingOptionError" => interpolation(&|kind| {
            matches!(kind, InterpolationErrorKind::MissingReference { reference }
                if theirs.detail.as_ref() == Some(reference))
        }),
        "InterpolationSyntaxError" => {
            interpolation(&|kind| *kind == InterpolationErrorKind::BadSyntax)
        }
        "InterpolationDepthError" => {
            interpolation(&|kind| *kind == InterpolationErrorKind::DepthExceeded)
        }
        "ConfigurationError" if detail.contains("must be a valid integer") => {
            matches!(ours, ConfigError::InvalidInt { option, .. }
                if detail == format!("value for {option} config option must be a valid integer"))
        }
        "ConfigurationError" if detail.contains("no configuration for profile name") => {
            matches!(ours, ConfigError::ProfileNotFound { name: n, .. } if n == name)
        }
        "ValueError" => {
            matches!(ours, ConfigError::InvalidBool { value, .. }
                if detail == format!("Not a boolean: {value}"))
        }
        _ => false,
    }
}

#[derive(Default, Debug)]
struct Tally {
    ok_profiles: usize,
    load_errors: std::collections::BTreeMap<String, usize>,
    profile_errors: std::collections::BTreeMap<String, usize>,
    no_ssl_verify_differences: usize,
    builtin_fedora: usize,
}

fn check_tree(index: usize, tree: &Tree, oracle: &PyTree, tally: &mut Tally) -> Vec<String> {
    let mut problems = Vec::new();
    let loaded = Config::load(&tree.sources());
    if let (Ok(config), Some(sections)) = (&loaded, &oracle.sections) {
        let mut expected: Vec<&str> = sections.iter().map(String::as_str).collect();
        if !expected.contains(&"fedora") {
            expected.push("fedora");
        }
        if config.profile_names() != expected {
            problems.push(format!(
                "tree {index}: profile names: ours {:?}, koji {sections:?}",
                config.profile_names()
            ));
        }
    }
    for (name, outcome) in &oracle.profiles {
        let ours = match &loaded {
            Ok(config) => Ok(config.profile(name)),
            Err(err) => Err(err),
        };
        let problem = match (outcome, &ours) {
            (PyOutcome::Err(theirs), Err(err)) => {
                *tally.load_errors.entry(theirs.class.clone()).or_default() += 1;
                (!load_error_matches(err, theirs))
                    .then(|| format!("load error differs: ours {err:?}, koji {theirs:?}"))
            }
            (PyOutcome::Ok(ok), Ok(Ok(profile))) => {
                tally.ok_profiles += 1;
                compare_ok(profile, ok).err()
            }
            (PyOutcome::Ok(ok), Ok(Err(err))) => {
                // Our one deliberate difference: an invalid no_ssl_verify.
                let no_ssl_verify = ok.result.iter().find(|(k, _)| k == "no_ssl_verify");
                match (err, no_ssl_verify) {
                    (
                        ConfigError::InvalidBool { option, value, .. },
                        Some((_, PyValue::Str(s))),
                    ) if option == "no_ssl_verify" && value == s && python_bool(s).is_none() => {
                        tally.no_ssl_verify_differences += 1;
                        None
                    }
                    _ => Some(format!("koji read it, we failed: {err:?}")),
                }
            }
            (PyOutcome::Err(theirs), Ok(Ok(profile))) => {
                let builtin = name == "fedora"
                    && profile.origin() == &ProfileOrigin::BuiltIn
                    && theirs.class == "ConfigurationError"
                    && theirs
                        .detail
                        .as_deref()
                        .is_some_and(|d| d.contains("no configuration for profile name"));
                if builtin {
                    tally.builtin_fedora += 1;
                    None
                } else {
                    Some(format!("koji failed with {theirs:?}, we read {profile:?}"))
                }
            }
            (PyOutcome::Err(theirs), Ok(Err(err))) => {
                *tally
                    .profile_errors
                    .entry(theirs.class.clone())
                    .or_default() += 1;
                (!profile_error_matches(name, err, theirs))
                    .then(|| format!("profile error differs: ours {err:?}, koji {theirs:?}"))
            }
            (PyOutcome::Ok(_), Err(err)) => Some(format!("koji read it, our load failed: {err:?}")),
        };
        if let Some(problem) = problem {
            problems.push(format!("tree {index} profile {name:?}: {problem}"));
        }
    }
    problems
}

fn describe_tree(root: &Path) -> String {
    let mut out = String::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = fs::read(&path).unwrap();
                let _ = writeln!(
                    out,
                    "--- {}\n{}",
                    path.strip_prefix(root).unwrap().display(),
                    String::from_utf8_lossy(&bytes)
                );
            }
        }
    }
    out
}

#[test]
fn generated_trees_agree_with_koji_read_config() {
    let python = python();
    let work = tempfile::tempdir().unwrap();
    let mut rng = Rng(SEED);
    let mut trees = Vec::new();
    let mut manifest = String::new();
    let mut profiles: Vec<&str> = SECTIONS.to_vec();
    profiles.extend(["DEFAULT", "nosuch"]);
    let profile_field: Vec<String> = profiles.iter().map(|p| hex(p)).collect();
    for index in 0..TREES {
        let root = work.path().join(format!("t{index:03}"));
        let tree = generate(&mut rng, &root);
        let user_config = tree
            .user_config
            .as_ref()
            .map_or("-".to_owned(), |p| hex(&p.display().to_string()));
        let _ = writeln!(
            manifest,
            "{index}\t{}\t{user_config}\t{}",
            root.display(),
            profile_field.join(",")
        );
        trees.push(tree);
    }
    let manifest_path = work.path().join("manifest.tsv");
    fs::write(&manifest_path, manifest).unwrap();

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/koji_read_config.py");
    let output = Command::new(&python)
        .arg(&script)
        .arg(&manifest_path)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let oracle = parse_oracle(&String::from_utf8(output.stdout).unwrap());
    assert_eq!(oracle.len(), TREES);

    let mut tally = Tally::default();
    let mut problems = Vec::new();
    let mut first_bad_tree = None;
    for (index, (tree, theirs)) in trees.iter().zip(&oracle).enumerate() {
        assert_eq!(theirs.profiles.len(), profiles.len());
        let found = check_tree(index, tree, theirs, &mut tally);
        if !found.is_empty() && first_bad_tree.is_none() {
            first_bad_tree = Some(index);
        }
        problems.extend(found);
    }
    if let Some(index) = first_bad_tree {
        panic!(
            "{} disagreement(s) with koji; first ones:\n{}\n\nfirst tree that disagrees (t{index:03}):\n{}",
            problems.len(),
            problems
                .iter()
                .take(15)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n"),
            describe_tree(&trees[index].root)
        );
    }

    // The generator must keep exercising every rule, or this test proves
    // little: require a healthy share of each outcome.
    println!("{tally:#?}");
    assert!(tally.ok_profiles >= 300, "{tally:#?}");
    for class in [
        "MissingSectionHeaderError",
        "DuplicateSectionError",
        "DuplicateOptionError",
        "ParsingError",
        "UnicodeDecodeError",
        "ConfigurationError",
    ] {
        assert!(
            tally.load_errors.contains_key(class),
            "no load error {class}: {tally:#?}"
        );
    }
    for class in [
        "InterpolationMissingOptionError",
        "InterpolationSyntaxError",
        "InterpolationDepthError",
        "ConfigurationError",
        "ValueError",
    ] {
        assert!(
            tally.profile_errors.contains_key(class),
            "no profile error {class}: {tally:#?}"
        );
    }
    assert!(tally.no_ssl_verify_differences > 0, "{tally:#?}");
    assert!(tally.builtin_fedora > 0, "{tally:#?}");
}
