//! What the broker consumers share: reconnect backoff, and the rule that a
//! bad message never ends a stream.

use std::time::Duration;

/// How long to wait between reconnection attempts: `initial`, then
/// multiplied by `factor` after each failure, capped at `max`; reset once a
/// connection works again.
///
/// ```
/// use std::time::Duration;
/// use koji_client::messages::Backoff;
///
/// let b = Backoff::default();
/// assert_eq!(b.delay(0), Duration::from_millis(200));
/// assert_eq!(b.delay(1), Duration::from_millis(400));
/// assert_eq!(b.delay(30), Duration::from_secs(30));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The first delay.
    pub initial: Duration,
    /// The longest delay.
    pub max: Duration,
    /// The growth factor (at least 1).
    pub factor: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(30),
            factor: 2.0,
        }
    }
}

impl Backoff {
    /// The delay before attempt `failures + 1` after `failures` failures in a
    /// row.
    pub fn delay(&self, failures: u32) -> Duration {
        let factor = if self.factor.is_finite() && self.factor >= 1.0 {
            self.factor
        } else {
            1.0
        };
        let exp = factor.powi(i32::try_from(failures.min(64)).unwrap_or(64));
        let secs = self.initial.as_secs_f64() * exp;
        if !secs.is_finite() || secs >= self.max.as_secs_f64() {
            self.max
        } else {
            Duration::from_secs_f64(secs)
        }
    }
}

/// Logs a message that could not be parsed; the stream goes on.
pub(super) fn log_bad_message(transport: &str, topic: Option<&str>, error: &super::MessageError) {
    tracing::warn!(
        transport,
        topic = topic.unwrap_or(""),
        %error,
        "skipping a message that could not be parsed"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let b = Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(10),
            factor: 3.0,
        };
        let delays: Vec<u64> = (0..5).map(|n| b.delay(n).as_secs()).collect();
        assert_eq!(delays, [1, 3, 9, 10, 10]);
        assert_eq!(b.delay(u32::MAX), Duration::from_secs(10));
        let odd = Backoff {
            factor: f64::NAN,
            ..b
        };
        assert_eq!(odd.delay(7), Duration::from_secs(1));
    }
}
