//! koji's legacy upload for hubs without `rawUpload`: base64 `uploadFile`
//! calls, one per chunk with the chunk's sha256, then a final call with
//! `offset=-1`, the total size and the whole file's sha256.

use base64::Engine as _;
use koji_xmlrpc::{Struct, Value};
use openssl::sha::Sha256;

use super::{Adler32, Job, LocalFile, UploadError, UploadHub};

/// The hub answers false (not a fault) to a size or digest mismatch; koji
/// tries each call three times.
const TRIES: u32 = 3;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn upload_file<H: UploadHub>(
    hub: &H,
    job: &Job,
    size: u64,
    sha256: &str,
    offset: i64,
    data: &str,
) -> Result<(), UploadError> {
    let mut kwargs = Struct::new();
    if let Some(v) = &job.volume {
        kwargs.insert("volume".into(), Value::String(v.clone()));
    }
    let size = i64::try_from(size).map_or_else(|_| Value::String(size.to_string()), Value::Int);
    let args = vec![
        Value::String(job.dir.clone()),
        Value::String(job.name.clone()),
        size,
        Value::Array(vec![
            Value::String("sha256".into()),
            Value::String(sha256.to_owned()),
        ]),
        Value::Int(offset),
        Value::String(data.to_owned()),
    ];
    for _ in 0..TRIES {
        let answer = hub.call("uploadFile", args.clone(), kwargs.clone()).await?;
        if answer.as_bool() == Some(true) {
            return Ok(());
        }
    }
    Err(UploadError::LegacyRefused {
        path: job.server_path(),
        offset,
    })
}

/// Runs the legacy upload; returns the adler32 of the file and 0 resumes.
pub(crate) async fn run<H: UploadHub>(
    hub: &H,
    job: &Job,
    local: &LocalFile,
) -> Result<(u32, u32), UploadError> {
    let total = local.size;
    let mut whole = Sha256::new();
    let mut adler = Adler32::new();
    let mut offset = 0u64;
    job.report(0, total, 0);
    while offset < total {
        let len = (total - offset).min(job.blocksize as u64) as usize;
        let chunk = local.read(offset, len).await?.data;
        whole.update(&chunk);
        adler.write(&chunk);
        let sum = hex(&openssl::sha::sha256(&chunk));
        let data = base64::engine::general_purpose::STANDARD.encode(&chunk);
        let at = i64::try_from(offset)
            .map_err(|_| UploadError::InvalidTarget("file too large".into()))?;
        upload_file(hub, job, len as u64, &sum, at, &data).await?;
        offset += len as u64;
        job.report(offset, total, 0);
    }
    upload_file(hub, job, total, &hex(&whole.finish()), -1, "").await?;
    Ok((adler.finish(), 0))
}
