//! The daemon's command line without a daemon or privileges:
//! check-config, and clients when nothing is running.

use crate::common::portcullis_bin;

fn run(args: &[&str]) -> std::process::Output {
    std::process::Command::new(portcullis_bin())
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn check_config_accepts_the_bundled_configuration() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/kdl-config/portcullis.kdl");
    let out = run(&["check-config", "--config", path]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{path}: valid; 1 enabled jail(s): sshd\n")
    );
}

#[test]
fn check_config_reports_every_error_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.kdl");
    std::fs::write(
        &path,
        "jail \"sshd\" {\n  source \"/l\"\n  maxretry \"many\"\n  colour \"red\"\n}\n",
    )
    .unwrap();
    let out = run(&["check-config", "--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("2 errors"), "{err}");
    assert!(err.contains(&format!("{}:3:12", path.display())), "{err}");
    assert!(
        err.contains("`maxretry` takes an integer from 1 to 1000000"),
        "{err}"
    );
    assert!(err.contains(&format!("{}:4:3", path.display())), "{err}");
    assert!(err.contains("unknown jail setting `colour`"), "{err}");
}

#[test]
fn clients_say_plainly_when_the_daemon_is_not_running() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("none.sock");
    for args in [&["status"][..], &["ban", "sshd", "192.0.2.1"], &["reload"]] {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--socket", socket.to_str().unwrap()]);
        let out = run(&all);
        assert_eq!(out.status.code(), Some(3));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!(
                "portcullis is not running (nothing answers on {}); start it with `portcullis daemon` or `systemctl start portcullis`\n",
                socket.display()
            )
        );
    }
}

#[test]
fn completions_and_man_page_name_the_daemon_commands() {
    let out = run(&["completions", "bash"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for command in ["daemon", "check-config", "unban", "banned", "reload"] {
        assert!(text.contains(command), "bash completion lacks {command}");
    }
    let out = run(&["man"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with(".ie"), "{}", &text[..40.min(text.len())]);
    assert!(text.contains("portcullis\\-daemon") || text.contains("daemon"));
}
