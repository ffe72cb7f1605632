//! The hub's data: loaded from the JSON dumps of a real hub
//! (`data/realhub/dataset/`, built in) or generated at any size.
//!
//! A [`Dataset`] is immutable once built; the hub shares it between all
//! requests without locking. The few things write calls change (tags, users,
//! the event counter) are copied into the hub's mutable catalog at start.

mod generate;
mod json;
pub(crate) mod model;
pub mod realhub;

use std::collections::HashMap;
use std::path::Path;

use koji_xmlrpc::{Struct, Value};

pub use generate::GenerateOptions;
use json::{Dir, File, Obj};
use model::{Build, Listing, Task, TaskResult};

use crate::error::Error;

/// A user (person, host or group).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct User {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) status: i64,
    pub(crate) usertype: i64,
    pub(crate) krb_principals: Vec<String>,
    /// Groups (id, name) the user belongs to.
    pub(crate) groups: Vec<(i64, String)>,
    /// Permission names, including those from groups, in the hub's order.
    pub(crate) perms: Vec<String>,
}

/// A tag's current configuration.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tag {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) arches: Value,
    pub(crate) locked: bool,
    pub(crate) maven_support: bool,
    pub(crate) maven_include_all: bool,
    pub(crate) perm_id: Option<i64>,
    pub(crate) perm: Option<String>,
    pub(crate) extra: Struct,
    /// The event that created the tag, when known.
    pub(crate) create_event: Option<i64>,
}

/// A package.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Package {
    pub(crate) id: i64,
    pub(crate) name: String,
}

/// The hub's data set. Build it with [`Dataset::load`],
/// [`Dataset::load_realhub`] or [`Dataset::generate`].
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub(crate) koji_version: String,
    pub(crate) api_version: i64,
    pub(crate) last_event: (i64, f64),
    pub(crate) builds: Vec<Build>,
    pub(crate) build_by_id: HashMap<i64, usize>,
    pub(crate) build_by_nvr: HashMap<(String, String, String), usize>,
    pub(crate) tasks: Vec<Task>,
    pub(crate) task_by_id: HashMap<i64, usize>,
    /// Children of each task, in table order.
    pub(crate) children: HashMap<i64, Vec<usize>>,
    pub(crate) packages: Vec<Package>,
    pub(crate) package_by_id: HashMap<i64, usize>,
    pub(crate) package_by_name: HashMap<String, usize>,
    pub(crate) users: Vec<User>,
    pub(crate) passwords: HashMap<String, String>,
    pub(crate) tags: Vec<Tag>,
    pub(crate) channels: Vec<Struct>,
    pub(crate) hosts: Vec<Struct>,
    /// Host ids of each channel, in the hub's order.
    pub(crate) channel_hosts: HashMap<i64, Vec<i64>>,
    /// Channel ids of each host, in the hub's order.
    pub(crate) host_channels: HashMap<i64, Vec<i64>>,
    pub(crate) targets: Vec<Struct>,
    /// Builds tagged into each tag, most recently tagged first.
    pub(crate) listings: HashMap<i64, Vec<Listing>>,
    /// Tag ids of each build, in the hub's order.
    pub(crate) build_tags: HashMap<i64, Vec<i64>>,
    /// `listTags(package=id)` entries per package id: (tag id, package-list row).
    pub(crate) package_tags: HashMap<i64, Vec<(i64, Struct)>>,
    /// `listPackages(tagID=id)` rows per tag id: (direct, inherited).
    pub(crate) tag_packages: HashMap<i64, (Vec<Value>, Vec<Value>)>,
    pub(crate) inheritance: HashMap<i64, Vec<Value>>,
    pub(crate) full_inheritance: HashMap<i64, Vec<Value>>,
    pub(crate) full_inheritance_reverse: HashMap<i64, Vec<Value>>,
    pub(crate) build_rpms: HashMap<i64, Vec<Value>>,
    pub(crate) build_archives: HashMap<i64, Vec<Value>>,
    /// `listTaskOutput(id, all_volumes=True)` per task id: file name ->
    /// volumes (optional `task_output.json`).
    pub(crate) task_output: HashMap<i64, Struct>,
    /// `getBuildLogs` rows per build id (optional `build_logs.json`).
    pub(crate) build_logs: HashMap<i64, Vec<Value>>,
    /// `queryRPMSigs` rows per RPM id (optional `rpm_sigs.json`).
    pub(crate) rpm_sigs: HashMap<i64, Vec<Value>>,
    pub(crate) repos_by_tag: HashMap<String, Value>,
    pub(crate) repo_info: HashMap<i64, Value>,
    pub(crate) all_perms: Vec<Value>,
    pub(crate) archive_types: Vec<Value>,
    pub(crate) btypes: Vec<Value>,
    pub(crate) content_generators: Struct,
}

fn key_id(file: &File, k: &str) -> Result<i64, Error> {
    k.parse()
        .map_err(|_| file.err(&format!("data[{k:?}]"), "key is not an integer id"))
}

fn value_list(file: &File, at: &str, v: &Value) -> Result<Vec<Value>, Error> {
    v.as_array()
        .map(<[Value]>::to_vec)
        .ok_or_else(|| file.err(at, "expected an array"))
}

impl Dataset {
    /// Loads the real hub's data set (built into the crate, see
    /// [`realhub`]), in the real hub's row order.
    pub fn load_realhub() -> Result<Dataset, Error> {
        let mut ds = Dataset::load_from(&Dir::Realhub)?;
        let order_path = Path::new("<built-in realhub row order>");
        let order: serde_json::Value =
            serde_json::from_str(realhub::ROW_ORDER).map_err(|e| Error::DatasetFormat {
                path: order_path.to_path_buf(),
                message: e.to_string(),
            })?;
        ds.apply_row_order(&order, order_path)?;
        Ok(ds)
    }

    /// Loads a data set directory in the layout of the real hub's data set
    /// (`data/realhub/dataset/` of this crate: one JSON file per table).
    ///
    /// Lists asked for without an `order` come in the row order of the hub
    /// the data was dumped from when it is known, from a `row_order.json`
    /// in the directory (`{"data": {"builds": [ids…], "tasks": [ids…]}}`).
    /// Otherwise they follow the files.
    pub fn load(dir: &Path) -> Result<Dataset, Error> {
        if !dir.is_dir() {
            return Err(Error::DatasetNotFound(dir.to_path_buf()));
        }
        Dataset::load_from(&Dir::Fs(dir))
    }

    fn load_from(dir: &Dir<'_>) -> Result<Dataset, Error> {
        let mut ds = Dataset::default();
        ds.load_meta(dir)?;
        ds.load_users(dir)?;
        ds.load_packages(dir)?;
        ds.load_builds(dir)?;
        ds.load_tasks(dir)?;
        ds.load_tags(dir)?;
        ds.load_hosts(dir)?;
        ds.load_misc(dir)?;
        ds.reindex();
        if let Some(f) = File::read_optional(dir, "row_order.json")? {
            let j = value_to_json(&f.data);
            ds.apply_row_order(&j, &f.path)?;
        }
        Ok(ds)
    }

    /// The number of builds.
    pub fn build_count(&self) -> usize {
        self.builds.len()
    }

    /// The number of tasks.
    pub fn task_count(&self) -> usize {
        self.tasks.len()
    }

    /// The number of tags.
    pub fn tag_count(&self) -> usize {
        self.tags.len()
    }

    /// Sets the plain-text password of a user (the hub compares `login`
    /// passwords with the stored one). Users without one cannot log in with
    /// a password.
    pub fn set_password(&mut self, user: &str, password: &str) {
        self.passwords.insert(user.to_owned(), password.to_owned());
    }

    fn apply_row_order(&mut self, order: &serde_json::Value, path: &Path) -> Result<(), Error> {
        let bad = |what: &str| Error::DatasetFormat {
            path: path.to_path_buf(),
            message: format!("{what}: expected an array of ids"),
        };
        if let Some(list) = order.get("builds") {
            let ids: Vec<i64> = list
                .as_array()
                .ok_or_else(|| bad("builds"))?
                .iter()
                .map(|v| v.as_i64().ok_or_else(|| bad("builds")))
                .collect::<Result<_, _>>()?;
            reorder(&mut self.builds, &ids, |b| b.id);
        }
        if let Some(list) = order.get("tasks") {
            let ids: Vec<i64> = list
                .as_array()
                .ok_or_else(|| bad("tasks"))?
                .iter()
                .map(|v| v.as_i64().ok_or_else(|| bad("tasks")))
                .collect::<Result<_, _>>()?;
            reorder(&mut self.tasks, &ids, |t| t.id);
        }
        self.reindex();
        Ok(())
    }

    /// Rebuilds the lookup maps after the tables changed.
    pub(crate) fn reindex(&mut self) {
        self.build_by_id = self
            .builds
            .iter()
            .enumerate()
            .map(|(i, b)| (b.id, i))
            .collect();
        self.build_by_nvr = self
            .builds
            .iter()
            .enumerate()
            .map(|(i, b)| {
                (
                    (b.package_name.clone(), b.version.clone(), b.release.clone()),
                    i,
                )
            })
            .collect();
        self.task_by_id = self
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id, i))
            .collect();
        let mut children: HashMap<i64, Vec<usize>> = HashMap::new();
        for (i, t) in self.tasks.iter().enumerate() {
            if let Some(p) = t.parent {
                children.entry(p).or_default().push(i);
            }
        }
        self.children = children;
        self.package_by_id = self
            .packages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id, i))
            .collect();
        self.package_by_name = self
            .packages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.clone(), i))
            .collect();
    }

    fn load_meta(&mut self, dir: &Dir<'_>) -> Result<(), Error> {
        let f = File::read(dir, "meta.json")?;
        let o = Obj::new(&f, "data".into(), &f.data)?;
        self.koji_version = o.string("getKojiVersion")?;
        self.api_version = o.int("getAPIVersion")?;
        let ev = Obj::new(&f, "data.getLastEvent".into(), o.value("getLastEvent")?)?;
        self.last_event = (ev.int("id")?, ev.float("ts")?);
        Ok(())
    }

    fn load_users(&mut self, dir: &Dir<'_>) -> Result<(), Error> {
        let users = File::read(dir, "users.json")?;
        let groups = File::read(dir, "user_groups.json")?;
        let perms = File::read(dir, "user_perms.json")?;
        let gmap = groups.object()?;
        let pmap = perms.object()?;
        for (k, v) in users.object()? {
            let at = format!("data[{k:?}]");
            let o = Obj::new(&users, at.clone(), v)?;
            let princs = o
                .value("krb_principals")?
                .as_array()
                .ok_or_else(|| users.err(&at, "krb_principals is not an array"))?
                .iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect();
            let mut user_groups = Vec::new();
            if let Some(list) = gmap.get(k).and_then(Value::as_array) {
                for g in list {
                    let go = Obj::new(&groups, format!("data[{k:?}]"), g)?;
                    user_groups.push((go.int("id")?, go.string("name")?));
                }
            }
            let user_perms = pmap
                .get(k)
                .and_then(Value::as_array)
                .map(|l| {
                    l.iter()
                        .filter_map(|p| p.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            self.users.push(User {
                id: o.int("id")?,
                name: o.string("name")?,
                status: o.int("status")?,
                usertype: o.int("usertype")?,
                krb_principals: princs,
                groups: user_groups,
                perms: user_perms,
            });
        }
        Ok(())
    }

    fn load_packages(&mut self, dir: &Dir<'_>) -> Result<(), Error> {
        let f = File::read(dir, "packages.json")?;
        for (i, v) in f.array()?.iter().enumerate() {
            let o = Obj::new(&f, format!("data[{i}]"), v)?;
            self.packages.push(Package {
                id: o.int("package_id")?,
                name: o.string("package_name")?,
            });
        }
        Ok(())
    }

    fn load_builds(&mut self, dir: &Dir<'_>) -> Result<(), Error> {
        let f = File::read(dir, "builds.json")?;
        let types = File::read(dir, "build_types.json")?;
        let tmap = types.object()?;
        for (k, v) in f.object()? {
            let o = Obj::new(&f, format!("data[{k:?}]"), v)?;
            self.builds.push(Build {
                id: o.int("id")?,
                version: o.string("version")?,
                release: o.string("release")?,
                epoch: o.opt_int("epoch")?,
                draft: o.bool("draft")?,
                state: o.int("state")?,
                task_id: o.opt_int("task_id")?,
                owner_id: o.int("owner_id")?,
                owner_name: o.string("owner_name")?,
                promoter_id: o.opt_int("promoter_id")?,
                promoter_name: o.opt_string("promoter_name")?,
                package_id: o.int("package_id")?,
                package_name: o.string("package_name")?,
                nvr: o.string("nvr")?,
                volume_id: o.int("volume_id")?,
                volume_name: o.string("volume_name")?,
                creation_event_id: o.int("creation_event_id")?,
                creation_time: o.string("creation_time")?,
                creation_ts: o.float("creation_ts")?,
                start_time: o.opt_string("start_time")?,
                start_ts: o.opt_float("start_ts")?,
                completion_time: o.opt_string("completion_time")?,
                completion_ts: o.opt_float("completion_ts")?,
                promotion_time: o.opt_string("promotion_time")?,
                promotion_ts: o.opt_float("promotion_ts")?,
                source: o.opt_string("source")?,
                extra: o.value("extra")?.clone(),
                cg_id: o.opt_int("cg_id")?,
                cg_name: o.opt_string("cg_name")?,
                btype_info: tmap
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| Value::Struct(Struct::new())),
            });
        }
        for (k, key) in [("build_rpms.json", 0), ("build_archives.json", 1)] {
            let f = File::read(dir, k)?;
            for (id, v) in f.object()? {
                let list = value_list(&f, &format!("data[{id:?}]"), v)?;
                let id = key_id(&f, id)?;
                if key == 0 {
                    self.build_rpms.insert(id, list);
                } else {
                    self.build_archives.insert(id, list);
                }
            }
        }
        Ok(())
    }

    fn load_tasks(&mut self, dir: &Dir<'_>) -> Result<(), Error> {
        let info = File::read(dir, "tasks.json")?;
        let raw = File::read(dir, "listTasks_raw.json")?;
        let decoded = File::read(dir, "listTasks_decoded.json")?;
        let results = File::read(dir, "task_results.json")?;
        let mut raw_rows: HashMap<i64, &Value> = HashMap::new();
        for (i, v) in raw.array()?.iter().enumerate() {
            let o = Obj::new(&raw, format!("data[{i}]"), v)?;
            raw_rows.insert(o.int("id")?, v);
        }
        let mut decoded_rows: HashMap<i64, &Value> = HashMap::new();
        for (i, v) in decoded.array()?.iter().enumerate() {
            let o = Obj::new(&decoded, format!("data[{i}]"), v)?;
            decoded_rows.insert(o.int("id")?, v);
        }
        let rmap = results.object()?;
        for (k, v) in info.object()? {
            let o = Obj::new(&info, format!("data[{k:?}]"), v)?;
            let id = o.int("id")?;
            let rawv = raw_rows
                .get(&id)
                .ok_or_else(|| raw.err("data", format!("task {id} missing")))?;
            let r = Obj::new(&raw, format!("data[id={id}]"), rawv)?;
            let dec = decoded_rows
                .get(&id)
                .ok_or_else(|| decoded.err("data", format!("task {id} missing")))?;
            let d = Obj::new(&decoded, format!("data[id={id}]"), dec)?;
            let state = o.int("state")?;
            let stored = rmap.get(k).cloned().unwrap_or(Value::Nil);
            let result = match state {
                model::task_state::CLOSED => TaskResult::Ok(stored),
                model::task_state::FAILED => {
                    let fo = Obj::new(&results, format!("data[{k:?}]"), &stored)?;
                    TaskResult::Fault {
                        code: fo.int("faultCode")?,
                        string: fo.string("faultString")?,
                    }
                }
                _ => TaskResult::None,
            };
            self.tasks.push(Task {
                id,
                state,
                create_time: o.string("create_time")?,
                create_ts: o.float("create_ts")?,
                start_time: o.opt_string("start_time")?,
                start_ts: o.opt_float("start_ts")?,
                completion_time: o.opt_string("completion_time")?,
                completion_ts: o.opt_float("completion_ts")?,
                channel_id: o.int("channel_id")?,
                host_id: o.opt_int("host_id")?,
                parent: o.opt_int("parent")?,
                label: o.opt_string("label")?,
                waiting: o.opt_bool("waiting")?,
                awaited: o.opt_bool("awaited")?,
                owner: o.int("owner")?,
                owner_name: r.string("owner_name")?,
                owner_type: r.int("owner_type")?,
                method: o.string("method")?,
                arch: o.string("arch")?,
                priority: o.int("priority")?,
                weight: o.float("weight")?,
                request: o.value("request")?.clone(),
                request_xml: r.string("request")?,
                result,
                result_xml: r.opt_string("result")?,
                result_decoded: d.value("result")?.clone(),
            });
        }
        Ok(())
    }

    fn load_tags(&mut self, dir: &Dir<'_>) -> Result<(), Error> {
        let f = File::read(dir, "tag_by_id.json")?;
        for (k, v) in f.object()? {
            let o = Obj::new(&f, format!("data[{k:?}]"), v)?;
            let extra = o
                .value("extra")?
                .as_struct()
                .cloned()
                .ok_or_else(|| f.err(&format!("data[{k:?}].extra"), "expected an object"))?;
            self.tags.push(Tag {
                id: o.int("id")?,
                name: o.string("name")?,
                arches: o.value("arches")?.clone(),
                locked: o.bool("locked")?,
                maven_support: o.bool("maven_support")?,
                maven_include_all: o.bool("maven_include_all")?,
                perm_id: o.opt_int("perm_id")?,
                perm: o.opt_string("perm")?,
                extra,
                create_event: None,
            });
        }
        // listTags() order
        let order = File::read(dir, "tags.json")?;
        let mut ids = Vec::new();
        for (i, v) in order.array()?.iter().enumerate() {
            ids.push(Obj::new(&order, format!("data[{i}]"), v)?.int("id")?);
        }
        reorder(&mut self.tags, &ids, |t| t.id);
        let tag_id_by_name: HashMap<String, i64> =
            self.tags.iter().map(|t| (t.name.clone(), t.id)).collect();
        let tag_id = |file: &File, name: &str| -> Result<i64, Error> {
            tag_id_by_name
                .get(name)
                .copied()
                .ok_or_else(|| file.err(&format!("data[{name:?}]"), "unknown tag"))
        };

        // The raw tag listings: listTagged answers are filtered by each tag's
        // package list, so collect every (tag, build, tagging event) seen in
        // any of the dumped answers, then add the tag memberships of
        // listTags(build=…) that no answer shows (their event is unknown;
        // the build's creation event stands in).
        let known: std::collections::HashSet<i64> = self.builds.iter().map(|b| b.id).collect();
        let mut seen: HashMap<(i64, i64), i64> = HashMap::new();
        let lt = File::read(dir, "listTagged.json")?;
        for (name, v) in lt.object()? {
            let o = Obj::new(&lt, format!("data[{name:?}]"), v)?;
            for (variant, rows) in o.s {
                let rows = rows.as_array().ok_or_else(|| {
                    lt.err(&format!("data[{name:?}].{variant}"), "expected an array")
                })?;
                for (i, row) in rows.iter().enumerate() {
                    let r = Obj::new(&lt, format!("data[{name:?}].{variant}[{i}]"), row)?;
                    let bid = r.int("build_id")?;
                    if !known.contains(&bid) {
                        return Err(lt.err(&r.at, format!("unknown build {bid}")));
                    }
                    let tid = tag_id(&lt, &r.string("tag_name")?)?;
                    seen.insert((tid, bid), r.int("create_event")?);
                }
            }
        }
        let bt = File::read(dir, "tag_build_tags.json")?;
        for (k, v) in bt.object()? {
            let mut ids = Vec::new();
            for (i, t) in value_list(&bt, &format!("data[{k:?}]"), v)?
                .iter()
                .enumerate()
            {
                ids.push(Obj::new(&bt, format!("data[{k:?}][{i}]"), t)?.int("id")?);
            }
            self.build_tags.insert(key_id(&bt, k)?, ids);
        }
        for (bid, tids) in &self.build_tags {
            let event = self
                .builds
                .iter()
                .find(|b| b.id == *bid)
                .map_or(0, |b| b.creation_event_id);
            for tid in tids {
                seen.entry((*tid, *bid)).or_insert(event);
            }
        }
        for ((tid, bid), ev) in seen {
            self.listings.entry(tid).or_default().push(Listing {
                build_id: bid,
                create_event: ev,
            });
        }
        for list in self.listings.values_mut() {
            list.sort_by(|a, b| {
                b.create_event
                    .cmp(&a.create_event)
                    .then(b.build_id.cmp(&a.build_id))
            });
        }

        let pt = File::read(dir, "package_tags.json")?;
        for (pname, v) in pt.object()? {
            let pid = match self.packages.iter().find(|p| &p.name == pname) {
                Some(p) => p.id,
                None => return Err(pt.err(&format!("data[{pname:?}]"), "unknown package")),
            };
            let mut entries = Vec::new();
            for (i, t) in value_list(&pt, &format!("data[{pname:?}]"), v)?
                .iter()
                .enumerate()
            {
                let o = Obj::new(&pt, format!("data[{pname:?}][{i}]"), t)?;
                let mut s = Struct::new();
                for key in ["blocked", "extra_arches", "owner_id", "owner_name"] {
                    s.insert(key.into(), o.value(key)?.clone());
                }
                entries.push((o.int("id")?, s));
            }
            self.package_tags.insert(pid, entries);
        }

        let tp = File::read(dir, "tag_packages.json")?;
        for (name, v) in tp.object()? {
            let tid = tag_id(&tp, name)?;
            let o = Obj::new(&tp, format!("data[{name:?}]"), v)?;
            let direct = value_list(&tp, &format!("data[{name:?}].direct"), o.value("direct")?)?;
            let inherited = value_list(
                &tp,
                &format!("data[{name:?}].inherited"),
                o.value("inherited")?,
            )?;
            self.tag_packages.insert(tid, (direct, inherited));
        }

        for (file, which) in [
            ("tag_inheritance.json", 0),
            ("tag_full_inheritance.json", 1),
            ("tag_full_inheritance_reverse.json", 2),
        ] {
            let f = File::read(dir, file)?;
            for (k, v) in f.object()? {
                let list = value_list(&f, &format!("data[{k:?}]"), v)?;
                let id = key_id(&f, k)?;
                match which {
                    0 => self.inheritance.insert(id, list),
                    1 => self.full_inheritance.insert(id, list),
                    _ => self.full_inheritance_reverse.insert(id, list),
                };
            }
        }

        let targets = File::read(dir, "targets.json")?;
        for (i, v) in targets.array()?.iter().enumerate() {
            let s = v
                .as_struct()
                .cloned()
                .ok_or_else(|| targets.err(&format!("data[{i}]"), "expected an object"))?;
            self.targets.push(s);
        }
        Ok(())
    }

    fn load_hosts(&mut self, dir: &Dir<'_>) -> Result<(), Error> {
        for (file, which) in [("channels.json", 0), ("hosts.json", 1)] {
            let f = File::read(dir, file)?;
            for (i, v) in f.array()?.iter().enumerate() {
                let s = v
                    .as_struct()
                    .cloned()
                    .ok_or_else(|| f.err(&format!("data[{i}]"), "expected an object"))?;
                if which == 0 {
                    self.channels.push(s);
                } else {
                    self.hosts.push(s);
                }
            }
        }
        for (file, which) in [("channel_hosts.json", 0), ("host_channels.json", 1)] {
            let f = File::read(dir, file)?;
            for (k, v) in f.object()? {
                let mut ids = Vec::new();
                for (i, row) in value_list(&f, &format!("data[{k:?}]"), v)?
                    .iter()
                    .enumerate()
                {
                    ids.push(Obj::new(&f, format!("data[{k:?}][{i}]"), row)?.int("id")?);
                }
                let id = key_id(&f, k)?;
                if which == 0 {
                    self.channel_hosts.insert(id, ids);
                } else {
                    self.host_channels.insert(id, ids);
                }
            }
        }
        Ok(())
    }

    fn load_misc(&mut self, dir: &Dir<'_>) -> Result<(), Error> {
        let repos = File::read(dir, "repos.json")?;
        for (k, v) in repos.object()? {
            self.repos_by_tag.insert(k.clone(), v.clone());
        }
        let ri = File::read(dir, "repo_info.json")?;
        for (k, v) in ri.object()? {
            self.repo_info.insert(key_id(&ri, k)?, v.clone());
        }
        self.all_perms = File::read(dir, "all_perms.json")?.array()?.to_vec();
        self.archive_types = File::read(dir, "archive_types.json")?.array()?.to_vec();
        self.btypes = File::read(dir, "btypes.json")?.array()?.to_vec();
        let cg = File::read(dir, "content_generators.json")?;
        self.content_generators = cg.object()?.clone();
        // The file tree's side: optional, a data set without them has no
        // task output, build logs or signatures.
        if let Some(f) = File::read_optional(dir, "task_output.json")? {
            for (k, v) in f.object()? {
                let files = v
                    .as_struct()
                    .ok_or_else(|| f.err(&format!("data[{k:?}]"), "expected an object"))?;
                self.task_output.insert(key_id(&f, k)?, files.clone());
            }
        }
        for (name, key) in [("build_logs.json", 0), ("rpm_sigs.json", 1)] {
            if let Some(f) = File::read_optional(dir, name)? {
                for (k, v) in f.object()? {
                    let list = value_list(&f, &format!("data[{k:?}]"), v)?;
                    let id = key_id(&f, k)?;
                    if key == 0 {
                        self.build_logs.insert(id, list);
                    } else {
                        self.rpm_sigs.insert(id, list);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Moves the rows whose id is listed to the front, in the listed order;
/// rows not listed keep their relative order after them.
fn reorder<T>(rows: &mut Vec<T>, ids: &[i64], id: impl Fn(&T) -> i64) {
    let pos: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, x)| (*x, i)).collect();
    let mut taken: Vec<(usize, T)> = rows
        .drain(..)
        .enumerate()
        .map(|(i, r)| (pos.get(&id(&r)).copied().unwrap_or(ids.len() + i), r))
        .collect();
    taken.sort_by_key(|(k, _)| *k);
    rows.extend(taken.into_iter().map(|(_, r)| r));
}

fn value_to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Nil => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(i) => serde_json::Value::from(*i),
        Value::Double(d) => serde_json::Value::from(*d),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Array(a) => serde_json::Value::Array(a.iter().map(value_to_json).collect()),
        Value::Struct(s) => serde_json::Value::Object(
            s.iter()
                .map(|(k, v)| (k.clone(), value_to_json(v)))
                .collect(),
        ),
        Value::Base64(_) | Value::DateTime(_) => serde_json::Value::Null,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn file(name: &str) -> Value {
        File::read(&Dir::Realhub, name).unwrap().data
    }

    fn by_id(v: &Value, key: &str) -> HashMap<i64, Struct> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let s = r.as_struct().unwrap().clone();
                (s.get(key).and_then(Value::as_i64).unwrap(), s)
            })
            .collect()
    }

    #[test]
    fn build_rows_equal_the_dumped_answers() {
        let ds = Dataset::load_realhub().unwrap();
        let builds = file("builds.json");
        for b in &ds.builds {
            let want = builds.get(&b.id.to_string()).unwrap().as_struct().unwrap();
            assert_eq!(&b.info_row().to_struct(), want, "getBuild({})", b.id);
        }
        let list = by_id(&file("listBuilds.json"), "build_id");
        for b in &ds.builds {
            assert_eq!(
                b.list_row().to_struct(),
                list[&b.id],
                "listBuilds row {}",
                b.id
            );
        }
        assert_eq!(ds.builds.len(), 25);
    }

    #[test]
    fn task_rows_equal_the_dumped_answers() {
        let ds = Dataset::load_realhub().unwrap();
        let info = file("tasks.json");
        let plain = file("tasks_norequest.json");
        let raw = by_id(&file("listTasks_raw.json"), "id");
        let decoded = by_id(&file("listTasks_decoded.json"), "id");
        for t in &ds.tasks {
            let k = t.id.to_string();
            assert_eq!(
                &t.info_row(true).to_struct(),
                info.get(&k).unwrap().as_struct().unwrap()
            );
            assert_eq!(
                &t.info_row(false).to_struct(),
                plain.get(&k).unwrap().as_struct().unwrap()
            );
            assert_eq!(t.list_row(false).to_struct(), raw[&t.id], "raw {k}");
            assert_eq!(t.list_row(true).to_struct(), decoded[&t.id], "decoded {k}");
        }
        let children = file("task_children.json");
        for t in &ds.tasks {
            let want = children.get(&t.id.to_string()).unwrap().as_array().unwrap();
            let got: Vec<Value> = ds
                .children
                .get(&t.id)
                .into_iter()
                .flatten()
                .map(|i| Value::Struct(ds.tasks[*i].child_row(true).to_struct()))
                .collect();
            assert_eq!(got.as_slice(), want, "children of {}", t.id);
        }
    }

    #[test]
    fn tag_listings_cover_every_tagging() {
        let ds = Dataset::load_realhub().unwrap();
        let n: usize = ds.listings.values().map(Vec::len).sum();
        let m: usize = ds.build_tags.values().map(Vec::len).sum();
        assert_eq!(n, m);
        // build 7 is in f40-override although no package list there allows it
        assert!(ds.listings[&3].iter().any(|l| l.build_id == 7));
    }

    #[test]
    fn realhub_row_order_is_applied() {
        let ds = Dataset::load_realhub().unwrap();
        let first: Vec<i64> = ds.tasks.iter().take(5).map(|t| t.id).collect();
        assert_eq!(first, [1, 2, 7, 13, 17]);
        let tail: Vec<i64> = ds.builds.iter().skip(19).map(|b| b.id).collect();
        assert_eq!(tail, [22, 25, 20, 21, 24, 23]);
        // a copy elsewhere follows its files, or its own row_order.json
        let copy = std::env::temp_dir().join(format!("koji-testhub-copy-{}", std::process::id()));
        std::fs::create_dir_all(&copy).unwrap();
        for (name, text) in realhub::FILES {
            std::fs::write(copy.join(name), text).unwrap();
        }
        let plain = Dataset::load(&copy).unwrap();
        let ids: Vec<i64> = plain.tasks.iter().take(3).map(|t| t.id).collect();
        assert_eq!(ids, [1, 2, 3]);
        std::fs::write(
            copy.join("row_order.json"),
            r#"{"data": {"tasks": [3, 2]}}"#,
        )
        .unwrap();
        let ordered = Dataset::load(&copy).unwrap();
        let ids: Vec<i64> = ordered.tasks.iter().take(3).map(|t| t.id).collect();
        assert_eq!(ids, [3, 2, 1]);
        std::fs::remove_dir_all(&copy).unwrap();
    }

    #[test]
    fn the_built_in_data_set_is_the_directory_in_the_repository() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/realhub/dataset");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        on_disk.sort();
        let built_in: Vec<String> = realhub::FILES.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(built_in, on_disk, "realhub::FILES must list every file");
        assert!(realhub::file("builds.json").unwrap().contains("\"data\""));
        assert_eq!(realhub::file("nonexistent.json"), None);
    }

    #[test]
    fn load_errors_name_the_file() {
        let err = Dataset::load(Path::new("/nonexistent/koji-dataset")).unwrap_err();
        assert!(matches!(err, Error::DatasetNotFound(_)));
        let dir = std::env::temp_dir().join(format!("koji-testhub-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("meta.json"), "{\"data\": {\"getKojiVersion\": 5}}").unwrap();
        let err = Dataset::load(&dir).unwrap_err().to_string();
        assert!(
            err.contains("meta.json") && err.contains("getKojiVersion"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
