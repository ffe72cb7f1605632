//! The fast scanner and the quick-xml based reference decoder must accept exactly the
//! same documents and produce the same values.
#![no_main]

use koji_xmlrpc::reference::{self, Document};
use koji_xmlrpc::{DecodeOptions, Fault, Value, decode_call_with, decode_response_with};
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

fuzz_target!(|data: &[u8]| {
    let opts = DecodeOptions::new().max_depth(32);
    let slow = reference::decode_document(data, &opts);
    let fast_call = decode_call_with(data, &opts);
    let fast_resp: Result<Result<Value, Fault>, _> = decode_response_with(data, &opts);
    match slow {
        Ok(Document::Call(c)) => {
            let f = fast_call.unwrap_or_else(|e| panic!("reference accepted a call the scanner rejects: {e}"));
            assert_eq!(f.method, c.method);
            assert_eq!(f.params.len(), c.params.len());
            assert!(f.params.iter().zip(&c.params).all(|(a, b)| same(a, b)), "{f:?} != {c:?}");
            assert!(fast_resp.is_err());
        }
        Ok(Document::Response(v)) => {
            let f = fast_resp.unwrap_or_else(|e| panic!("reference accepted a response the scanner rejects: {e}"));
            assert!(same(&f.expect("scanner saw a fault"), &v));
            assert!(fast_call.is_err());
        }
        Ok(Document::Fault(fault)) => {
            let f = fast_resp.unwrap_or_else(|e| panic!("reference accepted a fault the scanner rejects: {e}"));
            assert_eq!(f.expect_err("scanner saw no fault"), fault);
        }
        Err(e) => {
            assert!(fast_call.is_err(), "scanner accepted a call the reference rejects: {e}");
            assert!(fast_resp.is_err(), "scanner accepted a response the reference rejects: {e}");
        }
    }
});
