//! Adopting the kernel's bans at start. The kernel's table outlives a
//! crashed daemon: after kill -9 with the table intact, every element the
//! kernel holds in our sets is written back into the database before the
//! restore, whether or not its record reached the disk (records go to the
//! database in group commits, see [`super::GROUP_COMMIT`]). Each adopted
//! record starts when the kernel says the element was added (its timeout
//! minus its time left) and counts once in the history, as its lost record
//! would have: a record that did reach the disk is left as it is.

use std::collections::HashSet;
use std::time::Duration;

use crate::db::store::{BanRecord, DbError, Store, StoredBan};
use crate::nft::{BanKey, Element, Nft, NftConfig, NftError};
use crate::time::UnixMs;

#[derive(Debug, thiserror::Error)]
pub enum AdoptError {
    #[error("cannot read the bans left in the kernel's table")]
    Kernel(#[source] NftError),
    #[error("cannot record the bans left in the kernel's table")]
    Database(#[source] DbError),
}

/// Records the bans the kernel holds in `config`'s table and the database
/// lacks, at `now`; how many.
pub fn adopt(
    nft: &mut Nft,
    store: &Store,
    config: &NftConfig,
    now: UnixMs,
) -> Result<usize, AdoptError> {
    // Kept for the restore's rebuild, which then does not read it again.
    let listed = nft.list_to_carry(&config.table);
    let Some(elements) = listed.map_err(AdoptError::Kernel)? else {
        return Ok(0);
    };
    let stored = store.active_bans(now).map_err(AdoptError::Database)?;
    let missing = unrecorded(elements, &stored, config, now);
    store.record_bans(&missing).map_err(AdoptError::Database)?;
    Ok(missing.len())
}

/// The `elements` of `config`'s jails that no `stored` ban accounts for
/// (same jail and network), as records started when the kernel added them.
fn unrecorded(
    elements: Vec<Element>,
    stored: &[StoredBan],
    config: &NftConfig,
    now: UnixMs,
) -> Vec<StoredBan> {
    let known: HashSet<BanKey> = (stored.iter())
        .map(|b| config.key(&b.jail, b.addr))
        .collect();
    elements
        .into_iter()
        .filter(|e| config.jail(&e.jail).is_some() && !known.contains(&e.key()))
        .map(|e| {
            let ran =
                (e.timeout.zip(e.expires)).map_or(Duration::ZERO, |(t, l)| t.saturating_sub(l));
            StoredBan {
                jail: e.jail,
                addr: e.network.addr,
                record: BanRecord {
                    start: UnixMs(now.as_millis().saturating_sub(ran.as_millis() as u64)),
                    duration: e.timeout,
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;
    use std::time::Duration;

    use super::*;
    use crate::nft::{JailSpec, Network};

    #[test]
    fn elements_without_a_record_are_adopted_from_when_the_kernel_added_them() {
        let mut web = JailSpec::tcp("web", &[80]);
        web.v6_prefix = Some(64);
        let config = NftConfig {
            jails: vec![JailSpec::tcp("sshd", &[22]), web],
            ..NftConfig::default()
        };
        let ip = |s: &str| s.parse().unwrap();
        let element = |jail: &str, network, timeout: Option<u64>, left: Option<u64>| Element {
            jail: jail.into(),
            network,
            timeout: timeout.map(Duration::from_secs),
            expires: left.map(Duration::from_secs),
            comment: None,
        };
        let stored = StoredBan {
            jail: "web".into(),
            addr: ip("2001:db8::5"),
            record: BanRecord {
                start: UnixMs(0),
                duration: None,
            },
        };
        let now = UnixMs(1_000_000);
        let adopted = unrecorded(
            vec![
                element("sshd", Network::host(ip("192.0.2.1")), Some(600), Some(400)),
                element("sshd", Network::host(ip("192.0.2.2")), None, None),
                // Held by the stored ban of 2001:db8::5: same /64.
                element("web", Network::new(ip("2001:db8::"), 64), None, None),
                element("gone", Network::host(ip("192.0.2.3")), None, None),
            ],
            &[stored],
            &config,
            now,
        );
        let got: Vec<(String, IpAddr, u64, Option<u64>)> = (adopted.into_iter())
            .map(|b| {
                let duration = b.record.duration.map(|d| d.as_millis() as u64);
                (b.jail, b.addr, b.record.start.as_millis(), duration)
            })
            .collect();
        assert_eq!(
            got,
            [
                ("sshd".into(), ip("192.0.2.1"), 800_000, Some(600_000)),
                ("sshd".into(), ip("192.0.2.2"), 1_000_000, None),
            ]
        );
    }
}
