//! The encoder: exact bytes for the small replies (checked by hand against
//! `pickletools.dis`), and round trips through our own decoder for the
//! rest. Python's own `pickle.loads` reads them in the integration test
//! (`integration/f2bproto.rs`).

use super::*;
use crate::f2bproto::decode::{Limits, decode};
use crate::f2bproto::reply::ErrorClass;

fn round_trip(value: &Value) -> Value {
    decode(&encode_value(value), &Limits::default()).unwrap()
}

#[test]
fn pong_is_a_protocol_4_tuple_of_code_and_string() {
    // PROTO 4, BININT1 0, SHORT_BINUNICODE 'pong', TUPLE2, STOP
    let bytes = encode_reply(&Reply::Ok(Value::str("pong")));
    assert_eq!(bytes, b"\x80\x04K\x00\x8c\x04pong\x86.");
    let decoded = decode(&bytes, &Limits::default()).unwrap();
    assert_eq!(
        decoded,
        Value::Tuple(vec![Value::Int(0), Value::str("pong")])
    );
}

#[test]
fn an_error_reply_is_an_exception_built_from_its_class_and_message() {
    // PROTO 4, BININT1 1, 'fail2ban.exceptions', 'UnknownJailException',
    // STACK_GLOBAL, 'nosuch', TUPLE1, REDUCE, TUPLE2, STOP
    let bytes = encode_reply(&Reply::Err(PyError::unknown_jail("nosuch")));
    let want = [
        &b"\x80\x04K\x01\x8c\x13fail2ban.exceptions\x8c\x14UnknownJailException\x93"[..],
        b"\x8c\x06nosuch\x85R\x86.",
    ]
    .concat();
    assert_eq!(bytes, want);
    // Our own decoder never loads a class, not even one we wrote.
    assert!(decode(&bytes, &Limits::default()).is_err());
    assert_eq!(
        ErrorClass::IndexError.python_name(),
        ("builtins", "IndexError")
    );
}

#[test]
fn integers_of_every_width_round_trip() {
    for n in [
        0,
        1,
        255,
        256,
        65535,
        65536,
        -1,
        -256,
        i64::from(i32::MIN),
        i64::from(i32::MAX),
        1 << 31,
        -(1 << 31) - 1,
        i64::MIN,
        i64::MAX,
    ] {
        assert_eq!(round_trip(&Value::Int(n)), Value::Int(n), "{n}");
    }
}

#[test]
fn strings_bytes_and_floats_round_trip_at_every_length_form() {
    for len in [0, 1, 255, 256, 70_000] {
        let text = "é".repeat(len / 2) + &"a".repeat(len % 2);
        let limits = Limits {
            max_string: 1 << 20,
            ..Limits::default()
        };
        let back = decode(&encode_value(&Value::Str(text.clone())), &limits).unwrap();
        assert_eq!(back, Value::Str(text));
        let bytes = Value::Bytes(vec![7; len]);
        assert_eq!(decode(&encode_value(&bytes), &limits).unwrap(), bytes);
    }
    for f in [0.0, -1.5, 1e300, f64::INFINITY] {
        assert_eq!(round_trip(&Value::Float(f)), Value::Float(f));
    }
}

#[test]
fn status_shapes_round_trip_nested() {
    let status = Value::List(vec![
        Value::pair(
            "Filter",
            Value::List(vec![
                Value::pair("Currently failed", Value::Int(1)),
                Value::pair("File list", Value::str_list(["/var/log/auth.log"])),
            ]),
        ),
        Value::pair(
            "Actions",
            Value::List(vec![Value::pair(
                "Banned IP list",
                Value::str_list(["192.0.2.7"]),
            )]),
        ),
    ]);
    assert_eq!(round_trip(&status), status);
    let misc = Value::Tuple(vec![
        Value::None,
        Value::Bool(true),
        Value::Bool(false),
        Value::Tuple(vec![]),
        Value::Tuple(vec![Value::Int(1)]),
        Value::Tuple((0..5).map(Value::Int).collect()),
        Value::Dict(vec![(Value::str("sshd"), Value::str_list(["192.0.2.7"]))]),
    ]);
    assert_eq!(round_trip(&misc), misc);
}

#[test]
fn long_lists_and_dicts_are_written_in_batches() {
    let list = Value::List(vec![Value::None; 2500]);
    let bytes = encode_value(&list);
    assert_eq!(
        bytes.iter().filter(|&&b| b == b'e').count(),
        3,
        "3 APPENDS of at most 1000"
    );
    assert_eq!(decode(&bytes, &Limits::default()).unwrap(), list);
    let ints = Value::List((0..2500).map(Value::Int).collect());
    assert_eq!(round_trip(&ints), ints);
    let dict = Value::Dict((0..1500).map(|i| (Value::Int(i), Value::None)).collect());
    assert_eq!(round_trip(&dict), dict);
}
