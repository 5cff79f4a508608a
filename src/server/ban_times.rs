//! `portcullis banned --times`: each ban in force with its start, its end
//! and the time left. The kernel says which bans hold and how long each has
//! left (its element timeouts); the database's records say when each
//! started ([`crate::db::ActiveBans`]). A ban the database has no record of
//! (made in the last 100 ms, before its group commit, or added to our sets
//! by another program) started, as far as the kernel knows, its timeout
//! before its end; a permanent one of those has an unknown start.

use std::collections::HashMap;

use actix::prelude::*;
use serde::{Deserialize, Serialize};

use super::answer::Answer;
use super::reply::{BanEntry, ControlError, Reply};
use crate::actions::{ActionsActor, ListBans};
use crate::db::store::StoredBan;
use crate::db::{ActiveBans, DbActor};
use crate::time::UnixMs;

/// One ban in force, with its times (milliseconds since the Unix epoch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedBan {
    pub jail: String,
    pub address: String,
    /// When the ban started; none for a permanent ban the database has no
    /// record of.
    pub start_ms: Option<u64>,
    /// When it ends; none for a permanent ban.
    pub end_ms: Option<u64>,
    /// Milliseconds left; none for a permanent ban.
    pub remaining_ms: Option<u64>,
}

/// The kernel's `bans` at `now` with the start of each from `records`, in
/// the order of `bans`.
pub fn timed(bans: Vec<BanEntry>, records: &[StoredBan], now: UnixMs) -> Vec<TimedBan> {
    let starts: HashMap<(&str, String), UnixMs> = (records.iter())
        .map(|r| ((r.jail.as_str(), r.addr.to_string()), r.record.start))
        .collect();
    (bans.into_iter())
        .map(|b| {
            let start = starts.get(&(b.jail.as_str(), b.address.clone()));
            let kernel_start = match (b.expires_ms, b.timeout_ms) {
                (Some(left), Some(timeout)) => {
                    Some((now.as_millis() + left).saturating_sub(timeout))
                }
                _ => None,
            };
            TimedBan {
                start_ms: start.map(|s| s.as_millis()).or(kernel_start),
                end_ms: b.expires_ms.map(|left| now.as_millis() + left),
                remaining_ms: b.expires_ms,
                jail: b.jail,
                address: b.address,
            }
        })
        .collect()
}

/// The bans of `jail` (all jails: `None`) with their times.
pub fn answer(actions: Addr<ActionsActor>, db: Addr<DbActor>, jail: Option<String>) -> Answer {
    Box::pin(async move {
        let listed = actions.send(ListBans { jail }).await?;
        let elements = listed.map_err(|e| ControlError::Bans(Box::new(e)))?;
        let records = match db.send(ActiveBans).await {
            Ok(Ok(records)) => records,
            Ok(Err(e)) => {
                let e = crate::error_chain(&e);
                tracing::warn!("ban times: cannot read the ban records, starts unknown: {e}");
                Vec::new()
            }
            Err(gone) => return Err(gone.into()),
        };
        let bans = BanEntry::from_elements(elements, None);
        Ok(Reply::BanTimes(timed(bans, &records, UnixMs::now())))
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::db::store::BanRecord;

    #[test]
    fn each_ban_gets_its_recorded_start_and_its_end_from_the_time_left() {
        let now = UnixMs(1_772_366_400_000);
        let entry = |jail: &str, address: &str, expires_ms| BanEntry {
            jail: jail.into(),
            address: address.into(),
            expires_ms,
            timeout_ms: None,
        };
        let record = |jail: &str, addr: &str, start: u64| StoredBan {
            jail: jail.into(),
            addr: addr.parse().unwrap(),
            record: BanRecord {
                start: UnixMs(start),
                duration: Some(Duration::from_secs(600)),
                origin: None,
            },
        };
        let bans = vec![
            entry("sshd", "192.0.2.7", Some(540_000)),
            entry("sshd", "2001:db8::1", None),
            entry("web", "192.0.2.7", Some(1_000)),
        ];
        let records = [
            record("sshd", "192.0.2.7", now.0 - 60_000),
            record("sshd", "2001:db8::1", now.0 - 5_000),
            // The same address in another jail starts on its own.
            record("mail", "192.0.2.7", 1),
        ];
        let timed = timed(bans, &records, now);
        let row = |t: &TimedBan| (t.start_ms, t.end_ms, t.remaining_ms);
        assert_eq!(
            row(&timed[0]),
            (Some(now.0 - 60_000), Some(now.0 + 540_000), Some(540_000))
        );
        assert_eq!(row(&timed[1]), (Some(now.0 - 5_000), None, None));
        assert_eq!(row(&timed[2]), (None, Some(now.0 + 1_000), Some(1_000)));
        // Without a record, the kernel's timeout says when it began.
        let unrecorded = BanEntry {
            timeout_ms: Some(600_000),
            ..entry("web", "192.0.2.7", Some(1_000))
        };
        let start = super::timed(vec![unrecorded], &[], now)[0].start_ms;
        assert_eq!(start, Some(now.0 + 1_000 - 600_000));
        assert_eq!(
            (timed[2].jail.as_str(), timed[2].address.as_str()),
            ("web", "192.0.2.7")
        );
        assert_eq!(
            serde_json::to_string(&timed[1]).unwrap(),
            r#"{"jail":"sshd","address":"2001:db8::1","start_ms":1772366395000,"end_ms":null,"remaining_ms":null}"#
        );
    }
}
