//! fail2ban itself as the oracle for our reply shapes: the real
//! fail2ban-server of Debian's package (unpacked, never installed; jail
//! sshd on a log file, `dummy` action: no firewall touched) and the test
//! server of `f2bproto_server` running our codec on the equivalent state
//! get the same requests; Python's `pickle.loads` reads both replies, and
//! fail2ban-client prints both, and they must match (ban times aside).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use portcullis::f2bproto::{JailSource, JailView, Limits, ServerView};

use crate::common::{fail2ban_root, poll_until};
use crate::f2bproto_server::TestServer;

/// Sends each request (a JSON list of lists of strings) on one connection,
/// prints `repr` of each reply: our own few lines of Python, the way any
/// tool speaking fail2ban's socket does it.
const REPR_CLIENT: &str = r#"
import json, pickle, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
for cmd in json.loads(sys.argv[2]):
    s.sendall(pickle.dumps(cmd, pickle.HIGHEST_PROTOCOL) + b"<F2B_END_COMMAND>")
    buf = b""
    while not buf.endswith(b"<F2B_END_COMMAND>"):
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("connection closed")
        buf += chunk
    print(repr(pickle.loads(buf)))
s.sendall(b"<F2B_CLOSE_COMMAND><F2B_END_COMMAND>")
"#;

/// A real fail2ban-server in a temporary directory, stopped on drop.
pub(crate) struct Fail2banServer {
    root: PathBuf,
    dir: tempfile::TempDir,
}

impl Fail2banServer {
    pub(crate) fn start(root: &Path) -> Fail2banServer {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("conf");
        let copy = Command::new("cp")
            .arg("-r")
            .arg(root.join("etc/fail2ban"))
            .arg(&conf)
            .status()
            .unwrap();
        assert!(copy.success());
        for entry in std::fs::read_dir(conf.join("jail.d")).unwrap() {
            std::fs::remove_file(entry.unwrap().path()).unwrap();
        }
        let d = dir.path().display();
        std::fs::write(dir.path().join("auth.log"), "").unwrap();
        let jail = format!(
            "[sshd]\nenabled = true\nbackend = polling\nlogpath = {d}/auth.log\n\
             action = dummy[target={d}/dummy]\n"
        );
        std::fs::write(conf.join("jail.local"), jail).unwrap();
        // It logs to stderr, as the daemon does (`flushlogs` says so), into
        // server.log: the server it forks keeps the client's stderr.
        let server = "[Definition]\nlogtarget = STDERR\ndbfile = :memory:\n";
        std::fs::write(conf.join("fail2ban.local"), server).unwrap();
        let this = Fail2banServer {
            root: root.to_path_buf(),
            dir,
        };
        let log = std::fs::File::create(this.dir.path().join("server.log")).unwrap();
        let started = this
            .client_command(&this.socket(), &["-x", "start"])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .status()
            .unwrap();
        let log = std::fs::read_to_string(this.dir.path().join("server.log")).unwrap();
        assert!(started.success(), "{log}");
        let up = poll_until(std::time::Duration::from_secs(20), || {
            this.client(&["ping"]).status.success().then_some(())
        });
        assert!(up.is_some(), "fail2ban-server did not answer ping");
        this
    }

    pub(crate) fn socket(&self) -> PathBuf {
        self.dir.path().join("fail2ban.sock")
    }

    /// Its temporary directory (the log file, the socket).
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn log(&self) -> String {
        format!("{}/auth.log", self.dir.path().display())
    }

    pub(crate) fn client(&self, args: &[&str]) -> Output {
        self.client_at(&self.socket(), args)
    }

    /// fail2ban-client with this server's configuration, talking to `socket`.
    pub(crate) fn client_at(&self, socket: &Path, args: &[&str]) -> Output {
        self.client_command(socket, args).output().unwrap()
    }

    fn client_command(&self, socket: &Path, args: &[&str]) -> Command {
        let d = self.dir.path();
        let mut command = Command::new("python3");
        command
            .arg(self.root.join("usr/bin/fail2ban-client"))
            .arg("-c")
            .arg(d.join("conf"))
            .arg("-s")
            .arg(socket)
            .arg("-p")
            .arg(d.join("fail2ban.pid"))
            .args(args)
            .env(
                "PYTHONPATH",
                self.root.join("usr/lib/python3/dist-packages"),
            );
        command
    }
}

impl Drop for Fail2banServer {
    fn drop(&mut self) {
        let _ = self.client(&["stop"]);
    }
}

/// What the fail2ban-server above holds before any ban, as our view.
fn equivalent_view(log: String) -> ServerView {
    let sshd = JailView {
        name: "sshd".into(),
        source: JailSource::Files(vec![log]),
        max_retry: 5,
        find_time_secs: 600,
        ban_time_secs: 600,
        max_lines: 1,
        actions: vec!["dummy".into()],
        ..JailView::default()
    };
    ServerView {
        version: "1.0.2".into(),
        log_level: "INFO".into(),
        jails: vec![sshd],
    }
}

/// `repr` of each reply to `requests`, on one connection.
fn reprs(root: &Path, socket: &Path, requests: &[Vec<&str>]) -> Vec<String> {
    let requests = serde_json::to_string(requests).unwrap();
    let args = [
        OsStr::new("-c"),
        OsStr::new(REPR_CLIENT),
        socket.as_os_str(),
        OsStr::new(&requests),
    ];
    let out = crate::common::fail2ban_python(root, &args);
    out.lines().map(without_times).collect()
}

/// Ban times differ between the two servers; everything else must not.
fn without_times(line: &str) -> String {
    let time = regex::Regex::new(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").unwrap();
    time.replace_all(line, "TIME").into_owned()
}

pub(crate) fn words(line: &str) -> Vec<&str> {
    line.split(' ').collect()
}

#[test]
fn replies_match_fail2ban_servers_for_the_same_requests() {
    let Some(root) = fail2ban_root("replies_match_fail2ban_servers_for_the_same_requests") else {
        return;
    };
    let fail2ban = Fail2banServer::start(&root);
    let ours = TestServer::with_view(Limits::default(), equivalent_view(fail2ban.log()));
    let requests: Vec<Vec<&str>> = [
        "ping",
        "status",
        "status sshd",
        "set sshd banip 192.0.2.7 192.0.2.9 2001:db8::1",
        "set sshd banip 192.0.2.7",
        "status",
        "status sshd",
        "status sshd short",
        "status sshd basic",
        "banned",
        "banned 192.0.2.7 198.51.100.1",
        "get sshd banned",
        "get sshd banned 192.0.2.9",
        "get sshd banned 192.0.2.9 198.51.100.1",
        "get sshd banip",
        "get sshd banip --with-time",
        "get sshd maxretry",
        "get sshd findtime",
        "get sshd bantime",
        "get sshd ignoreip",
        "get sshd logpath",
        "get sshd journalmatch",
        "get sshd maxlines",
        "get sshd actions",
        "get loglevel",
        "set loglevel loud",
        "set loglevel debug",
        "get loglevel",
        "set sshd maxretry 3",
        "set sshd findtime 1h",
        "set sshd addignoreip 10.0.0.0/8 192.0.2.200",
        "set sshd delignoreip 10.0.0.0/8",
        "set sshd unbanip 192.0.2.9",
        "set sshd unbanip --report-absent 198.51.100.1",
        "unban 2001:db8::1",
        "status nosuch",
        "get nosuch maxretry",
        "frobnicate",
        "get sshd frobnicate",
        "set sshd frobnicate 1",
        "set sshd maxretry x",
        "set sshd maxretry",
        "echo a b",
        "server-status",
        "version",
        "unban --all",
        "status sshd",
    ]
    .into_iter()
    .map(words)
    .collect();
    let theirs = reprs(&root, &fail2ban.socket(), &requests);
    let ours = reprs(&root, ours.path(), &requests);
    assert_eq!(theirs.len(), requests.len());
    for ((request, theirs), ours) in requests.iter().zip(&theirs).zip(&ours) {
        assert_eq!(ours, theirs, "reply to {request:?}");
    }
}

/// The bar's commands as fail2ban-client prints them, from both servers.
#[test]
fn fail2ban_client_prints_the_same_from_both_servers() {
    let Some(root) = fail2ban_root("fail2ban_client_prints_the_same_from_both_servers") else {
        return;
    };
    let fail2ban = Fail2banServer::start(&root);
    let ours = TestServer::with_view(Limits::default(), equivalent_view(fail2ban.log()));
    let run = |socket: &Path, line: &str| {
        let out = fail2ban.client_at(socket, &words(line));
        let printed = without_times(&String::from_utf8_lossy(&out.stdout));
        (out.status.code(), printed)
    };
    for line in [
        "ping",
        "status",
        "status sshd",
        "set sshd banip 192.0.2.7",
        "get sshd banip --with-time",
        "banned 192.0.2.7",
        "status sshd",
        "set sshd unbanip 192.0.2.7",
        "unban --all",
        "status nosuch",
        "get sshd maxretry",
        "get sshd logpath",
        "get sshd actions",
    ] {
        assert_eq!(
            run(ours.path(), line),
            run(&fail2ban.socket(), line),
            "{line}"
        );
    }
}
