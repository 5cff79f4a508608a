//! The server: owns the configuration, starts, stops and reloads jails,
//! serves the control socket ([`control`], [`protocol`]) and fail2ban's
//! ([`fail2ban`], off by default), and answers status queries.
//! [`actor::ServerActor`] is the shell; [`start`] wires the actors together
//! at start-up.

pub mod actor;
pub mod answer;
pub mod ban_times;
pub mod control;
pub mod fail2ban;
pub mod fail2ban_view;
pub mod jails;
pub mod launch;
mod own;
pub mod protocol;
pub mod reply;
mod sources;
pub mod start;
mod stop_start;

use actix::Message;

pub use actor::ServerActor;
use jails::{NoSuchJail, ReloadSummary};
use protocol::Request;
use reply::{ControlError, ReloadError, Reply};

/// A control request from a client whose user id the socket checked.
/// Sent by a control connection; replies the answer, or why the request
/// was refused or failed.
#[derive(Debug, Message)]
#[rtype(result = "Result<Reply, ControlError>")]
pub struct Control {
    pub request: Request,
    pub uid: u32,
}

/// Re-read the configuration (SIGHUP, `portcullis reload`). Sent by the
/// signal task and by [`Control`]; replies a summary, or the errors of the
/// new configuration (the running one stays).
#[derive(Debug, Message)]
#[rtype(result = "Result<ReloadSummary, ReloadError>")]
pub struct Reload;

/// What fail2ban's `get JAIL failregex|ignoreregex|maxlines|actions` shows
/// of a running jail. Sent by the fail2ban socket; replies the jail's
/// [`fail2ban_view::JailDetails`], or that no such jail runs.
#[derive(Debug, Message)]
#[rtype(result = "Result<fail2ban_view::JailDetails, NoSuchJail>")]
pub struct Details {
    pub jail: String,
}

/// Stop one running jail, or all (fail2ban's `stop JAIL`, `stop --all`):
/// it stops reading, its bans are lifted and it leaves the running set
/// until [`StartJail`] or a reload starts it again. Sent by the fail2ban
/// socket for root; replies the number of bans lifted.
#[derive(Debug, Message)]
#[rtype(result = "Result<usize, ControlError>")]
pub struct StopJails {
    pub only: Option<String>,
}

/// Have every running jail's reader stop and hand over the read positions
/// its unconfirmed batches hold ([`crate::reader::Drain`]). Sent at
/// SIGTERM before the actions' hand-over; replies once all readers did.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct DrainReaders;

/// Start a jail of the configuration that does not run (fail2ban's
/// `start JAIL`; a running jail is left as it is). Sent by the fail2ban
/// socket for root; replies whether it started, or why not.
#[derive(Debug, Message)]
#[rtype(result = "Result<bool, stop_start::StartError>")]
pub struct StartJail {
    pub jail: String,
}
