//! The outbox table: what a fleet node decided and has not yet seen
//! acknowledged by its peers' stream, kept across restarts (decisions made
//! while NATS is unreachable go out when it is back, even after a reboot).
//!
//! The database knows nothing of the fleet: an entry is opaque bytes (the
//! decision as it is published), appended under the next sequence number
//! and removed by it. Sequence numbers only grow (the next one is kept in
//! `meta`, so an emptied table never hands an old number out again) and
//! keys are their 20 decimal digits, so LMDB's key order is their order.
//! The table is bounded: an append that takes it over `capacity` drops the
//! oldest entries, and says how many.

use heed::RwTxn;

use super::store::{DbError, Store};

/// The `meta` key of the next sequence number.
const NEXT_KEY: &str = "outbox_next";

/// What an append did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Appended {
    /// The sequence number of each entry, in order.
    pub seqs: Vec<u64>,
    /// The oldest entries dropped to stay within the capacity (this
    /// append's own first ones among them when it alone is over it).
    pub dropped: u64,
}

/// The key of sequence number `seq`.
fn seq_key(seq: u64) -> String {
    format!("{seq:020}")
}

impl Store {
    /// Appends `entries` in one transaction, then drops the oldest entries
    /// beyond `capacity` (at least 1).
    pub fn outbox_append(&self, entries: &[Vec<u8>], capacity: usize) -> Result<Appended, DbError> {
        self.growing(|| self.outbox_append_once(entries, capacity.max(1)))
    }

    fn outbox_append_once(
        &self,
        entries: &[Vec<u8>],
        capacity: usize,
    ) -> Result<Appended, DbError> {
        let mut wtxn = self.env.write_txn().map_err(self.err("begin"))?;
        let mut next = self.outbox_next(&wtxn)?;
        let mut seqs = Vec::with_capacity(entries.len());
        for entry in entries {
            (self.outbox)
                .put(&mut wtxn, &seq_key(next), entry)
                .map_err(self.err("write outbox"))?;
            seqs.push(next);
            next += 1;
        }
        (self.meta)
            .put(&mut wtxn, NEXT_KEY, &next.to_string())
            .map_err(self.err("write meta"))?;
        let dropped = self.outbox_trim(&mut wtxn, capacity)?;
        wtxn.commit().map_err(self.err("commit"))?;
        Ok(Appended { seqs, dropped })
    }

    /// The sequence number the next entry gets.
    fn outbox_next(&self, wtxn: &RwTxn) -> Result<u64, DbError> {
        let stored = (self.meta.get(wtxn, NEXT_KEY)).map_err(self.err("read meta"))?;
        Ok(stored.and_then(|n| n.parse().ok()).unwrap_or(0))
    }

    /// Deletes the oldest entries beyond `capacity`; how many.
    fn outbox_trim(&self, wtxn: &mut RwTxn, capacity: usize) -> Result<u64, DbError> {
        let len = self.outbox.len(wtxn).map_err(self.err("count outbox"))?;
        let over = usize::try_from(len)
            .unwrap_or(usize::MAX)
            .saturating_sub(capacity);
        if over == 0 {
            return Ok(0);
        }
        let mut oldest = Vec::with_capacity(over);
        for item in self
            .outbox
            .iter(wtxn)
            .map_err(self.err("read outbox"))?
            .take(over)
        {
            oldest.push(item.map_err(self.err("read outbox"))?.0.to_string());
        }
        for key in &oldest {
            (self.outbox)
                .delete(wtxn, key)
                .map_err(self.err("trim outbox"))?;
        }
        Ok(oldest.len() as u64)
    }

    /// Up to `max` entries, oldest first, with their sequence numbers.
    pub fn outbox_read(&self, max: usize) -> Result<Vec<(u64, Vec<u8>)>, DbError> {
        let rtxn = self.env.read_txn().map_err(self.err("begin"))?;
        let mut out = Vec::new();
        for item in self
            .outbox
            .iter(&rtxn)
            .map_err(self.err("read outbox"))?
            .take(max)
        {
            let (key, bytes) = item.map_err(self.err("read outbox"))?;
            // Keys are written by this module only; a foreign one is skipped.
            if let Ok(seq) = key.parse() {
                out.push((seq, bytes.to_vec()));
            }
        }
        Ok(out)
    }

    /// Removes the entries `seqs` (absent ones are no error); how many went.
    pub fn outbox_remove(&self, seqs: &[u64]) -> Result<usize, DbError> {
        self.growing(|| {
            let mut wtxn = self.env.write_txn().map_err(self.err("begin"))?;
            let mut removed = 0;
            for seq in seqs {
                let gone = (self.outbox.delete(&mut wtxn, &seq_key(*seq)))
                    .map_err(self.err("delete outbox"))?;
                removed += usize::from(gone);
            }
            wtxn.commit().map_err(self.err("commit"))?;
            Ok(removed)
        })
    }

    /// How many entries wait.
    pub fn outbox_len(&self) -> Result<u64, DbError> {
        let rtxn = self.env.read_txn().map_err(self.err("begin"))?;
        self.outbox.len(&rtxn).map_err(self.err("count outbox"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(items: &[&str]) -> Vec<Vec<u8>> {
        items.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    fn texts(read: &[(u64, Vec<u8>)]) -> Vec<(u64, String)> {
        (read.iter())
            .map(|(seq, b)| (*seq, String::from_utf8(b.clone()).unwrap()))
            .collect()
    }

    #[test]
    fn entries_come_back_in_order_until_removed_and_survive_a_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let a = store.outbox_append(&entries(&["a", "b"]), 10).unwrap();
        assert_eq!(
            a,
            Appended {
                seqs: vec![0, 1],
                dropped: 0
            }
        );
        let b = store.outbox_append(&entries(&["c"]), 10).unwrap();
        assert_eq!(b.seqs, [2]);
        assert_eq!(
            texts(&store.outbox_read(2).unwrap()),
            [(0, "a".into()), (1, "b".into())]
        );
        assert_eq!(store.outbox_remove(&[1, 7]).unwrap(), 1);
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        let read = store.outbox_read(usize::MAX).unwrap();
        assert_eq!(texts(&read), [(0, "a".into()), (2, "c".into())]);
        assert_eq!(store.outbox_len().unwrap(), 2);
    }

    #[test]
    fn sequence_numbers_never_come_back_after_the_table_emptied() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.outbox_append(&entries(&["a", "b"]), 10).unwrap();
        store.outbox_remove(&[0, 1]).unwrap();
        assert_eq!(store.outbox_len().unwrap(), 0);
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.outbox_append(&entries(&["c"]), 10).unwrap().seqs, [2]);
        // Past 10^n the order is still numeric (fixed-width keys).
        for _ in 0..9 {
            store.outbox_append(&entries(&["x"]), 100).unwrap();
        }
        let last = store.outbox_append(&entries(&["y"]), 100).unwrap();
        assert_eq!(last.seqs, [12]);
        let read = store.outbox_read(usize::MAX).unwrap();
        assert_eq!(read.last().map(|r| r.0), Some(12));
        assert!(read.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn a_full_outbox_drops_the_oldest_and_counts_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.outbox_append(&entries(&["a", "b", "c"]), 3).unwrap();
        let more = store.outbox_append(&entries(&["d", "e"]), 3).unwrap();
        assert_eq!(
            more,
            Appended {
                seqs: vec![3, 4],
                dropped: 2
            }
        );
        let read = store.outbox_read(usize::MAX).unwrap();
        assert_eq!(
            texts(&read),
            [(2, "c".into()), (3, "d".into()), (4, "e".into())]
        );
        // One append over the capacity keeps its newest entries.
        let big = store
            .outbox_append(&entries(&["f", "g", "h", "i"]), 2)
            .unwrap();
        assert_eq!(big.dropped, 5);
        let read = store.outbox_read(usize::MAX).unwrap();
        assert_eq!(texts(&read), [(7, "h".into()), (8, "i".into())]);
    }
}
