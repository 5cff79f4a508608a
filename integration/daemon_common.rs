//! A running `portcullis daemon` inside a throwaway network namespace, with
//! its configuration, log, database and socket in a temporary directory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::common::{NetNs, poll_until, portcullis_bin};

/// How long anything the daemon does may take before a test fails.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// An sshd jail on `$DIR/auth.log`: 3 failures in 10 minutes ban for 10
/// minutes, on port 22.
pub const SSHD: &str = r#"
jail "sshd" {
    source "$DIR/auth.log"
    maxretry 3
    findtime "10m"
    bantime "10m"
    port 22
}
"#;

pub struct Daemon {
    pub ns: NetNs,
    pub dir: tempfile::TempDir,
    /// Extra environment for the daemon (test hooks).
    pub env: Vec<(String, String)>,
    child: Option<Child>,
}

impl Daemon {
    /// Paths inside the test directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A namespace and a directory with `config.kdl` holding `jails` after
    /// the global settings. `None` (the test skips) when not root.
    pub fn prepare(test: &str, jails: &str) -> Option<Daemon> {
        let ns = NetNs::new(test)?;
        let dir = tempfile::tempdir().unwrap();
        let d = Daemon {
            ns,
            dir,
            env: Vec::new(),
            child: None,
        };
        d.write_config(jails);
        Some(d)
    }

    pub fn write_config(&self, jails: &str) {
        let text = format!(
            "database \"{}\"\nsocket \"{}\"\n{}\n",
            self.path("db").display(),
            self.path("control.sock").display(),
            jails.replace("$DIR", &self.dir.path().display().to_string())
        );
        std::fs::write(self.path("config.kdl"), text).unwrap();
    }

    /// Starts the daemon and waits until its control socket answers.
    pub fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path("daemon.log"))
            .unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns.name])
            .arg(portcullis_bin())
            .args(["daemon", "--config"])
            .arg(self.path("config.kdl"))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start the daemon");
        self.child = Some(child);
        let ready = poll_until(DEADLINE, || {
            self.cli(&["status"]).status.success().then_some(())
        });
        assert!(
            ready.is_some(),
            "the daemon did not come up:\n{}",
            self.log()
        );
    }

    /// `kill -9`, and waits for the process to be gone.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, and the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        child.wait().unwrap()
    }

    /// Sends `signal` (SIGSTOP, SIGCONT...) to the daemon.
    pub fn signal(&self, signal: i32) {
        let child = self.child.as_ref().expect("running");
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(child.id() as i32, signal) };
    }

    /// The daemon's process id (`ip netns exec` execs it in place).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// The daemon's resident memory, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// Sends SIGHUP (reload).
    pub fn hup(&self) {
        let child = self.child.as_ref().expect("running");
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(child.id() as i32, libc::SIGHUP) };
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("daemon.log")).unwrap_or_default()
    }

    /// Runs `portcullis ARGS --socket <ours>` inside the namespace.
    pub fn cli(&self, args: &[&str]) -> Output {
        let socket = self.path("control.sock");
        let bin = portcullis_bin();
        let mut all = vec![bin.to_str().unwrap()];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--socket", socket.to_str().unwrap()]);
        self.ns.exec(&all)
    }

    /// The JSON `data` of a `--json` command.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let out = self.cli(&all);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
            panic!(
                "{args:?}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        v["data"].clone()
    }

    /// A jail's counters from `status --json`.
    pub fn stats(&self, jail: &str) -> Value {
        self.json(&["status", jail])[0]["stats"].clone()
    }

    /// The elements of `set` as `nft -j` shows them: address -> (timeout, expires) in seconds.
    pub fn elements(&self, set: &str) -> Vec<(String, Option<u64>, Option<u64>)> {
        let out = self
            .ns
            .exec(&["nft", "-j", "list", "set", "inet", "portcullis", set]);
        if !out.status.success() {
            return Vec::new();
        }
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut found = Vec::new();
        for item in v["nftables"].as_array().unwrap() {
            for e in item["set"]["elem"].as_array().into_iter().flatten() {
                match e.get("elem") {
                    None => found.push((value_text(e), None, None)),
                    Some(o) => found.push((
                        value_text(&o["val"]),
                        o.get("timeout").and_then(Value::as_u64),
                        o.get("expires").and_then(Value::as_u64),
                    )),
                }
            }
        }
        found
    }

    /// Polls until `addr` (`192.0.2.0/24` for a network) is in `set`; its
    /// (timeout, expires).
    pub fn wait_banned(&self, set: &str, addr: &str) -> (Option<u64>, Option<u64>) {
        poll_until(DEADLINE, || {
            self.elements(set)
                .into_iter()
                .find(|e| e.0 == addr)
                .map(|e| (e.1, e.2))
        })
        .unwrap_or_else(|| panic!("{addr} not banned in {set}; log:\n{}", self.log()))
    }

    pub fn wait_unbanned(&self, set: &str, addr: &str) {
        let gone = poll_until(DEADLINE, || {
            (!self.elements(set).iter().any(|e| e.0 == addr)).then_some(())
        });
        assert!(
            gone.is_some(),
            "{addr} still in {set}; log:\n{}",
            self.log()
        );
    }

    /// Polls until the jail counted `n` failures in total.
    pub fn wait_failures(&self, jail: &str, n: u64) {
        let got = poll_until(DEADLINE, || {
            (self.stats(jail)["failures_total"].as_u64() == Some(n)).then_some(())
        });
        assert!(
            got.is_some(),
            "jail {jail}: expected {n} failures, have {}; log:\n{}",
            self.stats(jail),
            self.log()
        );
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// An sshd failure line for `addr`, dated now (local time, syslog format).
pub fn sshd_failure(addr: &str) -> String {
    let now = jiff::Zoned::now().strftime("%b %e %H:%M:%S").to_string();
    format!("{now} host sshd[4242]: Failed password for root from {addr} port 51234 ssh2\n")
}

pub fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// A command's standard error, as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// An element's value as `nft -j` writes it: `"192.0.2.7"`, or
/// `{"prefix": {"addr": "192.0.2.0", "len": 24}}` written `192.0.2.0/24`.
pub fn value_text(v: &Value) -> String {
    match v.get("prefix") {
        Some(p) => format!("{}/{}", p["addr"].as_str().unwrap(), p["len"]),
        None => v
            .as_str()
            .unwrap_or_else(|| panic!("element {v}"))
            .to_string(),
    }
}
