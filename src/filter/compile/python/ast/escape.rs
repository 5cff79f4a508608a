//! Backslash escapes and character classes: `\d`, `\Z`, `\1`, `\x41`,
//! `[^a-z\s]`, read as Python's `re` reads them (a class's `[`, `&&`,
//! `--`, `~~` are plain characters; `\b` in a class is a backspace).

use super::{ClassItem, GroupRef, Node, Parser, SyntaxError};

impl Parser {
    pub(super) fn escape(&mut self) -> Result<Node, SyntaxError> {
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

    pub(super) fn class(&mut self) -> Result<Node, SyntaxError> {
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
}
