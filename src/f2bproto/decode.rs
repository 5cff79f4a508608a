//! A pickle decoder for untrusted requests: the opcodes Python (protocols 2
//! to 5) uses for a list of strings and the plain values around it, and
//! the binary Python 2 strings other languages' pickle libraries write
//! (Go's og-rek, as fail2ban exporters use it), and nothing else. An opcode that names a Python class or calls code
//! (GLOBAL, STACK_GLOBAL, REDUCE, BUILD, INST, OBJ, NEWOBJ, EXT, PERSID...)
//! is refused: nothing is ever looked up or evaluated.
//!
//! Invariants, whatever the input:
//! - no panic, no recursion on the input's shape while reading it;
//! - memory bounded by [`Limits`]: every value created or fetched from the
//!   memo costs one item, strings are at most `max_string` bytes, the values
//!   handed back are at most `max_items` and `max_frame` bytes of text in all
//!   (a value shared through the memo is counted every time it appears, so
//!   "billion laughs" pickles stop at the limit), nesting at most `max_depth`
//!   (a reference cycle stops there too).
//!
//! Containers live in an arena while reading, and the memo and the stack
//! hold indices into it: a list stored in the memo and filled afterwards
//! is seen filled when fetched back, as Python's unpickler sees it.

use std::collections::HashMap;

use super::value::Value;

/// What a request may cost. The defaults suit fail2ban-client's commands,
/// including the configuration stream `reload` sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest pickle (and largest total of decoded text), in bytes.
    pub max_frame: usize,
    /// Deepest nesting of lists, tuples and dicts.
    pub max_depth: usize,
    /// Most values created, fetched from the memo or handed back.
    pub max_items: usize,
    /// Longest single string or bytes value.
    pub max_string: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_frame: 1 << 20,
            max_depth: 32,
            max_items: 100_000,
            max_string: 64 << 10,
        }
    }
}

/// Why a request's pickle was refused. Offsets count bytes from the start of
/// the pickle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("pickle of {len} bytes is larger than the limit of {limit} bytes")]
    TooLarge { len: usize, limit: usize },
    #[error("pickle is truncated: {needed} more bytes needed at byte {offset}")]
    Truncated { offset: usize, needed: usize },
    #[error("pickle opcode {name} at byte {offset} names a Python object to load or call; refused")]
    Forbidden { name: &'static str, offset: usize },
    #[error("pickle opcode 0x{opcode:02x} at byte {offset} is not supported")]
    Unsupported { opcode: u8, offset: usize },
    #[error("pickle protocol {version} at byte {offset} is not supported (2 to 5 are)")]
    Protocol { version: u8, offset: usize },
    #[error("string of {len} bytes at byte {offset} is longer than the limit of {limit} bytes")]
    StringTooLong {
        len: u64,
        limit: usize,
        offset: usize,
    },
    #[error("string at byte {offset} is not valid UTF-8")]
    BadUtf8 {
        offset: usize,
        #[source]
        source: std::str::Utf8Error,
    },
    #[error("Python 2 string at byte {offset} is not ASCII")]
    NotAscii { offset: usize },
    #[error("integer of {len} bytes at byte {offset} does not fit in 64 bits")]
    IntTooLarge { len: u64, offset: usize },
    #[error("pickle holds more than {limit} values")]
    TooManyItems { limit: usize },
    #[error("pickle holds more than {limit} bytes of text")]
    TooMuchText { limit: usize },
    #[error("pickle nests deeper than {limit} levels")]
    TooDeep { limit: usize },
    #[error("pickle reads memo slot {index} at byte {offset}, which was never written")]
    MemoMissing { index: u64, offset: usize },
    #[error("pickle opcode 0x{opcode:02x} at byte {offset} finds no value or mark to work on")]
    StackUnderflow { opcode: u8, offset: usize },
    #[error(
        "pickle opcode 0x{opcode:02x} at byte {offset} works on a {expected}, found something else"
    )]
    WrongType {
        opcode: u8,
        offset: usize,
        expected: &'static str,
    },
}

/// Decodes one pickle (trailing bytes after its STOP are ignored, as
/// Python's `pickle.loads` ignores them).
pub fn decode(data: &[u8], limits: &Limits) -> Result<Value, DecodeError> {
    if data.len() > limits.max_frame {
        return Err(DecodeError::TooLarge {
            len: data.len(),
            limit: limits.max_frame,
        });
    }
    let mut machine = Machine::new(data, limits);
    let root = machine.run()?;
    let mut budget = Budget {
        items: limits.max_items,
        text: limits.max_frame,
    };
    machine.build(root, 0, &mut budget)
}

/// A value on the stack or in a container: scalars inline, everything else
/// an index into the arena.
#[derive(Debug, Clone, Copy)]
pub(super) enum Slot {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Node(usize),
}

pub(super) enum Node {
    Str(String),
    Bytes(Vec<u8>),
    List(Vec<Slot>),
    Tuple(Vec<Slot>),
    Dict(Vec<(Slot, Slot)>),
}

/// What is left to hand back while building the result.
struct Budget {
    items: usize,
    text: usize,
}

/// The unpickler's state: input, stack, marks, memo, arena.
pub(super) struct Machine<'a> {
    pub(super) data: &'a [u8],
    pub(super) pos: usize,
    pub(super) limits: &'a Limits,
    pub(super) stack: Vec<Slot>,
    pub(super) marks: Vec<usize>,
    pub(super) memo: HashMap<u32, Slot>,
    pub(super) arena: Vec<Node>,
    /// Values created or fetched so far.
    pub(super) created: usize,
}

impl<'a> Machine<'a> {
    fn new(data: &'a [u8], limits: &'a Limits) -> Machine<'a> {
        Machine {
            data,
            pos: 0,
            limits,
            stack: Vec::new(),
            marks: Vec::new(),
            memo: HashMap::new(),
            arena: Vec::new(),
            created: 0,
        }
    }

    /// The next `n` bytes (checked against what is left before anything is
    /// allocated).
    pub(super) fn take(&mut self, n: u64) -> Result<&'a [u8], DecodeError> {
        let left = self.data.len() - self.pos;
        if n > left as u64 {
            return Err(DecodeError::Truncated {
                offset: self.pos,
                needed: (n - left as u64).min(usize::MAX as u64) as usize,
            });
        }
        let start = self.pos;
        self.pos += n as usize;
        Ok(&self.data[start..self.pos])
    }

    pub(super) fn uint(&mut self, width: usize) -> Result<u64, DecodeError> {
        let bytes = self.take(width as u64)?;
        Ok(bytes
            .iter()
            .rev()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// Counts one more value against `max_items`.
    pub(super) fn count(&mut self) -> Result<(), DecodeError> {
        self.created += 1;
        if self.created > self.limits.max_items {
            return Err(DecodeError::TooManyItems {
                limit: self.limits.max_items,
            });
        }
        Ok(())
    }

    pub(super) fn push(&mut self, slot: Slot) -> Result<(), DecodeError> {
        self.count()?;
        self.stack.push(slot);
        Ok(())
    }

    pub(super) fn push_node(&mut self, node: Node) -> Result<(), DecodeError> {
        self.count()?;
        self.arena.push(node);
        self.stack.push(Slot::Node(self.arena.len() - 1));
        Ok(())
    }

    /// Turns the arena graph under `slot` into a tree, within the budget.
    /// Recursion is bounded by `max_depth`, which a reference cycle reaches.
    fn build(&self, slot: Slot, depth: usize, budget: &mut Budget) -> Result<Value, DecodeError> {
        budget.items = budget
            .items
            .checked_sub(1)
            .ok_or(DecodeError::TooManyItems {
                limit: self.limits.max_items,
            })?;
        let id = match slot {
            Slot::None => return Ok(Value::None),
            Slot::Bool(b) => return Ok(Value::Bool(b)),
            Slot::Int(n) => return Ok(Value::Int(n)),
            Slot::Float(f) => return Ok(Value::Float(f)),
            Slot::Node(id) => id,
        };
        let mut all = |slots: &[Slot]| -> Result<Vec<Value>, DecodeError> {
            slots
                .iter()
                .map(|&s| self.build(s, depth + 1, budget))
                .collect()
        };
        match &self.arena[id] {
            Node::Str(s) => self
                .spend_text(budget, s.len())
                .map(|()| Value::Str(s.clone())),
            Node::Bytes(b) => self
                .spend_text(budget, b.len())
                .map(|()| Value::Bytes(b.clone())),
            _ if depth >= self.limits.max_depth => Err(DecodeError::TooDeep {
                limit: self.limits.max_depth,
            }),
            Node::List(items) => Ok(Value::List(all(items)?)),
            Node::Tuple(items) => Ok(Value::Tuple(all(items)?)),
            Node::Dict(pairs) => {
                let mut out = Vec::with_capacity(pairs.len());
                for &(k, v) in pairs {
                    out.push((
                        self.build(k, depth + 1, budget)?,
                        self.build(v, depth + 1, budget)?,
                    ));
                }
                Ok(Value::Dict(out))
            }
        }
    }

    fn spend_text(&self, budget: &mut Budget, len: usize) -> Result<(), DecodeError> {
        budget.text = budget
            .text
            .checked_sub(len)
            .ok_or(DecodeError::TooMuchText {
                limit: self.limits.max_frame,
            })?;
        Ok(())
    }
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
