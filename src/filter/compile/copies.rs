//! A faster way to the captures of a fail2ban regex whose conditional
//! groups were distributed into copies of its tail (see
//! [`super::python`]): sshd's `^Failed ...` regex becomes four copies, and
//! on most lines the captures engine would walk the first three to the end
//! before the fourth matches.
//!
//! One lazy DFA over the patterns with one copy each (the pattern with
//! only that copy able to match) tells in one pass which copies can match
//! at all ([`Copies::mask`]). The
//! backtracker then runs on the pattern with only those copies left; as a
//! copy that cannot match never contributes a match, leftmost-first
//! priority among the rest, and so the captures, are those of the whole
//! regex. No copy can: no match, without the backtracker.
//!
//! Each variant's backtracker is built without the copies it leaves out
//! ([`prune`]): the backtracker clears a visited set of (NFA states) x
//! (line length) bits on every search, and with sshd's `<HOST>` in each
//! copy the dead copies made most of the states, so clearing that set cost
//! more than the search itself. What is left of a variant with one copy
//! is a plain concatenation; where it has the shape [`RunSplit`] takes
//! (sshd's `[^:]+ from <HOST>...` copy), that split runs before the
//! backtracker and finds the user's end with a substring search instead of
//! walking the run byte by byte.

use std::sync::OnceLock;

use regex_automata::hybrid::LazyStateID;
use regex_automata::hybrid::dfa::{self as lazy, DFA};
use regex_automata::nfa::thompson::backtrack::{self, BoundedBacktracker};
use regex_automata::nfa::thompson::{self, NFA};
use regex_automata::util::captures::Captures;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind};

use super::first_copy::{FirstCopy, FirstCopyCache};
use super::prune::prune;
use super::{REGEX_SIZE_LIMIT, RunSplit, Runs, SplitCache, backtracker, parse_bytes};

/// The DFA over the one-copy patterns and the captures engines per set
/// of copies.
///
/// A variant's engines are built the first time a line needs them: of
/// sshd's 15 sets of copies, a log uses a few, and building them all took
/// more instructions than the filter's other regexes together (1M-line
/// runs of test-filter spent about 3% of their time there).
#[derive(Debug, Clone)]
pub struct Copies {
    /// Pattern k is the regex with only copy k left; every match state
    /// reports all the patterns that match there ([`MatchKind::All`]).
    dfa: DFA,
    /// When the copies are reached in order: the way without the DFA,
    /// tried first ([`FirstCopy`]).
    first: Option<FirstCopy>,
    single_line: bool,
    /// Indexed by the bit mask of the copies left; 0 unused: the pattern
    /// and, once built, its engines (`None`: they do not build).
    variants: Vec<(String, OnceLock<Option<Variant>>)>,
}

/// The captures engines of the pattern with only some copies left.
#[derive(Debug, Clone)]
pub struct Variant {
    pub backtrack: BoundedBacktracker,
    pub split: Option<RunSplit>,
}

impl Variant {
    fn new(pattern: &str, single_line: bool) -> Option<Variant> {
        let pruned = parse_bytes(pattern).map(|hir| prune(&hir));
        let split = pruned
            .as_ref()
            .filter(|_| single_line)
            .and_then(|hir| RunSplit::new(hir, REGEX_SIZE_LIMIT, Runs::ByteClass));
        Some(Variant {
            backtrack: backtracker(&pruned, single_line)?,
            split,
        })
    }
}

/// Scratch space of one [`Copies`]: per mask, made when first needed.
#[derive(Debug, Clone)]
pub struct CopiesCache {
    pub(super) dfa: lazy::Cache,
    first: Option<FirstCopyCache>,
    variants: Vec<Option<VariantCache>>,
}

#[derive(Debug, Clone)]
struct VariantCache {
    backtrack: (backtrack::Cache, Captures),
    split: Option<SplitCache>,
}

impl Copies {
    /// From `Translation::variants` and `in_order`; `None` if the DFA
    /// does not build.
    pub fn new(variants: &[String], single_line: bool, in_order: bool) -> Option<Copies> {
        if variants.len() < 4 || !variants.len().is_power_of_two() {
            return None;
        }
        let singles: Vec<&str> = (0..variants.len().trailing_zeros())
            .map(|k| variants[1 << k].as_str())
            .collect();
        let nfa = NFA::compiler()
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .configure(
                thompson::Config::new()
                    .utf8(false)
                    .which_captures(thompson::WhichCaptures::None)
                    .nfa_size_limit(Some(REGEX_SIZE_LIMIT * 4)),
            )
            .build_many(&singles)
            .ok()?;
        let dfa = DFA::builder()
            .configure(DFA::config().match_kind(MatchKind::All))
            .build_from_nfa(nfa)
            .ok()?;
        let first = (in_order && single_line)
            .then(|| FirstCopy::new(&singles))
            .flatten();
        Some(Copies {
            dfa,
            first,
            single_line,
            variants: variants
                .iter()
                .map(|v| (v.clone(), OnceLock::new()))
                .collect(),
        })
    }

    /// The bit mask of the copies that can match `hay` (0: none can), in
    /// one pass of the DFA that stops where no copy can match any more.
    /// `None` if the DFA gives up (it is not configured to).
    ///
    /// A loop of its own rather than the `RegexSet`'s overlapping search,
    /// which took several times as long a byte (its state machine allows
    /// for resuming a search) and allocated its answer on every line.
    pub fn mask(&self, cache: &mut lazy::Cache, hay: &[u8]) -> Option<usize> {
        let dfa = &self.dfa;
        let mut mask = 0;
        let mut add = |cache: &lazy::Cache, sid: LazyStateID| {
            for i in 0..dfa.match_len(cache, sid) {
                mask |= 1 << dfa.match_pattern(cache, sid, i).as_usize();
            }
        };
        let input = Input::new(hay).anchored(Anchored::Yes);
        let mut sid = dfa.start_state_forward(cache, &input).ok()?;
        for &byte in hay {
            sid = dfa.next_state(cache, sid, byte).ok()?;
            if sid.is_tagged() {
                if sid.is_match() {
                    add(cache, sid);
                }
                if sid.is_dead() {
                    return Some(mask);
                }
                if sid.is_quit() {
                    return None;
                }
            }
        }
        sid = dfa.next_eoi_state(cache, sid).ok()?;
        if sid.is_match() {
            add(cache, sid);
        }
        Some(mask)
    }

    /// The engines for the copies of `mask`, built if need be; `None` if
    /// they do not build.
    pub fn variant(&self, mask: usize) -> Option<&Variant> {
        let (pattern, built) = self.variants.get(mask).filter(|_| mask != 0)?;
        built
            .get_or_init(|| Variant::new(pattern, self.single_line))
            .as_ref()
    }

    /// How many masks there are.
    pub fn masks(&self) -> usize {
        self.variants.len()
    }

    pub fn create_cache(&self) -> CopiesCache {
        CopiesCache {
            dfa: self.dfa.create_cache(),
            first: self.first.as_ref().map(FirstCopy::create_cache),
            variants: vec![None; self.variants.len()],
        }
    }

    /// Takes the captures on `hay`, a line without a newline, and calls
    /// `found` with a lookup of each group's span: `Some(true)`. No copy
    /// can match: `Some(false)`. `None` when these engines cannot tell
    /// (a line too long for the backtracker): the caller then runs the
    /// whole regex.
    pub fn captures(
        &self,
        cache: &mut CopiesCache,
        hay: &[u8],
        found: impl FnOnce(&dyn Fn(usize) -> Option<(usize, usize)>),
    ) -> Option<bool> {
        let mut found = Some(found);
        if let (Some(first), Some(first_cache)) = (&self.first, &mut cache.first) {
            let decided = first.captures(first_cache, hay, |group| {
                if let Some(f) = found.take() {
                    f(group)
                }
            });
            if decided.is_some() {
                return decided;
            }
        }
        let found = found?;
        let mask = self.mask(&mut cache.dfa, hay)?;
        if mask == 0 {
            return Some(false);
        }
        let variant = self.variant(mask)?;
        let slot = cache.variants.get_mut(mask)?;
        let cache = slot.get_or_insert_with(|| VariantCache {
            backtrack: (
                variant.backtrack.create_cache(),
                variant.backtrack.create_captures(),
            ),
            split: variant.split.as_ref().map(RunSplit::create_cache),
        });
        let mut found = Some(found);
        if let (Some(split), Some(split_cache)) = (&variant.split, &mut cache.split) {
            let taken = split.captures(split_cache, hay, |group| {
                if let Some(f) = found.take() {
                    f(group)
                }
            });
            if taken.is_some() {
                return Some(true);
            }
        }
        let bt = &variant.backtrack;
        let anchored = match bt.get_nfa().is_always_start_anchored() {
            true => Anchored::Yes,
            false => Anchored::No,
        };
        let input = Input::new(hay).anchored(anchored);
        let (bt_cache, caps) = &mut cache.backtrack;
        if hay.len() > bt.max_haystack_len() || bt.try_search(bt_cache, &input, caps).is_err() {
            return None;
        }
        if !caps.is_match() {
            return Some(false);
        }
        if let Some(f) = found {
            f(&|g| caps.get_group(g).map(|s| (s.start, s.end)));
        }
        Some(true)
    }
}

#[cfg(test)]
mod tests {
    use super::super::hir_check::{Groups, captures, parse};
    use super::super::python::translate;
    use super::*;

    /// sshd's conditional shape: four copies.
    const PATTERN: &str = r"^F (?P<inv>x )?(?P<user>(?P<w>\S+)|(?(inv)(?:(?! from ).)*?|[^:]+)) from (?P<ip>[\d.]+)(?: port \d+)?(?(w): |(?:(?! from ).)*$)";

    /// The captures of groups 1..`groups` as the matcher takes them.
    fn by_copies(copies: &Copies, groups: usize, line: &str) -> Option<Groups> {
        let mut out = None;
        let mut cache = copies.create_cache();
        let matched = copies.captures(&mut cache, line.as_bytes(), |get| {
            out = Some((1..groups).map(get).collect());
        });
        assert_eq!(matched, Some(out.is_some()), "{line:?}");
        out
    }

    #[test]
    fn pruned_variants_take_the_captures_of_the_whole_regex() {
        let t = translate(PATTERN).unwrap();
        let whole = parse(&t.linear);
        let groups = whole.properties().explicit_captures_len() + 1;
        for in_order in [false, true] {
            let copies = Copies::new(&t.variants, true, in_order).expect("four copies");
            assert_eq!(copies.first.is_some(), in_order);
            same_captures_as_whole(&copies, &whole, groups);
        }
    }

    fn same_captures_as_whole(copies: &Copies, whole: &regex_syntax::hir::Hir, groups: usize) {
        let lines = [
            "F a from 1.2.3.4 port 22 ssh2",
            "F x a from 1.2.3.4 port 22",
            "F x a b from 1.2.3.4: ",
            "F a: from 1.2.3.4: ",
            "F x  from 1.2.3.4 from 5.6.7.8",
            "F x a from 1.2.3.4 from 5.6.7.8 port 1",
            "F a b c from 1.2.3.4 port 22 from x",
            "F a b from 1.2.3.4 from 5.6.7.8 port 1",
            "F a b from 1.2.3.4 port 1 from 5.6.7.8",
            "F x from x from 1.2.3.4",
            "F a to 1.2.3.4",
            "F ",
        ];
        let mut matched = 0;
        for line in lines {
            let expected = captures(whole, line);
            matched += usize::from(expected.is_some());
            assert_eq!(by_copies(copies, groups, line), expected, "{line:?}");
        }
        assert!(matched >= 7, "the sample lines exercise matches");
    }

    #[test]
    fn a_one_copy_variant_loses_the_other_copies() {
        let t = translate(PATTERN).unwrap();
        let copies = Copies::new(&t.variants, true, false).unwrap();
        let states = |mask: usize| {
            let variant = copies.variant(mask).unwrap();
            variant.backtrack.get_nfa().states().len()
        };
        let all = states(0b1111);
        for one in [0b0001, 0b0010, 0b0100, 0b1000] {
            assert!(
                2 * states(one) < all,
                "mask {one:b}: {} of {all}",
                states(one)
            );
        }
    }

    #[test]
    fn a_variant_is_built_when_a_line_first_needs_it() {
        let t = translate(PATTERN).unwrap();
        let copies = Copies::new(&t.variants, true, false).unwrap();
        let built = |copies: &Copies| {
            (1..copies.masks())
                .filter(|&m| copies.variants[m].1.get().is_some())
                .collect::<Vec<_>>()
        };
        assert!(built(&copies).is_empty());
        let mut cache = copies.create_cache();
        let line = b"F a b from 1.2.3.4 port 22";
        assert_eq!(copies.captures(&mut cache, line, |_| {}), Some(true));
        assert_eq!(built(&copies), vec![0b1000]);
    }

    #[test]
    fn the_user_run_of_a_one_copy_variant_is_split_at_from() {
        let t = translate(PATTERN).unwrap();
        let copies = Copies::new(&t.variants, true, false).unwrap();
        // The copy of a valid user whose name runs to ` from ` (`[^:]+`).
        assert!(copies.variant(0b1000).unwrap().split.is_some());
        // Two copies left: an alternation, which the split does not take.
        assert!(copies.variant(0b1010).unwrap().split.is_none());
    }
}
