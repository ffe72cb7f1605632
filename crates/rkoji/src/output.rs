//! Where results go: JSON for scripts, text for people.

use std::io::Write as _;

use serde::Serialize;

use crate::failure::Failure;
use crate::format::Painter;

/// The output settings of one run.
#[derive(Debug, Clone)]
pub(crate) struct Output {
    /// `--json`: machine-readable output.
    pub(crate) json: bool,
    /// Colours for human output.
    pub(crate) paint: Painter,
}

impl Output {
    /// Writes `text` to stdout as it is.
    pub(crate) fn text(&self, text: &str) -> Result<(), Failure> {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(Failure::io)
    }

    /// Writes `value` as pretty JSON and a newline.
    pub(crate) fn json<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), Failure> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| Failure::io(std::io::Error::other(e)))?;
        self.text(&format!("{text}\n"))
    }

    /// Writes `value` as one line of JSON (JSON lines output).
    pub(crate) fn json_line<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), Failure> {
        let text =
            serde_json::to_string(value).map_err(|e| Failure::io(std::io::Error::other(e)))?;
        self.text(&format!("{text}\n"))
    }
}

/// Serializes any model to a JSON object, to which derived fields are added.
pub(crate) fn object<T: Serialize>(value: &T) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}
