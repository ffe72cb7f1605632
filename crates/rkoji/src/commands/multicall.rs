//! `rkoji multicall`: JSON lines of calls on stdin, one JSON result per
//! line on stdout, sent in few round trips and printed as they arrive.

use std::io::Write as _;

use futures_util::StreamExt as _;
use koji_client::{JsonItem, JsonOptions, JsonResults, JsonStyle, Struct, Value};
use serde_json::{Map, json};

use super::common::{Ctx, to_value};
use super::login::{login_for_calls, logout_quietly};
use crate::failure::Failure;
use crate::format;

/// One line of `multicall` input.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CallLine {
    method: String,
    #[serde(default)]
    args: Vec<serde_json::Value>,
    #[serde(default)]
    kwargs: Map<String, serde_json::Value>,
}

/// One validated `multicall` input line: its number, method, positional
/// and keyword arguments.
struct QueuedCall {
    line: usize,
    method: String,
    args: Vec<Value>,
    kwargs: Struct,
}

/// Reads and checks every `multicall` input line before anything is sent,
/// so that a bad line fails the run (exit 2, naming the line) with nothing
/// sent and nothing printed. Blank lines are skipped.
fn read_calls(input: impl std::io::BufRead) -> Result<Vec<QueuedCall>, Failure> {
    let mut calls = Vec::new();
    for (n, line) in input.lines().enumerate() {
        let number = n + 1;
        let line = line.map_err(Failure::io)?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |what: String| {
            Failure::usage(format!("stdin line {number}: {what}")).with_hint(
                "each line must be a JSON object {\"method\": \"getBuild\", \"args\": [3], \"kwargs\": {}} (args and kwargs optional)",
            )
        };
        let call: CallLine = serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
        if call.method.trim().is_empty() {
            return Err(bad("the method is empty".to_owned()));
        }
        let args = call
            .args
            .into_iter()
            .map(|a| to_value(a).map_err(|f| bad(f.message)))
            .collect::<Result<Vec<_>, _>>()?;
        let kwargs =
            match to_value(serde_json::Value::Object(call.kwargs)).map_err(|f| bad(f.message))? {
                Value::Struct(kw) => kw,
                _ => Struct::new(),
            };
        calls.push(QueuedCall {
            line: number,
            method: call.method,
            args,
            kwargs,
        });
    }
    Ok(calls)
}

/// Reads the calls on stdin, sends them `batch` per request and prints
/// the results in order, each line as soon as it has arrived (transcoded
/// piece by piece: memory stays bounded whatever the answers' size).
pub(crate) async fn run(ctx: &Ctx, batch: usize) -> Result<(), Failure> {
    if batch == 0 {
        return Err(Failure::usage("--batch must be at least 1"));
    }
    let calls = read_calls(std::io::stdin().lock())?;
    if calls.is_empty() {
        // Nothing to send: no login either.
        return Ok(());
    }
    login_for_calls(ctx).await?;
    let progress = format::progress(calls.len() as u64);
    let bar = progress.clone();
    let mut m = ctx.koji.multicall().max_calls(batch).on_progress(move |p| {
        bar.set_length(p.calls_total as u64);
        bar.set_position(p.calls_done as u64);
    });
    let mut lines = Vec::with_capacity(calls.len());
    for call in calls {
        if call.kwargs.is_empty() {
            m.push(&call.method, call.args);
        } else {
            m.push_with(&call.method, call.args, call.kwargs);
        }
        lines.push(call.line);
    }
    // Each result exactly as serde_json writes it decoded (what this command
    // printed when it collected the results first).
    let result = match m.send_json(JsonOptions::new().style(JsonStyle::SerdeJson)) {
        Ok(results) => print_results(ctx, results).await,
        Err(u) => {
            let line = lines.get(u.index).copied().unwrap_or_default();
            Err(Failure::usage(format!("stdin line {line}: {}", u.error)))
        }
    };
    progress.finish_and_clear();
    logout_quietly(ctx).await;
    result
}

/// Writes each result (or `{"fault": {"code": …, "message": …}}`) as one
/// line of JSON, as it arrives. A chunk that failed as a whole ends the run
/// with its error, after the lines of the calls before it (a line being
/// written is ended first).
async fn print_results(ctx: &Ctx, mut results: JsonResults) -> Result<(), Failure> {
    let mut out = std::io::BufWriter::with_capacity(64 << 10, std::io::stdout());
    let mut mid_line = false;
    let mut failure = None;
    while let Some(item) = results.next().await {
        let written = match item {
            Ok(JsonItem::Piece(json)) => {
                mid_line = true;
                out.write_all(&json)
            }
            Ok(JsonItem::End) => {
                mid_line = false;
                out.write_all(b"\n")
            }
            Ok(JsonItem::Fault(e)) => {
                // The lines before it first (stdout is shared).
                out.flush().map_err(Failure::io)?;
                ctx.out.json_line(&json!({"fault": {
                    "code": e.fault_code(),
                    "message": e.fault_string(),
                }}))?;
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(e) => {
                failure = Some(ctx.fail(&e));
                break;
            }
        };
        written.map_err(Failure::io)?;
    }
    if mid_line {
        out.write_all(b"\n").map_err(Failure::io)?;
    }
    out.flush().map_err(Failure::io)?;
    match failure {
        Some(f) => Err(f),
        None => Ok(()),
    }
}
