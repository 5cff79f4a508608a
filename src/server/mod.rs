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

use actix::Message;

pub use actor::ServerActor;
use jails::ReloadSummary;
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
