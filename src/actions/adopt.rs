//! Adopting the kernel's bans at start. The kernel's table outlives a
//! crashed daemon: after kill -9 with the table intact, every element the
//! kernel holds in our sets is written back into the database before the
//! restore, whether or not its record reached the disk (records go to the
//! database in group commits, see [`super::GROUP_COMMIT`]). Each adopted
//! record starts when the kernel says the element was added (its timeout
//! minus its time left) and counts once in the history, as its lost record
//! would have: a record that did reach the disk is left as it is.

use std::collections::HashSet;
use std::net::IpAddr;

use crate::db::store::{BanRecord, DbError, Store, StoredBan};
use crate::nft::{Nft, NftConfig, NftError};
use crate::time::UnixMs;

#[derive(Debug, thiserror::Error)]
pub enum AdoptError {
    #[error("cannot read the bans left in the kernel's table")]
    Kernel(#[source] NftError),
    #[error("cannot record the bans left in the kernel's table")]
    Database(#[source] DbError),
}

/// Records the bans the kernel holds in `config`'s table and the database
/// lacks, at `now_ms`; how many.
pub fn adopt(
    nft: &mut Nft,
    store: &Store,
    config: &NftConfig,
    now_ms: u64,
) -> Result<usize, AdoptError> {
    let Some(elements) = nft.list(&config.table, None).map_err(AdoptError::Kernel)? else {
        return Ok(0);
    };
    let known: HashSet<(String, IpAddr)> = (store.active_bans(UnixMs(now_ms)))
        .map_err(AdoptError::Database)?
        .into_iter()
        .map(|b| (b.jail, b.addr))
        .collect();
    let jails: HashSet<&str> = config.jails.iter().map(|j| j.name.as_str()).collect();
    let missing: Vec<StoredBan> = elements
        .into_iter()
        .filter(|e| jails.contains(e.jail.as_str()))
        .filter(|e| !known.contains(&(e.jail.clone(), e.network.addr)))
        .map(|e| {
            let timeout = e.timeout.map(|t| t.as_millis() as u64);
            let left = e.expires.map(|t| t.as_millis() as u64);
            let ran = timeout.zip(left).map_or(0, |(t, l)| t.saturating_sub(l));
            StoredBan {
                jail: e.jail,
                addr: e.network.addr,
                record: BanRecord {
                    start: UnixMs(now_ms.saturating_sub(ran)),
                    duration: e.timeout,
                },
            }
        })
        .collect();
    store.record_bans(&missing).map_err(AdoptError::Database)?;
    Ok(missing.len())
}
