//! Dropping the copies a variant of a distributed regex leaves out (see
//! [`super::Copies`]): they start with `\b\B` and can never match, but
//! would still cost the captures engine their states.

use regex_syntax::hir::{Capture, Class, Hir, HirKind, Look, Repetition};

/// `hir` without the copies a variant leaves out: each concatenation that
/// holds `\b\B` (a dead copy: it can never match) becomes a failure, and
/// an alternation drops its failed branches; a group that can no longer
/// match goes with them. What remains of a one-copy variant is a plain
/// concatenation, which [`RunSplit`](super::RunSplit) can take apart.
///
/// Group indices stay those of the whole regex: the NFA compiler fills the
/// indices of the groups dropped with groups that never take part, so the
/// captures are unchanged.
pub(super) fn prune(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Concat(items) if is_dead(items) => Hir::fail(),
        HirKind::Concat(items) => {
            let items: Vec<Hir> = items.iter().map(prune).collect();
            match items.iter().any(never_matches) {
                true => Hir::fail(),
                false => Hir::concat(items),
            }
        }
        HirKind::Alternation(items) => {
            let live: Vec<Hir> = items
                .iter()
                .map(prune)
                .filter(|h| !never_matches(h))
                .collect();
            match live.is_empty() {
                true => Hir::fail(),
                false => Hir::alternation(live),
            }
        }
        HirKind::Capture(c) => {
            let sub = prune(&c.sub);
            match never_matches(&sub) {
                true => Hir::fail(),
                false => Hir::capture(Capture {
                    index: c.index,
                    name: c.name.clone(),
                    sub: Box::new(sub),
                }),
            }
        }
        HirKind::Repetition(r) => {
            let sub = prune(&r.sub);
            match (never_matches(&sub), r.min) {
                (true, 0) => Hir::empty(),
                (true, _) => Hir::fail(),
                (false, _) => Hir::repetition(Repetition {
                    sub: Box::new(sub),
                    ..r.clone()
                }),
            }
        }
        _ => hir.clone(),
    }
}

/// `Hir::fail()`: the empty class.
fn never_matches(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Class(Class::Bytes(c)) => c.ranges().is_empty(),
        HirKind::Class(Class::Unicode(c)) => c.ranges().is_empty(),
        _ => false,
    }
}

/// Whether a concatenation holds `\b\B` (it then never matches). A dead
/// copy starts with it, but the parser lifts a prefix that all branches of
/// an alternation share out of it: the `\b\B` of two dead copies of one
/// branch then stands after that branch's first items.
fn is_dead(items: &[Hir]) -> bool {
    let look = |hir: &Hir| match hir.kind() {
        HirKind::Look(look) => Some(*look),
        _ => None,
    };
    items.windows(2).any(|pair| {
        look(&pair[0]) == Some(Look::WordAscii) && look(&pair[1]) == Some(Look::WordAsciiNegate)
    })
}

#[cfg(test)]
mod tests {
    use regex_automata::nfa::thompson::NFA;

    use super::super::hir_check::{captures, parse};
    use super::*;

    fn states(hir: &Hir) -> usize {
        NFA::compiler().build_from_hir(hir).unwrap().states().len()
    }

    #[test]
    fn a_dead_copy_goes_and_every_group_keeps_its_index() {
        let hir = parse(r"^(?:\b\B(?P<a>x(?P<b>y)+)|(?P<c>z))$");
        let pruned = prune(&hir);
        assert_eq!(states(&pruned), states(&parse(r"^(?P<c>z)$")), "{pruned}");
        assert_eq!(captures(&pruned, "z"), Some(vec![None, None, Some((0, 1))]));
        assert_eq!(captures(&pruned, "xy"), None);
        assert_eq!(captures(&hir, "z"), captures(&pruned, "z"));
    }

    #[test]
    fn a_copy_is_pruned_wherever_its_dead_start_ends_up() {
        // The parser lifts a prefix common to all branches of an
        // alternation out of it: two dead copies of one branch share their
        // `\b\B`, which then stands after that branch's first item
        // (sshd's `(?P<cond_inv>invalid user )`), not first.
        let hir = parse(r"^(?:(?P<a>a)(?:\b\B(?P<b>b)x|\b\B(?P<c>c)y)|(?P<d>d))$");
        let pruned = prune(&hir);
        assert_eq!(states(&pruned), states(&parse(r"^(?P<d>d)$")), "{pruned}");
        assert_eq!(
            captures(&pruned, "d"),
            Some(vec![None, None, None, Some((0, 1))])
        );
        assert_eq!(captures(&pruned, "d"), captures(&hir, "d"));
    }

    #[test]
    fn what_is_left_of_one_copy_is_a_plain_concatenation() {
        let hir = parse(
            r"^F (?:(?P<i>x )(?:\b\B(?P<u>\S+) f|\b\B(?P<v>.*?) f)|(?:\b\B(?P<w>\S+) f|(?P<y>[^:]+) f))$",
        );
        let pruned = prune(&hir);
        assert_eq!(states(&pruned), states(&parse(r"^F (?P<y>[^:]+) f$")));
        assert!(matches!(pruned.kind(), HirKind::Concat(_)), "{pruned}");
        assert!(
            super::super::RunSplit::new(&pruned, 1 << 20, super::super::Runs::ByteClass).is_some()
        );
        assert_eq!(captures(&pruned, "F a b f"), captures(&hir, "F a b f"));
    }

    #[test]
    fn a_repetition_of_a_dead_copy_matches_empty() {
        let hir = parse(r"^a(?:\b\B(?P<x>x))*b$");
        let pruned = prune(&hir);
        // The group, last, is gone: the NFA has none at its index, and
        // looking it up finds nothing, as on the whole regex.
        assert_eq!(captures(&hir, "ab"), Some(vec![None]));
        assert_eq!(captures(&pruned, "ab"), Some(vec![]));
        assert_eq!(states(&pruned), states(&parse(r"^ab$")));
    }
}
