//! When a failed call is sent again, as the official client does it
//! (`ClientSession._callMethod` and `_sendCall`), but bounded by a deadline.
//!
//! The decision is a pure function of the error, the call's history and the
//! settings, so it is unit-tested here without any I/O; the connection does
//! the sleeping (with `tokio::time`) and the resending.

use std::time::Duration;

use crate::error::{Error, RetryClass};

/// Koji's default `max_retries`.
pub const DEFAULT_MAX_RETRIES: u32 = 30;
/// Koji's default `retry_interval`.
pub const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_secs(20);
/// Koji's default `offline_retry_interval`.
pub const DEFAULT_OFFLINE_RETRY_INTERVAL: Duration = Duration::from_secs(20);

/// Retry settings of a [`Connection`](crate::Connection), named after koji's
/// options.
///
/// What is retried:
///
/// * A connection that drops before the whole response arrived (a stale
///   keep-alive connection, a reset, a truncated body) is resent **once, at
///   once**, even for anonymous calls (koji's `_sendCall`).
/// * Other transport failures (connect errors, timeouts of one attempt,
///   HTTP 5xx from a proxy) are retried up to `max_retries` times when the
///   call is made by a logged-in session or `anon_retry` is set: the first
///   retry at once, later ones after `retry_interval`.
/// * Fault 1014 `ServerOffline` is retried only with `offline_retry`, after
///   `offline_retry_interval` each time.
/// * Certificate errors, every other fault, HTTP 4xx and decode errors are
///   never retried.
///
/// Unlike koji, nothing retries forever: every call has an overall
/// `deadline`, retries and waits included. When the next retry could not
/// start before the deadline, the last error is returned at once.
///
/// ```
/// use std::time::Duration;
/// use koji_client::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .anon_retry(true)
///     .max_retries(3)
///     .retry_interval(Duration::from_secs(2))
///     .deadline(Some(Duration::from_secs(60)));
/// assert_eq!(policy.get_max_retries(), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    retry_interval: Duration,
    anon_retry: bool,
    offline_retry: bool,
    offline_retry_interval: Duration,
    deadline: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: DEFAULT_MAX_RETRIES,
            retry_interval: DEFAULT_RETRY_INTERVAL,
            anon_retry: false,
            offline_retry: false,
            offline_retry_interval: DEFAULT_OFFLINE_RETRY_INTERVAL,
            deadline: None,
        }
    }
}

impl RetryPolicy {
    /// How many times a transport failure is retried (koji `max_retries`, default 30).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// The wait before the second and later retries (koji `retry_interval`, default 20 s).
    pub fn retry_interval(mut self, interval: Duration) -> Self {
        self.retry_interval = interval;
        self
    }

    /// Retry transport failures of anonymous calls too (koji `anon_retry`, default off).
    pub fn anon_retry(mut self, on: bool) -> Self {
        self.anon_retry = on;
        self
    }

    /// Wait and retry when the hub answers `ServerOffline` (koji `offline_retry`, default off).
    pub fn offline_retry(mut self, on: bool) -> Self {
        self.offline_retry = on;
        self
    }

    /// The wait before retrying after `ServerOffline` (koji `offline_retry_interval`, default 20 s).
    pub fn offline_retry_interval(mut self, interval: Duration) -> Self {
        self.offline_retry_interval = interval;
        self
    }

    /// The overall time limit of one call, retries and waits included.
    /// `None` (the default) lets the connection derive it from its per-attempt
    /// timeout: `timeout + max_retries × retry_interval`, at most
    /// [`MAX_DERIVED_DEADLINE`](Self::MAX_DERIVED_DEADLINE) beyond the timeout.
    pub fn deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// The longest the derived deadline adds to the per-attempt timeout (1 hour).
    pub const MAX_DERIVED_DEADLINE: Duration = Duration::from_secs(3600);

    /// `max_retries`.
    pub fn get_max_retries(&self) -> u32 {
        self.max_retries
    }

    /// `retry_interval`.
    pub fn get_retry_interval(&self) -> Duration {
        self.retry_interval
    }

    /// `anon_retry`.
    pub fn get_anon_retry(&self) -> bool {
        self.anon_retry
    }

    /// `offline_retry`.
    pub fn get_offline_retry(&self) -> bool {
        self.offline_retry
    }

    /// `offline_retry_interval`.
    pub fn get_offline_retry_interval(&self) -> Duration {
        self.offline_retry_interval
    }

    /// The explicit deadline, if one was set.
    pub fn get_deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// The deadline in force for a connection whose per-attempt timeout is `timeout`.
    pub fn effective_deadline(&self, timeout: Duration) -> Duration {
        self.deadline.unwrap_or_else(|| {
            let waits = self
                .retry_interval
                .saturating_mul(self.max_retries)
                .min(Self::MAX_DERIVED_DEADLINE);
            timeout.saturating_add(waits)
        })
    }

    /// Decides what to do after `err`: `Some(wait)` to send the same request
    /// again after `wait`, `None` to give up and return `err`.
    pub(crate) fn next(
        &self,
        err: &Error,
        state: &mut RetryState,
        retry_transport: bool,
    ) -> Option<Duration> {
        let class = err.retry_class();
        // koji's _sendCall: one immediate resend of a dropped connection, per
        // try, whatever the login state.
        if class == RetryClass::Stale && !state.stale_resent {
            state.stale_resent = true;
            return Some(Duration::ZERO);
        }
        state.stale_resent = false;
        match class {
            RetryClass::Never => None,
            RetryClass::Offline => {
                if !self.offline_retry {
                    return None;
                }
                // A running hub reporting an outage: not a failed try (koji
                // resets its counter); the deadline bounds it instead.
                state.tries = 0;
                Some(self.offline_retry_interval)
            }
            RetryClass::Stale | RetryClass::Transport => {
                if !retry_transport || state.tries >= self.max_retries {
                    return None;
                }
                state.tries += 1;
                // The first retry is immediate, later ones wait.
                Some(if state.tries > 1 {
                    self.retry_interval
                } else {
                    Duration::ZERO
                })
            }
        }
    }
}

/// The retry history of one call.
#[derive(Debug, Default, Clone)]
pub(crate) struct RetryState {
    /// Transport retries done (koji's `tries - 1`).
    tries: u32,
    /// Whether the free resend of a dropped connection was used in this try.
    stale_resent: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Kind, TimeoutKind};

    fn conn() -> Error {
        Error::new(Kind::Connect)
    }
    fn dropped() -> Error {
        Error::new(Kind::Disconnected)
    }

    #[test]
    fn anonymous_transport_errors_are_not_retried() {
        let p = RetryPolicy::default();
        let mut st = RetryState::default();
        assert_eq!(p.next(&conn(), &mut st, false), None);
    }

    #[test]
    fn dropped_connection_is_resent_once_at_once_even_anonymous() {
        let p = RetryPolicy::default();
        let mut st = RetryState::default();
        assert_eq!(p.next(&dropped(), &mut st, false), Some(Duration::ZERO));
        assert_eq!(p.next(&dropped(), &mut st, false), None);
    }

    #[test]
    fn logged_in_retries_first_at_once_then_with_interval_up_to_max() {
        let p = RetryPolicy::default()
            .max_retries(3)
            .retry_interval(Duration::from_secs(5));
        let mut st = RetryState::default();
        let waits: Vec<_> = std::iter::from_fn(|| p.next(&conn(), &mut st, true)).collect();
        assert_eq!(
            waits,
            [
                Duration::ZERO,
                Duration::from_secs(5),
                Duration::from_secs(5)
            ]
        );
    }

    #[test]
    fn dropped_connection_gets_its_free_resend_within_each_try() {
        let p = RetryPolicy::default().max_retries(1);
        let mut st = RetryState::default();
        // try 1: free resend, then a counted retry
        assert_eq!(p.next(&dropped(), &mut st, true), Some(Duration::ZERO));
        assert_eq!(p.next(&dropped(), &mut st, true), Some(Duration::ZERO));
        // try 2: free resend, then out of retries
        assert_eq!(p.next(&dropped(), &mut st, true), Some(Duration::ZERO));
        assert_eq!(p.next(&dropped(), &mut st, true), None);
    }

    #[test]
    fn certificate_errors_and_faults_never_retry() {
        let p = RetryPolicy::default().anon_retry(true).offline_retry(true);
        let mut st = RetryState::default();
        let cert = Error::new(Kind::Tls {
            certificate: true,
            detail: String::new(),
        });
        assert_eq!(p.next(&cert, &mut st, true), None);
        for code in [1, 1000, 1002, 1007, 1009, 1019, 4242] {
            assert_eq!(p.next(&Error::fault(code, "x"), &mut st, true), None);
        }
        let deadline = Error::timeout(TimeoutKind::Deadline, Duration::from_secs(1));
        assert_eq!(p.next(&deadline, &mut st, true), None);
    }

    #[test]
    fn server_offline_waits_only_with_offline_retry_and_does_not_count() {
        let offline = Error::fault(1014, "server is offline");
        let mut st = RetryState::default();
        assert_eq!(RetryPolicy::default().next(&offline, &mut st, true), None);
        let p = RetryPolicy::default()
            .offline_retry(true)
            .offline_retry_interval(Duration::from_secs(7))
            .max_retries(0);
        for _ in 0..100 {
            assert_eq!(
                p.next(&offline, &mut st, false),
                Some(Duration::from_secs(7))
            );
        }
    }

    #[test]
    fn proxy_5xx_is_a_transport_error() {
        let p = RetryPolicy::default().anon_retry(true);
        let mut st = RetryState::default();
        let e = Error::http_status(http::StatusCode::BAD_GATEWAY, None, b"");
        assert_eq!(p.next(&e, &mut st, true), Some(Duration::ZERO));
        let e = Error::http_status(http::StatusCode::NOT_FOUND, None, b"");
        assert_eq!(p.next(&e, &mut st, true), None);
    }

    #[test]
    fn derived_deadline() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.effective_deadline(Duration::from_secs(60)),
            Duration::from_secs(60 + 30 * 20)
        );
        let p = p.deadline(Some(Duration::from_secs(5)));
        assert_eq!(
            p.effective_deadline(Duration::from_secs(60)),
            Duration::from_secs(5)
        );
    }
}
