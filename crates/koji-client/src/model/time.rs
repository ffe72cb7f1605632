//! Koji's two time forms: `*_ts` floats (seconds since the epoch) and
//! `*_time` strings (`2026-11-25 17:33:52.687044+00:00`; hubs before 1.22
//! send no offset, and the fraction is optional).

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::ModelError;

/// Parses a Koji `*_time` string.
///
/// Accepts a space or `T` between date and time, optional fractional
/// seconds, and an optional offset (`+00:00`, `+0000`, `+00`, `Z`). A value
/// without an offset (what hubs before 1.22 send) is read as UTC.
///
/// ```
/// use koji_client::model::parse_koji_time;
///
/// let t = parse_koji_time("2026-11-25 17:33:52.687044+00:00").unwrap();
/// assert_eq!(t.to_string(), "2026-11-25T17:33:52.687044Z");
/// // Old hubs: no offset, UTC assumed.
/// let old = parse_koji_time("2018-01-12 16:16:19.543").unwrap();
/// assert_eq!(old.to_string(), "2018-01-12T16:16:19.543Z");
/// assert!(parse_koji_time("yesterday").is_err());
/// ```
pub fn parse_koji_time(value: &str) -> Result<Timestamp, ModelError> {
    let bad = |reason: String| ModelError::Time {
        field: None,
        value: value.to_owned(),
        reason,
    };
    match value.parse::<Timestamp>() {
        Ok(ts) => Ok(ts),
        Err(err) if has_offset(value) => Err(bad(err.to_string())),
        Err(_) => {
            // jiff's civil parser would silently drop an offset: we only get
            // here when there is none.
            let civil: jiff::civil::DateTime =
                value.parse().map_err(|e: jiff::Error| bad(e.to_string()))?;
            TimeZone::UTC
                .to_timestamp(civil)
                .map_err(|e| bad(e.to_string()))
        }
    }
}

/// Whether a `*_time` string carries an offset after its date part.
fn has_offset(value: &str) -> bool {
    // Skip the date (`YYYY-MM-DD` contains '-' itself).
    let time = value.get(10..).unwrap_or("");
    time.contains(['+', '-', 'Z', 'z'])
}

/// Converts a Koji `*_ts` value (float seconds since the epoch) to a
/// timestamp, rounded to the microsecond (the hub's precision: a double
/// cannot carry more). `None` for NaN, infinities and values outside jiff's
/// range.
///
/// ```
/// use koji_client::model::timestamp_from_epoch;
///
/// let t = timestamp_from_epoch(1795628032.687044).unwrap();
/// assert_eq!(t.to_string(), "2026-11-25T17:33:52.687044Z");
/// assert_eq!(timestamp_from_epoch(f64::NAN), None);
/// ```
pub fn timestamp_from_epoch(ts: f64) -> Option<Timestamp> {
    let micros = (ts * 1e6).round();
    if !micros.is_finite() || micros.abs() >= 9.0e18 {
        return None;
    }
    // In range of i64 (checked above), so the cast is exact.
    Timestamp::from_microsecond(micros as i64).ok()
}

/// Converts seconds as the hub sends them (`getAverageBuildDuration`) to a
/// duration, rounded to the microsecond. `None` for NaN and infinities.
///
/// ```
/// use koji_client::model::duration_from_secs;
///
/// let d = duration_from_secs(2.222293).unwrap();
/// assert_eq!(d.as_micros(), 2_222_293);
/// ```
pub fn duration_from_secs(secs: f64) -> Option<SignedDuration> {
    let micros = (secs * 1e6).round();
    if !micros.is_finite() || micros.abs() >= 9.0e18 {
        return None;
    }
    Some(SignedDuration::from_micros(micros as i64))
}

/// One point in time of a model: its `*_ts` member if sent, else its
/// `*_time` member. `Ok(None)` when the hub sent neither (or nil).
pub(crate) fn pick(
    ts_field: &'static str,
    ts: Option<f64>,
    time_field: &'static str,
    time: Option<&str>,
) -> Result<Option<Timestamp>, ModelError> {
    if let Some(ts) = ts {
        return timestamp_from_epoch(ts)
            .map(Some)
            .ok_or(ModelError::Timestamp {
                field: ts_field,
                value: ts,
            });
    }
    match time {
        None => Ok(None),
        Some(time) => parse_koji_time(time).map(Some).map_err(|err| match err {
            ModelError::Time { value, reason, .. } => ModelError::Time {
                field: Some(time_field),
                value,
                reason,
            },
            other => other,
        }),
    }
}

/// A duration the way people say it, for chat bots and dashboards:
/// `11 min 44 sec`, `1 hr 26 min`, `2 days 4 hr` (the two largest units,
/// fractions of a second dropped). `Display` of a [`SignedDuration`] gives
/// `11m 43s 874ms 346µs 600ns`; this gives what `rkoji` prints.
///
/// A negative duration (an estimate already past, clock skew) keeps its
/// sign: `-1 min 30 sec`.
///
/// ```
/// use koji_client::HumanDuration;
/// use jiff::SignedDuration;
///
/// let took = SignedDuration::from_millis(703_874);
/// assert_eq!(HumanDuration(took).to_string(), "11 min 43 sec");
/// assert_eq!(HumanDuration::from(SignedDuration::from_secs(5160)).to_string(), "1 hr 26 min");
/// assert_eq!(format!("done in {}", HumanDuration(SignedDuration::from_secs(59))), "done in 59 sec");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HumanDuration(pub SignedDuration);

impl From<SignedDuration> for HumanDuration {
    fn from(d: SignedDuration) -> Self {
        HumanDuration(d)
    }
}

impl std::fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let total = self.0.as_secs();
        if total < 0 {
            f.write_str("-")?;
        }
        let secs = total.unsigned_abs();
        let (days, hours, mins, s) = (
            secs / 86_400,
            secs % 86_400 / 3600,
            secs % 3600 / 60,
            secs % 60,
        );
        let day_unit = if days == 1 { "day" } else { "days" };
        match (days, hours, mins, s) {
            (0, 0, 0, s) => write!(f, "{s} sec"),
            (0, 0, m, 0) => write!(f, "{m} min"),
            (0, 0, m, s) => write!(f, "{m} min {s} sec"),
            (0, h, 0, _) => write!(f, "{h} hr"),
            (0, h, m, _) => write!(f, "{h} hr {m} min"),
            (d, 0, _, _) => write!(f, "{d} {day_unit}"),
            (d, h, _, _) => write!(f, "{d} {day_unit} {h} hr"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn parses_every_form_koji_sends() {
        let cases = [
            (
                "2026-11-25 17:33:52.687044+00:00",
                "2026-11-25T17:33:52.687044Z",
            ),
            ("2026-11-25 17:33:52+00:00", "2026-11-25T17:33:52Z"),
            (
                "2026-11-25 17:33:52.687044+00",
                "2026-11-25T17:33:52.687044Z",
            ),
            ("2026-11-25 17:33:52-05:00", "2026-11-25T22:33:52Z"),
            ("2026-11-25 17:33:52+0530", "2026-11-25T12:03:52Z"),
            ("2026-11-25T17:33:52Z", "2026-11-25T17:33:52Z"),
            ("2018-01-12 16:16:19.543", "2018-01-12T16:16:19.543Z"),
            ("2018-01-12 16:16:19", "2018-01-12T16:16:19Z"),
            ("2018-01-12T16:16:19.65904", "2018-01-12T16:16:19.65904Z"),
        ];
        for (input, want) in cases {
            assert_eq!(parse_koji_time(input).unwrap().to_string(), want, "{input}");
        }
    }

    #[test]
    fn rejects_garbage_with_a_clear_error() {
        for input in [
            "",
            "garbage",
            "2026-13-01 00:00:00",
            "2026-11-25 17:33:52+99:00",
        ] {
            let err = parse_koji_time(input).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(&format!("{input:?}")), "{text}");
        }
    }

    #[test]
    fn epoch_floats_round_to_microseconds() {
        let t = timestamp_from_epoch(1795628035.739113).unwrap();
        assert_eq!(t.subsec_microsecond(), 739113);
        assert_eq!(t.subsec_nanosecond() % 1000, 0);
        assert_eq!(timestamp_from_epoch(0.0).unwrap(), Timestamp::UNIX_EPOCH);
        assert_eq!(timestamp_from_epoch(f64::INFINITY), None);
        assert_eq!(timestamp_from_epoch(1e300), None);
    }

    #[test]
    fn pick_prefers_ts_and_names_the_bad_member() {
        let t = pick("a_ts", Some(1.5), "a_time", Some("garbage")).unwrap();
        assert_eq!(t.unwrap().as_millisecond(), 1500);
        let t = pick("a_ts", None, "a_time", Some("1970-01-01 00:00:02+00:00")).unwrap();
        assert_eq!(t.unwrap().as_second(), 2);
        assert_eq!(pick("a_ts", None, "a_time", None).unwrap(), None);
        let err = pick("a_ts", None, "start_time", Some("nope")).unwrap_err();
        assert!(err.to_string().starts_with("start_time: "), "{err}");
        let err = pick("start_ts", Some(f64::NAN), "start_time", None).unwrap_err();
        assert!(err.to_string().starts_with("start_ts: "), "{err}");
    }

    #[test]
    fn durations_from_seconds() {
        assert_eq!(duration_from_secs(4.786324).unwrap().as_micros(), 4_786_324);
        assert_eq!(duration_from_secs(-1.0).unwrap().as_secs(), -1);
        assert_eq!(duration_from_secs(f64::NAN), None);
    }

    #[test]
    fn human_durations_read_like_speech() {
        let d = |s| HumanDuration(SignedDuration::from_secs(s)).to_string();
        assert_eq!(d(0), "0 sec");
        assert_eq!(d(59), "59 sec");
        assert_eq!(d(60), "1 min");
        assert_eq!(d(185), "3 min 5 sec");
        assert_eq!(d(5160), "1 hr 26 min");
        assert_eq!(d(3600), "1 hr");
        assert_eq!(d(3659), "1 hr");
        assert_eq!(d(86_400), "1 day");
        assert_eq!(d(2 * 86_400 + 4 * 3600 + 59), "2 days 4 hr");
        assert_eq!(d(-90), "-1 min 30 sec");
        // Fractions of a second are dropped, not rounded up.
        assert_eq!(
            HumanDuration(SignedDuration::from_millis(59_999)).to_string(),
            "59 sec"
        );
    }
}
