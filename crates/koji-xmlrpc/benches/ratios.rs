//! The speed ratios, measured in one run with the competitors interleaved (not a
//! criterion benchmark). Run: `cargo bench -p koji-xmlrpc --bench ratios [-- ROUNDS]`.
//!
//! The benchmark machines are shared and their speed drifts by tens of percent within a
//! minute, so absolute times from separate runs cannot be compared. Here every round
//! times each case (the fastest of three runs), back to back, in an order that alternates from round to round,
//! and the ratio to the bare quick-xml loop (and to Python's `xmlrpc.client.loads`, run in
//! a child process within the same round) is taken per round. The report gives the median
//! and the spread of those per-round ratios.
//!
//! Times are CPU time of the measuring thread for one decode of the 12.2 MB, 5,000-build
//! `listBuilds` response, and for one encoding of a 10,000-call `system.multicall`
//! request (against `koji.xmlrpcplus.dumps` of the same calls). The decoded result is dropped after the clock stops, for the
//! Rust cases and for Python alike (the drop is timed separately and reported too).
#![allow(clippy::unwrap_used, missing_docs)]

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use cpu_time::ThreadTime;
use koji_xmlrpc::{Value, decode_response};
use support::{Build, BuildRef};

const BUILDS: usize = 5000;
/// Runs of each case per round; the fastest counts.
const REPEAT: usize = 3;

/// CPU time of `decode`, not counting the drop of what it returns; and the drop's time.
fn timed<T>(decode: impl FnOnce() -> T) -> (Duration, Duration) {
    let t = ThreadTime::now();
    let out = std::hint::black_box(decode());
    let took = t.elapsed();
    let t = ThreadTime::now();
    drop(out);
    (took, t.elapsed())
}

type Case = (&'static str, fn(&[u8]) -> (Duration, Duration));

const CASES: [Case; 6] = [
    ("quick-xml bare event loop", |d| {
        timed(|| support::bare_quick_xml(d))
    }),
    ("typed Vec<Build> (owned String)", |d| {
        timed(|| decode_response::<Vec<Build>>(d).unwrap().unwrap())
    }),
    ("typed Vec<BuildRef> (borrowed &str)", |d| {
        timed(|| decode_response::<Vec<BuildRef<'_>>>(d).unwrap().unwrap())
    }),
    ("validate only (IgnoredAny)", |d| {
        timed(|| {
            decode_response::<serde::de::IgnoredAny>(d)
                .unwrap()
                .unwrap()
        })
    }),
    ("Value", |d| {
        timed(|| decode_response::<Value>(d).unwrap().unwrap())
    }),
    ("streaming Build, 64 KiB chunks", |d| {
        timed(|| support::stream_builds(d))
    }),
];

fn python() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    p.exists().then_some(p)
}

/// Python's CPU times for one `xmlrpc.client.loads` of the document (drop excluded) and
/// one `koji.xmlrpcplus.dumps` of the 10,000-call multicall, in a fresh interpreter.
fn python_once(py: &PathBuf, path: &std::path::Path) -> (Duration, Duration) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/python_bench.py");
    let out = Command::new(py)
        .arg(script)
        .arg("--once")
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let secs: Vec<f64> = text
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    (
        Duration::from_secs_f64(secs[0]),
        Duration::from_secs_f64(secs[1]),
    )
}

fn quantile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let i = ((v.len() - 1) as f64 * q).round() as usize;
    v[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(15);
    let doc = support::list_builds_response(BUILDS);
    let path = support::data_dir().join("listbuilds-5000.xml");
    std::fs::write(&path, &doc).unwrap();
    let py = if std::env::args().any(|a| a == "--no-python") {
        None
    } else {
        python()
    };
    if py.is_none() {
        eprintln!("no .venv/bin/python (scripts/setup-venv makes it): Python column skipped");
    }
    println!(
        "{} rounds, {:.1} MB document, {} builds, load average {}",
        rounds,
        doc.len() as f64 / 1e6,
        BUILDS,
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    // Warm up every case once (page in the document, grow the heap).
    for (_, f) in CASES {
        f(&doc);
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); CASES.len()];
    let mut drops: Vec<Vec<f64>> = vec![Vec::new(); CASES.len()];
    let mut py_times = Vec::new();
    let calls = support::multicall_calls(10_000);
    let mut enc_times = Vec::new();
    let mut py_dumps = Vec::new();
    let mut vs_dumps = Vec::new();
    let mut vs_loop: Vec<Vec<f64>> = vec![Vec::new(); CASES.len()];
    let mut vs_py: Vec<Vec<f64>> = vec![Vec::new(); CASES.len()];
    for round in 0..rounds {
        let mut this = vec![0.0; CASES.len()];
        let order: Vec<usize> = if round % 2 == 0 {
            (0..CASES.len()).collect()
        } else {
            (0..CASES.len()).rev().collect()
        };
        for i in order {
            // The fastest of a few runs: the least disturbed by other work on the machine.
            let (t, d) = (0..REPEAT)
                .map(|_| CASES[i].1(&doc))
                .min_by_key(|&(t, _)| t)
                .unwrap();
            this[i] = ms(t);
            times[i].push(ms(t));
            drops[i].push(ms(d));
        }
        let calls = &calls;
        let (enc, _) = (0..REPEAT)
            .map(|_| timed(|| support::encode_multicall(calls)))
            .min()
            .unwrap();
        enc_times.push(ms(enc));
        let py = py.as_ref().map(|p| python_once(p, &path));
        let py_ms = py.map(|(loads, _)| ms(loads));
        if let Some((_, dumps)) = py {
            py_dumps.push(ms(dumps));
            vs_dumps.push(ms(dumps) / ms(enc));
        }
        for i in 0..CASES.len() {
            vs_loop[i].push(this[0] / this[i]);
            if let Some(p) = py_ms {
                vs_py[i].push(p / this[i]);
            }
        }
        if let Some(p) = py_ms {
            py_times.push(p);
        }
    }
    println!(
        "{:<38} {:>9} {:>9} {:>22} {:>22}",
        "case", "median ms", "drop ms", "x loop: median [q1-q3]", "x Python: median [q1-q3]"
    );
    for (i, (name, _)) in CASES.iter().enumerate() {
        let t = quantile(&mut times[i], 0.5);
        let d = quantile(&mut drops[i], 0.5);
        let l = &mut vs_loop[i];
        let lr = format!(
            "{:.2} [{:.2}-{:.2}]",
            quantile(l, 0.5),
            quantile(l, 0.25),
            quantile(l, 0.75)
        );
        let p = &mut vs_py[i];
        let pr = if p.is_empty() {
            "-".to_owned()
        } else {
            format!(
                "{:.1} [{:.1}-{:.1}]",
                quantile(p, 0.5),
                quantile(p, 0.25),
                quantile(p, 0.75)
            )
        };
        println!("{name:<38} {t:>9.1} {d:>9.1} {lr:>22} {pr:>22}");
    }
    if !py_times.is_empty() {
        println!(
            "{:<38} {:>9.1}",
            "Python xmlrpc.client.loads",
            quantile(&mut py_times, 0.5)
        );
    }
    println!();
    println!(
        "{:<38} {:>9} {:>9} {:>22} {:>22}",
        "encode 10,000-call multicall", "median ms", "", "", "x Python: median [q1-q3]"
    );
    let pr = if vs_dumps.is_empty() {
        "-".to_owned()
    } else {
        format!(
            "{:.1} [{:.1}-{:.1}]",
            quantile(&mut vs_dumps, 0.5),
            quantile(&mut vs_dumps, 0.25),
            quantile(&mut vs_dumps, 0.75)
        )
    };
    println!(
        "{:<38} {:>9.2} {:>9} {:>22} {:>22}",
        "MulticallWriter",
        quantile(&mut enc_times, 0.5),
        "",
        "",
        pr
    );
    if !py_dumps.is_empty() {
        println!(
            "{:<38} {:>9.2}",
            "koji.xmlrpcplus.dumps",
            quantile(&mut py_dumps, 0.5)
        );
    }
}
