//! Conditional groups, `(X)?R(?(1)A|B)T`, rewritten for the `regex`
//! crate: the choice that decides whether the group took part (an optional
//! or an alternation) is distributed over the rest of the pattern,
//! `(?:X R A T|R B T)`, each copy with the condition known. Leftmost-first
//! priority is kept: the copies come in the order the choice's own
//! branches are tried.

use super::ast::{GroupRef, Node};

/// Distributing conditionals may copy a pattern this many times, at most.
const MAX_COPIES: usize = 16;

/// `node` with every conditional group distributed, where that can be done.
pub fn distribute(node: Node) -> Node {
    let mut copies = 1;
    distribute_in(node, &mut copies)
}

fn distribute_in(node: Node, copies: &mut usize) -> Node {
    match node {
        Node::Concat(items) => concat(items, copies),
        Node::Alt(branches) => Node::Alt(
            branches
                .into_iter()
                .map(|b| distribute_in(b, copies))
                .collect(),
        ),
        Node::Group { flags, sub } => Node::Group {
            flags,
            sub: Box::new(distribute_in(*sub, copies)),
        },
        other => other,
    }
}

fn concat(items: Vec<Node>, copies: &mut usize) -> Node {
    let Some((i, group)) = first_conditional(&items) else {
        return Node::Concat(items);
    };
    let Some(branches) = choices(&items[i], &group) else {
        return Node::Concat(items);
    };
    if *copies * branches.len() > MAX_COPIES {
        return Node::Concat(items);
    }
    *copies *= branches.len();
    let mut items = items;
    let rest = items.split_off(i + 1);
    items.pop();
    let alternatives = branches
        .into_iter()
        .map(|(branch, took_part)| {
            let mut tail = vec![branch];
            tail.extend(rest.iter().cloned().map(|n| resolve(n, &group, took_part)));
            concat(tail, copies)
        })
        .collect();
    items.push(Node::Group {
        flags: String::new(),
        sub: Box::new(Node::Alt(alternatives)),
    });
    Node::Concat(items)
}

/// The first item holding a conditional whose group an earlier item
/// defines: that item's index and the group.
fn first_conditional(items: &[Node]) -> Option<(usize, GroupRef)> {
    for (j, item) in items.iter().enumerate() {
        let mut conds = Vec::new();
        conditions(item, &mut conds);
        for group in conds {
            if let Some(i) = items[..j].iter().position(|n| defines(n, &group)) {
                return Some((i, group));
            }
        }
    }
    None
}

fn conditions(node: &Node, out: &mut Vec<GroupRef>) {
    if let Node::Cond { group, .. } = node {
        out.push(group.clone());
    }
    children(node).for_each(|c| conditions(c, out));
}

fn children(node: &Node) -> Box<dyn Iterator<Item = &Node> + '_> {
    match node {
        Node::Capture { sub, .. }
        | Node::Group { sub, .. }
        | Node::Look { sub, .. }
        | Node::Atomic(sub)
        | Node::Repeat { sub, .. } => Box::new(std::iter::once(&**sub)),
        Node::Cond { yes, no, .. } => Box::new([&**yes, &**no].into_iter()),
        Node::Concat(items) | Node::Alt(items) => Box::new(items.iter()),
        _ => Box::new(std::iter::empty()),
    }
}

fn is_group(node: &Node, group: &GroupRef) -> bool {
    match (node, group) {
        (Node::Capture { name: Some(n), .. }, GroupRef::Name(g)) => n == g,
        (Node::Capture { index, .. }, GroupRef::Index(g)) => index == g,
        _ => false,
    }
}

fn defines(node: &Node, group: &GroupRef) -> bool {
    is_group(node, group) || children(node).any(|c| defines(c, group))
}

/// `group` takes part in every match of `node`.
fn always(node: &Node, group: &GroupRef) -> bool {
    match node {
        _ if is_group(node, group) => true,
        Node::Capture { sub, .. } | Node::Group { sub, .. } => always(sub, group),
        Node::Repeat { sub, min, .. } => *min >= 1 && always(sub, group),
        Node::Concat(items) => items.iter().any(|n| always(n, group)),
        Node::Alt(branches) => branches.iter().all(|n| always(n, group)),
        _ => false,
    }
}

/// The ways `node` can match, in priority order, each with whether
/// `group` takes part; `None` if that is not settled per way.
fn choices(node: &Node, group: &GroupRef) -> Option<Vec<(Node, bool)>> {
    let settle = |n: Node| -> Option<(Node, bool)> {
        match (always(&n, group), defines(&n, group)) {
            (true, _) => Some((n, true)),
            (false, false) => Some((n, false)),
            (false, true) => None,
        }
    };
    match node {
        _ if always(node, group) => Some(vec![(node.clone(), true)]),
        Node::Alt(branches) => branches.iter().cloned().map(settle).collect(),
        Node::Repeat {
            sub,
            min: 0,
            max: Some(1),
            greedy,
            possessive: false,
        } => {
            let mut ways = vec![settle((**sub).clone())?, (Node::Empty, false)];
            if !greedy {
                ways.reverse();
            }
            Some(ways)
        }
        Node::Capture { name, index, sub } => Some(
            choices(sub, group)?
                .into_iter()
                .map(|(n, t)| {
                    (
                        Node::Capture {
                            name: name.clone(),
                            index: *index,
                            sub: Box::new(n),
                        },
                        t,
                    )
                })
                .collect(),
        ),
        Node::Group { flags, sub } => Some(
            choices(sub, group)?
                .into_iter()
                .map(|(n, t)| {
                    (
                        Node::Group {
                            flags: flags.clone(),
                            sub: Box::new(n),
                        },
                        t,
                    )
                })
                .collect(),
        ),
        _ => None,
    }
}

/// `node` with each conditional on `group` replaced by its branch.
fn resolve(node: Node, group: &GroupRef, took_part: bool) -> Node {
    let r = |n: Box<Node>| Box::new(resolve(*n, group, took_part));
    match node {
        Node::Cond { group: g, yes, no } if &g == group => {
            let branch = if took_part { yes } else { no };
            Node::Group {
                flags: String::new(),
                sub: r(branch),
            }
        }
        Node::Cond { group: g, yes, no } => Node::Cond {
            group: g,
            yes: r(yes),
            no: r(no),
        },
        Node::Capture { name, index, sub } => Node::Capture {
            name,
            index,
            sub: r(sub),
        },
        Node::Group { flags, sub } => Node::Group { flags, sub: r(sub) },
        Node::Look { ahead, negate, sub } => Node::Look {
            ahead,
            negate,
            sub: r(sub),
        },
        Node::Atomic(sub) => Node::Atomic(r(sub)),
        Node::Repeat {
            sub,
            min,
            max,
            greedy,
            possessive,
        } => Node::Repeat {
            sub: r(sub),
            min,
            max,
            greedy,
            possessive,
        },
        Node::Concat(items) => Node::Concat(
            items
                .into_iter()
                .map(|n| resolve(n, group, took_part))
                .collect(),
        ),
        Node::Alt(items) => Node::Alt(
            items
                .into_iter()
                .map(|n| resolve(n, group, took_part))
                .collect(),
        ),
        other => other,
    }
}

/// At most this many copies get [`variants`]: 2^n patterns are compiled.
const MAX_VARIANT_COPIES: usize = 4;

/// For a pattern ending in the copies [`distribute`] made (nested copies
/// counted one by one, in priority order), the pattern with only the copies
/// of each bit mask able to match (see `Translation::variants`); empty for
/// any other pattern.
pub fn variants(node: &Node) -> Vec<String> {
    let n = copies(node);
    if !(2..=MAX_VARIANT_COPIES).contains(&n) {
        return Vec::new();
    }
    (0..1usize << n)
        .map(|mask| super::print::linear(&keep(node, mask, &mut 0), false).unwrap_or_default())
        .collect()
}

/// Whether a line reaches the copies of `node` ([`variants`]) in their
/// numbered order, from wherever the part before them ends: every nested
/// list of copies follows a part that matches in one way at most (the
/// group a condition tests, `invalid user `), so no way through it
/// reaches a later copy before an earlier one is tried. What comes before
/// the outer list may match in several ways (see `FirstCopy`).
pub fn in_order(node: &Node) -> bool {
    let Some(list) = copy_list(node) else {
        return true;
    };
    list.iter().all(|copy| match (copy_list(copy), copy) {
        (Some(_), Node::Concat(items)) => {
            items[..items.len() - 1].iter().all(one_way) && in_order(copy)
        }
        _ => true,
    })
}

/// `node` matches in one way at most from a given place.
fn one_way(node: &Node) -> bool {
    match node {
        Node::Empty
        | Node::Literal(_)
        | Node::Class { .. }
        | Node::Perl(_)
        | Node::Dot
        | Node::Assert(_)
        | Node::SetFlags(_) => true,
        Node::Capture { sub, .. } | Node::Group { sub, .. } => one_way(sub),
        Node::Concat(items) => items.iter().all(one_way),
        Node::Repeat { sub, min, max, .. } => Some(*min) == *max && one_way(sub),
        _ => false,
    }
}

/// The copies at the end of `node`: `Concat[.., Group(Alt(copies))]`.
fn copy_list(node: &Node) -> Option<&[Node]> {
    let Node::Concat(items) = node else {
        return None;
    };
    let Some(Node::Group { flags, sub }) = items.last() else {
        return None;
    };
    match &**sub {
        Node::Alt(copies) if flags.is_empty() => Some(copies),
        _ => None,
    }
}

/// How many innermost copies `node` holds (1: it is one).
fn copies(node: &Node) -> usize {
    copy_list(node).map_or(1, |list| list.iter().map(copies).sum())
}

/// `node` with the innermost copies not in `mask` made unable to match
/// (`\b\B` first); `next` numbers the copies in order.
fn keep(node: &Node, mask: usize, next: &mut usize) -> Node {
    let Some(list) = copy_list(node) else {
        let k = *next;
        *next += 1;
        return match mask & (1 << k) {
            0 => Node::Concat(vec![Node::Raw(r"\b\B".to_string()), node.clone()]),
            _ => node.clone(),
        };
    };
    let Node::Concat(items) = node else {
        return node.clone();
    };
    let mut all = items[..items.len() - 1].to_vec();
    let kept = list.iter().map(|c| keep(c, mask, next)).collect();
    all.push(Node::Group {
        flags: String::new(),
        sub: Box::new(Node::Alt(kept)),
    });
    Node::Concat(all)
}
