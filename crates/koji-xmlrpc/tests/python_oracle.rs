//! Differential tests against the official Python client (the oracle):
//! thousands of generated values go through `koji.xmlrpcplus.dumps` and are decoded
//! here, and through this crate's encoder and are parsed by `xmlrpc.client.loads`.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine as _;
use koji_xmlrpc::{DateTime, Struct, Value, decode_response, encode_request, encode_response};
use serde_json::json;

/// splitmix64: a small seeded generator, so every run tests the same values.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn gen_char(r: &mut Rng) -> char {
    const SPECIAL: &[char] = &[
        '&', '<', '>', '"', '\'', ']', '\n', '\t', ' ', '\r', ';', '#',
    ];
    match r.below(10) {
        0..=4 => (b'a' + r.below(26) as u8) as char,
        5 | 6 => SPECIAL[r.below(SPECIAL.len() as u64) as usize],
        7 => char::from_u32(0xA0 + r.below(0x700) as u32).unwrap_or('x'),
        8 => char::from_u32(0x3040 + r.below(0x60) as u32).unwrap_or('x'),
        _ => ['😀', '𝄞', '\u{FFFD}', '\u{2028}', '\u{FEFF}', '\u{10FFFF}'][r.below(6) as usize],
    }
}

fn gen_string(r: &mut Rng, cr: bool) -> String {
    let n = r.below(12);
    (0..n)
        .map(|_| gen_char(r))
        .filter(|&c| cr || c != '\r')
        .collect()
}

fn gen_double(r: &mut Rng, nonfinite: bool) -> f64 {
    match r.below(8) {
        0 => f64::from_bits(r.next()),
        1 => (r.next() as i64 as f64) / 1000.0,
        2 => [0.0, -0.0, 0.1, 1e16, 1e-5, 5e-324, 1e21, 123456789.125][r.below(8) as usize],
        3 if nonfinite => [f64::INFINITY, f64::NEG_INFINITY, f64::NAN][r.below(3) as usize],
        4 => 10f64.powi(r.below(600) as i32 - 300) * (r.below(1000) as f64 + 1.0),
        _ => (r.next() % 100_000) as f64 / 64.0,
    }
    .max(f64::MIN)
}

fn gen_value(r: &mut Rng, depth: u32, cr: bool, nonfinite: bool) -> Value {
    let k = if depth >= 3 { r.below(7) } else { r.below(9) };
    match k {
        0 => Value::Nil,
        1 => Value::Bool(r.below(2) == 1),
        2 => Value::Int(match r.below(4) {
            0 => r.next() as i64,
            1 => (r.next() as i32).into(),
            2 => [
                0,
                i64::MAX,
                i64::MIN,
                2147483647,
                2147483648,
                -2147483648,
                -2147483649,
            ][r.below(7) as usize],
            _ => r.below(1000) as i64 - 500,
        }),
        3 => {
            let d = gen_double(r, nonfinite);
            if d.is_finite() || nonfinite {
                Value::Double(d)
            } else {
                Value::Double(0.5)
            }
        }
        4 | 5 => Value::String(gen_string(r, cr)),
        6 => {
            if r.below(3) == 0 {
                let n = r.below(200) as usize;
                Value::Base64((0..n).map(|_| r.next() as u8).collect())
            } else {
                let text = format!(
                    "{:04}{:02}{:02}T{:02}:{:02}:{:02}",
                    1 + r.below(9999),
                    1 + r.below(12),
                    1 + r.below(28),
                    r.below(24),
                    r.below(60),
                    r.below(60)
                );
                Value::DateTime(DateTime::new(text).unwrap())
            }
        }
        7 => Value::Array(
            (0..r.below(5))
                .map(|_| gen_value(r, depth + 1, cr, nonfinite))
                .collect(),
        ),
        _ => {
            let mut s = Struct::new();
            for _ in 0..r.below(5) {
                s.insert(gen_string(r, cr), gen_value(r, depth + 1, cr, nonfinite));
            }
            Value::Struct(s)
        }
    }
}

fn tagged(v: &Value) -> serde_json::Value {
    match v {
        Value::Nil => json!({"n": null}),
        Value::Bool(b) => json!({"b": b}),
        Value::Int(i) => json!({"i": i.to_string()}),
        Value::Double(d) => {
            json!({"d": if d.is_nan() { "nan".to_string() } else if d.is_infinite() { if *d > 0.0 { "inf".into() } else { "-inf".into() } } else { format!("{d:e}") }})
        }
        Value::String(s) => json!({"s": s}),
        Value::Base64(b) => json!({"x": base64::engine::general_purpose::STANDARD.encode(b)}),
        Value::DateTime(t) => json!({"t": t.as_str()}),
        Value::Array(a) => json!({"a": a.iter().map(tagged).collect::<Vec<_>>()}),
        Value::Struct(s) => {
            json!({"m": s.iter().map(|(k, v)| json!([k, tagged(v)])).collect::<Vec<_>>()})
        }
    }
}

fn untagged(j: &serde_json::Value) -> Value {
    let (tag, x) = j.as_object().unwrap().iter().next().unwrap();
    match tag.as_str() {
        "n" => Value::Nil,
        "b" => Value::Bool(x.as_bool().unwrap()),
        "i" => Value::Int(x.as_str().unwrap().parse().unwrap()),
        "d" => Value::Double(x.as_str().unwrap().parse().unwrap()),
        "s" => Value::String(x.as_str().unwrap().to_string()),
        "x" => Value::Base64(
            base64::engine::general_purpose::STANDARD
                .decode(x.as_str().unwrap())
                .unwrap(),
        ),
        "t" => Value::DateTime(DateTime::new(x.as_str().unwrap()).unwrap()),
        "a" => Value::Array(x.as_array().unwrap().iter().map(untagged).collect()),
        "m" => Value::Struct(
            x.as_array()
                .unwrap()
                .iter()
                .map(|p| (p[0].as_str().unwrap().to_string(), untagged(&p[1])))
                .collect(),
        ),
        other => panic!("unknown tag {other}"),
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Double(x), Value::Double(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Struct(x), Value::Struct(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
        }
        _ => a == b,
    }
}

/// What an XML parser makes of Python's raw CRs: line ends.
fn cr_normalized(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace("\r\n", "\n").replace('\r', "\n")),
        Value::Array(a) => Value::Array(a.iter().map(cr_normalized).collect()),
        Value::Struct(s) => Value::Struct(
            s.iter()
                .map(|(k, v)| {
                    (
                        k.replace("\r\n", "\n").replace('\r', "\n"),
                        cr_normalized(v),
                    )
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn has_cr_or_nonfinite(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\r'),
        Value::Double(d) => !d.is_finite(),
        Value::Array(a) => a.iter().any(has_cr_or_nonfinite),
        Value::Struct(s) => s
            .iter()
            .any(|(k, v)| k.contains('\r') || has_cr_or_nonfinite(v)),
        _ => false,
    }
}

fn run_oracle(input: &serde_json::Value) -> serde_json::Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/oracle.py");
    let mut child = Command::new(support::python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let body = serde_json::to_vec(input).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&body).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

const N: usize = 3000;

#[test]
fn python_dumps_decodes_here_to_the_same_value_and_bytes() {
    let mut r = Rng(0x5eed_0001);
    let values: Vec<Value> = (0..N).map(|_| gen_value(&mut r, 0, true, true)).collect();
    let out = run_oracle(&json!({"dumps": values.iter().map(tagged).collect::<Vec<_>>()}));
    let docs = out["dumps"].as_array().unwrap();
    assert_eq!(docs.len(), N);
    let mut identical = 0;
    for (v, doc) in values.iter().zip(docs) {
        let doc = doc.as_str().unwrap();
        let got: Value = decode_response(doc.as_bytes())
            .unwrap_or_else(|e| panic!("{e} decoding {doc}"))
            .unwrap();
        assert!(
            same(&got, &cr_normalized(v)),
            "{v:?} came back as {got:?} from {doc}"
        );
        if !has_cr_or_nonfinite(v) {
            // Same value, same bytes: the layout is Python's.
            assert_eq!(
                String::from_utf8(encode_response(v).unwrap()).unwrap(),
                doc,
                "{v:?}"
            );
            identical += 1;
        }
    }
    assert!(identical > N / 2, "only {identical} byte comparisons");
}

#[test]
fn what_we_encode_python_loads_back_equal() {
    let mut r = Rng(0x5eed_0002);
    let params: Vec<Vec<Value>> = (0..N)
        .map(|_| {
            (0..r.below(4))
                .map(|_| gen_value(&mut r, 0, true, false))
                .collect()
        })
        .collect();
    let docs: Vec<String> = params
        .iter()
        .map(|p| String::from_utf8(encode_request("echo", p).unwrap()).unwrap())
        .collect();
    let out = run_oracle(&json!({"loads": docs}));
    let got = out["loads"].as_array().unwrap();
    assert_eq!(got.len(), N);
    for ((p, doc), g) in params.iter().zip(&docs).zip(got) {
        assert!(g.get("error").is_none(), "Python rejected {doc}: {g}");
        let back = untagged(g);
        // \r is written as &#13; and survives, unlike Python's own encoding.
        assert!(
            same(&back, &Value::Array(p.clone())),
            "{p:?} came back as {back:?} from {doc}"
        );
    }
}

/// Without base64 (koji's `json.dumps` cannot print `Binary` and fails).
fn without_base64(v: &Value) -> Value {
    match v {
        Value::Base64(_) => Value::String("b".into()),
        Value::Array(a) => Value::Array(a.iter().map(without_base64).collect()),
        Value::Struct(s) => Value::Struct(
            s.iter()
                .map(|(k, v)| (k.clone(), without_base64(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn json_transcoding_prints_what_koji_call_json_output_prints() {
    use koji_xmlrpc::{JsonOptions, JsonTranscoder};
    let mut r = Rng(0x5eed_0003);
    let values: Vec<Value> = (0..N)
        .map(|_| without_base64(&gen_value(&mut r, 0, true, true)))
        .collect();
    let out = run_oracle(&json!({"json": values.iter().map(tagged).collect::<Vec<_>>()}));
    let pairs = out["json"].as_array().unwrap();
    assert_eq!(pairs.len(), N);
    let mut non_ascii = 0;
    for (i, pair) in pairs.iter().enumerate() {
        // Python's document (raw CRs, nan, inf...), transcoded here in pieces.
        let doc = pair[0].as_str().unwrap().as_bytes();
        let want = pair[1].as_str().unwrap();
        let mut t = JsonTranscoder::new(JsonOptions::new());
        let mut got = Vec::new();
        for c in doc.chunks(1 + i % 17) {
            t.feed(c, &mut got).unwrap();
        }
        t.finish(&mut got).unwrap();
        assert_eq!(std::str::from_utf8(&got).unwrap(), want, "{}", pair[0]);
        non_ascii += usize::from(want.contains("\\u"));
    }
    assert!(non_ascii > N / 10, "only {non_ascii} answers with escapes");
}
