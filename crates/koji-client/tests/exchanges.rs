//! Every model-shaped reply the real hub sent over the wire decodes from
//! its XML-RPC bytes straight into the model (the path a connection will
//! take) and encodes back to the same struct.
#![allow(clippy::unwrap_used)]

#[path = "fixtures_support/mod.rs"]
mod support;

use std::collections::BTreeMap;

use koji_client::model::{ModelKind, Shape, rich_type};
use koji_client::{
    Build, BuildTarget, Channel, Host, Package, Repo, Tag, Task, TaskDescendents, User,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Decodes `response` as `T` and returns it re-encoded as JSON.
fn through<T: DeserializeOwned + Serialize>(prefix: &str, response: &[u8]) -> Value {
    let decoded: T = koji_xmlrpc::decode_response(response)
        .unwrap_or_else(|e| panic!("{prefix}: {e}"))
        .unwrap_or_else(|f| panic!("{prefix}: unexpected {f}"));
    serde_json::to_value(decoded).unwrap()
}

fn through_kind<M: DeserializeOwned + Serialize>(
    prefix: &str,
    shape: Shape,
    reference: &Value,
    response: &[u8],
) -> Option<Value> {
    Some(match (shape, reference) {
        (Shape::One | Shape::OneOrList, Value::Object(_) | Value::Null) => {
            through::<Option<M>>(prefix, response)
        }
        (Shape::List | Shape::OneOrList, Value::Array(rows))
            if rows.iter().all(|r| r.is_object() || r.is_null()) =>
        {
            through::<Vec<Option<M>>>(prefix, response)
        }
        (Shape::TaskDescendents, Value::Object(_)) => {
            through::<BTreeMap<String, Vec<M>>>(prefix, response)
        }
        // countOnly numbers, asList rows.
        _ => return None,
    })
}

#[test]
fn model_replies_decode_from_xml_rpc_and_round_trip() {
    let mut checked: BTreeMap<&str, usize> = BTreeMap::new();
    for (prefix, request, response) in support::exchanges() {
        let Ok(call) = koji_xmlrpc::decode_call(&request) else {
            continue;
        };
        let Some(rich) = rich_type(&call.method) else {
            continue;
        };
        let Ok(Ok(reference)) = koji_xmlrpc::decode_response::<koji_xmlrpc::Value>(&response)
        else {
            continue;
        };
        let reference = serde_json::to_value(&reference).unwrap();
        let shape = rich.shape;
        let again = match rich.kind {
            ModelKind::Build => through_kind::<Build>(&prefix, shape, &reference, &response),
            ModelKind::Task => through_kind::<Task>(&prefix, shape, &reference, &response),
            ModelKind::Channel => through_kind::<Channel>(&prefix, shape, &reference, &response),
            ModelKind::Host => through_kind::<Host>(&prefix, shape, &reference, &response),
            ModelKind::Package => through_kind::<Package>(&prefix, shape, &reference, &response),
            ModelKind::User => through_kind::<User>(&prefix, shape, &reference, &response),
            ModelKind::Tag => through_kind::<Tag>(&prefix, shape, &reference, &response),
            ModelKind::BuildTarget => {
                through_kind::<BuildTarget>(&prefix, shape, &reference, &response)
            }
            ModelKind::Repo => through_kind::<Repo>(&prefix, shape, &reference, &response),
            _ => None,
        };
        let Some(again) = again else { continue };
        assert_eq!(again, reference, "{prefix}");
        *checked
            .entry(match rich.kind {
                ModelKind::Build => "build",
                ModelKind::Task => "task",
                ModelKind::User => "user",
                _ => "other",
            })
            .or_default() += 1;
    }
    // Enough of each to mean something (counts from exchanges/index.json).
    assert!(checked["build"] >= 40, "{checked:?}");
    assert!(checked["task"] >= 40, "{checked:?}");
    assert!(checked["user"] >= 30, "{checked:?}");
    assert!(checked["other"] >= 25, "{checked:?}");
}

#[test]
fn logged_in_user_carries_authtype_and_principal() {
    let mut authtypes = Vec::new();
    for (prefix, request, response) in support::exchanges() {
        let Ok(call) = koji_xmlrpc::decode_call(&request) else {
            continue;
        };
        if call.method != "getLoggedInUser" {
            continue;
        }
        let Ok(Ok(Some(user))) = koji_xmlrpc::decode_response::<Option<User>>(&response) else {
            continue;
        };
        let authtype = user.authtype.clone().unwrap_or_else(|| panic!("{prefix}"));
        assert!(user.other.is_empty(), "{prefix}: {:?}", user.other);
        authtypes.push(authtype.to_string());
    }
    authtypes.sort();
    authtypes.dedup();
    // README: 0 password, 2 SSL cert, 3 GSSAPI.
    assert_eq!(authtypes, ["GSSAPI", "NORMAL", "SSL"]);
}

#[test]
fn task_descendents_reply_from_the_wire() {
    let (_, _, response) = support::exchanges()
        .into_iter()
        .find(|(p, _, _)| p == "098-getTaskDescendents-build")
        .unwrap();
    let tree: TaskDescendents = koji_xmlrpc::decode_response(&response).unwrap().unwrap();
    let ids: Vec<_> = tree.all().iter().map(|t| t.id.unwrap()).collect();
    assert_eq!(ids, [3, 4, 5, 6]);
    assert_eq!(
        tree.children(2)[0].package().unwrap().as_deref(),
        Some("hello")
    );
}

#[test]
fn free_form_members_take_base64_and_datetimes() {
    // A hub struct with members JSON has no type for: kept, not a decode error.
    let reply = b"<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><struct>\n\
        <member>\n<name>build_id</name>\n<value><int>3</int></value>\n</member>\n\
        <member>\n<name>blob</name>\n<value><base64>aGk=</base64></value>\n</member>\n\
        <member>\n<name>when</name>\n<value><dateTime.iso8601>20261125T12:34:56</dateTime.iso8601></value>\n</member>\n\
        <member>\n<name>extra</name>\n<value><struct>\n<member>\n<name>sig</name>\n<value><base64>AAE=</base64></value>\n</member>\n</struct></value>\n</member>\n\
        </struct></value>\n</param>\n</params>\n</methodResponse>\n";
    let build: Build = koji_xmlrpc::decode_response(reply).unwrap().unwrap();
    assert_eq!(build.build_id, Some(3));
    assert_eq!(build.other["blob"], serde_json::json!([104, 105]));
    assert_eq!(build.other["when"], "20261125T12:34:56");
    assert_eq!(build.extra.unwrap()["sig"], serde_json::json!([0, 1]));
}

#[test]
fn wrong_member_types_name_the_path() {
    let reply = b"<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n\
        <value><struct>\n<member>\n<name>build_id</name>\n<value><int>3</int></value>\n</member>\n</struct></value>\n\
        <value><struct>\n<member>\n<name>build_id</name>\n<value><string>three</string></value>\n</member>\n</struct></value>\n\
        </data></array></value>\n</param>\n</params>\n</methodResponse>\n";
    let err = koji_xmlrpc::decode_response::<Vec<Build>>(reply).unwrap_err();
    assert!(
        err.path().contains("[1]") && err.path().contains("build_id"),
        "{err}"
    );
}
