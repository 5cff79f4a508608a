//! [`Nft::ban`] and [`Nft::unban`]: one transaction per call, whatever the
//! number of addresses.

use super::Nft;
use std::collections::HashMap;

use super::blame::blame;
use super::elements::{Command, Item, RemovalMode, SetChange, SetKind, Verb, group, push_change};
use super::error::NftError;
use super::types::{Ban, JailSpec, NftConfig, Unban};
use super::wire::Batch;

impl Nft {
    /// Adds every ban in one transaction: `nft add element inet T J-v4
    /// { 203.0.113.7 timeout 10m, 192.0.2.0/24 timeout 1h, ... }` per set.
    /// An address or network already banned gets the new timeout.
    pub fn ban(&mut self, bans: &[Ban]) -> Result<(), NftError> {
        self.ban_lifting(&[], bans)
    }

    /// Removes `lift` and adds `bans` in one transaction: a network ban
    /// takes the place of the bans it covers (an interval set refuses
    /// overlapping elements), and no packet meets the set without both.
    pub fn ban_lifting(&mut self, lift: &[Unban], bans: &[Ban]) -> Result<(), NftError> {
        let lifted = group(
            lift.iter().map(|u| (u.jail.as_str(), u.addr, None, None)),
            &self.v6_prefix,
            self.interval_hosts,
        );
        let added = group(
            (bans.iter()).map(|b| (b.jail.as_str(), b.addr, b.timeout, b.comment.as_ref())),
            &self.v6_prefix,
            self.interval_hosts,
        );
        self.apply(&lifted, &added)
    }

    /// Removes every address or network in one transaction: `nft destroy
    /// element inet T J-v4 { 203.0.113.7, ... }`. Absent ones are not an
    /// error.
    pub fn unban(&mut self, unbans: &[Unban]) -> Result<(), NftError> {
        let changes = group(
            unbans.iter().map(|u| (u.jail.as_str(), u.addr, None, None)),
            &self.v6_prefix,
            self.interval_hosts,
        );
        self.apply(&changes, &[])
    }

    /// One transaction: `remove` taken out, then `add` put in (on kernels
    /// before 6.12, `add`'s elements are removed first too, to reset their
    /// timeout).
    fn apply(&mut self, remove: &[SetChange], add: &[SetChange]) -> Result<(), NftError> {
        self.kept = None;
        let mut removals: Vec<&SetChange> = remove.iter().collect();
        if self.removal != RemovalMode::Update {
            removals.extend(add);
        }
        let present = match self.removal {
            RemovalMode::DeletePresent => self.present_items(&removals, !add.is_empty())?,
            _ => Vec::new(),
        };
        let mut batch = Batch::new(self.sock.next_seq());
        let mut commands: Vec<Command> = Vec::new();
        let table = self.table.clone();
        match self.removal {
            RemovalMode::DeletePresent => {
                for change in &present {
                    push_change(&mut batch, &mut commands, &table, change, Verb::Delete);
                }
            }
            _ => {
                for change in removals {
                    push_change(&mut batch, &mut commands, &table, change, Verb::Destroy);
                }
            }
        }
        for change in add {
            push_change(&mut batch, &mut commands, &table, change, Verb::Add);
        }
        if batch.is_empty() {
            return Ok(());
        }
        let sealed = batch.seal();
        self.sock
            .transact(&sealed)
            .map_err(|e| e.into_nft_error(|f| blame(&table, &commands, f)))
    }

    /// For kernels without DESTROYSETELEM: the part of each change whose
    /// networks a dump shows present. A missing set is left for the
    /// transaction to report when adding; when removing nothing is there.
    fn present_items(
        &mut self,
        changes: &[&SetChange],
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
    /// jail and family, each in the set that holds it now ([`SetKind::of`];
    /// a table from before network bans gains its network sets this way). Without privilege there is nothing to carry: the setup
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
            // The set that holds it in the new layout: a network of a
            // jail that no longer bans by that IPv6 prefix goes to the
            // network set, a host stays a host.
            let prefix = jail.v6_prefix.filter(|_| e.network.addr.is_ipv6());
            let kind = SetKind::of(e.network, prefix);
            let interval = kind.interval(prefix, self.interval_hosts);
            let set = format!("{}-{}", jail.name, kind.suffix());
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
