//! Child processes that are stopped when their guard is dropped.

use std::path::Path;
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// A running daemon. Dropping it sends SIGTERM (so Apache stops its worker
/// processes too), waits a little, then kills it.
#[derive(Debug)]
pub(crate) struct Daemon {
    name: String,
    child: Option<Child>,
}

impl Daemon {
    pub(crate) fn spawn(name: &str, command: &mut Command) -> Result<Self> {
        let child = command
            .spawn()
            .map_err(|e| Error::io(format!("starting {name}"), e))?;
        Ok(Self {
            name: name.to_owned(),
            child: Some(child),
        })
    }

    /// Fails when the process has already exited (it could not start).
    pub(crate) fn check_running(&mut self, log: &Path) -> Result<()> {
        let Some(child) = self.child.as_mut() else {
            return Err(Error::new(format!("{} was stopped", self.name)));
        };
        match child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(Error::new(format!(
                "{} exited at start-up ({status}); its log {}:\n{}",
                self.name,
                log.display(),
                read_tail(log)
            ))),
            Err(e) => Err(Error::io(format!("waiting for {}", self.name), e)),
        }
    }

    pub(crate) fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        // SIGTERM through kill(1): std only offers SIGKILL, which would leave
        // Apache's worker processes behind.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs a command to completion; a non-zero exit is an error carrying its
/// output.
pub(crate) fn run(what: &str, command: &mut Command) -> Result<Output> {
    let output = command
        .output()
        .map_err(|e| Error::io(format!("running {what}"), e))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(Error::new(format!(
            "{what} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )))
    }
}

/// Waits until `ready` returns true, checking that the daemon still runs.
pub(crate) fn wait_until(
    daemon: &mut Daemon,
    log: &Path,
    what: &str,
    mut ready: impl FnMut() -> bool,
) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        daemon.check_running(log)?;
        if ready() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(Error::new(format!(
                "{what} did not become ready within 30 s; log {}:\n{}",
                log.display(),
                read_tail(log)
            )));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

pub(crate) fn read_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(40);
    lines.get(start..).unwrap_or_default().join("\n")
}

/// True when something accepts TCP connections on 127.0.0.1:`port`.
pub(crate) fn port_open(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(200),
    )
    .is_ok()
}
