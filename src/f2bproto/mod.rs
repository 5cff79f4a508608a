//! fail2ban's control protocol, as plain code (no actix, no sockets): what
//! fail2ban-client and the tools built on its socket send, and what they
//! expect back.
//!
//! On the wire (fail2ban's Unix stream socket): each request is a pickled
//! list of strings followed by fail2ban's end-of-command marker; several
//! may come on one connection, which the client ends with its close marker
//! ([`frame`]). Each reply is a pickled `(code, result)` followed by the
//! marker: code 0 and the result, or code 1 and an exception ([`reply`]).
//!
//! The layers, each usable alone:
//! - [`frame::FrameReader`]: bytes in, frames out, bounded buffer;
//! - [`decode()`]: a pickle decoder for untrusted input (plain values only,
//!   never a class; limits on size, depth, items);
//! - [`Command::parse`]: a decoded request as a typed command, or fail2ban's
//!   error reply for it;
//! - [`answer()`]: the reply to every read-only command from a
//!   [`ServerView`]; the other commands are the server's to carry out;
//! - [`encode_reply`] and [`frame::framed`]: the reply's bytes.
//!
//! [`Conversation`] chains the first three for one connection.
//!
//! Serving a connection (what the daemon's fail2ban socket does; the test
//! server in `integration/f2bproto_server.rs` does the same):
//! 1. read at most a bounded chunk (4-64 KiB) and [`Conversation::feed`] it;
//!    on [`FrameError`] write [`frame::protocol_error`] and close;
//! 2. for each [`Incoming::Command`]: [`answer()`] it from a fresh
//!    [`ServerView`]; if that gives `None`, carry the command out (ban,
//!    unban, set, start, stop, reload, loglevel, flushlogs) and reply with
//!    [`Reply`]'s builders ([`Reply::count`], [`Reply::none`],
//!    [`Reply::reloaded`], [`Reply::flushed`], [`PyError`]'s errors), after
//!    a `set` with [`answer()`] of `Get { key: key.read_back() }`;
//! 3. write [`reply_bytes`] of each reply, in order;
//!    [`Incoming::Malformed`] gets [`frame::protocol_error`] and the
//!    connection goes on; [`Incoming::Close`] ends it.

pub mod answer;
pub mod command;
pub mod decode;
pub mod encode;
pub mod frame;
mod opcodes;
mod parse;
pub mod reply;
pub mod state;
pub mod value;

pub use answer::answer;
pub use command::{Command, Flavor, GetKey, Rejection, SetKey};
pub use decode::{DecodeError, Limits, decode};
pub use encode::{encode_reply, encode_value};
pub use frame::{Frame, FrameError, FrameReader};
pub use reply::{ErrorClass, PyError, Reply};
pub use state::{BanView, JailSource, JailView, ServerView};
pub use value::Value;

/// What one connection brought, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A request to carry out and answer ([`reply_bytes`]).
    Command(Command),
    /// A request that is not a pickle we read: answer [`frame::protocol_error`]
    /// (as fail2ban does) and go on with the connection.
    Malformed(DecodeError),
    /// The client is done: close the connection.
    Close,
}

/// One connection's incoming side: frames split, pickles decoded, commands
/// parsed. Feed it what the socket gives, a bounded read at a time.
#[derive(Debug)]
pub struct Conversation {
    reader: FrameReader,
    limits: Limits,
}

impl Conversation {
    pub fn new(limits: Limits) -> Conversation {
        Conversation {
            reader: FrameReader::new(limits.max_frame),
            limits,
        }
    }

    /// The requests `data` completes. An error means the stream is lost:
    /// send [`frame::protocol_error`] and close.
    pub fn feed(&mut self, data: &[u8]) -> Result<Vec<Incoming>, FrameError> {
        let frames = self.reader.feed(data)?;
        Ok(frames
            .into_iter()
            .map(|frame| match frame {
                Frame::Close => Incoming::Close,
                Frame::Request(bytes) => match decode(&bytes, &self.limits) {
                    Ok(value) => Incoming::Command(Command::parse(&value)),
                    Err(error) => Incoming::Malformed(error),
                },
            })
            .collect())
    }

    /// Bytes held for an unfinished request.
    pub fn pending(&self) -> usize {
        self.reader.pending()
    }
}

/// A reply as it goes on the wire: its pickle and the end marker.
pub fn reply_bytes(reply: &Reply) -> Vec<u8> {
    frame::framed(encode_reply(reply))
}
