//! The AMQP 1.0 value and message decoders on arbitrary bytes: no panic;
//! a value is self-delimiting (decoding just the bytes it used gives the
//! same value); JSON conversion and the protonmsg parser never panic.
#![no_main]

use koji_client::messages::amqp_value::{decode_all, decode_message, decode_value};
use koji_client::messages::parse_amqp1_bytes;
use libfuzzer_sys::fuzz_target;

fn same_json(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    // NaN never reaches JSON (it becomes null), so plain equality is right.
    a == b
}

fuzz_target!(|data: &[u8]| {
    if let Ok((value, used)) = decode_value(data) {
        assert!(
            used > 0 && used <= data.len(),
            "used {used} of {}",
            data.len()
        );
        let (again, used_again) =
            decode_value(&data[..used]).expect("a decoded value's own bytes decode");
        assert_eq!(used_again, used);
        let json = value.to_json();
        assert!(same_json(&json, &again.to_json()), "{value:?} vs {again:?}");
        let _ = value.as_str();
    }
    if let Ok(values) = decode_all(data) {
        for v in &values {
            let _ = v.to_json();
        }
    }
    if let Ok(message) = decode_message(data) {
        let _ = message.application_properties_json();
        let _ = message.to();
        let _ = message.subject();
        let _ = message.body.text_bytes();
    }
    if let Ok(event) = parse_amqp1_bytes(Some("/topic/koji.build.complete"), data) {
        let _ = event.summary(Some("https://koji.example.com/koji"));
        let _ = event.url("https://koji.example.com/koji");
    }
    if let Ok(event) = parse_amqp1_bytes(None, data) {
        let _ = event.summary(None);
    }
});
