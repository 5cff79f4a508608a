//! portcullis: a fail2ban-class intrusion blocker for Linux.
//!
//! The library holds everything the `portcullis` binary is made of, so that
//! the daemon, the command line and the tests share one implementation:
//!
//! - [`filter`]: log lines in, failures out (regexes, tags, dates, multi-line).
//! - [`nft`]: portcullis's own nftables table over netlink, no actix inside.
//! - [`cli`]: the subcommands that run without the daemon.

pub mod actions;
pub mod cli;
pub mod config;
pub mod db;
pub mod diagnostic;
pub mod fail2ban;
pub mod filter;
pub mod hostaddr;
pub mod jail;
pub mod logging;
pub mod metrics;
pub mod nft;
pub mod notify;
pub mod observer;
pub mod server;
pub mod source;
pub(crate) mod sys;

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
