//! Fuzz target `control`: the bytes are one request line sent to the
//! control socket.
//!
//! Checked: parsing never panics; a request that parses survives being
//! written and read again unchanged; anything else is answered with an
//! error response, rendered as exactly one JSON line that reads back.

use portcullis::server::protocol::{Response, parse_request, render};

pub fn run(data: &[u8]) {
    match parse_request(data) {
        Ok(request) => {
            let again = serde_json::to_vec(&request).expect("a request serializes");
            let back = parse_request(&again).map_err(|e| e.to_string());
            assert_eq!(back, Ok(request), "round trip");
        }
        Err(refused) => {
            let response = Response::from(refused);
            assert!(!response.ok, "a malformed request answered ok");
            assert!(
                response.error.is_some(),
                "an error response without its error"
            );
            check_rendering(&response);
        }
    }
}

fn check_rendering(response: &Response) {
    let bytes = render(response);
    let (last, body) = bytes
        .split_last()
        .expect("a rendered response is not empty");
    assert_eq!(*last, b'\n', "a response ends its line");
    assert!(!body.contains(&b'\n'), "a response is one line");
    let back: Response = serde_json::from_slice(body).expect("a response is JSON");
    assert_eq!(&back, response);
}
