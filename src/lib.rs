//! portcullis: a fail2ban-class intrusion blocker for Linux.
//!
//! The library holds everything the `portcullis` binary is made of, so that
//! the daemon, the command line and the tests share one implementation:
//!
//! - [`filter`]: log lines in, failures out (regexes, tags, dates, multi-line).
//! - [`nft`]: portcullis's own nftables table over netlink, no actix inside.
//! - [`cli`]: the subcommands that run without the daemon.

pub mod cli;
pub mod config;
pub mod db;
pub mod diagnostic;
pub mod filter;
pub mod hostaddr;
pub mod jail;
pub mod nft;
pub mod observer;
pub mod source;
