//! Reading log lines with bounded memory: a line longer than [`MAX_LINE`]
//! bytes is cut there and the rest of it skipped, so a hostile or broken
//! log (a 1 GB line, no newline at all) cannot grow memory.

use std::io::{self, BufRead};

/// Longest line kept, in bytes; longer lines are truncated.
pub const MAX_LINE: usize = 16 * 1024;

/// Reads lines into one reused buffer.
#[derive(Debug)]
pub struct LineReader<R> {
    inner: R,
    line: Vec<u8>,
    /// Lines cut at [`MAX_LINE`] so far.
    pub truncated: u64,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R) -> LineReader<R> {
        LineReader {
            inner,
            line: Vec::with_capacity(512),
            truncated: 0,
        }
    }

    /// The next line without its newline, or `None` at the end.
    pub fn next_line(&mut self) -> io::Result<Option<&[u8]>> {
        self.line.clear();
        let mut read_any = false;
        let mut cut = false;
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                break;
            }
            read_any = true;
            let (chunk, used, done) = match memchr::memchr(b'\n', buf) {
                Some(i) => (&buf[..i], i + 1, true),
                None => (buf, buf.len(), false),
            };
            let room = MAX_LINE.saturating_sub(self.line.len());
            if chunk.len() > room {
                cut = true;
            }
            self.line.extend_from_slice(&chunk[..chunk.len().min(room)]);
            self.inner.consume(used);
            if done {
                break;
            }
        }
        if cut {
            self.truncated += 1;
        }
        Ok(read_any.then_some(self.line.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> (Vec<Vec<u8>>, u64) {
        let mut reader = LineReader::new(io::BufReader::with_capacity(64, input));
        let mut out = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            out.push(line.to_vec());
        }
        (out, reader.truncated)
    }

    #[test]
    fn splits_on_newlines_and_keeps_a_last_unterminated_line() {
        let (out, cut) = lines(b"a\n\nb\x00c\nlast");
        assert_eq!(
            out,
            vec![
                b"a".to_vec(),
                b"".to_vec(),
                b"b\x00c".to_vec(),
                b"last".to_vec()
            ]
        );
        assert_eq!(cut, 0);
    }

    #[test]
    fn long_lines_are_cut_and_the_next_line_survives() {
        let mut input = vec![b'x'; 1 << 20];
        input.extend_from_slice(b"\nnext\n");
        let (out, cut) = lines(&input);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].len(), MAX_LINE);
        assert_eq!(out[1], b"next");
        assert_eq!(cut, 1);
    }
}
