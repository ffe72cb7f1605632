//! The watcher's message-bus driver: what a message source tells the
//! watcher ([`BusSignal`]), and how a consumer's event stream becomes those
//! signals.

/// What the message bus tells a watcher; see
/// [`WatchBuilder::bus_signals`](super::WatchBuilder::bus_signals).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BusSignal {
    /// A message about this task (a `task.state.change`), with its parent
    /// as the message says (`None`: a top-level task). Only a task being
    /// watched, or a new child of one, makes the watcher poll.
    Task {
        /// The task.
        id: i64,
        /// Its parent, `None` for a top-level task.
        parent: Option<i64>,
    },
    /// A task id, with nothing known of its parent: an unknown id is taken
    /// as a possible new child.
    Id(i64),
    /// The source is connected: messages flow.
    Up,
    /// The source is not connected (why): messages may be lost until the
    /// next [`BusSignal::Up`].
    Down(String),
}

#[cfg(any(feature = "stomp", feature = "amqp", feature = "amqp1"))]
pub(super) use consumer::signals;

#[cfg(any(feature = "stomp", feature = "amqp", feature = "amqp1"))]
mod consumer {
    use futures_util::{Stream, StreamExt};
    use tokio::sync::watch;

    use super::BusSignal;
    use crate::messages::{ConnectionState, EventStream, KojiEvent};

    /// The signal a connection state stands for.
    fn state_signal(state: &ConnectionState) -> BusSignal {
        match state {
            ConnectionState::Connected => BusSignal::Up,
            ConnectionState::Connecting => BusSignal::Down("connecting to the message bus".into()),
            ConnectionState::Lost { error } => {
                BusSignal::Down(format!("lost the message bus: {error}"))
            }
            ConnectionState::Reconnecting { attempt, error } => BusSignal::Down(format!(
                "reconnecting to the message bus (attempt {attempt}): {error}"
            )),
            ConnectionState::Failed => BusSignal::Down("the message consumer failed".into()),
        }
    }

    /// The signal an event stands for: task state changes, and build state
    /// changes by their task; nothing for the rest.
    pub(super) fn event_signal(event: &KojiEvent) -> Option<BusSignal> {
        match event {
            KojiEvent::TaskStateChange(change) => change.task.id.map(|id| BusSignal::Task {
                id,
                parent: change.task.parent,
            }),
            KojiEvent::BuildStateChange(change) => change
                .build
                .task_id
                .map(|id| BusSignal::Task { id, parent: None }),
            _ => None,
        }
    }

    struct Source {
        events: EventStream,
        state: watch::Receiver<ConnectionState>,
        state_alive: bool,
        started: bool,
        ended: bool,
    }

    impl Source {
        async fn next(&mut self) -> Option<BusSignal> {
            if self.ended {
                return None;
            }
            if !self.started {
                self.started = true;
                let now = self.state.borrow_and_update().clone();
                return Some(state_signal(&now));
            }
            loop {
                let state_alive = self.state_alive;
                tokio::select! {
                    changed = self.state.changed(), if state_alive => match changed {
                        Ok(()) => {
                            let now = self.state.borrow_and_update().clone();
                            return Some(state_signal(&now));
                        }
                        Err(_) => self.state_alive = false,
                    },
                    item = self.events.next() => match item {
                        None => {
                            self.ended = true;
                            return Some(BusSignal::Down("the message stream ended".into()));
                        }
                        Some(Err(e)) => {
                            self.ended = true;
                            return Some(BusSignal::Down(e.to_string()));
                        }
                        Some(Ok(event)) => {
                            if let Some(signal) = event_signal(&event) {
                                return Some(signal);
                            }
                        }
                    },
                }
            }
        }
    }

    /// A consumer's events as signals: its connection state first and as
    /// it changes, a signal per task or build state change, and a final
    /// `Down` when it fails or ends.
    pub(in crate::watch) fn signals(events: EventStream) -> impl Stream<Item = BusSignal> + Send {
        let state = events.state();
        let source = Source {
            events,
            state,
            state_alive: true,
            started: false,
            ended: false,
        };
        futures_util::stream::unfold(source, |mut s| async move {
            let signal = s.next().await?;
            Some((signal, s))
        })
    }
}
