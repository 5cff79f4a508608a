//! Multi-line failures: lines that share a connection id (`F-MLFID`, e.g.
//! `sshd[1234]`) are merged into one record, so that a failure can be
//! reported on a later line of the connection, `attempts` counts the merged
//! failure lines and `users` collects every user tried on it.
//!
//! The flags a line can carry:
//! - `F-NOFAIL`: the line belongs to a failure but is not one by itself (a
//!   rejected public key, which a later key may redeem);
//! - `F-MLFGAINED`: the connection gained access; pending failures are
//!   dropped, unless several users were tried (a login as another user does
//!   not forgive earlier failures);
//! - `F-MLFFORGET`: the connection is over; its record is forgotten.
//!
//! A record whose lines named no address waits ("pending") until a later
//! line of the same connection does.
//!
//! Memory is bounded: at most [`MAX_CONNECTIONS`] records are kept, and
//! records idle for [`MAX_IDLE`] (by log time) go first.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

/// Connections remembered at once.
pub const MAX_CONNECTIONS: usize = 10_000;
/// A connection silent this long (log time) is forgotten.
pub const MAX_IDLE: SignedDuration = SignedDuration::from_secs(600);

/// Captured values by name (`user`, `ip4`, ...), owned.
pub type Groups = Vec<(Arc<str>, String)>;

/// What one matched line contributes.
#[derive(Debug, Default)]
pub struct LineMatch {
    pub groups: Groups,
    pub nofail: bool,
    pub gained: bool,
    pub forget: bool,
}

impl LineMatch {
    pub fn get(&self, name: &str) -> Option<&str> {
        get(&self.groups, name)
    }
}

/// Everything known about one connection (or one line, without a connection id).
#[derive(Debug, Clone, Default)]
pub struct Record {
    pub groups: Groups,
    pub users: Vec<String>,
    /// Failure lines merged into the current failure.
    pub matches: u32,
    /// `F-NOFAIL` lines held back; they count once a real failure comes.
    nofail_matches: u32,
    pub nofail: bool,
    gained: bool,
    pub pending: bool,
    last_seen: Option<Timestamp>,
}

impl Record {
    /// The record of a line that belongs to no connection: one attempt.
    pub fn single(groups: Groups) -> Record {
        Record {
            groups,
            matches: 1,
            ..Record::default()
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        get(&self.groups, name)
    }
}

fn get<'a>(groups: &'a Groups, name: &str) -> Option<&'a str> {
    groups
        .iter()
        .find(|(n, _)| &**n == name)
        .map(|(_, v)| v.as_str())
}

/// Records by connection id.
#[derive(Debug, Default)]
pub struct MultiLine {
    records: HashMap<String, Record>,
}

// Flags of one merge, as bits, so that the rules read as fail2ban documents them.
const NOFAIL: u8 = 1;
const FORGET: u8 = 2;
const HAD_FLAG: u8 = 4;
const GAINED: u8 = 8;

impl MultiLine {
    /// Merges `line` into the record of connection `id` and returns the
    /// merged record. Call [`MultiLine::keep`] with it afterwards unless the
    /// connection was forgotten.
    pub fn merge(&mut self, id: &str, mut line: LineMatch, time: Timestamp) -> (Record, bool) {
        let mut flags = 0;
        if line.gained {
            flags |= GAINED | NOFAIL;
            line.nofail = true;
        } else if line.nofail {
            flags |= NOFAIL;
        }
        if line.forget {
            flags |= FORGET;
        }
        let user = line
            .get("user")
            .filter(|u| !u.is_empty())
            .map(str::to_string);
        // Only a line that names a user can reveal that several were tried.
        let names_user = user.is_some();
        let mut record = match self.records.remove(id) {
            Some(mut known) => {
                add_user(&mut known, user);
                if std::mem::take(&mut known.nofail) | std::mem::take(&mut known.gained) {
                    flags |= HAD_FLAG;
                }
                if flags & GAINED != 0 {
                    known.pending = false;
                }
                if flags & HAD_FLAG == 0 && !known.pending {
                    known.matches = 0;
                }
                for (name, value) in line.groups {
                    set(&mut known.groups, name, value);
                }
                known.nofail = line.nofail;
                known.gained = line.gained;
                known
            }
            None => {
                let mut fresh = Record {
                    groups: line.groups,
                    nofail: line.nofail,
                    gained: line.gained,
                    ..Record::default()
                };
                add_user(&mut fresh, user);
                fresh
            }
        };
        if std::mem::take(&mut record.pending) || (names_user && record.users.len() > 1) {
            record.nofail = false;
            flags &= !NOFAIL;
        }
        if flags & NOFAIL == 0 {
            record.matches += std::mem::take(&mut record.nofail_matches) + 1;
        } else if flags & FORGET == 0 {
            record.nofail_matches += 1;
        }
        record.last_seen = Some(time);
        (record, flags & FORGET == 0)
    }

    /// Stores `record` as the state of connection `id`.
    pub fn keep(&mut self, id: &str, record: Record) {
        if self.records.len() >= MAX_CONNECTIONS && !self.records.contains_key(id) {
            self.evict(record.last_seen);
        }
        self.records.insert(id.to_string(), record);
    }

    /// Marks connection `id` as waiting for an address.
    pub fn set_pending(&mut self, id: &str) {
        if let Some(record) = self.records.get_mut(id) {
            record.pending = true;
        }
    }

    /// Connections currently remembered.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Drops idle records; if that is not enough, the older half.
    fn evict(&mut self, now: Option<Timestamp>) {
        if let Some(now) = now {
            self.records.retain(|_, r| {
                r.last_seen
                    .is_some_and(|t| now.duration_since(t) < MAX_IDLE)
            });
        }
        if self.records.len() >= MAX_CONNECTIONS {
            let mut times: Vec<Timestamp> =
                self.records.values().filter_map(|r| r.last_seen).collect();
            times.sort_unstable();
            let median = times.get(times.len() / 2).copied();
            self.records.retain(|_, r| r.last_seen > median);
        }
    }
}

fn add_user(record: &mut Record, user: Option<String>) {
    if let Some(user) = user {
        if !record.users.contains(&user) {
            record.users.push(user);
        }
    }
}

fn set(groups: &mut Groups, name: Arc<str>, value: String) {
    match groups.iter_mut().find(|(n, _)| *n == name) {
        Some(slot) => slot.1 = value,
        None => groups.push((name, value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(pairs: &[(&str, &str)]) -> LineMatch {
        LineMatch {
            groups: pairs
                .iter()
                .map(|(k, v)| (Arc::from(*k), v.to_string()))
                .collect(),
            ..LineMatch::default()
        }
    }

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(secs).unwrap()
    }

    /// Runs a line through merge and keep, as the matcher does.
    fn feed(ml: &mut MultiLine, l: LineMatch) -> Record {
        let (record, keep) = ml.merge("sshd[1]", l, t(0));
        if keep {
            ml.keep("sshd[1]", record.clone());
        }
        record
    }

    #[test]
    fn failures_on_one_connection_count_attempts_and_users() {
        let mut ml = MultiLine::default();
        let first = feed(&mut ml, line(&[("user", "root"), ("ip4", "192.0.2.1")]));
        assert_eq!(
            (first.matches, first.users.clone()),
            (1, vec!["root".to_string()])
        );
        let second = feed(&mut ml, line(&[("user", "sudoer")]));
        assert_eq!(second.matches, 1, "a reported failure starts a new count");
        assert_eq!(second.users, vec!["root".to_string(), "sudoer".to_string()]);
        assert_eq!(
            second.get("ip4"),
            Some("192.0.2.1"),
            "the address is remembered"
        );
    }

    #[test]
    fn nofail_lines_count_once_a_failure_comes() {
        let mut ml = MultiLine::default();
        for _ in 0..2 {
            let mut l = line(&[("user", "git"), ("ip4", "192.0.2.111")]);
            l.nofail = true;
            assert!(feed(&mut ml, l).nofail);
        }
        let fail = feed(&mut ml, line(&[("user", "git")]));
        assert!(!fail.nofail);
        assert_eq!(fail.matches, 3);
    }

    #[test]
    fn forget_drops_the_connection() {
        let mut ml = MultiLine::default();
        feed(&mut ml, line(&[("ip4", "192.0.2.5")]));
        let mut bye = line(&[]);
        bye.forget = true;
        feed(&mut ml, bye);
        assert!(ml.is_empty());
    }

    #[test]
    fn gained_access_forgives_one_user_but_not_several() {
        let mut ml = MultiLine::default();
        feed(&mut ml, line(&[("user", "rda"), ("ip4", "192.0.2.113")]));
        let mut ok = line(&[("user", "rda")]);
        ok.gained = true;
        assert!(feed(&mut ml, ok).nofail, "same user logged in: no failure");

        let mut ml = MultiLine::default();
        feed(&mut ml, line(&[("user", "root"), ("ip4", "192.0.2.114")]));
        let mut ok = line(&[("user", "known")]);
        ok.gained = true;
        assert!(
            !feed(&mut ml, ok).nofail,
            "another user logged in: still a failure"
        );
    }

    #[test]
    fn the_table_is_bounded() {
        let mut ml = MultiLine::default();
        for i in 0..(MAX_CONNECTIONS as i64 * 3) {
            let id = format!("sshd[{i}]");
            let (record, _) = ml.merge(&id, line(&[("ip4", "192.0.2.1")]), t(i));
            ml.keep(&id, record);
        }
        assert!(ml.len() <= MAX_CONNECTIONS);
    }
}
