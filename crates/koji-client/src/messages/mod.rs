//! Koji's message bus: the wire-level pieces every transport needs.
//!
//! - [`topic`]: finding the Koji event in a topic, address, destination or
//!   routing key, whatever prefix the hub or bridge put in front;
//! - [`frame`]: STOMP 1.1/1.2 frames (incremental decoder and encoder);
//! - [`amqp_value`]: the AMQP 1.0 type system and message sections, which
//!   RabbitMQ's STOMP adapter passes through to STOMP consumers.

pub mod amqp_value;
pub mod frame;
pub mod topic;

pub use topic::{Dialect, Topic, TopicKind};
