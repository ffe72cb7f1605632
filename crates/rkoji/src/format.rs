//! Human output: durations, times, aligned tables and colour.

use std::fmt::Write as _;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// A duration the way people say it: `1 hr 26 min`, `3 min 5 sec`, `2 days 4 hr`
/// (the library's [`koji_client::HumanDuration`], shared with its users).
pub(crate) fn duration(d: SignedDuration) -> String {
    koji_client::HumanDuration(d).to_string()
}

/// A timestamp in the given time zone, to the second: `2026-11-25 17:33:55 UTC`.
pub(crate) fn time_in(ts: Timestamp, tz: &TimeZone) -> String {
    let zoned = ts.to_zoned_datetime(tz.clone());
    let abbrev = tz.to_offset_info(ts).abbreviation().to_string();
    format!("{} {abbrev}", zoned.strftime("%Y-%m-%d %H:%M:%S"))
}

/// A timestamp in the local time zone of this machine.
pub(crate) fn local_time(ts: Timestamp) -> String {
    time_in(ts, &TimeZone::system())
}

/// Whether standard output should be coloured: a terminal, and no `NO_COLOR`.
pub(crate) fn colour_stdout() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// A progress bar on stderr for `total` steps, drawn only when stderr is a
/// terminal (hidden otherwise, so scripts see nothing).
pub(crate) fn progress(total: u64) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} calls ({eta} left)")
    {
        bar.set_style(style);
    }
    bar
}

/// A spinner on stderr saying what is going on, drawn only when stderr is
/// a terminal (hidden otherwise). Call `finish_and_clear` when done.
pub(crate) fn spinner(message: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner().with_message(message.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// Colours for the states of builds and tasks, when colour is on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Painter {
    pub(crate) enabled: bool,
}

impl Painter {
    /// Paints a build or task state name: green for success, red for
    /// failure, yellow for work in progress, dim for cancelled or deleted.
    pub(crate) fn state(self, name: &str) -> String {
        if !self.enabled {
            return name.to_owned();
        }
        let code = match name {
            "COMPLETE" | "CLOSED" => "32",
            "FAILED" => "31",
            "BUILDING" | "OPEN" | "FREE" | "ASSIGNED" => "33",
            "CANCELED" | "DELETED" => "2",
            _ => return name.to_owned(),
        };
        format!("\x1b[{code}m{name}\x1b[0m")
    }

    /// Bold text, for headings.
    pub(crate) fn bold(self, text: &str) -> String {
        if self.enabled {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// The printed width of `s` in terminal columns, ignoring ANSI colour
/// sequences: wide characters (CJK, most emoji) take two columns,
/// combining marks none (`console`, which indicatif already uses).
fn visible_width(s: &str) -> usize {
    console::measure_text_width(s)
}

/// A table with a header row and left-aligned columns, separated by two spaces.
#[derive(Debug, Default)]
pub(crate) struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headings.
    pub(crate) fn new<I, S>(header: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Table {
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells are blank, extra cells widen the table.
    pub(crate) fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    /// Whether the table has no rows.
    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Renders the table, header first, every line without trailing blanks.
    pub(crate) fn render(&self) -> String {
        let columns = self
            .rows
            .iter()
            .map(Vec::len)
            .chain([self.header.len()])
            .max()
            .unwrap_or(0);
        let mut widths = vec![0; columns];
        for row in std::iter::once(&self.header).chain(&self.rows) {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(visible_width(cell));
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = String::new();
            for (i, width) in widths.iter().enumerate() {
                let cell = row.get(i).map(String::as_str).unwrap_or("");
                if i > 0 {
                    line.push_str("  ");
                }
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', width - visible_width(cell)));
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out
    }
}

/// Key/value lines with the keys padded to one width: `State:    COMPLETE`.
pub(crate) fn fields(pairs: &[(&str, String)]) -> String {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 1;
    let mut out = String::new();
    for (key, value) in pairs {
        let _ = writeln!(out, "{:<width$} {value}", format!("{key}:"), width = width);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn durations_read_like_speech() {
        let d = |s| duration(SignedDuration::from_secs(s));
        assert_eq!(d(0), "0 sec");
        assert_eq!(d(59), "59 sec");
        assert_eq!(d(60), "1 min");
        assert_eq!(d(185), "3 min 5 sec");
        assert_eq!(d(5160), "1 hr 26 min");
        assert_eq!(d(3600), "1 hr");
        assert_eq!(d(86_400), "1 day");
        assert_eq!(d(2 * 86_400 + 4 * 3600 + 59), "2 days 4 hr");
        assert_eq!(d(-90), "-1 min 30 sec");
        // Fractions of a second are dropped, not rounded up.
        assert_eq!(duration(SignedDuration::from_millis(59_999)), "59 sec");
    }

    #[test]
    fn times_show_the_zone() {
        let ts: Timestamp = "2026-11-25T17:33:55.739113Z".parse().unwrap();
        assert_eq!(time_in(ts, &TimeZone::UTC), "2026-11-25 17:33:55 UTC");
        let tz = TimeZone::fixed(jiff::tz::offset(2));
        assert_eq!(time_in(ts, &tz), "2026-11-25 19:33:55 +02");
    }

    #[test]
    fn tables_align_and_ignore_colour_codes() {
        let mut t = Table::new(["NVR", "STATE"]);
        t.row(["hello-1.2-1.fc40", "\x1b[32mCOMPLETE\x1b[0m"]);
        t.row(["x-1-1", "FAILED"]);
        let out = t.render();
        let lines: Vec<_> = out.lines().collect();
        assert_eq!(lines[0], "NVR               STATE");
        assert_eq!(lines[1], "hello-1.2-1.fc40  \x1b[32mCOMPLETE\x1b[0m");
        assert_eq!(lines[2], "x-1-1             FAILED");
    }

    #[test]
    fn tables_align_by_display_width() {
        // "日本" is two characters but four columns; "e\u{301}" (e and a
        // combining acute accent) two characters but one column.
        let mut t = Table::new(["OWNER", "STATE"]);
        t.row(["日本", "OPEN"]);
        t.row(["e\u{301}", "FREE"]);
        t.row(["alice", "CLOSED"]);
        let out = t.render();
        let lines: Vec<_> = out.lines().collect();
        assert_eq!(lines[0], "OWNER  STATE");
        assert_eq!(lines[1], "日本   OPEN");
        assert_eq!(lines[2], "e\u{301}      FREE");
        assert_eq!(lines[3], "alice  CLOSED");
    }

    #[test]
    fn fields_pad_keys() {
        let out = fields(&[("State", "COMPLETE".into()), ("Owner", "alice".into())]);
        assert_eq!(out, "State: COMPLETE\nOwner: alice\n");
        let out = fields(&[("ID", "3".into()), ("Completed", "x".into())]);
        assert_eq!(out, "ID:        3\nCompleted: x\n");
    }

    #[test]
    fn painter_off_is_plain() {
        let p = Painter { enabled: false };
        assert_eq!(p.state("FAILED"), "FAILED");
        let p = Painter { enabled: true };
        assert_eq!(p.state("FAILED"), "\x1b[31mFAILED\x1b[0m");
        assert_eq!(p.state("WHATEVER"), "WHATEVER");
    }
}
