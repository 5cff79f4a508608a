//! Tempered tokens, `(?:(?!L).)*` for a literal `L`, rewritten for the
//! `regex` crate: the text up to the first place `L` starts. Followed by
//! `L` itself or by the end of the line, there is exactly one such text,
//! and it is a regular language: the strings on which the KMP automaton of
//! `L` never completes `L`, and (when `L` follows) from whose end reading
//! `L` completes it first at its last character. That language is written
//! out as a regex by state elimination.

use super::ast::Node;
use super::print;

/// A tempered token's translation may be this long, at most.
const MAX_TEMPERED: usize = 4096;

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
    let mut chars = l.clone();
    chars.sort();
    chars.dedup();
    let hex = |c: char| format!("\\x{{{:X}}}", c as u32);
    // The characters that lead from one state to another, as one class:
    // `None` stands for every character not in `literal`.
    let label = |on: &[Option<char>]| -> String {
        if on.contains(&None) {
            let missing: String = chars
                .iter()
                .filter(|c| !on.contains(&Some(**c)))
                .map(|c| hex(*c))
                .collect();
            return format!("[^\\n{missing}]");
        }
        match on {
            [Some(c)] => print::linear(&Node::Literal(*c), false).unwrap_or_default(),
            _ => format!(
                "[{}]",
                on.iter().flatten().map(|c| hex(*c)).collect::<String>()
            ),
        }
    };
    // States 0..n, then start (n) and final (n + 1).
    let size = n + 2;
    let mut r: Vec<Vec<Option<String>>> = vec![vec![None; size]; size];
    for (q, row) in r.iter_mut().enumerate().take(n) {
        for (to, cell) in row.iter_mut().enumerate().take(n) {
            let on: Vec<Option<char>> = alphabet
                .iter()
                .copied()
                .filter(|&c| step(q, c) == to)
                .collect();
            if !on.is_empty() {
                *cell = Some(label(&on));
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
