//! Log injection at the daemon: sshd lines whose user names carry another
//! address are appended to a jail's log inside a network namespace; the
//! kernel's set (`nft -j list set`) ends up holding the peer's address and
//! never the injected one.

use crate::daemon_common::{Daemon, append};
use crate::injection::{FAKE, REAL, reported};

const JAIL: &str =
    "jail \"sshd\" {\n    source \"$DIR/auth.log\"\n    maxretry 3\n    port 22\n}\n";

/// The attack, dated now: five lone "Failed" lines that read the same
/// whether the user is "x" (then the address is FAKE) or "x from FAKE port
/// 1 ssh2:", three lines cut after a fake address, then two connections
/// of a user named so, as sshd logs them (the connection's first line
/// names the peer).
fn attack_lines() -> Vec<String> {
    let now = jiff::Zoned::now().strftime("%b %e %H:%M:%S").to_string();
    let name = format!("x from {FAKE} port 1 ssh2:");
    let mut lines = Vec::new();
    for pid in 5000..5005 {
        lines.push(format!(
            "{now} host sshd[{pid}]: Failed password for invalid user {name} from {REAL} port 51514 ssh2"
        ));
    }
    // Names so long that the line is cut (16 KiB) right after a fake
    // address: the daemon's reader cuts them where test-filter's does.
    for pid in 7000..7003 {
        let head = format!("{now} host sshd[{pid}]: Invalid user ");
        let end = format!(" from {FAKE} port 22");
        let pad = "A".repeat(16 * 1024 - head.len() - end.len());
        lines.push(format!("{head}{pad}{end} from {REAL} port 51514"));
    }
    for pid in [6000, 6001] {
        let at = |msg: String| format!("{now} host sshd[{pid}]: {msg}");
        lines.push(at(format!("Invalid user {name} from {REAL} port 51514")));
        for _ in 0..2 {
            lines.push(at(format!(
                "Failed password for invalid user {name} from {REAL} port 51514 ssh2"
            )));
        }
        lines.push(at(format!(
            "Connection closed by invalid user {name} {REAL} port 51514 [preauth]"
        )));
    }
    lines
}

#[test]
fn daemon_bans_the_peer_and_never_the_injected_address() {
    let lines = attack_lines();
    // What the filter makes of the lines: the daemon must count exactly
    // these failures, all on the peer.
    let bytes: Vec<Vec<u8>> = lines.iter().map(|l| l.clone().into_bytes()).collect();
    let expected = reported("sshd", &[], &bytes, None);
    assert!(expected.len() >= 3, "{expected:?}");
    assert!(expected.iter().all(|h| h == REAL), "{expected:?}");

    let Some(mut d) = Daemon::prepare("inject-sshd", JAIL) else {
        return;
    };
    d.start();
    append(&d.path("auth.log"), &(lines.join("\n") + "\n"));
    d.wait_banned("sshd-v4", REAL);
    d.wait_failures("sshd", expected.len() as u64);
    let set = d.elements("sshd-v4");
    assert!(
        !set.iter().any(|e| e.0 == FAKE),
        "{FAKE} banned: {set:?}; log:\n{}",
        d.log()
    );
    assert_eq!(set.len(), 1, "{set:?}");
}
