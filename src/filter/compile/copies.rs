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
//!
//! Each variant's backtracker is built without the copies it leaves out
//! ([`prune`]): the backtracker clears a visited set of (NFA states) x
//! (line length) bits on every search, and with sshd's `<HOST>` in each
//! copy the dead copies made most of the states, so clearing that set cost
//! more than the search itself.

use regex::bytes::{RegexSet, RegexSetBuilder};
use regex_automata::nfa::thompson::backtrack::BoundedBacktracker;
use regex_syntax::hir::{Capture, Hir, HirKind, Look, Repetition};

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
            let pruned = parse_bytes(variant).map(|hir| prune(&hir));
            built.push(Some(backtracker(&pruned, single_line)?));
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

/// `hir` with each concatenation that starts with `\b\B` (a copy a
/// variant leaves out: it can never match) cut to `\b\B` and an empty
/// group for each group it held, so that group indices stay those of the
/// whole regex and the captures are unchanged.
fn prune(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Concat(items) if is_dead(items) => {
            let mut out = items[..2].to_vec();
            empty_groups(hir, &mut out);
            Hir::concat(out)
        }
        HirKind::Concat(items) => Hir::concat(items.iter().map(prune).collect()),
        HirKind::Alternation(items) => Hir::alternation(items.iter().map(prune).collect()),
        HirKind::Capture(c) => Hir::capture(Capture {
            index: c.index,
            name: c.name.clone(),
            sub: Box::new(prune(&c.sub)),
        }),
        HirKind::Repetition(r) => Hir::repetition(Repetition {
            sub: Box::new(prune(&r.sub)),
            ..r.clone()
        }),
        _ => hir.clone(),
    }
}

/// Whether a concatenation starts with `\b\B`.
fn is_dead(items: &[Hir]) -> bool {
    let look = |i: usize| match items.get(i).map(Hir::kind) {
        Some(HirKind::Look(look)) => Some(*look),
        _ => None,
    };
    look(0) == Some(Look::WordAscii) && look(1) == Some(Look::WordAsciiNegate)
}

/// An empty group for each group in `hir`, in order.
fn empty_groups(hir: &Hir, out: &mut Vec<Hir>) {
    match hir.kind() {
        HirKind::Capture(c) => {
            out.push(Hir::capture(Capture {
                index: c.index,
                name: c.name.clone(),
                sub: Box::new(Hir::empty()),
            }));
            empty_groups(&c.sub, out);
        }
        HirKind::Concat(items) | HirKind::Alternation(items) => {
            items.iter().for_each(|h| empty_groups(h, out))
        }
        HirKind::Repetition(r) => empty_groups(&r.sub, out),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use regex_automata::{Anchored, Input};

    use super::super::hir_check::{Groups, captures, parse};
    use super::super::python::translate;
    use super::*;

    /// sshd's conditional shape: four copies.
    const PATTERN: &str = r"^F (?P<inv>x )?(?P<user>(?P<w>\S+)|(?(inv)(?:(?! from ).)*?|[^:]+)) from (?P<ip>[\d.]+)(?: port \d+)?(?(w): |(?:(?! from ).)*$)";

    fn by_copies(copies: &Copies, line: &str) -> Option<Groups> {
        let mask = copies.mask(line.as_bytes());
        if mask == 0 {
            return None;
        }
        let bt = copies.variant(mask).expect("every mask built");
        let (mut cache, mut caps) = (bt.create_cache(), bt.create_captures());
        let input = Input::new(line).anchored(Anchored::Yes);
        bt.try_search(&mut cache, &input, &mut caps).unwrap();
        caps.is_match().then(|| {
            (1..caps.group_len())
                .map(|g| caps.get_group(g).map(|s| (s.start, s.end)))
                .collect()
        })
    }

    #[test]
    fn pruned_variants_take_the_captures_of_the_whole_regex() {
        let t = translate(PATTERN).unwrap();
        let whole = parse(&t.linear);
        let copies = Copies::new(&t.variants, true).expect("four copies");
        let lines = [
            "F a from 1.2.3.4 port 22 ssh2",
            "F x a from 1.2.3.4 port 22",
            "F x a b from 1.2.3.4: ",
            "F a: from 1.2.3.4: ",
            "F x  from 1.2.3.4 from 5.6.7.8",
            "F x a from 1.2.3.4 from 5.6.7.8 port 1",
            "F a b c from 1.2.3.4 port 22 from x",
            "F x from x from 1.2.3.4",
            "F a to 1.2.3.4",
            "F ",
        ];
        let mut matched = 0;
        for line in lines {
            let expected = captures(&whole, line);
            matched += usize::from(expected.is_some());
            assert_eq!(by_copies(&copies, line), expected, "{line:?}");
        }
        assert!(matched >= 6, "the sample lines exercise matches");
    }

    #[test]
    fn a_variant_with_one_copy_has_fewer_states() {
        let t = translate(PATTERN).unwrap();
        let copies = Copies::new(&t.variants, true).unwrap();
        let states = |mask: usize| copies.variant(mask).unwrap().get_nfa().states().len();
        let all = states(0b1111);
        for one in [0b0001, 0b0010, 0b0100, 0b1000] {
            assert!(states(one) < all, "mask {one:b}: {} of {all}", states(one));
        }
    }

    #[test]
    fn pruning_keeps_every_group_index() {
        let hir = parse(r"^(?:\b\B(?P<a>x(?P<b>y)+)|(?P<c>z))$");
        let pruned = prune(&hir);
        assert_eq!(pruned.properties().explicit_captures_len(), 3);
        assert_eq!(captures(&pruned, "z"), Some(vec![None, None, Some((0, 1))]));
        assert_eq!(captures(&pruned, "xy"), None);
        assert_eq!(captures(&hir, "z"), captures(&pruned, "z"));
    }
}
