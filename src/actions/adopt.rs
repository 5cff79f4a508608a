//! Adopting the kernel's bans at start. The kernel's table outlives a
//! crashed daemon: after kill -9 with the table intact, every element the
//! kernel holds in our sets is written back into the database before the
//! restore, whether or not its record reached the disk (records go to the
//! database in group commits, see [`super::GROUP_COMMIT`]). Each adopted
//! record starts when the kernel says the element was added (its timeout
//! minus its time left) and counts once in the history, as its lost record
//! would have: a record that did reach the disk is left as it is. An
//! element's comment is the fleet node a remote ban came from (see
//! [`crate::nft::Comment`]): it becomes the record's origin, so the
//! adopted ban is still that node's to lift.

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
                addr: e.network,
                record: BanRecord {
                    start: UnixMs(now.as_millis().saturating_sub(ran.as_millis() as u64)),
                    duration: e.timeout,
                    origin: e.comment.map(|c| c.to_string()),
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
        let ip = |s: &str| -> IpAddr { s.parse().unwrap() };
        let element = |jail: &str, network, timeout: Option<u64>, left: Option<u64>| Element {
            jail: jail.into(),
            network,
            timeout: timeout.map(Duration::from_secs),
            expires: left.map(Duration::from_secs),
            comment: None,
        };
        let stored = StoredBan {
            jail: "web".into(),
            addr: ip("2001:db8::5").into(),
            record: BanRecord {
                start: UnixMs(0),
                duration: None,
                origin: None,
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
        let got: Vec<(String, Network, u64, Option<u64>)> = (adopted.into_iter())
            .map(|b| {
                let duration = b.record.duration.map(|d| d.as_millis() as u64);
                (b.jail, b.addr, b.record.start.as_millis(), duration)
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "sshd".into(),
                    ip("192.0.2.1").into(),
                    800_000,
                    Some(600_000)
                ),
                ("sshd".into(), ip("192.0.2.2").into(), 1_000_000, None),
            ]
        );
    }

    #[test]
    fn an_elements_comment_becomes_the_adopted_records_origin() {
        let config = NftConfig {
            jails: vec![JailSpec::tcp("sshd", &[22])],
            ..NftConfig::default()
        };
        let element = |addr: &str, comment: Option<&str>| Element {
            jail: "sshd".into(),
            network: Network::host(addr.parse().unwrap()),
            timeout: None,
            expires: None,
            comment: comment.map(|c| crate::nft::Comment::new(c).unwrap()),
        };
        let adopted = unrecorded(
            vec![
                element("192.0.2.1", Some("gate-2")),
                element("192.0.2.2", None),
            ],
            &[],
            &config,
            UnixMs(0),
        );
        let origins: Vec<Option<&str>> = (adopted.iter())
            .map(|b| b.record.origin.as_deref())
            .collect();
        assert_eq!(origins, [Some("gate-2"), None]);
    }
}
