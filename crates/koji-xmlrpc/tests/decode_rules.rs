//! What the decoders accept and what they reject (one test per rejection), checked on
//! both the fast decoder and the reference decoder.
#![allow(clippy::unwrap_used)]

use koji_xmlrpc::reference;
use koji_xmlrpc::{
    DateTime, DecodeOptions, Error, ErrorKind, Fault, Struct, Value, decode_call, decode_response,
    decode_response_with,
};

fn resp(value_xml: &str) -> Vec<u8> {
    format!("<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n{value_xml}\n</param>\n</params>\n</methodResponse>\n")
        .into_bytes()
}

/// Decodes with both decoders, checks they agree, returns the fast one's result.
fn both(doc: &[u8]) -> Result<Result<Value, Fault>, Error> {
    both_with(doc, &DecodeOptions::default())
}

fn both_with(doc: &[u8], opts: &DecodeOptions) -> Result<Result<Value, Fault>, Error> {
    let fast = decode_response_with::<Value>(doc, opts);
    let slow = reference::decode_response(doc, opts);
    match (&fast, &slow) {
        (Ok(a), Ok(b)) => assert!(same_outcome(a, b), "decoders disagree: {a:?} / {b:?}"),
        (Err(_), Err(_)) => {}
        _ => panic!("decoders disagree: fast {fast:?}, reference {slow:?}"),
    }
    fast
}

/// Equality with NaN equal to itself (bit patterns for doubles).
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

fn same_outcome(a: &Result<Value, Fault>, b: &Result<Value, Fault>) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => same(a, b),
        (Err(a), Err(b)) => a == b,
        _ => false,
    }
}

fn value(value_xml: &str) -> Value {
    both(&resp(value_xml)).unwrap().unwrap()
}

fn reject(doc: &[u8]) -> Error {
    let e = both(doc).unwrap_err();
    let shown = e.to_string();
    assert!(
        shown.chars().count() < 300,
        "error message too long: {shown}"
    );
    e
}

// ---------------------------------------------------------------- accepted

#[test]
fn integers_in_all_spellings() {
    assert_eq!(value("<value><int>42</int></value>"), Value::Int(42));
    assert_eq!(value("<value><i4>-7</i4></value>"), Value::Int(-7));
    assert_eq!(
        value("<value><i8>-9223372036854775808</i8></value>"),
        Value::Int(i64::MIN)
    );
    assert_eq!(value("<value><int> +5 </int></value>"), Value::Int(5));
}

#[test]
fn nil_and_namespaced_nil() {
    assert_eq!(value("<value><nil/></value>"), Value::Nil);
    assert_eq!(value("<value><ex:nil/></value>"), Value::Nil);
    assert_eq!(value("<value><ex:nil></ex:nil></value>"), Value::Nil);
    let with_ns = b"<methodResponse xmlns:ex=\"http://ws.apache.org/xmlrpc/namespaces/extensions\"><params><param><value><ex:nil/></value></param></params></methodResponse>";
    assert_eq!(both(with_ns).unwrap().unwrap(), Value::Nil);
}

#[test]
fn untyped_and_empty_values_are_strings() {
    assert_eq!(value("<value>bare text</value>"), Value::from("bare text"));
    assert_eq!(value("<value></value>"), Value::from(""));
    assert_eq!(value("<value/>"), Value::from(""));
    assert_eq!(value("<value><string/></value>"), Value::from(""));
    assert_eq!(
        value("<value>  spaced  </value>"),
        Value::from("  spaced  ")
    );
}

#[test]
fn whitespace_and_comments_between_elements() {
    let doc = b"<?xml version=\"1.0\"?>\n<!-- head -->\n<methodResponse>\n  <!-- c --> <params> <param>\n\t<value>\n <!-- x --> <struct> <member> <name>a</name> <!-- y --> <value> <int>1</int> </value> </member> </struct> </value>\r\n</param></params>\n</methodResponse>\n<!-- tail -->\n";
    let mut s = Struct::new();
    s.insert("a".into(), Value::Int(1));
    assert_eq!(both(doc).unwrap().unwrap(), Value::Struct(s));
}

#[test]
fn doubles_in_every_form() {
    assert_eq!(
        value("<value><double>1e+20</double></value>"),
        Value::Double(1e20)
    );
    assert_eq!(
        value("<value><double>-2.5E-3</double></value>"),
        Value::Double(-2.5e-3)
    );
    assert_eq!(
        value("<value><double>inf</double></value>"),
        Value::Double(f64::INFINITY)
    );
    assert_eq!(
        value("<value><double>-inf</double></value>"),
        Value::Double(f64::NEG_INFINITY)
    );
    assert!(matches!(value("<value><double>nan</double></value>"), Value::Double(d) if d.is_nan()));
    assert_eq!(
        value("<value><double>-0.0</double></value>")
            .as_f64()
            .unwrap()
            .to_bits(),
        (-0.0f64).to_bits()
    );
}

#[test]
fn base64_with_line_breaks() {
    let v = value(
        "<value><base64>\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\nOTo=\n</base64></value>",
    );
    assert_eq!(v, Value::Base64((0u8..=58).collect()));
    assert_eq!(
        value("<value><base64></base64></value>"),
        Value::Base64(vec![])
    );
}

#[test]
fn datetime_values() {
    assert_eq!(
        value("<value><dateTime.iso8601>20261125T12:34:56</dateTime.iso8601></value>"),
        Value::DateTime(DateTime::new("20261125T12:34:56").unwrap())
    );
}

#[test]
fn references_entities_and_cdata() {
    assert_eq!(
        value("<value><string>&amp;&lt;&gt;&quot;&apos;&#65;&#x42;&#x1F600;</string></value>"),
        Value::from("&<>\"'AB\u{1F600}")
    );
    assert_eq!(
        value("<value><string>a<![CDATA[<b>&amp;]]>c</string></value>"),
        Value::from("a<b>&amp;c")
    );
    assert_eq!(value("<value><![CDATA[x]]></value>"), Value::from("x"));
    assert_eq!(
        value("<value><string>a<!--c-->b</string></value>"),
        Value::from("ab")
    );
    // Raw CR and CRLF are line ends (normalised); &#13; survives.
    assert_eq!(
        value("<value><string>a\r\nb\rc&#13;d</string></value>"),
        Value::from("a\nb\nc\rd")
    );
}

#[test]
fn latin1_declared_documents() {
    let mut doc = b"<?xml version='1.0' encoding='ISO-8859-1'?>\n<methodResponse><params><param><value><string>Gr".to_vec();
    doc.extend_from_slice(&[0xFC, 0xDF]);
    doc.extend_from_slice(b"e</string></value></param></params></methodResponse>");
    assert_eq!(both(&doc).unwrap().unwrap(), Value::from("Grüße"));
}

#[test]
fn calls_without_params_or_with_empty_params() {
    for doc in [
        &b"<methodCall><methodName>echo</methodName></methodCall>"[..],
        b"<methodCall><methodName>echo</methodName><params/></methodCall>",
        b"<methodCall><methodName>echo</methodName><params>\n</params></methodCall>",
    ] {
        let call = decode_call(doc).unwrap();
        assert_eq!(
            reference::decode_call(doc, &DecodeOptions::default()).unwrap(),
            call
        );
        assert_eq!(call.method, "echo");
        assert!(call.params.is_empty());
    }
}

#[test]
fn multicall_fault_entries_keep_traceback() {
    let doc = resp(
        "<value><array><data>\n<value><array><data>\n<value><int>1</int></value>\n</data></array></value>\n\
         <value><struct>\n<member>\n<name>faultCode</name>\n<value><int>1000</int></value>\n</member>\n\
         <member>\n<name>faultString</name>\n<value><string>boom</string></value>\n</member>\n\
         <member>\n<name>traceback</name>\n<value><array><data>\n<value><string>line 1</string></value>\n</data></array></value>\n</member>\n\
         </struct></value>\n</data></array></value>",
    );
    #[derive(serde::Deserialize, Debug)]
    #[serde(untagged)]
    enum Entry {
        Ok((i64,)),
        Fault(Fault),
    }
    let entries: Vec<Entry> = decode_response(&doc).unwrap().unwrap();
    assert!(matches!(entries[0], Entry::Ok((1,))));
    let Entry::Fault(f) = &entries[1] else {
        panic!("{entries:?}")
    };
    assert_eq!((f.code, f.string.as_str()), (1000, "boom"));
    assert_eq!(
        f.extra["traceback"],
        Value::Array(vec![Value::from("line 1")])
    );
}

#[test]
fn fault_responses() {
    let doc = b"<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>1000</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>No such build: x</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n";
    assert_eq!(
        both(doc).unwrap().unwrap_err(),
        Fault::new(1000, "No such build: x")
    );
}

// ---------------------------------------------------------------- rejected

#[test]
fn rejects_malformed_xml() {
    let e = reject(&resp(
        "<value><struct><member><name>a</name><value><int>1</int></value></member></struc></value>",
    ));
    assert_eq!(e.kind(), ErrorKind::Syntax);
    assert!(e.offset().is_some());
}

#[test]
fn rejects_invalid_utf8_naming_the_value() {
    let mut doc = resp(
        "<value><array><data><value><int>1</int></value><value><string>okXX</string></value></data></array></value>",
    );
    let p = doc.windows(2).position(|w| w == b"XX").unwrap();
    doc[p] = 0xC3;
    doc[p + 1] = 0x28;
    let e = reject(&doc);
    assert_eq!(e.kind(), ErrorKind::InvalidUtf8);
    assert_eq!(e.offset(), Some(p));
    let fast = decode_response::<Value>(&doc).unwrap_err();
    assert_eq!(fast.path(), "params[0][1]");
}

#[test]
fn rejects_a_dtd() {
    let doc = b"<?xml version='1.0'?>\n<!DOCTYPE methodResponse SYSTEM \"http://example.invalid/x.dtd\">\n<methodResponse><params><param><value>x</value></param></params></methodResponse>";
    let e = reject(doc);
    assert_eq!(e.kind(), ErrorKind::Dtd);
    assert_eq!(e.offset(), Some(22));
}

#[test]
fn rejects_billion_laughs_without_expanding() {
    let mut doc =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        doc.push_str(&format!(
            " <!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    doc.push_str("]>\n<methodResponse><params><param><value><string>&lol9;</string></value></param></params></methodResponse>");
    let e = reject(doc.as_bytes());
    assert_eq!(e.kind(), ErrorKind::Dtd);
}

#[test]
fn rejects_entity_declarations_and_undeclared_entities() {
    let e = reject(&resp("<!ENTITY x \"y\"><value>a</value>"));
    assert_eq!(e.kind(), ErrorKind::Syntax);
    let e = reject(&resp("<value><string>&lol9;</string></value>"));
    assert_eq!(e.kind(), ErrorKind::UnknownEntity);
    assert_eq!(
        decode_response::<Value>(&resp("<value><string>&lol9;</string></value>"))
            .unwrap_err()
            .path(),
        "params[0]"
    );
}

#[test]
fn rejects_nesting_deeper_than_the_limit() {
    let deep = |n: usize| {
        resp(&format!(
            "{}<value><int>1</int></value>{}",
            "<value><array><data>".repeat(n),
            "</data></array></value>".repeat(n)
        ))
    };
    assert!(both(&deep(128)).is_ok());
    let e = reject(&deep(129));
    assert_eq!(e.kind(), ErrorKind::DepthLimit);
    let e = both_with(&deep(11), &DecodeOptions::new().max_depth(10)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DepthLimit);
    assert!(e.path().starts_with("params[0][0][0]"));
}

#[test]
fn rejects_a_million_nested_arrays_without_overflowing_the_stack() {
    let n = 1_000_000;
    let doc = resp(&format!(
        "{}{}",
        "<value><array><data>".repeat(n),
        "</data></array></value>".repeat(n)
    ));
    let e = reject(&doc);
    assert_eq!(e.kind(), ErrorKind::DepthLimit);
    let mut s = koji_xmlrpc::ArrayStreamDecoder::<Value>::new();
    s.feed(&doc);
    assert_eq!(s.next_item().unwrap_err().kind(), ErrorKind::DepthLimit);
}

#[test]
fn rejects_documents_over_the_size_limit() {
    let doc = resp("<value><string>0123456789</string></value>");
    let e = both_with(&doc, &DecodeOptions::new().max_size(Some(64))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SizeLimit);
    assert_eq!(e.offset(), Some(64));
    assert!(both_with(&doc, &DecodeOptions::new().max_size(None)).is_ok());
}

#[test]
fn rejects_unknown_type_tags() {
    let e = reject(&resp(
        "<value><array><data><value><bigdecimal>1.5</bigdecimal></value></data></array></value>",
    ));
    assert_eq!(e.kind(), ErrorKind::UnknownType);
    let fast = decode_response::<Value>(&resp(
        "<value><array><data><value><bigdecimal>1.5</bigdecimal></value></data></array></value>",
    ))
    .unwrap_err();
    assert_eq!(fast.path(), "params[0][0]");
    assert!(fast.to_string().contains("bigdecimal"));
}

#[test]
fn rejects_truncated_input_at_every_length() {
    let mut s = Struct::new();
    s.insert("name".into(), Value::from("a&b"));
    s.insert(
        "list".into(),
        Value::Array(vec![Value::Int(1), Value::Nil, Value::Double(0.5)]),
    );
    let full = koji_xmlrpc::encode_response(&Value::Struct(s)).unwrap();
    // Everything up to the closing tag is required; only the final newline is optional.
    for len in 0..full.len() - 1 {
        let e = both(&full[..len]).unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::Truncated | ErrorKind::Syntax),
            "at {len}: {e}"
        );
    }
    let e = reject(&full[..full.len() / 2]);
    assert_eq!(e.kind(), ErrorKind::Truncated);
}

#[test]
fn rejects_boolean_words() {
    let e = reject(&resp("<value><boolean>true</boolean></value>"));
    assert_eq!(e.kind(), ErrorKind::InvalidValue);
}

#[test]
fn rejects_forbidden_characters() {
    let e = reject(&resp("<value><string>ctrl\u{1}char</string></value>"));
    assert_eq!(e.kind(), ErrorKind::InvalidChar);
    let e = reject(&resp("<value><string>&#1;</string></value>"));
    assert_eq!(e.kind(), ErrorKind::InvalidChar);
}

#[test]
fn rejects_integers_beyond_64_bits() {
    let e = reject(&resp("<value><int>99999999999999999999</int></value>"));
    assert_eq!(e.kind(), ErrorKind::IntegerOverflow);
}

#[test]
fn error_display_names_path_and_offset_but_not_the_document() {
    let doc = resp(&format!(
        "<value><array><data><value><string>{}</string></value><value><int>x</int></value></data></array></value>",
        "A".repeat(10_000)
    ));
    let e = decode_response::<Value>(&doc).unwrap_err();
    let shown = e.to_string();
    assert!(shown.contains("params[0][1]"), "{shown}");
    assert!(shown.contains("byte"), "{shown}");
    assert!(shown.len() < 200, "{shown}");
}
