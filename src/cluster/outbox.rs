//! Decisions waiting to be published: made while NATS was unreachable (or
//! not yet acknowledged by JetStream), published in order when it is back.
//!
//! Like the stream, the outbox keeps one decision per subject (a ban then
//! an unban of one address leaves the unban), so a long outage costs one
//! entry per address, not per event; it holds at most `capacity` and, when
//! full, forgets the oldest (counted in `evicted`). It is serde-serialisable
//! (an ordered list) so the daemon can keep it in LMDB across restarts.
//! A decision leaves only when JetStream acknowledged it ([`Outbox::confirm`]
//! with its id): a newer decision on the same subject that arrived
//! meanwhile stays.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::time::UnixMs;

use super::decision::{Decision, Expiry};

/// Default capacity: a day of a busy node's decisions.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// The pending decisions, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "OutboxRecord", into = "OutboxRecord")]
pub struct Outbox {
    capacity: usize,
    next: u64,
    /// Order of arrival -> (subject, decision).
    queue: BTreeMap<u64, (String, Decision)>,
    by_subject: HashMap<String, u64>,
    evicted: u64,
}

/// How an outbox is stored.
#[derive(Serialize, Deserialize)]
struct OutboxRecord {
    capacity: usize,
    evicted: u64,
    pending: Vec<(String, Decision)>,
}

impl From<Outbox> for OutboxRecord {
    fn from(outbox: Outbox) -> OutboxRecord {
        OutboxRecord {
            capacity: outbox.capacity,
            evicted: outbox.evicted,
            pending: outbox.queue.into_values().collect(),
        }
    }
}

impl From<OutboxRecord> for Outbox {
    fn from(record: OutboxRecord) -> Outbox {
        let mut outbox = Outbox::new(record.capacity);
        for (subject, decision) in record.pending {
            outbox.push(subject, decision);
        }
        outbox.evicted += record.evicted;
        outbox
    }
}

impl Outbox {
    pub fn new(capacity: usize) -> Outbox {
        Outbox {
            capacity: capacity.max(1),
            next: 0,
            queue: BTreeMap::new(),
            by_subject: HashMap::new(),
            evicted: 0,
        }
    }

    /// Queues `decision` for `subject`, replacing an older one there.
    pub fn push(&mut self, subject: String, decision: Decision) {
        if let Some(old) = self.by_subject.remove(&subject) {
            self.queue.remove(&old);
        } else if self.queue.len() >= self.capacity
            && let Some((_, (old_subject, _))) = self.queue.pop_first()
        {
            self.by_subject.remove(&old_subject);
            self.evicted += 1;
        }
        let seq = self.next;
        self.next += 1;
        self.by_subject.insert(subject.clone(), seq);
        self.queue.insert(seq, (subject, decision));
    }

    /// Up to `max` pending decisions, oldest first, with their subjects.
    pub fn pending(&self, max: usize) -> impl Iterator<Item = (&str, &Decision)> {
        self.queue.values().take(max).map(|(s, d)| (s.as_str(), d))
    }

    /// JetStream acknowledged decision `id` on `subject`: it leaves,
    /// unless a newer one replaced it meanwhile.
    pub fn confirm(&mut self, subject: &str, id: &str) {
        let Some(&seq) = self.by_subject.get(subject) else {
            return;
        };
        if self.queue.get(&seq).is_some_and(|(_, d)| d.id == id) {
            self.queue.remove(&seq);
            self.by_subject.remove(subject);
        }
    }

    /// Whether a decision waits on `subject`.
    pub fn has_subject(&self, subject: &str) -> bool {
        self.by_subject.contains_key(subject)
    }

    /// Whether decision `id` is still waiting on `subject`.
    pub fn holds(&self, subject: &str, id: &str) -> bool {
        (self.by_subject.get(subject))
            .and_then(|seq| self.queue.get(seq))
            .is_some_and(|(_, d)| d.id == id)
    }

    /// Forgets decisions that ended before `now`: nobody needs them.
    pub fn drop_expired(&mut self, now: UnixMs) -> usize {
        let expired: Vec<u64> = self
            .queue
            .iter()
            .filter(|(_, (_, d))| matches!(d.expires, Expiry::At(end) if end <= now.as_millis()))
            .map(|(seq, _)| *seq)
            .collect();
        for seq in &expired {
            if let Some((subject, _)) = self.queue.remove(seq) {
                self.by_subject.remove(&subject);
            }
        }
        expired.len()
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Decisions forgotten because the outbox was full.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::decision::Kind;

    fn d(id: &str, kind: Kind, end: u64) -> Decision {
        Decision {
            origin: "a".into(),
            jail: "sshd".into(),
            target: "203.0.113.7".into(),
            kind,
            expires: Expiry::At(end),
            failures: 1,
            at: 0,
            id: id.into(),
        }
    }

    fn ids(outbox: &Outbox) -> Vec<String> {
        outbox
            .pending(usize::MAX)
            .map(|(_, d)| d.id.clone())
            .collect()
    }

    #[test]
    fn one_decision_per_subject_in_order_of_the_latest() {
        let mut o = Outbox::new(10);
        o.push("s1".into(), d("ban1", Kind::Ban, 100));
        o.push("s2".into(), d("ban2", Kind::Ban, 100));
        o.push("s1".into(), d("unban1", Kind::Unban, 100));
        assert_eq!(ids(&o), ["ban2", "unban1"]);
        assert_eq!(o.len(), 2);
    }

    #[test]
    fn confirm_removes_only_the_acknowledged_decision() {
        let mut o = Outbox::new(10);
        o.push("s1".into(), d("ban1", Kind::Ban, 100));
        o.push("s1".into(), d("unban1", Kind::Unban, 100));
        o.confirm("s1", "ban1");
        assert_eq!(ids(&o), ["unban1"]);
        o.confirm("s1", "unban1");
        o.confirm("nowhere", "x");
        assert!(o.is_empty());
    }

    #[test]
    fn full_outbox_forgets_the_oldest_and_counts_it() {
        let mut o = Outbox::new(3);
        for i in 0..5 {
            o.push(format!("s{i}"), d(&format!("b{i}"), Kind::Ban, 100));
        }
        assert_eq!(ids(&o), ["b2", "b3", "b4"]);
        assert_eq!(o.evicted(), 2);
    }

    #[test]
    fn expired_decisions_are_dropped() {
        let mut o = Outbox::new(10);
        o.push("s1".into(), d("b1", Kind::Ban, 100));
        o.push("s2".into(), d("b2", Kind::Ban, 300));
        let mut p = d("b3", Kind::Ban, 0);
        p.expires = Expiry::Permanent;
        o.push("s3".into(), p);
        assert_eq!(o.drop_expired(UnixMs(100)), 1);
        assert_eq!(ids(&o), ["b2", "b3"]);
        o.push("s1".into(), d("b4", Kind::Ban, 500));
        assert_eq!(ids(&o), ["b2", "b3", "b4"]);
    }

    #[test]
    fn survives_a_round_trip_through_its_stored_form() {
        let mut o = Outbox::new(3);
        for i in 0..4 {
            o.push(format!("s{i}"), d(&format!("b{i}"), Kind::Ban, 100));
        }
        let json = serde_json::to_string(&o).unwrap();
        assert!(
            json.starts_with(r#"{"capacity":3,"evicted":1,"pending":[["s1","#),
            "{json}"
        );
        let back: Outbox = serde_json::from_str(&json).unwrap();
        assert_eq!(ids(&back), ids(&o));
        assert_eq!(back.evicted(), 1);
        let mut back = back;
        back.confirm("s2", "b2");
        assert_eq!(ids(&back), ["b1", "b3"]);
    }
}
