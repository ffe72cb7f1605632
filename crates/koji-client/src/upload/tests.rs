//! The upload algorithms against an in-memory hub that follows
//! `handle_upload`'s rules (explicit offsets, overwrite truncates, the end
//! check, `upload path exists`) and can lose answers on request.
#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use koji_xmlrpc::{Struct, Value};

use super::*;
use crate::error::{Error, Kind};

/// What the fake hub does with the next chunk.
#[derive(Debug, Clone)]
enum Trick {
    /// Handle it normally.
    Normal,
    /// Write the first `n` bytes, then drop the connection.
    DropAfter(usize),
    /// Write it all, then drop the connection before answering.
    DropAnswer,
    /// Write it all, then answer with a wrong digest.
    WrongDigest,
    /// Write `n` garbage bytes instead, then drop the connection.
    Garbage(usize),
    /// Write nothing; answer with this fault.
    Fault(i64, &'static str),
}

#[derive(Default)]
struct State {
    files: HashMap<String, Vec<u8>>,
    tricks: VecDeque<Trick>,
    chunks: Vec<(u64, bool, usize)>,
    calls: Vec<String>,
    legacy: bool,
    anonymous: bool,
    /// The hub sent its version (so it has rawUpload).
    versioned: bool,
}

#[derive(Clone, Default)]
struct FakeHub(Arc<Mutex<State>>);

impl FakeHub {
    fn trick(&self, t: impl IntoIterator<Item = Trick>) {
        self.0.lock().unwrap().tricks.extend(t);
    }
    fn file(&self, path: &str) -> Option<Vec<u8>> {
        self.0.lock().unwrap().files.get(path).cloned()
    }
    fn chunks(&self) -> Vec<(u64, bool, usize)> {
        self.0.lock().unwrap().chunks.clone()
    }
    fn calls(&self) -> Vec<String> {
        self.0.lock().unwrap().calls.clone()
    }
}

fn fault(code: i64, s: &str) -> Error {
    Error::fault(code, s)
}

impl super::engine::sealed::Sealed for FakeHub {}

impl UploadHub for FakeHub {
    fn is_logged_in(&self) -> bool {
        !self.0.lock().unwrap().anonymous
    }

    fn has_raw_upload(&self) -> bool {
        self.0.lock().unwrap().versioned
    }

    async fn raw_upload(&self, query: String, body: Bytes) -> crate::Result<Value> {
        let mut st = self.0.lock().unwrap();
        if st.legacy {
            return Err(Error::new(Kind::Disconnected));
        }
        let q: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let path = format!("{}/{}", q["filepath"], q["filename"]);
        let offset: u64 = q["offset"].parse().unwrap();
        let overwrite = q.get("overwrite").is_some_and(|v| v == "1");
        assert_eq!(q["fileverify"], "adler32");
        st.chunks.push((offset, overwrite, body.len()));
        st.calls.push("rawUpload".into());
        let trick = st.tricks.pop_front().unwrap_or(Trick::Normal);
        if let Trick::Fault(code, text) = trick {
            return Err(fault(code, text));
        }
        let exists = st.files.contains_key(&path);
        if exists && offset == 0 && !overwrite {
            return Err(fault(
                1000,
                &format!("upload path exists: /kojidir/work/{path}"),
            ));
        }
        let file = st.files.entry(path.clone()).or_default();
        let at = offset as usize;
        if overwrite {
            file.truncate(at);
        }
        let write = |file: &mut Vec<u8>, data: &[u8]| {
            if file.len() < at + data.len() {
                file.resize(at + data.len(), 0);
            }
            file[at..at + data.len()].copy_from_slice(data);
        };
        match trick {
            Trick::DropAfter(n) => {
                write(file, &body[..n.min(body.len())]);
                return Err(Error::new(Kind::Disconnected));
            }
            Trick::Garbage(n) => {
                write(file, &vec![0xEE; n]);
                return Err(Error::new(Kind::Disconnected));
            }
            _ => write(file, &body),
        }
        if !overwrite && file.len() != at + body.len() {
            return Err(fault(1000, &format!("Incorrect upload length for {path}")));
        }
        if matches!(trick, Trick::DropAnswer) {
            return Err(Error::new(Kind::Disconnected));
        }
        let digest = if matches!(trick, Trick::WrongDigest) {
            "00000000".to_owned()
        } else {
            format!("{:08x}", adler32(&body))
        };
        let mut s = Struct::new();
        s.insert("size".into(), Value::Int(body.len() as i64));
        s.insert("fileverify".into(), Value::String("adler32".into()));
        s.insert("offset".into(), Value::Int(offset as i64));
        s.insert("hexdigest".into(), Value::String(digest));
        Ok(Value::Struct(s))
    }

    async fn call(
        &self,
        method: &'static str,
        args: Vec<Value>,
        kwargs: Struct,
    ) -> crate::Result<Value> {
        let mut st = self.0.lock().unwrap();
        st.calls.push(method.to_owned());
        let path = format!(
            "{}/{}",
            args[0].as_str().unwrap(),
            args[1].as_str().unwrap()
        );
        match method {
            "checkUpload" if st.legacy => Err(fault(1000, "Invalid method: checkUpload")),
            "checkUpload" => Ok(match st.files.get(&path) {
                None => Value::Nil,
                Some(f) => {
                    let mut s = Struct::new();
                    s.insert("size".into(), Value::Int(f.len() as i64));
                    s.insert("mtime".into(), Value::Double(1.5));
                    if kwargs.get("verify").is_some() {
                        s.insert(
                            "hexdigest".into(),
                            Value::String(format!("{:08x}", adler32(f))),
                        );
                    }
                    Value::Struct(s)
                }
            }),
            "uploadFile" => {
                let size = args[2].as_i64().unwrap() as usize;
                let sum = args[3].as_array().unwrap()[1].as_str().unwrap().to_owned();
                let offset = args[4].as_i64().unwrap();
                let data = base64::Engine::decode(
                    &base64::engine::general_purpose::STANDARD,
                    args[5].as_str().unwrap(),
                )
                .unwrap();
                let file = st.files.entry(path).or_default();
                if offset == -1 {
                    file.truncate(size);
                    let ok = hex(&openssl::sha::sha256(file)) == sum;
                    return Ok(Value::Bool(ok));
                }
                if data.len() != size || hex(&openssl::sha::sha256(&data)) != sum {
                    return Ok(Value::Bool(false));
                }
                let at = offset as usize;
                if file.len() < at + size {
                    file.resize(at + size, 0);
                }
                file[at..at + size].copy_from_slice(&data);
                Ok(Value::Bool(true))
            }
            other => panic!("unexpected call {other}"),
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn local(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, content).unwrap();
    p
}

fn up<'a>(hub: &'a FakeHub, path: &Path) -> Upload<'a, FakeHub> {
    Upload::new(hub, path, "wtest/dir".into(), 1000)
}

#[tokio::test]
async fn uploads_in_blocksize_chunks_then_checks() {
    let tmp = tempfile::tempdir().unwrap();
    let content = data(3500);
    let p = local(&tmp, "big.bin", &content);
    let hub = FakeHub::default();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let done = up(&hub, &p)
        .on_progress(move |pr| s2.lock().unwrap().push(pr.bytes))
        .send()
        .await
        .unwrap();
    assert_eq!(hub.file("wtest/dir/big.bin").unwrap(), content);
    assert_eq!(
        hub.chunks(),
        vec![
            (0, false, 1000),
            (1000, false, 1000),
            (2000, false, 1000),
            (3000, false, 500)
        ]
    );
    assert_eq!(
        hub.calls(),
        [
            "checkUpload",
            "rawUpload",
            "rawUpload",
            "rawUpload",
            "rawUpload",
            "checkUpload"
        ]
    );
    assert_eq!(*seen.lock().unwrap(), vec![0, 1000, 2000, 3000, 3500]);
    assert_eq!(done.server_path, "wtest/dir/big.bin");
    assert_eq!(done.size, 3500);
    assert_eq!(done.adler32, format!("{:08x}", adler32(&content)));
    assert_eq!(done.method, UploadMethod::Fast);
    assert_eq!(done.resumes, 0);
}

#[tokio::test]
async fn an_empty_file_still_sends_one_chunk() {
    let tmp = tempfile::tempdir().unwrap();
    let p = local(&tmp, "empty", b"");
    let hub = FakeHub::default();
    up(&hub, &p).send().await.unwrap();
    assert_eq!(hub.chunks(), vec![(0, false, 0)]);
    assert_eq!(hub.file("wtest/dir/empty").unwrap(), b"");
}

#[tokio::test]
async fn existing_file_needs_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let p = local(&tmp, "f", &data(1500));
    let hub = FakeHub::default();
    hub.0
        .lock()
        .unwrap()
        .files
        .insert("wtest/dir/f".into(), data(9000));
    let e = up(&hub, &p).send().await.unwrap_err();
    assert_eq!(e.fault_kind(), Some(crate::FaultKind::GenericError));
    assert!(e.to_string().contains("upload path exists"), "{e}");
    up(&hub, &p).overwrite(true).send().await.unwrap();
    assert_eq!(hub.file("wtest/dir/f").unwrap(), data(1500));
    assert_eq!(hub.chunks()[1..], [(0, true, 1000), (1000, false, 500)]);
}

#[tokio::test]
async fn a_connection_dropped_mid_chunk_resumes_from_what_the_hub_holds() {
    let tmp = tempfile::tempdir().unwrap();
    let content = data(3500);
    let p = local(&tmp, "f", &content);
    let hub = FakeHub::default();
    // chunk 2 arrives half-written, then the connection drops
    hub.trick([Trick::Normal, Trick::DropAfter(400)]);
    let done = up(&hub, &p).send().await.unwrap();
    assert_eq!(hub.file("wtest/dir/f").unwrap(), content, "hub file intact");
    assert_eq!(done.resumes, 1);
    // resumed at 1400 (what the hub held and matched), never from 0
    assert_eq!(
        hub.chunks(),
        vec![
            (0, false, 1000),
            (1000, false, 1000),
            (1400, false, 1000),
            (2400, false, 1000),
            (3400, false, 100)
        ]
    );
    let calls = hub.calls();
    assert_eq!(calls.iter().filter(|c| *c == "checkUpload").count(), 3);
}

#[tokio::test]
async fn a_lost_answer_after_a_full_write_is_not_sent_again() {
    let tmp = tempfile::tempdir().unwrap();
    let content = data(2500);
    let p = local(&tmp, "f", &content);
    let hub = FakeHub::default();
    hub.trick([Trick::DropAnswer]);
    up(&hub, &p).send().await.unwrap();
    assert_eq!(hub.file("wtest/dir/f").unwrap(), content);
    assert_eq!(
        hub.chunks(),
        vec![(0, false, 1000), (1000, false, 1000), (2000, false, 500)]
    );
}

#[tokio::test]
async fn garbage_left_by_a_dropped_chunk_is_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let content = data(2500);
    let p = local(&tmp, "f", &content);
    let hub = FakeHub::default();
    hub.trick([Trick::Normal, Trick::Garbage(700)]);
    let done = up(&hub, &p).send().await.unwrap();
    assert_eq!(hub.file("wtest/dir/f").unwrap(), content);
    assert_eq!(done.resumes, 1);
    // the chunk at 1000 is sent again with overwrite, truncating the garbage
    assert_eq!(
        hub.chunks(),
        vec![
            (0, false, 1000),
            (1000, false, 1000),
            (1000, true, 1000),
            (2000, false, 500)
        ]
    );
}

#[tokio::test]
async fn a_chunk_the_hub_gets_wrong_is_sent_again_then_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let content = data(2500);
    let p = local(&tmp, "f", &content);
    let hub = FakeHub::default();
    hub.trick([Trick::Normal, Trick::WrongDigest]);
    up(&hub, &p).send().await.unwrap();
    assert_eq!(hub.file("wtest/dir/f").unwrap(), content);
    assert_eq!(hub.chunks()[2], (1000, true, 1000));

    let hub = FakeHub::default();
    hub.trick([Trick::WrongDigest, Trick::WrongDigest]);
    let e = up(&hub, &p).send().await.unwrap_err();
    assert!(
        matches!(e, UploadError::ChunkRejected { offset: 0, .. }),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_hub_that_never_answers_makes_the_upload_give_up() {
    let tmp = tempfile::tempdir().unwrap();
    let p = local(&tmp, "f", &data(1500));
    let hub = FakeHub::default();
    hub.trick(std::iter::repeat_n(Trick::DropAfter(0), 10));
    let e = up(&hub, &p).max_resumes(3).send().await.unwrap_err();
    assert!(
        matches!(e, UploadError::TooManyResumes { resumes: 3, .. }),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_file_changing_during_the_upload_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let p = local(&tmp, "f", &data(3500));
    let hub = FakeHub::default();
    let p2 = p.clone();
    let e = up(&hub, &p)
        .on_progress(move |pr| {
            if pr.bytes == 1000 {
                std::fs::write(&p2, data(3600)).unwrap();
            }
        })
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, UploadError::FileChanged { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("changed while it was being uploaded"),
        "{e}"
    );
}

#[tokio::test]
async fn missing_and_unreadable_files_fail_before_sending() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = FakeHub::default();
    let e = up(&hub, &tmp.path().join("nope.src.rpm"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, UploadError::Local { .. }), "{e:?}");
    assert!(e.to_string().contains("nope.src.rpm"), "{e}");
    let e = up(&hub, tmp.path()).name("x").send().await.unwrap_err();
    assert!(matches!(e, UploadError::NotAFile { .. }), "{e:?}");
    assert!(hub.calls().is_empty());
}

#[tokio::test]
async fn bad_names_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let p = local(&tmp, "f", b"x");
    let hub = FakeHub::default();
    let e = up(&hub, &p).name("a/b").send().await.unwrap_err();
    assert!(matches!(e, UploadError::InvalidTarget(_)), "{e:?}");
    let e = Upload::new(&hub, &p, "/".into(), 10)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, UploadError::InvalidTarget(_)), "{e:?}");
}

#[tokio::test]
async fn a_hub_without_check_upload_gets_the_legacy_upload() {
    let tmp = tempfile::tempdir().unwrap();
    let content = data(2500);
    let p = local(&tmp, "tiny.txt", &content);
    let hub = FakeHub::default();
    hub.0.lock().unwrap().legacy = true;
    let done = up(&hub, &p).send().await.unwrap();
    assert_eq!(done.method, UploadMethod::Legacy);
    assert_eq!(hub.file("wtest/dir/tiny.txt").unwrap(), content);
    assert_eq!(
        hub.calls(),
        [
            "checkUpload",
            "uploadFile",
            "uploadFile",
            "uploadFile",
            "uploadFile"
        ]
    );
}

#[test]
fn chunk_query_is_in_kojis_order() {
    let job = Job {
        dir: "cli-build/1796667744.2831237.KwycqfOe".into(),
        name: "hello-1.3-1.fc40.src.rpm".into(),
        blocksize: 1,
        overwrite: true,
        volume: Some("ext".into()),
        max_resumes: 1,
        progress: None,
        started: std::time::Instant::now(),
    };
    assert_eq!(
        fast::chunk_query(&job, 0, true),
        "filename=hello-1.3-1.fc40.src.rpm&filepath=cli-build%2F1796667744.2831237.KwycqfOe&fileverify=adler32&offset=0&overwrite=1&volume=ext"
    );
}

#[test]
fn unique_path_looks_like_kojis() {
    let p = unique_path("cli-build");
    let rest = p.strip_prefix("cli-build/").unwrap();
    let (time, letters) = rest.rsplit_once('.').unwrap();
    assert!(time.parse::<f64>().unwrap() > 1.0e9, "{p}");
    assert_eq!(letters.len(), 8);
    assert!(letters.bytes().all(|b| b.is_ascii_alphabetic()));
    assert_ne!(unique_path("cli-build"), p);
    assert_eq!(
        python_float_repr(std::time::Duration::from_millis(1500)),
        "1.5"
    );
    assert_eq!(python_float_repr(std::time::Duration::from_secs(2)), "2.0");
}

#[tokio::test]
async fn an_anonymous_upload_is_refused_before_sending() {
    let tmp = tempfile::tempdir().unwrap();
    let p = local(&tmp, "f", b"x");
    let hub = FakeHub::default();
    hub.0.lock().unwrap().anonymous = true;
    let e = up(&hub, &p).send().await.unwrap_err();
    match &e {
        UploadError::Hub(inner) => assert!(inner.is_not_logged_in(), "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(hub.calls().is_empty());
}

#[tokio::test]
async fn a_fault_on_a_chunk_sends_nothing_after_it() {
    let tmp = tempfile::tempdir().unwrap();
    let p = local(&tmp, "f", &data(4500));
    let hub = FakeHub::default();
    // the hub refuses chunk 2 (the fault a second writer of the file gets)
    hub.trick([
        Trick::Normal,
        Trick::Fault(1001, "[Errno 11] Resource temporarily unavailable"),
    ]);
    let e = up(&hub, &p).send().await.unwrap_err();
    assert_eq!(e.fault_kind(), Some(crate::FaultKind::LockError), "{e:?}");
    // chunk 3 was read ahead while chunk 2 was in flight, and never sent
    assert_eq!(hub.chunks(), vec![(0, false, 1000), (1000, false, 1000)]);
    assert_eq!(hub.calls(), ["checkUpload", "rawUpload", "rawUpload"]);
}

#[tokio::test]
async fn after_a_lost_answer_the_chunk_read_ahead_waits_for_the_hubs_word() {
    let tmp = tempfile::tempdir().unwrap();
    let content = data(3000);
    let p = local(&tmp, "f", &content);
    let hub = FakeHub::default();
    hub.trick([Trick::Normal, Trick::DropAfter(0)]);
    up(&hub, &p).send().await.unwrap();
    assert_eq!(hub.file("wtest/dir/f").unwrap(), content);
    // the chunk at 2000 goes only after checkUpload and the chunk at 1000
    // again: never two chunks without a confirmation between them
    assert_eq!(
        hub.calls(),
        [
            "checkUpload",
            "rawUpload",
            "rawUpload",
            "checkUpload",
            "rawUpload",
            "rawUpload",
            "checkUpload"
        ]
    );
    assert_eq!(
        hub.chunks(),
        vec![
            (0, false, 1000),
            (1000, false, 1000),
            (1000, false, 1000),
            (2000, false, 1000)
        ]
    );
}

#[tokio::test]
async fn a_change_after_the_last_chunk_was_read_ahead_is_still_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let p = local(&tmp, "f", &data(2000));
    let hub = FakeHub::default();
    let p2 = p.clone();
    // chunk 2 (the last) may already be read when chunk 1 is confirmed:
    // same size, other bytes, another modification time
    let e = up(&hub, &p)
        .on_progress(move |pr| {
            if pr.bytes == 1000 {
                let f = std::fs::OpenOptions::new().write(true).open(&p2).unwrap();
                std::os::unix::fs::FileExt::write_all_at(&f, &[0xAB; 1000], 1000).unwrap();
                let later = std::time::SystemTime::now() + Duration::from_secs(5);
                f.set_modified(later).unwrap();
            }
        })
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, UploadError::FileChanged { .. }), "{e:?}");
    assert!(e.to_string().contains("modification time"), "{e}");
}

#[tokio::test]
async fn a_file_replaced_under_its_name_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let p = local(&tmp, "f", &data(3000));
    let other = local(&tmp, "g", &data(2000));
    let hub = FakeHub::default();
    let p2 = p.clone();
    // the open file stays readable and unchanged; its name now means
    // another file
    let e = up(&hub, &p)
        .on_progress(move |pr| {
            if pr.bytes == 1000 {
                std::fs::rename(&other, &p2).unwrap();
            }
        })
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, UploadError::FileChanged { .. }), "{e:?}");
    assert!(e.to_string().contains("3000 to 2000 bytes"), "{e}");
}

#[tokio::test]
async fn a_hub_that_told_its_version_is_not_probed() {
    let tmp = tempfile::tempdir().unwrap();
    let content = data(1500);
    let p = local(&tmp, "f", &content);
    let hub = FakeHub::default();
    hub.0.lock().unwrap().versioned = true;
    let done = up(&hub, &p).send().await.unwrap();
    assert_eq!(done.method, UploadMethod::Fast);
    assert_eq!(hub.file("wtest/dir/f").unwrap(), content);
    assert_eq!(hub.calls(), ["rawUpload", "rawUpload", "checkUpload"]);
}
