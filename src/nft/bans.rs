//! [`Nft::ban`] and [`Nft::unban`]: one transaction per call, whatever the
//! number of addresses.

use super::Nft;
use std::collections::HashMap;

use super::blame::blame;
use super::elements::{Command, Item, RemovalMode, SetChange, Verb, group, push_change};
use super::error::NftError;
use super::types::{Ban, JailSpec, NftConfig, Unban};
use super::wire::Batch;

impl Nft {
    /// Adds every ban in one transaction: `nft add element inet T J-v4
    /// { 203.0.113.7 timeout 10m, ... }` per set. An address already banned
    /// gets the new timeout.
    pub fn ban(&mut self, bans: &[Ban]) -> Result<(), NftError> {
        let changes = group(
            bans.iter()
                .map(|b| (b.jail.as_str(), b.addr, b.timeout, b.comment.as_ref())),
            &self.v6_prefix,
        );
        self.apply(&changes, true)
    }

    /// Removes every address in one transaction: `nft destroy element inet
    /// T J-v4 { 203.0.113.7, ... }`. Absent addresses are not an error.
    pub fn unban(&mut self, unbans: &[Unban]) -> Result<(), NftError> {
        let changes = group(
            unbans.iter().map(|u| (u.jail.as_str(), u.addr, None, None)),
            &self.v6_prefix,
        );
        self.apply(&changes, false)
    }

    fn apply(&mut self, changes: &[SetChange], add: bool) -> Result<(), NftError> {
        self.kept = None;
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
                Err(e) if e.is_missing_table() || !add => Default::default(),
                Err(e) => return Err(e),
            };
            let items = change
                .items
                .iter()
                .filter(|i| present.contains(&i.network))
                .cloned()
                .collect();
            out.push(SetChange {
                set: change.set.clone(),
                interval: change.interval,
                items,
            });
        }
        Ok(out)
    }

    /// The bans in our table now that the layout of `config` can hold: same
    /// jail and family, and networks only where the new v6 set is an
    /// interval set. Without privilege there is nothing to carry: the setup
    /// itself then reports the missing CAP_NET_ADMIN. What
    /// [`Nft::list_to_carry`] kept is used instead of a second read.
    pub(crate) fn carried_bans(&mut self, config: &NftConfig) -> Result<Vec<SetChange>, NftError> {
        let kept = self.kept.take().filter(|k| k.table == config.table);
        let listed = match kept {
            Some(kept) => Ok(kept.elements),
            None => self.list(&config.table, None),
        };
        let elements = match listed {
            Ok(Some(elements)) => elements,
            Ok(None) => return Ok(Vec::new()),
            Err(e) if e.is_permission() => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let jails: HashMap<&str, &JailSpec> =
            config.jails.iter().map(|j| (j.name.as_str(), j)).collect();
        let mut changes: Vec<SetChange> = Vec::new();
        for e in elements {
            let Some(jail) = jails.get(e.jail.as_str()) else {
                continue;
            };
            let v6 = e.network.addr.is_ipv6();
            let interval = v6 && jail.v6_prefix.is_some();
            if !interval && !e.network.is_host() {
                continue;
            }
            let set = if v6 { jail.set_v6() } else { jail.set_v4() };
            let item = Item {
                network: e.network,
                timeout: e.timeout,
                expires: e.expires,
                comment: e.comment,
            };
            match changes.iter_mut().find(|c| c.set == set) {
                Some(change) => change.items.push(item),
                None => changes.push(SetChange {
                    set,
                    interval,
                    items: vec![item],
                }),
            }
        }
        Ok(changes)
    }
}
