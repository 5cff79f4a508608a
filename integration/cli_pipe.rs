//! Output read by a pipe that closes early (`portcullis list | head -1`):
//! the end of the output, exit 0 and nothing on stderr, for every
//! subcommand that prints much.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use portcullis::nft::{Ban, JailSpec, Nft, NftConfig};

use crate::common::{NetNs, portcullis_bin};

/// Runs `command`, reads one line of its output, closes the pipe and
/// returns the exit status and everything it wrote on stderr.
fn first_line_then_close(mut command: Command) -> (std::process::ExitStatus, String, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start portcullis");
    let mut first = String::new();
    {
        let mut out = BufReader::new(child.stdout.take().unwrap());
        out.read_line(&mut first).expect("read the first line");
    } // the read end closes here
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    (child.wait().unwrap(), first, stderr)
}

#[test]
fn list_into_a_closed_pipe_exits_0_silently() {
    let Some(ns) = NetNs::new("list-closed-pipe") else {
        return;
    };
    let config = NftConfig {
        table: "pcxpipe".into(),
        jails: vec![JailSpec::tcp("sshd", &[22])],
        ..NftConfig::default()
    };
    ns.run(|| {
        let mut nft = Nft::open().unwrap();
        nft.setup(&config).unwrap();
        let bans: Vec<Ban> = (0..20_000u32)
            .map(|i| Ban {
                jail: "sshd".into(),
                addr: std::net::Ipv4Addr::from(0x0a00_0000 + i).into(),
                timeout: Some(Duration::from_secs(3600)),
                comment: None,
            })
            .collect();
        nft.ban(&bans).unwrap();
    });
    for json in [false, true] {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &ns.name]);
        command
            .arg(portcullis_bin())
            .args(["list", "--table", "pcxpipe"]);
        if json {
            command.arg("--json");
        }
        let (status, first, stderr) = first_line_then_close(command);
        assert!(!first.is_empty(), "no output at all");
        assert!(status.success(), "json={json}: {status}: {stderr}");
        assert_eq!(stderr, "", "json={json}");
    }
}

#[test]
fn test_filter_into_a_closed_pipe_exits_0_silently() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    let mut file = std::fs::File::create(&log).unwrap();
    for i in 0..200_000u32 {
        writeln!(
            file,
            "Jan  1 00:00:01 host sshd[{i}]: Failed password for root from 192.0.2.{} port 22 ssh2",
            i % 250 + 1
        )
        .unwrap();
    }
    drop(file);
    // (`man` and `completions` print less than a pipe holds, so they
    // never meet a closed pipe; they write through the same function.)
    let runs: [&[&str]; 2] = [
        &["test-filter", "sshd", log.to_str().unwrap(), "--json"],
        &[
            "test-filter",
            "sshd",
            log.to_str().unwrap(),
            "--print-matched",
        ],
    ];
    for args in runs {
        let mut command = Command::new(portcullis_bin());
        command.args(args);
        let (status, first, stderr) = first_line_then_close(command);
        assert!(!first.is_empty(), "{args:?}: no output at all");
        assert!(status.success(), "{args:?}: {status}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
}
