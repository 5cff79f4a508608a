//! portcullis: a fail2ban-class intrusion blocker for Linux.
//!
//! The library holds everything the `portcullis` binary is made of, so that
//! the daemon, the command line and the tests share one implementation:
//!
//! The pipeline, in the order a log line travels (each an actor with its
//! logic in plain structs beside it):
//!
//! - [`source`]: reading logs, no actix: files followed across
//!   rotations, the journal and its thread, positions, the line limit.
//! - [`filter`]: log lines in, failures out (regexes, tags, dates,
//!   multi-line); plain code.
//! - [`reader`]: the actor that drives a jail's sources through its
//!   filters, sends the failures to the jail and saves where it stopped.
//! - [`jail`]: failures in, ban requests out (ignore lists, the failure
//!   window).
//! - [`observer`]: ban length from history (bantime increment), the
//!   nftables watcher that heals our table, the host's own addresses.
//! - [`actions`]: bans and unbans batched into netlink transactions, the
//!   ledger of what is banned until when, the one rebuild path.
//! - [`db`]: LMDB (heed): bans, history, log positions, journal cursors.
//! - [`notify`]: programs run after a ban, never on its path.
//! - [`fleet`]: the ClusterActor: this node's bans published to the
//!   fleet, the other nodes' taken through the jails (issue 13).
//! - [`server`]: configuration, jails started, stopped and reloaded, the
//!   control socket.
//!
//! Around it, no actix inside:
//!
//! - [`config`]: the daemon's KDL configuration; [`diagnostic`] renders
//!   its errors (and the filters') at file:line:column.
//! - [`fail2ban`]: fail2ban's own file formats, read as fail2ban reads
//!   them (its INI dialect, filter.d files as filters).
//! - [`import`]: a fail2ban installation's jail.conf/jail.local as one
//!   portcullis configuration, for `import-fail2ban`.
//! - [`nft`]: portcullis's own nftables table over netlink; [`hostaddr`]
//!   the host's addresses over rtnetlink; `sys` the raw socket calls both
//!   share.
//! - [`cluster`]: bans shared with a fleet over NATS JetStream: the plain
//!   core (decisions, subjects, intake checks, outbox) and the NATS client;
//!   [`fleet`] wires it into the daemon.
//! - [`metrics`]: Prometheus counters and their HTTP responder.
//! - [`f2bproto`]: fail2ban's control protocol as plain code, no sockets
//!   (pickle framing, commands, fail2ban's reply shapes); not yet served by
//!   the daemon (issue 15).
//! - [`logging`]: the daemon's log lines.
//! - [`time`]: the one wall-clock type ([`time::UnixMs`]), ban times and
//!   durations as the configuration writes them.
//! - [`cli`]: the subcommands; those that need no daemon call the modules
//!   above directly.

pub mod actions;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod db;
pub mod diagnostic;
pub mod f2bproto;
pub mod fail2ban;
pub mod filter;
pub mod fleet;
pub mod hostaddr;
pub mod import;
pub mod jail;
pub mod logging;
pub mod metrics;
pub mod nft;
pub mod notify;
pub mod observer;
pub mod reader;
pub mod server;
pub mod source;
pub(crate) mod sys;
pub mod time;

/// An error and its causes on one line: `what failed: because: because`.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
