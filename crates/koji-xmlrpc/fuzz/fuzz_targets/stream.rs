//! The push decoder on arbitrary bytes split at an arbitrary point: no panic, and when it
//! succeeds it yields what the one-shot decoder yields.
#![no_main]

use koji_xmlrpc::{ArrayStreamDecoder, DecodeOptions, Value, decode_response_with};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&split, doc)) = data.split_first() else { return };
    let opts = DecodeOptions::new().max_depth(32);
    let cut = (split as usize * doc.len()) / 255;
    let mut d = ArrayStreamDecoder::<Value>::with_options(opts.clone());
    let mut items = Vec::new();
    let mut failed = false;
    for chunk in [&doc[..cut], &doc[cut..]] {
        d.feed(chunk);
        loop {
            match d.next_item() {
                Ok(Some(v)) => items.push(v),
                Ok(None) => break,
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
    }
    if !failed && d.finish().is_ok() {
        loop {
            match d.next_item() {
                Ok(Some(v)) => items.push(v),
                Ok(None) => break,
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
    }
    let whole = decode_response_with::<Value>(data.get(1..).unwrap_or(&[]), &opts);
    if !failed && d.is_done() {
        match whole {
            Ok(Ok(Value::Array(a))) => assert_eq!(format!("{a:?}"), format!("{items:?}")),
            other => panic!("stream decoded {} items, one-shot gave {other:?}", items.len()),
        }
    }
});
