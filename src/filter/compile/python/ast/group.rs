//! Everything that starts with `(`: captures (numbered in pattern order,
//! named with `(?P<name>` or `(?<name>`), backreferences `(?P=name)`,
//! comments, conditional groups, look-arounds, atomic groups and flags.

use super::{GroupRef, Node, Parser, SyntaxError};

impl Parser {
    pub(super) fn group(&mut self) -> Result<Node, SyntaxError> {
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
