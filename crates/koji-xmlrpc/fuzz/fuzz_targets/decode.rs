//! Every decoder entry point on arbitrary bytes: no panic, and whatever decodes
//! re-encodes and decodes to the same value.
#![no_main]

use koji_xmlrpc::{DecodeOptions, Value, decode_call_with, decode_response_with, encode_request, encode_response};
use libfuzzer_sys::fuzz_target;

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Double(x), Value::Double(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Value::Struct(x), Value::Struct(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
        }
        _ => a == b,
    }
}

fn finite(v: &Value) -> bool {
    match v {
        Value::Double(d) => d.is_finite(),
        Value::Array(a) => a.iter().all(finite),
        Value::Struct(s) => s.values().all(finite),
        _ => true,
    }
}

fuzz_target!(|data: &[u8]| {
    let opts = DecodeOptions::new().max_depth(32);
    if let Ok(call) = decode_call_with(data, &opts) {
        if call.params.iter().all(finite) {
            let again = encode_request(&call.method, &call.params).expect("decoded call re-encodes");
            let back = decode_call_with(&again, &opts).expect("re-encoded call decodes");
            assert_eq!(back.method, call.method);
            assert!(back.params.iter().zip(&call.params).all(|(a, b)| same(a, b)));
        }
    }
    if let Ok(Ok(v)) = decode_response_with::<Value>(data, &opts) {
        if finite(&v) {
            let again = encode_response(&v).expect("decoded value re-encodes");
            let back = decode_response_with::<Value>(&again, &opts).expect("re-encoded response decodes");
            assert!(same(&back.expect("not a fault"), &v));
        }
    }
    // Typed decoding exercises the serde paths (borrowed strings, options, ignored members).
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Typed<'a> {
        id: Option<i64>,
        name: Option<&'a str>,
        ts: Option<f64>,
        list: Option<Vec<Option<u32>>>,
    }
    let _ = decode_response_with::<Vec<Typed<'_>>>(data, &opts);
});
