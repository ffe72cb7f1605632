//! Property tests: round trips for generated values, agreement of the fast scanner with
//! the reference decoder on mutated documents, streaming equals one-shot decoding.
#![allow(clippy::unwrap_used)]

use koji_xmlrpc::reference::{self, Document};
use koji_xmlrpc::{
    ArrayStreamDecoder, DateTime, DecodeOptions, Fault, Struct, Value, decode_call,
    decode_response, encode_request, encode_response,
};
use proptest::prelude::*;

fn xml_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::range('a', 'z'),
        2 => prop::sample::select(vec!['&', '<', '>', '"', '\'', ']', '\n', '\t', ' ', '\r', ';', '#']),
        1 => any::<char>().prop_filter("XML 1.0 character", |&c| {
            matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
        }),
    ]
}

fn xml_string() -> impl Strategy<Value = String> {
    prop::collection::vec(xml_char(), 0..12).prop_map(|v| v.into_iter().collect())
}

fn finite_double() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |d| d.is_finite()),
        Just(-0.0),
        Just(1e16),
        Just(1e-5),
        Just(5e-324),
    ]
}

fn datetime() -> impl Strategy<Value = DateTime> {
    (
        1u32..=9999,
        1u32..=12,
        1u32..=28,
        0u32..24,
        0u32..60,
        0u32..60,
    )
        .prop_map(|(y, mo, d, h, mi, s)| {
            DateTime::new(format!("{y:04}{mo:02}{d:02}T{h:02}:{mi:02}:{s:02}")).unwrap()
        })
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Nil),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        finite_double().prop_map(Value::Double),
        xml_string().prop_map(Value::String),
        prop::collection::vec(any::<u8>(), 0..80).prop_map(Value::Base64),
        datetime().prop_map(Value::DateTime),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((xml_string(), inner), 0..6)
                .prop_map(|m| Value::Struct(m.into_iter().collect::<Struct>())),
        ]
    })
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

/// Pieces of XML-RPC and XML syntax the mutator splices in.
const TOKENS: &[&str] = &[
    "<value>",
    "</value>",
    "<value/>",
    "<int>",
    "</int>",
    "<i8>",
    "<string>",
    "</string>",
    "<struct>",
    "</struct>",
    "<member>",
    "</member>",
    "<name>",
    "</name>",
    "<array>",
    "<data>",
    "</data>",
    "</array>",
    "<nil/>",
    "<ex:nil/>",
    "<boolean>1</boolean>",
    "<double>1e+20</double>",
    "<base64>AA==</base64>",
    "<!-- c -->",
    "<![CDATA[x]]>",
    "&amp;",
    "&#13;",
    "&bogus;",
    "&#0;",
    "<?pi x?>",
    "<!DOCTYPE x>",
    " ",
    "\r\n",
    "]]>",
    "<param>",
    "</param>",
    "<params>",
    "</params>",
    "<fault>",
    "</fault>",
    "\u{1}",
    "é",
    "<a b='c'>",
    "</a>",
    "<value x=\"1\">",
    "--",
    "<",
    ">",
    "&",
];

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, usize),
    Byte(usize, u8),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(
        prop_oneof![
            (any::<usize>(), 1usize..8).prop_map(|(a, n)| Edit::Delete(a, n)),
            (any::<usize>(), 0..TOKENS.len()).prop_map(|(a, t)| Edit::Insert(a, t)),
            (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Edit::Byte(a, b)),
        ],
        1..4,
    )
}

fn apply(doc: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut d = doc.to_vec();
    for e in edits {
        let len = d.len().max(1);
        match *e {
            Edit::Delete(a, n) => {
                let a = a % len;
                let b = (a + n).min(d.len());
                if a < b {
                    d.drain(a..b);
                }
            }
            Edit::Insert(a, t) => {
                let a = a % (d.len() + 1);
                d.splice(a..a, TOKENS[t].bytes());
            }
            Edit::Byte(a, b) => {
                if !d.is_empty() {
                    let a = a % d.len();
                    d[a] = b;
                }
            }
        }
    }
    d
}

/// Both decoders on one document: same acceptance, same result.
fn agree(doc: &[u8]) {
    let opts = DecodeOptions::new().max_depth(16);
    let slow = reference::decode_document(doc, &opts);
    let call = koji_xmlrpc::decode_call_with(doc, &opts);
    let resp = koji_xmlrpc::decode_response_with::<Value>(doc, &opts);
    match slow {
        Ok(Document::Call(c)) => {
            let f = call.unwrap_or_else(|e| {
                panic!(
                    "scanner rejects ({e}) a call the reference accepts: {:?}",
                    String::from_utf8_lossy(doc)
                )
            });
            assert_eq!(f.method, c.method);
            assert!(
                f.params.len() == c.params.len()
                    && f.params.iter().zip(&c.params).all(|(a, b)| same(a, b))
            );
            assert!(resp.is_err());
        }
        Ok(Document::Response(v)) => {
            let f = resp.unwrap_or_else(|e| {
                panic!(
                    "scanner rejects ({e}) a response the reference accepts: {:?}",
                    String::from_utf8_lossy(doc)
                )
            });
            assert!(same(&f.unwrap(), &v));
            assert!(call.is_err());
        }
        Ok(Document::Fault(fault)) => {
            let f: Result<Value, Fault> =
                resp.unwrap_or_else(|e| panic!("scanner rejects a fault: {e}"));
            assert_eq!(f.unwrap_err(), fault);
        }
        Err(e) => {
            assert!(
                call.is_err(),
                "scanner accepts a call the reference rejects ({e}): {:?}",
                String::from_utf8_lossy(doc)
            );
            assert!(
                resp.is_err(),
                "scanner accepts a response the reference rejects ({e}): {:?}",
                String::from_utf8_lossy(doc)
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn responses_round_trip(v in value()) {
        let doc = encode_response(&v).unwrap();
        let back: Value = decode_response(&doc).unwrap().unwrap();
        prop_assert!(same(&back, &v), "{:?} != {:?}", back, v);
        let slow = reference::decode_response(&doc, &DecodeOptions::default()).unwrap().unwrap();
        prop_assert!(same(&slow, &v));
    }

    #[test]
    fn calls_round_trip(method in "[a-zA-Z_.]{1,20}", params in prop::collection::vec(value(), 0..4)) {
        let doc = encode_request(&method, &params).unwrap();
        let call = decode_call(&doc).unwrap();
        prop_assert_eq!(&call.method, &method);
        prop_assert!(call.params.len() == params.len() && call.params.iter().zip(&params).all(|(a, b)| same(a, b)));
    }

    #[test]
    fn mutated_documents_get_the_same_verdict_from_both_decoders(v in value(), call in any::<bool>(), e in edits()) {
        let doc = if call { encode_request("m", std::slice::from_ref(&v)).unwrap() } else { encode_response(&v).unwrap() };
        agree(&apply(&doc, &e));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        agree(&bytes);
    }

    #[test]
    fn streaming_matches_one_shot(items in prop::collection::vec(value(), 0..20), cuts in prop::collection::vec(1usize..64, 1..40)) {
        let doc = encode_response(&Value::Array(items.clone())).unwrap();
        let mut d = ArrayStreamDecoder::<Value>::new();
        let mut got = Vec::new();
        let mut pos = 0;
        let mut i = 0;
        while pos < doc.len() {
            let n = cuts[i % cuts.len()].min(doc.len() - pos);
            d.feed(&doc[pos..pos + n]);
            pos += n;
            i += 1;
            while let Some(v) = d.next_item().unwrap() {
                got.push(v);
            }
        }
        d.finish().unwrap();
        while let Some(v) = d.next_item().unwrap() {
            got.push(v);
        }
        prop_assert!(d.is_done());
        prop_assert!(got.len() == items.len() && got.iter().zip(&items).all(|(a, b)| same(a, b)));
    }
}
