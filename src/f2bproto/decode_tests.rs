//! The decoder against pickles Python wrote (the byte strings below are
//! `pickle.dumps` output of Python 3.11, protocol as named) and against
//! hostile ones.

use super::*;

fn ok(bytes: &[u8]) -> Value {
    decode(bytes, &Limits::default()).unwrap()
}

fn err(bytes: &[u8]) -> DecodeError {
    decode(bytes, &Limits::default()).unwrap_err()
}

fn strs(items: &[&str]) -> Value {
    Value::str_list(items)
}

// pickle.dumps(['status', 'sshd'], 5): what fail2ban-client sends.
const STATUS_SSHD_P5: &[u8] =
    b"\x80\x05\x95\x15\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x06status\x94\x8c\x04sshd\x94e.";

#[test]
fn reads_a_list_of_strings_in_protocols_2_to_5() {
    let p2 = b"\x80\x02]q\x00(X\x06\x00\x00\x00statusq\x01X\x04\x00\x00\x00sshdq\x02e.";
    let p3 = b"\x80\x03]q\x00(X\x06\x00\x00\x00statusq\x01X\x04\x00\x00\x00sshdq\x02e.";
    for bytes in [&p2[..], &p3[..], STATUS_SSHD_P5] {
        assert_eq!(ok(bytes), strs(&["status", "sshd"]));
    }
}

#[test]
fn trailing_bytes_after_stop_are_ignored_as_python_does() {
    assert_eq!(
        ok(&[STATUS_SSHD_P5, b"<F2B_END_COMMAND>"].concat()),
        strs(&["status", "sshd"])
    );
}

#[test]
fn a_memoised_list_filled_later_is_seen_filled() {
    // x = ['a']; pickle.dumps([x, x], 4)
    let shared = b"\x80\x04\x95\x0e\x00\x00\x00\x00\x00\x00\x00]\x94(]\x94\x8c\x01a\x94ah\x01e.";
    assert_eq!(ok(shared), Value::List(vec![strs(&["a"]), strs(&["a"])]));
}

#[test]
fn reads_integers_of_every_width() {
    // [0, 255, 256, 65535, 65536, -1, 2**31, -2**63, 2**63-1], protocol 5
    let ints = b"\x80\x05\x954\x00\x00\x00\x00\x00\x00\x00]\x94(K\x00K\xffM\x00\x01M\xff\xffJ\x00\x00\x01\x00J\xff\xff\xff\xff\x8a\x05\x00\x00\x00\x80\x00\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7fe.";
    let want = [0, 255, 256, 65535, 65536, -1, 1 << 31, i64::MIN, i64::MAX];
    assert_eq!(
        ok(ints),
        Value::List(want.into_iter().map(Value::Int).collect())
    );
}

#[test]
fn reads_none_bools_floats_bytes_tuples_and_dicts() {
    // [None, True, False, 1.5, b'ab', (), ('a',), ('a','b','c','d'), {'k': 'v'}], protocol 5
    let misc = b"\x80\x05\x959\x00\x00\x00\x00\x00\x00\x00]\x94(N\x88\x89G?\xf8\x00\x00\x00\x00\x00\x00C\x02ab\x94)\x8c\x01a\x94\x85\x94(h\x02\x8c\x01b\x94\x8c\x01c\x94\x8c\x01d\x94t\x94}\x94\x8c\x01k\x94\x8c\x01v\x94se.";
    let s = |t: &str| Value::str(t);
    let want = Value::List(vec![
        Value::None,
        Value::Bool(true),
        Value::Bool(false),
        Value::Float(1.5),
        Value::Bytes(b"ab".to_vec()),
        Value::Tuple(vec![]),
        Value::Tuple(vec![s("a")]),
        Value::Tuple(vec![s("a"), s("b"), s("c"), s("d")]),
        Value::Dict(vec![(s("k"), s("v"))]),
    ]);
    assert_eq!(ok(misc), want);
}

#[test]
fn reads_the_nested_stream_reload_sends() {
    // ['reload','--all',[],[['start','sshd'],['multi-set','sshd','action','x',[['a','b']]]]], protocol 5
    let reload = b"\x80\x05\x95]\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x06reload\x94\x8c\x05--all\x94]\x94]\x94(]\x94(\x8c\x05start\x94\x8c\x04sshd\x94e]\x94(\x8c\tmulti-set\x94h\x07\x8c\x06action\x94\x8c\x01x\x94]\x94]\x94(\x8c\x01a\x94\x8c\x01b\x94eaeee.";
    let Value::List(items) = ok(reload) else {
        panic!("not a list")
    };
    assert_eq!(items[0], Value::str("reload"));
    assert_eq!(items[2], Value::List(vec![]));
    let Value::List(stream) = &items[3] else {
        panic!("no stream")
    };
    assert_eq!(stream[0], strs(&["start", "sshd"]));
}

#[test]
fn a_reference_cycle_stops_at_the_depth_limit() {
    // l = []; l.append(l); pickle.dumps(l, 4)
    let cycle = b"\x80\x04\x95\x06\x00\x00\x00\x00\x00\x00\x00]\x94h\x00a.";
    assert_eq!(err(cycle), DecodeError::TooDeep { limit: 32 });
}

#[test]
fn every_truncation_is_an_error() {
    for cut in 0..STATUS_SSHD_P5.len() {
        assert!(
            decode(&STATUS_SSHD_P5[..cut], &Limits::default()).is_err(),
            "cut at {cut}"
        );
    }
    assert_eq!(
        err(b"\x80\x05]"),
        DecodeError::Truncated {
            offset: 3,
            needed: 1
        }
    );
}

#[test]
fn huge_length_claims_are_refused_before_allocating() {
    // BINUNICODE8 claiming 2^64-1 bytes, BINUNICODE claiming 2 GiB.
    let e = err(b"\x80\x05\x8d\xff\xff\xff\xff\xff\xff\xff\xffabc.");
    assert_eq!(
        e.to_string(),
        "string of 18446744073709551615 bytes at byte 2 is longer than the limit of 65536 bytes"
    );
    assert!(matches!(
        err(b"\x80\x04X\x00\x00\x00\x80ab."),
        DecodeError::StringTooLong { .. }
    ));
    // Within the string limit but past the end of the data.
    assert_eq!(
        err(b"\x80\x04X\x00\x01\x00\x00ab."),
        DecodeError::Truncated {
            offset: 7,
            needed: 253
        }
    );
    // A FRAME announcing more than is there; a LONG4 of 2^32-1 bytes.
    assert!(matches!(
        err(b"\x80\x05\x95\xff\xff\xff\xff\xff\xff\xff\xffN."),
        DecodeError::Truncated { .. }
    ));
    assert_eq!(
        err(b"\x80\x04\x8b\xff\xff\xff\xff"),
        DecodeError::IntTooLarge {
            len: 0xffff_ffff,
            offset: 2
        }
    );
}

#[test]
fn a_pickle_over_the_frame_limit_is_refused() {
    let limits = Limits {
        max_frame: 10,
        ..Limits::default()
    };
    let e = decode(STATUS_SSHD_P5, &limits).unwrap_err();
    assert_eq!(
        e.to_string(),
        "pickle of 32 bytes is larger than the limit of 10 bytes"
    );
}

#[test]
fn deep_nesting_is_refused_with_and_without_marks() {
    // ] ( ] ( ] ( ... : marks deeper than the limit.
    let marks: Vec<u8> = [&b"\x80\x04"[..], &b"]("[..].repeat(100), b"."].concat();
    assert_eq!(err(&marks), DecodeError::TooDeep { limit: 32 });
    // ]]]]...aaaa: lists appended into one another, no mark at all.
    let plain: Vec<u8> = [&b"\x80\x04"[..], &b"]".repeat(40), &b"a".repeat(39), b"."].concat();
    assert_eq!(err(&plain), DecodeError::TooDeep { limit: 32 });
    let shallow: Vec<u8> = [&b"\x80\x04"[..], &b"]".repeat(20), &b"a".repeat(19), b"."].concat();
    assert!(decode(&shallow, &Limits::default()).is_ok());
}

#[test]
fn opcodes_naming_python_objects_are_refused_with_their_name() {
    // GLOBAL 'os system', as an attacker's pickle starts.
    let e = err(b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R.");
    assert_eq!(
        e.to_string(),
        "pickle opcode GLOBAL at byte 2 names a Python object to load or call; refused"
    );
    // pickle.dumps(Exception('x'), 4): STACK_GLOBAL, then REDUCE.
    let exc = b"\x80\x04\x95\"\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94\x8c\tException\x94\x93\x94\x8c\x01x\x94\x85\x94R\x94.";
    assert_eq!(
        err(exc),
        DecodeError::Forbidden {
            name: "STACK_GLOBAL",
            offset: 34
        }
    );
    for (bytes, name) in [
        (&b"\x80\x04N)R."[..], "REDUCE"),
        (b"\x80\x04N}b.", "BUILD"),
        (b"\x80\x04(ios\nsystem\n.", "INST"),
        (b"\x80\x04(o.", "OBJ"),
        (b"\x80\x04N)\x81.", "NEWOBJ"),
        (b"\x80\x04\x82\x01.", "EXT1"),
        (b"\x80\x04N\x51.", "BINPERSID"),
        (b"\x80\x04P1\n.", "PERSID"),
    ] {
        assert!(
            matches!(err(bytes), DecodeError::Forbidden { name: n, .. } if n == name),
            "{name}"
        );
    }
}

#[test]
fn unknown_opcodes_and_protocols_are_refused() {
    assert_eq!(
        err(b"\x80\x04\xff."),
        DecodeError::Unsupported {
            opcode: 0xff,
            offset: 2
        }
    );
    assert_eq!(
        err(b"\x80\x01N."),
        DecodeError::Protocol {
            version: 1,
            offset: 0
        }
    );
    assert_eq!(
        err(b"\x80\x06N.").to_string(),
        "pickle protocol 6 at byte 0 is not supported (2 to 5 are)"
    );
}

#[test]
fn memo_misuse_is_refused() {
    assert_eq!(
        err(b"\x80\x04h\x07."),
        DecodeError::MemoMissing {
            index: 7,
            offset: 2
        }
    );
    assert_eq!(
        err(b"\x80\x04j\xff\xff\xff\xff.").to_string(),
        "pickle reads memo slot 4294967295 at byte 2, which was never written"
    );
    // PUT on an empty stack.
    assert!(matches!(
        err(b"\x80\x04\x94."),
        DecodeError::StackUnderflow { .. }
    ));
    // A memo slot can be overwritten and read back at the largest index.
    assert_eq!(
        ok(b"\x80\x04Nr\xff\xff\xff\xff\x88r\xff\xff\xff\xffj\xff\xff\xff\xff."),
        Value::Bool(true)
    );
}

#[test]
fn shared_references_cannot_multiply_into_a_huge_value() {
    // s = 'x'; l1 = [s] * 100; l2 = [l1] * 100; l3 = [l2] * 100: under
    // a kilobyte that would expand to a million strings.
    let mut p = b"\x80\x04\x8c\x01x\x94".to_vec();
    for level in 0..3u8 {
        p.extend(b"](");
        p.extend([b'h', level].repeat(100));
        p.extend(b"e\x94");
    }
    p.push(b'.');
    assert!(p.len() < 1000);
    assert_eq!(err(&p), DecodeError::TooManyItems { limit: 100_000 });
    // 2,000 references to one 1000-byte string: 2 MB of text from 5 kB.
    let mut q = b"\x80\x04X\xe8\x03\x00\x00".to_vec();
    q.extend(b"x".repeat(1000));
    q.extend(b"\x94](");
    q.extend(b"h\x00".repeat(2000));
    q.extend(b"e.");
    assert_eq!(
        err(&q).to_string(),
        "pickle holds more than 1048576 bytes of text"
    );
}

#[test]
fn item_count_is_limited_while_reading() {
    let limits = Limits {
        max_items: 10,
        ..Limits::default()
    };
    let many: Vec<u8> = [&b"\x80\x04]("[..], &b"N".repeat(20), b"e."].concat();
    assert_eq!(
        decode(&many, &limits),
        Err(DecodeError::TooManyItems { limit: 10 })
    );
}

#[test]
fn malformed_structure_is_refused() {
    assert!(matches!(
        err(b"\x80\x04."),
        DecodeError::StackUnderflow { opcode: b'.', .. }
    ));
    assert!(matches!(
        err(b"\x80\x04Na."),
        DecodeError::StackUnderflow { .. }
    ));
    assert_eq!(
        err(b"\x80\x04\x8c\x01xNa.").to_string(),
        "pickle opcode 0x61 at byte 6 works on a list, found something else"
    );
    assert!(matches!(
        err(b"\x80\x04]Ns."),
        DecodeError::StackUnderflow { .. }
    ));
    assert!(matches!(
        err(b"\x80\x04e."),
        DecodeError::StackUnderflow { .. }
    ));
    // APPENDS must not reach below its mark for the list.
    assert!(matches!(
        err(b"\x80\x04(]e."),
        DecodeError::StackUnderflow { .. }
    ));
    assert!(matches!(
        err(b"\x80\x04N\x86."),
        DecodeError::StackUnderflow { .. }
    ));
    assert_eq!(
        err(b"\x80\x04\x8c\x02\xff\xfe.").to_string(),
        "string at byte 2 is not valid UTF-8"
    );
    assert_eq!(
        err(b"\x80\x04\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01.").to_string(),
        "integer of 9 bytes at byte 2 does not fit in 64 bits"
    );
}

#[test]
fn python_2_strings_as_go_clients_write_them_are_read_as_ascii() {
    // ["status", "sshd"] as og-rek writes it: no PROTO, SHORT_BINSTRING and
    // BINSTRING.
    let go = b"](U\x06statusT\x04\x00\x00\x00sshde.";
    assert_eq!(ok(go), strs(&["status", "sshd"]));
    assert_eq!(
        err(b"](U\x02\xc3\xa9e."),
        DecodeError::NotAscii { offset: 2 }
    );
    assert_eq!(
        err(b"U\x01\x80.").to_string(),
        "Python 2 string at byte 0 is not ASCII"
    );
}
