//! The public API end to end: encoding, decoding into serde types and `Value`, kwargs,
//! conversions, streaming.
#![allow(clippy::unwrap_used)]

use koji_xmlrpc::{
    ArrayStreamDecoder, DateTime, DecodeOptions, ErrorKind, Fault, MulticallWriter, RequestWriter,
    Struct, Value, decode_call, decode_response, encode_fault, encode_request, encode_request_with,
    encode_response, from_value, kwargs_struct, split_kwargs, to_value,
};
use serde::{Deserialize, Serialize};

fn resp(inner: &str) -> Vec<u8> {
    format!("<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n{inner}</param>\n</params>\n</methodResponse>\n")
        .into_bytes()
}

#[test]
fn request_layout_matches_python() {
    let body = encode_request("echo", &[Value::Int(1), Value::Nil, Value::from("a<b")]).unwrap();
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "<?xml version='1.0'?>\n<methodCall>\n<methodName>echo</methodName>\n<params>\n\
         <param>\n<value><int>1</int></value>\n</param>\n<param>\n<value><nil/></value></param>\n\
         <param>\n<value><string>a&lt;b</string></value>\n</param>\n</params>\n</methodCall>\n"
    );
    let empty = encode_request("getAPIVersion", &[]).unwrap();
    assert_eq!(
        empty,
        b"<?xml version='1.0'?>\n<methodCall>\n<methodName>getAPIVersion</methodName>\n<params>\n</params>\n</methodCall>\n"
    );
}

#[test]
fn doubles_are_formatted_like_python_repr() {
    let cases: &[(f64, &str)] = &[
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.5, "1.5"),
        (0.1, "0.1"),
        (1e20, "1e+20"),
        (1e16, "1e+16"),
        (1e15, "1000000000000000.0"),
        (123456789012345.6, "123456789012345.6"),
        (1e-7, "1e-07"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (-2.25, "-2.25"),
        (1234.5e-10, "1.2345e-07"),
    ];
    for (v, want) in cases {
        let body = String::from_utf8(encode_response(&Value::Double(*v)).unwrap()).unwrap();
        assert!(
            body.contains(&format!("<double>{want}</double>")),
            "{v}: {body}"
        );
    }
}

#[test]
fn encoding_rejects_what_xml_cannot_carry() {
    let e = encode_request(
        "echo",
        &[
            Value::Int(1),
            Value::Array(vec![Value::from("ok"), Value::from("bad\u{1}")]),
        ],
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidChar);
    assert_eq!(e.path(), "params[1][1]");
    let e = encode_request("echo", &[Value::Double(f64::NAN)]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert_eq!(e.path(), "params[0]");
    let mut s = Struct::new();
    s.insert("x".into(), Value::Double(f64::INFINITY));
    let e = encode_response(&Value::Struct(s)).unwrap_err();
    assert_eq!(e.path(), "params[0].x");
    let body =
        String::from_utf8(encode_request("echo", &[Value::from("cr\rhere")]).unwrap()).unwrap();
    assert!(body.contains("<string>cr&#13;here</string>"));
}

#[derive(Debug, Deserialize, PartialEq)]
struct Build {
    build_id: i64,
    nvr: String,
    state: u8,
    completion_ts: Option<f64>,
    extra: Option<Value>,
}

#[test]
fn typed_decode_ignores_unknown_members_and_maps_nil_to_none() {
    let body = resp(
        "<value><array><data>\n<value><struct>\n<member>\n<name>build_id</name>\n<value><int>7</int></value>\n</member>\n\
         <member>\n<name>nvr</name>\n<value><string>a-1-1</string></value>\n</member>\n\
         <member>\n<name>unknown</name>\n<value><array><data>\n</data></array></value>\n</member>\n\
         <member>\n<name>state</name>\n<value><int>1</int></value>\n</member>\n\
         <member>\n<name>completion_ts</name>\n<value><nil/></value></member>\n\
         <member>\n<name>extra</name>\n<value><struct>\n<member>\n<name>k</name>\n<value><i8>4294967296</i8></value>\n</member>\n</struct></value>\n</member>\n\
         </struct></value>\n</data></array></value>\n",
    );
    let builds: Vec<Build> = decode_response(&body).unwrap().unwrap();
    let mut extra = Struct::new();
    extra.insert("k".into(), Value::Int(1 << 32));
    assert_eq!(
        builds,
        [Build {
            build_id: 7,
            nvr: "a-1-1".into(),
            state: 1,
            completion_ts: None,
            extra: Some(Value::Struct(extra))
        }]
    );
}

#[test]
fn integer_overflow_is_an_error_with_a_path() {
    let body = resp(
        "<value><array><data>\n<value><struct>\n<member>\n<name>state</name>\n<value><int>300</int></value>\n</member>\n</struct></value>\n</data></array></value>\n",
    );
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct S {
        state: u8,
    }
    let e = decode_response::<Vec<S>>(&body).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Type);
    assert_eq!(e.path(), "params[0][0].state");
    // The offset of the <value> holding 300.
    let at = e.offset().unwrap();
    assert!(body[at..].starts_with(b"<value><int>300"), "{e}");
}

#[test]
fn faults_are_returned_as_faults() {
    let mut f = Fault::new(1000, "No such build: x");
    f.extra
        .insert("traceback".into(), Value::Array(vec![Value::from("line")]));
    let body = encode_fault(&f);
    let got = decode_response::<Value>(&body).unwrap().unwrap_err();
    assert_eq!(got, f);
}

#[test]
fn kwargs_round_trip_through_split_kwargs() {
    let mut kw = Struct::new();
    kw.insert("strict".into(), Value::Bool(true));
    let body = encode_request("getBuild", &[Value::from("x"), kwargs_struct(kw.clone())]).unwrap();
    let call = decode_call(&body).unwrap();
    let (args, kwargs) = split_kwargs(call.params);
    assert_eq!(args, [Value::from("x")]);
    assert_eq!(kwargs, Some(kw));
    // A falsy __starstar is an ordinary struct argument.
    let mut s = Struct::new();
    s.insert("__starstar".into(), Value::Bool(false));
    let (args, kwargs) = split_kwargs(vec![Value::Struct(s)]);
    assert_eq!(args.len(), 1);
    assert!(kwargs.is_none());
}

#[test]
fn serde_encoding_matches_value_encoding() {
    #[derive(Serialize)]
    struct Opts<'a> {
        #[serde(rename = "queryOpts")]
        query_opts: Q,
        prefix: Option<&'a str>,
        __starstar: bool,
    }
    #[derive(Serialize)]
    struct Q {
        limit: u32,
    }
    let typed = encode_request_with(
        "listBuilds",
        &(
            7,
            Opts {
                query_opts: Q { limit: 3 },
                prefix: None,
                __starstar: true,
            },
        ),
    )
    .unwrap();
    let mut q = Struct::new();
    q.insert("limit".into(), Value::Int(3));
    let mut kw = Struct::new();
    kw.insert("queryOpts".into(), Value::Struct(q));
    kw.insert("prefix".into(), Value::Nil);
    let dynamic = encode_request("listBuilds", &[Value::Int(7), kwargs_struct(kw)]).unwrap();
    assert_eq!(
        String::from_utf8(typed).unwrap(),
        String::from_utf8(dynamic).unwrap()
    );
}

#[test]
fn request_writer_and_multicall_writer_match_encode_request() {
    let mut w = RequestWriter::new("m").unwrap();
    w.param(&1).unwrap().param("two").unwrap();
    assert!(w.param(&f64::NAN).is_err());
    assert_eq!(
        w.finish(),
        encode_request("m", &[Value::Int(1), Value::from("two")]).unwrap()
    );

    let mut m = MulticallWriter::new();
    m.call("getBuild", &(3,)).unwrap();
    m.call_values("getTag", &[]).unwrap();
    let mk = |name: &str, params: Vec<Value>| {
        let mut s = Struct::new();
        s.insert("methodName".into(), Value::from(name));
        s.insert("params".into(), Value::Array(params));
        Value::Struct(s)
    };
    let want = encode_request(
        "system.multicall",
        &[Value::Array(vec![
            mk("getBuild", vec![Value::Int(3)]),
            mk("getTag", vec![]),
        ])],
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(m.finish()).unwrap(),
        String::from_utf8(want).unwrap()
    );
}

#[test]
fn value_deserializes_from_json_keeping_member_order() {
    let v: Value =
        serde_json::from_str(r#"{"z": 1, "a": [1.5, null, "s", true], "m": {"y": -2, "b": {}}}"#)
            .unwrap();
    let s = v.as_struct().unwrap();
    assert_eq!(s.keys().collect::<Vec<_>>(), ["z", "a", "m"]);
    assert_eq!(s["z"], Value::Int(1));
    assert_eq!(
        s["a"],
        Value::Array(vec![
            Value::Double(1.5),
            Value::Nil,
            Value::from("s"),
            Value::Bool(true)
        ])
    );
    assert_eq!(
        v.get("m")
            .unwrap()
            .as_struct()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["y", "b"]
    );
}

#[test]
fn to_value_and_from_value_round_trip() {
    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct T {
        a: Vec<u32>,
        b: Option<String>,
        #[serde(with = "serde_bytes")]
        c: Vec<u8>,
        d: DateTime,
    }
    let t = T {
        a: vec![1, 2],
        b: None,
        c: vec![0, 255],
        d: DateTime::new("20261125T12:34:56").unwrap(),
    };
    let v = to_value(&t).unwrap();
    assert_eq!(v.get("c"), Some(&Value::Base64(vec![0, 255])));
    assert_eq!(
        v.get("d"),
        Some(&Value::DateTime(
            DateTime::new("20261125T12:34:56").unwrap()
        ))
    );
    assert_eq!(v.get("b"), Some(&Value::Nil));
    let back: T = from_value(v).unwrap();
    assert_eq!(back, t);
}

#[test]
fn datetime_decodes_into_datetime_value_and_string() {
    let body = resp("<value><dateTime.iso8601>20261125T12:34:56</dateTime.iso8601></value>\n");
    let v: Value = decode_response(&body).unwrap().unwrap();
    assert_eq!(
        v,
        Value::DateTime(DateTime::new("20261125T12:34:56").unwrap())
    );
    let d: DateTime = decode_response(&body).unwrap().unwrap();
    assert_eq!(d.parts().year, 2026);
    let s: String = decode_response(&body).unwrap().unwrap();
    assert_eq!(s, "20261125T12:34:56");
    assert_eq!(encode_response(&v).unwrap(), body);
}

#[test]
fn stream_decoder_yields_items_and_reports_faults() {
    let items: Vec<Value> = (0..50)
        .map(|i| {
            let mut s = Struct::new();
            s.insert("id".into(), Value::Int(i));
            s.insert("name".into(), Value::from(format!("n{i}")));
            Value::Struct(s)
        })
        .collect();
    let body = encode_response(&Value::Array(items.clone())).unwrap();
    for chunk in [1, 3, 64, 100_000] {
        let mut d = ArrayStreamDecoder::<Value>::new();
        let mut got = Vec::new();
        for c in body.chunks(chunk) {
            d.feed(c);
            while let Some(v) = d.next_item().unwrap() {
                got.push(v);
            }
        }
        d.finish().unwrap();
        while let Some(v) = d.next_item().unwrap() {
            got.push(v);
        }
        assert!(d.is_done());
        assert_eq!(got, items, "chunk size {chunk}");
    }
    // Truncated.
    let mut d = ArrayStreamDecoder::<Value>::new();
    d.feed(&body[..body.len() / 2]);
    while d.next_item().unwrap().is_some() {}
    d.finish().unwrap();
    let e = d.next_item().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Truncated);
    // Fault.
    let mut d = ArrayStreamDecoder::<Value>::new();
    d.feed(&encode_fault(&Fault::new(1000, "nope")));
    assert!(d.next_item().unwrap().is_none());
    d.finish().unwrap();
    let e = d.next_item().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Fault);
    assert_eq!(e.fault().unwrap().code, 1000);
}

#[test]
fn decode_options_limit_depth_and_size() {
    let deep = resp(&format!(
        "{}{}\n",
        "<value><array><data>".repeat(5),
        "</data></array></value>".repeat(5)
    ));
    let opts = DecodeOptions::new().max_depth(4);
    let e = koji_xmlrpc::decode_response_with::<Value>(&deep, &opts).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DepthLimit);
    assert!(
        koji_xmlrpc::decode_response_with::<Value>(&deep, &DecodeOptions::new().max_depth(5))
            .is_ok()
    );
    let e =
        koji_xmlrpc::decode_response_with::<Value>(&deep, &DecodeOptions::new().max_size(Some(10)))
            .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SizeLimit);
}
