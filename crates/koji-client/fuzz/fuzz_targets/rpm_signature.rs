//! The RPM lead/signature reader and the streaming verifier on arbitrary
//! bytes: no panic; a "need more bytes" answer always asks for more than
//! it was given; a signature read from a prefix is the same as from the
//! whole input; the verifier gives the same verdict whatever the piece
//! size.
#![no_main]

use koji_client::download::rpmsig::{RpmError, read_signature};
use koji_client::download::verify::{Check, Expected, Verifier};
use libfuzzer_sys::fuzz_target;

fn verdict(data: &[u8], piece: usize) -> String {
    let expected = Expected {
        size: None,
        check: Check::Rpm { payloadhash: None },
    };
    let Ok(mut v) = Verifier::new(expected) else {
        return "init".into();
    };
    for c in data.chunks(piece.max(1)) {
        if let Err(e) = v.update(c) {
            return format!("{e}");
        }
    }
    match v.finish() {
        Ok(ok) => format!("{ok:?}"),
        Err(e) => format!("{e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    match read_signature(data) {
        Err(RpmError::Truncated { need }) => assert!(need > data.len()),
        Ok(sig) => {
            assert!(sig.header_start <= data.len());
            assert_eq!(read_signature(&data[..sig.header_start]), Ok(sig));
        }
        Err(_) => {}
    }
    let whole = verdict(data, data.len());
    let piece = 1 + data.first().copied().unwrap_or(0) as usize % 64;
    assert_eq!(whole, verdict(data, piece));
});
