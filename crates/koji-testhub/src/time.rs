//! Timestamps as the hub shows them: `*_ts` floats (seconds since the epoch)
//! and `*_time` strings (`2026-11-25 17:33:55.739113+00:00`, PostgreSQL's
//! `timestamptz` in UTC through Python's `isoformat(' ')`).

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the epoch, with microseconds.
pub(crate) fn now_ts() -> f64 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let micros = d.as_micros() as f64;
    micros / 1e6
}

/// Days since 1970-01-01 → (year, month, day) (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) → days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2026-11-25 17:33:55.739113+00:00` (no fraction when it is zero).
pub(crate) fn format_ts(ts: f64) -> String {
    let micros_total = (ts * 1e6).round() as i64;
    let secs = micros_total.div_euclid(1_000_000);
    let micros = micros_total.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    let (h, mi, s) = (sod / 3600, (sod % 3600) / 60, sod % 60);
    if micros == 0 {
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}+00:00")
    } else {
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{micros:06}+00:00")
    }
}

/// Parses the ISO forms the hub accepts for time filters
/// (`YYYY-MM-DD`, optionally ` HH:MM[:SS[.ffffff]]` or `T…`, optionally a
/// `Z`/`±HH:MM` offset; UTC when none).
pub(crate) fn parse_iso(text: &str) -> Option<f64> {
    let t = text.trim();
    let b = t.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let s = t.get(from..from + len)?;
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let y = num(0, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let mo = u32::try_from(num(5, 2)?).ok()?;
    let d = u32::try_from(num(8, 2)?).ok()?;
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let mut secs = days_from_civil(y, mo, d) * 86_400;
    let mut frac = 0.0;
    let mut i = 10;
    if matches!(b.get(i), Some(b' ') | Some(b'T')) {
        let h = num(i + 1, 2)?;
        if b.get(i + 3) != Some(&b':') {
            return None;
        }
        let mi = num(i + 4, 2)?;
        secs += h * 3600 + mi * 60;
        i += 6;
        if b.get(i) == Some(&b':') {
            secs += num(i + 1, 2)?;
            i += 3;
            if b.get(i) == Some(&b'.') {
                let start = i + 1;
                let mut end = start;
                while b.get(end).is_some_and(u8::is_ascii_digit) {
                    end += 1;
                }
                frac = format!("0.{}", t.get(start..end)?).parse().ok()?;
                i = end;
            }
        }
    }
    match b.get(i) {
        None => {}
        Some(b'Z') if i + 1 == b.len() => {}
        Some(sign @ (b'+' | b'-')) => {
            let oh = num(i + 1, 2)?;
            let om = if b.get(i + 3) == Some(&b':') {
                num(i + 4, 2)?
            } else {
                num(i + 3, 2).unwrap_or(0)
            };
            let off = oh * 3600 + om * 60;
            secs -= if *sign == b'+' { off } else { -off };
        }
        _ => return None,
    }
    Some(secs as f64 + frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_hub() {
        assert_eq!(
            format_ts(1795628035.739113),
            "2026-11-25 17:33:55.739113+00:00"
        );
        assert_eq!(format_ts(1795628035.0), "2026-11-25 17:33:55+00:00");
        assert_eq!(format_ts(0.5), "1970-01-01 00:00:00.500000+00:00");
    }

    #[test]
    fn parses_iso_forms() {
        assert_eq!(parse_iso("2026-11-25 17:33:55+00:00"), Some(1795628035.0));
        assert_eq!(parse_iso("2026-11-25T17:33:55Z"), Some(1795628035.0));
        assert_eq!(parse_iso("2026-11-25 18:33:55+01:00"), Some(1795628035.0));
        assert_eq!(parse_iso("2026-11-25"), Some(1795564800.0));
        let t = parse_iso("2026-11-25 17:33:55.739113+00:00").unwrap_or(0.0);
        assert!((t - 1795628035.739113).abs() < 1e-6);
        assert_eq!(parse_iso("yesterday"), None);
    }
}
