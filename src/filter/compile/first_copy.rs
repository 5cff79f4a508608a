//! The captures of a distributed conditional ([`super::Copies`]) without
//! the DFA pass over the whole line, when its copies are reached in order.
//!
//! The regex is `H (?:C1|C2|...)`: a head, then the copies (sshd's
//! `^Failed \S+ for ` and four copies of the rest). The backtracker
//! explores H's ways in priority order and, from the end of the first way
//! that completes H, the copies in their order (which `in_order` in
//! `python/conditional.rs` vouches for), each to its end, before it tries
//! another way through H. So: match H alone (its first completion is the
//! whole regex's first), then each copy anchored where H ended; the first
//! copy that matches there gives the whole regex's captures. If none does,
//! a later way through H might, and the caller runs the general path.
//!
//! Most copies fail at once: one that starts with a literal the line does
//! not have there (`invalid user `), or that requires one the line lacks
//! (`: ` after the address) is skipped without running. On sshd's
//! `Failed password for root from ...` lines, the common case, three of
//! the four copies are skipped so, and this replaced a DFA pass over the
//! line that cost more than the captures engine's run.

use memchr::memmem::Finder;
use regex_automata::nfa::thompson::backtrack::{self, BoundedBacktracker};
use regex_automata::util::captures::Captures;
use regex_automata::{Anchored, Input};
use regex_syntax::hir::{Hir, HirKind};

use super::prune::prune;
use super::required::required_literals;
use super::{REGEX_SIZE_LIMIT, RunSplit, Runs, SplitCache, backtracker, parse_bytes};

/// The head's engine and each copy's (see the module doc).
#[derive(Debug, Clone)]
pub struct FirstCopy {
    head: BoundedBacktracker,
    /// In priority order; `None` for a copy that can never match.
    copies: Vec<Option<CopyEngine>>,
}

/// One copy, matched where the head ended.
#[derive(Debug, Clone)]
struct CopyEngine {
    backtrack: BoundedBacktracker,
    split: Option<RunSplit>,
    /// The literal the copy starts with.
    leading: Option<Box<[u8]>>,
    /// Literals the copy requires that not every copy does.
    required: Vec<Finder<'static>>,
}

/// Scratch space of one [`FirstCopy`].
#[derive(Debug, Clone)]
pub struct FirstCopyCache {
    head: (backtrack::Cache, Captures),
    copies: Vec<Option<(backtrack::Cache, Captures, Option<SplitCache>)>>,
}

impl FirstCopy {
    /// From the one-copy variants (`Translation::variants[1 << k]`), each
    /// `H (?:...)` with the other copies dead; `None` if they do not have
    /// that shape with the same H or an engine does not build.
    pub fn new(singles: &[&str]) -> Option<FirstCopy> {
        let mut head = None;
        let mut regions = Vec::new();
        for single in singles {
            let hir = parse_bytes(single)?;
            let HirKind::Concat(items) = hir.kind() else {
                return None;
            };
            let (region, h) = items.split_last()?;
            if !matches!(region.kind(), HirKind::Alternation(_)) {
                return None;
            }
            match &head {
                None => head = Some(h.to_vec()),
                Some(known) if known.as_slice() == h => {}
                Some(_) => return None,
            }
            let region = prune(region);
            regions.push(region.properties().minimum_len().map(|_| region));
        }
        // Not stripped of a trailing `.*$` (`backtracker`'s single-line
        // form): where the head ends is what the copies start from.
        let head = backtracker(&Some(Hir::concat(head?)), false)?;
        if !head.get_nfa().is_always_start_anchored() {
            return None;
        }
        let lists: Vec<Vec<&[u8]>> = regions
            .iter()
            .flatten()
            .map(|r| required_literals(r).1)
            .collect();
        let copies = regions
            .iter()
            .map(|region| match region {
                Some(region) => CopyEngine::new(region, &lists).map(Some),
                None => Some(None),
            })
            .collect::<Option<_>>()?;
        Some(FirstCopy { head, copies })
    }

    pub fn create_cache(&self) -> FirstCopyCache {
        FirstCopyCache {
            head: (self.head.create_cache(), self.head.create_captures()),
            copies: self
                .copies
                .iter()
                .map(|c| {
                    c.as_ref().map(|c| {
                        let split = c.split.as_ref().map(RunSplit::create_cache);
                        (
                            c.backtrack.create_cache(),
                            c.backtrack.create_captures(),
                            split,
                        )
                    })
                })
                .collect(),
        }
    }

    /// Takes the captures on `hay` (a line without a newline) and calls
    /// `found` with a lookup of each group's span: `Some(true)`. H does
    /// not match: `Some(false)`. `None` when this way cannot tell (no
    /// copy matches where H's first way ends, or a line too long).
    pub fn captures(
        &self,
        cache: &mut FirstCopyCache,
        hay: &[u8],
        found: impl FnOnce(&dyn Fn(usize) -> Option<(usize, usize)>),
    ) -> Option<bool> {
        if hay.len() > self.head.max_haystack_len() {
            return None;
        }
        let (head_cache, head) = &mut cache.head;
        let input = Input::new(hay).anchored(Anchored::Yes);
        self.head.try_search(head_cache, &input, head).ok()?;
        let Some(start) = head.get_match().map(|m| m.end()) else {
            return Some(false);
        };
        let head_span = |g: usize| head.get_group(g).map(|s| (s.start, s.end));
        let mut found = Some(found);
        for (copy, slot) in self.copies.iter().zip(cache.copies.iter_mut()) {
            let (Some(copy), Some((bt_cache, caps, split_cache))) = (copy, slot) else {
                continue;
            };
            if !copy.may_match(hay, start) {
                continue;
            }
            if let (Some(split), Some(split_cache)) = (&copy.split, split_cache) {
                let taken = split.captures_at(split_cache, hay, start, |group| {
                    if let Some(f) = found.take() {
                        f(&|g| head_span(g).or_else(|| group(g)))
                    }
                });
                if taken.is_some() {
                    return Some(true);
                }
            }
            if hay.len() > copy.backtrack.max_haystack_len() {
                return None;
            }
            let input = Input::new(hay).range(start..).anchored(Anchored::Yes);
            copy.backtrack.try_search(bt_cache, &input, caps).ok()?;
            if caps.is_match() {
                let f = found.take()?;
                f(&|g| head_span(g).or_else(|| caps.get_group(g).map(|s| (s.start, s.end))));
                return Some(true);
            }
        }
        None
    }
}

impl CopyEngine {
    /// `lists`: the required literals of every copy that can match.
    fn new(region: &Hir, lists: &[Vec<&[u8]>]) -> Option<CopyEngine> {
        let (leading, after) = required_literals(region);
        let required = after
            .into_iter()
            .filter(|l| l.len() >= 2 && !lists.iter().all(|list| list.contains(l)))
            .map(|l| Finder::new(l).into_owned())
            .collect();
        Some(CopyEngine {
            backtrack: backtracker(&Some(region.clone()), true)?,
            split: RunSplit::new(region, REGEX_SIZE_LIMIT, Runs::ByteClass),
            leading: leading.map(Box::from),
            required,
        })
    }

    /// Whether the copy can match at `start`, as far as its literals tell.
    fn may_match(&self, hay: &[u8], start: usize) -> bool {
        let rest = &hay[start..];
        self.leading.as_deref().is_none_or(|l| rest.starts_with(l))
            && self.required.iter().all(|f| f.find(rest).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::super::hir_check::{Groups, captures, parse};
    use super::super::python::translate;
    use super::*;

    /// sshd's conditional shape: four copies, the head ambiguous
    /// (`x`/`\S+`).
    const PATTERN: &str = r"^F (?:(?P<k>x)|\S+) (?P<inv>i )?(?P<user>(?P<w>\S+)|(?(inv)(?:(?! from ).)*?|[^:]+)) from (?P<ip>[\d.]+)(?: port \d+)?(?(w): |(?:(?! from ).)*$)";

    fn first_copy() -> (FirstCopy, Hir) {
        let t = translate(PATTERN).unwrap();
        assert!(t.in_order);
        let singles: Vec<&str> = (0..4).map(|k| t.variants[1 << k].as_str()).collect();
        (
            FirstCopy::new(&singles).expect("the shape"),
            parse(&t.linear),
        )
    }

    #[test]
    fn the_first_copy_matching_after_the_head_has_the_whole_regexs_captures() {
        let (first, whole) = first_copy();
        let groups = whole.properties().explicit_captures_len() + 1;
        let mut cache = first.create_cache();
        let lines = [
            "F x a from 1.2.3.4 port 22 ssh2",
            "F x i a from 1.2.3.4 port 22",
            "F pw i a b from 1.2.3.4: ",
            "F pw a: from 1.2.3.4: ",
            "F pw i  from 1.2.3.4 from 5.6.7.8",
            "F pw a b c from 1.2.3.4 port 22 from x",
            "F pw a b from 1.2.3.4 port 1 from 5.6.7.8",
            "F x a from 1.2.3.4: ",
            "F pw a to 1.2.3.4",
            "G pw a from 1.2.3.4",
        ];
        let mut decided = 0;
        for line in lines {
            let expected = captures(&whole, line);
            let mut got: Option<Groups> = None;
            let answer = first.captures(&mut cache, line.as_bytes(), |get| {
                got = Some((1..groups).map(get).collect());
            });
            match answer {
                Some(true) => assert_eq!(got, expected, "{line:?}"),
                Some(false) => assert_eq!(expected, None, "{line:?}"),
                None => continue,
            }
            decided += 1;
        }
        assert!(decided >= 8, "most lines are decided here: {decided}");
    }

    #[test]
    fn copies_are_skipped_on_their_literals() {
        let (first, _) = first_copy();
        let line = b"F pw a from 1.2.3.4 port 22";
        let skipped: Vec<bool> = first
            .copies
            .iter()
            .map(|c| !c.as_ref().unwrap().may_match(line, 5))
            .collect();
        // `i ` starts the first two; `: ` ends the third; the fourth runs.
        assert_eq!(skipped, [true, true, true, false]);
    }
}
