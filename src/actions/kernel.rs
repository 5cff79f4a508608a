//! [`Kernel`]: executes the [`Banner`]'s plans over netlink, each in one
//! transaction on our [`Nft`] handle, big ones with our monitor out of its
//! group ([`Quiet`]). The ActionsActor's operations are the short sequences
//! here: a batch ([`Kernel::flush`]), the one rebuild path
//! ([`Kernel::rebuild`], for a batch that found the table gone, a repair,
//! the restore at start and a reload's setup), the repair and the check
//! after a quiet transaction ([`Kernel::settle`]), unbans. The decisions in
//! them are the [`Banner`]'s, unit-tested without a kernel; the root
//! integration tests (actions_repair, daemon_heal, nft) prove these
//! sequences against the real one.

use std::time::Instant;

use super::Unban;
use super::banner::{Banner, Batch, Effects};
use super::quiet::Quiet;
use crate::cluster::Provenance;
use crate::logging::Notices;
use crate::nft::{self, Element, Membership, Nft, NftError};
use crate::time::UnixMs;

pub struct Kernel {
    nft: Nft,
    quiet: Quiet,
    /// Another process may have changed the ruleset during one of our
    /// quiet transactions: check the table once the batch is recorded.
    unsure: bool,
}

/// What a batch led to.
pub enum Flushed {
    /// Nothing new to ban.
    Nothing,
    /// In the kernel: write `notices` now (counted already), then call
    /// [`Banner::banned`] with the batch.
    Banned {
        batch: Batch,
        notices: Notices,
    },
    Failed(NftError),
}

/// Whether a batch refused with `e` rebuilds the table: our table was
/// removed under us (`nft flush ruleset`); every other error is reported.
pub fn rebuilds_after(e: &NftError) -> bool {
    e.is_missing_table()
}

impl Kernel {
    /// `nft` must already be set up with the banner's layout.
    pub fn new(nft: Nft) -> Kernel {
        Kernel {
            nft,
            quiet: Quiet::default(),
            unsure: false,
        }
    }

    /// Our monitor's subscription, to leave around big transactions.
    pub fn watch(&mut self, membership: Membership) {
        self.quiet = Quiet::new(membership);
    }

    /// Puts the tickets `banner` plans into the kernel in one transaction;
    /// when our table is gone, rebuilds it with every active ban and them.
    pub fn flush(
        &mut self,
        banner: &mut Banner,
        tickets: Vec<super::BanTicket>,
        now: UnixMs,
    ) -> Flushed {
        let Some(batch) = banner.plan(tickets, now) else {
            return Flushed::Nothing;
        };
        let sent = (self.quiet).run(&mut self.nft, batch.bans.len(), |nft| nft.ban(&batch.bans));
        self.unsure |= sent.unsure;
        let result = match sent.result {
            Err(e) if rebuilds_after(&e) => {
                tracing::warn!(
                    "table inet {} is gone (was the ruleset flushed?): rebuilding it",
                    banner.config().table
                );
                self.rebuild(banner, &batch.bans, now).map(|_| ())
            }
            other => other,
        };
        match result {
            Ok(()) => {
                let notices = banner.acknowledged(&batch, Instant::now());
                Flushed::Banned { batch, notices }
            }
            Err(e) => Flushed::Failed(e),
        }
    }

    /// The one rebuild path: our table replaced, in one transaction, by one
    /// holding every active ban of the ledger and `extra`, and what the
    /// kernel's old table held (an element another process added stays;
    /// a missing table is read in no time). How many bans of ours.
    pub fn rebuild(
        &mut self,
        banner: &mut Banner,
        extra: &[nft::Ban],
        now: UnixMs,
    ) -> Result<usize, NftError> {
        let bans = banner.rebuild_bans(extra, now);
        let config = banner.config();
        let done = (self.quiet).run(&mut self.nft, bans.len(), |nft| {
            nft.setup_with(config, &bans)
        });
        self.unsure |= done.unsure;
        if done.result.is_ok() {
            banner.rebuilt(done.generation);
        }
        done.result.map(|()| bans.len())
    }

    /// Rebuilds the table with every ban of the ledger (the restore at
    /// start, a reload's setup); how many bans went in.
    pub fn refill(&mut self, banner: &mut Banner, now: UnixMs) -> Result<usize, NftError> {
        let rebuilt = self.rebuild(banner, &[], now);
        self.settle(banner);
        rebuilt
    }

    /// Rebuilds the table and puts the ledger's bans back; `None` when the
    /// damage was committed before our last rebuild (it undid it), or when
    /// `only_if_damaged` and the table holds every ban that has more than
    /// a second left.
    pub fn repair(
        &mut self,
        banner: &mut Banner,
        only_if_damaged: bool,
        damage: Option<u32>,
        now: UnixMs,
    ) -> Result<Option<usize>, NftError> {
        let repaired = self.check_and_rebuild(banner, only_if_damaged, damage, now);
        self.settle(banner);
        repaired
    }

    fn check_and_rebuild(
        &mut self,
        banner: &mut Banner,
        only_if_damaged: bool,
        damage: Option<u32>,
        now: UnixMs,
    ) -> Result<Option<usize>, NftError> {
        if banner.undone(damage) {
            return Ok(None);
        }
        if only_if_damaged {
            let present = self.nft.list(&banner.config().table, None)?;
            if banner.intact(present.as_deref(), now) {
                return Ok(None);
            }
        }
        self.rebuild(banner, &[], now).map(Some)
    }

    /// After a quiet transaction during which another process committed:
    /// checks our table and rebuilds it if it lacks a ban (a few times, if
    /// others keep committing during our rebuilds).
    pub fn settle(&mut self, banner: &mut Banner) {
        for _ in 0..3 {
            if !std::mem::take(&mut self.unsure) {
                return;
            }
            let started = Instant::now();
            match self.check_and_rebuild(banner, true, None, UnixMs::now()) {
                Ok(Some(n)) => tracing::warn!(
                    "table inet {}: changed by another process during our transaction; rebuilt it and put {n} ban(s) back in {} ms",
                    banner.config().table,
                    started.elapsed().as_millis()
                ),
                Ok(None) => {}
                Err(e) => {
                    banner.netlink_error();
                    tracing::error!("{}", crate::error_chain(&e));
                }
            }
        }
    }

    /// Lifts the bans `msg` names and reports what follows (nothing when
    /// it names none).
    pub fn lift(
        &mut self,
        banner: &mut Banner,
        msg: Unban,
        now: UnixMs,
    ) -> Result<Effects, NftError> {
        let mut remote = None;
        let targets: Vec<nft::Unban> = match msg {
            Unban::One { jail, addr } => vec![nft::Unban { jail, addr }],
            Unban::Remote { origin, jail, addr } => {
                let theirs = banner.origin(&jail, addr) == Some(origin.as_str());
                remote = Some(Provenance::Remote { origin });
                (theirs.then_some(nft::Unban { jail, addr }).into_iter()).collect()
            }
            Unban::All { jail } => (self.listed(banner, jail.as_deref())?.into_iter())
                .map(|e| nft::Unban {
                    jail: e.jail,
                    addr: e.network.addr,
                })
                .collect(),
            Unban::Own { jails, addrs } => {
                let own = banner.own_bans(&jails, &addrs);
                for u in &own {
                    tracing::warn!(
                        "jail {}: {} is now an address of this host: lifting its ban",
                        u.jail,
                        u.addr
                    );
                }
                own
            }
        };
        if targets.is_empty() {
            return Ok(Effects::default());
        }
        self.nft.unban(&banner.distinct(&targets))?;
        let mut effects = banner.unbanned(targets, now);
        if let Some(provenance) = remote {
            effects.applied.iter_mut().for_each(|a| a.provenance = provenance.clone());
        }
        Ok(effects)
    }

    /// The bans in the kernel now, of one jail or all (none without our
    /// table).
    pub fn listed(
        &mut self,
        banner: &Banner,
        jail: Option<&str>,
    ) -> Result<Vec<Element>, NftError> {
        let listed = self.nft.list(&banner.config().table, jail)?;
        Ok(listed.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nft::{Missing, Operation};

    fn add() -> Operation {
        crate::nft::sample_add()
    }

    #[test]
    fn only_a_missing_table_rebuilds_it() {
        let gone = NftError::kernel(add(), libc::ENOENT, Missing::Table);
        assert!(rebuilds_after(&gone));
        let no_set = NftError::kernel(add(), libc::ENOENT, Missing::Set);
        assert!(!rebuilds_after(&no_set));
        let full = NftError::kernel(add(), libc::ENOSPC, Missing::Unknown);
        assert!(!rebuilds_after(&full));
    }
}
