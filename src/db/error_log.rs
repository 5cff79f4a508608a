//! Database errors for the operator: [`ErrorLog`] logs a database that
//! keeps failing (disk full) once, not at every ban: at most one message
//! per [`ERROR_LOG_INTERVAL`], with the count of the errors in between.
//! Bans do not wait for the database, so they still reach the kernel.

use std::time::{Duration, Instant};

/// Database errors are logged at most once per [`ERROR_LOG_INTERVAL`]:
/// a full disk fails most writes but not all (small ones reuse free
/// pages), so a "run" of errors would start again and again.
pub const ERROR_LOG_INTERVAL: Duration = Duration::from_secs(600);

/// Logs database errors at most once per [`ERROR_LOG_INTERVAL`], each
/// message with the number left unlogged since the previous one.
#[derive(Debug, Default)]
pub struct ErrorLog {
    last_logged: Option<Instant>,
    /// Errors not logged since the last message.
    unlogged: u64,
}

impl ErrorLog {
    /// The message to log for `error` at `now`, if one is due.
    pub fn message(&mut self, error: &str, now: Instant) -> Option<String> {
        if self
            .last_logged
            .is_some_and(|t| now.duration_since(t) < ERROR_LOG_INTERVAL)
        {
            self.unlogged += 1;
            return None;
        }
        self.last_logged = Some(now);
        let earlier = match std::mem::take(&mut self.unlogged) {
            0 => String::new(),
            n => format!("; {n} more database error(s) since the last message"),
        };
        Some(format!(
            "{error} (bans still reach the kernel but are not recorded; database errors are logged at most every {} minutes{earlier})",
            ERROR_LOG_INTERVAL.as_secs() / 60
        ))
    }
}

/// " (the file system holding `path` is full)" when it is: LMDB reports a
/// short write as an I/O error, which does not say why.
pub fn full_hint(path: &std::path::Path) -> &'static str {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return "";
    };
    // SAFETY: statvfs(3) with a NUL-terminated path and a zeroed struct it fills.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    match unsafe { libc::statvfs(c.as_ptr(), &mut st) } {
        0 if st.f_bavail == 0 => ": the file system holding it is full",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_logged_at_most_once_per_interval_with_the_count_between() {
        let mut errors = ErrorLog::default();
        let t0 = Instant::now();
        assert_eq!(
            errors
                .message(
                    "database /db: commit failed: Input/output error (os error 5)",
                    t0
                )
                .unwrap(),
            "database /db: commit failed: Input/output error (os error 5) (bans still reach the kernel but are not recorded; database errors are logged at most every 10 minutes)"
        );
        assert_eq!(errors.message("again", t0 + Duration::from_secs(1)), None);
        assert_eq!(errors.message("again", t0 + Duration::from_secs(599)), None);
        assert_eq!(
            errors.message("later", t0 + ERROR_LOG_INTERVAL).unwrap(),
            "later (bans still reach the kernel but are not recorded; database errors are logged at most every 10 minutes; 2 more database error(s) since the last message)"
        );
    }

    #[test]
    fn a_full_file_system_is_named() {
        assert_eq!(full_hint(std::path::Path::new("/nonexistent/x")), "");
    }
}
