//! Uploading files to the hub's `work/` directory, the way koji's
//! `fastUpload` does it, plus what koji leaves out: resuming after a dropped
//! connection, refusing a local file that changes while it uploads, and
//! progress with a rate.
//!
//! ```no_run
//! # async fn demo(koji: koji_client::Connection) -> Result<(), koji_client::upload::UploadError> {
//! use koji_client::upload::unique_path;
//!
//! let dir = unique_path("cli-build");
//! let done = koji
//!     .upload("hello-1.0-1.src.rpm", &dir)
//!     .overwrite(true)
//!     .on_progress(|p| eprintln!("{} of {} bytes, {:.0} B/s", p.bytes, p.total, p.rate()))
//!     .send()
//!     .await?;
//! println!("uploaded to work/{}", done.server_path);
//! # Ok(()) }
//! ```
//!
//! How it works (see `docs` §12 of the protocol notes):
//!
//! - The file goes in chunks of [`Upload::blocksize`] (the profile's
//!   `upload_blocksize`, koji's default 1 MiB), each one POSTed as
//!   `application/octet-stream` with `filename`, `filepath`, `fileverify`,
//!   `offset` (and `overwrite`, `volume`) in the query string. The hub
//!   answers each chunk with `{size, offset, hexdigest}`, which is checked
//!   against the chunk sent; a chunk the hub got wrong is sent again over
//!   it, then the upload fails.
//! - One chunk is in flight at a time: the hub locks the file for each
//!   chunk without waiting and refuses a chunk that ends before the file
//!   does, so concurrent chunks of one file fail or undo each other. The
//!   next chunk is read and summed while the current one is in flight, and
//!   sent only once the hub confirmed the current one.
//! - When a chunk's answer is lost (dropped connection, timeout, or the
//!   hub's `RetryError` for a resent call number), the upload asks the hub
//!   what it holds (`checkUpload` with an adler32 digest) and continues from
//!   there if that matches the local file, or from the last confirmed byte
//!   (truncating the rest) if not. It never starts again from zero unless
//!   the hub lost confirmed bytes.
//! - The local file is opened once; its size and modification time are
//!   checked on the open file after each read and on its path at the end,
//!   and any change is [`UploadError::FileChanged`].
//! - At the end `checkUpload` confirms the size (and the whole-file digest
//!   if anything was resumed).
//! - A hub that has no `checkUpload` (koji before 1.7.1, so also no
//!   `rawUpload`) is detected from the first `checkUpload` probe and gets
//!   koji's legacy base64 `uploadFile` calls instead. A hub that has sent
//!   a `Koji-Version` header (koji 1.35 and later) is not probed.

mod engine;
mod fast;
mod legacy;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

pub use engine::UploadHub;

use crate::connection::Connection;

/// koji's default `upload_blocksize` (1 MiB).
pub const DEFAULT_BLOCKSIZE: usize = 1_048_576;

/// How many times in a row an upload may resume without progress before it
/// gives up.
pub const DEFAULT_MAX_RESUMES: u32 = 5;

/// A fresh upload directory named the way the koji CLI names them
/// (`cli/koji_cli/lib.py:unique_path`): `<prefix>/<seconds since the epoch,
/// with a fraction>.<8 random ASCII letters>`, e.g.
/// `cli-build/1796667744.2831237.KwycqfOe`.
///
/// ```
/// let dir = koji_client::upload::unique_path("cli-build");
/// assert!(dir.starts_with("cli-build/"));
/// let last = dir.rsplit('.').next().unwrap();
/// assert_eq!(last.len(), 8);
/// assert!(last.chars().all(|c| c.is_ascii_alphabetic()));
/// ```
pub fn unique_path(prefix: &str) -> String {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    let letters: String = (0..8).map(|_| fastrand::alphabetic()).collect();
    format!("{prefix}/{}.{letters}", python_float_repr(now))
}

/// `repr(time.time())`: seconds with up to 7 fractional digits, trailing
/// zeros dropped (at least one digit after the dot).
fn python_float_repr(t: Duration) -> String {
    let text = format!("{:.7}", t.as_secs_f64());
    let trimmed = text.trim_end_matches('0');
    if trimmed.ends_with('.') {
        format!("{trimmed}0")
    } else {
        trimmed.to_owned()
    }
}

/// Where an upload stands, given to the [`Upload::on_progress`] callback
/// after each confirmed chunk.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct UploadProgress {
    /// Bytes the hub has confirmed.
    pub bytes: u64,
    /// The size of the local file.
    pub total: u64,
    /// Time since the upload started.
    pub elapsed: Duration,
    /// How many times the upload resumed after a lost answer.
    pub resumes: u32,
}

impl UploadProgress {
    /// Average rate so far, in bytes per second (0 before any time passed).
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.bytes as f64 / secs
        } else {
            0.0
        }
    }

    /// Fraction done, 0.0 to 1.0 (1.0 for an empty file).
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.bytes as f64 / self.total as f64
        }
    }
}

/// Which protocol carried an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadMethod {
    /// `rawUpload` chunks and `checkUpload` (koji's `fastUpload`).
    Fast,
    /// base64 `uploadFile` calls, for hubs without `checkUpload`.
    Legacy,
}

/// A finished upload.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Uploaded {
    /// `<dir>/<name>`, relative to the hub's `work/` (what `build` and
    /// `CGImport` take).
    pub server_path: String,
    /// The upload directory, relative to `work/`.
    pub dir: String,
    /// The file name on the hub.
    pub name: String,
    /// Bytes uploaded (the local file's size).
    pub size: u64,
    /// adler32 of the whole file, 8 lowercase hex digits.
    pub adler32: String,
    /// The protocol used.
    pub method: UploadMethod,
    /// How many times the upload resumed after a lost answer.
    pub resumes: u32,
    /// Wall time of the upload.
    pub elapsed: Duration,
}

/// Why an upload failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// The local file cannot be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Local {
        /// The local file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The local file is not a regular file.
    #[error("{} is not a regular file", path.display())]
    NotAFile {
        /// The local path.
        path: PathBuf,
    },
    /// The local file changed (size or modification time) while it was
    /// being uploaded; the hub's copy is not what the file is now.
    #[error("{} changed while it was being uploaded ({detail})", path.display())]
    FileChanged {
        /// The local file.
        path: PathBuf,
        /// What changed.
        detail: String,
    },
    /// The file name or directory cannot be used (empty, a directory part
    /// in the name...).
    #[error("invalid upload target: {0}")]
    InvalidTarget(String),
    /// The hub answered a chunk with another size, offset or digest than
    /// the chunk sent, again after resending it.
    #[error("the hub got the chunk at offset {offset} wrong: {detail}")]
    ChunkRejected {
        /// The chunk's offset in the file.
        offset: u64,
        /// What differed.
        detail: String,
    },
    /// The hub's answer to a chunk is not the struct `rawUpload` gives.
    #[error("unexpected answer to the chunk at offset {offset}: {detail}")]
    BadReply {
        /// The chunk's offset.
        offset: u64,
        /// What was wrong.
        detail: String,
    },
    /// `checkUpload` after the last chunk found no file.
    #[error("file upload failed: the hub has no {path} after the upload")]
    Missing {
        /// `<dir>/<name>` on the hub.
        path: String,
    },
    /// The file on the hub has another size than the local file.
    #[error("uploaded file {path} is the wrong length: {actual} bytes on the hub, {expected} sent")]
    WrongLength {
        /// `<dir>/<name>` on the hub.
        path: String,
        /// The local size.
        expected: u64,
        /// The hub's size.
        actual: u64,
    },
    /// The file on the hub has another digest than the local file.
    #[error("uploaded file {path} has the wrong checksum: {actual} on the hub, {expected} sent")]
    WrongChecksum {
        /// `<dir>/<name>` on the hub.
        path: String,
        /// Our digest.
        expected: String,
        /// The hub's digest.
        actual: String,
    },
    /// The upload lost answers more times in a row than allowed.
    #[error("gave up after {resumes} resumes without progress at offset {offset}")]
    TooManyResumes {
        /// Resumes tried.
        resumes: u32,
        /// Where the upload stood.
        offset: u64,
        /// The last failure.
        #[source]
        last: crate::Error,
    },
    /// The legacy `uploadFile` answered false (a size or digest mismatch)
    /// three times for the same call.
    #[error("the hub refused the legacy upload of {path} at offset {offset} three times")]
    LegacyRefused {
        /// `<dir>/<name>` on the hub.
        path: String,
        /// The chunk's offset (-1 for the final call).
        offset: i64,
    },
    /// The hub (or the way to it) failed: a fault such as `upload path
    /// exists` (overwrite not set), no login, or a transport error.
    #[error(transparent)]
    Hub(#[from] crate::Error),
}

impl UploadError {
    /// The hub's fault kind, for [`UploadError::Hub`] faults.
    pub fn fault_kind(&self) -> Option<crate::FaultKind> {
        match self {
            UploadError::Hub(e) => e.fault_kind(),
            _ => None,
        }
    }
}

type ProgressFn = Arc<dyn Fn(&UploadProgress) + Send + Sync>;

/// An upload being set up; see [`Connection::upload`].
#[must_use = "an upload does nothing until it is sent"]
pub struct Upload<'c, H = Connection> {
    hub: &'c H,
    local: PathBuf,
    dir: String,
    name: Option<String>,
    blocksize: usize,
    overwrite: bool,
    volume: Option<String>,
    max_resumes: u32,
    progress: Option<ProgressFn>,
}

impl std::fmt::Debug for Upload<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("local", &self.local)
            .field("dir", &self.dir)
            .field("name", &self.name)
            .field("blocksize", &self.blocksize)
            .field("overwrite", &self.overwrite)
            .field("volume", &self.volume)
            .finish()
    }
}

impl Connection {
    /// Uploads a local file to `work/<dir>/<name>` on the hub (the name
    /// defaults to the local file's name). Needs a logged-in session.
    ///
    /// The block size is 1 MiB (koji's default); pass the profile's
    /// `upload_blocksize` to [`Upload::blocksize`] to follow the profile.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> Result<(), koji_client::upload::UploadError> {
    /// let up = koji.upload("out.tar.gz", "cg-import/run-42").send().await?;
    /// assert_eq!(up.server_path, "cg-import/run-42/out.tar.gz");
    /// # Ok(()) }
    /// ```
    pub fn upload(&self, local: impl AsRef<Path>, dir: impl Into<String>) -> Upload<'_> {
        Upload::new(self, local.as_ref(), dir.into(), DEFAULT_BLOCKSIZE)
    }
}

impl<'c, H: UploadHub> Upload<'c, H> {
    pub(crate) fn new(hub: &'c H, local: &Path, dir: String, blocksize: usize) -> Self {
        Upload {
            hub,
            local: local.to_path_buf(),
            dir,
            name: None,
            blocksize: blocksize.max(1),
            overwrite: false,
            volume: None,
            max_resumes: DEFAULT_MAX_RESUMES,
            progress: None,
        }
    }

    /// The file name on the hub (default: the local file's name).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Chunk size in bytes (at least 1).
    pub fn blocksize(mut self, bytes: usize) -> Self {
        self.blocksize = bytes.max(1);
        self
    }

    /// Replaces a file already on the hub (default false: the hub then
    /// answers `upload path exists`). koji's `build` uploads with overwrite.
    pub fn overwrite(mut self, on: bool) -> Self {
        self.overwrite = on;
        self
    }

    /// Uploads to a volume other than DEFAULT (`<KojiDir>/vol/<name>/work`).
    pub fn volume(mut self, volume: impl Into<String>) -> Self {
        self.volume = Some(volume.into());
        self
    }

    /// How many resumes in a row without progress are allowed.
    pub fn max_resumes(mut self, n: u32) -> Self {
        self.max_resumes = n;
        self
    }

    /// Calls `f` after each confirmed chunk (and once at the start).
    pub fn on_progress(mut self, f: impl Fn(&UploadProgress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Runs the upload.
    pub async fn send(self) -> Result<Uploaded, UploadError> {
        let name = match &self.name {
            Some(n) => n.clone(),
            None => self
                .local
                .file_name()
                .and_then(|n| n.to_str())
                .map(str::to_owned)
                .ok_or_else(|| {
                    UploadError::InvalidTarget(format!(
                        "{} has no file name to upload under",
                        self.local.display()
                    ))
                })?,
        };
        if name.is_empty() || name.contains('/') {
            return Err(UploadError::InvalidTarget(format!(
                "file name {name:?} must be non-empty and have no directory part"
            )));
        }
        if self.dir.trim_matches('/').is_empty() {
            return Err(UploadError::InvalidTarget(
                "the upload directory is empty".into(),
            ));
        }
        let local = LocalFile::open(&self.local).await?;
        // As koji's client: refuse before sending anything (the hub would
        // answer an anonymous chunk with an AuthError).
        if !self.hub.is_logged_in() {
            return Err(UploadError::Hub(
                crate::Error::not_logged_in()
                    .with_note("uploads need a logged-in session: log in first"),
            ));
        }
        let started = Instant::now();
        let job = Job {
            dir: self.dir.clone(),
            name: name.clone(),
            blocksize: self.blocksize,
            overwrite: self.overwrite,
            volume: self.volume.clone(),
            max_resumes: self.max_resumes,
            progress: self.progress.clone(),
            started,
        };
        // A hub that sent its version (koji >= 1.35) has rawUpload.
        // Otherwise a probe tells a current hub (checkUpload answers) from
        // one without rawUpload (checkUpload is an unknown method there).
        let method = if self.hub.has_raw_upload() {
            UploadMethod::Fast
        } else {
            match fast::check_upload(self.hub, &job, false).await {
                Ok(_) => UploadMethod::Fast,
                Err(e) if is_unknown_method(&e, "checkUpload") => UploadMethod::Legacy,
                Err(e) => return Err(e.into()),
            }
        };
        let (adler, resumes) = match method {
            UploadMethod::Fast => fast::run(self.hub, &job, &local).await?,
            UploadMethod::Legacy => legacy::run(self.hub, &job, &local).await?,
        };
        local.unchanged().await?;
        Ok(Uploaded {
            server_path: format!("{}/{}", self.dir.trim_end_matches('/'), name),
            dir: self.dir,
            name,
            size: local.size,
            adler32: format!("{adler:08x}"),
            method,
            resumes,
            elapsed: started.elapsed(),
        })
    }
}

/// A hub without the method answers a fault naming it as invalid.
fn is_unknown_method(e: &crate::Error, method: &str) -> bool {
    e.fault_string().is_some_and(|s| {
        s.contains("Invalid method") && s.contains(method)
            || s.contains("method") && s.contains("not supported")
    })
}

/// What an upload is asked to do.
pub(crate) struct Job {
    pub(crate) dir: String,
    pub(crate) name: String,
    pub(crate) blocksize: usize,
    pub(crate) overwrite: bool,
    pub(crate) volume: Option<String>,
    pub(crate) max_resumes: u32,
    pub(crate) progress: Option<ProgressFn>,
    pub(crate) started: Instant,
}

impl Job {
    pub(crate) fn server_path(&self) -> String {
        format!("{}/{}", self.dir.trim_end_matches('/'), self.name)
    }

    pub(crate) fn report(&self, bytes: u64, total: u64, resumes: u32) {
        if let Some(f) = &self.progress {
            f(&UploadProgress {
                bytes,
                total,
                elapsed: self.started.elapsed(),
                resumes,
            });
        }
    }
}

/// A chunk of the local file read for sending, with its adler32.
pub(crate) struct Chunk {
    /// Where it starts in the file.
    pub(crate) offset: u64,
    /// Its bytes (shared with the request body, not copied).
    pub(crate) data: Bytes,
    /// adler32 of `data`.
    pub(crate) adler: u32,
}

impl Chunk {
    /// Where the chunk ends in the file.
    pub(crate) fn end(&self) -> u64 {
        self.offset + self.data.len() as u64
    }
}

/// The local file, opened once, with what it looked like when the upload
/// started. Reads go through the open handle (`pread`), on tokio's blocking
/// pool, so that the next chunk can be read and summed while one is in
/// flight.
#[derive(Clone)]
pub(crate) struct LocalFile {
    pub(crate) path: Arc<PathBuf>,
    pub(crate) size: u64,
    modified: Option<SystemTime>,
    file: Arc<std::fs::File>,
}

impl LocalFile {
    async fn open(path: &Path) -> Result<LocalFile, UploadError> {
        let owned = path.to_path_buf();
        blocking(path, move || {
            let io = |source| UploadError::Local {
                path: owned.clone(),
                source,
            };
            // The path first, so that a FIFO or a device is refused before
            // opening it (which could block).
            if !std::fs::metadata(&owned).map_err(io)?.is_file() {
                return Err(UploadError::NotAFile { path: owned });
            }
            // Opening it now reports an unreadable file before anything is
            // sent; what it looks like is taken from the open handle.
            let file = std::fs::File::open(&owned).map_err(io)?;
            let meta = file.metadata().map_err(io)?;
            if !meta.is_file() {
                return Err(UploadError::NotAFile { path: owned });
            }
            Ok(LocalFile {
                size: meta.len(),
                modified: meta.modified().ok(),
                file: Arc::new(file),
                path: Arc::new(owned),
            })
        })
        .await
    }

    fn io_error(&self, source: std::io::Error) -> UploadError {
        UploadError::Local {
            path: self.path.to_path_buf(),
            source,
        }
    }

    /// Reads the chunk of `len` bytes at `offset` and sums it; fails if the
    /// file no longer looks as it did at the start (checked after the read,
    /// on the open handle, so a change during the read is seen too).
    pub(crate) async fn read(&self, offset: u64, len: usize) -> Result<Chunk, UploadError> {
        let this = self.clone();
        blocking(&self.path, move || this.read_blocking(offset, len)).await
    }

    /// Starts reading a chunk in the background.
    pub(crate) fn read_ahead(&self, offset: u64, len: usize) -> ReadAhead {
        let this = self.clone();
        ReadAhead {
            path: self.path.clone(),
            offset,
            len,
            task: tokio::task::spawn_blocking(move || this.read_blocking(offset, len)),
        }
    }

    fn read_blocking(&self, offset: u64, len: usize) -> Result<Chunk, UploadError> {
        use std::os::unix::fs::FileExt;
        let mut buf = vec![0u8; len];
        let mut got = 0;
        while got < len {
            match self.file.read_at(&mut buf[got..], offset + got as u64) {
                Ok(0) => {
                    return Err(UploadError::FileChanged {
                        path: self.path.to_path_buf(),
                        detail: format!(
                            "it ended at {} bytes, {} were expected",
                            offset + got as u64,
                            self.size
                        ),
                    });
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_error(e)),
            }
        }
        self.check(self.file.metadata())?;
        let adler = adler32(&buf);
        Ok(Chunk {
            offset,
            data: Bytes::from(buf),
            adler,
        })
    }

    /// adler32 of the first `len` bytes, read `block` bytes at a time.
    pub(crate) async fn adler32_prefix(&self, len: u64, block: usize) -> Result<u32, UploadError> {
        let mut adler = Adler32::new();
        let mut pos = 0u64;
        while pos < len {
            let n = (len - pos).min(block.max(1) as u64) as usize;
            let chunk = self.read(pos, n).await?;
            adler.write(&chunk.data);
            pos += n as u64;
        }
        Ok(adler.finish())
    }

    /// Fails if the file's size or modification time changed: through the
    /// open handle and through the path (a file replaced under its name).
    pub(crate) async fn unchanged(&self) -> Result<(), UploadError> {
        let this = self.clone();
        blocking(&self.path, move || {
            this.check(this.file.metadata())?;
            this.check(std::fs::metadata(this.path.as_path()))
        })
        .await
    }

    fn check(&self, meta: std::io::Result<std::fs::Metadata>) -> Result<(), UploadError> {
        let meta = meta.map_err(|e| self.io_error(e))?;
        if meta.len() != self.size {
            return Err(UploadError::FileChanged {
                path: self.path.to_path_buf(),
                detail: format!("its size went from {} to {} bytes", self.size, meta.len()),
            });
        }
        if meta.modified().ok() != self.modified {
            return Err(UploadError::FileChanged {
                path: self.path.to_path_buf(),
                detail: "its modification time changed".into(),
            });
        }
        Ok(())
    }
}

/// A chunk being read in the background (at most one at a time: the one
/// after the chunk in flight). It is only ever sent once the chunk before
/// it is confirmed; dropping it discards the read.
pub(crate) struct ReadAhead {
    path: Arc<PathBuf>,
    offset: u64,
    len: usize,
    task: tokio::task::JoinHandle<Result<Chunk, UploadError>>,
}

impl ReadAhead {
    /// The chunk, if this is the read of `len` bytes at `offset`; `None`
    /// (and the read discarded) otherwise.
    pub(crate) async fn take(self, offset: u64, len: usize) -> Option<Result<Chunk, UploadError>> {
        if self.offset != offset || self.len != len {
            return None;
        }
        let path = self.path.clone();
        Some(joined(&path, self.task.await))
    }
}

/// Runs blocking work on `path` on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    path: &Path,
    f: impl FnOnce() -> Result<T, UploadError> + Send + 'static,
) -> Result<T, UploadError> {
    joined(path, tokio::task::spawn_blocking(f).await)
}

/// The blocking task's result; a task that panicked or was cancelled is a
/// failure to read the file.
fn joined<T>(
    path: &Path,
    r: Result<Result<T, UploadError>, tokio::task::JoinError>,
) -> Result<T, UploadError> {
    r.unwrap_or_else(|e| {
        Err(UploadError::Local {
            path: path.to_path_buf(),
            source: std::io::Error::other(format!("the reading task failed: {e}")),
        })
    })
}

/// adler32 (the digest `rawUpload` answers with), SIMD where the CPU has it.
pub(crate) use simd_adler32::Adler32;

/// adler32 of `data`.
pub(crate) fn adler32(data: &[u8]) -> u32 {
    let mut a = Adler32::new();
    a.write(data);
    a.finish()
}
