//! Replies as pickles: protocol 4 (Python 3.4 and later read it; the
//! fail2ban-client of any supported Debian runs on a newer one), no memo,
//! no frames (both optional in protocol 4). The only class an encoded
//! pickle names is an error reply's exception class (see [`ErrorClass`]),
//! which the client itself knows.
//!
//! [`ErrorClass`]: super::reply::ErrorClass

use super::reply::{PyError, Reply};
use super::value::Value;

/// Python writes at most this many items per APPENDS/SETITEMS; we do too.
const BATCH: usize = 1000;

/// The pickle of `(code, result)` for one reply, without the end marker.
pub fn encode_reply(reply: &Reply) -> Vec<u8> {
    let mut out = vec![0x80, 4];
    put_int(&mut out, reply.code());
    match reply {
        Reply::Ok(value) => put_value(&mut out, value),
        Reply::Err(error) => put_exception(&mut out, error),
    }
    out.push(0x86); // TUPLE2
    out.push(b'.');
    out
}

/// The pickle of one plain value.
pub fn encode_value(value: &Value) -> Vec<u8> {
    let mut out = vec![0x80, 4];
    put_value(&mut out, value);
    out.push(b'.');
    out
}

fn put_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::None => out.push(b'N'),
        Value::Bool(true) => out.push(0x88),
        Value::Bool(false) => out.push(0x89),
        Value::Int(n) => put_int(out, *n),
        Value::Float(f) => {
            out.push(b'G');
            out.extend_from_slice(&f.to_be_bytes());
        }
        Value::Str(s) => put_str(out, s),
        Value::Bytes(b) => put_bytes(out, b),
        Value::List(items) => {
            out.push(b']');
            for chunk in items.chunks(BATCH) {
                out.push(b'(');
                chunk.iter().for_each(|v| put_value(out, v));
                out.push(b'e');
            }
        }
        Value::Tuple(items) => put_tuple(out, items),
        Value::Dict(pairs) => {
            out.push(b'}');
            for chunk in pairs.chunks(BATCH) {
                out.push(b'(');
                for (k, v) in chunk {
                    put_value(out, k);
                    put_value(out, v);
                }
                out.push(b'u');
            }
        }
    }
}

fn put_tuple(out: &mut Vec<u8>, items: &[Value]) {
    match items.len() {
        0 => out.push(b')'),
        n @ 1..=3 => {
            items.iter().for_each(|v| put_value(out, v));
            out.push(0x84 + n as u8); // TUPLE1..TUPLE3
        }
        _ => {
            out.push(b'(');
            items.iter().for_each(|v| put_value(out, v));
            out.push(b't');
        }
    }
}

fn put_int(out: &mut Vec<u8>, n: i64) {
    if (0..=0xff).contains(&n) {
        out.extend_from_slice(&[b'K', n as u8]);
    } else if (0..=0xffff).contains(&n) {
        out.push(b'M');
        out.extend_from_slice(&(n as u16).to_le_bytes());
    } else if i32::try_from(n).is_ok() {
        out.push(b'J');
        out.extend_from_slice(&(n as i32).to_le_bytes());
    } else {
        // LONG1 with all 8 bytes: two's complement, as Python reads it.
        out.extend_from_slice(&[0x8a, 8]);
        out.extend_from_slice(&n.to_le_bytes());
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    if s.len() < 256 {
        out.extend_from_slice(&[0x8c, s.len() as u8]); // SHORT_BINUNICODE
    } else if let Ok(len) = u32::try_from(s.len()) {
        out.push(b'X'); // BINUNICODE
        out.extend_from_slice(&len.to_le_bytes());
    } else {
        out.push(0x8d); // BINUNICODE8
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    }
    out.extend_from_slice(s.as_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    if b.len() < 256 {
        out.extend_from_slice(&[b'C', b.len() as u8]); // SHORT_BINBYTES
    } else if let Ok(len) = u32::try_from(b.len()) {
        out.push(b'B'); // BINBYTES
        out.extend_from_slice(&len.to_le_bytes());
    } else {
        out.push(0x8e); // BINBYTES8
        out.extend_from_slice(&(b.len() as u64).to_le_bytes());
    }
    out.extend_from_slice(b);
}

/// `module.Class(message)`: STACK_GLOBAL, the argument tuple, REDUCE.
fn put_exception(out: &mut Vec<u8>, error: &PyError) {
    let (module, name) = error.class.python_name();
    put_str(out, module);
    put_str(out, name);
    out.push(0x93); // STACK_GLOBAL
    put_str(out, &error.message);
    out.push(0x85); // TUPLE1
    out.push(b'R'); // REDUCE
}

#[cfg(test)]
#[path = "encode_tests.rs"]
mod tests;
