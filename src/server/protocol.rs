//! The control socket's protocol: one JSON request per line from the
//! client, one JSON response per line back, then the connection closes.
//!
//! ```text
//! {"command":"ban","jail":"sshd","addr":"203.0.113.7","bantime":"1h"}
//! {"ok":true,"data":{"jail":"sshd","addr":"203.0.113.7","bantime":"1h"}}
//! {"ok":false,"error":"no jail named \"ssh\" (jails: sshd)"}
//! ```
//!
//! `data` is a [`super::reply::Reply`] as JSON, `error` the text of a
//! [`super::reply::ControlError`] or [`RequestError`] with its causes.

use std::io;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::reply::{ControlError, Reply};

/// Longest request line accepted, in bytes.
pub const MAX_REQUEST: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "kebab-case")]
pub enum Request {
    /// Jails and counters; with a jail, also its banned addresses.
    Status {
        jail: Option<String>,
    },
    /// Ban by hand; `bantime` (`1h`, `permanent`) defaults to the jail's.
    Ban {
        jail: String,
        addr: IpAddr,
        bantime: Option<String>,
    },
    Unban {
        jail: String,
        addr: IpAddr,
    },
    /// Every ban of one jail, or of all jails.
    UnbanAll {
        jail: Option<String>,
    },
    /// Which jails ban an address; without one, every ban.
    Banned {
        addr: Option<IpAddr>,
    },
    /// Re-read the configuration.
    Reload,
    Get {
        jail: String,
        key: String,
    },
    Set {
        jail: String,
        key: String,
        value: String,
    },
    /// Whether the daemon answers (health checks).
    Ping,
    /// Stop reading the jail's sources; its bans stay and expire.
    Pause {
        jail: String,
    },
    /// Go on reading a paused jail's sources from where they stopped.
    Resume {
        jail: String,
    },
    /// Every ban (of one jail) with its start, end and time left.
    BanTimes {
        jail: Option<String>,
    },
    /// The fleet: link, stream, lag, decisions sent and received.
    Cluster,
}

impl Request {
    /// Whether a non-root client may send it.
    pub fn is_read_only(&self) -> bool {
        matches!(
            self,
            Request::Status { .. }
                | Request::Banned { .. }
                | Request::Get { .. }
                | Request::Ping
                | Request::BanTimes { .. }
                | Request::Cluster
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The request was refused because the client is not root (the CLI
    /// exits with its own code for it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub denied: bool,
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub data: serde_json::Value,
}

impl Response {
    pub fn ok(data: serde_json::Value) -> Response {
        Response {
            ok: true,
            error: None,
            denied: false,
            data,
        }
    }

    /// An error response: `error`'s text with its causes.
    pub fn refusal(error: &dyn std::error::Error) -> Response {
        Response {
            ok: false,
            error: Some(crate::error_chain(error)),
            denied: false,
            data: serde_json::Value::Null,
        }
    }

    /// The response line of the server's answer.
    pub fn of(answer: &Result<Reply, ControlError>) -> Response {
        match answer {
            // A reply is strings, numbers and lists of them: serializing
            // it cannot fail.
            Ok(reply) => Response::ok(serde_json::to_value(reply).unwrap_or_default()),
            Err(e @ ControlError::PermissionDenied { .. }) => Response {
                denied: true,
                ..Response::refusal(e)
            },
            Err(e) => Response::refusal(e),
        }
    }
}

/// Why a request line is not a request; answered as an error response.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("request refused: longer than {MAX_REQUEST} bytes (send one JSON line)")]
    TooLong,
    #[error("no request: the connection closed before a JSON line came")]
    Empty,
    #[error("invalid request")]
    Invalid(#[source] serde_json::Error),
    #[error("no request within {seconds} s: send one JSON line")]
    Timeout { seconds: u64 },
    #[error("cannot read the request")]
    Read(#[source] io::Error),
}

impl From<RequestError> for Response {
    fn from(error: RequestError) -> Response {
        Response::refusal(&error)
    }
}

/// Reads one request line, newline or not. A line that is no request
/// (none at all, not JSON, an unknown command, a missing field, cut at
/// [`MAX_REQUEST`]) is refused, saying why.
pub fn parse_request(line: &[u8]) -> Result<Request, RequestError> {
    if line.len() >= MAX_REQUEST && line.last() != Some(&b'\n') {
        return Err(RequestError::TooLong);
    }
    if line.is_empty() {
        return Err(RequestError::Empty);
    }
    serde_json::from_slice(line).map_err(RequestError::Invalid)
}

/// A response as it is sent: one line of JSON and its newline.
pub fn render(response: &Response) -> Vec<u8> {
    // A Response is a bool, a string and a JSON value: serializing it
    // cannot fail.
    let mut bytes = serde_json::to_vec(response).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_too_long_empty_or_not_json_are_refused_with_a_reason() {
        let error = |line: &[u8]| {
            Response::from(parse_request(line).unwrap_err())
                .error
                .unwrap()
        };
        let long = vec![b' '; MAX_REQUEST];
        assert_eq!(
            error(&long),
            "request refused: longer than 65536 bytes (send one JSON line)"
        );
        assert_eq!(
            error(b""),
            "no request: the connection closed before a JSON line came"
        );
        assert_eq!(
            error(b"{\"command\":\"sta"),
            "invalid request: EOF while parsing a string at line 1 column 15"
        );
        assert_eq!(
            error(b"{\"command\":\"shutdown\"}\n"),
            "invalid request: unknown variant `shutdown`, expected one of `status`, `ban`, `unban`, `unban-all`, `banned`, `reload`, `get`, `set`, `ping`, `pause`, `resume`, `ban-times`, `cluster` at line 1 column 21"
        );
        assert_eq!(
            parse_request(b"{\"command\":\"status\"}\n").unwrap(),
            Request::Status { jail: None }
        );
    }

    #[test]
    fn requests_in_json() {
        let r: Request = serde_json::from_str(
            r#"{"command":"ban","jail":"sshd","addr":"203.0.113.7","bantime":"1h"}"#,
        )
        .unwrap();
        assert_eq!(
            r,
            Request::Ban {
                jail: "sshd".into(),
                addr: "203.0.113.7".parse().unwrap(),
                bantime: Some("1h".into())
            }
        );
        assert!(!r.is_read_only());
        let r: Request = serde_json::from_str(r#"{"command":"status"}"#).unwrap();
        assert_eq!(r, Request::Status { jail: None });
        assert_eq!(
            serde_json::to_string(&Request::UnbanAll { jail: None }).unwrap(),
            r#"{"command":"unban-all","jail":null}"#
        );
        let refused = Response::from(RequestError::Timeout { seconds: 5 });
        assert_eq!(
            serde_json::to_string(&refused).unwrap(),
            r#"{"ok":false,"error":"no request within 5 s: send one JSON line"}"#
        );
        let denied = Response::of(&Err(ControlError::PermissionDenied { uid: 65534 }));
        assert_eq!(
            serde_json::to_string(&denied).unwrap(),
            r#"{"ok":false,"error":"permission denied: only root may change bans and settings (you are uid 65534)","denied":true}"#
        );
        assert_eq!(
            serde_json::to_string(&Request::Pause {
                jail: "sshd".into()
            })
            .unwrap(),
            r#"{"command":"pause","jail":"sshd"}"#
        );
        assert!(Request::Ping.is_read_only() && Request::BanTimes { jail: None }.is_read_only());
        assert!(
            !Request::Resume {
                jail: "sshd".into()
            }
            .is_read_only()
        );
    }
}
