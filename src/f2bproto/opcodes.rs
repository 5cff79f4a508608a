//! The opcodes [`super::decode`] reads, one small step each. The names are
//! those of Python's `pickletools`; every opcode not listed in [`step`] is
//! refused.
//!
//! [`step`]: Machine::step

use super::decode::{DecodeError, Machine, Node, Slot};

/// Opcodes that name a Python object to load, or call one: never run.
const FORBIDDEN: &[(u8, &str)] = &[
    (b'c', "GLOBAL"),
    (0x93, "STACK_GLOBAL"),
    (b'R', "REDUCE"),
    (b'b', "BUILD"),
    (b'i', "INST"),
    (b'o', "OBJ"),
    (0x81, "NEWOBJ"),
    (0x92, "NEWOBJ_EX"),
    (0x82, "EXT1"),
    (0x83, "EXT2"),
    (0x84, "EXT4"),
    (b'P', "PERSID"),
    (b'Q', "BINPERSID"),
];

/// What a string opcode's bytes are.
#[derive(Clone, Copy)]
enum Text {
    /// A `str` (BINUNICODE and its kin).
    Utf8,
    /// A Python 2 `str` (SHORT_BINSTRING, BINSTRING), as Go and other
    /// non-Python clients write strings: read as Python 3 reads them by
    /// default, ASCII only.
    Ascii,
    /// A `bytes` value.
    Bytes,
}

impl Machine<'_> {
    /// Runs the opcodes up to STOP; the value STOP pops.
    pub(super) fn run(&mut self) -> Result<Slot, DecodeError> {
        loop {
            let offset = self.pos;
            let opcode = self.take(1)?[0];
            if opcode == b'.' {
                return self.pop(opcode, offset);
            }
            self.step(opcode, offset)?;
        }
    }

    fn step(&mut self, opcode: u8, offset: usize) -> Result<(), DecodeError> {
        match opcode {
            0x80 => self.proto(offset),
            0x95 => self.frame(),
            b'N' => self.push(Slot::None),
            0x88 => self.push(Slot::Bool(true)),
            0x89 => self.push(Slot::Bool(false)),
            b'K' => self.int_opcode(1),
            b'M' => self.int_opcode(2),
            b'J' => {
                let n = self.uint(4)? as u32 as i32;
                self.push(Slot::Int(i64::from(n)))
            }
            0x8a => self.long(1, offset),
            0x8b => self.long(4, offset),
            b'G' => {
                let bits = self.take(8)?;
                let f = f64::from_be_bytes(bits.try_into().expect("8 bytes"));
                self.push(Slot::Float(f))
            }
            0x8c => self.string(1, Text::Utf8, offset),
            b'X' => self.string(4, Text::Utf8, offset),
            0x8d => self.string(8, Text::Utf8, offset),
            b'U' => self.string(1, Text::Ascii, offset),
            b'T' => self.string(4, Text::Ascii, offset),
            b'C' => self.string(1, Text::Bytes, offset),
            b'B' => self.string(4, Text::Bytes, offset),
            0x8e => self.string(8, Text::Bytes, offset),
            b']' => self.push_node(Node::List(Vec::new())),
            b'}' => self.push_node(Node::Dict(Vec::new())),
            b')' => self.push_node(Node::Tuple(Vec::new())),
            0x85..=0x87 => self.small_tuple(usize::from(opcode - 0x84), opcode, offset),
            b'(' => self.mark(),
            b't' => self.marked(opcode, offset, Node::Tuple),
            b'l' => self.marked(opcode, offset, Node::List),
            b'a' => self.append(opcode, offset, false),
            b'e' => self.append(opcode, offset, true),
            b's' => self.set_items(opcode, offset, false),
            b'u' => self.set_items(opcode, offset, true),
            0x94 => self.memo_put(self.memo.len() as u64, opcode, offset),
            b'q' => {
                let index = self.uint(1)?;
                self.memo_put(index, opcode, offset)
            }
            b'r' => {
                let index = self.uint(4)?;
                self.memo_put(index, opcode, offset)
            }
            b'h' => self.memo_get(1, offset),
            b'j' => self.memo_get(4, offset),
            _ => Err(match FORBIDDEN.iter().find(|(op, _)| *op == opcode) {
                Some(&(_, name)) => DecodeError::Forbidden { name, offset },
                None => DecodeError::Unsupported { opcode, offset },
            }),
        }
    }

    fn proto(&mut self, offset: usize) -> Result<(), DecodeError> {
        let version = self.take(1)?[0];
        if !(2..=5).contains(&version) {
            return Err(DecodeError::Protocol { version, offset });
        }
        Ok(())
    }

    /// FRAME only announces how many bytes follow; a frame claiming more
    /// than is there is a truncated pickle.
    fn frame(&mut self) -> Result<(), DecodeError> {
        let len = self.uint(8)?;
        let left = (self.data.len() - self.pos) as u64;
        if len > left {
            return Err(DecodeError::Truncated {
                offset: self.pos,
                needed: (len - left).min(usize::MAX as u64) as usize,
            });
        }
        Ok(())
    }

    fn int_opcode(&mut self, width: usize) -> Result<(), DecodeError> {
        let n = self.uint(width)?;
        self.push(Slot::Int(n as i64))
    }

    /// LONG1/LONG4: a little-endian two's complement integer of any length;
    /// up to 8 bytes are read.
    fn long(&mut self, width: usize, offset: usize) -> Result<(), DecodeError> {
        let len = self.uint(width)?;
        if len > 8 {
            return Err(DecodeError::IntTooLarge { len, offset });
        }
        let bytes = self.take(len)?;
        let mut raw = [0u8; 8];
        raw[..bytes.len()].copy_from_slice(bytes);
        if bytes.last().is_some_and(|&b| b & 0x80 != 0) {
            raw[bytes.len()..].fill(0xff);
        }
        self.push(Slot::Int(i64::from_le_bytes(raw)))
    }

    fn string(&mut self, width: usize, text: Text, offset: usize) -> Result<(), DecodeError> {
        let len = self.uint(width)?;
        if len > self.limits.max_string as u64 {
            return Err(DecodeError::StringTooLong {
                len,
                limit: self.limits.max_string,
                offset,
            });
        }
        let bytes = self.take(len)?;
        let node = match text {
            Text::Utf8 => {
                let text = std::str::from_utf8(bytes)
                    .map_err(|source| DecodeError::BadUtf8 { offset, source })?;
                Node::Str(text.to_owned())
            }
            Text::Ascii if bytes.is_ascii() => {
                Node::Str(String::from_utf8_lossy(bytes).into_owned())
            }
            Text::Ascii => return Err(DecodeError::NotAscii { offset }),
            Text::Bytes => Node::Bytes(bytes.to_vec()),
        };
        self.push_node(node)
    }

    pub(super) fn pop(&mut self, opcode: u8, offset: usize) -> Result<Slot, DecodeError> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(DecodeError::StackUnderflow { opcode, offset });
        }
        Ok(self.stack.pop().expect("checked above"))
    }

    fn small_tuple(&mut self, n: usize, opcode: u8, offset: usize) -> Result<(), DecodeError> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() < floor + n {
            return Err(DecodeError::StackUnderflow { opcode, offset });
        }
        let items = self.stack.split_off(self.stack.len() - n);
        self.push_node(Node::Tuple(items))
    }

    fn mark(&mut self) -> Result<(), DecodeError> {
        if self.marks.len() >= self.limits.max_depth {
            return Err(DecodeError::TooDeep {
                limit: self.limits.max_depth,
            });
        }
        self.marks.push(self.stack.len());
        Ok(())
    }

    /// The values above the topmost mark, mark removed.
    fn pop_mark(&mut self, opcode: u8, offset: usize) -> Result<Vec<Slot>, DecodeError> {
        let mark = self
            .marks
            .pop()
            .ok_or(DecodeError::StackUnderflow { opcode, offset })?;
        Ok(self.stack.split_off(mark))
    }

    fn marked(
        &mut self,
        opcode: u8,
        offset: usize,
        make: fn(Vec<Slot>) -> Node,
    ) -> Result<(), DecodeError> {
        let items = self.pop_mark(opcode, offset)?;
        self.push_node(make(items))
    }

    /// The arena index of the container on top of the stack.
    fn top_node(&self, opcode: u8, offset: usize) -> Result<usize, DecodeError> {
        let floor = self.marks.last().copied().unwrap_or(0);
        match self.stack.len().checked_sub(1).map(|i| (i, self.stack[i])) {
            Some((i, Slot::Node(id))) if i >= floor => Ok(id),
            Some((i, _)) if i >= floor => Err(DecodeError::WrongType {
                opcode,
                offset,
                expected: "container",
            }),
            _ => Err(DecodeError::StackUnderflow { opcode, offset }),
        }
    }

    fn append(&mut self, opcode: u8, offset: usize, many: bool) -> Result<(), DecodeError> {
        let items = if many {
            self.pop_mark(opcode, offset)?
        } else {
            vec![self.pop(opcode, offset)?]
        };
        let id = self.top_node(opcode, offset)?;
        match &mut self.arena[id] {
            Node::List(list) => list.extend(items),
            _ => {
                return Err(DecodeError::WrongType {
                    opcode,
                    offset,
                    expected: "list",
                });
            }
        }
        Ok(())
    }

    fn set_items(&mut self, opcode: u8, offset: usize, many: bool) -> Result<(), DecodeError> {
        let items = if many {
            self.pop_mark(opcode, offset)?
        } else {
            let value = self.pop(opcode, offset)?;
            vec![self.pop(opcode, offset)?, value]
        };
        if items.len() % 2 != 0 {
            return Err(DecodeError::StackUnderflow { opcode, offset });
        }
        let id = self.top_node(opcode, offset)?;
        match &mut self.arena[id] {
            Node::Dict(pairs) => pairs.extend(items.chunks_exact(2).map(|kv| (kv[0], kv[1]))),
            _ => {
                return Err(DecodeError::WrongType {
                    opcode,
                    offset,
                    expected: "dict",
                });
            }
        }
        Ok(())
    }

    fn memo_put(&mut self, index: u64, opcode: u8, offset: usize) -> Result<(), DecodeError> {
        let top = *self
            .stack
            .last()
            .ok_or(DecodeError::StackUnderflow { opcode, offset })?;
        // Python's memo takes any index; 2^32 slots are more than a request
        // can fill, so a larger index is one no GET can name.
        let Ok(index) = u32::try_from(index) else {
            return Ok(());
        };
        if !self.memo.contains_key(&index) {
            self.count()?;
        }
        self.memo.insert(index, top);
        Ok(())
    }

    fn memo_get(&mut self, width: usize, offset: usize) -> Result<(), DecodeError> {
        let index = self.uint(width)?;
        let slot = u32::try_from(index)
            .ok()
            .and_then(|i| self.memo.get(&i).copied())
            .ok_or(DecodeError::MemoMissing { index, offset })?;
        self.push(slot)
    }
}
