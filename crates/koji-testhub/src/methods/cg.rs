//! Content-generator imports: `CGImport`, `CGInitBuild` and
//! `CGRefundBuild`, checked as the recorded hub checks them (metadata
//! parsing, metadata version, content-generator access, the build and its
//! reservation token, each output file's size and checksum against the
//! uploads in `work/<directory>/`), with the recorded fault texts.
//!
//! A successful import adds a COMPLETE build (owner, `cg_id`, start and end
//! from the metadata) and its archives to the live state, where `getBuild`,
//! `listBuilds` and `listArchives` find them. Imported files count as moved
//! into the build: importing them again fails as on the real hub. Log
//! outputs are checked but, as on the hub, are no archives. RPM outputs
//! are refused (this hub does not read RPM headers).

use koji_xmlrpc::{Struct, Value};
use openssl::hash::{MessageDigest, hash};

use super::builds::find_build;
use super::builds_write::actor;
use crate::args::Args;
use crate::dataset::model::Build;
use crate::dispatch::Ctx;
use crate::fault::{Exc, HubResult};
use crate::py;
use crate::sim::{Actor, build_state, dataset_package_id, started_build};
use crate::uploads::KOJIDIR;
use crate::wire::Out;

/// `koji.BUILD_STATES` names.
fn state_name(state: i64) -> &'static str {
    match state {
        build_state::BUILDING => "BUILDING",
        build_state::COMPLETE => "COMPLETE",
        2 => "DELETED",
        build_state::FAILED => "FAILED",
        _ => "CANCELED",
    }
}

/// JSON text as an XML-RPC value (integers stay integers).
fn json_value(j: serde_json::Value) -> Value {
    match j {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Double(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(a) => Value::Array(a.into_iter().map(json_value).collect()),
        serde_json::Value::Object(o) => {
            Value::Struct(o.into_iter().map(|(k, v)| (k, json_value(v))).collect())
        }
    }
}

/// `metadata[key]` of a parsed metadata value, with the error Python
/// raises for a missing key or a value that is no dict.
fn item<'a>(v: &'a Value, key: &str) -> HubResult<&'a Value> {
    match v {
        Value::Struct(s) => s.get(key).ok_or_else(|| Exc::key_error(key)),
        Value::String(_) => Err(Exc::py(
            "TypeError",
            "string indices must be integers, not 'str'",
        )),
        Value::Array(_) => Err(Exc::py(
            "TypeError",
            "list indices must be integers or slices, not str",
        )),
        other => Err(Exc::py(
            "TypeError",
            format!("'{}' object is not subscriptable", py::type_name(other)),
        )),
    }
}

/// The key of an uploaded file under `work/`.
fn upload_key(directory: &str, name: &str) -> HubResult<String> {
    crate::uploads::upload_path(directory, name, None, None).map(|(k, _)| k)
}

/// `CG_Importer.get_metadata`: a dict as is, else a JSON text or the name
/// of an uploaded `.json` file in `directory` (default `metadata.json`).
fn metadata_of(ctx: &Ctx<'_>, metadata: &Value, directory: &str) -> HubResult<Value> {
    let text = match metadata {
        Value::Struct(_) => return Ok(metadata.clone()),
        Value::Nil => "metadata.json".to_owned(),
        Value::String(s) => s.clone(),
        other => {
            return Err(Exc::generic(format!(
                "Invalid metadata value: {}",
                py::repr(other)
            )));
        }
    };
    let text = if text.ends_with(".json") {
        let data = upload_key(directory, &text)
            .ok()
            .and_then(|k| ctx.hub.uploads.lock().files.get(&k).map(|f| f.data.clone()))
            .ok_or_else(|| Exc::generic(format!("No such file: {text}")))?;
        String::from_utf8_lossy(&data).into_owned()
    } else {
        text
    };
    serde_json::from_str::<serde_json::Value>(&text)
        .map(json_value)
        .map_err(|_| Exc::generic(format!("Invalid json data: {}", py::repr_str(&text))))
}

/// `assert_cg`: the content generator's id, if the caller may use it.
fn assert_cg(ctx: &Ctx<'_>, who: &Actor, cg: &str) -> HubResult<i64> {
    let entry =
        ctx.hub.data.content_generators.get(cg).ok_or_else(|| {
            Exc::generic(format!("No such entry in table content_generator: {cg}"))
        })?;
    let id = entry.get("id").and_then(Value::as_i64).unwrap_or(0);
    let allowed = entry
        .get("users")
        .and_then(Value::as_array)
        .is_some_and(|u| u.iter().any(|n| n.as_str() == Some(who.name.as_str())));
    if !allowed {
        return Err(Exc::auth(format!(
            "Content generator access required ({cg})"
        )));
    }
    Ok(id)
}

/// A build by id or NVR: live builds first, then the data set's.
fn existing_build(ctx: &Ctx<'_>, info: &Value) -> Option<Build> {
    if let Some(b) = ctx.hub.with_live(|l| l.build(info).cloned()) {
        return Some(b);
    }
    find_build(&ctx.hub.data, info, false)
        .ok()
        .flatten()
        .cloned()
}

/// The package id of `name`: the data set's, an earlier live build's, or a
/// new one after both.
fn package_id(ctx: &Ctx<'_>, name: &str) -> i64 {
    let ds = &ctx.hub.data;
    if let Some(id) = dataset_package_id(ds, name) {
        return id;
    }
    ctx.hub.with_live(|l| {
        if let Some(b) = l.builds.iter().find(|b| b.package_name == name) {
            return b.package_id;
        }
        let top = ds.packages.iter().map(|p| p.id).max().unwrap_or(0);
        let live_top = l.builds.iter().map(|b| b.package_id).max().unwrap_or(0);
        top.max(live_top) + 1
    })
}

/// A new BUILDING build row of content generator `cg` (id, name).
fn new_build_row(
    id: i64,
    nvr: (&str, &str, &str),
    owner: &Actor,
    package_id: i64,
    cg: (i64, &str),
    event: i64,
) -> Build {
    Build {
        cg_id: Some(cg.0),
        cg_name: Some(cg.1.to_owned()),
        ..started_build(id, nvr, owner, package_id, event)
    }
}

fn str_item(v: &Value, key: &str) -> HubResult<String> {
    item(v, key).map(py::str_of)
}

/// One checked output of the metadata.
struct Output {
    key: String,
    filename: String,
    size: i64,
    checksum: String,
    checksum_type: i64,
    kind: String,
    buildroot_id: Option<i64>,
    extra: Value,
}

/// The hub's `CHECKSUM_TYPES` number and openssl digest of a name.
fn checksum_kind(name: &str) -> Option<(i64, MessageDigest)> {
    match name {
        "md5" => Some((0, MessageDigest::md5())),
        "sha1" => Some((1, MessageDigest::sha1())),
        "sha256" => Some((2, MessageDigest::sha256())),
        _ => None,
    }
}

/// `prep_outputs`: each output's file exists in the upload directory and
/// matches the metadata's size and checksum.
fn check_outputs(ctx: &Ctx<'_>, md: &Value, directory: &str) -> HubResult<Vec<Output>> {
    let outputs = match item(md, "output")? {
        Value::Array(a) => a.clone(),
        other => {
            return Err(Exc::generic(format!(
                "Invalid output list: {}",
                py::repr(other)
            )));
        }
    };
    let mut out = Vec::new();
    for o in &outputs {
        let filename = str_item(o, "filename")?;
        let relpath = match o.get("relpath") {
            Some(Value::String(r)) if !r.is_empty() => r.clone(),
            _ => ".".to_owned(),
        };
        let key = upload_key(&format!("{directory}/{relpath}"), &filename)?;
        let data = ctx
            .hub
            .uploads
            .lock()
            .files
            .get(&key)
            .map(|f| f.data.clone());
        let Some(data) = data else {
            return Err(Exc::py(
                "FileNotFoundError",
                format!(
                    "[Errno 2] No such file or directory: '{KOJIDIR}/work/{directory}/{relpath}/{filename}'"
                ),
            ));
        };
        // compared as Python does: a size given as text never matches
        let size_v = item(o, "filesize")?;
        let size = match size_v {
            Value::Int(i) if *i == data.len() as i64 => *i,
            _ => {
                return Err(Exc::generic(format!(
                    "File size mismatch for {filename}: {} != {}",
                    py::str_of(size_v),
                    data.len()
                )));
            }
        };
        let ctype = str_item(o, "checksum_type")?;
        let (ctype_id, digest) = checksum_kind(&ctype)
            .ok_or_else(|| Exc::generic(format!("Unsupported checksum type: {ctype}")))?;
        let want = str_item(o, "checksum")?;
        let got = hash(digest, &data)
            .map(|d| d.iter().map(|b| format!("{b:02x}")).collect::<String>())
            .map_err(|e| Exc::generic(format!("checksum failed: {e}")))?;
        if want != got {
            return Err(Exc::generic(format!(
                "File checksum mismatch for {filename}: {want} != {got}"
            )));
        }
        let kind = str_item(o, "type")?;
        if kind == "rpm" {
            return Err(Exc::generic(
                "koji-testhub does not import rpm outputs of CGImport",
            ));
        }
        out.push(Output {
            key,
            filename,
            size,
            checksum: want,
            checksum_type: ctype_id,
            kind,
            buildroot_id: o.get("buildroot_id").and_then(super::as_py_int),
            extra: o.get("extra").cloned().unwrap_or(Value::Nil),
        });
    }
    Ok(out)
}

/// The `listArchives` row of an imported output, or `None` for a log.
fn archive_row(
    ctx: &Ctx<'_>,
    o: &Output,
    build_id: i64,
    archive_id: i64,
    directory: &str,
) -> HubResult<Option<Value>> {
    if o.kind == "log" {
        return Ok(None);
    }
    let btype = match o.kind.as_str() {
        "docker-image" => "image",
        k => k,
    };
    let btype_id = ctx
        .hub
        .data
        .btypes
        .iter()
        .find(|b| b.get("name").and_then(Value::as_str) == Some(btype))
        .and_then(|b| b.get("id").and_then(Value::as_i64))
        .ok_or_else(|| Exc::generic(format!("Unsupported file type: {}", o.kind)))?;
    // the archive type whose extension is the longest that ends the name
    let mut best: Option<(&Value, usize)> = None;
    for t in &ctx.hub.data.archive_types {
        let exts = t.get("extensions").and_then(Value::as_str).unwrap_or("");
        for e in exts.split_whitespace() {
            if o.filename.ends_with(&format!(".{e}")) && best.is_none_or(|(_, l)| e.len() > l) {
                best = Some((t, e.len()));
            }
        }
    }
    let Some((atype, _)) = best else {
        return Err(Exc::generic(format!(
            "Unsupported file extension: {}",
            o.filename
        )));
    };
    if ctx.hub.with_live(|l| l.imported_files.contains(&o.key)) {
        return Err(Exc::generic(format!(
            "Error importing archive file, {KOJIDIR}/work/{directory}/./{} is not a regular file",
            o.filename
        )));
    }
    let field = |k: &str| atype.get(k).cloned().unwrap_or(Value::Nil);
    let mut r = Struct::new();
    r.insert("btype".into(), Value::String(btype.to_owned()));
    r.insert("btype_id".into(), Value::Int(btype_id));
    r.insert("build_id".into(), Value::Int(build_id));
    r.insert(
        "buildroot_id".into(),
        o.buildroot_id.map_or(Value::Nil, Value::Int),
    );
    r.insert("checksum".into(), Value::String(o.checksum.clone()));
    r.insert("checksum_type".into(), Value::Int(o.checksum_type));
    r.insert("compression_type".into(), field("compression_type"));
    r.insert("extra".into(), o.extra.clone());
    r.insert("filename".into(), Value::String(o.filename.clone()));
    r.insert("id".into(), Value::Int(archive_id));
    r.insert("metadata_only".into(), Value::Bool(false));
    r.insert("size".into(), Value::Int(o.size));
    r.insert("type_description".into(), field("description"));
    r.insert("type_extensions".into(), field("extensions"));
    r.insert("type_id".into(), field("id"));
    r.insert("type_name".into(), field("name"));
    Ok(Some(Value::Struct(r)))
}

/// The next archive id after the data set's and the live ones.
fn next_archive_id(ctx: &Ctx<'_>) -> i64 {
    let id_of = |v: &Value| v.get("id").and_then(Value::as_i64).unwrap_or(0);
    let ds = ctx
        .hub
        .data
        .build_archives
        .values()
        .flatten()
        .map(id_of)
        .max()
        .unwrap_or(0);
    let live = ctx
        .hub
        .with_live(|l| l.archives.values().flatten().map(id_of).max().unwrap_or(0));
    ds.max(live) + 1
}

/// `CGImport(metadata, directory, token=None)`.
pub(super) fn cg_import(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let who = actor(ctx)?;
    let directory = py::str_of(a.or("directory", &Value::Nil));
    let md = metadata_of(ctx, a.or("metadata", &Value::Nil), &directory)?;
    let version = item(&md, "metadata_version")?;
    // Python's `!= 0`: only 0, 0.0 and False are version 0
    let zero = match version {
        Value::Int(0) | Value::Bool(false) => true,
        Value::Double(d) => *d == 0.0,
        _ => false,
    };
    if !zero {
        return Err(Exc::generic(format!(
            "No such metadata version: {}",
            py::repr(version)
        )));
    }
    // content-generator access for every buildroot's generator
    let mut cgs: Vec<String> = Vec::new();
    if let Value::Array(brs) = item(&md, "buildroots")? {
        for br in brs {
            let name = str_item(item(br, "content_generator")?, "name")?;
            if !cgs.contains(&name) {
                cgs.push(name);
            }
        }
    }
    let mut cg = None;
    for name in &cgs {
        let id = assert_cg(ctx, &who, name)?;
        cg.get_or_insert((id, name.clone()));
    }
    let Some((cg_id, cg_name)) = cg else {
        return Err(Exc::generic("No content generator in the buildroots"));
    };
    let binfo = item(&md, "build")?;
    let (name, version, release) = (
        str_item(binfo, "name")?,
        str_item(binfo, "version")?,
        str_item(binfo, "release")?,
    );
    let nvr = format!("{name}-{version}-{release}");
    let token = a.opt("token").filter(|t| !matches!(t, Value::Nil));
    let reserved = match binfo.get("build_id").filter(|v| !matches!(v, Value::Nil)) {
        Some(bid) => {
            let bid = super::convert_int(bid)?;
            let token = token
                .map(py::str_of)
                .ok_or_else(|| Exc::generic("Reserved build ID requires token"))?;
            let ok = ctx.hub.with_live(|l| {
                l.reservations
                    .get(&bid)
                    .is_some_and(|(t, c)| *t == token && *c == cg_id)
            });
            if !ok {
                return Err(Exc::generic(format!("Token doesn't match build ID {bid}")));
            }
            let b = existing_build(ctx, &Value::Int(bid))
                .ok_or_else(|| Exc::generic(format!("No such build: {bid}")))?;
            if b.nvr != nvr {
                return Err(Exc::generic(format!(
                    "Build name-version-release doesn't match the reserved build: {nvr} != {}",
                    b.nvr
                )));
            }
            if b.state != build_state::BUILDING {
                return Err(Exc::generic(format!(
                    "Build ID {bid} is not in BUILDING state"
                )));
            }
            Some(bid)
        }
        None => {
            if let Some(b) = existing_build(ctx, &Value::String(nvr.clone())) {
                return Err(Exc::generic(format!(
                    "Build already exists: {nvr} (id={})",
                    b.id
                )));
            }
            None
        }
    };
    let outputs = check_outputs(ctx, &md, &directory)?;
    let pkg = package_id(ctx, &name);
    let event = ctx.hub.catalog_mut().new_event();
    let id = match reserved {
        Some(id) => id,
        None => ctx.hub.with_live(|l| l.alloc_build()),
    };
    // the archives (a file moved by an earlier import fails here, after
    // the build id was taken)
    let mut archive_id = next_archive_id(ctx);
    let mut rows = Vec::new();
    for o in &outputs {
        if let Some(r) = archive_row(ctx, o, id, archive_id, &directory)? {
            rows.push(r);
            archive_id += 1;
        }
    }
    let mut b = match reserved.and_then(|r| existing_build(ctx, &Value::Int(r))) {
        Some(b) => b,
        None => new_build_row(
            id,
            (&name, &version, &release),
            &who,
            pkg,
            (cg_id, &cg_name),
            event,
        ),
    };
    let time_of = |k: &str| {
        binfo.get(k).and_then(|v| match v {
            Value::Int(i) => Some(*i as f64),
            Value::Double(d) => Some(*d),
            _ => None,
        })
    };
    let end = time_of("end_time").unwrap_or_else(crate::time::now_ts);
    if let Some(start) = time_of("start_time") {
        b.start_ts = Some(start);
        b.start_time = Some(crate::time::format_ts(start));
    }
    b.completion_ts = Some(end);
    b.completion_time = Some(crate::time::format_ts(end));
    b.state = build_state::COMPLETE;
    b.source = binfo
        .get("source")
        .and_then(Value::as_str)
        .map(str::to_owned);
    // the extra of each known build type also lands in extra.typeinfo
    let mut extra = match binfo.get("extra") {
        Some(Value::Struct(s)) => s.clone(),
        _ => Struct::new(),
    };
    let mut typeinfo = Struct::new();
    let mut btype_info = Struct::new();
    for t in ["image", "maven", "win"] {
        if let Some(v) = extra.get(t) {
            typeinfo.insert(t.into(), v.clone());
            btype_info.insert(t.into(), v.clone());
        }
    }
    for r in &rows {
        if let Some(bt) = r.get("btype").and_then(Value::as_str) {
            btype_info.entry(bt.to_owned()).or_insert(Value::Nil);
        }
    }
    if !typeinfo.is_empty() {
        extra.insert("typeinfo".into(), Value::Struct(typeinfo));
    }
    b.extra = if extra.is_empty() {
        Value::Nil
    } else {
        Value::Struct(extra)
    };
    b.btype_info = Value::Struct(btype_info);
    let prefix = ctx.hub.cfg.sim.topic_prefix.clone();
    let answer = crate::sim::build_value(&b);
    let keys: Vec<String> = outputs.iter().map(|o| o.key.clone()).collect();
    ctx.hub.with_live(|l| {
        l.reservations.remove(&id);
        l.imported_files.extend(keys);
        l.archives.insert(id, rows);
        let old = Some(build_state::BUILDING);
        l.publish_build(&prefix, &b, old);
        match l.builds.iter_mut().find(|x| x.id == id) {
            Some(x) => *x = b,
            None => l.builds.push(b),
        }
    });
    ctx.commit = true;
    Ok(answer.into())
}

/// `CGInitBuild(cg, data)`: reserves a BUILDING build for the generator;
/// `{build_id, token}`.
pub(super) fn cg_init_build(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let who = actor(ctx)?;
    let cg = py::str_of(a.or("cg", &Value::Nil));
    let cg_id = assert_cg(ctx, &who, &cg)?;
    let data = match a.or("data", &Value::Nil) {
        Value::Struct(s) => s.clone(),
        other => {
            return Err(Exc::generic(format!(
                "Invalid build data: {}",
                py::repr(other)
            )));
        }
    };
    let dv = Value::Struct(data.clone());
    let (name, version, release) = (
        str_item(&dv, "name")?,
        str_item(&dv, "version")?,
        str_item(&dv, "release")?,
    );
    let nvr = format!("{name}-{version}-{release}");
    let pkg = package_id(ctx, &name);
    if let Some(b) = existing_build(ctx, &Value::String(nvr.clone())) {
        // new_build's data, in the order the hub fills it in
        let mut d = data.clone();
        d.insert("owner".into(), Value::Int(who.id));
        d.insert("state".into(), Value::Int(build_state::BUILDING));
        d.insert("completion_time".into(), Value::Nil);
        d.insert("cg_id".into(), Value::Int(cg_id));
        let defaults = [
            ("epoch", Value::Nil),
            ("pkg_id", Value::Int(pkg)),
            ("extra", Value::Nil),
            ("start_time", Value::String("NOW".into())),
            ("source", Value::Nil),
            ("task_id", Value::Nil),
            ("volume_id", Value::Int(0)),
            ("draft", Value::Bool(false)),
        ];
        for (k, v) in defaults {
            if k == "pkg_id" {
                d.insert(k.into(), v);
            } else {
                d.entry(k.to_owned()).or_insert(v);
            }
        }
        return Err(Exc::generic(format!(
            "Build already exists (id={}, state={}): {}",
            b.id,
            state_name(b.state),
            py::repr(&Value::Struct(d))
        )));
    }
    let event = ctx.hub.catalog_mut().new_event();
    let mut raw = [0u8; 32];
    openssl::rand::rand_bytes(&mut raw)
        .map_err(|e| Exc::generic(format!("no random token: {e}")))?;
    let token: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let prefix = ctx.hub.cfg.sim.topic_prefix.clone();
    let id = ctx.hub.with_live(|l| {
        let id = l.alloc_build();
        let b = new_build_row(
            id,
            (&name, &version, &release),
            &who,
            pkg,
            (cg_id, &cg),
            event,
        );
        l.publish_build(&prefix, &b, None);
        l.builds.push(b);
        l.reservations.insert(id, (token.clone(), cg_id));
        id
    });
    ctx.commit = true;
    let mut s = Struct::new();
    s.insert("build_id".into(), Value::Int(id));
    s.insert("token".into(), Value::String(token));
    Ok(Value::Struct(s).into())
}

/// `CGRefundBuild(cg, build_id, token, state=FAILED)`: gives a reserved
/// build up (FAILED or CANCELED).
pub(super) fn cg_refund_build(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let who = actor(ctx)?;
    let cg = py::str_of(a.or("cg", &Value::Nil));
    let cg_id = assert_cg(ctx, &who, &cg)?;
    let bid = super::convert_int(a.or("build_id", &Value::Nil))?;
    let token = py::str_of(a.or("token", &Value::Nil));
    let state = match a.opt("state") {
        None => build_state::FAILED,
        Some(v) => super::convert_int(v)?,
    };
    if state != build_state::FAILED && state != build_state::CANCELED {
        return Err(Exc::generic(format!(
            "Only FAILED/CANCELED states are allowed, got {state}"
        )));
    }
    let b = existing_build(ctx, &Value::Int(bid))
        .ok_or_else(|| Exc::generic(format!("No such build: {bid}")))?;
    if b.cg_id != Some(cg_id) {
        return Err(Exc::generic(format!(
            "Build {bid} is not owned by content generator {cg}"
        )));
    }
    if b.state != build_state::BUILDING {
        return Err(Exc::generic(format!(
            "Build ID {bid} is not in BUILDING state"
        )));
    }
    let ok = ctx
        .hub
        .with_live(|l| l.reservations.get(&bid).is_some_and(|(t, _)| *t == token));
    if !ok {
        return Err(Exc::generic(format!("Token doesn't match build ID {bid}")));
    }
    let prefix = ctx.hub.cfg.sim.topic_prefix.clone();
    ctx.hub.with_live(|l| {
        l.reservations.remove(&bid);
        if let Some(x) = l.builds.iter_mut().find(|x| x.id == bid) {
            let ts = crate::time::now_ts();
            x.state = state;
            x.completion_ts = Some(ts);
            x.completion_time = Some(crate::time::format_ts(ts));
            let b = x.clone();
            l.publish_build(&prefix, &b, Some(build_state::BUILDING));
        }
    });
    ctx.commit = true;
    Ok(Value::Nil.into())
}
