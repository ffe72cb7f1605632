//! Synthetic data sets of any size, shaped like the real hub's, for
//! benchmarks and load tests. The same options and seed always give the same
//! data.

use std::collections::HashMap;

use koji_xmlrpc::{Struct, Value};

use super::model::{Build, Listing, Task, TaskResult, task_state};
use super::{Dataset, Package, Tag, User};
use crate::time::format_ts;
use crate::wire;

/// What to generate. `Default` gives a small data set (200 builds, 1000 tasks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Number of builds.
    pub builds: usize,
    /// Number of tasks (build task trees of five tasks, plus stand-alone tasks).
    pub tasks: usize,
    /// Number of packages (0: one per 20 builds, at least 10).
    pub packages: usize,
    /// Seed of the pseudo-random generator.
    pub seed: u64,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            builds: 200,
            tasks: 1000,
            packages: 0,
            seed: 1,
        }
    }
}

/// splitmix64: small, fast, good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            s.push_str(&format!("{:016x}", self.next()));
        }
        s.truncate(len);
        s
    }

    fn frac(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const WORDS: [&str; 24] = [
    "alpha", "bravo", "cobalt", "delta", "ember", "falcon", "granite", "harbor", "iris", "juniper",
    "kestrel", "lumen", "maple", "nimbus", "onyx", "pepper", "quartz", "raven", "sierra", "tundra",
    "umber", "vortex", "willow", "zephyr",
];

/// Rounds to microseconds, as PostgreSQL stores times.
fn micros(ts: f64) -> f64 {
    (ts * 1e6).round() / 1e6
}

fn s(v: &str) -> Value {
    Value::String(v.to_owned())
}

fn strct(members: Vec<(&str, Value)>) -> Value {
    Value::Struct(
        members
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

impl Dataset {
    /// Generates a data set: users, hosts, channels, tags, targets and
    /// packages like the real hub's, `opts.builds` builds and `opts.tasks`
    /// tasks with consistent relations (build tasks and their children,
    /// builds tagged into tags, owners, states, times, requests, results).
    ///
    /// ```
    /// use koji_testhub::{Dataset, GenerateOptions};
    /// let ds = Dataset::generate(&GenerateOptions { builds: 50, tasks: 100, ..Default::default() });
    /// assert_eq!(ds.build_count(), 50);
    /// assert_eq!(ds.task_count(), 100);
    /// ```
    pub fn generate(opts: &GenerateOptions) -> Dataset {
        let mut rng = Rng(opts.seed ^ 0x6b6f_6a69);
        let mut ds = Dataset {
            koji_version: "1.35.3".into(),
            api_version: 1,
            ..Dataset::default()
        };
        let base = 1_767_225_600.0; // 2026-01-01
        let mut event = 1i64;

        // users: admin, people, a blocked one, a group, hosts
        let people = [
            "kojiadmin",
            "alice",
            "bob",
            "carol",
            "mallory",
            "dave",
            "erin",
            "frank",
        ];
        for (i, name) in people.iter().enumerate() {
            let id = i as i64 + 1;
            let (perms, groups) = match *name {
                "kojiadmin" => (vec!["admin".to_owned()], vec![]),
                "alice" | "bob" => (
                    vec!["tag".to_owned(), "build".to_owned()],
                    vec![(9, "packagers".to_owned())],
                ),
                _ => (vec![], vec![]),
            };
            ds.users.push(User {
                id,
                name: (*name).to_owned(),
                status: i64::from(*name == "mallory"),
                usertype: 0,
                krb_principals: if *name == "mallory" {
                    vec![]
                } else {
                    vec![format!("{name}@EXAMPLE.COM")]
                },
                groups,
                perms,
            });
        }
        ds.users.push(User {
            id: 9,
            name: "packagers".into(),
            status: 0,
            usertype: 2,
            krb_principals: vec![],
            groups: vec![],
            perms: vec!["build".into()],
        });
        let n_hosts = 8i64;
        for h in 1..=n_hosts {
            ds.users.push(User {
                id: 9 + h,
                name: format!("builder{h}"),
                status: 0,
                usertype: 1,
                krb_principals: vec![format!("compile/builder{h}@EXAMPLE.COM")],
                groups: vec![],
                perms: vec![],
            });
        }
        let owners: [(i64, &str); 5] = [
            (2, "alice"),
            (3, "bob"),
            (4, "carol"),
            (6, "dave"),
            (7, "erin"),
        ];

        // channels and hosts
        let channels = ["default", "createrepo", "container", "image"];
        for (i, c) in channels.iter().enumerate() {
            ds.channels.push(
                strct(vec![
                    ("comment", Value::Nil),
                    ("description", Value::Nil),
                    ("enabled", Value::Bool(true)),
                    ("id", Value::Int(i as i64 + 1)),
                    ("name", s(c)),
                ])
                .as_struct()
                .cloned()
                .unwrap_or_default(),
            );
        }
        let arches = ["x86_64", "aarch64", "ppc64le", "s390x"];
        for h in 1..=n_hosts {
            let arch = arches[(h as usize - 1) % arches.len()];
            let chans: Vec<i64> = if h == 1 {
                vec![1, 2]
            } else {
                vec![1, 3 + h % 2]
            };
            for c in &chans {
                ds.channel_hosts.entry(*c).or_default().push(h);
            }
            ds.host_channels.insert(h, chans);
            ds.hosts.push(
                strct(vec![
                    ("arches", s(arch)),
                    ("capacity", Value::Double(4.0)),
                    ("comment", Value::Nil),
                    ("description", s(&format!("{arch} builder"))),
                    ("enabled", Value::Bool(h != n_hosts)),
                    ("id", Value::Int(h)),
                    ("name", s(&format!("builder{h}"))),
                    ("ready", Value::Bool(h % 3 == 0)),
                    ("task_load", Value::Double(f64::from((h % 4) as i32))),
                    ("update_ts", Value::Double(micros(base + 86_400.0 * 30.0))),
                    ("user_id", Value::Int(9 + h)),
                ])
                .as_struct()
                .cloned()
                .unwrap_or_default(),
            );
        }

        // tags and targets
        let tag_names = [
            "f40",
            "f40-build",
            "f40-candidate",
            "f40-updates",
            "f40-updates-candidate",
            "f40-container-candidate",
        ];
        for (i, name) in tag_names.iter().enumerate() {
            event += 1;
            ds.tags.push(Tag {
                id: i as i64 + 1,
                name: (*name).to_owned(),
                arches: s(if name.ends_with("build") || *name == "f40" {
                    "x86_64 aarch64"
                } else {
                    ""
                }),
                locked: false,
                maven_support: false,
                maven_include_all: false,
                perm_id: None,
                perm: None,
                extra: Struct::new(),
                create_event: Some(event),
            });
        }
        for (i, (dest, dest_id)) in [("f40-candidate", 3i64), ("f40-updates-candidate", 5)]
            .iter()
            .enumerate()
        {
            ds.targets.push(
                strct(vec![
                    ("build_tag", Value::Int(2)),
                    ("build_tag_name", s("f40-build")),
                    ("dest_tag", Value::Int(*dest_id)),
                    ("dest_tag_name", s(dest)),
                    ("id", Value::Int(i as i64 + 1)),
                    ("name", s(dest)),
                ])
                .as_struct()
                .cloned()
                .unwrap_or_default(),
            );
        }
        // inheritance: f40-updates-candidate -> f40-updates -> f40, the rest -> f40
        let parent_of = |id: i64| -> Option<i64> {
            match id {
                1 => None,
                5 => Some(4),
                _ => Some(1),
            }
        };
        let link = |child: i64, parent: i64, depth: i64, full: bool| {
            let mut m = Struct::new();
            m.insert("intransitive".into(), Value::Bool(false));
            m.insert("maxdepth".into(), Value::Nil);
            m.insert("name".into(), s(tag_names[parent as usize - 1]));
            m.insert("noconfig".into(), Value::Bool(false));
            m.insert("parent_id".into(), Value::Int(parent));
            m.insert("pkg_filter".into(), s(""));
            m.insert("priority".into(), Value::Int(0));
            m.insert("child_id".into(), Value::Int(child));
            if full {
                m.insert("nextdepth".into(), Value::Nil);
                m.insert("currdepth".into(), Value::Int(depth));
                m.insert("filter".into(), Value::Array(vec![]));
            }
            Value::Struct(m)
        };
        for id in 1..=tag_names.len() as i64 {
            if let Some(p) = parent_of(id) {
                ds.inheritance.insert(id, vec![link(id, p, 1, false)]);
            }
            let mut full = Vec::new();
            let (mut child, mut depth) = (id, 1);
            while let Some(p) = parent_of(child) {
                full.push(link(child, p, depth, true));
                child = p;
                depth += 1;
            }
            ds.full_inheritance.insert(id, full);
        }

        // packages
        let n_pkgs = if opts.packages > 0 {
            opts.packages
        } else {
            (opts.builds / 20).max(10)
        };
        for p in 0..n_pkgs {
            let a = WORDS[p % WORDS.len()];
            let b = WORDS[(p / WORDS.len()) % WORDS.len()];
            let name = if p < WORDS.len() {
                a.to_owned()
            } else {
                format!("{a}-{b}{}", p / (WORDS.len() * WORDS.len()))
            };
            let name = if p % 7 == 6 {
                format!("{name}-container")
            } else {
                name
            };
            ds.packages.push(Package {
                id: p as i64 + 1,
                name,
            });
        }

        // tasks: build trees of 5 (build, srpm, 2 buildArch, tagBuild)
        let mut t = base;
        let tree = 5usize;
        let n_trees = opts.tasks / tree;
        let mut build_task_of_tree: Vec<(i64, i64)> = Vec::new(); // (task id, state)
        let mut next_task = 1i64;
        for k in 0..n_trees {
            let (owner_id, owner_name) = owners[rng.below(owners.len())];
            let pkg = &ds.packages[k % ds.packages.len()];
            let state = match rng.below(20) {
                0 => task_state::FAILED,
                1 => task_state::CANCELED,
                2 => task_state::OPEN,
                3 => task_state::FREE,
                _ => task_state::CLOSED,
            };
            t += 60.0 + rng.frac() * 600.0;
            let parent_id = next_task;
            let src = format!(
                "git+https://src.example.com/rpms/{}.git#{}",
                pkg.name,
                rng.hex(40)
            );
            let host = (rng.below(n_hosts as usize) as i64) + 1;
            let mk = |id: i64,
                      method: &str,
                      arch: &str,
                      label: Option<&str>,
                      parent: Option<i64>,
                      state: i64,
                      start: f64,
                      request: Vec<Value>,
                      result: TaskResult| {
                let started = state != task_state::FREE;
                let done = matches!(
                    state,
                    task_state::CLOSED | task_state::FAILED | task_state::CANCELED
                );
                let create_ts = micros(start);
                let start_ts = started.then(|| micros(start + 0.5));
                let completion_ts = done.then(|| micros(start + 30.0 + (id % 90) as f64));
                let request_xml =
                    String::from_utf8_lossy(&wire::method_call(method, &request)).into_owned();
                let (result_xml, result_decoded) = match &result {
                    TaskResult::None => (None, Value::Nil),
                    TaskResult::Ok(v) => (
                        Some(
                            String::from_utf8_lossy(&wire::response(&wire::Out::Value(v.clone())))
                                .into_owned(),
                        ),
                        Value::Array(vec![v.clone()]),
                    ),
                    TaskResult::Fault { code, string } => (
                        Some(
                            String::from_utf8_lossy(&wire::fault_response(*code, string))
                                .into_owned(),
                        ),
                        strct(vec![
                            ("faultCode", Value::Int(*code)),
                            ("faultString", s(string)),
                        ]),
                    ),
                };
                Task {
                    id,
                    state,
                    create_time: format_ts(create_ts),
                    create_ts,
                    start_time: start_ts.map(format_ts),
                    start_ts,
                    completion_time: completion_ts.map(format_ts),
                    completion_ts,
                    channel_id: 1,
                    host_id: started.then_some(host),
                    parent,
                    label: label.map(str::to_owned),
                    waiting: if parent.is_none() && started {
                        Some(state == task_state::OPEN)
                    } else {
                        None
                    },
                    awaited: parent.map(|_| false),
                    owner: owner_id,
                    owner_name: owner_name.to_owned(),
                    owner_type: 0,
                    method: method.to_owned(),
                    arch: arch.to_owned(),
                    priority: if parent.is_some() { 19 } else { 20 },
                    weight: if method == "buildArch" { 1.5 } else { 0.2 },
                    request: Value::Array(request),
                    request_xml,
                    result,
                    result_xml,
                    result_decoded,
                }
            };
            let parent_result = match state {
                task_state::CLOSED => TaskResult::Ok(Value::Nil),
                task_state::FAILED => TaskResult::Fault {
                    code: 1005,
                    string: format!(
                        "error: Bad exit status from /var/tmp/rpm-tmp.{} (%build)",
                        rng.hex(6)
                    ),
                },
                _ => TaskResult::None,
            };
            ds.tasks.push(mk(
                parent_id,
                "build",
                "noarch",
                None,
                None,
                state,
                t,
                vec![s(&src), s("f40-candidate"), Value::Struct(Struct::new())],
                parent_result.clone(),
            ));
            let child_state = |i: usize| match state {
                task_state::CLOSED => task_state::CLOSED,
                task_state::FAILED if i == 3 => task_state::FAILED,
                task_state::FAILED => task_state::CLOSED,
                task_state::CANCELED => task_state::CANCELED,
                task_state::FREE => task_state::FREE,
                _ if i == 1 => task_state::CLOSED,
                _ => task_state::OPEN,
            };
            let srpm = format!(
                "tasks/{0}/{0}/{1}-1.0-1.fc40.src.rpm",
                parent_id + 1,
                pkg.name
            );
            let children: [(&str, &str, Option<&str>, Vec<Value>); 4] = [
                (
                    "buildSRPMFromSCM",
                    "noarch",
                    Some("srpm"),
                    vec![
                        s(&src),
                        Value::Int(2),
                        strct(vec![("repo_id", Value::Int(1))]),
                    ],
                ),
                (
                    "buildArch",
                    "x86_64",
                    Some("x86_64"),
                    vec![
                        s(&srpm),
                        Value::Int(2),
                        s("x86_64"),
                        Value::Bool(true),
                        strct(vec![("repo_id", Value::Int(1))]),
                    ],
                ),
                (
                    "buildArch",
                    "aarch64",
                    Some("aarch64"),
                    vec![
                        s(&srpm),
                        Value::Int(2),
                        s("aarch64"),
                        Value::Bool(true),
                        strct(vec![("repo_id", Value::Int(1))]),
                    ],
                ),
                (
                    "tagBuild",
                    "noarch",
                    Some("tag"),
                    vec![
                        Value::Int(3),
                        Value::Int(0),
                        Value::Bool(false),
                        Value::Nil,
                        Value::Bool(true),
                    ],
                ),
            ];
            let mut kids = Vec::new();
            for (i, (method, arch, label, request)) in children.into_iter().enumerate() {
                let id = parent_id + 1 + i as i64;
                let st = if i == 3 && state != task_state::CLOSED {
                    // the tag task only exists once the build succeeded
                    continue;
                } else {
                    child_state(i + 1)
                };
                let result = match st {
                    task_state::CLOSED if method == "buildArch" => TaskResult::Ok(strct(vec![
                        (
                            "rpms",
                            Value::Array(vec![s(&format!(
                                "tasks/{id}/{id}/{}-1.0-1.fc40.{arch}.rpm",
                                pkg.name
                            ))]),
                        ),
                        ("srpms", Value::Array(vec![])),
                        (
                            "logs",
                            Value::Array(vec![s(&format!("tasks/{id}/{id}/build.log"))]),
                        ),
                        ("brootid", Value::Int(id)),
                    ])),
                    task_state::CLOSED if method == "buildSRPMFromSCM" => {
                        TaskResult::Ok(strct(vec![
                            ("srpm", s(&srpm)),
                            (
                                "logs",
                                Value::Array(vec![s(&format!("tasks/{id}/{id}/root.log"))]),
                            ),
                            ("brootid", Value::Int(id)),
                        ]))
                    }
                    task_state::CLOSED => TaskResult::Ok(Value::Nil),
                    task_state::FAILED => parent_result.clone(),
                    _ => TaskResult::None,
                };
                kids.push(mk(
                    id,
                    method,
                    arch,
                    label,
                    Some(parent_id),
                    st,
                    t + 1.0 + i as f64,
                    request,
                    result,
                ));
            }
            ds.tasks.extend(kids);
            build_task_of_tree.push((parent_id, state));
            next_task += tree as i64;
        }
        // stand-alone newRepo tasks to reach the count
        while ds.tasks.len() < opts.tasks {
            t += 30.0;
            let id = next_task;
            next_task += 1;
            let state = if rng.below(10) == 0 {
                task_state::FREE
            } else {
                task_state::CLOSED
            };
            let result = if state == task_state::CLOSED {
                TaskResult::Ok(Value::Array(vec![Value::Int(1), Value::Int(event)]))
            } else {
                TaskResult::None
            };
            let request = vec![s("f40-build")];
            let request_xml =
                String::from_utf8_lossy(&wire::method_call("newRepo", &request)).into_owned();
            let (result_xml, result_decoded) = match &result {
                TaskResult::Ok(v) => (
                    Some(
                        String::from_utf8_lossy(&wire::response(&wire::Out::Value(v.clone())))
                            .into_owned(),
                    ),
                    Value::Array(vec![v.clone()]),
                ),
                _ => (None, Value::Nil),
            };
            let ts = micros(t);
            let done = state == task_state::CLOSED;
            ds.tasks.push(Task {
                id,
                state,
                create_time: format_ts(ts),
                create_ts: ts,
                start_time: done.then(|| format_ts(ts + 1.0)),
                start_ts: done.then_some(ts + 1.0),
                completion_time: done.then(|| format_ts(ts + 20.0)),
                completion_ts: done.then_some(ts + 20.0),
                channel_id: 2,
                host_id: done.then_some(1),
                parent: None,
                label: None,
                waiting: None,
                awaited: None,
                owner: 1,
                owner_name: "kojiadmin".into(),
                owner_type: 0,
                method: "newRepo".into(),
                arch: "noarch".into(),
                priority: 15,
                weight: 0.1,
                request: Value::Array(request),
                request_xml,
                result,
                result_xml,
                result_decoded,
            });
        }
        ds.tasks.truncate(opts.tasks);

        // builds
        let mut versions: HashMap<i64, u32> = HashMap::new();
        let mut bt = base;
        for i in 0..opts.builds {
            let id = i as i64 + 1;
            let pkg = ds.packages[rng.below(ds.packages.len())].clone();
            let v = versions.entry(pkg.id).or_insert(0);
            *v += 1;
            let version = format!("{}.{}", 1 + *v / 10, *v % 10);
            let container = pkg.name.ends_with("-container");
            let release = if container {
                "1".to_owned()
            } else {
                "1.fc40".to_owned()
            };
            let tree = build_task_of_tree.get(i);
            let state = match tree {
                Some((_, task_state::CLOSED)) => 1,
                Some((_, task_state::FAILED)) => 3,
                Some((_, task_state::CANCELED)) => 4,
                Some(_) => 0,
                None => match rng.below(25) {
                    0 => 3,
                    1 => 4,
                    2 => 0,
                    3 => 2,
                    _ => 1,
                },
            };
            let task_id = tree.map(|(tid, _)| *tid);
            bt += 300.0 + rng.frac() * 3600.0;
            event += 1;
            let creation_ts = micros(bt);
            let start_ts = micros(bt - 600.0 - rng.frac() * 600.0);
            let completion_ts = (state != 0).then(|| micros(bt + 5.0 + rng.frac() * 3000.0));
            let (owner_id, owner_name) = owners[rng.below(owners.len())];
            let source = format!(
                "git+https://src.example.com/{}/{}.git#{}",
                if container { "containers" } else { "rpms" },
                pkg.name,
                rng.hex(40)
            );
            let extra = if container {
                strct(vec![
                    (
                        "image",
                        strct(vec![
                            ("autorebuild", Value::Bool(false)),
                            (
                                "media_types",
                                Value::Array(vec![s("application/vnd.oci.image.manifest.v1+json")]),
                            ),
                        ]),
                    ),
                    (
                        "container_koji_task_id",
                        task_id.map_or(Value::Nil, Value::Int),
                    ),
                    (
                        "typeinfo",
                        strct(vec![("image", Value::Struct(Struct::new()))]),
                    ),
                ])
            } else if i % 3 == 0 {
                strct(vec![(
                    "source",
                    strct(vec![(
                        "original_url",
                        s(&format!(
                            "git+https://src.example.com/rpms/{}.git#f40",
                            pkg.name
                        )),
                    )]),
                )])
            } else {
                Value::Nil
            };
            let btype_info = if container {
                strct(vec![("image", strct(vec![("build_id", Value::Int(id))]))])
            } else if state == 1 {
                strct(vec![("rpm", Value::Nil)])
            } else {
                Value::Struct(Struct::new())
            };
            ds.builds.push(Build {
                id,
                version: version.clone(),
                release: release.clone(),
                epoch: if i % 11 == 0 { Some(1) } else { None },
                draft: false,
                state,
                task_id,
                owner_id,
                owner_name: owner_name.to_owned(),
                promoter_id: None,
                promoter_name: None,
                package_id: pkg.id,
                package_name: pkg.name.clone(),
                nvr: format!("{}-{version}-{release}", pkg.name),
                volume_id: 0,
                volume_name: "DEFAULT".into(),
                creation_event_id: event,
                creation_time: format_ts(creation_ts),
                creation_ts,
                start_time: Some(format_ts(start_ts)),
                start_ts: Some(start_ts),
                completion_time: completion_ts.map(format_ts),
                completion_ts,
                promotion_time: None,
                promotion_ts: None,
                source: Some(source),
                extra,
                cg_id: None,
                cg_name: None,
                btype_info,
            });
        }

        // tag the complete builds: candidates, then some into f40 / updates
        let mut listings: HashMap<i64, Vec<Listing>> = HashMap::new();
        for b in ds.builds.iter().filter(|b| b.state == 1) {
            event += 1;
            let tag = if b.package_name.ends_with("-container") {
                6
            } else if b.id % 4 == 0 {
                1
            } else if b.id % 4 == 1 {
                4
            } else {
                3
            };
            listings.entry(tag).or_default().push(Listing {
                build_id: b.id,
                create_event: event,
            });
            ds.build_tags.entry(b.id).or_default().push(tag);
        }
        for list in listings.values_mut() {
            list.sort_by(|a, b| {
                b.create_event
                    .cmp(&a.create_event)
                    .then(b.build_id.cmp(&a.build_id))
            });
        }
        ds.listings = listings;

        // every package is on the f40 package list, owned by a person
        for p in &ds.packages {
            let (oid, oname) = owners[(p.id as usize) % owners.len()];
            let row = strct(vec![
                ("blocked", Value::Bool(false)),
                ("extra_arches", Value::Nil),
                ("owner_id", Value::Int(oid)),
                ("owner_name", s(oname)),
                ("package_id", Value::Int(p.id)),
                ("package_name", s(&p.name)),
                ("tag_id", Value::Int(1)),
                ("tag_name", s("f40")),
            ]);
            for tag in 1..=tag_names.len() as i64 {
                let entry = ds.tag_packages.entry(tag).or_default();
                if tag == 1 {
                    entry.0.push(row.clone());
                }
                // every tag inherits f40's package list
                entry.1.push(row.clone());
            }
            let mut m = Struct::new();
            m.insert("blocked".into(), Value::Bool(false));
            m.insert("extra_arches".into(), Value::Nil);
            m.insert("owner_id".into(), Value::Int(oid));
            m.insert("owner_name".into(), s(oname));
            ds.package_tags.insert(p.id, vec![(1, m)]);
        }

        ds.btypes = ["rpm", "maven", "win", "image"]
            .iter()
            .enumerate()
            .map(|(i, n)| strct(vec![("id", Value::Int(i as i64 + 1)), ("name", s(n))]))
            .collect();
        ds.all_perms = ["admin", "build", "repo", "tag", "target"]
            .iter()
            .enumerate()
            .map(|(i, n)| {
                strct(vec![
                    ("description", s(&format!("{n} permission"))),
                    ("id", Value::Int(i as i64 + 1)),
                    ("name", s(n)),
                ])
            })
            .collect();
        ds.content_generators = Struct::new();
        ds.last_event = (event, micros(bt.max(t) + 60.0));
        ds.reindex();
        ds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_data_and_consistent_links() {
        let o = GenerateOptions {
            builds: 120,
            tasks: 333,
            packages: 0,
            seed: 7,
        };
        let a = Dataset::generate(&o);
        let b = Dataset::generate(&o);
        assert_eq!(a.builds, b.builds);
        assert_eq!(a.tasks, b.tasks);
        assert_eq!(a.build_count(), 120);
        assert_eq!(a.task_count(), 333);
        for t in &a.tasks {
            if let Some(p) = t.parent {
                assert!(
                    a.task_by_id.contains_key(&p),
                    "parent {p} of {} exists",
                    t.id
                );
            }
        }
        for b in &a.builds {
            if let Some(tid) = b.task_id {
                assert!(a.task_by_id.contains_key(&tid));
            }
        }
        let other = Dataset::generate(&GenerateOptions { seed: 8, ..o });
        assert_ne!(a.builds, other.builds);
    }
}
