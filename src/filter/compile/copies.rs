//! A faster way to the captures of a fail2ban regex whose conditional
//! groups were distributed into copies of its tail (see
//! [`super::python`]): sshd's `^Failed ...` regex becomes four copies, and
//! on most lines the captures engine would walk the first three to the end
//! before the fourth matches.
//!
//! A set of DFAs, one per copy (the pattern with only that copy able to
//! match), tells in one pass which copies can match at all. The
//! backtracker then runs on the pattern with only those copies left; as a
//! copy that cannot match never contributes a match, leftmost-first
//! priority among the rest, and so the captures, are those of the whole
//! regex. No copy can: no match, without the backtracker.

use regex::bytes::{RegexSet, RegexSetBuilder};
use regex_automata::nfa::thompson::backtrack::BoundedBacktracker;

use super::{REGEX_SIZE_LIMIT, backtracker, parse_bytes};

/// The per-copy DFAs and a backtracker per set of copies.
#[derive(Debug, Clone)]
pub struct Copies {
    set: RegexSet,
    /// Indexed by the bit mask of the copies left; 0 unused.
    variants: Vec<Option<BoundedBacktracker>>,
}

impl Copies {
    /// From `Translation::variants`; `None` if any part does not build.
    pub fn new(variants: &[String], single_line: bool) -> Option<Copies> {
        if variants.len() < 4 || !variants.len().is_power_of_two() {
            return None;
        }
        let singles = (0..variants.len().trailing_zeros()).map(|k| variants[1 << k].as_str());
        let set = RegexSetBuilder::new(singles)
            .unicode(false)
            .size_limit(REGEX_SIZE_LIMIT * 4)
            .build()
            .ok()?;
        let mut built = vec![None];
        for variant in &variants[1..] {
            built.push(Some(backtracker(&parse_bytes(variant), single_line)?));
        }
        Some(Copies {
            set,
            variants: built,
        })
    }

    /// The bit mask of the copies that can match `hay` (0: none can).
    pub fn mask(&self, hay: &[u8]) -> usize {
        self.set.matches(hay).iter().fold(0, |m, k| m | 1 << k)
    }

    /// The backtracker for the copies of `mask`.
    pub fn variant(&self, mask: usize) -> Option<&BoundedBacktracker> {
        self.variants.get(mask)?.as_ref()
    }

    /// How many masks there are.
    pub fn masks(&self) -> usize {
        self.variants.len()
    }
}
