//! Rotation torture: Debian's `logrotate` rotates the log under a writer of
//! at least 50,000 lines/s, each line a failure of its own address, and
//! the daemon's failure counter (`status --json`) must match the lines:
//!
//! - `create` + `dateext` + `delaycompress` (+ `compress`): exactly once
//!   (lines logrotate compresses before the daemon read them are lost:
//!   delaycompress leaves a whole rotation period for that, and the test
//!   rotates again only once the daemon is no further behind than that);
//! - `copytruncate`: none twice (with maxretry 2 every address would be
//!   banned by a line read twice) and none lost beyond the lines logrotate
//!   itself drops between its copy and its truncate, measured from the files
//!   (the daemon may still have read some of those live, before the truncate);
//! - kill -9 between a rotation and the daemon's reading of it: the restarted
//!   daemon reads exactly the lines after the position it saved.
//!
//! `HARDENING_ROTATIONS` (default 3, a second apart) lengthens the run: the
//! long variant, `integration/hardening-long`.

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::common::skip;
use crate::daemon_common::Daemon;

/// Lines per second the writer keeps up.
const RATE: u64 = 60_000;
/// How long the failure counter may stand still short of its target.
const STALLED: Duration = Duration::from_secs(30);

fn jail(maxretry: u32) -> String {
    format!(
        "jail \"sshd\" {{\n    source \"$DIR/auth.log\"\n    maxretry {maxretry}\n    findtime \"1h\"\n    port 22\n}}\n"
    )
}

fn addr(seq: u64) -> String {
    format!(
        "10.{}.{}.{}",
        (seq >> 16) & 255,
        (seq >> 8) & 255,
        seq & 255
    )
}

/// The sequence number of a line's address.
fn seq_of(line: &str) -> Option<u64> {
    let from = line.split(" from ").nth(1)?.split(' ').next()?;
    let o: Vec<u64> = from
        .split('.')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    (o.len() == 4).then(|| (o[1] << 16) | (o[2] << 8) | o[3])
}

/// A thread appending failure lines at [`RATE`], opening the path again for
/// each batch (as a logger told to reopen would), so that a `create`
/// rotation sends the next batch to the new file.
struct Writer {
    stop: Arc<AtomicBool>,
    written: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<f64>>,
}

impl Writer {
    fn start(path: PathBuf) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let written = Arc::new(AtomicU64::new(0));
        let (s, w) = (stop.clone(), written.clone());
        let thread = std::thread::spawn(move || {
            let start = Instant::now();
            let mut n = 0u64;
            let mut buf = String::new();
            while !s.load(Ordering::Relaxed) {
                let due = (start.elapsed().as_secs_f64() * RATE as f64) as u64;
                let now = jiff::Zoned::now().strftime("%b %e %H:%M:%S").to_string();
                buf.clear();
                while n < due.min(n + 2000) {
                    n += 1;
                    buf.push_str(&format!(
                        "{now} host sshd[4242]: Failed password for root from {} port 51234 ssh2\n",
                        addr(n)
                    ));
                }
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .unwrap();
                f.write_all(buf.as_bytes()).unwrap();
                w.store(n, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(1));
            }
            n as f64 / start.elapsed().as_secs_f64()
        });
        Writer {
            stop,
            written,
            thread: Some(thread),
        }
    }

    /// Stops; the lines written and the rate they were written at.
    fn stop(mut self) -> (u64, f64) {
        self.stop.store(true, Ordering::SeqCst);
        let rate = self.thread.take().unwrap().join().unwrap();
        (self.written.load(Ordering::SeqCst), rate)
    }
}

/// Rotations per test: 3, or `HARDENING_ROTATIONS` (the long variant).
fn rotations() -> usize {
    std::env::var("HARDENING_ROTATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3usize)
        .max(3)
}

/// Writes the logrotate configuration for `log` with `options`, or `None`
/// (the test skips; under CI it fails) without logrotate.
fn logrotate_config(d: &mut Daemon, options: &str) -> Option<PathBuf> {
    if Command::new("logrotate").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "logrotate is not installed"
        );
        skip("logrotate is not installed");
        return None;
    }
    // What the reader did at each rotation goes to the log shown on failure.
    d.env.push((
        "PORTCULLIS_LOG".into(),
        "info,portcullis::source=debug".into(),
    ));
    let conf = d.path("logrotate.conf");
    let text = format!(
        "{} {{\n    {options}\n    dateext\n    dateformat -%Y%m%d-%s\n    rotate 100\n    missingok\n}}\n",
        d.path("auth.log").display()
    );
    std::fs::write(&conf, text).unwrap();
    Some(conf)
}

/// One forced rotation; waits a second first so that `dateext` names differ.
fn logrotate(d: &Daemon, conf: &Path) {
    std::thread::sleep(Duration::from_millis(1100));
    let out = Command::new("logrotate")
        .args(["-f", "-s"])
        .arg(d.path("logrotate.state"))
        .arg(conf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "logrotate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn counted(d: &Daemon) -> u64 {
    d.stats("sshd")["failures_total"].as_u64().unwrap_or(0)
}

/// Polls until the failure counter is at least `n`; fails when it stops
/// moving for [`STALLED`] short of it (a slow, loaded machine only delays).
fn wait_counted(d: &Daemon, n: u64) {
    let mut last = (counted(d), Instant::now());
    loop {
        let now = counted(d);
        if now >= n {
            return;
        }
        if now != last.0 {
            last = (now, Instant::now());
        }
        assert!(
            last.1.elapsed() < STALLED,
            "counted {now} of {n} failures, no more for {} s; status {}; log:\n{}",
            STALLED.as_secs(),
            d.json(&["status", "sshd"]),
            d.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Polls until the failure counter is `n`, then checks that it stays there.
fn expect_failures(d: &Daemon, n: u64) {
    wait_counted(d, n);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        counted(d),
        n,
        "failures counted, lines expected; {}",
        d.stats("sshd")
    );
}

#[test]
fn logrotate_create_dateext_delaycompress_counts_every_line_once() {
    let Some(mut d) = Daemon::prepare("hard-rot-create", &jail(1000)) else {
        return;
    };
    let Some(conf) = logrotate_config(&mut d, "create\n    compress\n    delaycompress") else {
        return;
    };
    d.start();
    let writer = Writer::start(d.path("auth.log"));
    let rotations = rotations();
    let mut before = Vec::new();
    for k in 0..rotations {
        // delaycompress's contract: the file it compresses now (rotated two
        // rotations ago) was read to its end.
        if k >= 2 {
            wait_counted(&d, before[k - 2]);
        }
        logrotate(&d, &conf);
        before.push(writer.written.load(Ordering::SeqCst));
    }
    std::thread::sleep(Duration::from_millis(300));
    let (written, rate) = writer.stop();
    eprintln!("create: {written} lines at {rate:.0} lines/s, {rotations} rotations");
    assert!(
        rate >= 50_000.0,
        "the writer managed only {rate:.0} lines/s"
    );
    let gz = std::fs::read_dir(d.dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".gz"))
        .count();
    assert!(gz >= 1, "delaycompress compressed no file");
    expect_failures(&d, written);
}

/// The first and last complete line's sequence numbers of a file.
fn seq_range(path: &Path) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(path).ok()?;
    let complete = &text[..text.rfind('\n')? + 1];
    let first = seq_of(complete.lines().next()?)?;
    let last = seq_of(complete.lines().last()?)?;
    Some((first, last))
}

/// Lines logrotate dropped: between the last line of each copy and the
/// first line of the file that follows it (copies sort by their dateext).
fn dropped_by_logrotate(d: &Daemon) -> u64 {
    let mut copies: Vec<PathBuf> = std::fs::read_dir(d.dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("auth.log-")
        })
        .collect();
    copies.sort();
    copies.push(d.path("auth.log"));
    let ranges: Vec<(u64, u64)> = copies.iter().filter_map(|p| seq_range(p)).collect();
    ranges.windows(2).map(|w| w[1].0 - w[0].1 - 1).sum()
}

#[test]
fn logrotate_copytruncate_counts_no_line_twice_and_loses_only_what_logrotate_drops() {
    // maxretry 2 and an address per line: a line counted twice bans.
    let Some(mut d) = Daemon::prepare("hard-rot-copytrunc", &jail(2)) else {
        return;
    };
    let Some(conf) = logrotate_config(&mut d, "copytruncate") else {
        return;
    };
    d.start();
    let writer = Writer::start(d.path("auth.log"));
    let rotations = rotations();
    for _ in 0..rotations {
        logrotate(&d, &conf);
    }
    std::thread::sleep(Duration::from_millis(300));
    let (written, rate) = writer.stop();
    let dropped = dropped_by_logrotate(&d);
    eprintln!(
        "copytruncate: {written} lines at {rate:.0} lines/s, {rotations} rotations, \
         {dropped} dropped by logrotate between copy and truncate"
    );
    assert!(
        rate >= 50_000.0,
        "the writer managed only {rate:.0} lines/s"
    );
    // The daemon may have read some of the dropped lines live, before the
    // truncate: between the two bounds, and no address twice.
    wait_counted(&d, written - dropped);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        counted(&d) <= written,
        "{} counted of {written}",
        counted(&d)
    );
    assert_eq!(d.elements("sshd-v4"), vec![], "a line was counted twice");
}

/// The number of lines before `offset` in the file with inode `inode` and
/// in the files before it: the sequence number of the last line there.
fn lines_before(dir: &Path, inode: u64, offset: u64) -> u64 {
    let file = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .find(|e| e.metadata().is_ok_and(|m| m.ino() == inode))
        .expect("the file of the saved position is gone");
    let text = std::fs::read(file.path()).unwrap();
    let head = String::from_utf8_lossy(&text[..offset as usize]);
    match head.lines().last() {
        Some(line) => seq_of(line).unwrap(),
        None => seq_range(&file.path()).unwrap().0 - 1,
    }
}

#[test]
fn kill9_in_the_middle_of_a_rotation_reads_each_line_once_after_the_restart() {
    let Some(mut d) = Daemon::prepare("hard-rot-kill9", &jail(1000)) else {
        return;
    };
    let Some(conf) = logrotate_config(&mut d, "create\n    compress\n    delaycompress") else {
        return;
    };
    d.start();
    let writer = Writer::start(d.path("auth.log"));
    std::thread::sleep(Duration::from_millis(1000));
    // Stopped, the daemon cannot read the end of the file being rotated.
    d.signal(libc::SIGSTOP);
    std::thread::sleep(Duration::from_millis(200));
    logrotate(&d, &conf);
    std::thread::sleep(Duration::from_millis(300));
    d.kill9();
    let saved = {
        let store = portcullis::db::store::Store::open(&d.path("db")).unwrap();
        store.log_position("sshd", &d.path("auth.log")).unwrap()
    };
    let saved = saved.expect("no position was saved");
    d.start();
    std::thread::sleep(Duration::from_millis(1000));
    let (written, rate) = writer.stop();
    let before = lines_before(d.dir.path(), saved.inode, saved.offset);
    eprintln!("kill -9: {written} lines at {rate:.0} lines/s; position saved after line {before}");
    assert!(
        rate >= 50_000.0,
        "the writer managed only {rate:.0} lines/s"
    );
    assert!(before > 0, "nothing read before the kill");
    expect_failures(&d, written - before);
}
