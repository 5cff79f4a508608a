//! Captures of a fail regex shaped `^A(?P<user>R)LITERAL B`, where R is a
//! run of one byte class (`.*`, `.*?`, `[^:]+`, `\S*`), such as
//! `^Invalid user <F-USER>.*</F-USER> from <HOST>...$`, without walking the
//! run byte by byte.
//!
//! The bounded backtracker takes the run as far as its class allows and
//! then steps back one byte at a time, trying `LITERAL B` at each: four NFA
//! steps a byte, most of a line's cost. It explores in this order:
//! A's choices in priority order, and for the first A that completes, the
//! ends of the run from the last to the first (lazy: first to last), and
//! at each, B's choices. So the same captures come from: the backtracker
//! of `^A` (its first completion), then for each place the literal occurs
//! where the run can end (no further than the first byte outside its
//! class, no nearer than its minimum length), from the last (lazy: the
//! first), the backtracker of `B` just after the literal; the first B that
//! matches decides. If none does, the next choice of A could still match,
//! and the caller runs the whole regex.
//!
//! Only for haystacks without a newline (`.` does not match one).

use memchr::memmem::{Finder, FinderRev};
use regex_automata::nfa::thompson::NFA;
use regex_automata::nfa::thompson::backtrack::{BoundedBacktracker, Cache};
use regex_automata::util::captures::Captures;
use regex_automata::{Anchored, Input};
use regex_syntax::hir::{Hir, HirKind, Repetition};

use regex_syntax::hir::Class;

use super::tail::is_any_run;

/// Places where the literal occurs that are tried before the whole regex
/// takes over; real lines have one or two.
const MAX_TRIES: usize = 8;

/// A fail regex split around its top-level run (see the module doc).
#[derive(Debug, Clone)]
pub struct RunSplit {
    head: BoundedBacktracker,
    rest: BoundedBacktracker,
    /// The run's capture group.
    group: usize,
    run: Run,
    literal: Finder<'static>,
    literal_rev: FinderRev<'static>,
}

/// Scratch space of one [`RunSplit`].
#[derive(Debug, Clone)]
pub struct SplitCache {
    head: (Cache, Captures),
    rest: (Cache, Captures),
}

impl RunSplit {
    /// The split of `hir`, if it has the shape. `runs` says which runs
    /// may split it: only `.*` (any byte but a newline), or any byte class.
    pub fn new(hir: &Hir, size_limit: usize, runs: Runs) -> Option<RunSplit> {
        let HirKind::Concat(items) = hir.kind() else {
            return None;
        };
        let at = items
            .iter()
            .position(|item| run_group(item, runs).is_some())?;
        let (group, run) = run_group(&items[at], runs)?;
        let HirKind::Literal(literal) = items.get(at + 1)?.kind() else {
            return None;
        };
        let build = |part: &[Hir]| {
            let nfa = NFA::compiler()
                .configure(NFA::config().nfa_size_limit(Some(size_limit)))
                .build_from_hir(&Hir::concat(part.to_vec()))
                .ok()?;
            BoundedBacktracker::new_from_nfa(nfa).ok()
        };
        Some(RunSplit {
            head: build(&items[..at])?,
            rest: build(&items[at + 2..])?,
            group,
            run,
            literal: Finder::new(&literal.0).into_owned(),
            literal_rev: FinderRev::new(&literal.0).into_owned(),
        })
    }

    pub fn create_cache(&self) -> SplitCache {
        SplitCache {
            head: (self.head.create_cache(), self.head.create_captures()),
            rest: (self.rest.create_cache(), self.rest.create_captures()),
        }
    }

    /// Takes the captures on `hay` (anchored at its start); calls `found`
    /// with a lookup of each group's span. `None` when this way cannot
    /// tell (the caller then runs the whole regex).
    pub fn captures(
        &self,
        cache: &mut SplitCache,
        hay: &[u8],
        found: impl FnOnce(&dyn Fn(usize) -> Option<(usize, usize)>),
    ) -> Option<()> {
        self.captures_at(cache, hay, 0, found)
    }

    /// [`RunSplit::captures`] anchored at `at` instead of the start.
    pub fn captures_at(
        &self,
        cache: &mut SplitCache,
        hay: &[u8],
        at: usize,
        found: impl FnOnce(&dyn Fn(usize) -> Option<(usize, usize)>),
    ) -> Option<()> {
        if hay.len()
            > self
                .head
                .max_haystack_len()
                .min(self.rest.max_haystack_len())
        {
            return None;
        }
        let (head_cache, head) = &mut cache.head;
        let input = Input::new(hay).range(at..).anchored(Anchored::Yes);
        self.head.try_search(head_cache, &input, head).ok()?;
        let start = head.get_match()?.end();
        let len = self.literal.needle().len();
        let (rest_cache, rest) = &mut cache.rest;
        let end = self.run_end(hay, start, |at| {
            let input = Input::new(hay).range(at + len..).anchored(Anchored::Yes);
            self.rest.try_search(rest_cache, &input, rest).is_ok() && rest.is_match()
        })?;
        let (head, rest) = (&cache.head.1, &cache.rest.1);
        found(&|g| {
            if g == self.group {
                return Some((start, end));
            }
            let span = head.get_group(g).or_else(|| rest.get_group(g))?;
            Some((span.start, span.end))
        });
        Some(())
    }

    /// Where the run ends: the last place (lazy: the first) the run can
    /// end at where the literal occurs and `rest_matches` after it. `None`
    /// after [`MAX_TRIES`] places: each try may scan the rest of the line,
    /// so a crafted line with the literal everywhere would cost time
    /// quadratic in its length; the whole regex, linear, decides instead.
    fn run_end(
        &self,
        hay: &[u8],
        start: usize,
        mut rest_matches: impl FnMut(usize) -> bool,
    ) -> Option<usize> {
        let first = start.checked_add(self.run.min)?;
        let last = start
            + hay[start..]
                .iter()
                .take_while(|&&b| self.run.takes(b))
                .count();
        if first > last {
            return None;
        }
        // The literal may start anywhere the run can end.
        let window_end = (last + self.literal.needle().len()).min(hay.len());
        if self.run.greedy {
            let mut end = window_end;
            for _ in 0..MAX_TRIES {
                let at = first + self.literal_rev.rfind(hay.get(first..end)?)?;
                if rest_matches(at) {
                    return Some(at);
                }
                end = at + self.literal.needle().len() - 1;
            }
            return None;
        }
        let mut from = first;
        for _ in 0..MAX_TRIES {
            let at = from + self.literal.find(hay.get(from..window_end)?)?;
            if rest_matches(at) {
                return Some(at);
            }
            from = at + 1;
        }
        None
    }
}

/// A run of one byte class: the bytes it takes, its least length and its
/// greediness.
#[derive(Debug, Clone)]
struct Run {
    takes: Box<[bool; 256]>,
    min: usize,
    greedy: bool,
}

impl Run {
    fn takes(&self, byte: u8) -> bool {
        self.takes[usize::from(byte)]
    }
}

/// Which runs a [`RunSplit`] splits at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runs {
    /// `.*`, `.*?`: a plain regex's. A narrower class (`\S+`, `[^:]+`) ends
    /// at its own first stranger byte, where the backtracker does well, and
    /// splitting there cost the bundled sshd filter 6% more instructions.
    AnyByte,
    /// Any byte class: what is left of a one-copy variant of a conditional
    /// expansion (`Copies`), whose backtracker is large.
    ByteClass,
}

/// `(?P<name>C*)` or `(?P<name>C+)` for a byte class C, greedy or lazy
/// (C any byte but a newline unless `runs` allows any class): its group
/// index and run.
fn run_group(hir: &Hir, runs: Runs) -> Option<(usize, Run)> {
    let HirKind::Capture(capture) = hir.kind() else {
        return None;
    };
    if runs == Runs::AnyByte && !is_any_run(&capture.sub) {
        return None;
    }
    let HirKind::Repetition(Repetition {
        min,
        max: None,
        greedy,
        sub,
    }) = capture.sub.kind()
    else {
        return None;
    };
    let HirKind::Class(Class::Bytes(class)) = sub.kind() else {
        return None;
    };
    if *min > 1 {
        return None;
    }
    let mut takes = Box::new([false; 256]);
    for range in class.ranges() {
        for byte in range.start()..=range.end() {
            takes[usize::from(byte)] = true;
        }
    }
    let run = Run {
        takes,
        min: *min as usize,
        greedy: *greedy,
    };
    Some((capture.index as usize, run))
}

#[cfg(test)]
mod tests {
    use super::super::hir_check::{Groups, captures as full, parse};
    use super::*;

    fn split(split: &RunSplit, groups: usize, line: &str) -> Option<Groups> {
        let mut out = None;
        split.captures(&mut split.create_cache(), line.as_bytes(), |get| {
            out = Some((1..groups).map(get).collect());
        });
        out
    }

    #[test]
    fn the_captures_are_those_of_the_whole_regex() {
        let cases: [(&str, &[&str]); 7] = [
            (
                r"^(?:error: )?[iI]nvalid user (?P<user>.*) from (?P<ip>[\d.]+)(?: port \d+)?$",
                &[
                    "Invalid user a from 1.2.3.4 port 22",
                    "Invalid user a from 1.2.3.4 from 5.6.7.8 port 22",
                    "Invalid user a from 1.2.3.4 port 22 from x",
                    "error: invalid user  from 1.2",
                    "Invalid user from from from 9",
                ],
            ),
            (
                r"^(?P<f>\w+) ruser=(?P<alt>.*?) rhost=(?P<h>\S+)(?:\s+user=(?P<u>.*?))?\s*$",
                &[
                    "pam ruser= rhost=h  user=root",
                    "pam ruser=a rhost=b rhost=c",
                    "pam ruser= rhost= rhost=x user=y ",
                ],
            ),
            (
                r"^a(?P<r>.*)aa(?P<b>a?)$",
                &["aaaa", "aaa", "aaaaa", "aa", "a"],
            ),
            (r"^x(?P<r>.*?)yy(?P<b>y*)z$", &["xyyyz", "xyyyyz", "xyz"]),
            // sshd's valid user, up to the last ` from ` before any `:`.
            (
                r"^F (?:(?P<k>key)|\S+) for (?P<u>[^:]+) from (?P<ip>[\d.]+)(?: port \d+)?(?: ssh\d*)?$",
                &[
                    "F password for root from 1.2.3.4 port 22 ssh2",
                    "F key for a b from 1.2.3.4 from 5.6.7.8 port 22",
                    "F password for a from 1.2.3.4 port 22 from 5.6.7.8",
                    "F password for a:b from 1.2.3.4",
                    "F password for a from 1:2 from 1.2.3.4",
                    "F password for  from 1.2.3.4",
                    "F password for from 1.2.3.4",
                    "F password for a from 1.2.3.4:",
                ],
            ),
            (
                r"^x(?P<r>\S*?)yy(?P<b>y*)z$",
                &["xyyyz", "xayyyz", "xa yyz", "xyz", "xayy yyz"],
            ),
            (
                r"^a(?P<r>[ab]+)ab(?P<c>c*)$",
                &["aabc", "aab", "abab", "aaabcc", "aabab"],
            ),
        ];
        for (pattern, lines) in cases {
            let hir = parse(pattern);
            let s = RunSplit::new(&hir, 1 << 20, Runs::ByteClass).expect(pattern);
            let groups = hir.properties().explicit_captures_len() + 1;
            for line in lines {
                let whole = full(&hir, line);
                match split(&s, groups, line) {
                    Some(got) => assert_eq!(Some(got), whole, "{pattern} on {line:?}"),
                    None => assert_eq!(whole, None, "{pattern} on {line:?}: no answer"),
                }
            }
        }
    }

    #[test]
    fn a_line_with_the_literal_everywhere_goes_to_the_whole_regex() {
        let hir = parse(r"^Invalid user (?P<user>.*) from (?P<ip>[\d.]+) port \d+(?P<tail> .*)?$");
        let s = RunSplit::new(&hir, 1 << 20, Runs::AnyByte).unwrap();
        let groups = hir.properties().explicit_captures_len() + 1;
        let line = |failing: usize| {
            format!(
                "Invalid user x from 1.2.3.4 port 22{}",
                " from 1.2.3.4 port x".repeat(failing)
            )
        };
        // Tried last first: every later " from " fails, the first matches.
        let few = line(MAX_TRIES - 1);
        assert!(full(&hir, &few).is_some());
        assert_eq!(split(&s, groups, &few), full(&hir, &few));
        // Past MAX_TRIES places the split gives up and the whole regex
        // decides, so a crafted line never costs a try per occurrence.
        let hostile = line(2000);
        assert!(full(&hir, &hostile).is_some());
        assert_eq!(split(&s, groups, &hostile), None);
    }

    #[test]
    fn other_shapes_are_not_split() {
        for pattern in [
            r"^a(?P<r>.{2,}) b$",
            r"^a(?P<r>(?:ab)*) b$",
            r"^a(?P<r>.*)\s$",
            r"^a(?:x(?P<r>.*) b)?$",
        ] {
            assert!(
                RunSplit::new(&parse(pattern), 1 << 20, Runs::ByteClass).is_none(),
                "{pattern}"
            );
        }
    }

    #[test]
    fn a_plain_regex_splits_at_dot_runs_only() {
        let narrow = parse(r"^x(?P<r>\S*?)yy(?P<b>y*)z$");
        assert!(RunSplit::new(&narrow, 1 << 20, Runs::ByteClass).is_some());
        assert!(RunSplit::new(&narrow, 1 << 20, Runs::AnyByte).is_none());
        let dot = parse(r"^Invalid user (?P<user>.*) from (?P<ip>[\d.]+)$");
        assert!(RunSplit::new(&dot, 1 << 20, Runs::AnyByte).is_some());
    }
}
