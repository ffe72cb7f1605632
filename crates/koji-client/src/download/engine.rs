//! Runs a [`Plan`]: several files at once over the connection's pooled
//! keep-alive HTTP transport, each streamed to a temporary file, checked,
//! and renamed when verified.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, StatusCode, Uri};
use http_body_util::BodyExt;
use tokio::sync::mpsc;

use super::plan::{FileKind, Plan, PlannedFile};
use super::verify::{Check, Expected, Verified, Verifier, VerifyError};
use crate::Connection;
use crate::engine::transport::Transport;

/// A progress callback; called a few times a second while a plan runs and
/// once at the end.
pub type ProgressHook = Arc<dyn Fn(&Progress) + Send + Sync>;

/// How far a plan has got.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Files finished (downloaded, skipped or failed).
    pub files_done: usize,
    /// Files in the plan.
    pub files_total: usize,
    /// Bytes present so far (received, resumed or skipped as complete).
    pub bytes_done: u64,
    /// The sum of the sizes known in advance (files of unknown size add
    /// what has been received of them).
    pub bytes_total: u64,
    /// Bytes received over the network so far.
    pub bytes_received: u64,
    /// Time since the plan started.
    pub elapsed: Duration,
}

impl Progress {
    /// Received bytes per second so far.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.bytes_received as f64 / secs
        } else {
            0.0
        }
    }
}

/// Why a file was not downloaded.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The server has no such file (HTTP 404).
    #[error("{url}: not found on the server (HTTP 404)")]
    NotFound {
        /// The file's URL.
        url: String,
    },
    /// The server answered with another error status.
    #[error("{url}: HTTP {status}")]
    Status {
        /// The file's URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The file arrived but is not what the hub says it is; it was removed.
    #[error("{}: verification failed: {source}", file.display())]
    Verify {
        /// The file (its final name; nothing is left there).
        file: PathBuf,
        /// What did not match.
        source: VerifyError,
    },
    /// A local file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The local path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The server could not be reached, or the transfer broke off more
    /// often than the retry limit allows.
    #[error("{url}: {source}")]
    Connection {
        /// The file's URL.
        url: String,
        /// The transport error.
        source: crate::Error,
    },
    /// The transfer stalled or broke off too often.
    #[error("{url}: transfer interrupted {attempts} times: {reason}")]
    Interrupted {
        /// The file's URL.
        url: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last failure.
        reason: String,
    },
    /// The file's URL cannot be formed from the top URL and its path.
    #[error("bad file URL {0}")]
    Url(String),
}

impl DownloadError {
    /// Whether this is a failure to reach the server (as opposed to a
    /// missing or bad file).
    pub fn is_connection(&self) -> bool {
        matches!(
            self,
            DownloadError::Connection { .. } | DownloadError::Interrupted { .. }
        )
    }
}

/// A finished file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    /// Its size.
    pub size: u64,
    /// Its digest (`sigmd5:<hex>`, `sha256:<hex>`, ...), when one was checked.
    pub checksum: Option<String>,
    /// Whether it was checked against the hub's data (size and digest).
    pub verified: bool,
    /// Whether a complete, verified copy was already there.
    pub skipped: bool,
    /// How many bytes of an earlier partial download were kept.
    pub resumed_from: u64,
}

/// The outcome of one planned file.
#[derive(Debug)]
pub struct FileReport {
    /// Its local path (target directory + planned destination).
    pub dest: PathBuf,
    /// Its URL (without credentials).
    pub url: String,
    /// Its kind.
    pub kind: FileKind,
    /// What happened.
    pub result: Result<Done, DownloadError>,
}

/// The outcome of a plan, one entry per planned file in plan order.
#[derive(Debug, Default)]
pub struct Report {
    /// Per-file outcomes.
    pub files: Vec<FileReport>,
}

impl Report {
    /// Whether every file was downloaded (or already there) and verified
    /// as far as the hub's data allows.
    pub fn all_ok(&self) -> bool {
        self.files.iter().all(|f| f.result.is_ok())
    }

    /// The failures.
    pub fn failures(&self) -> impl Iterator<Item = (&FileReport, &DownloadError)> {
        self.files
            .iter()
            .filter_map(|f| f.result.as_ref().err().map(|e| (f, e)))
    }
}

/// Runs download plans against one file tree.
#[derive(Clone)]
pub struct Downloader {
    transport: Transport,
    base: url::Url,
    parallel: usize,
    retries: u32,
    idle_timeout: Duration,
    progress: Option<ProgressHook>,
}

impl std::fmt::Debug for Downloader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Downloader")
            .field("base", &display_url(&self.base))
            .field("parallel", &self.parallel)
            .field("retries", &self.retries)
            .field("idle_timeout", &self.idle_timeout)
            .finish_non_exhaustive()
    }
}

fn display_url(url: &url::Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// Counters shared by the running files.
struct Shared {
    files_done: AtomicUsize,
    files_total: usize,
    bytes_done: AtomicU64,
    bytes_total: AtomicU64,
    bytes_received: AtomicU64,
    start: Instant,
}

impl Shared {
    fn snapshot(&self) -> Progress {
        Progress {
            files_done: self.files_done.load(Ordering::Relaxed),
            files_total: self.files_total,
            bytes_done: self.bytes_done.load(Ordering::Relaxed),
            bytes_total: self.bytes_total.load(Ordering::Relaxed),
            bytes_received: self.bytes_received.load(Ordering::Relaxed),
            elapsed: self.start.elapsed(),
        }
    }
}

/// How one attempt at a file ended, when not with a verified file.
enum Failed {
    /// Worth another attempt (dropped connection, stalled transfer, server
    /// restarted the range).
    Retry(String),
    /// Final.
    Fatal(DownloadError),
}

/// Chunks queued between the network and the disk writer per file.
const QUEUE: usize = 8;
/// The disk writer's buffer.
const WRITE_BUFFER: usize = 256 * 1024;

impl Downloader {
    /// A downloader for the file tree at `topurl`, using `koji`'s HTTP
    /// transport (its connection pool, TLS settings and proxies).
    pub fn new(koji: &Connection, topurl: &str) -> Result<Downloader, DownloadError> {
        let mut base =
            url::Url::parse(topurl).map_err(|e| DownloadError::Url(format!("{topurl}: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(DownloadError::Url(format!(
                "{}: topurl must be an http or https URL",
                display_url(&base)
            )));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Ok(Downloader {
            transport: koji.engine().transport().clone(),
            base,
            parallel: 8,
            retries: 3,
            idle_timeout: Duration::from_secs(120),
            progress: None,
        })
    }

    /// How many files are fetched at once (default 8; at least 1).
    pub fn parallel(mut self, n: usize) -> Downloader {
        self.parallel = n.max(1);
        self
    }

    /// How often a broken-off file is tried again, continuing where it
    /// stopped (default 3).
    pub fn retries(mut self, n: u32) -> Downloader {
        self.retries = n;
        self
    }

    /// How long a transfer may receive nothing before it counts as broken
    /// off (default 120 s).
    pub fn idle_timeout(mut self, t: Duration) -> Downloader {
        self.idle_timeout = t;
        self
    }

    /// Calls `hook` with the plan's progress a few times a second.
    pub fn progress(mut self, hook: impl Fn(&Progress) + Send + Sync + 'static) -> Downloader {
        self.progress = Some(Arc::new(hook));
        self
    }

    /// The URL of a planned file.
    pub fn url_of(&self, file: &PlannedFile) -> Result<url::Url, DownloadError> {
        let mut u = self.base.clone();
        {
            let mut segs = u
                .path_segments_mut()
                .map_err(|_| DownloadError::Url(display_url(&self.base)))?;
            segs.pop_if_empty();
            segs.extend(file.source.split('/'));
        }
        Ok(u)
    }

    /// Fetches every file of `plan` into `target`, at most
    /// [`Downloader::parallel`] at a time. A failing file does not stop the
    /// others; the report says what happened to each.
    pub async fn run(&self, plan: &Plan, target: &Path) -> Report {
        let shared = Arc::new(Shared {
            files_done: AtomicUsize::new(0),
            files_total: plan.files.len(),
            bytes_done: AtomicU64::new(0),
            bytes_total: AtomicU64::new(plan.known_bytes()),
            bytes_received: AtomicU64::new(0),
            start: Instant::now(),
        });
        let finished = Arc::new(AtomicBool::new(false));
        let ticker = self.progress.clone().map(|hook| {
            let shared = shared.clone();
            let finished = finished.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(200));
                while !finished.load(Ordering::Relaxed) {
                    tick.tick().await;
                    hook(&shared.snapshot());
                }
            })
        });
        let mut results: Vec<(usize, FileReport)> =
            futures_util::stream::iter(plan.files.iter().enumerate())
                .map(|(i, file)| {
                    let shared = shared.clone();
                    async move {
                        let report = self.fetch(file, target, &shared).await;
                        shared.files_done.fetch_add(1, Ordering::Relaxed);
                        (i, report)
                    }
                })
                .buffer_unordered(self.parallel)
                .collect()
                .await;
        finished.store(true, Ordering::Relaxed);
        if let Some(t) = ticker {
            t.abort();
        }
        if let Some(hook) = &self.progress {
            hook(&shared.snapshot());
        }
        results.sort_by_key(|(i, _)| *i);
        Report {
            files: results.into_iter().map(|(_, r)| r).collect(),
        }
    }

    async fn fetch(&self, file: &PlannedFile, target: &Path, shared: &Shared) -> FileReport {
        let dest = target.join(&file.dest);
        let (url, result) = match self.url_of(file) {
            Ok(u) => {
                let shown = display_url(&u);
                let r = self.fetch_file(file, &u, &dest, shared).await;
                (shown, r)
            }
            Err(e) => (file.source.clone(), Err(e)),
        };
        FileReport {
            dest,
            url,
            kind: file.kind,
            result,
        }
    }

    async fn fetch_file(
        &self,
        file: &PlannedFile,
        url: &url::Url,
        dest: &Path,
        shared: &Shared,
    ) -> Result<Done, DownloadError> {
        let shown = display_url(url);
        let uri: Uri = url
            .as_str()
            .parse()
            .map_err(|_| DownloadError::Url(shown.clone()))?;
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| DownloadError::Io { path, source }
        };
        let dir = dest
            .parent()
            .ok_or_else(|| DownloadError::Url(shown.clone()))?;
        let name = dest
            .file_name()
            .ok_or_else(|| DownloadError::Url(shown.clone()))?;
        tokio::fs::create_dir_all(dir).await.map_err(io(dir))?;
        let part = dir.join(format!(".{}.part", name.to_string_lossy()));

        // A complete copy under the real name is checked and kept.
        let self_checking = file.expected.size.is_some() || file.expected.check != Check::None;
        if self_checking && tokio::fs::try_exists(dest).await.unwrap_or(false) {
            if let Ok(Ok(v)) = verify_on_disk(dest.to_owned(), file.expected.clone()).await {
                shared.bytes_done.fetch_add(v.size, Ordering::Relaxed);
                if file.expected.size.is_none() {
                    shared.bytes_total.fetch_add(v.size, Ordering::Relaxed);
                }
                return Ok(Done {
                    size: v.size,
                    checksum: v.checksum,
                    verified: v.against_hub,
                    skipped: true,
                    resumed_from: 0,
                });
            }
        }

        let mut attempts = 0u32;
        let mut resumed_from = None;
        let mut restarted = false;
        loop {
            attempts += 1;
            let have = match tokio::fs::metadata(&part).await {
                Ok(m) => m.len(),
                Err(_) => 0,
            };
            if resumed_from.is_none() {
                resumed_from = Some(have);
            }
            match self
                .attempt(&uri, &shown, &part, have, &file.expected, shared)
                .await
            {
                Ok((verified, mtime)) => {
                    if let Some(t) = mtime {
                        if let Ok(f) = std::fs::File::options().write(true).open(&part) {
                            let _ = f.set_modified(t);
                        }
                    }
                    tokio::fs::rename(&part, dest).await.map_err(io(dest))?;
                    return Ok(Done {
                        size: verified.size,
                        checksum: verified.checksum,
                        verified: verified.against_hub,
                        skipped: false,
                        resumed_from: resumed_from.unwrap_or(0),
                    });
                }
                Err(Failed::Fatal(DownloadError::Verify { .. }))
                    if resumed_from.unwrap_or(0) > 0 && !restarted =>
                {
                    // The kept part may be stale (the file changed on the
                    // server): start once more from nothing.
                    restarted = true;
                    resumed_from = Some(0);
                    tokio::fs::remove_file(&part).await.map_err(io(&part))?;
                }
                Err(Failed::Fatal(e)) => {
                    if matches!(
                        e,
                        DownloadError::Verify { .. }
                            | DownloadError::NotFound { .. }
                            | DownloadError::Status { .. }
                    ) {
                        let _ = tokio::fs::remove_file(&part).await;
                    }
                    return Err(match e {
                        DownloadError::Verify { source, .. } => DownloadError::Verify {
                            file: dest.to_owned(),
                            source,
                        },
                        other => other,
                    });
                }
                Err(Failed::Retry(reason)) => {
                    tracing::debug!(url = %shown, %reason, attempts, "download broke off");
                    if attempts > self.retries {
                        return Err(DownloadError::Interrupted {
                            url: shown,
                            attempts,
                            reason,
                        });
                    }
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempts))).await;
                }
            }
        }
    }

    /// One request for a file, continuing from `have` bytes of `part`.
    async fn attempt(
        &self,
        uri: &Uri,
        shown: &str,
        part: &Path,
        have: u64,
        expected: &Expected,
        shared: &Shared,
    ) -> Result<(Verified, Option<std::time::SystemTime>), Failed> {
        let fatal_io = |source| {
            Failed::Fatal(DownloadError::Io {
                path: part.to_owned(),
                source,
            })
        };
        // A partial file as long as the whole one: check it as it is.
        if have > 0 && expected.size.is_some_and(|s| have >= s) {
            match verify_on_disk(part.to_owned(), expected.clone()).await {
                Ok(Ok(v)) => {
                    shared.bytes_done.fetch_add(v.size, Ordering::Relaxed);
                    return Ok((v, None));
                }
                _ => {
                    tokio::fs::remove_file(part).await.map_err(fatal_io)?;
                    return Err(Failed::Retry("partial file was not the right file".into()));
                }
            }
        }
        let mut headers = HeaderMap::new();
        if have > 0 {
            if let Ok(v) = HeaderValue::from_str(&format!("bytes={have}-")) {
                headers.insert(header::RANGE, v);
            }
        }
        let resp = match self.transport.get_file(Method::GET, uri, &headers).await {
            Ok(r) => r,
            Err(e) if e.is_disconnected() => return Err(Failed::Retry(e.to_string())),
            Err(e) => {
                return Err(Failed::Fatal(DownloadError::Connection {
                    url: shown.to_owned(),
                    source: e,
                }));
            }
        };
        let status = resp.status();
        let append = match status {
            StatusCode::PARTIAL_CONTENT if have > 0 => {
                let start = resp
                    .headers()
                    .get(header::CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(content_range_start);
                if start != Some(have) {
                    // Not the range asked for: start over.
                    tokio::fs::remove_file(part).await.map_err(fatal_io)?;
                    return Err(Failed::Retry(format!(
                        "server sent an unexpected range for bytes={have}-"
                    )));
                }
                true
            }
            StatusCode::OK => false,
            StatusCode::RANGE_NOT_SATISFIABLE if have > 0 => {
                // The partial file is no prefix of the server's: restart.
                tokio::fs::remove_file(part).await.map_err(fatal_io)?;
                return Err(Failed::Retry("range not satisfiable; restarting".into()));
            }
            StatusCode::NOT_FOUND => {
                return Err(Failed::Fatal(DownloadError::NotFound {
                    url: shown.to_owned(),
                }));
            }
            s => {
                return Err(Failed::Fatal(DownloadError::Status {
                    url: shown.to_owned(),
                    status: s.as_u16(),
                }));
            }
        };
        let mtime = resp
            .headers()
            .get(header::LAST_MODIFIED)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_http_date);
        if append {
            shared.bytes_done.fetch_add(have, Ordering::Relaxed);
        }
        let kept = if append { have } else { 0 };
        let verifier = Verifier::new(expected.clone()).map_err(|e| {
            Failed::Fatal(DownloadError::Verify {
                file: part.to_owned(),
                source: e,
            })
        })?;
        let (tx, rx) = mpsc::channel::<Bytes>(QUEUE);
        let writer_part = part.to_owned();
        let writer =
            tokio::task::spawn_blocking(move || write_part(&writer_part, append, verifier, rx));

        let mut body = resp.into_body();
        let mut received = 0u64;
        let mut broke: Option<String> = None;
        loop {
            let frame = match tokio::time::timeout(self.idle_timeout, body.frame()).await {
                Err(_) => {
                    broke = Some(format!("no data for {:?}", self.idle_timeout));
                    break;
                }
                Ok(None) => break,
                Ok(Some(Err(e))) => {
                    broke = Some(e.to_string());
                    break;
                }
                Ok(Some(Ok(frame))) => frame,
            };
            let Ok(data) = frame.into_data() else {
                continue;
            };
            let n = data.len() as u64;
            if tx.send(data).await.is_err() {
                // The writer stopped: it says why below.
                break;
            }
            received += n;
            shared.bytes_received.fetch_add(n, Ordering::Relaxed);
            shared.bytes_done.fetch_add(n, Ordering::Relaxed);
            if expected.size.is_none() {
                shared.bytes_total.fetch_add(n, Ordering::Relaxed);
            }
        }
        drop(tx);
        let written = writer.await.map_err(|e| {
            Failed::Fatal(DownloadError::Io {
                path: part.to_owned(),
                source: std::io::Error::other(e.to_string()),
            })
        })?;
        let verifier = match written {
            Ok(v) => v,
            Err(WriteFail::Io(e)) => return Err(fatal_io(e)),
            Err(WriteFail::Verify(e)) => {
                return Err(Failed::Fatal(DownloadError::Verify {
                    file: part.to_owned(),
                    source: e,
                }));
            }
        };
        if let Some(reason) = broke {
            // What arrived stays in the part file for the next attempt.
            shared
                .bytes_done
                .fetch_sub(kept + received, Ordering::Relaxed);
            return Err(Failed::Retry(reason));
        }
        match verifier.finish() {
            Ok(v) => Ok((v, mtime)),
            Err(e) => Err(Failed::Fatal(DownloadError::Verify {
                file: part.to_owned(),
                source: e,
            })),
        }
    }
}

enum WriteFail {
    Io(std::io::Error),
    Verify(VerifyError),
}

/// The disk side of one attempt: (re)checks the kept prefix, then writes
/// every chunk while a second thread checks it (hashing a big file costs
/// about as much as receiving and writing it; side by side they overlap).
/// Runs on a blocking thread.
fn write_part(
    part: &Path,
    append: bool,
    mut verifier: Verifier,
    mut rx: mpsc::Receiver<Bytes>,
) -> Result<Verifier, WriteFail> {
    let mut file = if append {
        let mut f = std::fs::File::open(part).map_err(WriteFail::Io)?;
        let mut buf = vec![0u8; WRITE_BUFFER];
        loop {
            let n = f.read(&mut buf).map_err(WriteFail::Io)?;
            if n == 0 {
                break;
            }
            verifier.update(&buf[..n]).map_err(WriteFail::Verify)?;
        }
        std::fs::OpenOptions::new()
            .append(true)
            .open(part)
            .map_err(WriteFail::Io)?
    } else {
        std::fs::File::create(part).map_err(WriteFail::Io)?
    };
    let (check_tx, check_rx) = std::sync::mpsc::sync_channel::<Bytes>(QUEUE);
    let (written, checked) = std::thread::scope(|scope| {
        let checker = scope.spawn(move || {
            for chunk in check_rx {
                // Dropping the receiver on error stops the writer.
                verifier.update(&chunk)?;
            }
            Ok::<_, VerifyError>(verifier)
        });
        let mut out = std::io::BufWriter::with_capacity(WRITE_BUFFER, &mut file);
        let mut written = Ok(());
        while let Some(chunk) = rx.blocking_recv() {
            if check_tx.send(chunk.clone()).is_err() {
                break;
            }
            if let Err(e) = out.write_all(&chunk) {
                written = Err(e);
                break;
            }
        }
        if written.is_ok() {
            written = out.flush();
        }
        drop(out);
        drop(check_tx);
        (written, checker.join())
    });
    let Ok(checked) = checked else {
        return Err(WriteFail::Io(std::io::Error::other(
            "the thread checking the download stopped",
        )));
    };
    match checked {
        Err(e) => {
            // Keep nothing that is known to be wrong.
            let _ = file.set_len(0);
            Err(WriteFail::Verify(e))
        }
        Ok(verifier) => {
            written.map_err(WriteFail::Io)?;
            Ok(verifier)
        }
    }
}

/// Checks a whole file on disk against `expected`.
async fn verify_on_disk(
    path: PathBuf,
    expected: Expected,
) -> Result<Result<Verified, VerifyError>, std::io::Error> {
    tokio::task::spawn_blocking(move || {
        let mut v = match Verifier::new(expected) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        let mut f = std::fs::File::open(&path)?;
        let mut buf = vec![0u8; WRITE_BUFFER];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            if let Err(e) = v.update(&buf[..n]) {
                return Ok(Err(e));
            }
        }
        Ok(v.finish())
    })
    .await
    .map_err(|e| std::io::Error::other(e.to_string()))?
}

/// The first byte position of a `Content-Range: bytes a-b/n` value.
fn content_range_start(v: &str) -> Option<u64> {
    let rest = v.trim().strip_prefix("bytes ")?;
    let (range, _) = rest.split_once('/')?;
    let (start, _) = range.split_once('-')?;
    start.trim().parse().ok()
}

/// Parses an HTTP date (`Mon, 07 Dec 2026 17:49:34 GMT`).
fn parse_http_date(v: &str) -> Option<std::time::SystemTime> {
    let zoned = jiff::fmt::rfc2822::parse(v).ok()?;
    let secs = u64::try_from(zoned.timestamp().as_second()).ok()?;
    std::time::UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn content_range_and_dates_from_recorded_headers() {
        let h = include_str!("../../tests/fixtures/files/586-GET-rpm-range.response-headers.txt");
        let cr = h
            .lines()
            .find_map(|l| l.strip_prefix("Content-Range: "))
            .unwrap();
        assert_eq!(content_range_start(cr), Some(100));
        assert_eq!(content_range_start("bytes */6405"), None);
        assert_eq!(content_range_start("garbage"), None);
        let lm = h
            .lines()
            .find_map(|l| l.strip_prefix("Last-Modified: "))
            .unwrap();
        let t = parse_http_date(lm).unwrap();
        let secs = t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(
            jiff::Timestamp::from_second(secs as i64)
                .unwrap()
                .to_string(),
            "2026-12-07T17:49:34Z"
        );
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn urls_are_encoded_and_credentials_hidden() {
        let koji = Connection::new("http://127.0.0.1:9/kojihub").unwrap();
        let d = Downloader::new(&koji, "http://user:pw@127.0.0.1:9/kojifiles").unwrap();
        let f = PlannedFile {
            source: "packages/a b/1/1#x/f?.rpm".into(),
            dest: "f.rpm".into(),
            expected: Expected {
                size: None,
                check: Check::None,
            },
            kind: FileKind::Rpm,
        };
        let u = d.url_of(&f).unwrap();
        assert_eq!(u.path(), "/kojifiles/packages/a%20b/1/1%23x/f%3F.rpm");
        assert!(!format!("{d:?}").contains("pw"));
        assert!(!display_url(&u).contains("pw"));
        assert!(Downloader::new(&koji, "ftp://x/").is_err());
        assert!(Downloader::new(&koji, "not a url").is_err());
    }
}
