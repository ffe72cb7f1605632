//! Realistic benchmark inputs: `listBuilds` responses of any size, built from the
//! recorded hub's own rows (dataset/listBuilds.json: field set, member order, value
//! shapes), and a 10,000-call multicall.
#![allow(dead_code, clippy::unwrap_used, unreachable_pub)]

use std::path::PathBuf;

use koji_xmlrpc::{Struct, Value};
use serde::Deserialize;

/// Where benchmark inputs are written for the Python comparison script.
pub fn data_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/koji-xmlrpc-bench");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The recorded hub's `listBuilds` rows (member order as the hub sends it).
pub fn template_builds() -> Vec<Struct> {
    // The data set koji-testhub serves, in this repository.
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../koji-testhub/data/realhub/dataset/listBuilds.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rows: Vec<Value> = serde_json::from_value::<Vec<Value>>(v["data"].clone()).unwrap();
    rows.into_iter()
        .map(|r| match r {
            Value::Struct(s) => s,
            _ => panic!("listBuilds row is not a struct"),
        })
        .collect()
}

/// `n` builds shaped like the hub's rows, with distinct ids, NVRs and times. One build
/// in 25 is a container build (a large `extra`), the others RPM builds: 5,000 builds
/// make a 12 MB document.
pub fn builds(n: usize) -> Vec<Value> {
    let (big, small): (Vec<Struct>, Vec<Struct>) = template_builds().into_iter().partition(|b| {
        koji_xmlrpc::encode_response(&Value::Struct(b.clone()))
            .unwrap()
            .len()
            > 3000
    });
    (0..n)
        .map(|i| {
            let mut b = if i % 25 == 24 {
                big[(i / 25) % big.len()].clone()
            } else {
                small[i % small.len()].clone()
            };
            let id = i as i64 + 1;
            b.insert("build_id".into(), Value::Int(id));
            let name = b["name"].as_str().unwrap().to_string();
            let version = format!("{}.{}", 1 + i / 1000, i % 1000);
            let release = format!("{}.fc{}", 1 + i % 7, 38 + i % 4);
            b.insert("version".into(), Value::from(version.clone()));
            b.insert("release".into(), Value::from(release.clone()));
            b.insert(
                "nvr".into(),
                Value::from(format!("{name}-{version}-{release}")),
            );
            b.insert("creation_event_id".into(), Value::Int(1000 + id));
            let ts = 1_790_000_000.0 + i as f64 * 97.123457;
            for (k, off) in [
                ("creation_ts", 0.0),
                ("start_ts", 12.5),
                ("completion_ts", 913.25),
            ] {
                if !b[k].is_nil() {
                    b.insert(k.into(), Value::Double(ts + off));
                }
            }
            if b["task_id"].is_nil() && i % 3 == 0 {
                b.insert("task_id".into(), Value::Int(5000 + id));
            }
            Value::Struct(b)
        })
        .collect()
}

/// A `listBuilds` response with `n` builds, byte-identical to what the hub would send.
pub fn list_builds_response(n: usize) -> Vec<u8> {
    koji_xmlrpc::encode_response(&Value::Array(builds(n))).unwrap()
}

/// A typed model of a `listBuilds` row, as a client would declare it.
#[derive(Debug, Deserialize)]
pub struct Build {
    pub build_id: i64,
    pub version: String,
    pub release: String,
    pub epoch: Option<i64>,
    pub draft: Option<bool>,
    pub state: i64,
    pub task_id: Option<i64>,
    pub owner_id: i64,
    pub owner_name: String,
    pub promoter_id: Option<i64>,
    pub promoter_name: Option<String>,
    pub package_id: i64,
    pub package_name: String,
    pub name: String,
    pub nvr: String,
    pub volume_id: i64,
    pub volume_name: String,
    pub creation_event_id: i64,
    pub creation_time: String,
    pub creation_ts: f64,
    pub start_time: Option<String>,
    pub start_ts: Option<f64>,
    pub completion_time: Option<String>,
    pub completion_ts: Option<f64>,
    pub promotion_time: Option<String>,
    pub promotion_ts: Option<f64>,
    pub source: Option<String>,
    pub extra: Option<Value>,
}

/// The same row with borrowed strings (no allocation where the text has no escapes).
#[derive(Debug, Deserialize)]
pub struct BuildRef<'a> {
    pub build_id: i64,
    pub version: &'a str,
    pub release: &'a str,
    pub epoch: Option<i64>,
    pub draft: Option<bool>,
    pub state: i64,
    pub task_id: Option<i64>,
    pub owner_id: i64,
    pub owner_name: &'a str,
    pub promoter_id: Option<i64>,
    pub promoter_name: Option<&'a str>,
    pub package_id: i64,
    pub package_name: &'a str,
    pub name: &'a str,
    pub nvr: &'a str,
    pub volume_id: i64,
    pub volume_name: &'a str,
    pub creation_event_id: i64,
    pub creation_time: &'a str,
    pub creation_ts: f64,
    pub start_time: Option<&'a str>,
    pub start_ts: Option<f64>,
    pub completion_time: Option<&'a str>,
    pub completion_ts: Option<f64>,
    pub promotion_time: Option<&'a str>,
    pub promotion_ts: Option<f64>,
    pub source: Option<&'a str>,
    pub extra: Option<Value>,
}

/// The calls of the multicall benchmark: alternately `getBuild(id)` and
/// `getTaskInfo(id, request=True)`.
pub fn multicall_calls(n: usize) -> Vec<(&'static str, Vec<Value>)> {
    (0..n)
        .map(|i| {
            if i % 2 == 0 {
                ("getBuild", vec![Value::Int(i as i64)])
            } else {
                let mut kw = Struct::new();
                kw.insert("request".into(), Value::Bool(true));
                (
                    "getTaskInfo",
                    vec![Value::Int(i as i64), koji_xmlrpc::kwargs_struct(kw)],
                )
            }
        })
        .collect()
}

pub fn encode_multicall(calls: &[(&str, Vec<Value>)]) -> Vec<u8> {
    let mut m = koji_xmlrpc::MulticallWriter::new();
    for (method, params) in calls {
        m.call_values(method, params).unwrap();
    }
    m.finish()
}

/// The baseline of the decoding benchmarks: a bare quick-xml event loop over the
/// document (`read_event` until `Eof`, nothing decoded); returns the number of events.
pub fn bare_quick_xml(doc: &[u8]) -> usize {
    let mut r = quick_xml::reader::Reader::from_reader(doc);
    let mut n = 0;
    loop {
        match r.read_event().unwrap() {
            quick_xml::events::Event::Eof => return n,
            _ => n += 1,
        }
    }
}

/// Decodes the builds of a `listBuilds` response one at a time, fed in 64 KiB chunks as
/// they would arrive from the network; returns how many there were.
pub fn stream_builds(doc: &[u8]) -> usize {
    let mut d = koji_xmlrpc::ArrayStreamDecoder::<Build>::new();
    let mut n = 0;
    for chunk in doc.chunks(64 * 1024) {
        d.feed(chunk);
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
