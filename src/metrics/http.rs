//! A minimal HTTP/1.1 responder for `GET /metrics` on the daemon's own
//! tokio runtime: one request per connection, answered and closed.
//!
//! A hostile client can neither grow memory nor hold the daemon up:
//! - the request head is read into at most [`MAX_REQUEST`] bytes (431 past
//!   that), and must arrive within [`READ_TIMEOUT`] (408);
//! - the answer must be taken within [`WRITE_TIMEOUT`], else the
//!   connection is dropped;
//! - at most [`MAX_CONNECTIONS`] connections are served at once; more are
//!   closed at once, unanswered ([`crate::accept`]'s loop, which gives a
//!   slot back even when its task panics).
//!
//! Paths other than `/metrics` get 404, methods other than GET and HEAD 405.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::Metrics;
use super::render::{CONTENT_TYPE, render};
use crate::accept::{Slots, WhenFull, spawn_loop};

/// The longest request head read.
pub const MAX_REQUEST: usize = 8 * 1024;
/// The request head must be complete by then.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// The answer must be taken by then.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 8;

/// Binds the metrics listener.
pub async fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Accepts connections until the system stops.
pub fn serve(listener: TcpListener, metrics: Arc<Metrics>) {
    let slots = Slots::new(MAX_CONNECTIONS);
    spawn_loop(
        "metrics",
        listener,
        slots,
        WhenFull::Refuse,
        move |stream| {
            let metrics = metrics.clone();
            async move { connection(stream, &metrics).await }
        },
    );
}

async fn connection(mut stream: TcpStream, metrics: &Metrics) {
    let answer = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Err(_) => status(408, "Request Timeout"),
        Ok(Err(_)) => return,
        Ok(Ok(None)) => status(431, "Request Header Fields Too Large"),
        Ok(Ok(Some(head))) => respond(&head, metrics),
    };
    let write = async {
        stream.write_all(&answer).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(WRITE_TIMEOUT, write).await;
}

/// Reads until the blank line that ends the head; `None` past MAX_REQUEST.
async fn read_head(stream: &mut TcpStream) -> io::Result<Option<Vec<u8>>> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(Some(head));
        }
        let room = MAX_REQUEST - head.len();
        head.extend_from_slice(&buf[..n.min(room)]);
        if memchr::memmem::find(&head, b"\r\n\r\n").is_some()
            || memchr::memmem::find(&head, b"\n\n").is_some()
        {
            return Ok(Some(head));
        }
        if head.len() == MAX_REQUEST {
            return Ok(None);
        }
    }
}

/// The whole answer to a request head.
pub fn respond(head: &[u8], metrics: &Metrics) -> Vec<u8> {
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.trim_end_matches('\r').split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return status(400, "Bad Request");
    };
    if !version.starts_with("HTTP/1.") {
        return status(400, "Bad Request");
    }
    let path = target.split('?').next().unwrap_or_default();
    if path != "/metrics" {
        return status(404, "Not Found");
    }
    let head_only = match method {
        "GET" => false,
        "HEAD" => true,
        _ => return status(405, "Method Not Allowed"),
    };
    let body = render(metrics, env!("CARGO_PKG_VERSION"));
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {CONTENT_TYPE}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if !head_only {
        out.extend_from_slice(body.as_bytes());
    }
    out
}

/// A short plain-text answer with status `code`.
fn status(code: u16, reason: &str) -> Vec<u8> {
    let body = format!("{code} {reason}\n");
    let allow = if code == 405 {
        "Allow: GET, HEAD\r\n"
    } else {
        ""
    };
    format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n{allow}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_line(answer: &[u8]) -> String {
        let text = String::from_utf8_lossy(answer);
        text.lines().next().unwrap_or_default().to_string()
    }

    #[test]
    fn metrics_other_paths_methods_and_garbage() {
        let m = Metrics::default();
        let ok = respond(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &m);
        let text = String::from_utf8_lossy(&ok);
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(text.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
        assert!(text.contains("\r\n\r\n# HELP portcullis_failures_total "));
        let head = respond(b"HEAD /metrics?x=1 HTTP/1.0\r\n\r\n", &m);
        assert!(String::from_utf8_lossy(&head).ends_with("Connection: close\r\n\r\n"));
        for (request, answer) in [
            (&b"GET / HTTP/1.1\r\n\r\n"[..], "HTTP/1.1 404 Not Found"),
            (b"GET /metricsx HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found"),
            (
                b"POST /metrics HTTP/1.1\r\n\r\n",
                "HTTP/1.1 405 Method Not Allowed",
            ),
            (b"\x00\xff garbage\r\n\r\n", "HTTP/1.1 400 Bad Request"),
            (b"GET /metrics\r\n\r\n", "HTTP/1.1 400 Bad Request"),
            (b"GET /metrics SPDY/3\r\n\r\n", "HTTP/1.1 400 Bad Request"),
            (b"", "HTTP/1.1 400 Bad Request"),
        ] {
            assert_eq!(first_line(&respond(request, &m)), answer);
        }
    }
}
