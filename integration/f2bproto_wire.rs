//! The raw side of fail2ban's socket, shared by the tests of our codec's
//! test server (`f2bproto.rs`) and of the daemon's socket
//! (`daemon_fail2ban*.rs`): fail2ban-client from the package, requests as
//! bytes, replies read back, and the hostile requests both must survive.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use portcullis::f2bproto::{Limits, Value, decode, frame};

/// `fail2ban-client -s SOCKET ARGS...`, fail2ban's own, from the package.
pub(crate) fn client(root: &Path, socket: &Path, args: &[&str]) -> Output {
    Command::new("python3")
        .arg(root.join("usr/bin/fail2ban-client"))
        .arg("-c")
        .arg(root.join("etc/fail2ban"))
        .arg("-s")
        .arg(socket)
        .args(args)
        .env("PYTHONPATH", root.join("usr/lib/python3/dist-packages"))
        .output()
        .expect("python3 runs fail2ban-client")
}

/// Sends raw bytes and the client's close marker, reads the replies until
/// the server closes the connection.
pub(crate) fn exchange(socket: &Path, bytes: &[u8]) -> Vec<Value> {
    let mut stream = UnixStream::connect(socket).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(bytes).unwrap();
    stream
        .write_all(&[frame::CLOSE, frame::END].concat())
        .unwrap();
    let mut raw = frame::FrameReader::new(1 << 20);
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        for f in raw.feed(&buf[..n]).unwrap() {
            if let frame::Frame::Request(pickle) = f {
                out.push(decode_reply(&pickle));
            }
        }
    }
    out
}

/// A reply decoded for the test: an error reply's exception is refused by
/// our decoder (it names a class), so it shows as the string "exception".
pub(crate) fn decode_reply(pickle: &[u8]) -> Value {
    decode(pickle, &Limits::default()).unwrap_or_else(|_refused| Value::str("exception"))
}

pub(crate) fn request(words: &[&str]) -> Vec<u8> {
    let list = Value::str_list(words);
    [
        portcullis::f2bproto::encode_value(&list),
        frame::END.to_vec(),
    ]
    .concat()
}

/// `(0, 'pong')`, as [`exchange`] shows it.
pub(crate) fn pong() -> Value {
    Value::Tuple(vec![Value::Int(0), Value::str("pong")])
}

/// Whether a new connection gets a ping answered (a closed or reset one
/// does not).
pub(crate) fn answers_ping(socket: &Path) -> bool {
    let Ok(mut s) = UnixStream::connect(socket) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let mut buf = [0u8; 64];
    s.write_all(&request(&["ping"])).is_ok() && s.read(&mut buf).is_ok_and(|n| n > 0)
}

/// Requests no server may act on, as bytes on one connection, and the
/// replies they get: a pickle naming `os.system` (GLOBAL), a truncated
/// one, one nested 1,000 deep. fail2ban's `ERROR: ...` string each, and
/// the connection goes on.
pub(crate) fn hostile_requests() -> (Vec<u8>, Vec<Value>) {
    let global = [
        &b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R."[..],
        frame::END,
    ]
    .concat();
    let truncated = [&b"\x80\x04\x8c\x10abc"[..], frame::END].concat();
    let deep = [&b"\x80\x04"[..], &b"](".repeat(1000), b".", frame::END].concat();
    let error = |text: &str| Value::str(format!("ERROR: {text}"));
    let answers = vec![
        error("pickle opcode GLOBAL at byte 2 names a Python object to load or call; refused"),
        error("pickle is truncated: 13 more bytes needed at byte 4"),
        error("pickle nests deeper than 32 levels"),
    ];
    ([global, truncated, deep].concat(), answers)
}
