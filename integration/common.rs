//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The `portcullis` binary cargo built for this test run.
pub fn portcullis_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_portcullis"))
}

/// A throwaway network namespace (`ip netns add`), deleted on drop. Tests
/// that touch the kernel's ruleset run only inside one of these.
pub struct NetNs {
    pub name: String,
}

impl NetNs {
    /// A fresh namespace with loopback up, or `None` after printing why the
    /// calling test skips (not root, no `ip`, namespaces unavailable).
    pub fn new(test: &str) -> Option<NetNs> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            skip(&format!(
                "SKIP {test}: needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to create a network namespace"
            ));
            return None;
        }
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("pcx-{}-{n}", std::process::id());
        match std::process::Command::new("ip")
            .args(["netns", "add", &name])
            .output()
        {
            Ok(out) if out.status.success() => {}
            Ok(out) => {
                skip(&format!(
                    "SKIP {test}: `ip netns add` failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
                return None;
            }
            Err(e) => {
                skip(&format!("SKIP {test}: cannot run `ip` (iproute2): {e}"));
                return None;
            }
        }
        let ns = NetNs { name };
        ns.sh(&["ip", "link", "set", "lo", "up"]);
        Some(ns)
    }

    /// Runs `f` on a new thread that has entered this namespace (setns is
    /// per thread for network namespaces), and returns its result.
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        let path = format!("/run/netns/{}", self.name);
        std::thread::scope(|s| {
            s.spawn(|| {
                let file = std::fs::File::open(&path).expect("open the namespace file");
                use std::os::fd::AsRawFd;
                // SAFETY: a valid namespace fd; affects only this thread.
                let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
                assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
                f()
            })
            .join()
            .expect("the thread in the namespace panicked")
        })
    }

    /// Runs a command inside the namespace (`ip netns exec`).
    pub fn exec(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new("ip")
            .args(["netns", "exec", &self.name])
            .args(args)
            .output()
            .expect("run ip netns exec")
    }

    /// Like [`NetNs::exec`], panicking with stderr unless it succeeds; returns stdout.
    pub fn sh(&self, args: &[&str]) -> String {
        let out = self.exec(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// `nft -j list table inet <table>` parsed, with handles removed.
    pub fn nft_json(&self, table: &str) -> serde_json::Value {
        let text = self.sh(&["nft", "-j", "list", "table", "inet", table]);
        let mut value: serde_json::Value = serde_json::from_str(&text).expect("nft -j prints JSON");
        strip_handles(&mut value);
        value
    }

    /// The `elem` list of `nft -j list set inet portcullis <set>`: each an
    /// address string or an `{"elem": {...}}` object (timeouts, comments).
    pub fn nft_set_elements(&self, set: &str) -> Vec<serde_json::Value> {
        let text = self.sh(&["nft", "-j", "list", "set", "inet", "portcullis", set]);
        let json: serde_json::Value = serde_json::from_str(&text).expect("nft -j prints JSON");
        let set = (json["nftables"].as_array().expect("nftables list").iter())
            .find_map(|i| i.get("set"))
            .expect("the set");
        set["elem"].as_array().cloned().unwrap_or_default()
    }
}

/// `python3 ARGS...` with the extracted fail2ban package of `root` on
/// its path; its standard output, the test failing with its standard
/// error if it fails.
pub fn fail2ban_python<S: AsRef<std::ffi::OsStr>>(root: &Path, args: &[S]) -> String {
    let out = Command::new("python3")
        .args(args)
        .env("PYTHONPATH", root.join("usr/lib/python3/dist-packages"))
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python3 {:?}: {}",
        args.iter().map(|a| a.as_ref()).collect::<Vec<_>>(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Says why a test skips, straight to stderr: the test harness captures
/// `eprintln!` of passing tests, and a skip must be seen.
pub fn skip(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{why}");
}

impl Drop for NetNs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// Removes "handle" keys and the metainfo object (they vary between runs).
pub fn strip_handles(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.remove("handle");
            map.values_mut().for_each(strip_handles);
        }
        serde_json::Value::Array(items) => {
            items.retain(|i| i.get("metainfo").is_none());
            items.iter_mut().for_each(strip_handles);
        }
        _ => {}
    }
}

/// Polls `check` until it returns `Some` or `deadline` passes.
pub fn poll_until<T>(
    deadline: std::time::Duration,
    mut check: impl FnMut() -> Option<T>,
) -> Option<T> {
    let end = std::time::Instant::now() + deadline;
    loop {
        if let Some(v) = check() {
            return Some(v);
        }
        if std::time::Instant::now() > end {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Debian's fail2ban package unpacked by `integration/fail2ban-package`
/// (`target/fail2ban/root`, or `$PORTCULLIS_FAIL2BAN_ROOT`): fail2ban's own
/// configuration and sample logs, read by the tests, never copied into the
/// repository. `None` after saying why the calling test skips; under CI
/// (`CI` set) a missing package fails the test instead.
pub fn fail2ban_root(test: &str) -> Option<PathBuf> {
    let root = std::env::var_os("PORTCULLIS_FAIL2BAN_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/fail2ban/root"));
    if root.join("etc/fail2ban/jail.conf").exists() {
        return Some(root);
    }
    let why = format!(
        "SKIP {test}: fail2ban's package is not unpacked at {} (run integration/fail2ban-package)",
        root.display()
    );
    assert!(std::env::var_os("CI").is_none(), "{why}");
    skip(&why);
    None
}

/// fail2ban's annotated sample logs inside [`fail2ban_root`].
pub fn fail2ban_corpus(root: &std::path::Path) -> PathBuf {
    root.join("usr/lib/python3/dist-packages/fail2ban/tests/files/logs")
}

/// The `host` of each failure `portcullis test-filter --json` printed, in
/// order; the run must have succeeded.
pub fn failure_hosts(out: &std::process::Output) -> Vec<String> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["host"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}
