//! Uploads, as the real hub does them (`kojihub.handle_upload`,
//! `get_upload_path`, `RootExports.checkUpload`, `RootExports.uploadFile`),
//! into an in-memory `work/` tree: explicit offsets, `overwrite` truncating
//! at the offset, the end-of-file check, gaps accepted, directory owners,
//! and the recorded fault texts.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use base64::Engine as _;
use koji_xmlrpc::{Struct, Value};
use openssl::hash::{MessageDigest, hash};

use crate::fault::{Exc, HubResult};

/// The hub's KojiDir, as it appears in fault texts.
pub(crate) const KOJIDIR: &str = "/srv/kojihub/kojidir";

/// One uploaded file.
#[derive(Debug, Clone, Default)]
pub(crate) struct UpFile {
    pub(crate) data: Vec<u8>,
    pub(crate) mtime: f64,
}

/// The `work/` tree of uploads.
#[derive(Debug, Default)]
pub(crate) struct UploadStore {
    inner: Mutex<Store>,
}

#[derive(Debug, Default)]
pub(crate) struct Store {
    /// `[vol/<v>/]work/<dir>/<name>` → file.
    pub(crate) files: HashMap<String, UpFile>,
    /// `[vol/<v>/]work/<dir>` → the user id in its `.user` file.
    pub(crate) owners: HashMap<String, i64>,
}

impl UploadStore {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Store> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A file's bytes, by its path relative to `work/`.
    pub(crate) fn get(&self, path: &str) -> Option<Vec<u8>> {
        self.lock()
            .files
            .get(&format!("work/{path}"))
            .map(|f| f.data.clone())
    }
}

/// `os.path.normpath` for relative paths.
fn normpath(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// `get_upload_path(reldir, name, create, volume)`: the key of the file and
/// of its directory.
pub(crate) fn upload_path(
    reldir: &str,
    name: &str,
    volume: Option<&str>,
    owner: Option<(i64, &mut Store)>,
) -> HubResult<(String, String)> {
    if name.contains('/') || name.starts_with('.') {
        return Err(Exc::generic(format!("Invalid upload filename: {name}")));
    }
    if reldir.starts_with('/') {
        return Err(Exc::py(
            "ValueError",
            format!("Invalid path segment: {reldir}"),
        ));
    }
    let dir = normpath(reldir);
    if dir == "." || dir.starts_with("..") {
        return Err(Exc::generic(format!("Invalid upload directory: {reldir}")));
    }
    // Only the DEFAULT volume exists on this hub.
    let base = match volume {
        None | Some("DEFAULT") => "work",
        Some(v) => return Err(Exc::generic(format!("No such entry in table volume: {v}"))),
    };
    let dirkey = format!("{base}/{dir}");
    if let Some((user, store)) = owner {
        if dir.starts_with("tasks/") {
            return Err(Exc::auth(format!("User {user} is not a host")));
        }
        match store.owners.get(&dirkey) {
            Some(&o) if o != user => {
                return Err(Exc::generic(format!(
                    "Invalid upload directory, not owner: {KOJIDIR}/{dirkey}"
                )));
            }
            Some(_) => {}
            None => {
                store.owners.insert(dirkey.clone(), user);
            }
        }
    }
    Ok((format!("{dirkey}/{name}"), dirkey))
}

fn digest(kind: &str, data: &[u8]) -> HubResult<String> {
    let hex = |d: &[u8]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
    match kind {
        "adler32" => {
            let mut a = adler2::Adler32::new();
            a.write_slice(data);
            Ok(format!("{:08x}", a.checksum()))
        }
        "md5" => hash(MessageDigest::md5(), data)
            .map(|d| hex(&d))
            .map_err(|e| Exc::py("ValueError", e.to_string())),
        "sha256" => Ok(hex(&openssl::sha::sha256(data))),
        other => Err(Exc::generic(format!("Unsupported verify type: {other}"))),
    }
}

/// Writes `data` at `at`, growing the file (a gap reads as zeros, as a
/// sparse file's hole does). Appending at the end, the usual chunk, copies
/// the bytes once instead of zero-filling the room first.
fn write_at(file: &mut Vec<u8>, at: usize, data: &[u8]) {
    if at > file.len() {
        file.resize(at, 0);
    }
    let overlap = (file.len() - at).min(data.len());
    file[at..at + overlap].copy_from_slice(&data[..overlap]);
    file.extend_from_slice(&data[overlap..]);
}

/// `handle_upload` for a logged-in `user`: the query string's arguments and
/// the body; the answer is the reply struct.
pub(crate) fn handle_upload(
    store: &UploadStore,
    user: i64,
    query: Option<&str>,
    body: &[u8],
) -> HubResult<Value> {
    let args: HashMap<String, String> = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let arg = |k: &str| args.get(k).cloned().ok_or_else(|| Exc::key_error(k));
    let name = arg("filename")?;
    let dir = arg("filepath")?;
    let verify = args.get("fileverify").cloned().unwrap_or_default();
    let offset: i64 = args
        .get("offset")
        .map_or(Ok(0), |o| o.parse())
        .map_err(|_| Exc::py("ValueError", "invalid literal for int() with base 10"))?;
    let overwrite = args.get("overwrite").is_some_and(|v| !v.is_empty());
    let volume = args.get("volume").map(String::as_str);
    if verify.is_empty() {
        return Err(Exc::py("TypeError", "'NoneType' object is not callable"));
    }
    digest(&verify, b"")?;
    let mut st = store.lock();
    let (key, _) = upload_path(&dir, &name, volume, Some((user, &mut st)))?;
    let exists = st.files.contains_key(&key);
    if exists && offset == 0 && !overwrite {
        return Err(Exc::generic(format!("upload path exists: {KOJIDIR}/{key}")));
    }
    let file = st.files.entry(key.clone()).or_default();
    let at = if offset == -1 {
        file.data.len()
    } else {
        usize::try_from(offset).map_err(|_| Exc::py("OSError", "[Errno 22] Invalid argument"))?
    };
    if overwrite {
        file.data.truncate(at);
    }
    write_at(&mut file.data, at, body);
    file.mtime = crate::time::now_ts();
    if !overwrite && file.data.len() != at + body.len() {
        return Err(Exc::generic(format!(
            "Incorrect upload length for {KOJIDIR}/{key} - Expected {}, actual {}",
            at + body.len(),
            file.data.len()
        )));
    }
    let mut s = Struct::new();
    s.insert("size".into(), Value::Int(body.len() as i64));
    s.insert("fileverify".into(), Value::String(verify.clone()));
    s.insert("offset".into(), Value::Int(at as i64));
    s.insert("hexdigest".into(), Value::String(digest(&verify, body)?));
    Ok(Value::Struct(s))
}

/// `checkUpload(path, name, verify=None, tail=None, volume=None)`.
pub(crate) fn check_upload(
    store: &UploadStore,
    path: &str,
    name: &str,
    verify: Option<&str>,
    tail: Option<i64>,
    volume: Option<&str>,
) -> HubResult<Value> {
    let (key, _) = upload_path(path, name, volume, None)?;
    let st = store.lock();
    let Some(f) = st.files.get(&key) else {
        return Ok(Value::Nil);
    };
    let mut s = Struct::new();
    s.insert("size".into(), Value::Int(f.data.len() as i64));
    s.insert("mtime".into(), Value::Double(f.mtime));
    if let Some(kind) = verify {
        let part = match tail {
            Some(n) if n < 0 => return Err(Exc::generic("Invalid tail value: {n}")),
            Some(n) => &f.data[f.data.len().saturating_sub(n as usize)..],
            None => &f.data[..],
        };
        s.insert("sumlength".into(), Value::Int(part.len() as i64));
        s.insert("hexdigest".into(), Value::String(digest(kind, part)?));
    }
    Ok(Value::Struct(s))
}

/// `uploadFile(path, name, size, md5sum, offset, data, volume=None,
/// checksum=None)`: the legacy base64 upload.
#[allow(clippy::too_many_arguments)]
pub(crate) fn upload_file(
    store: &UploadStore,
    user: i64,
    path: &str,
    name: &str,
    size: i64,
    checksum: &Value,
    offset: i64,
    data: &str,
    volume: Option<&str>,
) -> HubResult<Value> {
    let (kind, sum) = match checksum {
        Value::Array(a) if a.len() == 2 => (
            a[0].as_str().unwrap_or("").to_owned(),
            a[1].as_str().unwrap_or("").to_owned(),
        ),
        Value::String(s) => ("md5".to_owned(), s.clone()),
        _ => (String::new(), String::new()),
    };
    let mut st = store.lock();
    let (key, _) = upload_path(path, name, volume, Some((user, &mut st)))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.as_bytes())
        .map_err(|e| Exc::py("binascii.Error", e.to_string()))?;
    if offset == 0 && st.files.contains_key(&key) && !name.ends_with(".log") {
        return Err(Exc::generic(format!(
            "file already exists: {KOJIDIR}/{key}"
        )));
    }
    let file = st.files.entry(key).or_default();
    if offset == -1 {
        let size = usize::try_from(size).unwrap_or(0);
        file.data.truncate(size);
        let ok = !kind.is_empty() && digest(&kind, &file.data)? == sum;
        return Ok(Value::Bool(ok));
    }
    if bytes.len() as i64 != size || (!kind.is_empty() && digest(&kind, &bytes)? != sum) {
        return Ok(Value::Bool(false));
    }
    let at = usize::try_from(offset).unwrap_or(0);
    write_at(&mut file.data, at, &bytes);
    file.mtime = crate::time::now_ts();
    Ok(Value::Bool(true))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn writes_append_rewrite_and_leave_gaps_as_zeros() {
        let mut f = Vec::new();
        write_at(&mut f, 0, b"abc");
        write_at(&mut f, 3, b"def");
        assert_eq!(f, b"abcdef");
        // over the end: the part inside is rewritten, the rest appended
        write_at(&mut f, 4, b"XYZ");
        assert_eq!(f, b"abcdXYZ");
        // inside: nothing appended
        write_at(&mut f, 1, b"B");
        assert_eq!(f, b"aBcdXYZ");
        // past the end: a gap of zeros
        write_at(&mut f, 9, b"!");
        assert_eq!(f, b"aBcdXYZ\0\0!");
    }

    #[test]
    fn chunks_follow_handle_upload() {
        let s = UploadStore::default();
        let r = handle_upload(
            &s,
            1,
            Some("filename=a.bin&filepath=w%2Fx&fileverify=adler32&offset=0"),
            b"hello",
        )
        .unwrap();
        assert_eq!(r.get("hexdigest").unwrap().as_str(), Some("062c0215"));
        // a retried chunk rewrites the same bytes
        handle_upload(
            &s,
            1,
            Some("filename=a.bin&filepath=w/x&fileverify=adler32&offset=0&overwrite=1"),
            b"hello",
        )
        .unwrap();
        handle_upload(
            &s,
            1,
            Some("filename=a.bin&filepath=w/x&fileverify=adler32&offset=5"),
            b" world",
        )
        .unwrap();
        assert_eq!(s.get("w/x/a.bin").unwrap(), b"hello world");
        let e = handle_upload(
            &s,
            1,
            Some("filename=a.bin&filepath=w/x&fileverify=adler32&offset=0"),
            b"x",
        )
        .unwrap_err();
        assert_eq!(
            e.fault_string(),
            format!("upload path exists: {KOJIDIR}/work/w/x/a.bin")
        );
        // a write ending before the end of the file: written, then refused
        let e = handle_upload(
            &s,
            1,
            Some("filename=a.bin&filepath=w/x&fileverify=adler32&offset=1"),
            b"E",
        )
        .unwrap_err();
        assert!(
            e.fault_string().starts_with("Incorrect upload length"),
            "{}",
            e.fault_string()
        );
        assert_eq!(s.get("w/x/a.bin").unwrap(), b"hEllo world");
        // another user's directory
        let e = handle_upload(
            &s,
            2,
            Some("filename=b&filepath=w/x&fileverify=adler32&offset=0"),
            b"x",
        )
        .unwrap_err();
        assert!(
            e.fault_string().contains("not owner"),
            "{}",
            e.fault_string()
        );
        let e = handle_upload(
            &s,
            1,
            Some("filename=.x&filepath=w&fileverify=adler32&offset=0"),
            b"",
        )
        .unwrap_err();
        assert_eq!(e.fault_string(), "Invalid upload filename: .x");
        let e = handle_upload(
            &s,
            1,
            Some("filename=x&filepath=w&fileverify=&offset=0"),
            b"",
        )
        .unwrap_err();
        assert_eq!(e.code(), 1);
        let c = check_upload(&s, "w/x", "a.bin", Some("adler32"), None, None).unwrap();
        assert_eq!(c.get("size").unwrap().as_i64(), Some(11));
        assert_eq!(
            check_upload(&s, "w/x", "nope", None, None, None).unwrap(),
            Value::Nil
        );
    }
}
