//! The values the database stores about bans: [`BanRecord`] (one ban, in
//! the `bans` table), [`HistoryRecord`] (how often an address was banned,
//! in `history`) and [`StoredBan`], a record with its key. Times are
//! [`UnixMs`] in memory and integer milliseconds on disk (the JSON field
//! names end in `_ms`), as schema 1 wrote them. Schema 3 adds a ban's
//! `origin`, the fleet node it was taken from, written only when there is
//! one: a schema 2 record reads as a ban of this node.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::network::Network;
use crate::time::UnixMs;

/// One ban as recorded (schema 3; schema 1 also stored a `count` nobody
/// read, which `migrate.rs` drops; schema 2 had no `origin`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BanRecord {
    /// When the kernel took the ban.
    #[serde(rename = "start_ms", with = "millis")]
    pub start: UnixMs,
    /// How long it lasts; `None`: permanent.
    #[serde(rename = "duration_ms", with = "optional_millis")]
    pub duration: Option<Duration>,
    /// The fleet node whose ban this is; none: this node's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

impl BanRecord {
    /// Time left at `now`: `Some(None)` for a permanent ban, `None` once it
    /// ended.
    pub fn remaining(&self, now: UnixMs) -> Option<Option<Duration>> {
        match self.duration {
            None => Some(None),
            Some(d) => {
                let left = self.start.after(d).since(now);
                (!left.is_zero()).then_some(Some(left))
            }
        }
    }

    /// Whether the ban ended before `before` (never for a permanent one).
    pub fn ended_before(&self, before: UnixMs) -> bool {
        self.duration.is_some_and(|d| self.start.after(d) < before)
    }
}

/// How often an address was banned, and when last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HistoryRecord {
    pub count: u32,
    #[serde(rename = "last_ms", with = "millis")]
    pub last: UnixMs,
}

/// A stored ban, with its key fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBan {
    pub jail: String,
    /// The address or network banned.
    pub addr: Network,
    pub record: BanRecord,
}

/// [`UnixMs`] as integer milliseconds.
mod millis {
    use super::UnixMs;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &UnixMs, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(t.as_millis())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<UnixMs, D::Error> {
        u64::deserialize(d).map(UnixMs)
    }
}

/// An optional [`std::time::Duration`] as integer milliseconds or `null`.
mod optional_millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&(d.as_millis().min(u64::MAX as u128) as u64)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Option::<u64>::deserialize(d).map(|ms| ms.map(Duration::from_millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(start: u64, duration: Option<u64>) -> BanRecord {
        BanRecord {
            start: UnixMs(start),
            duration: duration.map(Duration::from_millis),
            origin: None,
        }
    }

    #[test]
    fn the_stored_json_keeps_schema_1s_field_names_and_units() {
        let text = serde_json::to_string(&record(1000, Some(600_000))).unwrap();
        assert_eq!(text, r#"{"start_ms":1000,"duration_ms":600000}"#);
        assert_eq!(
            serde_json::to_string(&record(5, None)).unwrap(),
            r#"{"start_ms":5,"duration_ms":null}"#
        );
        let h = HistoryRecord {
            count: 3,
            last: UnixMs(7),
        };
        let text = serde_json::to_string(&h).unwrap();
        assert_eq!(text, r#"{"count":3,"last_ms":7}"#);
        assert_eq!(serde_json::from_str::<HistoryRecord>(&text).unwrap(), h);
    }

    #[test]
    fn the_origin_is_written_only_for_a_remote_ban() {
        let mut remote = record(1000, Some(600_000));
        remote.origin = Some("gate-2".into());
        let text = serde_json::to_string(&remote).unwrap();
        assert_eq!(
            text,
            r#"{"start_ms":1000,"duration_ms":600000,"origin":"gate-2"}"#
        );
        assert_eq!(serde_json::from_str::<BanRecord>(&text).unwrap(), remote);
        let v2 = r#"{"start_ms":1000,"duration_ms":600000}"#;
        assert_eq!(
            serde_json::from_str::<BanRecord>(v2).unwrap(),
            record(1000, Some(600_000))
        );
    }

    #[test]
    fn a_schema_1_record_is_not_read_as_schema_2() {
        // The migration must run first: a stray count is an error, not
        // silently dropped.
        let v1 = r#"{"start_ms":1,"duration_ms":null,"count":2}"#;
        assert!(serde_json::from_str::<BanRecord>(v1).is_err());
    }

    #[test]
    fn time_left_ends_at_start_plus_duration() {
        let r = record(1000, Some(600_000));
        assert_eq!(
            r.remaining(UnixMs(5000)),
            Some(Some(Duration::from_millis(596_000)))
        );
        assert_eq!(r.remaining(UnixMs(601_000)), None);
        assert_eq!(r.remaining(UnixMs(700_000)), None);
        assert_eq!(record(1000, None).remaining(UnixMs(u64::MAX)), Some(None));
        assert!(r.ended_before(UnixMs(601_001)));
        assert!(!r.ended_before(UnixMs(601_000)));
        assert!(!record(0, None).ended_before(UnixMs(u64::MAX)));
    }
}
