//! Rewrites that turn two Python constructs into equivalent `regex`-crate
//! syntax, so that the linear engine runs them.
//!
//! Conditional groups, `(X)?R(?(1)A|B)T`: the choice that decides whether
//! the group took part (an optional or an alternation) is distributed over
//! the rest of the pattern, `(?:X R A T|R B T)`, each copy with the
//! condition known. Leftmost-first priority is kept: the copies come in the
//! order the choice's own branches are tried.
//!
//! Tempered tokens, `(?:(?!L).)*` for a literal `L`: the text up to the
//! first place `L` starts. Followed by `L` itself or by the end of the
//! line, there is exactly one such text, and it is a regular language: the
//! strings on which the KMP automaton of `L` never completes `L`, and (when
//! `L` follows) from whose end reading `L` completes it first at its last
//! character. That language is written out as a regex by state
//! elimination.

use super::ast::{GroupRef, Node};
use super::print;

/// A tempered token's translation may be this long, at most.
const MAX_TEMPERED: usize = 4096;
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

/// What the pattern certainly matches right after a node.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Follow {
    /// This text (then possibly more).
    Text(String),
    /// The end of the line.
    End,
    Unknown,
}

/// `node` with its tempered tokens translated where their follower allows.
pub fn temper(node: Node) -> Node {
    temper_in(node, &Follow::End)
}

fn temper_in(node: Node, follow: &Follow) -> Node {
    match node {
        Node::Concat(items) => {
            let mut out: Vec<Node> = Vec::with_capacity(items.len());
            for i in (0..items.len()).rev() {
                let next = follow_of(&items[i + 1..], follow);
                out.push(temper_in(items[i].clone(), &next));
            }
            out.reverse();
            Node::Concat(out)
        }
        Node::Alt(branches) => {
            Node::Alt(branches.into_iter().map(|b| temper_in(b, follow)).collect())
        }
        Node::Group { flags, sub } if flags.is_empty() => Node::Group {
            flags,
            sub: Box::new(temper_in(*sub, follow)),
        },
        Node::Capture { name, index, sub } => Node::Capture {
            name,
            index,
            sub: Box::new(temper_in(*sub, follow)),
        },
        Node::Repeat {
            ref sub,
            min: 0,
            max: None,
            possessive: false,
            ..
        } => match tempered_literal(sub).and_then(|l| avoiding(&l, follow)) {
            Some(raw) => raw,
            None => node,
        },
        other => other,
    }
}

/// The follower of `items` (the rest of a concatenation) before `outer`.
fn follow_of(items: &[Node], outer: &Follow) -> Follow {
    let mut text = String::new();
    for (i, item) in items.iter().enumerate() {
        match item {
            Node::Literal(c) => text.push(*c),
            Node::Assert("$") if text.is_empty() && i + 1 == items.len() => return Follow::End,
            _ if text.is_empty() => return Follow::Unknown,
            _ => return Follow::Text(text),
        }
    }
    match outer {
        _ if text.is_empty() => outer.clone(),
        Follow::Text(more) => Follow::Text(text + more),
        _ => Follow::Text(text),
    }
}

/// `L` of `(?:(?!L).)`, when `L` is plain text.
fn tempered_literal(node: &Node) -> Option<String> {
    let Node::Group { flags, sub } = node else {
        return None;
    };
    let Node::Concat(items) = &**sub else {
        return None;
    };
    let (
        [
            Node::Look {
                ahead: true,
                negate: true,
                sub: look,
            },
            Node::Dot,
        ],
        true,
    ) = (items.as_slice(), flags.is_empty())
    else {
        return None;
    };
    let text: Option<String> = match &**look {
        Node::Literal(c) => Some(c.to_string()),
        Node::Concat(cs) => cs
            .iter()
            .map(|c| {
                if let Node::Literal(c) = c {
                    Some(*c)
                } else {
                    None
                }
            })
            .collect(),
        _ => None,
    };
    text.filter(|t| !t.is_empty() && !t.contains('\n'))
}

/// The regex of the texts a tempered token on `literal` can take before
/// `follow` (see the module doc), as a raw regex-crate group.
fn avoiding(literal: &str, follow: &Follow) -> Option<Node> {
    let l: Vec<char> = literal.chars().collect();
    let n = l.len();
    let step = kmp(&l);
    let accepting: Vec<usize> = match follow {
        Follow::End => (0..n).collect(),
        Follow::Text(t) if t.starts_with(literal) => (0..n)
            .filter(|&q| {
                let mut s = q;
                for (i, c) in l.iter().enumerate() {
                    s = step(s, Some(*c));
                    if s == n {
                        return i + 1 == n;
                    }
                }
                false
            })
            .collect(),
        _ => return None,
    };
    let mut alphabet: Vec<Option<char>> = l.iter().copied().map(Some).collect();
    alphabet.sort();
    alphabet.dedup();
    alphabet.push(None);
    let others: String = {
        let mut set = l.clone();
        set.sort();
        set.dedup();
        let mut s = String::from("[^\\n");
        for c in set {
            let _ = std::fmt::Write::write_fmt(&mut s, format_args!("\\x{{{:X}}}", c as u32));
        }
        s + "]"
    };
    let label = |c: Option<char>| match c {
        Some(c) => print::linear(&Node::Literal(c), false).unwrap_or_default(),
        None => others.clone(),
    };
    // States 0..n, then start (n) and final (n + 1).
    let size = n + 2;
    let mut r: Vec<Vec<Option<String>>> = vec![vec![None; size]; size];
    for (q, row) in r.iter_mut().enumerate().take(n) {
        for &c in &alphabet {
            let to = step(q, c);
            if to < n {
                add(&mut row[to], label(c));
            }
        }
    }
    r[n][0] = Some(String::new());
    for &q in &accepting {
        r[q][n + 1] = Some(String::new());
    }
    for k in (0..n).rev() {
        let lo = r[k][k].take().map(|s| format!("(?:{s})*"));
        for i in (0..size).filter(|&i| i != k) {
            let Some(ik) = r[i][k].clone() else { continue };
            for j in (0..size).filter(|&j| j != k) {
                let Some(kj) = r[k][j].clone() else { continue };
                let path = format!("{ik}{}{kj}", lo.as_deref().unwrap_or(""));
                add(&mut r[i][j], path);
            }
        }
        for row in r.iter_mut() {
            row[k] = None;
        }
        r[k].iter_mut().for_each(|cell| *cell = None);
        if r.iter().flatten().flatten().map(String::len).sum::<usize>() > MAX_TEMPERED * 4 {
            return None;
        }
    }
    let out = r[n][n + 1].take()?;
    (out.len() <= MAX_TEMPERED).then(|| Node::Raw(format!("(?:{out})")))
}

fn add(slot: &mut Option<String>, regex: String) {
    *slot = Some(match slot.take() {
        None => regex,
        Some(old) => format!("(?:{old}|{regex})"),
    });
}

/// The KMP automaton of `l`: from a state (how much of `l` is matched) and
/// a character (`None`: one not in `l`), the next state; `l.len()` when
/// `l` completes.
fn kmp(l: &[char]) -> impl Fn(usize, Option<char>) -> usize + '_ {
    let mut fail = vec![0usize; l.len() + 1];
    let mut k = 0;
    for i in 1..l.len() {
        while k > 0 && l[i] != l[k] {
            k = fail[k];
        }
        if l[i] == l[k] {
            k += 1;
        }
        fail[i + 1] = k;
    }
    move |mut q: usize, c: Option<char>| loop {
        if q < l.len() && Some(l[q]) == c {
            return q + 1;
        }
        if q == 0 {
            return 0;
        }
        q = fail[q.min(l.len())];
    }
}
