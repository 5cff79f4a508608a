//! Multi-line failures: lines that share a connection id (`F-MLFID`, e.g.
//! `sshd[1234]`) are merged into one record, so that a failure can be
//! reported on a later line of the connection, `attempts` counts the merged
//! failure lines and `users` collects every user tried on it.
//!
//! The flags a line can carry:
//! - `F-NOFAIL`: the line belongs to a failure but is not one by itself (a
//!   rejected public key, which a later key may redeem);
//! - `F-MLFGAINED`: the connection gained access; held failures are
//!   forgiven, unless several users were tried (a login as another user does
//!   not forgive earlier failures);
//! - `F-MLFFORGET`: the connection is over; its record is forgotten.
//!
//! A failure whose lines named no address waits ("pending") until a later
//! line of the same connection does.
//!
//! Records are updated in place (no allocation for a known connection).
//! Memory is bounded: at most [`MAX_CONNECTIONS`] records are kept, and
//! records idle for [`MAX_IDLE`] (by log time) go first.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use crate::filter::tags::Role;

/// Connections remembered at once.
pub const MAX_CONNECTIONS: usize = 10_000;
/// A connection silent this long (log time) is forgotten.
pub const MAX_IDLE: SignedDuration = SignedDuration::from_secs(600);

/// A captured group: its name, its role, where it is in the line.
pub type Span = (Arc<str>, Role, Range<usize>);

/// What one matched line contributes: its captures, as spans of the line.
#[derive(Debug)]
pub struct LineMatch<'a> {
    pub hay: &'a [u8],
    pub spans: &'a [Span],
    pub nofail: bool,
    pub gained: bool,
    pub forget: bool,
}

impl<'a> LineMatch<'a> {
    /// Reads the flags from the spans.
    pub fn new(hay: &'a [u8], spans: &'a [Span]) -> LineMatch<'a> {
        let flag = |role: Role| spans.iter().any(|(_, r, at)| *r == role && !at.is_empty());
        LineMatch {
            hay,
            spans,
            nofail: flag(Role::Nofail),
            gained: flag(Role::Gained),
            forget: flag(Role::Forget),
        }
    }

    /// The captures that describe the failure (flags left out).
    pub fn groups(&self) -> impl Iterator<Item = (&'a Arc<str>, Role, &'a [u8])> + 'a {
        let hay = self.hay;
        self.spans
            .iter()
            .filter(|(_, role, _)| !role.is_flag())
            .map(move |(n, role, at)| (n, *role, &hay[at.clone()]))
    }

    /// The value of the group with `role` (not for `Other` or `Alt`).
    pub fn get(&self, role: Role) -> Option<&'a [u8]> {
        self.groups()
            .find(|(_, r, _)| *r == role)
            .map(|(_, _, v)| v)
    }
}

/// Everything known about one connection.
#[derive(Debug, Clone, Default)]
pub struct Record {
    pub groups: Vec<(Arc<str>, Role, String)>,
    pub users: Vec<String>,
    /// Failure lines merged into the current failure.
    pub matches: u32,
    /// `F-NOFAIL` lines held back; they count once a real failure comes.
    nofail_matches: u32,
    /// The connection's latest line was `F-NOFAIL` (or gained access).
    pub nofail: bool,
    gained: bool,
    /// A failure without an address waits for one.
    pub pending: bool,
    last_seen: Option<Timestamp>,
}

impl Record {
    /// The value of the group with `role` (not for `Other` or `Alt`).
    pub fn get(&self, role: Role) -> Option<&str> {
        self.groups
            .iter()
            .find(|(_, r, _)| *r == role)
            .map(|(_, _, v)| v.as_str())
    }

    fn update(&mut self, line: &LineMatch) {
        for (name, role, value) in line.groups() {
            let value = text(value);
            match self
                .groups
                .iter_mut()
                .find(|(n, r, _)| role.same(name, *r, n))
            {
                Some((_, _, slot)) => {
                    slot.clear();
                    slot.push_str(&value);
                }
                None => self
                    .groups
                    .push((Arc::clone(name), role, value.into_owned())),
            }
        }
    }

    fn add_user(&mut self, user: Option<&[u8]>) {
        let Some(user) = user.filter(|u| !u.is_empty()) else {
            return;
        };
        let user = text(user);
        if !self.users.iter().any(|u| *u == user) {
            self.users.push(user.into_owned());
        }
    }
}

/// The record a line was merged into.
pub enum Merged<'a> {
    /// Still remembered.
    Kept(&'a mut Record),
    /// Forgotten (`F-MLFFORGET`): this was its last line.
    Dropped(Record),
}

impl Merged<'_> {
    pub fn record(&mut self) -> &mut Record {
        match self {
            Merged::Kept(r) => r,
            Merged::Dropped(r) => r,
        }
    }
}

/// Records by connection id.
#[derive(Debug, Default)]
pub struct MultiLine {
    records: HashMap<String, Record>,
}

// Flags of one merge, as bits.
const NOFAIL: u8 = 1;
const FORGET: u8 = 2;
const HAD_FLAG: u8 = 4;
const GAINED: u8 = 8;

impl MultiLine {
    /// Merges `line` into the record of connection `id`.
    pub fn merge(&mut self, id: &[u8], line: &LineMatch, time: Timestamp) -> Merged<'_> {
        let mut flags = 0;
        if line.gained {
            flags |= GAINED | NOFAIL;
        } else if line.nofail {
            flags |= NOFAIL;
        }
        if line.forget {
            flags |= FORGET;
        }
        let user = line.get(Role::User).filter(|u| !u.is_empty());
        let id = text(id);
        let known = self.records.contains_key(&*id);
        if !known && self.records.len() >= MAX_CONNECTIONS {
            self.evict(time);
        }
        let mut merged = match (known, flags & FORGET != 0) {
            (true, false) => Merged::Kept(self.records.get_mut(&*id).expect("known")),
            (true, true) => Merged::Dropped(self.records.remove(&*id).expect("known")),
            (false, false) => Merged::Kept(self.records.entry(id.into_owned()).or_default()),
            (false, true) => Merged::Dropped(Record::default()),
        };
        let record = merged.record();
        if known {
            if std::mem::take(&mut record.nofail) | std::mem::take(&mut record.gained) {
                flags |= HAD_FLAG;
            }
            if flags & GAINED != 0 {
                record.pending = false;
            }
            if flags & HAD_FLAG == 0 && !record.pending {
                record.matches = 0;
            }
        }
        record.add_user(user);
        record.update(line);
        record.nofail = flags & NOFAIL != 0;
        record.gained = line.gained;
        // Only a line that names a user can reveal that several were tried.
        if std::mem::take(&mut record.pending) || (user.is_some() && record.users.len() > 1) {
            record.nofail = false;
            flags &= !NOFAIL;
        }
        if flags & NOFAIL == 0 {
            record.matches += std::mem::take(&mut record.nofail_matches) + 1;
        } else if flags & FORGET == 0 {
            record.nofail_matches += 1;
        }
        record.last_seen = Some(time);
        merged
    }

    /// Connections currently remembered.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Drops idle records; if that is not enough, the older half.
    fn evict(&mut self, now: Timestamp) {
        self.records.retain(|_, r| {
            r.last_seen
                .is_some_and(|t| now.duration_since(t) < MAX_IDLE)
        });
        if self.records.len() >= MAX_CONNECTIONS {
            let mut times: Vec<Timestamp> =
                self.records.values().filter_map(|r| r.last_seen).collect();
            times.sort_unstable();
            let median = times.get(times.len() / 2).copied();
            self.records.retain(|_, r| r.last_seen > median);
        }
    }
}

/// A value as text; invalid UTF-8 is replaced (rare, so valid text takes
/// the fast check).
pub fn text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds lines as the matcher does: one haystack, spans into it.
    struct Line {
        hay: String,
        spans: Vec<Span>,
        nofail: bool,
        gained: bool,
        forget: bool,
    }

    impl Line {
        fn new(user: &str, ip4: &str) -> Line {
            let mut line = Line {
                hay: String::new(),
                spans: Vec::new(),
                nofail: false,
                gained: false,
                forget: false,
            };
            for (name, value) in [("user", user), ("ip4", ip4)] {
                if !value.is_empty() {
                    let start = line.hay.len();
                    line.hay.push_str(value);
                    line.spans
                        .push((Arc::from(name), Role::of(name), start..line.hay.len()));
                }
            }
            line
        }

        fn get(&self) -> LineMatch<'_> {
            let mut m = LineMatch::new(self.hay.as_bytes(), &self.spans);
            (m.nofail, m.gained, m.forget) = (self.nofail, self.gained, self.forget);
            m
        }
    }

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(secs).unwrap()
    }

    fn feed(ml: &mut MultiLine, l: &Line) -> Record {
        ml.merge(b"sshd[1]", &l.get(), t(0)).record().clone()
    }

    #[test]
    fn failures_on_one_connection_count_attempts_and_users() {
        let mut ml = MultiLine::default();
        let first = feed(&mut ml, &Line::new("root", "192.0.2.1"));
        assert_eq!(
            (first.matches, first.users.clone()),
            (1, vec!["root".to_string()])
        );
        let second = feed(&mut ml, &Line::new("sudoer", ""));
        assert_eq!(second.matches, 1, "a reported failure starts a new count");
        assert_eq!(second.users, vec!["root".to_string(), "sudoer".to_string()]);
        assert_eq!(
            second.get(Role::Ip4),
            Some("192.0.2.1"),
            "the address is remembered"
        );
    }

    #[test]
    fn nofail_lines_count_once_a_failure_comes() {
        let mut ml = MultiLine::default();
        for _ in 0..2 {
            let mut l = Line::new("git", "192.0.2.111");
            l.nofail = true;
            assert!(feed(&mut ml, &l).nofail);
        }
        let fail = feed(&mut ml, &Line::new("git", ""));
        assert!(!fail.nofail);
        assert_eq!(fail.matches, 3);
    }

    #[test]
    fn forget_drops_the_connection() {
        let mut ml = MultiLine::default();
        feed(&mut ml, &Line::new("", "192.0.2.5"));
        let mut bye = Line::new("", "");
        bye.forget = true;
        let last = feed(&mut ml, &bye);
        assert_eq!(
            last.get(Role::Ip4),
            Some("192.0.2.5"),
            "the last line still sees the record"
        );
        assert!(ml.is_empty());
    }

    #[test]
    fn gained_access_forgives_one_user_but_not_several() {
        let mut ml = MultiLine::default();
        let mut held = Line::new("rda", "192.0.2.113");
        held.nofail = true;
        feed(&mut ml, &held);
        let mut ok = Line::new("rda", "");
        ok.gained = true;
        assert!(feed(&mut ml, &ok).nofail, "same user logged in: no failure");

        let mut ml = MultiLine::default();
        let mut held = Line::new("root", "192.0.2.116");
        held.nofail = true;
        feed(&mut ml, &held);
        feed(&mut ml, &held);
        let mut ok = Line::new("known", "");
        ok.gained = true;
        let record = feed(&mut ml, &ok);
        assert!(!record.nofail, "another user logged in: still a failure");
        assert_eq!(record.matches, 3);
    }

    #[test]
    fn the_table_is_bounded() {
        let mut ml = MultiLine::default();
        let line = Line::new("", "192.0.2.1");
        for i in 0..(MAX_CONNECTIONS as i64 * 3) {
            ml.merge(format!("sshd[{i}]").as_bytes(), &line.get(), t(i));
        }
        assert!(ml.len() <= MAX_CONNECTIONS);
    }
}
