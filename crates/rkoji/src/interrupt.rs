//! Ctrl-C for the commands that run until interrupted (`watch`,
//! `watch-task`, `build`'s watch).
//!
//! `tokio::signal::ctrl_c()` installs its handler only when its future is
//! first polled, and once any handler is installed SIGINT no longer kills
//! the process. A Ctrl-C that arrives between the first printed line and
//! that first poll is then lost, and the command keeps running. An
//! [`Interrupt`] listens from the moment it is made, so it is made before
//! anything is printed.

/// A Ctrl-C listener, armed when made.
pub(crate) struct Interrupt {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
}

impl Interrupt {
    /// Starts listening for SIGINT now. Where no handler can be installed
    /// (never seen in practice), says so and leaves Ctrl-C to its default,
    /// which ends the process.
    pub(crate) fn listen() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let signal = match signal(SignalKind::interrupt()) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for Ctrl-C");
                    None
                }
            };
            Self { signal }
        }
        #[cfg(not(unix))]
        {
            Self {}
        }
    }

    /// Completes at the next Ctrl-C (one that came since [`listen`](Self::listen)
    /// or the last call counts). Cancel-safe: usable in `select!` loops.
    pub(crate) async fn recv(&mut self) {
        #[cfg(unix)]
        match &mut self.signal {
            Some(s) => {
                s.recv().await;
            }
            None => std::future::pending().await,
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
