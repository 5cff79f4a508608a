//! Property tests of the control protocol (the request line the daemon's
//! socket reads, the response line it writes), through the `control` fuzz
//! target's checks: arbitrary bytes never panic the parser, every request
//! reads back as written, and malformed requests (cut, misspelt, oversized)
//! get an error response. Fixed seed, a few hundred cases each.

use std::net::IpAddr;

use portcullis::server::protocol::{MAX_REQUEST, Request, Response, parse_request};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

use crate::fuzz_replay::control;

fn config() -> Config {
    Config {
        cases: 300,
        rng_seed: RngSeed::Fixed(0x636f_6e74),
        failure_persistence: None,
        ..Config::default()
    }
}

fn text() -> BoxedStrategy<String> {
    prop_oneof![
        Just(String::new()),
        "[a-z0-9-]{1,12}",
        any::<String>(),
        Just("\"\\\n\u{0}\u{202e}".to_string()),
    ]
    .boxed()
}

fn request() -> impl Strategy<Value = Request> {
    let addr = any::<IpAddr>();
    let jail = proptest::option::of(text());
    prop_oneof![
        jail.clone().prop_map(|jail| Request::Status { jail }),
        (text(), addr.clone(), proptest::option::of(text())).prop_map(|(jail, addr, bantime)| {
            Request::Ban {
                jail,
                addr: addr.into(),
                bantime,
                replace: false,
            }
        }),
        (text(), addr.clone()).prop_map(|(jail, addr)| Request::Unban {
            jail,
            addr: addr.into()
        }),
        jail.prop_map(|jail| Request::UnbanAll { jail }),
        proptest::option::of(addr).prop_map(|addr| Request::Banned { addr }),
        Just(Request::Reload),
        (text(), text()).prop_map(|(jail, key)| Request::Get { jail, key }),
        (text(), text(), text()).prop_map(|(jail, key, value)| Request::Set { jail, key, value }),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_get_an_answer(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        control::run(&bytes);
    }

    /// A request as a client writes it (with its newline) reads back the same.
    #[test]
    fn every_request_reads_back(request in request()) {
        let mut line = serde_json::to_vec(&request).unwrap();
        line.push(b'\n');
        control::run(&line);
        prop_assert_eq!(parse_request(&line).map_err(|e| e.to_string()), Ok(request));
    }

    /// A request cut anywhere before its end is refused with an error (an
    /// empty one as no request at all).
    #[test]
    fn cut_requests_are_refused(request in request(), cut in any::<prop::sample::Index>()) {
        let line = serde_json::to_vec(&request).unwrap();
        let cut = &line[..cut.index(line.len())];
        control::run(cut);
        let error = Response::from(parse_request(cut).unwrap_err()).error.unwrap();
        prop_assert!(
            error.starts_with("invalid request: ") || (cut.is_empty() && error.starts_with("no request: ")),
            "{}", error
        );
    }

    /// A command or field name misspelt, or a field of the wrong type.
    #[test]
    fn misspelt_requests_are_refused(request in request(), which in 0usize..3) {
        let mut value = serde_json::to_value(&request).unwrap();
        let map = value.as_object_mut().unwrap();
        match which {
            0 => { map.insert("command".into(), "bann".into()); }
            1 => { map.insert("command".into(), 7.into()); }
            _ => { map.remove("command"); }
        }
        let line = serde_json::to_vec(&value).unwrap();
        control::run(&line);
        prop_assert!(parse_request(&line).is_err());
    }
}

/// A line filling the whole read limit without its newline was cut by the
/// socket's reader: refused as too long, not parsed.
#[test]
fn an_oversized_request_is_refused_as_such() {
    let mut line = br#"{"command":"status","jail":""#.to_vec();
    line.resize(MAX_REQUEST, b'a');
    let error = Response::from(parse_request(&line).unwrap_err())
        .error
        .unwrap();
    assert_eq!(
        error,
        "request refused: longer than 65536 bytes (send one JSON line)"
    );
    control::run(&line);
}
