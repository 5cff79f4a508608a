//! [`Stored`]: which of the outbox's decisions are kept in LMDB (the db's
//! outbox table), so decisions made while NATS is unreachable survive a
//! restart. Plain bookkeeping, no actix: the ClusterActor appends what
//! [`Stored::take_unsaved`] gives once per tick, reports the sequence numbers
//! the db gave them ([`Stored::appended`]), and removes what
//! [`Stored::stale`] names: every stored entry the in-memory outbox no
//! longer holds (published, replaced by a newer decision on its subject,
//! expired, evicted, or unreadable).

use std::collections::HashMap;

use crate::cluster::Decision;

/// A decision as the outbox knows it: its subject and id.
pub type Key = (String, String);

#[derive(Debug, Default)]
pub struct Stored {
    /// Queued, not yet appended: key and the decision's JSON.
    unsaved: Vec<(Key, Vec<u8>)>,
    /// Appended: db sequence number -> key.
    saved: HashMap<u64, Key>,
    /// Something changed since the last [`Stored::stale`].
    dirty: bool,
    /// An append is on its way: the next waits for its reply, so a storm
    /// makes a few large db commits, not one per batch of bans.
    appending: bool,
}

impl Stored {
    /// `decision` on `subject` joined the outbox: it is appended next.
    pub fn queue(&mut self, subject: String, decision: &Decision) {
        self.unsaved
            .push(((subject, decision.id.clone()), decision.to_json()));
    }

    /// What to append now (the keys, then the entries, in order): none
    /// while an append is on its way, unless `now` (the daemon stops).
    pub fn take_unsaved(&mut self, now: bool) -> (Vec<Key>, Vec<Vec<u8>>) {
        if self.appending && !now {
            return (Vec::new(), Vec::new());
        }
        let taken: (Vec<Key>, Vec<Vec<u8>>) = std::mem::take(&mut self.unsaved).into_iter().unzip();
        self.appending |= !taken.0.is_empty();
        taken
    }

    /// The db stored `keys` under `seqs` (same order), or failed to
    /// (`None`: those entries stay in memory only); the next append may go.
    pub fn appended(&mut self, keys: Vec<Key>, seqs: Option<&[u64]>) {
        self.appending = false;
        if let Some(seqs) = seqs {
            self.saved.extend(seqs.iter().copied().zip(keys));
            self.dirty = true;
        }
    }

    /// Decisions wait to be appended.
    pub fn has_unsaved(&self) -> bool {
        !self.unsaved.is_empty()
    }

    /// An entry read from the db at start, already queued in the outbox
    /// (or not, when `key` is `None`: unreadable, removed next).
    pub fn restored(&mut self, seq: u64, key: Option<Key>) {
        self.saved.insert(seq, key.unwrap_or_default());
        self.dirty = true;
    }

    /// The outbox changed (a decision published, replaced or dropped).
    pub fn touched(&mut self) {
        self.dirty = true;
    }

    /// Stored entries that `holds(subject, id)` denies: they leave the
    /// db. Only looks when something changed.
    pub fn stale(&mut self, holds: impl Fn(&str, &str) -> bool) -> Vec<u64> {
        if !std::mem::take(&mut self.dirty) {
            return Vec::new();
        }
        let stale: Vec<u64> = (self.saved.iter())
            .filter(|(_, (subject, id))| !holds(subject, id))
            .map(|(seq, _)| *seq)
            .collect();
        for seq in &stale {
            self.saved.remove(seq);
        }
        stale
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{Expiry, Kind};

    fn d(id: &str) -> Decision {
        Decision {
            origin: "a".into(),
            jail: "sshd".into(),
            target: "203.0.113.7".into(),
            kind: Kind::Ban,
            expires: Expiry::At(u64::MAX),
            failures: 5,
            at: 1,
            id: id.into(),
        }
    }

    #[test]
    fn entries_leave_the_db_once_the_outbox_no_longer_holds_them() {
        let mut s = Stored::default();
        s.queue("s1".into(), &d("x"));
        s.queue("s2".into(), &d("y"));
        let (keys, entries) = s.take_unsaved(false);
        assert_eq!(entries, [d("x").to_json(), d("y").to_json()]);
        assert!(s.take_unsaved(false).0.is_empty(), "appended once");
        // One append at a time: what comes meanwhile waits for its reply
        // (unless the daemon stops).
        s.queue("s3".into(), &d("z"));
        assert!(s.take_unsaved(false).0.is_empty());
        s.appended(keys, Some(&[7, 8]));
        assert!(s.has_unsaved());
        let (later, _) = s.take_unsaved(false);
        assert_eq!(later, [("s3".to_string(), "z".to_string())]);
        s.queue("s4".into(), &d("w"));
        assert_eq!(s.take_unsaved(true).0.len(), 1, "at the stop");
        s.appended(later, None);
        assert!(!s.appending);
        // "x" was published (or replaced): its entry goes, "y" stays.
        let mut stale = s.stale(|subject, id| subject == "s2" && id == "y");
        stale.sort();
        assert_eq!(stale, [7]);
        assert_eq!(s.saved.len(), 1);
        // Nothing changed since: no look at all.
        assert!(s.stale(|_, _| false).is_empty());
        s.touched();
        assert_eq!(s.stale(|_, _| false), [8]);
        assert!(s.saved.is_empty());
    }

    #[test]
    fn unreadable_restored_entries_are_removed() {
        let mut s = Stored::default();
        s.restored(3, None);
        s.restored(4, Some(("s1".into(), "x".into())));
        assert_eq!(s.stale(|subject, id| (subject, id) == ("s1", "x")), [3]);
    }
}
