//! Fuzz target `f2bproto`: the bytes are what a client sends on fail2ban's
//! socket (pickles and markers), in two reads split where the first byte
//! says.
//!
//! Checked: nothing panics; an unfinished frame never holds more than the
//! limit; a request that decodes encodes again to a pickle that decodes to
//! the same value; every reply to a parsed command encodes to a pickle that
//! reads back as `(0, value)` (error replies name their exception class,
//! which our decoder refuses, as it must).

use jiff::tz::TimeZone;
use portcullis::f2bproto::{
    BanView, Conversation, Incoming, JailSource, JailView, Limits, Reply, ServerView, Value,
    answer, decode, encode_reply, encode_value, frame,
};
use portcullis::time::UnixMs;

const LIMITS: Limits = Limits {
    max_frame: 4096,
    max_depth: 16,
    max_items: 2000,
    max_string: 1024,
};

pub fn run(data: &[u8]) {
    if let Ok(value) = decode(data, &LIMITS) {
        round_trip(&value);
    }
    let view = view();
    let mut conversation = Conversation::new(LIMITS);
    let cut = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    for part in [&data[..cut], &data[cut..]] {
        let Ok(incoming) = conversation.feed(part) else {
            return;
        };
        assert!(conversation.pending() < LIMITS.max_frame + frame::END.len());
        for item in incoming {
            if let Incoming::Command(command) = item
                && let Some(reply) = answer(&command, &view, &TimeZone::UTC)
            {
                check_reply(&reply);
            }
        }
    }
}

/// Values compared through `Debug`, so a NaN equals itself.
fn round_trip(value: &Value) {
    let roomy = Limits {
        max_frame: usize::MAX,
        ..LIMITS
    };
    let again = decode(&encode_value(value), &roomy).expect("our own pickle decodes");
    assert_eq!(format!("{again:?}"), format!("{value:?}"), "round trip");
}

fn check_reply(reply: &Reply) {
    let bytes = encode_reply(reply);
    let roomy = Limits {
        max_frame: usize::MAX,
        max_items: usize::MAX,
        max_string: usize::MAX,
        ..LIMITS
    };
    match reply {
        Reply::Ok(value) => {
            let back = decode(&bytes, &roomy).expect("an ok reply decodes");
            let want = Value::Tuple(vec![Value::Int(0), value.clone()]);
            assert_eq!(format!("{back:?}"), format!("{want:?}"));
        }
        Reply::Err(_) => assert!(decode(&bytes, &roomy).is_err(), "an exception decoded"),
    }
}

fn view() -> ServerView {
    let sshd = JailView {
        name: "sshd".into(),
        source: JailSource::Files(vec!["/var/log/auth.log".into()]),
        bans: vec![BanView {
            addr: "192.0.2.7".into(),
            start: UnixMs(1_796_464_800_000),
            end: Some(UnixMs(1_796_465_400_000)),
        }],
        ..JailView::default()
    };
    ServerView {
        version: "fuzz".into(),
        log_level: "INFO".into(),
        jails: vec![sshd],
    }
}
