//! The ActionsActor's one rebuild path and what leads to it: a batch that
//! finds the table gone, a repair, the check after a quiet transaction
//! during which another process committed ([`crate::actions::quiet`]).

use std::collections::HashSet;
use std::time::Duration;
use std::time::Instant;

use super::{ActionsActor, now_ms};
use crate::actions::ledger::Ledger;
use crate::nft::{self, NftError};

impl ActionsActor {
    /// Adds `bans` in one transaction; when our table was removed under
    /// us, rebuilds it with every active ban and these instead.
    pub(super) fn send(&mut self, bans: &[nft::Ban]) -> Result<(), NftError> {
        let sent = self
            .quiet
            .run(&mut self.nft, bans.len(), |nft| nft.ban(bans));
        self.unsure |= sent.unsure;
        match sent.result {
            Err(e) if e.is_missing_table() => {
                tracing::warn!(
                    "table inet {} is gone (was the ruleset flushed?): rebuilding it",
                    self.config.table
                );
                self.rebuild(bans).map(|_| ())
            }
            other => other,
        }
    }

    /// The one rebuild path: our table replaced, in one transaction, by one
    /// holding every active ban of the ledger and `extra`, and what the
    /// kernel's old table held (an element another process added stays;
    /// a missing table is read in no time). How many bans of ours.
    pub(super) fn rebuild(&mut self, extra: &[nft::Ban]) -> Result<usize, NftError> {
        let mut bans = active_bans(&self.ledger, now_ms());
        bans.extend_from_slice(extra);
        let Self {
            quiet, nft, config, ..
        } = self;
        let done = quiet.run(nft, bans.len(), |nft| nft.setup_with(config, &bans));
        self.unsure |= done.unsure;
        if done.result.is_ok() {
            self.rebuilt = done.generation;
        }
        done.result.map(|()| bans.len())
    }

    /// After a quiet transaction during which another process committed:
    /// checks our table and rebuilds it if it lacks a ban (a few times, if
    /// others keep committing during our rebuilds).
    pub(super) fn settle(&mut self) {
        for _ in 0..3 {
            if !std::mem::take(&mut self.unsure) {
                return;
            }
            let started = Instant::now();
            match self.repair(true, None) {
                Ok(Some(n)) => tracing::warn!(
                    "table inet {}: changed by another process during our transaction; rebuilt it and put {n} ban(s) back in {} ms",
                    self.config.table,
                    started.elapsed().as_millis()
                ),
                Ok(None) => {}
                Err(e) => tracing::error!("{}", self.failed(&e)),
            }
        }
    }

    /// Rebuilds the table and puts the ledger's bans back; `None` when
    /// the damage was committed before our last rebuild (it undid it), or
    /// when `only_if_damaged` and the table holds every ban that has more
    /// than a second left (the kernel may expire the others first).
    pub(super) fn repair(
        &mut self,
        only_if_damaged: bool,
        damage: Option<u32>,
    ) -> Result<Option<usize>, NftError> {
        if let (Some(damage), Some(rebuilt)) = (damage, self.rebuilt) {
            // Generations wrap: "after" is a positive distance.
            if (rebuilt.wrapping_sub(damage) as i32) > 0 {
                return Ok(None);
            }
        }
        if only_if_damaged && self.intact()? {
            return Ok(None);
        }
        self.rebuild(&[]).map(Some)
    }

    /// Whether our table exists and holds every ban of the ledger that has
    /// more than a second left.
    fn intact(&mut self) -> Result<bool, NftError> {
        let table = self.config.table.clone();
        let Some(present) = self.nft.list(&table, None)? else {
            return Ok(false);
        };
        let present: HashSet<(&str, nft::Network)> = present
            .iter()
            .map(|e| (e.jail.as_str(), e.network))
            .collect();
        Ok(self
            .ledger
            .active(now_ms())
            .iter()
            .filter(|b| b.2.is_none_or(|left| left > 1000))
            .all(|(jail, addr, _)| {
                present.contains(&(jail.as_str(), self.config.network_of(jail, *addr)))
            }))
    }
}

/// Every active ban of `ledger` at `now`, with its time left.
fn active_bans(ledger: &Ledger, now: u64) -> Vec<nft::Ban> {
    (ledger.active(now).into_iter())
        .map(|(jail, addr, left)| nft::Ban {
            jail,
            addr,
            timeout: left.map(Duration::from_millis),
        })
        .collect()
}
