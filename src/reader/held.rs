//! [`Held`]: a read position (or journal cursor) is saved only once the
//! bans of the lines before it are in the kernel. Each batch of failures
//! handed to the jail gets a number; the jail replies once the bans it
//! produced are in the kernel (or were decided not to be bans: below
//! maxretry, ignored, already banned). A position to save waits for the
//! last batch sent before it, and for every earlier one (replies may come
//! out of order). A read with no failures while nothing is unconfirmed
//! saves at once, so a quiet log costs no round trip. A `kill -9` may
//! then read some lines again, never skip the lines of a ban that was not
//! in the kernel yet (failure counts do not survive a restart).

use std::collections::{BTreeSet, VecDeque};

use crate::db::{SaveCursor, SavePositions};

/// What the DbActor is asked to save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Save {
    Files(SavePositions),
    Cursor(SaveCursor),
}

impl Save {
    /// Takes `later` into `self` when both wait for the same batch and
    /// are of the same kind (the database keeps the latest per file and
    /// source anyway); gives it back otherwise.
    fn absorb(&mut self, later: Save) -> Option<Save> {
        match (self, later) {
            (Save::Files(mine), Save::Files(later)) if mine.jail == later.jail => {
                for (path, pos) in later.positions {
                    match mine.positions.iter_mut().find(|(p, _)| *p == path) {
                        Some(known) => known.1 = pos,
                        None => mine.positions.push((path, pos)),
                    }
                }
                None
            }
            (Save::Cursor(mine), Save::Cursor(later))
                if (mine.jail == later.jail && mine.source == later.source) =>
            {
                mine.cursor = later.cursor;
                None
            }
            (_, later) => Some(later),
        }
    }
}

/// Batch numbers handed out and confirmed, and the saves that wait.
#[derive(Debug, Default)]
pub struct Held {
    /// The number of the last batch sent (the first one is 1).
    sent: u64,
    /// Every batch up to this number is confirmed.
    through: u64,
    /// Confirmed batches after `through` (a reply that overtook another).
    early: BTreeSet<u64>,
    /// Saves in the order they came, each with the batch it waits for.
    waiting: VecDeque<(u64, Save)>,
}

impl Held {
    /// The number of a batch of failures about to be sent to the jail.
    pub fn next_batch(&mut self) -> u64 {
        self.sent += 1;
        self.sent
    }

    /// `save` to hand to the database now, or `None`: it waits for the
    /// batches sent before it.
    pub fn save(&mut self, save: Save) -> Option<Save> {
        if self.through == self.sent {
            return Some(save);
        }
        let later = match self.waiting.back_mut() {
            Some((batch, last)) if *batch == self.sent => last.absorb(save),
            _ => Some(save),
        };
        if let Some(later) = later {
            self.waiting.push_back((self.sent, later));
        }
        None
    }

    /// The jail confirmed `batch`: the saves no batch holds back any more,
    /// in the order they came.
    pub fn confirmed(&mut self, batch: u64) -> Vec<Save> {
        if batch > self.through {
            self.early.insert(batch);
        }
        while self.early.remove(&(self.through + 1)) {
            self.through += 1;
        }
        let mut released = Vec::new();
        while let Some((batch, _)) = self.waiting.front() {
            if *batch > self.through {
                break;
            }
            released.extend(self.waiting.pop_front().map(|(_, save)| save));
        }
        released
    }

    /// Batches sent and not confirmed yet.
    pub fn unconfirmed(&self) -> u64 {
        self.sent - self.through
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::source::LogPosition;

    fn files(offset: u64) -> Save {
        let pos = LogPosition {
            inode: 1,
            offset,
            first_line_hash: 2,
        };
        Save::Files(SavePositions {
            jail: "sshd".into(),
            positions: vec![(PathBuf::from("/var/log/auth.log"), pos)],
        })
    }

    fn cursor(c: &str) -> Save {
        Save::Cursor(SaveCursor {
            jail: "sshd".into(),
            source: "journal:system".into(),
            cursor: c.into(),
        })
    }

    #[test]
    fn with_nothing_unconfirmed_a_position_is_saved_at_once() {
        let mut held = Held::default();
        assert_eq!(held.save(files(10)), Some(files(10)));
        let b = held.next_batch();
        assert!(held.confirmed(b).is_empty());
        assert_eq!(held.save(cursor("c1")), Some(cursor("c1")));
        assert_eq!(held.unconfirmed(), 0);
    }

    #[test]
    fn a_position_waits_for_the_batch_sent_before_it_and_every_earlier_one() {
        let mut held = Held::default();
        let first = held.next_batch();
        assert_eq!(held.save(files(10)), None, "saved before its bans");
        let second = held.next_batch();
        assert_eq!(held.save(files(20)), None);
        assert_eq!(held.save(cursor("c2")), None);
        assert_eq!(held.unconfirmed(), 2);
        // The second reply overtakes the first: nothing goes yet.
        assert!(held.confirmed(second).is_empty());
        assert_eq!(held.confirmed(first), [files(10), files(20), cursor("c2")]);
        assert_eq!(held.unconfirmed(), 0);
        assert_eq!(held.save(files(30)), Some(files(30)));
    }

    #[test]
    fn saves_behind_the_same_batch_are_merged_so_a_slow_kernel_holds_few() {
        let mut held = Held::default();
        let b = held.next_batch();
        for offset in 1..=100 {
            assert_eq!(held.save(files(offset)), None);
        }
        for c in ["c1", "c2"] {
            assert_eq!(held.save(cursor(c)), None);
        }
        assert_eq!(held.waiting.len(), 2, "{:?}", held.waiting);
        let released = held.confirmed(b);
        let Save::Files(merged) = &released[0] else {
            panic!("{released:?}")
        };
        // One position per file, the latest.
        assert_eq!(merged.positions.len(), 1);
        assert_eq!(merged.positions[0].1.offset, 100);
        assert_eq!(released[1], cursor("c2"));
    }
}
