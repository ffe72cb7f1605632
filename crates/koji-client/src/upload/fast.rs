//! koji's `fastUpload`: `rawUpload` chunks checked one by one, then
//! `checkUpload`; with resuming from what the hub holds after a lost answer.

use koji_xmlrpc::{Struct, Value};

use super::{Adler32, Chunk, Job, LocalFile, ReadAhead, UploadError, UploadHub};
use crate::error::FaultKind;

/// What `checkUpload` says about a file on the hub.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RemoteFile {
    pub(crate) size: u64,
    pub(crate) hexdigest: Option<String>,
}

/// `checkUpload(dir, name[, verify='adler32'][, volume=])`; `None` when the
/// hub has no such file.
pub(crate) async fn check_upload<H: UploadHub>(
    hub: &H,
    job: &Job,
    verify: bool,
) -> crate::Result<Option<RemoteFile>> {
    let mut kwargs = Struct::new();
    if verify {
        kwargs.insert("verify".into(), Value::String("adler32".into()));
    }
    if let Some(v) = &job.volume {
        kwargs.insert("volume".into(), Value::String(v.clone()));
    }
    let args = vec![
        Value::String(job.dir.clone()),
        Value::String(job.name.clone()),
    ];
    let answer = hub.call("checkUpload", args, kwargs).await?;
    Ok(match &answer {
        Value::Struct(s) => Some(RemoteFile {
            size: s
                .get("size")
                .and_then(as_u64)
                .ok_or_else(|| crate::Error::builder("checkUpload answered without a size"))?,
            hexdigest: s
                .get("hexdigest")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }),
        _ => None,
    })
}

fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Int(i) => u64::try_from(*i).ok(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// The query string of one chunk, in koji's order.
pub(crate) fn chunk_query(job: &Job, offset: u64, overwrite: bool) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("filename", &job.name);
    q.append_pair("filepath", &job.dir);
    q.append_pair("fileverify", "adler32");
    q.append_pair("offset", &offset.to_string());
    if overwrite {
        q.append_pair("overwrite", "1");
    }
    if let Some(v) = &job.volume {
        q.append_pair("volume", v);
    }
    q.finish()
}

/// How a chunk went.
enum Sent {
    /// The hub confirmed it.
    Confirmed,
    /// The hub answered with other numbers than the chunk's.
    Mismatch(String),
    /// The answer was lost: the hub may or may not hold (part of) it.
    Lost(crate::Error),
}

async fn send_chunk<H: UploadHub>(
    hub: &H,
    job: &Job,
    chunk: &Chunk,
    overwrite: bool,
) -> Result<Sent, UploadError> {
    let offset = chunk.offset;
    let query = chunk_query(job, offset, overwrite);
    // `Bytes` clones share the buffer: the body is not copied.
    let answer = match hub.raw_upload(query, chunk.data.clone()).await {
        Ok(answer) => answer,
        Err(e) if answer_lost(&e) => return Ok(Sent::Lost(e)),
        Err(e) => return Err(e.into()),
    };
    let Value::Struct(reply) = &answer else {
        return Err(UploadError::BadReply {
            offset,
            detail: format!("expected a struct, got {answer:?}"),
        });
    };
    let digest = format!("{:08x}", chunk.adler);
    let size = reply.get("size").and_then(as_u64);
    if size != Some(chunk.data.len() as u64) {
        return Ok(Sent::Mismatch(format!(
            "size {size:?}, {} bytes sent",
            chunk.data.len()
        )));
    }
    let got = reply.get("hexdigest").and_then(Value::as_str);
    if got != Some(digest.as_str()) {
        return Ok(Sent::Mismatch(format!("adler32 {got:?}, {digest} sent")));
    }
    let at = reply.get("offset").and_then(as_u64);
    if at != Some(offset) {
        return Ok(Sent::Mismatch(format!(
            "written at {at:?}, sent for {offset}"
        )));
    }
    Ok(Sent::Confirmed)
}

/// A failure after which the hub may hold the chunk: no answer, a cut
/// answer, or the hub refusing a resent call number it already committed.
fn answer_lost(e: &crate::Error) -> bool {
    match e.fault_kind() {
        Some(kind) => kind == FaultKind::RetryError,
        None => !e.is_encode() && !e.is_tls() && e.status().is_none_or(|s| s.is_server_error()),
    }
}

/// The chunk of `len` bytes at `offset`: the one read ahead if it is that
/// one, else read now.
async fn chunk_at(
    local: &LocalFile,
    ahead: &mut Option<ReadAhead>,
    offset: u64,
    len: usize,
) -> Result<Chunk, UploadError> {
    if let Some(read) = ahead.take() {
        if let Some(chunk) = read.take(offset, len).await {
            return chunk;
        }
    }
    local.read(offset, len).await
}

/// Runs the chunks; returns the whole file's adler32 and the resume count.
///
/// One chunk is in flight at a time (the hub locks the file for each chunk
/// and refuses one that ends before the file's end, see `BENCHMARKS.md`);
/// while it is, the next chunk is read and summed in the background. That
/// chunk is sent only after the hub confirmed the one before it, and is
/// dropped unsent when the upload fails or continues from elsewhere.
pub(crate) async fn run<H: UploadHub>(
    hub: &H,
    job: &Job,
    local: &LocalFile,
) -> Result<(u32, u32), UploadError> {
    let total = local.size;
    let block = job.blocksize as u64;
    let len_at = |offset: u64| (total - offset).min(block) as usize;
    // Bytes the hub confirmed, and the adler32 over them.
    let mut confirmed: u64 = 0;
    let mut running = Adler32::new();
    let mut overwrite_next = job.overwrite;
    let mut resumes: u32 = 0;
    let mut stuck: u32 = 0;
    let mut mismatches: u32 = 0;
    let mut first = true;
    // The chunk to send again (after a mismatch), and the one read ahead.
    let mut again: Option<Chunk> = None;
    let mut ahead: Option<ReadAhead> = None;
    job.report(0, total, 0);
    while first || confirmed < total {
        first = false;
        let len = len_at(confirmed);
        let chunk = match again.take() {
            Some(c) if c.offset == confirmed && c.data.len() == len => c,
            _ => chunk_at(local, &mut ahead, confirmed, len).await?,
        };
        if chunk.end() < total && ahead.is_none() {
            ahead = Some(local.read_ahead(chunk.end(), len_at(chunk.end())));
        }
        match send_chunk(hub, job, &chunk, overwrite_next).await? {
            Sent::Confirmed => {
                running.write(&chunk.data);
                confirmed = chunk.end();
                overwrite_next = false;
                stuck = 0;
                mismatches = 0;
                job.report(confirmed, total, resumes);
            }
            Sent::Mismatch(detail) => {
                // The hub wrote something else: write the chunk again over
                // it (overwrite truncates at the offset), once.
                mismatches += 1;
                if mismatches > 1 {
                    return Err(UploadError::ChunkRejected {
                        offset: confirmed,
                        detail,
                    });
                }
                tracing::warn!(offset = confirmed, %detail, "hub got a chunk wrong; sending it again");
                overwrite_next = true;
                first = confirmed == 0 && total == 0;
                again = Some(chunk);
            }
            Sent::Lost(err) => {
                resumes += 1;
                stuck += 1;
                if stuck > job.max_resumes {
                    return Err(UploadError::TooManyResumes {
                        resumes: stuck - 1,
                        offset: confirmed,
                        last: err,
                    });
                }
                tracing::info!(offset = confirmed, error = %err, "chunk answer lost; asking the hub what it holds");
                let (at, overwrite) = resync(hub, job, local, confirmed, overwrite_next).await?;
                if at != confirmed {
                    running =
                        Adler32::from_checksum(local.adler32_prefix(at, job.blocksize).await?);
                    if at > confirmed {
                        stuck = 0;
                    }
                    confirmed = at;
                }
                overwrite_next = overwrite;
                first = confirmed == 0 && total == 0;
                again = Some(chunk);
                job.report(confirmed, total, resumes);
            }
        }
    }
    let whole = running.finish();
    finish(hub, job, total, whole, resumes > 0 || mismatches > 0).await?;
    Ok((whole, resumes))
}

/// After a lost answer: where to continue, and whether with overwrite.
async fn resync<H: UploadHub>(
    hub: &H,
    job: &Job,
    local: &LocalFile,
    confirmed: u64,
    overwrite_pending: bool,
) -> Result<(u64, bool), UploadError> {
    let remote = match check_upload(hub, job, true).await {
        Ok(r) => r,
        // The hub is still unreachable: try the same chunk again.
        Err(e) if answer_lost(&e) => return Ok((confirmed, overwrite_pending)),
        Err(e) => return Err(e.into()),
    };
    let Some(remote) = remote else {
        // Nothing there (the first chunk never arrived).
        return Ok((0, job.overwrite));
    };
    if remote.size < confirmed {
        // The hub lost bytes it had confirmed: only a fresh start is safe.
        tracing::warn!(
            held = remote.size,
            confirmed,
            "the hub holds less than it confirmed; starting again"
        );
        return Ok((0, true));
    }
    if remote.size <= local.size {
        let ours = format!(
            "{:08x}",
            local.adler32_prefix(remote.size, job.blocksize).await?
        );
        if remote.hexdigest.as_deref() == Some(ours.as_str()) {
            // It holds a correct prefix (maybe part of the lost chunk). A
            // file that holds nothing yet was still created by our first
            // chunk: writing at 0 again needs overwrite.
            let overwrite = remote.size == 0 || (overwrite_pending && remote.size == confirmed);
            return Ok((remote.size, overwrite));
        }
    }
    // Garbage after the confirmed bytes: write from there, truncating.
    Ok((confirmed, true))
}

/// The final `checkUpload`: the size always, the digest when anything went
/// wrong on the way.
async fn finish<H: UploadHub>(
    hub: &H,
    job: &Job,
    total: u64,
    whole: u32,
    verify: bool,
) -> Result<(), UploadError> {
    let remote = check_upload(hub, job, verify)
        .await?
        .ok_or_else(|| UploadError::Missing {
            path: job.server_path(),
        })?;
    if remote.size != total {
        return Err(UploadError::WrongLength {
            path: job.server_path(),
            expected: total,
            actual: remote.size,
        });
    }
    if verify {
        let ours = format!("{whole:08x}");
        let theirs = remote.hexdigest.unwrap_or_default();
        if theirs != ours {
            return Err(UploadError::WrongChecksum {
                path: job.server_path(),
                expected: ours,
                actual: theirs,
            });
        }
    }
    Ok(())
}
