//! A fleet bans together: this node's bans published to NATS JetStream and
//! the other nodes' bans taken from it (issue 13).
//!
//! A plain core, no actix and no I/O, tested at fixed times:
//! [`settings`] (the `cluster { }` block), [`subject`] (where a decision
//! lives: `PREFIX.<node>.<jail>.<address>`), [`decision`] (the JSON body,
//! and which local bans are published), [`intake`] (what an incoming
//! message becomes, or why it is dropped, with [`limiter`]'s per-origin
//! token buckets), [`outbox`] (decisions waiting for NATS) and [`link`]
//! (reconnect backoff, one log line per state change), [`block`] (a
//! storm's decisions, many to a message). Around it,
//! [`client`]: the async-nats side (connect, stream and durable consumer,
//! publish with `Nats-Msg-Id` through a cloneable `Publisher`, fetch and
//! ack), no actix inside either; the daemon's actor drives both.
//!
//! [`Decided`] is the one actix message, so the actions side can name it.
//!
//! Trust: a message is applied only if its subject's origin (which NATS
//! permissions tie to the publisher's credentials) is the origin its body
//! names, it is not ours, its jail is accepted, its target is a sane
//! address or network and it has not expired; its time is capped at
//! `max-bantime`. Everything else is counted and dropped.

pub mod block;
pub mod client;
pub mod decision;
pub mod intake;
pub mod limiter;
pub mod link;
pub mod outbox;
mod publisher;
pub mod settings;
mod setup;
pub mod subject;

/// Bans and unbans the kernel just took, with where they came from (the
/// one actix message here: the ActionsActor, lower in the module order,
/// sends it to the ClusterActor through a recipient); no reply.
#[derive(Debug, Clone, actix::Message)]
#[rtype(result = "()")]
pub struct Decided(pub Vec<Applied>);

pub use decision::{Applied, Decision, Expiry, Kind, Provenance};
pub use intake::{Intake, Reject, Remote};
pub use outbox::Outbox;
pub use settings::{Auth, ClusterSettings, Jails, SettingsError, Tls};
