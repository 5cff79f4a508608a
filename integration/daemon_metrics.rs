//! Prometheus metrics end to end: the daemon in a namespace serves them on
//! an ephemeral loopback port; failures, a ban and an unban show in the
//! counters, scraped with a plain TcpStream; hostile requests do no harm.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::common::poll_until;
use crate::daemon_common::{DEADLINE, Daemon, append, sshd_failure};

const SSHD: &str = r#"
metrics "127.0.0.1:0"
jail "sshd" {
    source "$DIR/auth.log"
    maxretry 2
    port 22
}
"#;

/// The address the daemon logged it serves metrics on.
fn metrics_addr(d: &Daemon) -> SocketAddr {
    let found = poll_until(DEADLINE, || {
        let log = d.log();
        let rest = log.split("metrics on http://").nth(1)?;
        rest.split("/metrics").next()?.parse().ok()
    });
    found.unwrap_or_else(|| panic!("no metrics address logged:\n{}", d.log()))
}

/// Sends `request` from inside the namespace; the whole answer, or the error.
fn ask(d: &Daemon, to: SocketAddr, request: &[u8]) -> std::io::Result<String> {
    d.ns.run(|| {
        let mut s = TcpStream::connect(to)?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        s.write_all(request)?;
        let mut answer = Vec::new();
        s.read_to_end(&mut answer)?;
        Ok(String::from_utf8_lossy(&answer).into_owned())
    })
}

fn scrape(d: &Daemon, to: SocketAddr) -> String {
    ask(d, to, b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n").expect("scrape")
}

/// Polls the scrape until every line of `want` is in it.
fn wait_metrics(d: &Daemon, to: SocketAddr, want: &[String]) -> String {
    poll_until(DEADLINE, || {
        let text = scrape(d, to);
        want.iter()
            .all(|w| text.lines().any(|l| l == w))
            .then_some(text)
    })
    .unwrap_or_else(|| panic!("expected {want:?} in\n{}", scrape(d, to)))
}

#[test]
fn failures_bans_and_unbans_are_counted_and_scraped() {
    let Some(mut d) = Daemon::prepare("daemon-metrics", SSHD) else {
        return;
    };
    d.start();
    let to = metrics_addr(&d);
    assert!(to.ip().is_loopback() && to.port() != 0, "{to}");
    let log = d.path("auth.log");
    append(&log, "a line no filter matches\n");
    append(&log, &sshd_failure("203.0.113.7"));
    append(&log, &sshd_failure("203.0.113.7"));
    d.wait_banned("sshd-v4", "203.0.113.7");
    let source = log.display().to_string();
    let text = wait_metrics(
        &d,
        to,
        &[
            "portcullis_failures_total{jail=\"sshd\"} 2".into(),
            "portcullis_bans_total{jail=\"sshd\"} 1".into(),
            "portcullis_active_bans{jail=\"sshd\"} 1".into(),
            format!("portcullis_lines_total{{source=\"{source}\"}} 3"),
            "portcullis_ban_latency_seconds_count 1".into(),
            "portcullis_netlink_errors_total 0".into(),
            format!(
                "portcullis_build_info{{version=\"{}\"}} 1",
                env!("CARGO_PKG_VERSION")
            ),
        ],
    );
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    assert!(text.contains("portcullis_ban_latency_seconds_bucket{le=\"+Inf\"} 1\n"));

    assert!(d.cli(&["unban", "sshd", "203.0.113.7"]).status.success());
    wait_metrics(
        &d,
        to,
        &[
            "portcullis_unbans_total{jail=\"sshd\"} 1".into(),
            "portcullis_active_bans{jail=\"sshd\"} 0".into(),
        ],
    );
}

#[test]
fn oversized_garbage_and_idle_requests_do_no_harm() {
    let Some(mut d) = Daemon::prepare("daemon-metrics-hostile", SSHD) else {
        return;
    };
    d.start();
    let to = metrics_addr(&d);
    // 1 MiB without a line end: answered 431 once 8 KiB are read, or reset.
    match ask(&d, to, &vec![b'A'; 1 << 20]) {
        Ok(answer) => assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 431 "),
            "{answer}"
        ),
        Err(e) => assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
            ),
            "{e}"
        ),
    }
    let answer = ask(&d, to, b"\x16\x03\x01\x02\x00garbage\r\n\r\n").unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{answer}"
    );
    let answer = ask(&d, to, b"GET /admin HTTP/1.1\r\n\r\n").unwrap();
    assert!(answer.starts_with("HTTP/1.1 404 Not Found\r\n"), "{answer}");

    // Idle clients take the 8 slots; a ninth is closed unanswered, and
    // the slots come back when they leave.
    let idle: Vec<TcpStream> =
        d.ns.run(|| (0..8).map(|_| TcpStream::connect(to).unwrap()).collect());
    let ninth = poll_until(DEADLINE, || {
        // Closed at once: no answer, or a reset for the unread request.
        let answer = ask(&d, to, b"GET /metrics HTTP/1.1\r\n\r\n");
        answer.map_or(true, |a| a.is_empty()).then_some(())
    });
    assert!(ninth.is_some(), "a ninth connection was served");
    drop(idle);
    let text = poll_until(DEADLINE, || {
        ask(&d, to, b"GET /metrics HTTP/1.1\r\n\r\n")
            .ok()
            .filter(|t| t.starts_with("HTTP/1.1 200 OK"))
    });
    assert!(text.is_some(), "not served again; log:\n{}", d.log());
    assert!(d.cli(&["status"]).status.success());
}
