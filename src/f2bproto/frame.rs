//! fail2ban's framing on its Unix stream socket. The client sends each
//! request as a pickle followed by [`END`]; one connection may carry several
//! requests, and the client ends it with [`CLOSE`] followed by [`END`]. Each
//! reply is a pickle followed by [`END`]. fail2ban's server splits the
//! stream at every [`END`] and so do we (a request's own text never holds
//! the marker unless a client puts it there, and then fail2ban would split
//! it too).
//!
//! [`FrameReader`] finds the frames in the bytes as they arrive, without
//! ever holding more than one frame's limit of an unfinished frame.

use memchr::memmem;

use super::encode::encode_value;
use super::value::Value;

/// fail2ban's end-of-command marker.
pub const END: &[u8] = b"<F2B_END_COMMAND>";
/// fail2ban-client's close marker (followed by [`END`]).
pub const CLOSE: &[u8] = b"<F2B_CLOSE_COMMAND>";

/// One complete unit of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A request's pickle, marker removed.
    Request(Vec<u8>),
    /// The client is done: answer nothing more, close the connection.
    Close,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("request exceeds {limit} bytes without fail2ban's end-of-command marker")]
    TooLarge { limit: usize },
}

/// Splits a byte stream into frames.
#[derive(Debug)]
pub struct FrameReader {
    /// Bytes of the unfinished frame.
    buf: Vec<u8>,
    /// How much of `buf` is known to hold no complete marker.
    scanned: usize,
    max_frame: usize,
}

impl FrameReader {
    /// A reader refusing any frame longer than `max_frame` bytes.
    pub fn new(max_frame: usize) -> FrameReader {
        FrameReader {
            buf: Vec::new(),
            scanned: 0,
            max_frame,
        }
    }

    /// Takes the next bytes read from the connection; returns the frames
    /// they complete, in order. After an error the stream cannot be
    /// resynchronised: reply with the error and close the connection.
    pub fn feed(&mut self, data: &[u8]) -> Result<Vec<Frame>, FrameError> {
        self.buf.extend_from_slice(data);
        let finder = memmem::Finder::new(END);
        let mut frames = Vec::new();
        let mut start = 0;
        let mut from = self.scanned;
        while let Some(at) = finder.find(&self.buf[from..]) {
            let end = from + at;
            let body = &self.buf[start..end];
            if body.len() > self.max_frame {
                return Err(self.fail());
            }
            frames.push(if body == CLOSE {
                Frame::Close
            } else {
                Frame::Request(body.to_vec())
            });
            start = end + END.len();
            from = start;
        }
        self.buf.drain(..start);
        // The last END.len() - 1 bytes may be the start of a marker.
        self.scanned = self.buf.len().saturating_sub(END.len() - 1);
        if self.buf.len() > self.max_frame + END.len() - 1 {
            return Err(self.fail());
        }
        Ok(frames)
    }

    /// Bytes held for the unfinished frame.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    fn fail(&mut self) -> FrameError {
        self.buf = Vec::new();
        self.scanned = 0;
        FrameError::TooLarge {
            limit: self.max_frame,
        }
    }
}

/// A reply pickle as it goes on the wire: followed by [`END`].
pub fn framed(pickle: Vec<u8>) -> Vec<u8> {
    let mut out = pickle;
    out.extend_from_slice(END);
    out
}

/// What fail2ban's server sends when a request cannot be read at all: the
/// bare string `ERROR: <why>`, not a `(code, result)` pair (fail2ban-client
/// then reports a failure).
pub fn protocol_error(why: &dyn std::error::Error) -> Vec<u8> {
    framed(encode_value(&Value::Str(format!("ERROR: {why}"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: &[u8]) -> Vec<u8> {
        [body, END].concat()
    }

    #[test]
    fn splits_requests_and_close_in_one_chunk() {
        let mut reader = FrameReader::new(100);
        let stream = [request(b"one"), request(b"two"), request(CLOSE)].concat();
        let frames = reader.feed(&stream).unwrap();
        assert_eq!(
            frames,
            vec![
                Frame::Request(b"one".to_vec()),
                Frame::Request(b"two".to_vec()),
                Frame::Close
            ]
        );
        assert_eq!(reader.pending(), 0);
    }

    #[test]
    fn finds_a_marker_split_across_every_chunk_boundary() {
        let stream = [request(b"abc"), request(b"")].concat();
        for cut in 0..=stream.len() {
            let mut reader = FrameReader::new(100);
            let mut frames = reader.feed(&stream[..cut]).unwrap();
            frames.extend(reader.feed(&stream[cut..]).unwrap());
            assert_eq!(
                frames,
                vec![Frame::Request(b"abc".to_vec()), Frame::Request(Vec::new())],
                "cut {cut}"
            );
        }
    }

    #[test]
    fn byte_by_byte_feeding_finds_the_same_frames() {
        let stream = [request(b"x<F2B_END"), request(CLOSE)].concat();
        let mut reader = FrameReader::new(100);
        let frames: Vec<Frame> = stream
            .iter()
            .flat_map(|b| reader.feed(&[*b]).unwrap())
            .collect();
        assert_eq!(
            frames,
            vec![Frame::Request(b"x<F2B_END".to_vec()), Frame::Close]
        );
    }

    #[test]
    fn a_frame_without_marker_is_refused_at_the_limit_and_memory_stays_bounded() {
        let mut reader = FrameReader::new(1000);
        let chunk = vec![b'a'; 100];
        let mut fed = 0;
        let error = loop {
            match reader.feed(&chunk) {
                Ok(frames) => assert!(frames.is_empty()),
                Err(e) => break e,
            }
            fed += chunk.len();
            assert!(reader.pending() < 1000 + END.len());
            assert!(fed < 10_000, "never refused");
        };
        assert_eq!(
            error.to_string(),
            "request exceeds 1000 bytes without fail2ban's end-of-command marker"
        );
        assert_eq!(reader.pending(), 0);
    }

    #[test]
    fn a_complete_frame_over_the_limit_is_refused() {
        let mut reader = FrameReader::new(10);
        let stream = request(&[b'a'; 11]);
        assert_eq!(
            reader.feed(&stream),
            Err(FrameError::TooLarge { limit: 10 })
        );
        let mut reader = FrameReader::new(10);
        assert_eq!(reader.feed(&request(&[b'a'; 10])).unwrap().len(), 1);
    }

    #[test]
    fn protocol_error_is_a_framed_error_string() {
        let bytes = protocol_error(&FrameError::TooLarge { limit: 10 });
        assert!(bytes.ends_with(END));
        let text =
            super::super::decode::decode(&bytes[..bytes.len() - END.len()], &Default::default())
                .unwrap();
        assert_eq!(
            text,
            Value::str("ERROR: request exceeds 10 bytes without fail2ban's end-of-command marker")
        );
    }
}
