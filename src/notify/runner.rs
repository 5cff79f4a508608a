//! Running one notification process, and the [`Budget`] that keeps a flood
//! of bans from forking a process per ban or a log line per failure.
//!
//! A process runs in its own process group with stdin, stdout and stderr on
//! /dev/null; on timeout the whole group gets SIGKILL, and the process is
//! always waited for, so none is left a zombie.

use std::os::unix::process::CommandExt;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

/// How a notification process ended.
#[derive(Debug)]
pub enum Outcome {
    Exited(ExitStatus),
    /// Killed after running longer than its timeout.
    TimedOut,
    SpawnFailed(std::io::Error),
}

impl Outcome {
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Exited(s) if s.success())
    }

    /// What went wrong, for the log: `exited with status 3`.
    pub fn describe(&self, timeout: Duration) -> String {
        match self {
            Outcome::Exited(s) => match s.code() {
                Some(code) => format!("exited with status {code}"),
                None => format!("was killed ({s})"),
            },
            Outcome::TimedOut => format!(
                "ran longer than its timeout of {} and was killed",
                crate::time::format_duration(timeout)
            ),
            Outcome::SpawnFailed(e) => format!("could not be started: {e}"),
        }
    }
}

/// Runs `argv` (program first) to its end or to `timeout`.
pub async fn run(argv: &[String], timeout: Duration) -> Outcome {
    let Some((program, args)) = argv.split_first() else {
        return Outcome::SpawnFailed(std::io::ErrorKind::InvalidInput.into());
    };
    let mut command = std::process::Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    let mut child = match tokio::process::Command::from(command).spawn() {
        Ok(c) => c,
        Err(e) => return Outcome::SpawnFailed(e),
    };
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) => Outcome::Exited(status),
        Ok(Err(e)) => Outcome::SpawnFailed(e),
        Err(_) => {
            if let Some(pid) = child.id() {
                // SAFETY: kill(2) on the group we created; no memory involved.
                unsafe { libc::kill(-(pid as libc::pid_t), libc::SIGKILL) };
            }
            let _ = child.wait().await;
            Outcome::TimedOut
        }
    }
}

/// Failures logged one by one per summary period; the rest are counted.
const LOGGED_PER_PERIOD: u32 = 5;

/// Caps the processes running at once and the failure lines per period.
#[derive(Debug)]
pub struct Budget {
    max_running: usize,
    running: usize,
    /// Events dropped because `max_running` processes were running.
    dropped: u64,
    /// Failures this period: all, and how many were logged one by one.
    failed: u32,
    logged: u32,
}

impl Budget {
    pub fn new(max_running: usize) -> Budget {
        Budget {
            max_running,
            running: 0,
            dropped: 0,
            failed: 0,
            logged: 0,
        }
    }

    /// Whether one more process may start; counts it as running if so, as
    /// dropped if not.
    pub fn admit(&mut self) -> bool {
        if self.running < self.max_running {
            self.running += 1;
            true
        } else {
            self.dropped += 1;
            false
        }
    }

    /// A process ended; whether its failure (if any) should be logged on its
    /// own line.
    pub fn finished(&mut self, success: bool) -> bool {
        self.running = self.running.saturating_sub(1);
        if success {
            return false;
        }
        self.failed += 1;
        if self.logged < LOGGED_PER_PERIOD {
            self.logged += 1;
            true
        } else {
            false
        }
    }

    pub fn running(&self) -> usize {
        self.running
    }

    /// The one line for the period now ending, if anything was dropped or
    /// failed unlogged; starts a new period.
    pub fn summary(&mut self) -> Option<String> {
        let unlogged = self.failed - self.logged;
        let line = match (self.dropped, unlogged) {
            (0, 0) => None,
            (d, u) => Some(format!(
                "notifications: {d} dropped ({} processes were already running), {u} more failed than were logged",
                self.max_running
            )),
        };
        (self.dropped, self.failed, self.logged) = (0, 0, 0);
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn the_budget_drops_beyond_the_cap_and_summarises_once() {
        let mut b = Budget::new(2);
        assert!(b.admit() && b.admit());
        assert!(!b.admit() && !b.admit());
        assert_eq!(b.running(), 2);
        assert!(b.finished(false));
        assert!(b.admit());
        for _ in 0..10 {
            b.finished(false);
            b.admit();
        }
        assert_eq!(
            b.summary().as_deref(),
            Some(
                "notifications: 2 dropped (2 processes were already running), 6 more failed than were logged"
            )
        );
        assert_eq!(b.summary(), None);
        assert!(!b.finished(true));
    }

    #[actix_rt::test]
    async fn a_slow_process_is_killed_with_its_children_at_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        // `; true` keeps the shell from exec'ing sleep: the group has two processes.
        let script = format!("echo $$ > {}; sleep 30; true", pidfile.display());
        let argv: Vec<String> = vec!["/bin/sh".into(), "-c".into(), script];
        let timeout = Duration::from_secs(1);
        let start = Instant::now();
        let outcome = run(&argv, timeout).await;
        assert!(matches!(outcome, Outcome::TimedOut), "{outcome:?}");
        assert!(start.elapsed() < Duration::from_secs(5));
        assert_eq!(
            outcome.describe(timeout),
            "ran longer than its timeout of 1s and was killed"
        );
        let group: libc::pid_t = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // The orphaned `sleep` dies too (its zombie is reaped by init soon after).
        let deadline = Instant::now() + Duration::from_secs(5);
        // SAFETY: signal 0 only checks that the group exists.
        let mut gone = unsafe { libc::kill(-group, 0) } == -1;
        while !gone && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
            gone = unsafe { libc::kill(-group, 0) } == -1;
        }
        assert!(gone, "process group {group} survived the timeout");
    }

    #[actix_rt::test]
    async fn exit_status_and_missing_program_are_reported() {
        let argv = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let t = Duration::from_secs(5);
        let out = run(&argv(&["/bin/sh", "-c", "exit 3"]), t).await;
        assert_eq!(out.describe(t), "exited with status 3");
        assert!(run(&argv(&["/bin/true"]), t).await.is_success());
        let out = run(&argv(&["/nonexistent/notify"]), t).await;
        assert_eq!(
            out.describe(t),
            "could not be started: No such file or directory (os error 2)"
        );
    }

    /// The argv arrives byte for byte: `printf '%s\0'` writes each argument
    /// it got, NUL-terminated, to a file.
    #[actix_rt::test]
    async fn hostile_arguments_arrive_as_literal_single_arguments() {
        use super::super::command::{Template, Values};
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("argv");
        let hostile = "203.0.113.7; touch /tmp/pwned \"q\" 'q' $(id) `id` $HOME\n* | & > x";
        let templates = [
            "/bin/sh",
            "-c",
            "printf '%s\\0' \"$@\" > \"$0\"",
            out.to_str().unwrap(),
            "{ip}",
            "--jail={jail}",
        ];
        let values = Values {
            ip: hostile.into(),
            jail: "a b;c".into(),
            ..Values::default()
        };
        let argv: Vec<String> = templates
            .iter()
            .map(|t| Template::parse(t).unwrap().render(&values))
            .collect();
        assert!(run(&argv, Duration::from_secs(5)).await.is_success());
        let expected = format!("{hostile}\0--jail=a b;c\0");
        assert_eq!(std::fs::read(&out).unwrap(), expected.as_bytes());
        assert!(!std::path::Path::new("/tmp/pwned").exists());
    }
}
