//! Peak memory of decoding (not a criterion benchmark): each scenario runs in a fresh
//! child process, and the growth of its peak resident set (VmHWM) over the baseline is
//! reported. Run: `cargo bench -p koji-xmlrpc --bench memory`.
#![allow(clippy::unwrap_used, missing_docs)]

mod support;

use std::io::Read;
use std::process::Command;

use koji_xmlrpc::{ArrayStreamDecoder, Value, decode_response};
use support::Build;

fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn child(scenario: &str, path: &str) {
    let base;
    let items = match scenario {
        "typed" | "value" => {
            let doc = std::fs::read(path).unwrap();
            base = vm_hwm_kib();
            if scenario == "typed" {
                decode_response::<Vec<Build>>(&doc).unwrap().unwrap().len()
            } else {
                match decode_response::<Value>(&doc).unwrap().unwrap() {
                    Value::Array(a) => a.len(),
                    _ => 0,
                }
            }
        }
        _ => {
            let mut f = std::fs::File::open(path).unwrap();
            let mut buf = vec![0u8; 64 * 1024];
            base = vm_hwm_kib();
            let mut d = ArrayStreamDecoder::<Build>::new();
            let mut n = 0;
            loop {
                let k = f.read(&mut buf).unwrap();
                if k == 0 {
                    break;
                }
                d.feed(&buf[..k]);
                while d.next_item().unwrap().is_some() {
                    n += 1;
                }
            }
            d.finish().unwrap();
            while d.next_item().unwrap().is_some() {
                n += 1;
            }
            n
        }
    };
    let peak = vm_hwm_kib();
    println!("{items} {base} {peak}");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() >= 4 && args[1] == "--child" {
        child(&args[2], &args[3]);
        return;
    }
    let dir = support::data_dir();
    let exe = std::env::current_exe().unwrap();
    for (scenario, builds) in [
        ("typed", 5000),
        ("value", 5000),
        ("stream", 5000),
        ("stream", 50_000),
    ] {
        let path = dir.join(format!("listbuilds-{builds}.xml"));
        if !path.exists() {
            std::fs::write(&path, support::list_builds_response(builds)).unwrap();
        }
        let size = std::fs::metadata(&path).unwrap().len();
        let out = Command::new(&exe)
            .args(["--child", scenario, path.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let v: Vec<u64> = text
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        let grew = (v[2] - v[1]) * 1024;
        let peak = v[2] * 1024;
        println!(
            "{scenario:>6} {builds:>6} builds: document {:>6.1} MiB, {} items, peak RSS growth {:>6.1} MiB ({:.2}x document), peak RSS {:>6.1} MiB",
            size as f64 / 1048576.0,
            v[0],
            grew as f64 / 1048576.0,
            grew as f64 / size as f64,
            peak as f64 / 1048576.0,
        );
    }
}
