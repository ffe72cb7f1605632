//! Uploads through a real connection to koji-testhub: rawUpload chunks with
//! the session's call numbers, checkUpload, overwrite, and the hub's faults.
#![allow(clippy::unwrap_used)]

use koji_client::upload::{UploadError, UploadMethod, unique_path};
use koji_client::{Connection, FaultKind};
use koji_testhub::{RunningHub, TestHub};

async fn logged_in() -> (RunningHub, Connection) {
    let hub = TestHub::builder()
        .password("carol", "carol-password")
        .start()
        .await
        .unwrap();
    let koji = Connection::builder(hub.url()).no_proxy().build().unwrap();
    koji.login_password("carol", "carol-password")
        .await
        .unwrap();
    (hub, koji)
}

fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + i / 97) as u8).collect()
}

#[tokio::test]
async fn a_file_arrives_whole_in_chunks() {
    let (hub, koji) = logged_in().await;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("hello-1.0-1.src.rpm");
    let data = content(300_000);
    std::fs::write(&path, &data).unwrap();
    let dir = unique_path("cli-build");
    hub.clear_requests();
    let done = koji
        .upload(&path, dir.as_str())
        .blocksize(65_536)
        .send()
        .await
        .unwrap();
    assert_eq!(done.method, UploadMethod::Fast);
    assert_eq!(done.server_path, format!("{dir}/hello-1.0-1.src.rpm"));
    assert_eq!(hub.uploaded(&done.server_path).unwrap(), data);
    // the hub sends Koji-Version, so no probe: 5 chunks (raw bodies, no
    // method) and the final check, each with its own call number
    let sent: Vec<Option<String>> = hub.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(
        sent,
        [None, None, None, None, None, Some("checkUpload".to_owned())]
    );
    let callnums: Vec<i64> = hub.requests().iter().filter_map(|r| r.callnum).collect();
    assert_eq!(callnums.len(), 6);
    assert!(callnums.windows(2).all(|w| w[0] < w[1]), "{callnums:?}");
    // the chunks committed their call numbers (the last chunk's is the
    // session's), as on the real hub; checkUpload commits nothing
    let sid = *hub.session_ids().last().unwrap();
    assert_eq!(hub.session_callnum(sid), Some(callnums[4]));

    // again without overwrite: the hub's fault; with overwrite: replaced
    let e = koji.upload(&path, dir.as_str()).send().await.unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::GenericError), "{e}");
    assert!(e.to_string().contains("upload path exists"), "{e}");
    let smaller = content(10);
    std::fs::write(&path, &smaller).unwrap();
    koji.upload(&path, dir.as_str())
        .overwrite(true)
        .send()
        .await
        .unwrap();
    assert_eq!(hub.uploaded(&done.server_path).unwrap(), smaller);
}

#[tokio::test]
async fn anonymous_uploads_and_bad_names_get_the_hubs_faults() {
    let hub = TestHub::builder().start().await.unwrap();
    let koji = Connection::builder(hub.url()).no_proxy().build().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("x.bin");
    std::fs::write(&path, b"x").unwrap();
    // refused before sending, as koji's client does
    let e = koji.upload(&path, "wtest/anon").send().await.unwrap_err();
    assert!(e.to_string().contains("log in first"), "{e}");
    assert!(hub.session_ids().is_empty());

    let (_hub, koji) = logged_in().await;
    let e = koji
        .upload(&path, "wtest/x")
        .name(".hidden")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, UploadError::Hub(_)), "{e:?}");
    assert!(
        e.to_string().contains("Invalid upload filename: .hidden"),
        "{e}"
    );
    let e = koji.upload(&path, "../../etc").send().await.unwrap_err();
    assert!(e.to_string().contains("Invalid upload directory"), "{e}");
}
