//! The server: owns the configuration, starts, stops and reloads jails,
//! serves the control socket ([`control`], [`protocol`]) and answers status
//! queries. [`actor::ServerActor`] is the shell; [`start`] wires the
//! actors together at start-up.

pub mod actor;
pub mod control;
mod own;
pub mod protocol;
mod sources;
pub mod start;

use actix::Message;

pub use actor::ServerActor;
use protocol::{Request, Response};

/// A control request from a client whose user id the socket checked.
/// Sent by a control connection; replies the response to send back.
#[derive(Debug, Message)]
#[rtype(result = "Response")]
pub struct Control {
    pub request: Request,
    pub uid: u32,
}

/// Re-read the configuration (SIGHUP, `portcullis reload`). Sent by the
/// signal task and by [`Control`]; replies a summary, or the errors of the
/// new configuration (the running one stays).
#[derive(Debug, Message)]
#[rtype(result = "Result<String, String>")]
pub struct Reload;
