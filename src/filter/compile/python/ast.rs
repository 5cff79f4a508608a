//! A parser of Python `re` pattern syntax (as fail2ban's regexes use it)
//! into a small syntax tree, so that a pattern can be printed again for the
//! `regex` crate or for the backtracking engine.
//!
//! What Python reads differently from the `regex` crate is decided here:
//! a `{` that does not start a valid quantifier is a literal brace; `\Z` is
//! the end of the text; `\1`..`\99` are backreferences; `(?P=name)`,
//! `(?(name)yes|no)`, `(?>...)`, `X*+` exist; a class's `[`, `&&`, `--` and
//! `~~` are plain characters.

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

    fn escape(&mut self) -> Result<Node, SyntaxError> {
        let c = self.next()?;
        Ok(match c {
            'd' | 'D' | 'w' | 'W' | 's' | 'S' => Node::Perl(c),
            'A' => Node::Assert("\\A"),
            'Z' => Node::Assert("\\Z"),
            'b' => Node::Assert("\\b"),
            'B' => Node::Assert("\\B"),
            '1'..='9' => {
                let mut n = c.to_digit(10).unwrap_or(0);
                if let Some(d) = self.peek().and_then(|d| d.to_digit(10)) {
                    self.pos += 1;
                    n = n * 10 + d;
                }
                Node::Backref(GroupRef::Index(n))
            }
            _ => Node::Literal(self.char_escape(c)?),
        })
    }

    /// The character an escape other than a class or assertion stands for.
    fn char_escape(&mut self, c: char) -> Result<char, SyntaxError> {
        Ok(match c {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            'f' => '\x0c',
            'v' => '\x0b',
            'a' => '\x07',
            '0' => {
                let mut n = 0u32;
                for _ in 0..2 {
                    match self.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            n = n * 8 + d;
                            self.pos += 1;
                        }
                        None => break,
                    }
                }
                char::from_u32(n).unwrap_or('\0')
            }
            'x' => self.hex(2)?,
            'u' => self.hex(4)?,
            'U' => self.hex(8)?,
            c if c.is_ascii_alphanumeric() => return Err(self.error(&format!("bad escape \\{c}"))),
            c => c,
        })
    }

    fn hex(&mut self, digits: usize) -> Result<char, SyntaxError> {
        let mut n = 0u32;
        for _ in 0..digits {
            let d = self
                .next()?
                .to_digit(16)
                .ok_or_else(|| self.error("bad hex escape"))?;
            n = n * 16 + d;
        }
        char::from_u32(n).ok_or_else(|| self.error("bad character code"))
    }

    fn class(&mut self) -> Result<Node, SyntaxError> {
        let negated = self.peek() == Some('^');
        if negated {
            self.pos += 1;
        }
        let mut items = Vec::new();
        let mut first = true;
        loop {
            let c = self.next()?;
            if c == ']' && !first {
                break;
            }
            first = false;
            let item = match c {
                '\\' => match self.next()? {
                    p @ ('d' | 'D' | 'w' | 'W' | 's' | 'S') => ClassItem::Perl(p),
                    'b' => ClassItem::Char('\x08'),
                    e => ClassItem::Char(self.char_escape(e)?),
                },
                c => ClassItem::Char(c),
            };
            let ClassItem::Char(lo) = item else {
                items.push(item);
                continue;
            };
            if self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|&c| c != ']') {
                self.pos += 1;
                let hi = match self.next()? {
                    '\\' => {
                        let e = self.next()?;
                        self.char_escape(e)?
                    }
                    c => c,
                };
                if hi < lo {
                    return Err(self.error("bad character range"));
                }
                items.push(ClassItem::Range(lo, hi));
            } else {
                items.push(item);
            }
        }
        Ok(Node::Class { negated, items })
    }

    fn group(&mut self) -> Result<Node, SyntaxError> {
        if self.peek() != Some('?') {
            return self.capture(None);
        }
        self.pos += 1;
        let node = if self.looking_at("P<")
            || self.looking_at("<") && !self.looking_at("<=") && !self.looking_at("<!")
        {
            self.pos += if self.peek() == Some('P') { 2 } else { 1 };
            let name = self.name('>')?;
            return self.capture(Some(name));
        } else if self.looking_at("P=") {
            self.pos += 2;
            return Ok(Node::Backref(GroupRef::Name(self.name(')')?)));
        } else if self.looking_at("#") {
            while self.next()? != ')' {}
            return Ok(Node::Empty);
        } else if self.looking_at("(") {
            self.pos += 1;
            let name = self.name(')')?;
            let group = match name.parse::<u32>() {
                Ok(n) => GroupRef::Index(n),
                Err(_) => GroupRef::Name(name),
            };
            let yes = self.concat()?;
            let no = if self.peek() == Some('|') {
                self.pos += 1;
                self.concat()?
            } else {
                Node::Empty
            };
            if self.peek() == Some('|') {
                return Err(self.error("conditional group with more than two branches"));
            }
            Node::Cond {
                group,
                yes: Box::new(yes),
                no: Box::new(no),
            }
        } else {
            let look = [
                ("=", true, false),
                ("!", true, true),
                ("<=", false, false),
                ("<!", false, true),
            ]
            .into_iter()
            .find(|(s, _, _)| self.looking_at(s));
            if let Some((s, ahead, negate)) = look {
                self.pos += s.len();
                Node::Look {
                    ahead,
                    negate,
                    sub: Box::new(self.alternation()?),
                }
            } else if self.looking_at(">") {
                self.pos += 1;
                Node::Atomic(Box::new(self.alternation()?))
            } else {
                return self.flags();
            }
        };
        self.close()?;
        Ok(node)
    }

    fn capture(&mut self, name: Option<String>) -> Result<Node, SyntaxError> {
        self.groups += 1;
        let index = self.groups;
        let sub = self.alternation()?;
        self.close()?;
        Ok(Node::Capture {
            name,
            index,
            sub: Box::new(sub),
        })
    }

    /// `(?aiLmsux-imsx:...)` or `(?aiLmsux)`.
    fn flags(&mut self) -> Result<Node, SyntaxError> {
        let mut flags = String::new();
        loop {
            match self.next()? {
                c @ ('a' | 'i' | 'L' | 'm' | 's' | 'u' | 'x' | '-') => flags.push(c),
                ')' => return Ok(Node::SetFlags(flags)),
                ':' => {
                    let sub = self.alternation()?;
                    self.close()?;
                    return Ok(Node::Group {
                        flags,
                        sub: Box::new(sub),
                    });
                }
                _ => return Err(self.error("unknown extension (?")),
            }
        }
    }

    fn name(&mut self, end: char) -> Result<String, SyntaxError> {
        let mut name = String::new();
        loop {
            let c = self.next()?;
            if c == end {
                break;
            }
            name.push(c);
        }
        let valid = !name.is_empty()
            && name.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if valid || name.chars().all(|c| c.is_ascii_digit()) && !name.is_empty() {
            Ok(name)
        } else {
            Err(self.error(&format!("bad group name {name:?}")))
        }
    }

    fn close(&mut self) -> Result<(), SyntaxError> {
        match self.next() {
            Ok(')') => Ok(()),
            _ => Err(self.error("missing ), unterminated subpattern")),
        }
    }
}
