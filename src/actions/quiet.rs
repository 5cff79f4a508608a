//! Our own big transactions, run with our nftables monitor out of its
//! group. While anyone listens on NFNLGRP_NFTABLES the kernel builds one
//! notification per element inside the transaction (200,000 for a big
//! burst or a rebuild), after the elements are already in, and overruns the
//! listener's buffer; nobody needs them for our own changes. So for a
//! transaction of at least [`QUIET_ABOVE`] elements the monitor leaves the
//! group, and what it could have missed is found out from the ruleset's
//! generation: read before leaving and after joining again, it must have
//! grown by exactly our own commits, else another process committed in
//! between and the caller checks the table ([`Outcome::unsure`]).
//! Reading the generation before leaving and after joining makes the
//! windows overlap: a change is seen by the monitor, or counted, or both.

use crate::nft::{Membership, Nft, NftError};

/// Transactions with fewer elements keep the monitor listening.
pub const QUIET_ABOVE: usize = 256;

#[derive(Default)]
pub struct Quiet {
    membership: Option<Membership>,
}

/// A transaction's result, and whether another process may have changed
/// the ruleset unseen while it ran.
pub struct Outcome<T> {
    pub result: Result<T, NftError>,
    pub unsure: bool,
    /// The ruleset's generation after our commit, when known exactly (a
    /// quiet transaction with nobody else committing meanwhile).
    pub generation: Option<u32>,
}

impl Quiet {
    pub fn new(membership: Membership) -> Quiet {
        Quiet {
            membership: Some(membership),
        }
    }

    /// Runs `op`, one transaction of `elements` elements on `nft`.
    pub fn run<T>(
        &self,
        nft: &mut Nft,
        elements: usize,
        op: impl FnOnce(&mut Nft) -> Result<T, NftError>,
    ) -> Outcome<T> {
        let Some(membership) = self.membership.as_ref().filter(|_| elements >= QUIET_ABOVE) else {
            return Outcome {
                result: op(nft),
                unsure: false,
                generation: None,
            };
        };
        let before = nft.generation().ok();
        if before.is_none() || membership.leave().is_err() {
            return Outcome {
                result: op(nft),
                unsure: false,
                generation: None,
            };
        }
        tracing::debug!("out of the nftables group for a transaction of {elements} element(s)");
        let result = op(nft);
        if let Err(e) = membership.join() {
            tracing::error!(
                "cannot listen to nftables notifications again: {e}; self-healing is blind"
            );
        }
        let ours = u32::from(result.is_ok());
        let after = nft.generation().ok();
        let unsure = match (before, after) {
            (Some(b), Some(a)) => a != b.wrapping_add(ours),
            _ => true,
        };
        let generation = after.filter(|_| !unsure && ours == 1);
        Outcome {
            result,
            unsure,
            generation,
        }
    }
}
