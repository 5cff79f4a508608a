//! A parser of Python `re` pattern syntax (as fail2ban's regexes use it)
//! into a small syntax tree, so that a pattern can be printed again for the
//! `regex` crate or for the backtracking engine.
//!
//! What Python reads differently from the `regex` crate is decided here:
//! a `{` that does not start a valid quantifier is a literal brace; `\Z` is
//! the end of the text; `\1`..`\99` are backreferences; `(?P=name)`,
//! `(?(name)yes|no)`, `(?>...)`, `X*+` exist; a class's `[`, `&&`, `--` and
//! `~~` are plain characters.

mod escape;
mod group;

/// A reference to a capture group, by name or number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupRef {
    Name(String),
    Index(u32),
}

/// One item of a character class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClassItem {
    Char(char),
    Range(char, char),
    /// `\d`, `\w`, `\s` and their negations, by letter.
    Perl(char),
}

/// A pattern's syntax tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Empty,
    Literal(char),
    Class {
        negated: bool,
        items: Vec<ClassItem>,
    },
    /// `\d \D \w \W \s \S`.
    Perl(char),
    Dot,
    /// `^`, `$`, `\A`, `\Z`, `\b`, `\B`, by their Python spelling.
    Assert(&'static str),
    /// `(...)` or `(?P<name>...)`; `index` counts from 1 in pattern order.
    Capture {
        name: Option<String>,
        index: u32,
        sub: Box<Node>,
    },
    /// `(?:...)`, or `(?flags:...)` with `flags` like `i` or `i-s`.
    Group {
        flags: String,
        sub: Box<Node>,
    },
    /// `(?i)`: flags switched on for the rest of the enclosing group.
    SetFlags(String),
    Look {
        ahead: bool,
        negate: bool,
        sub: Box<Node>,
    },
    Backref(GroupRef),
    Cond {
        group: GroupRef,
        yes: Box<Node>,
        no: Box<Node>,
    },
    Atomic(Box<Node>),
    Repeat {
        sub: Box<Node>,
        min: u32,
        max: Option<u32>,
        greedy: bool,
        possessive: bool,
    },
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    /// Regex-crate syntax made by a rewrite, printed as it is.
    Raw(String),
}

/// Why a pattern is not valid Python `re` syntax.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} at character {at}")]
pub struct SyntaxError {
    pub what: String,
    pub at: usize,
}

/// Parses a whole pattern.
pub fn parse(pattern: &str) -> Result<Node, SyntaxError> {
    let mut p = Parser {
        chars: pattern.chars().collect(),
        pos: 0,
        groups: 0,
    };
    let node = p.alternation()?;
    match p.peek() {
        None => Ok(node),
        Some(_) => Err(p.error("unbalanced parenthesis")),
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    groups: u32,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn looking_at(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(i, c)| self.chars.get(self.pos + i) == Some(&c))
    }

    fn next(&mut self) -> Result<char, SyntaxError> {
        let c = self
            .peek()
            .ok_or_else(|| self.error("unexpected end of pattern"))?;
        self.pos += 1;
        Ok(c)
    }

    fn error(&self, what: &str) -> SyntaxError {
        SyntaxError {
            what: what.to_string(),
            at: self.pos,
        }
    }

    fn alternation(&mut self) -> Result<Node, SyntaxError> {
        let mut branches = vec![self.concat()?];
        while self.peek() == Some('|') {
            self.pos += 1;
            branches.push(self.concat()?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(branches)
        })
    }

    fn concat(&mut self) -> Result<Node, SyntaxError> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            let atom = self.quantified(atom)?;
            items.push(atom);
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(items),
        })
    }

    fn quantified(&mut self, mut atom: Node) -> Result<Node, SyntaxError> {
        loop {
            let (min, max) = match self.peek() {
                Some('*') => (0, None),
                Some('+') => (1, None),
                Some('?') => (0, Some(1)),
                Some('{') => match self.braces() {
                    Some(q) => q,
                    None => return Ok(atom),
                },
                _ => return Ok(atom),
            };
            self.pos += 1;
            if matches!(atom, Node::Empty | Node::Assert(_) | Node::SetFlags(_)) {
                return Err(self.error("nothing to repeat"));
            }
            let (greedy, possessive) = match self.peek() {
                Some('?') => (false, false),
                Some('+') => (true, true),
                _ => (true, false),
            };
            if !greedy || possessive {
                self.pos += 1;
            }
            atom = Node::Repeat {
                sub: Box::new(atom),
                min,
                max,
                greedy,
                possessive,
            };
        }
    }

    /// `{m}`, `{m,}`, `{,n}`, `{m,n}`, leaving `pos` on the `}`; `None`
    /// (and `pos` unchanged) when the brace is a literal, as Python has it.
    fn braces(&mut self) -> Option<(u32, Option<u32>)> {
        let start = self.pos;
        let end = (start + 1..self.chars.len()).find(|&i| self.chars[i] == '}')?;
        let body: String = self.chars[start + 1..end].iter().collect();
        let number = |s: &str| -> Option<Option<u32>> {
            match s {
                "" => Some(None),
                _ if s.chars().all(|c| c.is_ascii_digit()) => s.parse().ok().map(Some),
                _ => None,
            }
        };
        let (min, max) = match body.split_once(',') {
            Some((a, b)) => (number(a)?, number(b)?),
            None => {
                let n = number(&body)??;
                (Some(n), Some(n))
            }
        };
        if body.is_empty() {
            return None;
        }
        self.pos = end;
        Some((min.unwrap_or(0), max))
    }

    fn atom(&mut self) -> Result<Node, SyntaxError> {
        let c = self.next()?;
        Ok(match c {
            '.' => Node::Dot,
            '^' => Node::Assert("^"),
            '$' => Node::Assert("$"),
            '[' => self.class()?,
            '(' => self.group()?,
            '\\' => self.escape()?,
            '*' | '+' | '?' => return Err(self.error("nothing to repeat")),
            c => Node::Literal(c),
        })
    }
}
