//! `rkoji watch-task ID...`: follow task trees to their end, as `koji
//! watch-task` does, with one hub request per poll and an ETA for open
//! tasks. Also what `rkoji build` runs after submitting.
//!
//! With a broker (`--broker URL`, or the profile's `broker` option, which
//! koji ignores) the watch follows the message bus: a task message makes
//! it look at once, and it polls only every [`RECONCILE_INTERVAL`] to
//! catch what a message missed; while the broker is unreachable it polls
//! every `poll_interval`, as koji does. `--no-bus` polls only.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt;
use koji_client::TaskState;
use koji_client::watch::{TaskUpdate, WatchDriver, WatchEvent, WatchSummary};
use serde_json::json;

use super::common::Ctx;
use super::watch::{Broker, Subscription, open_streams};
use crate::failure::{EXIT_FAULT, Failure};
use crate::interrupt::Interrupt;

/// How often a bus-driven watch still polls, to reconcile.
pub(crate) const RECONCILE_INTERVAL: Duration = Duration::from_secs(60);

/// The message-bus options of `watch-task` and `build`.
#[derive(Debug, Default, Clone, clap::Args)]
pub(crate) struct BusArgs {
    /// Follow the message bus at this broker (URL forms as `rkoji watch
    /// --broker`): a state change shows at once, and the hub is polled only
    /// to reconcile. Default: the profile's `broker` option.
    #[arg(long, value_name = "URL", conflicts_with = "no_bus")]
    pub(crate) broker: Option<String>,
    /// Poll every poll_interval only, even when the profile names a broker.
    #[arg(long)]
    pub(crate) no_bus: bool,
}

impl BusArgs {
    /// The broker to follow: `--broker`, else the profile's `broker`
    /// option; none with `--no-bus`.
    fn broker(&self, ctx: &Ctx) -> Result<Option<Broker>, Failure> {
        if self.no_bus {
            return Ok(None);
        }
        if let Some(url) = &self.broker {
            return Broker::parse(url).map(Some);
        }
        match ctx.profile.get("broker").map(str::trim) {
            None | Some("") => Ok(None),
            Some(url) => Broker::parse(url).map(Some).map_err(|f| Failure {
                message: format!(
                    "profile option broker: {}",
                    f.message.trim_start_matches("--broker ")
                ),
                ..f
            }),
        }
    }
}

/// Watches `ids` and exits like koji: 0 when every task closed, 1 when one
/// failed or was canceled, 1 on Ctrl-C (the tasks are left alone).
pub(crate) async fn run(ctx: &Ctx, ids: &[i64], bus: &BusArgs) -> Result<(), Failure> {
    watch_with(ctx, ids, bus).await
}

/// `free`, `open (builder1)`, `closed`, `FAILED: <text>`, as koji shows them.
fn state_text(state: &TaskState, host: Option<&str>, failure: Option<&str>) -> String {
    match state {
        TaskState::Open | TaskState::Assigned => match host {
            Some(h) => format!("{} ({h})", state.to_string().to_lowercase()),
            None => state.to_string().to_lowercase(),
        },
        TaskState::Failed => format!("FAILED: {}", failure.unwrap_or("")),
        other => other.to_string().to_lowercase(),
    }
}

fn line(t: &TaskUpdate, old: Option<&(TaskState, Option<String>)>) -> String {
    let indent = "  ".repeat(t.depth);
    let new = state_text(&t.new, t.host.as_deref(), t.failure.as_deref());
    let mut text = match old {
        None => format!("{indent}{} {}: {new}", t.id, t.label),
        Some((s, h)) => format!(
            "{indent}{} {}: {} -> {new}",
            t.id,
            t.label,
            state_text(s, h.as_deref(), None)
        ),
    };
    if let Some(eta) = t.eta {
        let left = eta.duration_since(jiff::Timestamp::now());
        let mins = left.as_secs().max(0) / 60;
        text.push_str(&format!(
            " [eta {} (~{mins} min)]",
            eta.strftime("%H:%M:%S UTC")
        ));
    }
    text
}

/// Prints one `--json` event with a `time` member: when it was printed
/// (RFC 3339, UTC, microseconds), so that scripts can tell when a change
/// was seen.
pub(crate) fn json_event(ctx: &Ctx, mut event: serde_json::Value) -> Result<(), Failure> {
    if let Some(map) = event.as_object_mut() {
        map.insert(
            "time".into(),
            json!(format!("{:.6}", jiff::Timestamp::now())),
        );
    }
    ctx.out.json_line(&event)
}

fn event_json(kind: &str, t: &TaskUpdate) -> serde_json::Value {
    json!({
        "event": kind,
        "id": t.id,
        "root": t.root,
        "depth": t.depth,
        "method": t.method,
        "label": t.label,
        "old": t.old.as_ref().map(ToString::to_string),
        "new": t.new.to_string(),
        "host": t.host,
        "eta": t.eta.map(|e| e.to_string()),
        "failure": t.failure,
    })
}

/// Follows the trees, printing each change; the exit status as koji's.
/// The bus is used when the profile names a broker.
pub(crate) async fn watch(ctx: &Ctx, ids: &[i64]) -> Result<(), Failure> {
    watch_with(ctx, ids, &BusArgs::default()).await
}

/// [`watch`], with the bus options given.
pub(crate) async fn watch_with(ctx: &Ctx, ids: &[i64], bus: &BusArgs) -> Result<(), Failure> {
    let broker = bus.broker(ctx)?;
    // koji: "No such task id: N" and exit 1, before anything is watched.
    let found = ctx
        .koji
        .load_tasks(ids.iter().copied())
        .await
        .map_err(|e| ctx.fail(&e))?;
    if let Some((id, _)) = ids.iter().zip(&found).find(|(_, t)| t.is_none()) {
        return Err(Failure::not_found(format!("No such task id: {id}")));
    }
    let poll = Duration::from_secs(ctx.profile.poll_interval().as_secs().max(1));
    let mut builder = ctx
        .koji
        .watch_tasks(ids.iter().copied())
        .poll_interval(poll)
        .reconcile_interval(RECONCILE_INTERVAL);
    if let Some(broker) = &broker {
        let sub = Subscription {
            client: "rkoji-watch-task",
            ..Subscription::default()
        };
        // the default topics need one consumer
        if let Some(events) = open_streams(&sub, &ctx.profile, broker)?.pop() {
            builder = builder.bus(events);
        }
    }
    // Listening before the first line is printed: a Ctrl-C right after it
    // is never lost.
    let mut interrupt = Interrupt::listen();
    let mut events = builder.stream();
    if !ctx.out.json {
        ctx.out
            .text("Watching tasks (this may be safely interrupted)...\n")?;
    }
    let mut shown: BTreeMap<i64, (TaskState, Option<String>, String)> = BTreeMap::new();
    let summary: WatchSummary = loop {
        let next = tokio::select! {
            ev = events.next() => ev,
            () = interrupt.recv() => {
                return Err(interrupted(&shown));
            }
        };
        let Some(ev) = next else {
            return Err(Failure::not_found("the watch ended early"));
        };
        match ev.map_err(|e| ctx.fail(&e))? {
            WatchEvent::Seen(t) | WatchEvent::Changed(t) => {
                let before = shown.get(&t.id).map(|(s, h, _)| (s.clone(), h.clone()));
                if ctx.out.json {
                    let kind = if before.is_none() { "seen" } else { "changed" };
                    json_event(ctx, event_json(kind, &t))?;
                } else {
                    ctx.out.text(&format!("{}\n", line(&t, before.as_ref())))?;
                }
                shown.insert(t.id, (t.new.clone(), t.host.clone(), t.label.clone()));
            }
            WatchEvent::Driver(d) => {
                if ctx.out.json {
                    json_event(
                        ctx,
                        json!({
                            "event": "driver",
                            "driver": match d.driver {
                                WatchDriver::Bus => "bus",
                                _ => "polling",
                            },
                            "reason": d.reason,
                        }),
                    )?;
                } else {
                    match d.driver {
                        WatchDriver::Bus => eprintln!(
                            "Following the message bus (polling every {}s only to reconcile)",
                            RECONCILE_INTERVAL.as_secs()
                        ),
                        _ => eprintln!("Polling every {}s ({})", poll.as_secs(), d.reason),
                    }
                }
            }
            WatchEvent::Done(s) => break s,
            _ => {}
        }
    };
    finish(ctx, &summary)
}

fn finish(ctx: &Ctx, summary: &WatchSummary) -> Result<(), Failure> {
    if ctx.out.json {
        json_event(
            ctx,
            json!({
                "event": "done",
                "success": summary.success(),
                "roots": summary.roots.iter().map(|t| json!({"id": t.id, "label": t.label, "state": t.state.to_string(), "failure": t.failure})).collect::<Vec<_>>(),
                "unsuccessful": summary.unsuccessful.iter().map(|t| json!({"id": t.id, "label": t.label, "state": t.state.to_string(), "failure": t.failure})).collect::<Vec<_>>(),
                "polls": summary.polls,
                "woken_polls": summary.woken_polls,
                "requests": summary.requests,
            }),
        )?;
    } else {
        let mut text = String::from("\n");
        for t in &summary.roots {
            let how = match t.state {
                TaskState::Closed => "completed successfully",
                TaskState::Canceled => "was canceled",
                _ => "failed",
            };
            text.push_str(&format!("{} {how}\n", t.label));
        }
        ctx.out.text(&text)?;
    }
    if summary.success() {
        return Ok(());
    }
    let failed: Vec<String> = summary
        .roots
        .iter()
        .filter(|t| t.state != TaskState::Closed)
        .map(|t| match &t.failure {
            Some(f) => format!("task {} {}: {f}", t.id, t.state.to_string().to_lowercase()),
            None => format!("task {} {}", t.id, t.state.to_string().to_lowercase()),
        })
        .collect();
    Err(Failure {
        code: EXIT_FAULT,
        message: failed.join("; "),
        hint: None,
    })
}

/// Ctrl-C: koji's message, the tasks still running, exit 1.
fn interrupted(shown: &BTreeMap<i64, (TaskState, Option<String>, String)>) -> Failure {
    let running: Vec<String> = shown
        .iter()
        .filter(|(_, (s, _, _))| !s.is_done())
        .map(|(id, (s, _, label))| format!("{id} {label}: {}", s.to_string().to_lowercase()))
        .collect();
    let ids: Vec<String> = shown
        .iter()
        .filter(|(_, (s, _, _))| !s.is_done())
        .map(|(id, _)| id.to_string())
        .collect();
    Failure {
        code: EXIT_FAULT,
        message: format!(
            "Tasks still running. You can continue to watch with the 'rkoji watch-task {}' command.\nRunning Tasks:\n{}",
            ids.join(" "),
            running.join("\n")
        ),
        hint: None,
    }
}
