//! The fleet in the daemon (issue 13): the ClusterActor between this
//! node's actions and NATS JetStream, around the plain cores of
//! [`crate::cluster`] and [`core::Fleet`].
//!
//! Out: the ActionsActor reports every ban and unban the kernel took
//! ([`crate::cluster::Decided`]); the local ones of shared jails join the
//! outbox and are published, retried until JetStream acknowledges them
//! (NATS is never on the ban path). In: [`reader`] reads this node's
//! durable consumer in batches; each message passes
//! [`crate::cluster::Intake`]; a remote ban goes through its jail
//! ([`crate::jail::RemoteBan`]: ignore rules) and into the kernel
//! ([`crate::actions::ApplyRemote`]); an unban lifts only the ban of its
//! origin ([`crate::actions::Unban::Remote`]); the batch is acknowledged
//! only once all of that is done.

pub mod actor;
mod apply;
pub mod core;
mod reader;
mod stored;

use std::collections::HashMap;
use std::time::Duration;

use actix::{Message, Recipient};
use bytes::Bytes;

pub use actor::ClusterActor;
pub use core::FleetStatus;

use crate::cluster::client::Publisher;
use crate::cluster::link::Link;
use crate::jail::RemoteBans;

/// The running jails, by name. Sent by the ServerActor after each start
/// or reload; no reply.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Jails(pub HashMap<String, Recipient<RemoteBans>>);

/// Store the decisions queued and not yet in LMDB. Sent when the daemon
/// stops, before the database's last commit; replies once they are
/// handed to the database.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Persist;

/// The fleet's status. Sent by the ServerActor; replies it.
#[derive(Debug, Message)]
#[rtype(result = "FleetStatus")]
pub struct GetStatus;

/// Messages read from the stream, as (subject, payload). Sent by the
/// reader task; replies once they are applied, so it may acknowledge.
#[derive(Debug, Message)]
#[rtype(result = "()")]
struct Received(Vec<(String, Bytes)>);

/// The link's state and the consumer's lag. Sent by the reader task.
#[derive(Debug, Message)]
#[rtype(result = "()")]
struct Observed {
    link: Link,
    lag: Option<u64>,
}

/// Whether the running jails are known, so batches can be applied. Sent
/// by the reader task before it reads; replies true once they are.
#[derive(Debug, Message)]
#[rtype(result = "bool")]
struct Ready;

/// The publishing side, once a client exists. Sent by the reader task.
#[derive(Message)]
#[rtype(result = "()")]
struct Connected(Publisher);

/// How a publish went: the decisions JetStream acknowledged. Sent by the
/// publishing task to the actor.
#[derive(Debug, Message)]
#[rtype(result = "()")]
struct Sent {
    acknowledged: Vec<crate::cluster::Decision>,
    failed: Option<String>,
}

/// Outbox retries and metrics refresh this often.
const TICK: Duration = Duration::from_secs(1);
