//! The data set files are what the real hub answered to calls over every
//! object (`data/realhub/dataset/*.json`, see their `_about`). The test
//! hub must give the same answers to the same calls.
#![allow(clippy::unwrap_used)]

mod support;

use koji_testhub::{TestHub, realhub};
use koji_xmlrpc::{Struct, Value};
use support::rpc;

fn json_to_value(j: &serde_json::Value) -> Value {
    match j {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Double(n.as_f64().unwrap()),
        },
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(a) => Value::Array(a.iter().map(json_to_value).collect()),
        serde_json::Value::Object(o) => Value::Struct(
            o.iter()
                .map(|(k, v)| (k.clone(), json_to_value(v)))
                .collect(),
        ),
    }
}

fn data(file: &str) -> serde_json::Value {
    let j: serde_json::Value = serde_json::from_str(realhub::file(file).unwrap()).unwrap();
    j["data"].clone()
}

fn id(k: &str) -> Value {
    Value::Int(k.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tagged_and_tag_answers() {
    let hub = TestHub::builder().start().await.unwrap();
    let a = hub.addr();
    let t = Value::Bool(true);
    let mut checked = 0usize;
    macro_rules! same {
        ($got:expr, $want:expr, $what:expr) => {{
            let want = json_to_value($want);
            assert_eq!($got, want, "{}", $what);
            checked += 1;
        }};
    }
    for (name, v) in data("listTagged.json").as_object().unwrap() {
        let tag = Value::from(name.as_str());
        let g = rpc(a, "listTagged", vec![tag.clone()], &[]).await.unwrap();
        same!(g, &v["plain"], format!("listTagged({name})"));
        let g = rpc(
            a,
            "listTagged",
            vec![tag.clone()],
            &[("inherit", t.clone())],
        )
        .await
        .unwrap();
        same!(g, &v["inherit"], format!("listTagged({name}, inherit)"));
        let g = rpc(a, "listTagged", vec![tag.clone()], &[("latest", t.clone())])
            .await
            .unwrap();
        same!(g, &v["latest"], format!("listTagged({name}, latest)"));
        let g = rpc(
            a,
            "listTagged",
            vec![tag],
            &[("inherit", t.clone()), ("latest", t.clone())],
        )
        .await
        .unwrap();
        same!(
            g,
            &v["inherit_latest"],
            format!("listTagged({name}, inherit, latest)")
        );
    }
    println!("{checked} answers equal to the dumps");
    assert!(checked > 35, "{checked}");
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_answers() {
    let hub = TestHub::builder().start().await.unwrap();
    let a = hub.addr();
    let t = Value::Bool(true);
    let mut checked = 0usize;
    macro_rules! same {
        ($got:expr, $want:expr, $what:expr) => {{
            let want = json_to_value($want);
            assert_eq!($got, want, "{}", $what);
            checked += 1;
        }};
    }
    for (k, v) in data("task_descendents.json").as_object().unwrap() {
        let g = rpc(
            a,
            "getTaskDescendents",
            vec![id(k)],
            &[("request", t.clone())],
        )
        .await
        .unwrap();
        same!(g, v, format!("getTaskDescendents({k})"));
    }
    for (k, v) in data("task_results.json").as_object().unwrap() {
        let g = rpc(
            a,
            "getTaskResult",
            vec![id(k)],
            &[("raise_fault", Value::Bool(false))],
        )
        .await;
        if v.get("__fault__").is_some() {
            let f = g.unwrap_err();
            assert_eq!(
                f.code,
                v["faultCode"].as_i64().unwrap(),
                "getTaskResult({k})"
            );
            assert_eq!(f.string, v["faultString"].as_str().unwrap());
            checked += 1;
        } else {
            same!(g.unwrap(), v, format!("getTaskResult({k})"));
        }
    }
    println!("{checked} answers equal to the dumps");
    assert!(checked > 40, "{checked}");
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_and_package_answers() {
    let hub = TestHub::builder().start().await.unwrap();
    let a = hub.addr();
    let t = Value::Bool(true);
    let mut checked = 0usize;
    macro_rules! same {
        ($got:expr, $want:expr, $what:expr) => {{
            let want = json_to_value($want);
            assert_eq!($got, want, "{}", $what);
            checked += 1;
        }};
    }
    for (k, v) in data("average_build_duration.json").as_object().unwrap() {
        let g = rpc(
            a,
            "getAverageBuildDuration",
            vec![Value::from(k.as_str())],
            &[],
        )
        .await
        .unwrap();
        same!(g, v, format!("getAverageBuildDuration({k})"));
    }
    let packages = data("packages.json");
    for (k, v) in data("package_tags.json").as_object().unwrap() {
        let g = rpc(
            a,
            "listTags",
            vec![],
            &[("package", Value::from(k.as_str()))],
        )
        .await
        .unwrap();
        same!(g, v, format!("listTags(package={k})"));
    }
    for (k, v) in data("tag_build_tags.json").as_object().unwrap() {
        let g = rpc(a, "listTags", vec![], &[("build", id(k))])
            .await
            .unwrap();
        same!(g, v, format!("listTags(build={k})"));
    }
    for (k, v) in data("tag_packages.json").as_object().unwrap() {
        let tag = Value::from(k.as_str());
        let g = rpc(a, "listPackages", vec![], &[("tagID", tag.clone())])
            .await
            .unwrap();
        same!(g, &v["direct"], format!("listPackages(tagID={k})"));
        let g = rpc(
            a,
            "listPackages",
            vec![],
            &[("tagID", tag), ("inherited", t.clone())],
        )
        .await
        .unwrap();
        same!(
            g,
            &v["inherited"],
            format!("listPackages(tagID={k}, inherited)")
        );
    }
    let g = rpc(a, "listPackages", vec![], &[]).await.unwrap();
    same!(g, &packages, "listPackages()");
    println!("{checked} answers equal to the dumps");
    assert!(checked > 40, "{checked}");
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_answers() {
    let hub = TestHub::builder().start().await.unwrap();
    let a = hub.addr();
    let t = Value::Bool(true);
    let mut checked = 0usize;
    macro_rules! same {
        ($got:expr, $want:expr, $what:expr) => {{
            let want = json_to_value($want);
            assert_eq!($got, want, "{}", $what);
            checked += 1;
        }};
    }
    for (k, v) in data("users.json").as_object().unwrap() {
        let g = rpc(a, "getUser", vec![id(k)], &[("groups", t.clone())])
            .await
            .unwrap();
        same!(g, v, format!("getUser({k}, groups=True)"));
    }
    for (k, v) in data("user_perms.json").as_object().unwrap() {
        let g = rpc(a, "getUserPerms", vec![id(k)], &[]).await.unwrap();
        same!(g, v, format!("getUserPerms({k})"));
    }
    for (k, v) in data("user_groups.json").as_object().unwrap() {
        let g = rpc(a, "getUserGroups", vec![id(k)], &[]).await.unwrap();
        same!(g, v, format!("getUserGroups({k})"));
    }
    for (k, v) in data("listUsers.json").as_object().unwrap() {
        let ty: i64 = k.split(':').next().unwrap().parse().unwrap();
        let mut order = Struct::new();
        order.insert("order".into(), Value::from("id"));
        let g = rpc(
            a,
            "listUsers",
            vec![],
            &[
                ("userType", Value::Int(ty)),
                ("queryOpts", Value::Struct(order)),
            ],
        )
        .await
        .unwrap();
        same!(g, v, format!("listUsers({k})"));
    }
    println!("{checked} answers equal to the dumps");
    assert!(checked > 30, "{checked}");
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_and_object_answers() {
    let hub = TestHub::builder().start().await.unwrap();
    let a = hub.addr();
    let t = Value::Bool(true);
    let mut checked = 0usize;
    macro_rules! same {
        ($got:expr, $want:expr, $what:expr) => {{
            let want = json_to_value($want);
            assert_eq!($got, want, "{}", $what);
            checked += 1;
        }};
    }
    for (k, v) in data("channel_hosts.json").as_object().unwrap() {
        let g = rpc(a, "listHosts", vec![], &[("channelID", id(k))])
            .await
            .unwrap();
        same!(g, v, format!("listHosts(channelID={k})"));
    }
    for (k, v) in data("host_channels.json").as_object().unwrap() {
        let g = rpc(a, "listChannels", vec![], &[("hostID", id(k))])
            .await
            .unwrap();
        same!(g, v, format!("listChannels(hostID={k})"));
    }
    for (file, method) in [
        ("host_by_id.json", "getHost"),
        ("channel_by_id.json", "getChannel"),
        ("package_by_id.json", "getPackage"),
        ("tag_by_id.json", "getTag"),
        ("target_by_id.json", "getBuildTarget"),
        ("build_types.json", "getBuildType"),
        ("tasks.json", "getTaskInfo"),
        ("repo_info.json", "repoInfo"),
    ] {
        for (k, v) in data(file).as_object().unwrap() {
            let kw: &[(&str, Value)] = if method == "getTaskInfo" {
                &[("request", Value::Bool(true))]
            } else {
                &[]
            };
            let g = rpc(a, method, vec![id(k)], kw).await.unwrap();
            same!(g, v, format!("{method}({k})"));
        }
    }
    for (k, v) in data("tasks_norequest.json").as_object().unwrap() {
        let g = rpc(a, "getTaskInfo", vec![id(k)], &[]).await.unwrap();
        same!(g, v, format!("getTaskInfo({k})"));
    }
    for (k, v) in data("task_children.json").as_object().unwrap() {
        let g = rpc(a, "getTaskChildren", vec![id(k)], &[("request", t.clone())])
            .await
            .unwrap();
        same!(g, v, format!("getTaskChildren({k}, request=True)"));
    }
    println!("{checked} answers equal to the dumps");
    assert!(checked > 70, "{checked}");
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_answers() {
    let hub = TestHub::builder().start().await.unwrap();
    let a = hub.addr();
    let mut checked = 0usize;
    macro_rules! same {
        ($got:expr, $want:expr, $what:expr) => {{
            let want = json_to_value($want);
            assert_eq!($got, want, "{}", $what);
            checked += 1;
        }};
    }
    for (file, method) in [
        ("build_rpms.json", "listRPMs"),
        ("build_archives.json", "listArchives"),
    ] {
        for (k, v) in data(file).as_object().unwrap() {
            let g = rpc(a, method, vec![], &[("buildID", id(k))]).await.unwrap();
            same!(g, v, format!("{method}(buildID={k})"));
        }
    }
    for (k, v) in data("repos.json").as_object().unwrap() {
        let g = rpc(a, "getRepo", vec![Value::from(k.as_str())], &[])
            .await
            .unwrap();
        same!(g, v, format!("getRepo({k})"));
    }
    for (file, method) in [
        ("all_perms.json", "getAllPerms"),
        ("archive_types.json", "getArchiveTypes"),
        ("btypes.json", "listBTypes"),
        ("content_generators.json", "listCGs"),
        ("channels.json", "listChannels"),
        ("hosts.json", "listHosts"),
        ("tags.json", "listTags"),
        ("targets.json", "getBuildTargets"),
    ] {
        let g = rpc(a, method, vec![], &[]).await.unwrap();
        same!(g, &data(file), format!("{method}()"));
    }
    let mut order = Struct::new();
    order.insert("order".into(), Value::from("build_id"));
    let g = rpc(
        a,
        "listBuilds",
        vec![],
        &[("queryOpts", Value::Struct(order))],
    )
    .await
    .unwrap();
    same!(g, &data("listBuilds.json"), "listBuilds(order=build_id)");
    for (decode, file) in [
        (false, "listTasks_raw.json"),
        (true, "listTasks_decoded.json"),
    ] {
        let mut opts = Struct::new();
        opts.insert("decode".into(), Value::Bool(decode));
        let mut q = Struct::new();
        q.insert("order".into(), Value::from("id"));
        let g = rpc(
            a,
            "listTasks",
            vec![],
            &[
                ("opts", Value::Struct(opts)),
                ("queryOpts", Value::Struct(q)),
            ],
        )
        .await
        .unwrap();
        same!(g, &data(file), format!("listTasks(decode={decode})"));
    }
    println!("{checked} answers equal to the dumps");
    assert!(checked > 60, "{checked}");
    hub.shutdown().await;
}
