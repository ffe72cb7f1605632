//! Publishes the simulated builder's messages to a broker over AMQP 1.0,
//! the way koji's protonmsg plugin does: one sender link per address
//! (`/topic/koji.task.open`, …), application properties, and the JSON text
//! as an AMQP value body. RabbitMQ's AMQP 1.0 plugin routes `/topic/X` to
//! `amq.topic` with routing key `X`, so STOMP, AMQP 0.9.1 and AMQP 1.0
//! consumers all receive them. Uses fe2o3-amqp (already in the tree for
//! koji-client's AMQP 1.0 consumer).
//!
//! Messages go out one at a time, in order, each settled by the broker
//! before the next. A broker that cannot be reached is retried a few times
//! per message; a message that still cannot be sent is logged and dropped
//! (like protonmsg without its queue), never blocking the hub.

use std::collections::HashMap;
use std::time::Duration;

use fe2o3_amqp::connection::ConnectionHandle;
use fe2o3_amqp::session::SessionHandle;
use fe2o3_amqp::types::messaging::{AmqpValue as Section, ApplicationProperties, Body, Message};
use fe2o3_amqp::types::primitives::{SimpleValue, Value as AmqpValue};
use fe2o3_amqp::{Connection, Sender, Session};
use tokio::sync::mpsc;

use crate::sim::{Prop, Published};

/// Starts the publisher task (on the current runtime); returns its inbox.
pub(crate) fn spawn(url: String) -> mpsc::UnboundedSender<Published> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(run(url, rx));
    tx
}

struct Link {
    connection: ConnectionHandle<()>,
    session: SessionHandle<()>,
    senders: HashMap<String, Sender>,
}

/// The URL without its path (a `/%2F` vhost path is an AMQP 0.9.1 habit).
fn endpoint(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            u.set_path("");
            u.to_string().trim_end_matches('/').to_owned()
        }
        Err(_) => url.to_owned(),
    }
}

/// The URL for logs: no password.
fn shown(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "(unparsable broker URL)".to_owned(),
    }
}

async fn connect(url: &str) -> Result<Link, String> {
    let mut connection = Connection::open("koji-testhub", endpoint(url).as_str())
        .await
        .map_err(|e| format!("connecting: {e}"))?;
    let session = match Session::begin(&mut connection).await {
        Ok(s) => s,
        Err(e) => {
            let _ = connection.close().await;
            return Err(format!("beginning a session: {e}"));
        }
    };
    Ok(Link {
        connection,
        session,
        senders: HashMap::new(),
    })
}

fn message(m: &Published) -> Message<Body<AmqpValue>> {
    let mut props = ApplicationProperties::builder();
    for (k, v) in &m.properties {
        let v = match v {
            Prop::Str(s) => SimpleValue::String(s.clone()),
            Prop::Int(i) => SimpleValue::Long(*i),
            Prop::Null => SimpleValue::Null,
        };
        props = props.insert(k.as_str(), v);
    }
    Message::builder()
        .application_properties(props.build())
        .body(Body::Value(Section(AmqpValue::String(m.body.clone()))))
        .build()
}

impl Link {
    async fn send(&mut self, m: &Published) -> Result<(), String> {
        if !self.senders.contains_key(&m.address) {
            let name = format!("koji-testhub-{}", self.senders.len());
            let sender = Sender::attach(&mut self.session, name, m.address.as_str())
                .await
                .map_err(|e| format!("attaching a sender to {}: {e}", m.address))?;
            self.senders.insert(m.address.clone(), sender);
        }
        let Some(sender) = self.senders.get_mut(&m.address) else {
            return Err("no sender".to_owned());
        };
        let outcome = sender
            .send(message(m))
            .await
            .map_err(|e| format!("sending to {}: {e}", m.address))?;
        outcome
            .accepted_or_else(|o| format!("{} refused: {o:?}", m.address))
            .map(|_| ())
    }

    async fn close(mut self) {
        for (_, s) in self.senders.drain() {
            let _ = s.close().await;
        }
        let _ = self.session.end().await;
        let _ = self.connection.close().await;
    }
}

async fn run(url: String, mut rx: mpsc::UnboundedReceiver<Published>) {
    let mut link: Option<Link> = None;
    while let Some(m) = rx.recv().await {
        let mut sent = false;
        for attempt in 0..5u64 {
            if link.is_none() {
                match connect(&url).await {
                    Ok(l) => link = Some(l),
                    Err(e) => {
                        tracing::warn!("broker {}: {e}", shown(&url));
                        tokio::time::sleep(Duration::from_millis(100 * (attempt + 1))).await;
                        continue;
                    }
                }
            }
            let Some(l) = link.as_mut() else { continue };
            match l.send(&m).await {
                Ok(()) => {
                    sent = true;
                    break;
                }
                Err(e) => {
                    tracing::warn!("broker {}: {e}", shown(&url));
                    if let Some(l) = link.take() {
                        l.close().await;
                    }
                }
            }
        }
        if !sent {
            tracing::warn!("dropped message {} (broker unreachable)", m.address);
        }
    }
    if let Some(l) = link.take() {
        l.close().await;
    }
}
