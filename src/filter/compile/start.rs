//! Which fail regexes can match a line at all, told by the literal text
//! each anchored regex must start with (`^Failed `, `^Invalid user `...).
//!
//! The start literals of all fail regexes go into one trie; walking a
//! line's first bytes down it yields the regexes whose start the line has,
//! so a line costs one short walk, not a run of an automaton per regex.
//! The trie is stored flat (nodes, edges and each node's answer in three
//! arrays) so that the walk stays in the cache; a chain of nodes with one
//! child and no literal ending there is one edge labelled with its bytes,
//! so that a message's common start ("Failed ") costs one comparison; and
//! each node holds the regexes of every literal on the path to it, so that
//! the walk only reads the answer of the node it stops at.
//! The literals come from `regex-syntax`'s prefix extractor, which
//! guarantees that every match begins with one of them when the set is
//! finite (cut to [`MAX_LITERAL`] bytes, that still holds). A regex that is
//! not anchored at the start, or whose set is infinite or holds the empty
//! string, is a candidate for every line.

use regex_syntax::ParserBuilder;
use regex_syntax::hir::Look;
use regex_syntax::hir::literal::{ExtractKind, Extractor};

/// Start literals are cut to this many bytes: enough to tell messages apart.
const MAX_LITERAL: usize = 16;

/// The start literals of every fail regex, as a trie.
#[derive(Debug, Clone)]
pub struct StartIndex {
    /// Per node, where its edges start in `edges` and how many there are.
    nodes: Vec<(u32, u32)>,
    /// Edges grouped by parent; siblings' labels start with distinct bytes.
    edges: Vec<Edge>,
    /// The bytes of every edge's label.
    labels: Vec<u8>,
    /// Per node, `words` words of bits: the regexes a line reaching the
    /// node may match (one of their literals ends on the path to it), and
    /// those of `always`.
    reach: Vec<u64>,
    words: usize,
}

/// An edge of the flat trie: `labels[start..end]` leads to `child`.
#[derive(Debug, Clone, Copy)]
struct Edge {
    first: u8,
    start: u32,
    end: u32,
    child: u32,
}

/// The trie as it is built.
#[derive(Debug, Default)]
struct Trie {
    nodes: Vec<Node>,
}

#[derive(Debug, Default)]
struct Node {
    next: Vec<(u8, u32)>,
    /// Regexes one of whose literals ends here.
    ends: Vec<u64>,
}

impl StartIndex {
    /// Indexes `patterns` (tags expanded), parsed as the regexes are:
    /// bytes, no Unicode.
    pub fn new<'a>(patterns: impl ExactSizeIterator<Item = &'a str>) -> StartIndex {
        let words = patterns.len().div_ceil(64);
        let mut trie = Trie {
            nodes: vec![Node::default()],
        };
        let mut always = vec![0; words];
        for (i, pattern) in patterns.enumerate() {
            match start_literals(pattern) {
                Some(literals) => literals.iter().for_each(|l| trie.insert(l, i, words)),
                None => always[i / 64] |= 1 << (i % 64),
            }
        }
        trie.flatten(always)
    }

    /// Sets `out` to the regexes that could match `body` (a bit per regex).
    pub fn candidates(&self, body: &[u8], out: &mut Vec<u64>) {
        let body = &body[..body.len().min(MAX_LITERAL)];
        let (mut at, mut pos) = (0, 0);
        while let Some(&byte) = body.get(pos) {
            let (first, count) = self.nodes[at];
            let edges = &self.edges[first as usize..(first + count) as usize];
            let Some(edge) = edges.iter().find(|e| e.first == byte) else {
                break;
            };
            let label = &self.labels[edge.start as usize..edge.end as usize];
            if !body[pos..].starts_with(label) {
                break;
            }
            (at, pos) = (edge.child as usize, pos + label.len());
        }
        out.clear();
        out.extend_from_slice(&self.reach[at * self.words..(at + 1) * self.words]);
    }
}

impl Trie {
    fn insert(&mut self, literal: &[u8], regex: usize, words: usize) {
        let mut at = 0;
        for &byte in literal {
            at = match self.nodes[at].next.iter().find(|(b, _)| *b == byte) {
                Some(&(_, child)) => child as usize,
                None => {
                    self.nodes.push(Node::default());
                    let child = self.nodes.len() - 1;
                    self.nodes[at].next.push((byte, child as u32));
                    child
                }
            };
        }
        let ends = &mut self.nodes[at].ends;
        ends.resize(words, 0);
        ends[regex / 64] |= 1 << (regex % 64);
    }

    /// The flat form; node numbers are kept.
    fn flatten(self, always: Vec<u64>) -> StartIndex {
        let words = always.len();
        let mut index = StartIndex {
            nodes: Vec::with_capacity(self.nodes.len()),
            edges: Vec::new(),
            labels: Vec::new(),
            reach: vec![0; self.nodes.len() * words],
            words,
        };
        for node in &self.nodes {
            index
                .nodes
                .push((index.edges.len() as u32, node.next.len() as u32));
            for &(first, child) in &node.next {
                let start = index.labels.len() as u32;
                index.labels.push(first);
                let mut child = child as usize;
                while let [(byte, next)] = self.nodes[child].next[..] {
                    if self.nodes[child].ends.iter().any(|&bits| bits != 0) {
                        break;
                    }
                    index.labels.push(byte);
                    child = next as usize;
                }
                index.edges.push(Edge {
                    first,
                    start,
                    end: index.labels.len() as u32,
                    child: child as u32,
                });
            }
        }
        // Parents are numbered before their children.
        index.reach[..words].copy_from_slice(&always);
        for (at, node) in self.nodes.iter().enumerate() {
            for (word, bits) in node.ends.iter().enumerate() {
                index.reach[at * words + word] |= bits;
            }
            for &(_, child) in &node.next {
                let child = child as usize;
                for word in 0..words {
                    index.reach[child * words + word] = index.reach[at * words + word];
                }
            }
        }
        index
    }
}

/// The literals every match of `pattern` starts with, cut and deduplicated;
/// `None` when any line could match.
fn start_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    if !hir.properties().look_set_prefix().contains(Look::Start) {
        return None;
    }
    let mut seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
    seq.keep_first_bytes(MAX_LITERAL);
    seq.dedup();
    let literals = seq.literals()?;
    if literals.is_empty() || literals.iter().any(|l| l.is_empty()) {
        return None;
    }
    Some(literals.iter().map(|l| l.as_bytes().to_vec()).collect())
}

/// Whether bit `i` is set.
pub fn has(bits: &[u64], i: usize) -> bool {
    bits[i / 64] & (1 << (i % 64)) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates(patterns: &[&str], body: &str) -> Vec<usize> {
        let index = StartIndex::new(patterns.iter().copied());
        let mut out = Vec::new();
        index.candidates(body.as_bytes(), &mut out);
        (0..patterns.len()).filter(|&i| has(&out, i)).collect()
    }

    const PATTERNS: [&str; 5] = [
        r"^(?:error: )?Failed \S+ for (?P<user>\S+)",
        r"^[iI]nvalid user (?P<user>\S+)",
        r"Failed for",
        r"^.*Failed",
        r"^(?:error: )?Failed password for very long literals that go on",
    ];

    #[test]
    fn anchored_regexes_are_candidates_only_for_their_starts() {
        assert_eq!(
            candidates(&PATTERNS, "Failed password for root"),
            vec![0, 2, 3, 4]
        );
        assert_eq!(
            candidates(&PATTERNS, "error: Failed publickey for root"),
            vec![0, 2, 3]
        );
        assert_eq!(candidates(&PATTERNS, "invalid user x"), vec![1, 2, 3]);
        assert_eq!(candidates(&PATTERNS, "Invalid user x"), vec![1, 2, 3]);
        assert_eq!(candidates(&PATTERNS, "Faile"), vec![2, 3]);
    }

    #[test]
    fn unanchored_or_open_regexes_are_always_candidates() {
        assert_eq!(candidates(&PATTERNS, ""), vec![2, 3]);
        assert_eq!(candidates(&[r"^\s*Failed"], "   Failed"), vec![0]);
    }

    #[test]
    fn more_than_64_regexes() {
        let many: Vec<String> = (0..130).map(|i| format!("^msg{i} ")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(candidates(&refs, "msg129 x"), vec![129]);
        assert_eq!(candidates(&refs, "msg12 x"), vec![12]);
    }
}
