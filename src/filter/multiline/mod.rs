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
//! Records are updated in place (no allocation for a known connection), and
//! the record of a forgotten connection is kept, with its buffers, for the
//! next new one, so that the steady churn of connections allocates nothing
//! either. A connection id is hashed once per line (twice for a new or
//! forgotten one). Memory is bounded: at most [`MAX_CONNECTIONS`] records
//! are kept, and records idle for [`MAX_IDLE`] (by log time) go first.
//! Idle records are swept whenever the table has doubled since the last
//! sweep, not only when it is full: many connections end without a line
//! that forgets them, and a table kept near the number of live connections
//! stays in the processor's caches.

use std::borrow::Cow;
use std::collections::HashMap;

use foldhash::fast::RandomState;
use std::ops::Range;

use jiff::{SignedDuration, Timestamp};

use crate::filter::tags::{NameId, Role};

/// Connections remembered at once.
pub const MAX_CONNECTIONS: usize = 10_000;
/// A connection silent this long (log time) is forgotten.
pub const MAX_IDLE: SignedDuration = SignedDuration::from_secs(600);
/// The table is first swept for idle records at this size.
const FIRST_SWEEP: usize = 256;
/// A new value buffer holds this many bytes (an IPv6 address, most user
/// names and connection ids), so that a reused one rarely grows.
const BUFFER: usize = 40;

/// A captured group: its name, its role, where it is in the line.
pub type Span = (NameId, Role, Range<usize>);

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
    pub fn groups(&self) -> impl Iterator<Item = (NameId, Role, &'a [u8])> + 'a {
        let hay = self.hay;
        self.spans
            .iter()
            .filter(|(_, role, _)| !role.is_flag())
            .map(move |(n, role, at)| (*n, *role, &hay[at.clone()]))
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
    pub groups: Vec<(NameId, Role, String)>,
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
    /// Buffers of a forgotten connection's values, for the next one.
    spare: Vec<String>,
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
            let slot = match self.groups.iter_mut().position(|(n, _, _)| *n == name) {
                Some(i) => &mut self.groups[i].2,
                None => {
                    let buffer = self.spare.pop().unwrap_or_else(buffer);
                    self.groups.push((name, role, buffer));
                    &mut self.groups.last_mut().expect("just pushed").2
                }
            };
            // A connection's lines mostly repeat its address and user.
            if slot.as_bytes() != value {
                slot.clear();
                slot.push_str(&text(value));
            }
        }
    }

    fn add_user(&mut self, user: Option<&[u8]>) {
        let Some(user) = user.filter(|u| !u.is_empty()) else {
            return;
        };
        let user = text(user);
        if !self.users.iter().any(|u| *u == user) {
            let mut buffer = self.spare.pop().unwrap_or_else(buffer);
            buffer.clear();
            buffer.push_str(&user);
            self.users.push(buffer);
        }
    }

    /// Empties the record for a new connection, keeping its buffers.
    fn reset(&mut self) {
        let mut spare = std::mem::take(&mut self.spare);
        spare.extend(self.groups.drain(..).map(|(_, _, value)| value));
        spare.append(&mut self.users);
        *self = Record {
            groups: std::mem::take(&mut self.groups),
            users: std::mem::take(&mut self.users),
            spare,
            ..Record::default()
        };
    }
}

/// Records by connection id.
#[derive(Debug, Default)]
pub struct MultiLine {
    /// Connection id -> its record in `slots`. foldhash, seeded per
    /// process, hashes a short id in a fraction of SipHash's time (2.7% of
    /// the instructions of `test-filter sshd`) and still resists ids chosen
    /// to collide.
    index: HashMap<Vec<u8>, usize, RandomState>,
    slots: Vec<Record>,
    /// Slots of forgotten connections, free for new ones.
    free: Vec<usize>,
    /// Key buffers of forgotten connections.
    spare_keys: Vec<Vec<u8>>,
    /// The size at which the table is next swept for idle records.
    sweep_at: usize,
}

// Flags of one merge, as bits.
const NOFAIL: u8 = 1;
const FORGET: u8 = 2;
const HAD_FLAG: u8 = 4;
const GAINED: u8 = 8;

impl MultiLine {
    /// Merges `line` into the record of connection `id`. When the line
    /// forgets the connection (`F-MLFFORGET`), the record returned is its
    /// last state, already removed from the table.
    pub fn merge(&mut self, id: &[u8], line: &LineMatch, time: Timestamp) -> &mut Record {
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
        let (slot, known) = self.slot(id, flags & FORGET != 0, time);
        let record = &mut self.slots[slot];
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
        record
    }

    /// The slot of connection `id` (a fresh one for a new connection), and
    /// whether the connection was known. `forget` takes it out of the table.
    fn slot(&mut self, id: &[u8], forget: bool, time: Timestamp) -> (usize, bool) {
        if let Some(&slot) = self.index.get(id) {
            if forget {
                if let Some((key, _)) = self.index.remove_entry(id) {
                    self.spare_keys.push(key);
                }
                self.free.push(slot);
            }
            return (slot, true);
        }
        if self.index.len() >= self.sweep_at.clamp(FIRST_SWEEP, MAX_CONNECTIONS) {
            self.evict(time);
            self.sweep_at = 2 * self.index.len();
        }
        let slot = self.free.pop().unwrap_or_else(|| {
            self.slots.push(Record::default());
            self.slots.len() - 1
        });
        self.slots[slot].reset();
        if forget {
            self.free.push(slot);
        } else {
            let mut key = self
                .spare_keys
                .pop()
                .unwrap_or_else(|| Vec::with_capacity(BUFFER));
            key.clear();
            key.extend_from_slice(id);
            self.index.insert(key, slot);
        }
        (slot, false)
    }

    /// Connections currently remembered.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Drops idle records; if that is not enough, the older half.
    fn evict(&mut self, now: Timestamp) {
        self.drop_where(|r| {
            r.last_seen
                .is_none_or(|t| now.duration_since(t) >= MAX_IDLE)
        });
        if self.index.len() >= MAX_CONNECTIONS {
            let mut times: Vec<Timestamp> = self
                .index
                .values()
                .filter_map(|&slot| self.slots[slot].last_seen)
                .collect();
            times.sort_unstable();
            let median = times.get(times.len() / 2).copied();
            self.drop_where(|r| r.last_seen <= median);
        }
    }

    fn drop_where(&mut self, mut drop: impl FnMut(&Record) -> bool) {
        let (slots, free) = (&self.slots, &mut self.free);
        self.index.retain(|_, &mut slot| {
            let keep = !drop(&slots[slot]);
            if !keep {
                free.push(slot);
            }
            keep
        });
    }
}

fn buffer() -> String {
    String::with_capacity(BUFFER)
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
mod tests;
