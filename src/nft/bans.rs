//! [`Nft::ban`] and [`Nft::unban`]: one transaction per call, whatever the
//! number of addresses.

use super::Nft;
use super::elements::{Command, RemovalMode, SetChange, Verb, blame, group, push_change};
use super::error::NftError;
use super::types::{Ban, Unban};
use super::wire::Batch;

impl Nft {
    /// Adds every ban in one transaction: `nft add element inet T J-v4
    /// { 203.0.113.7 timeout 10m, ... }` per set. An address already banned
    /// gets the new timeout.
    pub fn ban(&mut self, bans: &[Ban]) -> Result<(), NftError> {
        let changes = group(
            bans.iter().map(|b| (b.jail.as_str(), b.addr, b.timeout)),
            &self.v6_prefix,
        );
        self.apply(&changes, true)
    }

    /// Removes every address in one transaction: `nft destroy element inet
    /// T J-v4 { 203.0.113.7, ... }`. Absent addresses are not an error.
    pub fn unban(&mut self, unbans: &[Unban]) -> Result<(), NftError> {
        let changes = group(
            unbans.iter().map(|u| (u.jail.as_str(), u.addr, None)),
            &self.v6_prefix,
        );
        self.apply(&changes, false)
    }

    fn apply(&mut self, changes: &[SetChange], add: bool) -> Result<(), NftError> {
        let present = match self.removal {
            RemovalMode::DeletePresent => self.present_items(changes, add)?,
            _ => Vec::new(),
        };
        let mut batch = Batch::new(self.sock.next_seq());
        let mut commands: Vec<Command> = Vec::new();
        for (i, change) in changes.iter().enumerate() {
            match self.removal {
                RemovalMode::Update if add => {}
                RemovalMode::Update | RemovalMode::Destroy => push_change(
                    &mut batch,
                    &mut commands,
                    &self.table,
                    change,
                    Verb::Destroy,
                ),
                RemovalMode::DeletePresent => push_change(
                    &mut batch,
                    &mut commands,
                    &self.table,
                    &present[i],
                    Verb::Delete,
                ),
            }
            if add {
                push_change(&mut batch, &mut commands, &self.table, change, Verb::Add);
            }
        }
        if batch.is_empty() {
            return Ok(());
        }
        let sealed = batch.seal();
        let table = self.table.clone();
        self.sock
            .transact(&sealed)
            .map_err(|e| e.into_nft_error(|f| blame(&table, &commands, f)))
    }

    /// For kernels without DESTROYSETELEM: the part of each change whose
    /// networks a dump shows present. A missing set is left for the
    /// transaction to report when adding; when removing nothing is there.
    fn present_items(
        &mut self,
        changes: &[SetChange],
        add: bool,
    ) -> Result<Vec<SetChange>, NftError> {
        let table = self.table.clone();
        let mut out = Vec::with_capacity(changes.len());
        for change in changes {
            let present = match self.present(&table, &change.set, change.interval) {
                Ok(p) => p,
                Err(e) if e.is_missing_table() || !add => {
                    let _ = e;
                    Default::default()
                }
                Err(e) => return Err(e),
            };
            let items = change
                .items
                .iter()
                .filter(|(n, _)| present.contains(n))
                .copied()
                .collect();
            out.push(SetChange {
                set: change.set.clone(),
                interval: change.interval,
                items,
            });
        }
        Ok(out)
    }
}
